"""The trusted side: warm workers, wall-clock enforcement, and the verdict.

``Sandbox(workers=N)`` starts N worker processes (see ``worker.py``). For each job the parent takes
the isolated child an idle worker has ready, writes the program and the test inputs into its job
pipe, and reads its frames until it reports its end, dies, exceeds the output cap or runs out of
time; then it kills the child (through a pidfd, so a recycled pid is never hit) and decides.
Expected values never leave this process.
"""

from __future__ import annotations

import collections
import fcntl
import json
import marshal
import math
import os
import queue
import select
import signal
import socket
import stat
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from execrl.helper import lean_python, python_env
from execrl.sandbox.compare import json_shape, outputs_equal
from execrl.sandbox.properties import PROPERTY_CHECKS
from execrl.sandbox.protocol import PIPE_READ, Report
from execrl.sandbox.records import WALL_PER_CPU, Job, TestOutcome, Verdict
from execrl.sandbox.worker import CHILD_SETUP_FAILED as WORKER_CHILD_FAILED
from execrl.sandbox.worker import CHILDREN, EXIT_INFO, LAYERS, MAX_PROCESSES, UID_BASE

WORKER_LOCALE = ("LANG", "LC_ALL")  # the caller's, beside a helper's environment (execrl.helper.python_env)
# The dynamic linker binds every symbol when the worker starts instead of on first call: a child
# would otherwise resolve (and write, so copy) the linkage of each C function the worker never
# called, in every job (tools/sandbox_ab.py, 12 rounds: 336 page faults per short job, 375 without).
WORKER_LINKING = {"LD_BIND_NOW": "1"}
WORKER_MAIN = "from execrl.sandbox.worker import main; main()"
RECURSION_LIMIT = 20_000
# A SIGKILL after at least this share of the CPU limit is the limit's kill. Not all of it: on a loaded
# virtual machine the CPU time wait4 reports lags the clock the kernel enforces the limit on (measured
# here: 0.75-0.82 s reported for jobs killed at a 1 s limit). Either way the job has failed.
CPU_LIMIT_SHARE = 0.5
# The most threads of a job that can run at once: it is one process (threads allowed) of at most
# MAX_PROCESSES tasks, on the machine's CPUs.
PARALLELISM = min(os.cpu_count() or 1, MAX_PROCESSES)
MIN_WAIT_S = 0.001  # a job near its test's CPU limit is checked at most this often
GRACE_S = 0.5  # after a kill, how long to wait for the worker's exit report before declaring an error
STOPPED_AT_FAILURE = "stopped_at_failure"  # the parent killed the job at its first failing test (Job.stop_at_first_failure)
PASSED, WRONG_ANSWER = TestOutcome("passed"), TestOutcome("wrong", "WrongAnswer", "")  # immutable: tests share them
Progress = Callable[[int, Verdict], None]
# Verdicts wait in order behind a slow job while the other workers go on; a short window would idle
# them (measured: 1.14x with 2 workers on HumanEval, where one solution runs 200-300 ms, at 2 per worker).
WINDOW_PER_WORKER = 64


class SandboxError(RuntimeError):
    """The sandbox itself failed (a worker could not start or died)."""


UID_SLOTS = 4096  # job uids UID_BASE .. UID_BASE + UID_SLOTS - 1, below nobody's 65534
# Root's alone to write, so that no other local user can take the slots first, or plant links in it.
LEASE_DIR = "/run/execrl-uid-leases"


