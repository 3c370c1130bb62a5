"""Expected outputs from trusted reference solutions, computed in a separate Python process.

Reference solutions are trusted, but they still run in their own process (with a fixed hash seed
and a time limit) so that one that mutates global state, prints or crashes cannot disturb the
workflow. Two entry points:

- ``record_base_tier``: run HumanEval's ``check()`` on the canonical solution with the entry point
  wrapped to record each call's arguments (copied before the call) and output;
- ``run_reference``: call a reference solution on given inputs, as EvalPlus computes its expected
  outputs.

Each recorded call carries its duration, from which the per-test time limit is derived.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

from execrl.helper import python_env
from execrl.sandbox import codec
from execrl.tasks.humaneval import HumanEvalProblem, TaskDataError

ORACLE_TIMEOUT_S = 600.0  # for all of one task's inputs; the slowest HumanEval+ task takes about 10 s
ORACLE_MEMORY_BYTES = 8 << 30  # address space of the reference process: a runaway input fails alone
# Expected outputs larger than this are left out of a tier (HumanEval+ /15, /100 and /130 have
# plus inputs whose outputs run to tens of MB: they would swell the task file and exceed the
# sandbox's output cap, so no candidate could pass them anyway).
MAX_EXPECTED_BYTES = 64 << 10
# A call slower than this is timed twice more and its fastest time kept: the per-test limit derives
# from it, and the minimum of three is far steadier than one reading (task files must not change).
SLOW_S = 0.2  # below 0.25 s every limit is the 1 s floor, whatever the noise
REPEATS_IF_SLOW = 2

_PRELUDE = r"""
import copy, json, random, sys, time
from execrl.sandbox import codec
request = json.loads(sys.stdin.read())
namespace = {"__name__": "reference"}
random.seed(0)  # several checks draw random inputs from the unseeded global generator
"""

_RECORD_CHECK = _PRELUDE + r"""
exec(request["program"], namespace)
target = namespace[request["entry_point"]]
calls = []
def recording(*args, **kwargs):
    if kwargs:
        raise TypeError("check() passed keyword arguments; the base tier records positional ones only")
    before = codec.encode(copy.deepcopy(args))
    start = time.perf_counter()
    output = target(*args)
    calls.append({"input": before, "expected": codec.encode(copy.deepcopy(output)), "seconds": time.perf_counter() - start})
    return output
namespace["check"](recording)
sys.stdout.write(json.dumps(calls))
"""

_RUN_INPUTS = _PRELUDE + r"""
def encode_output(output, limit):
    # Each element of a container or string takes at least a byte of JSON, so a long one is known to
    # be too large without encoding it (encoding HumanEval+ /130's million-element lists takes seconds).
    if type(output) in (str, bytes, list, tuple, set, frozenset, dict) and len(output) > limit:
        return None, f"Oversized: the output has length {len(output)}"
    if type(output) is int and (output.bit_length() - 1) * 0.30102 > limit:  # 0.30102 < log10(2): fewer digits than it has
        return None, f"Oversized: the output is an integer of {output.bit_length()} bits"
    expected = codec.encode(output)  # Unserialisable (e.g. a regex match): no candidate could report it
    size = len(json.dumps(expected))
    return (None, f"Oversized: the output takes {size} bytes") if size > limit else (expected, None)
exec(request["program"], namespace)
target = namespace[request["entry_point"]]
calls = []
for encoded in request["inputs"]:
    args = codec.decode_node(encoded)
    start = time.perf_counter()
    try:  # MemoryError included: an input whose output cannot be built is left out, not fatal
        output = target(*copy.deepcopy(args))
        seconds = time.perf_counter() - start
        expected, oversized = encode_output(output, request["max_expected_bytes"])
        if oversized:  # left out, so its time sets no limit: not timed again
            calls.append({"input": encoded, "error": oversized, "seconds": seconds})
            continue
        for _ in range(request["repeats_if_slow"] if seconds > request["slow_s"] else 0):
            start = time.perf_counter()
            target(*copy.deepcopy(args))
            seconds = min(seconds, time.perf_counter() - start)
    except Exception as exc:
        calls.append({"input": encoded, "error": f"{type(exc).__name__}: {exc}"[:200], "seconds": 0.0})
        continue
    calls.append({"input": encoded, "expected": expected, "seconds": seconds})
sys.stdout.write(json.dumps(calls))
"""


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ORACLE_MEMORY_BYTES, ORACLE_MEMORY_BYTES))


@dataclass(frozen=True)
class ReferenceCall:
    """One call of a reference solution: its arguments, its output (or the error it raised), its time."""

    input: tuple[Any, ...]
    expected: Any
    error: str | None
    seconds: float


def record_base_tier(problem: HumanEvalProblem) -> list[ReferenceCall]:
    """Every call HumanEval's check() makes on the canonical solution, with the canonical output."""
    program = problem.program(problem.canonical_solution) + "\n" + problem.test
    calls = _run(_RECORD_CHECK, program, problem.entry_point, problem.task_id, "check() failed on the canonical solution")
    if not calls:
        raise TaskDataError(f"{problem.task_id}: check() never called the entry point")
    return calls


def run_reference(program: str, entry_point: str, inputs: list[tuple[Any, ...]], task_id: str) -> list[ReferenceCall]:
    """The reference program's output (or error) on each input, in order."""
    if not inputs:
        return []
    encoded = [codec.encode(tuple(args)) for args in inputs]
    return _run(
        _RUN_INPUTS, program, entry_point, task_id, "the reference solution failed",
        inputs=encoded, max_expected_bytes=MAX_EXPECTED_BYTES, slow_s=SLOW_S, repeats_if_slow=REPEATS_IF_SLOW,
    )


def _run(script: str, program: str, entry_point: str, task_id: str, failure: str, **extra: Any) -> list[ReferenceCall]:
    request = json.dumps({"program": program, "entry_point": entry_point, **extra})
    try:
        proc = subprocess.run(
            [sys.executable, "-c", script],
            input=request,
            capture_output=True,
            text=True,
            timeout=ORACLE_TIMEOUT_S,
            env=python_env(),
            preexec_fn=_limit_memory,
        )
    except subprocess.TimeoutExpired as exc:
        raise TaskDataError(f"{task_id}: {failure}: no answer within {ORACLE_TIMEOUT_S:.0f} s") from exc
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise TaskDataError(f"{task_id}: {failure}: {last}")
    return [
        ReferenceCall(
            tuple(codec.decode_node(call["input"])),
            codec.decode_node(call["expected"]) if "expected" in call else None,
            call.get("error"),
            call["seconds"],
        )
        for call in json.loads(proc.stdout)
    ]
