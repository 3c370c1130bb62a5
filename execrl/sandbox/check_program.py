"""Run a self-checking Python program in a fresh interpreter with a wall-clock limit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

ERROR_CHARS = 300


@dataclass(frozen=True)
class CheckResult:
    status: str  # "passed" | "failed" | "timeout"
    error: str  # last line of stderr for failures, "" otherwise

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def run_check_program(program: str, timeout_s: float) -> CheckResult:
    """Run ``program`` with ``python -I`` in a temporary directory; exit status 0 means passed."""
    with tempfile.TemporaryDirectory(prefix="execrl-check-") as workdir:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env={"PATH": os.defpath, "PYTHONHASHSEED": "0"},
            start_new_session=True,
            text=True,
        )
        try:
            _, stderr = proc.communicate(program, timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            return CheckResult("timeout", f"no result within {timeout_s:g} s")
    if proc.returncode == 0:
        return CheckResult("passed", "")
    lines = [line for line in stderr.splitlines() if line.strip()]
    return CheckResult("failed", (lines[-1] if lines else f"exit status {proc.returncode}")[:ERROR_CHARS])


def run_check_programs(programs: Sequence[str], timeout_s: float, workers: int) -> list[CheckResult]:
    """Run many programs, ``workers`` at a time; results keep the order of ``programs``."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda p: run_check_program(p, timeout_s), programs))