def _lease_slot() -> tuple[int, int | None]:
    """A uid slot no other live worker on this machine holds, and the descriptor of its lock.

    As root a worker's jobs run as UID_BASE + slot. Two sandboxes (say a trainer's and an
    evaluation's) sharing a uid would share its RLIMIT_NPROC budget and could reach each other's
    jobs; an exclusive flock per slot, held for the worker's life and released by the kernel if this
    process dies, keeps every slot to one worker. As any other user, jobs run as that user: there is
    no uid to lease, and nothing is written."""
    if os.geteuid() != 0:
        return 0, None
    folder = _lease_dir()
    for slot in range(UID_SLOTS):
        fd = os.open(os.path.join(folder, str(slot)), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return slot, fd
    raise SandboxError(f"all {UID_SLOTS} sandbox uid slots are in use: too many sandbox workers on this machine")


def _lease_dir() -> str:
    os.makedirs(LEASE_DIR, mode=0o700, exist_ok=True)
    info = os.lstat(LEASE_DIR)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise SandboxError(f"{LEASE_DIR} must be a directory that only root can write (it is "
                           f"{stat.filemode(info.st_mode)}, owner uid {info.st_uid}): remove it, and the sandbox "
                           "makes it anew")
    return LEASE_DIR


class _WorkerHandle:
    """One worker process and the socket to it; used by one thread at a time."""

    def __init__(self) -> None:
        self.slot, self._lease = _lease_slot()
        self.offers: collections.deque[tuple[int, list[int]]] = collections.deque()  # standbys: pid, [pidfd, job_w, result_r]
        self.exits: dict[int, tuple[bool, int, float]] = {}  # exit reports not yet claimed, by pid
        self.unclaimed: set[int] = set()  # pids of jobs decided without their exit report
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = python_env() | WORKER_LINKING | {k: os.environ[k] for k in WORKER_LOCALE if k in os.environ}
        try:
            with theirs:
                self.process = subprocess.Popen(
                    lean_python(WORKER_MAIN, str(theirs.fileno()), str(self.slot)),
                    pass_fds=[theirs.fileno()],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    env=env,
                    cwd="/",
                )
        except BaseException:
            ours.close()
            self._release()
            raise
        self.sock = ours
        ready = self.sock.recv(1 << 16)
        if not ready:
            self.close()
            raise SandboxError(f"sandbox worker {self.slot} exited during setup (exit status {self.process.returncode})")
        self.layers: dict[str, dict[str, Any]] = json.loads(ready)

    def take_child(self) -> tuple[int, list[int]]:
        """The oldest standby child on offer (the worker forks the next once this one has exited)."""
        while not self.offers:
            self.receive()
        return self.offers.popleft()

    def receive(self) -> None:
        """One message from the worker: a child on offer, or a child's exit report."""
        message, fds, _, _ = socket.recv_fds(self.sock, 64, 3)
        if len(message) == 4 and len(fds) == 3:
            self.offers.append((struct.unpack("<i", message)[0], fds))
            return
        for fd in fds:
            os.close(fd)
        if len(message) != EXIT_INFO.size:
            raise SandboxError(f"sandbox worker {self.slot} died")
        pid, signalled, code, cpu = EXIT_INFO.unpack(message)
        if pid in self.unclaimed:
            self.unclaimed.discard(pid)
        else:
            self.exits[pid] = (bool(signalled), code, cpu)

    def close(self) -> None:
        for _, fds in self.offers:
            for fd in fds:
                os.close(fd)
        self.offers.clear()
        self.sock.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._release()  # only now, with the worker and so its jobs gone

    def _release(self) -> None:
        if self._lease is not None:
            os.close(self._lease)
            self._lease = None


class Sandbox:
    """A pool of warm workers. Use as a context manager, or call ``close()``."""

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._idle: queue.Queue[_WorkerHandle] = queue.Queue()
        self._handles: list[_WorkerHandle] = []
        self._lock = threading.Lock()
        try:
            for _ in range(workers):
                self._add(_WorkerHandle())
        except BaseException:
            self.close()
            raise
        self.workers = workers

    def _add(self, handle: _WorkerHandle) -> None:
        with self._lock:
            self._handles.append(handle)
        self._idle.put(handle)

    def capabilities(self) -> dict[str, dict[str, Any]]:
        """Each isolation layer, whether it is active here, and what it does or why it is not."""
        return {layer: self._handles[0].layers[layer] for layer in LAYERS}

    def worker_pids(self) -> list[int]:
        return [h.process.pid for h in self._handles]

    def standby_pids(self) -> set[int]:
        """Children forked ahead of their job and waiting for it: they have run no job code.
        (A diagnostic: call it while no job is running.)"""
        for handle in self._handles:
            while len(handle.offers) < CHILDREN and select.select([handle.sock], [], [], 0.5)[0]:
                handle.receive()
        return {pid for h in self._handles for pid, _ in h.offers}

    def job_uids(self) -> set[int]:
        """The uids jobs run as (empty where the sandbox cannot switch uid)."""
        if not self.capabilities()["unprivileged_uid"]["active"]:
            return set()
        return {UID_BASE + h.slot for h in self._handles}

    def run(self, job: Job) -> Verdict:
        """The job's verdict. Where its worker fails (it died, or broke the protocol with the
        parent), the worker is replaced and the job run once more on the fresh one: a job must not
        pay for what an earlier one did to its worker. Only a second failure is a sandbox_error."""
        handle = self._idle.get()
        try:
            for _ in range(2):
                try:
                    return _execute(handle, job)
                except (OSError, SandboxError, struct.error) as exc:
                    failure = f"{type(exc).__name__}: {exc}"
                    try:
                        handle = self._replace(handle)
                    except (OSError, SandboxError) as start:  # say, no pid left on the machine to start one
                        return sandbox_error(job, f"{failure}; no worker could replace it: {start}")
            return sandbox_error(job, f"the worker failed twice on this job; last: {failure}")
        finally:
            self._idle.put(handle)

    def _replace(self, broken: _WorkerHandle) -> _WorkerHandle:
        with self._lock:  # a handle whose replacement failed to start comes back once more
            if broken in self._handles:
                self._handles.remove(broken)
        broken.process.kill()
        broken.close()
        fresh = _WorkerHandle()
        with self._lock:
            self._handles.append(fresh)
        return fresh

    def imap(self, jobs: Iterable[Job], progress: Progress | None = None) -> Iterator[Verdict]:
        """Verdicts in the order of ``jobs``; at most WINDOW_PER_WORKER jobs per worker are queued."""
        verdicts = map(self.run, jobs) if self.workers == 1 else self._imap_threaded(jobs)
        for done, verdict in enumerate(verdicts, start=1):
            if progress:
                progress(done, verdict)
            yield verdict

    def _imap_threaded(self, jobs: Iterable[Job]) -> Iterator[Verdict]:
        window: collections.deque[Future[Verdict]] = collections.deque()
        with ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="execrl-sandbox") as pool:
            for job in jobs:
                window.append(pool.submit(self.run, job))
                if len(window) >= WINDOW_PER_WORKER * self.workers:
                    yield window.popleft().result()
            while window:
                yield window.popleft().result()

    def run_many(self, jobs: Iterable[Job], progress: Progress | None = None) -> list[Verdict]:
        return list(self.imap(jobs, progress))

    def close(self) -> None:
        with self._lock:
            handles, self._handles = self._handles, []
        for handle in handles:
            handle.close()

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def run(job: Job) -> Verdict:
    """Judge one job in a fresh one-worker sandbox (for many jobs, keep a ``Sandbox`` open)."""
    with Sandbox(workers=1) as sandbox:
        return sandbox.run(job)


