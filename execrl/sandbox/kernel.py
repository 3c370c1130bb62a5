"""Linux kernel interfaces the sandbox's setup needs that the standard library lacks, through ctypes.

Namespaces (unshare, setns), mounts, prctl, seccomp-BPF filters and Landlock rulesets (the worker
installs its filter, and each job's child enters its ruleset and filter, in ``_forkserver.c``).
Every function raises OSError with the failing call's name; callers decide whether a layer is
optional.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_NEWCGROUP = 0x02000000
NAMESPACE_FLAGS = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP

MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 4096, 16384, 1 << 18
MNT_DETACH = 2
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
libc.syscall.restype = ctypes.c_long

def _check(result: int, what: str) -> int:
    if result < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return result


def unshare(flags: int) -> None:
    _check(libc.unshare(flags), f"unshare({flags:#x})")


def setns(fd: int, nstype: int) -> None:
    _check(libc.setns(fd, nstype), "setns")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    def enc(s: str | None) -> bytes | None:
        return s.encode() if s is not None else None

    _check(libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)), f"mount {target}")


def umount(target: str) -> None:
    _check(libc.umount2(target.encode(), MNT_DETACH), f"umount {target}")


def prctl(option: int, arg: int) -> None:
    _check(libc.prctl(option, arg, 0, 0, 0), f"prctl({option})")


# --- seccomp: deny the calls an untrusted solution never needs and an escape always does ----------
#
# Two filters, which the kernel stacks (a call is refused if either refuses it). The worker installs
# the first on itself once its setup is done, and every child inherits it at no cost; each job's
# child adds the second, the few calls the worker's loop still makes. Installing a filter compiles
# it, at a cost that grows with its length (tools/isolation_cost.c, in a forked child here: 280-370
# us for 106 instructions, about the single filter of old, 73-89 us for the 18 of each job's now),
# so the per-job one is kept short.

_X86_64_DENIED_EVERYWHERE = {
    41: "socket", 101: "ptrace", 165: "mount", 166: "umount2", 155: "pivot_root", 161: "chroot",
    248: "add_key", 249: "request_key", 250: "keyctl", 321: "bpf", 323: "userfaultfd", 298: "perf_event_open",
    425: "io_uring_setup", 426: "io_uring_enter", 427: "io_uring_register", 310: "process_vm_readv",
    311: "process_vm_writev", 312: "kcmp", 246: "kexec_load", 175: "init_module", 313: "finit_module",
    169: "reboot", 167: "swapon",
    # Landlock does not cover a file's extended attributes or times (see the mode and owner below).
    188: "setxattr", 189: "lsetxattr", 190: "fsetxattr", 197: "removexattr", 198: "lremovexattr",
    199: "fremovexattr", 132: "utime", 235: "utimes", 261: "futimesat", 280: "utimensat",
    # Calls that act on another process by a pid or pidfd the caller names. tkill's thread id may be
    # any process's; glibc signals its own threads with tgkill, which is checked below.
    200: "tkill", 424: "pidfd_send_signal", 438: "pidfd_getfd", 440: "process_madvise", 448: "process_mrelease",
    # A job is one process (threads allowed; see clone in the job's filter), so that its CPU time,
    # address space and process count are the kernel's per-process limits and clock, which then hold
    # for the whole job. glibc's fork() is clone(), which the worker makes; these two it never does.
    57: "fork", 58: "vfork",
    # Memory a job could hold outside its address-space limit: a memfd's pages are counted against
    # no limit of the job's once it has written them. A file lock on a file the job may only read
    # (the standard library, the system's libraries) would stall whoever locks it next; see also
    # the lock and lease commands of fcntl, checked below.
    319: "memfd_create", 447: "memfd_secret", 73: "flock",
}
_X86_64_DENIED_TO_JOBS = {
    # The worker makes each job's PID namespace and returns to its own.
    272: "unshare", 308: "setns",
    # A job's processes stay in its process group, which the worker kills when the job ends (all the
    # more needed where no PID namespace is allowed: as a user who is not root). Its child starts a
    # session of its own before it adds this filter.
    109: "setpgid", 112: "setsid",
    # Landlock does not cover a file's mode or owner; as the invoking user (not root), a job could
    # otherwise change them on any file that user owns. The worker hands each work dir to the job uid.
    90: "chmod", 91: "fchmod", 268: "fchmodat", 452: "fchmodat2", 92: "chown", 93: "fchown", 94: "lchown",
    260: "fchownat",
    # The worker opens pidfds; a job has no process of its own to open one for.
    434: "pidfd_open",
}
# Calls whose first argument names the process they act on: a job may name only itself, as 0 or by
# its own pid. As the invoking user (no uid of its own, no PID namespace) any other pid may be the
# harness, another job, a standby child or a bystander of that user.
_X86_64_SELF_ONLY = {
    62: "kill", 234: "tgkill", 129: "rt_sigqueueinfo", 297: "rt_tgsigqueueinfo", 302: "prlimit64",
    203: "sched_setaffinity", 142: "sched_setparam", 144: "sched_setscheduler", 314: "sched_setattr",
    256: "migrate_pages", 279: "move_pages", 274: "get_robust_list",
}
# Calls that take (which, who): who may only be the job itself, and which only a process or its
# group (PRIO_PROCESS, PRIO_PGRP; IOPRIO_WHO_PROCESS, IOPRIO_WHO_PGRP), never all of a user's.
_X86_64_WHICH_WHO = {141: ("setpriority", (0, 1)), 251: ("ioprio_set", (1, 2))}
# The job's own pid, written into the job's filter by each child (_forkserver.c) before it installs
# it: the filter is built once, the pid differs per child. Above any pid the kernel hands out (2**22).
SELF_PID = 0x5E1F5E1F
CLONE_THREAD = 0x00010000
_NR_CLONE, _NR_CLONE3, _NR_FCNTL = 56, 435, 72
# fcntl's commands that lock or lease a file or watch a directory: F_SETLK, F_SETLKW, F_OFD_SETLK,
# F_OFD_SETLKW, F_SETLEASE, F_NOTIFY. The rest (descriptor flags, F_DUPFD, F_GETLK...) are allowed.
_FCNTL_LOCKS = (6, 7, 37, 38, 1024, 1026)
_AUDIT_ARCH_X86_64 = 0xC000003E
_LD_W_ABS, _JEQ_K, _JGE_K, _JSET_K, _JA, _RET_K = 0x20, 0x15, 0x35, 0x45, 0x05, 0x06
_RET_ALLOW, _RET_KILL_PROCESS = 0x7FFF0000, 0x80000000
_SOCK_FILTER = struct.Struct("=HBBI")  # code, jt, jf, k
_ARG_LOW = (16, 24)  # offsets of the low 32 bits of arguments 0 and 1 in struct seccomp_data
Instruction = tuple[int, int, int, int]


def seccomp_supported() -> bool:
    return os.uname().machine == "x86_64"


def _ret_errno(error: int) -> int:
    return 0x00050000 | error


def worker_seccomp_filter() -> bytes:
    """The filter the worker installs on itself, and so every job inherits: EPERM for the calls
    neither needs, for clone() with namespace flags and for fcntl's locks and leases, ENOSYS for clone3 (glibc then falls back to
    clone, whose flags the filter can see) and for the x32 ABI, kill on a foreign arch."""
    checks = [
        (_JGE_K, 0, 1, 0x40000000),  # x32 ABI
        (_RET_K, 0, 0, _ret_errno(errno.ENOSYS)),
        (_JEQ_K, 0, 1, _NR_CLONE3),
        (_RET_K, 0, 0, _ret_errno(errno.ENOSYS)),
        (_JEQ_K, 0, 4, _NR_CLONE),
        (_LD_W_ABS, 0, 0, _ARG_LOW[0]),  # A = low half of clone's flags
        (_JSET_K, 0, 1, NAMESPACE_FLAGS),
        (_RET_K, 0, 0, _ret_errno(errno.EPERM)),
        (_RET_K, 0, 0, _RET_ALLOW),
        (_JEQ_K, 0, 3 + len(_FCNTL_LOCKS), _NR_FCNTL),
        (_LD_W_ABS, 0, 0, _ARG_LOW[1]),  # A = fcntl's command
        *[(_JEQ_K, len(_FCNTL_LOCKS) - i, 0, command) for i, command in enumerate(_FCNTL_LOCKS)],
        (_RET_K, 0, 0, _RET_ALLOW),
        (_RET_K, 0, 0, _ret_errno(errno.EPERM)),
    ]
    return _assemble(_deny_program(checks, _X86_64_DENIED_EVERYWHERE))


def job_seccomp_filter() -> bytes:
    """The filter each job's child adds on top of the worker's: EPERM for the calls the worker's
    loop makes and a job must not, for a new process (clone without CLONE_THREAD), and for the
    calls above that name a process other than the job itself (``SELF_PID``, patched per child)."""
    return _assemble(_deny_program(_job_argument_checks(), _X86_64_DENIED_TO_JOBS))


def _job_argument_checks() -> list[Instruction]:
    """Blocks that each end in a return, so that a call none of them matches falls through with
    the syscall number still loaded."""
    program: list[Instruction] = [
        (_JEQ_K, 0, 4, _NR_CLONE),
        (_LD_W_ABS, 0, 0, _ARG_LOW[0]),  # A = low half of clone's flags
        (_JSET_K, 0, 1, CLONE_THREAD),
        (_RET_K, 0, 0, _RET_ALLOW),
        (_RET_K, 0, 0, _ret_errno(errno.EPERM)),
    ]
    self_only = sorted(_X86_64_SELF_ONLY)
    # one jump per call to a shared check of its first argument, which the others jump over
    program += [(_JEQ_K, len(self_only) - i, 0, nr) for i, nr in enumerate(self_only)]
    check = _self_check(_ARG_LOW[0])
    program += [(_JA, 0, 0, len(check)), *check]
    for nr, (_, whiches) in sorted(_X86_64_WHICH_WHO.items()):
        check = _self_check(_ARG_LOW[1])
        program += [
            (_JEQ_K, 0, 2 + len(whiches) + len(check), nr),
            (_LD_W_ABS, 0, 0, _ARG_LOW[0]),  # A = which
            *[(_JEQ_K, len(whiches) - i, 0, which) for i, which in enumerate(whiches)],
            (_RET_K, 0, 0, _ret_errno(errno.EPERM)),
            *check,
        ]
    return program


def _self_check(offset: int) -> list[Instruction]:
    """Load an argument; allow the call if it is 0 or the job's own pid, else EPERM."""
    return [
        (_LD_W_ABS, 0, 0, offset),
        (_JEQ_K, 2, 0, 0),
        (_JEQ_K, 1, 0, SELF_PID),
        (_RET_K, 0, 0, _ret_errno(errno.EPERM)),
        (_RET_K, 0, 0, _RET_ALLOW),
    ]


