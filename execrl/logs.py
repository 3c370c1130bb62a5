"""Route a rule's logging to its Snakemake ``log:`` file."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


@contextlib.contextmanager
def log_to(path: str | Path, level: int = logging.INFO) -> Iterator[logging.Logger]:
    """Send every logger's records to ``path`` for the duration of the block; log and re-raise errors."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, mode="w", encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    root = logging.getLogger()
    previous_level = root.level
    root.addHandler(handler)
    root.setLevel(level)
    try:
        yield logging.getLogger("execrl")
    except BaseException:
        logging.getLogger("execrl").exception("rule failed")
        raise
    finally:
        root.removeHandler(handler)
        root.setLevel(previous_level)
        handler.close()


def progress_logger(log: logging.Logger, what: str, every: int = 1000) -> Callable[[int, Any], None]:
    """A ``run_many`` progress callback that logs every ``every`` results, so a long rule shows life."""

    def progress(done: int, _result: Any) -> None:
        if done % every == 0:
            log.info("%d %s so far", done, what)

    return progress