def run_many(jobs: Iterable[Job], workers: int = 1, progress: Progress | None = None) -> list[Verdict]:
    with Sandbox(workers=workers) as sandbox:
        return sandbox.run_many(jobs, progress)


def capabilities() -> dict[str, dict[str, Any]]:
    with Sandbox(workers=1) as sandbox:
        return sandbox.capabilities()


# --- one job -------------------------------------------------------------------------------------


def _cpu_limit(job: Job) -> float:
    """The job's CPU seconds, as the child sets its RLIMIT_CPU (whole seconds, at least one)."""
    return max(1, math.ceil(job.cpu_s if job.cpu_s is not None else job.timeout_s))


def _payload(job: Job) -> bytes:
    """The job as the child reads it: marshal, which keeps every plain type exact and loads fast.
    (Only trusted data travels this way; what comes back is parsed by the strict codec.)"""
    limits = {
        "cpu_s": job.cpu_s if job.cpu_s is not None else job.timeout_s,
        "memory_mb": job.memory_mb,
        "recursion_limit": RECURSION_LIMIT,
    }
    return marshal.dumps((job.program, job.entry_point, [tuple(test.input) for test in job.tests], limits))


def _execute(handle: _WorkerHandle, job: Job) -> Verdict:
    pending = memoryview(_payload(job))
    pid, (pidfd, job_w, result_r) = handle.take_child()
    start = time.monotonic()
    pending = _write_some(job_w, pending)  # non-blocking (set by the worker); most jobs fit in the pipe at once
    report = Report(n_tests=len(job.tests))
    try:
        reason, exit_info = _supervise(handle, job, start, pid, pidfd, job_w, pending, result_r, report)
    finally:
        os.close(pidfd)
        os.close(result_r)
    return decide(job, report, reason, exit_info, wall_s=time.monotonic() - start)