def _deny_program(checks: list[Instruction], denied: dict[int, str]) -> list[Instruction]:
    """Classic BPF, as the array of ``struct sock_filter`` the kernel takes: kill on a foreign arch,
    then ``checks`` on the syscall number, then EPERM for each number in ``denied``, one instruction
    each (a jump to a shared return)."""
    numbers = sorted(denied)
    program = [
        (_LD_W_ABS, 0, 0, 4),  # A = arch
        (_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64),
        (_RET_K, 0, 0, _RET_KILL_PROCESS),
        (_LD_W_ABS, 0, 0, 0),  # A = syscall number
        *checks,
    ]
    program += [(_JEQ_K, len(numbers) - i, 0, number) for i, number in enumerate(numbers)]
    program += [(_RET_K, 0, 0, _RET_ALLOW), (_RET_K, 0, 0, _ret_errno(errno.EPERM))]
    return program


def _assemble(program: list[Instruction]) -> bytes:
    return b"".join(_SOCK_FILTER.pack(*instruction) for instruction in program)


# --- Landlock: which files the job may read or write, no TCP, no signals out of its domain ------

_SYS_LANDLOCK_CREATE_RULESET, _SYS_LANDLOCK_ADD_RULE = 444, 445
_LANDLOCK_RULE_PATH_BENEATH = 1
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
_FS_ALL_V1 = (1 << 13) - 1  # execute .. make_sym
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1, 2
FS_READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR


