"""Processes a job or a command left behind: found in /proc, or counted under a child subreaper.

``python -m execrl.leftovers REPORT.json COMMAND...`` runs COMMAND with this process's standard
streams, as a child subreaper (prctl PR_SET_CHILD_SUBREAPER): a process that outlives its parent
somewhere below is re-parented here, not to init, so once COMMAND has exited every live child of
this process is one it left running. Those still alive after a grace period (a killed process takes
a moment to be torn down on a loaded machine) are counted, killed and reaped, and so in turn are
the children each leaves re-parented here; REPORT gets
``{"returncode": int, "leftovers": int}`` (negative returncode: killed by that signal), and this
process exits with COMMAND's status. It imports nothing but the standard library, and writes
nothing to stdout: the command's stdout is what its caller checks.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Set
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36
GRACE_S = 2.0


def run_counting_leftovers(command: list[str], grace_s: float = GRACE_S) -> tuple[int, int]:
    """(COMMAND's exit status, how many processes it left alive after ``grace_s``). This process
    becomes a child subreaper for good: call it from a process of its own (``main``)."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) refused")
    returncode = subprocess.call(command)
    deadline = time.monotonic() + grace_s
    while (left := _live_children()) and time.monotonic() < deadline:
        time.sleep(0.05)
    counted = 0
    while left:  # the children of each killed process are re-parented here in turn, before it is reaped
        for pid in left:
            os.kill(pid, signal.SIGKILL)  # a child of ours, not yet reaped: its pid cannot have been reused
        for pid in left:
            os.waitpid(pid, 0)
        counted += len(left)
        left = _live_children()
    return returncode, counted


def live_processes() -> Iterator[tuple[int, dict[str, str]]]:
    """Each live process (zombies left out) with the fields of its /proc/PID/status."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except OSError:
            continue
        if not fields["State"].strip().startswith("Z"):
            yield int(entry), fields


def processes_of(uids: Set[int], sessions: Set[int] = frozenset()) -> list[int]:
    """Live processes owned by one of ``uids`` or in one of ``sessions`` (session ids as this
    process's PID namespace numbers them): after a verdict there must be none of a job's."""
    return sorted(pid for pid, fields in live_processes()
                  if int(fields["Uid"].split()[0]) in uids or int(fields["NSsid"].split()[0]) in sessions)


def _live_children() -> list[int]:
    """Children of this process that are not zombies; zombies are reaped on the way."""
    _reap_zombies()
    me = str(os.getpid())
    return [pid for pid, fields in live_processes() if fields["PPid"].strip() == me]


def _reap_zombies() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def main() -> None:
    report, command = Path(sys.argv[1]), sys.argv[2:]
    returncode, leftovers = run_counting_leftovers(command)
    report.write_text(json.dumps({"returncode": returncode, "leftovers": leftovers}))
    raise SystemExit(returncode if returncode >= 0 else 128 - returncode)  # as a shell reports a signal


if __name__ == "__main__":
    main()
