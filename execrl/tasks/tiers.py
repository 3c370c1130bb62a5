"""Test tiers of a HumanEval problem.

The base tier is exactly what HumanEval's ``check()`` feeds the candidate: ``check()`` runs on the
canonical solution, in a trusted subprocess, with the entry point wrapped to record each call's
arguments (copied before the call) and the canonical output. The sandbox then judges candidates on
these inputs against these outputs, so expected values never reach the untrusted process.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from execrl.sandbox import Job, Test, codec
from execrl.io import read_jsonl, write_jsonl
from execrl.tasks.humaneval import HumanEvalProblem, TaskDataError

DEFAULT_ATOL = 1e-6  # HumanEval's checks compare floats with tolerances of 1e-6 or looser
# Tasks whose check() accepts any output with a property rather than one value.
PROPERTY_TASKS = {"HumanEval/32": ("polynomial_root", 1e-4)}  # find_zero: |poly(xs, x)| < 1e-4
MIN_TEST_TIMEOUT_S = 1.0
TIMEOUT_FACTOR = 4  # per-test limit: max(1 s, 4 x the canonical solution's time), as EvalPlus does

_RECORDER = r"""
import copy, json, random, sys, time
from execrl.sandbox import codec
problem = json.loads(sys.stdin.read())
namespace = {"__name__": "canonical"}
exec(problem["prompt"] + problem["canonical_solution"] + "\n" + problem["test"], namespace)
target = namespace[problem["entry_point"]]
calls = []
def recording(*args, **kwargs):
    if kwargs:
        raise TypeError("check() passed keyword arguments; the base tier records positional ones only")
    before = codec.encode(copy.deepcopy(args))
    start = time.perf_counter()
    output = target(*args)
    calls.append({"input": before, "expected": codec.encode(copy.deepcopy(output)), "seconds": time.perf_counter() - start})
    return output
random.seed(0)  # several checks draw random inputs from the unseeded global generator
namespace["check"](recording)
sys.stdout.write(json.dumps(calls))
"""


@dataclass(frozen=True)
class TierTest:
    """One test of a tier: positional arguments, the canonical output, and its time limit."""

    input: tuple[Any, ...]
    expected: Any
    timeout_s: float

    def to_record(self) -> dict[str, Any]:
        return {"input": codec.encode(self.input), "expected": codec.encode(self.expected), "timeout_s": self.timeout_s}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> TierTest:
        return cls(codec.decode_node(record["input"]), codec.decode_node(record["expected"]), record["timeout_s"])


@dataclass(frozen=True)
class HumanEvalTask:
    """A HumanEval problem with its test tiers (the record of results/tasks/humaneval.jsonl)."""

    problem: HumanEvalProblem
    base: tuple[TierTest, ...]

    def to_record(self) -> dict[str, Any]:
        return {**self.problem.__dict__, "base_tests": [t.to_record() for t in self.base]}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> HumanEvalTask:
        fields = {k: record[k] for k in HumanEvalProblem.__dataclass_fields__}
        return cls(HumanEvalProblem(**fields), tuple(TierTest.from_record(t) for t in record["base_tests"]))

    def judging_job(self, job_id: str, completion: str) -> Job:
        return judging_job(job_id, self.problem.program(completion), self.problem.entry_point, self.problem.task_id, self.base)


def write_tasks(path: str | Path, tasks: list[HumanEvalTask]) -> None:
    write_jsonl(path, (t.to_record() for t in tasks))


def read_tasks(path: str | Path) -> list[HumanEvalTask]:
    return [HumanEvalTask.from_record(r) for r in read_jsonl(path)]


def build_tasks(problems: list[HumanEvalProblem], workers: int) -> list[HumanEvalTask]:
    return [HumanEvalTask(p, tuple(t)) for p, t in zip(problems, record_base_tiers(problems, workers))]


def record_base_tier(problem: HumanEvalProblem, timeout_s: float = 120.0) -> list[TierTest]:
    """Run check() on the canonical solution in a trusted subprocess and record every call."""
    proc = subprocess.run(
        [sys.executable, "-c", _RECORDER],
        input=json.dumps(problem.__dict__),
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={"PYTHONHASHSEED": "0", "PATH": "/usr/bin:/bin", "PYTHONPATH": ":".join(p for p in sys.path if p)},
    )
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise TaskDataError(f"{problem.task_id}: check() failed on the canonical solution: {last}")
    calls = json.loads(proc.stdout)
    if not calls:
        raise TaskDataError(f"{problem.task_id}: check() never called the entry point")
    return [
        TierTest(codec.decode_node(c["input"]), codec.decode_node(c["expected"]), per_test_timeout(c["seconds"]))
        for c in calls
    ]


def record_base_tiers(problems: list[HumanEvalProblem], workers: int) -> list[list[TierTest]]:
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(record_base_tier, problems))


def per_test_timeout(canonical_seconds: float) -> float:
    """Whole seconds, so that run-to-run timing noise almost never changes the task file."""
    return float(max(MIN_TEST_TIMEOUT_S, math.ceil(TIMEOUT_FACTOR * canonical_seconds)))


def judging_job(job_id: str, program: str, entry_point: str, task_id: str, tests: Sequence[TierTest]) -> Job:
    """A sandbox job that judges ``program`` on a tier. HumanEval's checks compare with ``==``,
    so an int output may match a float expectation (never a bool)."""
    check, atol = PROPERTY_TASKS.get(task_id, (None, DEFAULT_ATOL))
    return Job(
        id=job_id,
        program=program,
        entry_point=entry_point,
        tests=tuple(Test(t.input, t.expected, check=check, timeout_s=t.timeout_s) for t in tests),
        timeout_s=sum(t.timeout_s for t in tests) + 1.0,
        atol=atol,
        int_float_equal=True,
    )