def landlock_abi() -> int:
    """The kernel's Landlock ABI version, 0 where Landlock is unavailable."""
    version = libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    return max(int(version), 0)


def landlock_fs_rights(abi: int) -> int:
    rights = _FS_ALL_V1
    if abi >= 2:
        rights |= _FS_REFER
    if abi >= 3:
        rights |= _FS_TRUNCATE
    if abi >= 5:
        rights |= _FS_IOCTL_DEV
    return rights


def landlock_ruleset(abi: int, read_paths: list[str], write_paths: list[str]) -> int:
    """A ruleset fd: read (and execute) under ``read_paths``, everything under ``write_paths``,
    nothing elsewhere; with ABI >= 4 no TCP bind or connect; with ABI >= 6 no signal or abstract
    unix socket outside the domain. ``_forkserver`` applies it in each job's child."""
    handled_fs = landlock_fs_rights(abi)
    fields = [handled_fs]
    if abi >= 4:
        fields.append(NET_BIND_TCP | NET_CONNECT_TCP)
    if abi >= 6:
        fields.append(SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
    attr = struct.pack(f"<{len(fields)}Q", *fields)
    fd = _check(
        libc.syscall(_SYS_LANDLOCK_CREATE_RULESET, ctypes.c_char_p(attr), ctypes.c_size_t(len(attr)), ctypes.c_uint32(0)),
        "landlock_create_ruleset",
    )
    for paths, rights in ((read_paths, FS_READ), (write_paths, handled_fs)):
        for path in paths:
            _landlock_allow(fd, path, rights & handled_fs)
    return fd


def _landlock_allow(ruleset_fd: int, path: str, rights: int) -> None:
    try:
        target = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not os.path.isdir(path):
            rights &= FS_EXECUTE | FS_READ_FILE | FS_WRITE_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
        rule = struct.pack("<Qi", rights, target)  # struct landlock_path_beneath_attr is packed
        _check(
            libc.syscall(_SYS_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset_fd), ctypes.c_int(_LANDLOCK_RULE_PATH_BENEATH),
                         ctypes.c_char_p(rule), ctypes.c_uint32(0)),
            f"landlock_add_rule {path}",
        )
    finally:
        os.close(target)