def _supervise(
    handle: _WorkerHandle, job: Job, start: float, pid: int, pidfd: int, job_w: int, pending: memoryview,
    result_r: int, report: Report,
) -> tuple[str | None, tuple[bool, int, float] | None]:
    """Feed the job, read frames, enforce the deadlines; return (why we killed, exit info).

    A job that reported to the end is killed at once and decided without waiting for its exit
    report; any other job's verdict waits for how it ended (signal, exit status, CPU time)."""
    job_deadline = start + job.timeout_s
    poller = select.poll()
    poller.register(result_r, select.POLLIN)
    poller.register(handle.sock.fileno(), select.POLLIN)
    if pending:
        poller.register(job_w, select.POLLOUT)
    else:
        os.close(job_w)
        job_w = -1
    received = 0
    reason: str | None = None
    reading = True
    judged = 0  # tests already checked for stop_at_first_failure
    last_report, marker = time.monotonic(), (False, 0)
    cpu_clock = _cpu_clock(pid)
    cpu_mark = 0.0  # the job's CPU time at its last report
    try:
        while reading or (pid not in handle.exits and reason != "finished"):
            now = time.monotonic()
            deadline, until_cpu_limit = _test_limits(job, report, job_deadline, now, last_report, cpu_clock, cpu_mark)
            if reason is None and (now >= deadline or until_cpu_limit <= 0):
                reason = "timeout"
                _kill(pidfd)
            if reason is not None and pid not in handle.exits and now >= deadline + GRACE_S + job.timeout_s:
                raise SandboxError("worker did not report the child's exit")
            wait = max(MIN_WAIT_S, min(deadline - now, until_cpu_limit)) if reason is None else GRACE_S
            for fd, _ in poller.poll(wait * 1000):
                if fd == job_w:
                    pending = _write_some(job_w, pending)
                    if not pending:
                        poller.unregister(job_w)
                        os.close(job_w)
                        job_w = -1
                elif fd == result_r:
                    data = os.read(result_r, PIPE_READ)
                    if not data:
                        reading = False
                        poller.unregister(result_r)
                        continue
                    received += len(data)
                    report.feed(data)
                    if (report.loaded, len(report.results)) != marker:  # a per-test limit restarts
                        last_report, marker = time.monotonic(), (report.loaded, len(report.results))
                        cpu_mark = _cpu_seconds(cpu_clock)
                    if (received > job.max_output_bytes or report.over_budget) and reason is None:
                        reason = "output_limit"
                        _kill(pidfd)
                    if job.stop_at_first_failure and reason is None:
                        if any(not _outcome(job, i, report).passed for i in range(judged, len(report.results))):
                            reason = STOPPED_AT_FAILURE
                            _kill(pidfd)
                        judged = len(report.results)
                    if (report.ended or report.protocol_error) and reading:
                        reading = False
                        poller.unregister(result_r)
                        if reason is None:
                            _kill(pidfd)  # done: nothing the program does from here on counts
                            reason = "finished"
                else:
                    handle.receive()
                    if pid in handle.exits and reading:  # the child is gone; its pipe closes unless
                        job_deadline = min(job_deadline, time.monotonic() + GRACE_S)  # a straggler holds it
                        if reason is None and time.monotonic() >= job_deadline:
                            reading = False
    finally:
        if job_w >= 0:
            os.close(job_w)
    exit_info = handle.exits.pop(pid, None)
    if exit_info is None:
        handle.unclaimed.add(pid)
    return (None if reason == "finished" else reason), exit_info


def _test_limits(
    job: Job, report: Report, job_deadline: float, now: float, last_report: float, cpu_clock: int, cpu_mark: float
) -> tuple[float, float]:
    """The wall-clock deadline now, and the wall time before the running test could reach its CPU
    limit (at most 0 once it has; inf without a limit of its own). A test's limit binds on CPU
    time, which a busy machine barely moves, so the same program gets the same verdict however
    loaded the machine; its wall-clock backstop, WALL_PER_CPU times the limit, stops a program that
    sleeps or blocks. A job's threads spend CPU time at most PARALLELISM times as fast as the clock
    runs, so the CPU clock is read only once the limit could have been reached, and what is left of
    the limit comes back divided by PARALLELISM."""
    index = len(report.results)
    if not (report.loaded and index < len(job.tests) and job.tests[index].timeout_s is not None):
        return job_deadline, math.inf
    limit = job.tests[index].timeout_s
    deadline = min(job_deadline, last_report + WALL_PER_CPU * limit)
    if (now - last_report) * PARALLELISM < limit:
        return deadline, limit / PARALLELISM - (now - last_report)
    return deadline, (limit - (_cpu_seconds(cpu_clock) - cpu_mark)) / PARALLELISM


def _cpu_clock(pid: int) -> int:
    """The clock id of a process's CPU time (the kernel's MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED))."""
    return (~pid << 3) | 2


def _cpu_seconds(clock: int) -> float:
    """CPU time of the job's process, all its threads; 0 once the process is gone (its exit decides)."""
    try:
        return time.clock_gettime(clock)
    except OSError:
        return 0.0


def _write_some(fd: int, pending: memoryview) -> memoryview:
    """Write what the pipe takes now; what is left."""
    try:
        while pending:
            pending = pending[os.write(fd, pending) :]
    except BlockingIOError:
        pass
    except BrokenPipeError:
        return pending[len(pending) :]  # the child is gone; its verdict comes from what it reported
    return pending


