"""Where a sandbox job's child takes its page faults, by the worker mapping each one hits. For
developers changing the sandbox; the workflow does not use it.

    python tools/child_faults.py [SECONDS]

Needs perf (Debian: linux-perf) and root (the jobs run under uids of their own). A one-worker
Sandbox judges HumanEval's short canonical solutions in a loop for SECONDS (default 4) while
`perf record -e page-faults -d` follows the worker and every child it forks, recording each
fault's address. A child starts as a copy of the worker, so each child's fault is attributed to
the worker's mapping at that address (an address outside all of them is in memory the child mapped
itself). Printed: faults per child by mapping, most first. Faults on the heap and on libpython's
data are mostly writes: copies of pages the worker shares with its children, or fresh pages. Faults
on code and read-only data (r-xp, r--p) map page-cache pages, as fork copies no page-table entries
for a file mapping the worker never wrote. Reads results/tasks/ (run
`snakemake --cores 2 humaneval_tasks`).
"""

from __future__ import annotations

import bisect
import collections
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from sandbox_ab import SLOW, TASKS

from execrl.sandbox import Sandbox
from execrl.tasks.tiers import read_tasks

OWN_MAPPING = "(mapped by the child itself)"


def worker_mappings(pid: int) -> list[tuple[int, int, str]]:
    """(start, end, "name perms") for each mapping of a process, sorted by start."""
    mappings = []
    with open(f"/proc/{pid}/maps") as fh:
        for line in fh:
            fields = line.split()
            start, end = (int(x, 16) for x in fields[0].split("-"))
            name = os.path.basename(fields[5]) if len(fields) > 5 else "[anon]"
            mappings.append((start, end, f"{name} {fields[1]}"))
    return sorted(mappings)


def record_faults(worker: int, box: Sandbox, jobs: list, seconds: float, data: str) -> int:
    """Judge ``jobs`` in a loop for ``seconds`` under perf; the number of jobs judged."""
    perf = subprocess.Popen(["perf", "record", "-q", "-e", "page-faults", "-c", "1", "-d", "-p", str(worker), "-o", data])
    time.sleep(1)  # perf attaches
    judged, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        judged += len(box.run_many(jobs))
    perf.send_signal(signal.SIGINT)
    if perf.wait() not in (0, -signal.SIGINT, 128 + signal.SIGINT):  # stopped by the SIGINT, its data written
        raise SystemExit("perf record failed: see its message above (it needs linux-perf and the right to trace)")
    return judged


def faults_by_mapping(data: str, worker: int, mappings: list[tuple[int, int, str]]) -> tuple[int, collections.Counter]:
    """The number of children seen, and their faults counted by the worker mapping they hit."""
    script = subprocess.run(["perf", "script", "-i", data, "-F", "pid,addr"], capture_output=True, text=True, check=True)
    starts = [start for start, _, _ in mappings]
    children: set[int] = set()
    counts: collections.Counter = collections.Counter()
    for line in script.stdout.splitlines():
        pid_text, address_text = line.split()
        pid, address = int(pid_text), int(address_text, 16)
        if pid == worker:
            continue
        children.add(pid)
        i = bisect.bisect_right(starts, address) - 1
        counts[mappings[i][2] if i >= 0 and address < mappings[i][1] else OWN_MAPPING] += 1
    return len(children), counts


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 4.0
    if shutil.which("perf") is None:
        raise SystemExit("perf is not installed (Debian: apt-get install linux-perf)")
    tasks = read_tasks(TASKS / "humaneval.jsonl", TASKS / "humaneval_limits.json")
    jobs = [t.judging_job(t.problem.task_id, t.problem.canonical_solution) for t in tasks if t.problem.task_id not in SLOW]
    with Sandbox(workers=1) as box, tempfile.TemporaryDirectory() as scratch:
        box.run_many(jobs[:10])  # warm up
        worker = box.worker_pids()[0]
        mappings = worker_mappings(worker)
        data = os.path.join(scratch, "faults.data")
        judged = record_faults(worker, box, jobs, seconds, data)
        children, counts = faults_by_mapping(data, worker, mappings)
    if not children:
        raise SystemExit("perf recorded no fault in a child")
    print(f"{judged} jobs judged, {children} children seen, {sum(counts.values()) / children:.0f} page faults "
          "per child, by the worker mapping they hit:")
    for mapping, count in counts.most_common():
        if count / children >= 0.5:
            print(f"{count / children:8.1f}  {mapping}")


if __name__ == "__main__":
    main()
