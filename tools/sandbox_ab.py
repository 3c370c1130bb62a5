"""Paired A/B of execrl's sandbox in two or more checkouts: which judges short jobs faster, and at
what CPU cost. For developers changing the sandbox; the workflow does not use it.

    python tools/sandbox_ab.py ROUNDS BASELINE_CHECKOUT OTHER_CHECKOUT [...]

A machine's speed can drift by tens of percent within minutes, so two runs minutes apart compare
the machine, not the code. Each checkout gets a process of its own, with that checkout first on
its import path (parent and worker code both) and a one-worker Sandbox open; each round asks every
process in turn to judge HumanEval's short canonical solutions once, with their base tests. Printed
per checkout: the median rate; CPU ms per job, of the parent, worker and children together and of
the parent alone (its Python holds the GIL, so that its share bounds the rate one process can
supervise, however many workers and cores); page faults per job in the worker and in its
children; and the median and quartiles of the per-round ratios of rate and CPU time to the
baseline's. Reads results/tasks/ (run `snakemake --cores 2 humaneval_tasks`).

A checkout from `git worktree add` has no built C extension: build it in place there with
`python -c "from setuptools import setup; setup()" build_ext --inplace`.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

TASKS = Path(__file__).resolve().parents[1] / "results" / "tasks"
# The four solutions that run for more than 5 ms (HumanEval/75 for about 300): they measure the
# machine's speed, not the sandbox's cost per job.
SLOW = ("HumanEval/75", "HumanEval/147", "HumanEval/36", "HumanEval/32")

JUDGE = """
import json, os, resource, sys, time
from execrl.sandbox import Sandbox
from execrl.tasks.tiers import read_tasks

jobs = [t.judging_job(t.problem.task_id, t.problem.canonical_solution)
        for t in read_tasks(sys.argv[1], sys.argv[2]) if t.problem.task_id not in sys.argv[3:]]

def worker_counters(pid):  # minflt, cminflt, then utime, stime, cutime, cstime in seconds
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return [int(fields[7]), int(fields[8])] + [int(x) / os.sysconf("SC_CLK_TCK") for x in fields[11:15]]

def own_cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

with Sandbox(workers=1) as box:
    box.run_many(jobs[:10])  # warm up
    pid = box.worker_pids()[0]
    for _ in sys.stdin:
        before, cpu_before, start = worker_counters(pid), own_cpu(), time.perf_counter()
        passed = sum(v.passed for v in box.run_many(jobs))
        seconds = time.perf_counter() - start
        after, cpu = worker_counters(pid), own_cpu() - cpu_before
        n = len(jobs)
        print(json.dumps({
            "passed": passed == n, "per_second": n / seconds,
            "cpu_ms": 1000 * (cpu + sum(after[2:]) - sum(before[2:])) / n, "parent_cpu_ms": 1000 * cpu / n,
            "worker_faults": (after[0] - before[0]) / n, "children_faults": (after[1] - before[1]) / n,
        }), flush=True)
"""


def start_judge(checkout: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    command = [sys.executable, "-c", JUDGE, str(TASKS / "humaneval.jsonl"), str(TASKS / "humaneval_limits.json"), *SLOW]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, cwd="/")


def judge_once(process: subprocess.Popen) -> dict:
    process.stdin.write("run\n")
    process.stdin.flush()
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"a judge process exited (status {process.wait()}); its error is above")
    result = json.loads(line)
    if not result["passed"]:
        raise SystemExit("a canonical solution failed: the checkouts do not judge alike")
    return result


def quartiles(values: list[float]) -> tuple[float, float, float]:
    q1, median, q3 = statistics.quantiles(values, n=4)
    return q1, median, q3


def main() -> None:
    if len(sys.argv) < 4:
        raise SystemExit(__doc__)
    rounds, checkouts = int(sys.argv[1]), [Path(c).resolve() for c in sys.argv[2:]]
    judges = [start_judge(c) for c in checkouts]
    runs: list[list[dict]] = [[] for _ in checkouts]
    try:
        for _ in range(rounds):
            for judge, results in zip(judges, runs):
                results.append(judge_once(judge))
    finally:
        for judge in judges:
            judge.stdin.close()
            judge.wait()
    base = runs[0]
    for checkout, results in zip(checkouts, runs):
        rate = quartiles([r["per_second"] / b["per_second"] for r, b in zip(results, base)])
        cpu = quartiles([r["cpu_ms"] / b["cpu_ms"] for r, b in zip(results, base)])
        print(f"{checkout}: {statistics.median(r['per_second'] for r in results):.0f} jobs/s, "
              f"{statistics.median(r['cpu_ms'] for r in results):.2f} CPU ms/job "
              f"({statistics.median(r['parent_cpu_ms'] for r in results):.2f} of them the parent's), page faults per job "
              f"{statistics.median(r['worker_faults'] for r in results):.0f} in the worker and "
              f"{statistics.median(r['children_faults'] for r in results):.0f} in its children; vs the first: rate "
              f"x{rate[1]:.3f} ({rate[0]:.3f}-{rate[2]:.3f}), CPU x{cpu[1]:.3f} ({cpu[0]:.3f}-{cpu[2]:.3f})")


if __name__ == "__main__":
    main()
