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

from execrl.sandbox.compare import outputs_equal
from execrl.sandbox.pool import Sandbox, SandboxError, capabilities, decide, run, run_many
from execrl.sandbox.records import STATUSES, Job, Test, TestOutcome, Verdict

__all__ = [
    "STATUSES",
    "Job",
    "Sandbox",
    "SandboxError",
    "Test",
    "TestOutcome",
    "Verdict",
    "capabilities",
    "decide",
    "outputs_equal",
    "run",
    "run_many",
]
