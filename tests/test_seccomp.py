"""The sandbox's two seccomp filters, run by a small classic-BPF interpreter: every call the sandbox
denies is denied to a job by the stack of both, and the worker's own filter leaves the calls its loop
makes. (test_sandbox.py checks that the kernel enforces them on real jobs.)"""

from __future__ import annotations

import errno
import struct

import pytest

from execrl.sandbox import kernel

X86_64 = 0xC000003E
ALLOW, KILL_PROCESS = 0x7FFF0000, 0x80000000
EPERM, ENOSYS = 0x00050000 | errno.EPERM, 0x00050000 | errno.ENOSYS


def run_filter(program: bytes, nr: int, args: tuple[int, ...] = (), arch: int = X86_64) -> int:
    """The filter's return value for one call: classic BPF over struct seccomp_data."""
    data = struct.pack("<iIQ6Q", nr, arch, 0, *(list(args) + [0] * 6)[:6])
    instructions = [struct.unpack("=HBBI", program[i : i + 8]) for i in range(0, len(program), 8)]
    accumulator, pc = 0, 0
    while True:
        code, jt, jf, k = instructions[pc]
        if code == 0x20:  # BPF_LD | BPF_W | BPF_ABS
            accumulator = struct.unpack_from("<I", data, k)[0]
        elif code == 0x06:  # BPF_RET | BPF_K
            return k
        elif code == 0x05:  # BPF_JMP | BPF_JA
            pc += k
        elif code in (0x15, 0x35, 0x45):  # BPF_JMP | JEQ, JGE, JSET with BPF_K
            taken = {0x15: accumulator == k, 0x35: accumulator >= k, 0x45: bool(accumulator & k)}[code]
            pc += jt if taken else jf
        else:
            raise AssertionError(f"instruction {code:#x} at {pc} is not one the sandbox's filters use")
        pc += 1


JOB_PID = 4242


def job_filter(pid: int = JOB_PID) -> bytes:
    """The job's filter as a child with this pid installs it (_forkserver.c writes its pid in)."""
    return kernel.job_seccomp_filter().replace(struct.pack("<I", kernel.SELF_PID), struct.pack("<I", pid))


def stacked(nr: int, args: tuple[int, ...] = (), arch: int = X86_64) -> int:
    """What a job gets: the kernel runs every filter and keeps the strictest action (the lowest as s32)."""
    results = [run_filter(f, nr, args, arch) for f in (kernel.worker_seccomp_filter(), job_filter())]
    return min(results, key=lambda value: struct.unpack("<i", struct.pack("<I", value & 0xFFFF0000))[0])


DENIED = {**kernel._X86_64_DENIED_EVERYWHERE, **kernel._X86_64_DENIED_TO_JOBS}
# From the x86_64 syscall table, independently of kernel.py: escapes DESIGN.md section 3 names.
MUST_DENY = {41: "socket", 101: "ptrace", 165: "mount", 272: "unshare", 308: "setns", 109: "setpgid", 112: "setsid",
             90: "chmod", 92: "chown", 321: "bpf", 425: "io_uring_setup", 310: "process_vm_readv", 246: "kexec_load",
             57: "fork", 58: "vfork", 200: "tkill", 434: "pidfd_open", 424: "pidfd_send_signal", 438: "pidfd_getfd",
             319: "memfd_create", 73: "flock"}
# Calls that name a target process by their first argument, from the x86_64 syscall table: a job may
# name only itself (0 or its pid).
SELF_ONLY = {62: "kill", 234: "tgkill", 129: "rt_sigqueueinfo", 297: "rt_tgsigqueueinfo", 302: "prlimit64",
             203: "sched_setaffinity", 142: "sched_setparam", 144: "sched_setscheduler", 314: "sched_setattr",
             256: "migrate_pages", 279: "move_pages", 274: "get_robust_list"}


def test_the_escapes_design_names_are_all_denied():
    assert {nr: DENIED.get(nr) for nr in MUST_DENY} == MUST_DENY


@pytest.mark.parametrize("nr", sorted(DENIED), ids=lambda nr: DENIED[nr])
def test_a_job_is_refused_every_denied_call(nr):
    assert stacked(nr) == EPERM


