"""Benchmark tasks with test tiers of increasing strength (DESIGN.md section 4).

- visible: the examples in the prompt (``execrl.tasks.examples``); a task whose examples contradict
  its canonical solution gets an empty visible tier, and the reason is recorded;
- base: for HumanEval, exactly what ``check()`` feeds the candidate; for MBPP+, the inputs of the
  original asserts;
- plus: EvalPlus's base and plus inputs, when the HumanEval+ or MBPP+ file is present.

Expected outputs always come from a trusted reference solution run in its own process
(``execrl.tasks.oracle``): HumanEval's canonical solution for the visible and base tiers, EvalPlus's
for the plus tier (the original canonical solutions fail some HumanEval+ tasks; the mutation-score
results list them). Candidates are judged in the sandbox on these inputs against these outputs, so
expected values never reach untrusted code.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from execrl.io import read_json, read_jsonl, write_json, write_jsonl
from execrl.sandbox import WALL_PER_CPU, Job, Test, codec, outputs_equal
from execrl.tasks.evalplus import COMPLEX_INPUT_TASKS, EvalPlusProblem
from execrl.tasks.examples import parse_examples
from execrl.tasks.humaneval import HumanEvalProblem, TaskDataError
from execrl.tasks.oracle import ReferenceCall, record_base_tier, run_reference

TIERS = ("visible", "base", "plus")
DEFAULT_ATOL = 1e-6  # HumanEval's checks compare floats with tolerances of 1e-6 or looser
# Tasks whose check() accepts any output with a property rather than one value.
PROPERTY_TASKS = {
    "HumanEval/32": ("polynomial_root", 1e-4),  # find_zero: |poly(xs, x)| < 1e-4
    # MBPP+ tasks whose answer has no set order; EvalPlus compares them as sets.
    **{f"Mbpp/{n}": ("same_elements", DEFAULT_ATOL) for n in (2, 7, 111, 140, 232, 249, 579, 769)},
}
UNREPRESENTABLE = "the reference returns values that cannot cross the sandbox's plain-data protocol"
MIN_TEST_TIMEOUT_S = 1.0
TIMEOUT_FACTOR = 4  # per-test limit: max(1 s, 4 x the reference solution's time), as EvalPlus does


@dataclass(frozen=True)
class TierTest:
    """One test of a tier: positional arguments, the reference output, and its time limit. The limit
    comes from a measured time, so it is kept out of the task file (see ``write_tasks``)."""

    input: tuple[Any, ...]
    expected: Any
    timeout_s: float = 1.0

    def to_record(self) -> dict[str, Any]:
        return {"input": codec.encode(self.input), "expected": codec.encode(self.expected)}

    @classmethod
    def from_record(cls, record: dict[str, Any], timeout_s: float) -> TierTest:
        return cls(codec.decode_node(record["input"]), codec.decode_node(record["expected"]), timeout_s)


@dataclass(frozen=True)
class BenchmarkTask:
    """A benchmark problem with its tiers: one record of results/tasks/{humaneval,mbppplus}.jsonl.

    ``problem.program(completion)`` is the candidate module. ``tiers`` holds the tiers that exist
    (plus only with the EvalPlus file); ``notes`` says why a tier is missing or empty."""

    problem: HumanEvalProblem
    tiers: dict[str, tuple[TierTest, ...]]
    source: str = "humaneval"  # "humaneval" or "mbpp+"
    atol: float = DEFAULT_ATOL
    plus_canonical: str | None = None  # EvalPlus's canonical completion: the plus tier's oracle
    notes: dict[str, str] = field(default_factory=dict)

    @property
    def task_id(self) -> str:
        return self.problem.task_id

    @property
    def base(self) -> tuple[TierTest, ...]:
        return self.tiers["base"]

    def to_record(self) -> dict[str, Any]:
        return {
            **self.problem.__dict__,
            "source": self.source,
            "atol": self.atol,
            "plus_canonical": self.plus_canonical,
            "notes": self.notes,
            "tiers": {name: [t.to_record() for t in tests] for name, tests in self.tiers.items()},
        }

    def limits(self) -> dict[str, list[float]]:
        """The per-test time limits of each tier (the timing half of the record)."""
        return {name: [t.timeout_s for t in tests] for name, tests in self.tiers.items()}

    @classmethod
    def from_record(cls, record: dict[str, Any], limits: dict[str, list[float]]) -> BenchmarkTask:
        fields = {k: record[k] for k in HumanEvalProblem.__dataclass_fields__}
        tiers = {}
        for name, tests in record["tiers"].items():
            if len(limits.get(name, ())) != len(tests):
                raise TaskDataError(f"{record['task_id']}: the limits file does not match the {name} tier; rebuild both")
            tiers[name] = tuple(TierTest.from_record(t, limit) for t, limit in zip(tests, limits[name]))
        return cls(HumanEvalProblem(**fields), tiers, record["source"], record["atol"], record["plus_canonical"], record["notes"])

    def has_tier(self, tier: str) -> bool:
        """Whether the tier exists and has tests (``notes[tier]`` says why not)."""
        return bool(self.tiers.get(tier))

    def judging_job(self, job_id: str, completion: str, tier: str = "base") -> Job:
        """A sandbox job judging ``completion`` (the text after the prompt) on one tier."""
        return self.program_job(job_id, self.problem.program(completion), tier)

    def program_job(self, job_id: str, program: str, tier: str = "base", stop_at_first_failure: bool = False) -> Job:
        """A sandbox job judging a whole program on one tier. The benchmarks' checks compare with
        ``==``, so an int output may match a float expectation (never a bool)."""
        if not self.has_tier(tier):
            raise ValueError(f"{self.task_id} has no {tier!r} tests: {self.notes.get(tier, 'tier not built')}")
        check, atol = PROPERTY_TASKS.get(self.task_id, (None, self.atol))
        tests = self.tiers[tier]
        cpu_s = sum(t.timeout_s for t in tests) + 1.0
        return Job(
            id=job_id,
            program=program,
            entry_point=self.problem.entry_point,
            tests=tuple(Test(t.input, t.expected, check=check, timeout_s=t.timeout_s) for t in tests),
            cpu_s=cpu_s,
            timeout_s=WALL_PER_CPU * cpu_s,  # a backstop, as each test's: the limits bind on CPU time
            atol=atol,
            int_float_equal=True,
            stop_at_first_failure=stop_at_first_failure,
        )


def summarize_tasks(tasks: Sequence[BenchmarkTask], sources: dict[str, str]) -> dict[str, Any]:
    """Per tier: tasks that have it and tests in all; every task whose tier is missing or empty,
    with the reason; and where the data came from (or why a source was skipped)."""
    return {
        "tasks": len(tasks),
        "sources": sources,
        "tiers": {
            tier: {
                "tasks_with_tests": sum(t.has_tier(tier) for t in tasks),
                "tests": sum(len(t.tiers.get(tier, ())) for t in tasks),
            }
            for tier in TIERS
        },
        "notes": [{"task_id": t.task_id, "tier": tier, "note": note} for t in tasks for tier, note in sorted(t.notes.items())],
    }


def write_tasks(path: str | Path, limits_path: str | Path, tasks: Sequence[BenchmarkTask]) -> None:
    """The tasks as JSONL, and their per-test time limits as JSON beside them. Limits derive from
    measured times, which vary with the machine and its load; apart, the task file is
    byte-identical from run to run and the limits file is a timing artefact like a benchmark."""
    write_jsonl(path, (t.to_record() for t in tasks))
    write_json(limits_path, {t.task_id: t.limits() for t in tasks})


def read_tasks(path: str | Path, limits_path: str | Path) -> list[BenchmarkTask]:
    limits = read_json(limits_path)
    records = list(read_jsonl(path))
    if {r["task_id"] for r in records} != set(limits):
        raise TaskDataError(f"{limits_path} does not list the tasks of {path}; rebuild both with the same rule")
    return [BenchmarkTask.from_record(r, limits[r["task_id"]]) for r in records]


def per_test_timeout(reference_seconds: float) -> float:
    """max(1 s, 4 x the reference's time), rounded up to a power of two seconds: coarse steps, so
    that run-to-run timing noise almost never moves a limit and the task file stays the same."""
    return float(2 ** max(0, math.ceil(math.log2(max(MIN_TEST_TIMEOUT_S, TIMEOUT_FACTOR * reference_seconds)))))


# --- building tiers -------------------------------------------------------------------------
def build_humaneval_tasks(
    problems: Sequence[HumanEvalProblem], plus: Sequence[EvalPlusProblem] | None, workers: int
) -> list[BenchmarkTask]:
    """HumanEval's problems with visible and base tiers, and the plus tier when HumanEval+ is given."""
    plus_by_id = {p.task_id: p for p in plus or ()}
    if plus is not None and set(plus_by_id) != {p.task_id for p in problems}:
        raise TaskDataError("the HumanEval+ file does not cover the same task ids as HumanEval; check tasks paths")

    def build(problem: HumanEvalProblem) -> BenchmarkTask:
        base = tuple(_tests(record_base_tier(problem), problem.task_id))
        visible, note = visible_tier(problem.program(problem.canonical_solution), problem)
        tiers, notes = {"visible": visible, "base": base}, ({"visible": note} if note else {})
        extra = {}
        if problem.task_id in plus_by_id:
            evalplus = plus_by_id[problem.task_id]
            tiers["plus"], plus_note = plus_tier(evalplus)
            if plus_note:
                notes["plus"] = plus_note
            extra = {"atol": max(evalplus.atol, DEFAULT_ATOL), "plus_canonical": evalplus.canonical_solution}
        else:
            notes["plus"] = "HumanEval+ file not given"
        return BenchmarkTask(problem, tiers, "humaneval", notes=notes, **extra)

    return _in_parallel(build, problems, workers)


def build_mbpp_tasks(problems: Sequence[EvalPlusProblem], workers: int) -> list[BenchmarkTask]:
    """MBPP+ tasks: the prompt's assert is the visible tier, the original asserts' inputs the base
    tier, and base plus plus inputs the plus tier, all judged against EvalPlus's canonical solution."""

    def build(evalplus: EvalPlusProblem) -> BenchmarkTask:
        problem = HumanEvalProblem(evalplus.task_id, evalplus.prompt, evalplus.entry_point, evalplus.canonical_solution, "")
        if evalplus.task_id in COMPLEX_INPUT_TASKS:
            why = "complex-number arguments cannot cross the sandbox's plain-data protocol"
            return BenchmarkTask(problem, {tier: () for tier in TIERS}, "mbpp+", notes={tier: why for tier in TIERS})
        program = evalplus.program(evalplus.canonical_solution)
        plus_calls = _plus_calls(evalplus)  # base inputs first: the base tier's calls are its head
        base, base_note = _tier_of_calls(plus_calls[: len(evalplus.base_input)], evalplus.task_id)
        plus, plus_note = _tier_of_calls(plus_calls, evalplus.task_id)
        excluded = next((n for n in (base_note, plus_note) if n and n.startswith(UNREPRESENTABLE)), None)
        if excluded:
            return BenchmarkTask(problem, {tier: () for tier in TIERS}, "mbpp+", notes={tier: excluded for tier in TIERS})
        visible, visible_note = visible_tier(program, problem)
        notes = {"visible": visible_note, "base": base_note, "plus": plus_note}
        return BenchmarkTask(
            problem, {"visible": visible, "base": base, "plus": plus}, "mbpp+", max(evalplus.atol, DEFAULT_ATOL),
            evalplus.canonical_solution, {tier: note for tier, note in notes.items() if note},
        )

    return _in_parallel(build, problems, workers)


def visible_tier(reference_program: str, problem: HumanEvalProblem) -> tuple[tuple[TierTest, ...], str | None]:
    """Tests from the prompt's examples, or no tests and the reason: no examples, or an example
    whose stated output the reference solution contradicts (reported, never patched)."""
    examples = parse_examples(problem.prompt, problem.entry_point)
    if not examples:
        return (), "no example in the prompt that the parser reads"
    calls = run_reference(reference_program, problem.entry_point, [e.args for e in examples], problem.task_id)
    check, atol = PROPERTY_TASKS.get(problem.task_id, (None, DEFAULT_ATOL))
    for example, call in zip(examples, calls):
        agrees = call.error is None and (
            outputs_equal(call.expected, example.stated, atol, True) or _one_tuple_in_prose(call.expected, example.stated)
        )
        if not agrees and check is None:
            got = call.error or repr(call.expected)
            return (), f"the prompt's example contradicts the canonical solution: {example.text} (canonical: {got})"
    return tuple(_tests(calls, problem.task_id)), None


def _one_tuple_in_prose(expected: Any, stated: Any) -> bool:
    """Prompts write a one-element tuple as ``("Venus")`` (HumanEval/148), which Python reads as
    the bare value: that is notation, not a contradiction."""
    return type(expected) is tuple and len(expected) == 1 and outputs_equal(expected[0], stated, DEFAULT_ATOL, True)


def plus_tier(evalplus: EvalPlusProblem) -> tuple[tuple[TierTest, ...], str | None]:
    """EvalPlus's base and plus inputs with the outputs of EvalPlus's canonical solution."""
    return _tier_of_calls(_plus_calls(evalplus), evalplus.task_id)


def _plus_calls(evalplus: EvalPlusProblem) -> list[ReferenceCall]:
    """EvalPlus's canonical solution on its base inputs, then its plus inputs, in one process."""
    program = evalplus.program(evalplus.canonical_solution)
    inputs = list(evalplus.base_input) + list(evalplus.plus_input)
    return run_reference(program, evalplus.entry_point, inputs, evalplus.task_id)


def _tier_of_calls(calls: Sequence[ReferenceCall], task_id: str) -> tuple[tuple[TierTest, ...], str | None]:
    """A tier from the reference's output on each input. Inputs it rejects (an exception, or an
    output too large for the task file) are left out, and the note says how many and why. A
    reference that returns what no candidate can report (a regex match object, a complex number)
    empties the tier: the inputs left would all be the ones it answers None to, which a do-nothing
    program passes."""
    rejected = [c for c in calls if c.error is not None]
    unrepresentable = [c for c in rejected if c.error.startswith("Unserialisable")]
    if unrepresentable:
        return (), f"{UNREPRESENTABLE}: {unrepresentable[0].error}"
    tests = tuple(_tests([c for c in calls if c.error is None], task_id))
    note = f"{len(rejected)} of {len(calls)} inputs left out: the reference raised {rejected[0].error}" if rejected else None
    return tests, note


def _tests(calls: Sequence[ReferenceCall], task_id: str) -> list[TierTest]:
    failed = [c for c in calls if c.error is not None]
    if failed:
        raise TaskDataError(f"{task_id}: the reference solution raised on {len(failed)} input(s), first: {failed[0].error}")
    return [TierTest(c.input, c.expected, per_test_timeout(c.seconds)) for c in calls]


T = TypeVar("T")


def _in_parallel(build: Callable[[Any], T], items: Sequence[Any], workers: int) -> list[T]:
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(build, items))