def _kill(pidfd: int) -> None:
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)  # init of its PID namespace: all of it dies
    except ProcessLookupError:
        pass


# --- the decision (pure) -------------------------------------------------------------------------


def decide(
    job: Job, report: Report, reason: str | None, exit_info: tuple[bool, int, float] | None, wall_s: float
) -> Verdict:
    """Turn what the child reported, and how it ended, into a verdict. A test without a valid
    report fails; nothing the child does can turn a missing or wrong result into a pass."""
    outcomes = _outcomes(job, report, stopped=reason == STOPPED_AT_FAILURE)
    failing = [o for o in outcomes if o.status != "passed"]
    # The job's own report, where the worker's is not awaited, is only believed up to the CPU limit.
    reported = min(report.reported_cpu_s or 0.0, _cpu_limit(job))
    signalled, code, cpu = exit_info if exit_info else (False, 0, reported)
    status = _status(job, report, reason, signalled, code, cpu, failing)
    first_error = failing[0].error_type if failing else None
    if report.load_error:
        first_error = report.load_error[1]
    elif status in ("timeout", "output_limit", "killed") and first_error in (None, "MissingResult"):
        first_error = {"timeout": "Timeout", "output_limit": "OutputLimit"}.get(status, f"Signal{code}")
    return Verdict(
        id=job.id,
        status=status,
        tests_passed=len(outcomes) - len(failing),
        tests_run=len(outcomes) - sum(o.status == "missing" for o in failing),
        tests_total=len(job.tests),
        parsed=report.parsed,
        loaded=report.loaded,
        first_error=first_error,
        wall_s=round(wall_s, 6),
        cpu_s=round(cpu, 6),
        outcomes=outcomes,
    )


def _outcomes(job: Job, report: Report, stopped: bool) -> tuple[TestOutcome, ...]:
    """One outcome per test. A job stopped at its first failure counts nothing after that failure,
    although more reports may have arrived before the kill: the verdict must not depend on timing."""
    outcomes = []
    for i in range(len(job.tests)):
        if stopped and outcomes and not outcomes[-1].passed:
            outcomes += [TestOutcome("missing", "MissingResult", "not judged: stopped at the first failure")] * (len(job.tests) - i)
            break
        outcomes.append(_outcome(job, i, report))
    return tuple(outcomes)


def _status(job, report, reason, signalled, code, cpu, failing) -> str:
    if report.load_error:
        stage, error_type, _ = report.load_error
        if stage == "parse":
            return "syntax_error"
        return "memory_exceeded" if error_type == "MemoryError" else "runtime_error"
    if job.tests and not failing:  # one outcome per test
        return "passed"
    if reason in ("timeout", "output_limit"):
        return reason
    if any(o.error_type == "MemoryError" for o in failing):
        return "memory_exceeded"
    if reason == STOPPED_AT_FAILURE:
        return "failed"
    if report.ended or report.protocol_error:
        return "failed"  # a complete (or forged) report; how the process ended afterwards is ours
    if signalled and code == signal.SIGKILL and cpu >= CPU_LIMIT_SHARE * _cpu_limit(job):
        return "timeout"  # the CPU-time limit's kill
    if signalled:
        return "killed"
    if not report.parsed and code == WORKER_CHILD_FAILED:
        return "sandbox_error"  # no program code runs before the parse is reported
    return "failed"  # exited early: the unreported tests fail


def _outcome(job: Job, index: int, report: Report) -> TestOutcome:
    if index >= len(report.results):
        why = report.protocol_error or "the program ended or was stopped before reporting this test"
        return TestOutcome("missing", "MissingResult", why)
    kind, *rest = report.results[index]
    if kind == "raise":
        return TestOutcome("error", rest[0], rest[1])
    if kind == "unserialisable":
        return TestOutcome("unserialisable", "Unserialisable", rest[0])
    test = job.tests[index]
    output = json_shape(rest[0]) if job.json_outputs else rest[0]
    if test.check is not None:
        ok = PROPERTY_CHECKS[test.check](tuple(test.input), output, test.expected, job.atol)
    else:
        ok = outputs_equal(output, test.expected, job.atol, job.int_float_equal)
    return PASSED if ok else WRONG_ANSWER


def sandbox_error(job: Job, message: str) -> Verdict:
    """The verdict on a job the sandbox itself could not judge: every test missing."""
    outcomes = tuple(TestOutcome("missing", "SandboxError", message) for _ in job.tests)
    return Verdict(job.id, "sandbox_error", 0, 0, len(job.tests), False, False, "SandboxError", 0.0, 0.0, outcomes)