# unshare, setns, setsid, chmod, fchmodat, chown: the worker's loop and each child's isolation make them.
@pytest.mark.parametrize("nr", [272, 308, 112, 90, 268, 92])
def test_the_worker_keeps_the_calls_its_loop_makes(nr):
    assert run_filter(kernel.worker_seccomp_filter(), nr) == ALLOW
    assert run_filter(job_filter(), nr) == EPERM


# read, write, open, close, mmap, getpid, exit, wait4, exit_group, waitid, getrandom; and what the
# worker's loop and each child's isolation also make: poll, recvfrom, sendmsg, kill (of its own group),
# chdir, setgroups, setresuid, setresgid, prctl, getdents64, openat, unlinkat, pipe2, close_range,
# landlock_restrict_self, capset.
@pytest.mark.parametrize("nr", [0, 1, 2, 3, 9, 39, 60, 61, 231, 247, 318, 7, 45, 46, 62, 80, 116, 117, 119, 157,
                                217, 257, 263, 293, 436, 446, 126])
def test_ordinary_calls_are_allowed(nr):
    assert stacked(nr) == ALLOW


def test_the_worker_may_fork_and_a_job_may_start_threads_but_no_process():
    sigchld, thread = 17, 0x3D0F00  # glibc's fork(); pthread_create's flags (CLONE_VM .. CLONE_CHILD_CLEARTID)
    assert run_filter(kernel.worker_seccomp_filter(), 56, (sigchld,)) == ALLOW
    assert stacked(56, (sigchld,)) == EPERM
    assert stacked(56, (thread,)) == ALLOW
    for flag in (kernel.CLONE_NEWUSER, kernel.CLONE_NEWPID, kernel.CLONE_NEWNET, kernel.CLONE_NEWNS):
        assert stacked(56, (thread | flag,)) == EPERM


def test_fcntl_may_not_lock_lease_or_watch_but_does_the_rest():
    # F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW, F_SETLEASE, F_NOTIFY, from fcntl.h
    for command in (6, 7, 37, 38, 1024, 1026):
        assert stacked(72, (3, command)) == EPERM
    # F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_GETLK, F_DUPFD_CLOEXEC, F_GETLEASE
    for command in (0, 1, 2, 3, 4, 5, 1030, 1025):
        assert stacked(72, (3, command)) == ALLOW


@pytest.mark.parametrize("nr", sorted(SELF_ONLY), ids=lambda nr: SELF_ONLY[nr])
def test_a_job_may_name_only_itself(nr):
    assert stacked(nr, (0,)) == ALLOW
    assert stacked(nr, (JOB_PID,)) == ALLOW
    for other in (1, JOB_PID + 1, 2**32 - 1):  # init, a neighbour (say the next job), kill(-1)'s everyone
        assert stacked(nr, (other,)) == EPERM
    assert run_filter(job_filter(pid=JOB_PID + 1), nr, (JOB_PID + 1,)) == ALLOW  # the pid is each child's own


@pytest.mark.parametrize(("nr", "own", "user"), [(141, (0, 1), 2), (251, (1, 2), 3)], ids=["setpriority", "ioprio_set"])
def test_priorities_only_of_the_job_itself_never_of_its_user(nr, own, user):
    for which in own:
        assert stacked(nr, (which, 0)) == ALLOW
        assert stacked(nr, (which, JOB_PID)) == ALLOW
        assert stacked(nr, (which, JOB_PID + 1)) == EPERM
    assert stacked(nr, (user, 0)) == EPERM  # every process of the caller's uid
    assert stacked(nr, (user, JOB_PID)) == EPERM


def test_clone3_and_the_x32_abi_are_unavailable_and_a_foreign_arch_is_killed():
    assert stacked(435) == ENOSYS
    assert stacked(0x40000000 | 39) == ENOSYS
    assert stacked(39, arch=0x40000003) == KILL_PROCESS  # i386
    assert run_filter(job_filter(), 39, arch=0x40000003) == KILL_PROCESS


def test_the_per_job_filter_is_short_and_fits_the_child_copy():
    # Each job's child compiles its filter, at a cost that grows with its length (see kernel.py), and
    # copies it onto its stack to write its pid in (_forkserver.c: MAX_JOB_FILTER, 256).
    assert len(kernel.job_seccomp_filter()) // 8 <= 64
