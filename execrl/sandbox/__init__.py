"""Tamper-proof, isolated and fast execution of untrusted Python: the reward signal.

    from execrl.sandbox import Job, Sandbox, Test
    with Sandbox(workers=2) as sandbox:
        verdict = sandbox.run(Job("t0", "def add(a, b):\\n    return a + b\\n", "add", (Test((1, 2), 3),)))
    verdict.status  # "passed"

The untrusted program runs in a forked, isolated child that receives only its text, the entry point
and the test inputs; it reports each output as plain data, and this process compares it with the
expected value (``compare.outputs_equal``). See ``worker.py`` for the isolation layers and
``protocol.py`` for the frames.
"""

import importlib
from typing import Any

# Resolved on first use, so that the worker process, which imports only the codec, the kernel
# interfaces and the protocol, stays small: every page it maps is copied or torn down per job.
_EXPORTS = {
    "outputs_equal": "compare",
    "Sandbox": "pool",
    "SandboxError": "pool",
    "capabilities": "pool",
    "decide": "pool",
    "run": "pool",
    "run_many": "pool",
    "STATUSES": "records",
    "Job": "records",
    "Test": "records",
    "TestOutcome": "records",
    "Verdict": "records",
    "WALL_PER_CPU": "records",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'execrl.sandbox' has no attribute {name!r}")
    return getattr(importlib.import_module(f"execrl.sandbox.{_EXPORTS[name]}"), name)


__all__ = [
    "STATUSES",
    "Job",
    "Sandbox",
    "SandboxError",
    "Test",
    "TestOutcome",
    "Verdict",
    "WALL_PER_CPU",
    "capabilities",
    "decide",
    "outputs_equal",
    "run",
    "run_many",
]
