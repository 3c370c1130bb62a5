"""Judging a program with no isolation at all: the work of the throughput benchmark's baselines.

The floor runs ``serve_floor`` in one helper process or several side by side, calling ``passes``
in-process; the bare fork runs ``serve_bare_fork`` in a helper that forks a child per program. This
module imports only the comparator, so that a helper, started with the warm imports of execrl's
worker, has the worker's size.
"""

from __future__ import annotations

import gc
import importlib
import marshal
import os
import sys
from typing import Any

from execrl.sandbox.compare import outputs_equal
from execrl.sandbox.properties import PROPERTY_CHECKS

# (program, entry point, the tests' inputs, expected outputs, property checks, atol, int_float_equal)
Check = tuple[str, str, list[tuple], list[Any], list[str | None], float, bool]


def passes(program: str, entry_point: str, calls: list[tuple], expected: list[Any], checks: list[str | None],
           atol: float, int_float_equal: bool) -> bool:
    """Run the program on each input in this process and compare, as the sandbox's parent would.
    Each call gets a fresh copy of its arguments (as check()'s literals are): some solutions mutate them."""
    scope: dict[str, Any] = {}
    exec(program, scope)
    function = scope[entry_point]
    ok = True
    for args, fresh, want, check in zip(calls, marshal.loads(marshal.dumps(calls)), expected, checks):
        output = function(*fresh)
        ok &= PROPERTY_CHECKS[check](args, output, want, atol) if check else outputs_equal(output, want, atol, int_float_equal)
    return ok


def serve_floor() -> None:
    """Helper main: read the checks (see ``_load_checks``); then, for each line that follows, judge
    every check in this process and answer the number that passed."""
    checks = _load_checks()
    while sys.stdin.buffer.readline():
        _answer(sum(passes(*check) for check in checks))


def serve_bare_fork() -> None:
    """Helper main: read the checks (see ``_load_checks``); then, for each line that follows, judge
    every check in a child forked for it and answer the number that passed."""
    checks = _load_checks()
    while sys.stdin.buffer.readline():
        _answer(sum(map(_passes_in_a_child, checks)))


def _load_checks() -> list[Check]:
    """Import what execrl's worker imports (so that this helper has its size), then read a length
    line and the marshalled checks from stdin."""
    from execrl.sandbox.worker import WARM_IMPORTS

    for name in WARM_IMPORTS:
        importlib.import_module(name)
    checks: list[Check] = marshal.loads(sys.stdin.buffer.read(int(sys.stdin.buffer.readline())))
    gc.collect()
    gc.freeze()  # as the worker does: the collector never walks (or, in a forked child, copies) this heap
    return checks


def _answer(passed: int) -> None:
    sys.stdout.write(f"{passed}\n")
    sys.stdout.flush()


def _passes_in_a_child(check: Check) -> bool:
    pid = os.fork()
    if pid == 0:
        ok = False
        try:
            ok = passes(*check)
        finally:
            os._exit(0 if ok else 1)
    return os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) == 0
