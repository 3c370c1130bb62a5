"""Procedural function-synthesis tasks: the visible/hidden paradox, reproduced under control.

No pretrained code model can be downloaded here, so the policy is a tiny transformer trained from
scratch; it needs a task language that is small and regular. Each task is a chain of typed
primitive steps over ``list[int]``, ``int`` and ``str`` (``keep_gt`` then ``double`` then
``max_or``); its difficulty level is the chain's length (1-4). Everything the policy reads or
writes is templated from the steps: the docstring (one phrase per step), the reference solution
(one line per step) and a *shortcut* (each step replaced by its naive variant: ``max(xs)`` without
a default, ``xs[0]`` without a guard, ``//`` where the spec says "rounding toward zero"...).

Every phrase states its step's edge behaviour ("the largest element (0 if there are none)"), so the
spec determines the answer on every input. Three tiers of tests (``TIERS``), each expected value the
reference's:

- ``visible`` (3, shown as doctests in the prompt): typical inputs only (non-empty, small positive
  values, no duplicates; formally: no intermediate value is empty and every naive variant agrees
  with its reference along the way), so a shortcut passes them by construction.
- ``hidden`` (12 or more; evaluation only, never a reward, never feedback): type edges (empty,
  single element, negatives, duplicates, large values...), for each step an input reaching its edge
  (an empty or non-positive intermediate) and one where its naive variant errs, an input separating
  the whole shortcut if none of those does, then random edge-prone inputs up to 12.
- ``strong`` (12 or more; for the ``strong`` reward, the control that removes the paradox): the same
  recipe, drawn from its own random stream (its own type edges and pool of random inputs), and
  disjoint from the other two tiers: no input of ``visible`` or ``hidden`` is ever a strong input,
  so training on strong never sees a hidden test. A type edge class is covered with a new concrete
  input (another single-element list, other negatives, other large values...); the classes with a
  single member cannot be, so strong never holds the empty list or string, 0 or 1, and has instead
  ``single_zero`` ([0]) and ``all_equal`` lists, ``minus_one`` and ``round`` (a multiple of ten)
  ints, and ``blank`` strings (spaces only: no words, nothing left once spaces are removed); a later
  step's empty intermediate is reached from other inputs as in hidden. The price: a shortcut that
  errs *only* on the empty list or string (``max(xs)`` for "the largest element (0 if there are
  none)" at level 1, or after steps that keep the length) passes strong and fails hidden;
  ``summarize_suite`` counts these (``Judgement.passes_strong_fails_hidden``).

A policy rewarded on visible tests only can thus pass and still be wrong, and ``judge`` measures
how often (``passes_visible_fails_hidden``), and how much of it the strong reward would catch.

Determinism: the suite seed only chooses which compositions (steps with parameters) are drawn; a
task's tests come from random generators seeded by the composition's content (one for visible and
hidden, another for strong, drawn after them, so adding strong changed no visible or hidden test),
and its id is a hash of that content
(``task_id = f"{prefix}/L{level}/{sha256(variant + "/" + steps_json)[:10]}"``, prefix ``proc`` or
``proc-ms``, ``steps_json`` the ``[[kind, {param: value}], ...]`` list as compact key-sorted JSON),
so the same id means the same task on every run and machine. Splits are a
hash of the *signature* (the step kinds without parameters), so a composition held out for test
never appears in train, under any seed; its primitives do (that is the generalisation measured).

Variants: ``single`` (one function ``f``, HumanEval style) and ``multi_step`` (helper stubs
``step1..stepk`` plus ``f``, tested end to end through ``f`` only). Multi-turn refinement is
``next_turn_prompt``: feedback from the failed *visible* tests, never the strong or hidden ones.
"""

from __future__ import annotations

import builtins
import copy
import hashlib
import json
import logging
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from execrl.io import read_jsonl, write_jsonl
from execrl.sandbox import Job, Test

if TYPE_CHECKING:
    from execrl.sandbox import Sandbox, Verdict

logger = logging.getLogger(__name__)

TYPES = ("list", "int", "str")
VARIABLE = MappingProxyType({"list": "xs", "int": "n", "str": "s"})  # the one variable of each type
ANNOTATION = MappingProxyType({"list": "list[int]", "int": "int", "str": "str"})
SPLITS = ("train", "validation", "test")
VARIANTS = ("single", "multi_step")
TIERS = ("visible", "strong", "hidden")  # the order of ``judge``'s jobs and of the records
ENTRY_POINT = "f"

VISIBLE_TESTS = 3
MIN_HIDDEN_TESTS = 12
MIN_STRONG_TESTS = 12
EDGE_DRAWS = 20  # draws per strong edge class to find an input no other tier has
TYPICAL_DRAWS = 300  # typical inputs tried per composition before it is rejected
WILD_POOL = 300  # random edge-prone inputs searched for each step's edge cases
TEST_TIMEOUT_S = 1.0  # per test; references take microseconds
JOB_TIMEOUT_S = 5.0
JOB_MEMORY_MB = 512
SPLIT_SALT = "execrl-procedural-split-v1"
MAX_ATTEMPT_LINES = 30  # of a previous attempt quoted back in a next-turn prompt
MAX_MESSAGE_CHARS = 120

# Consecutive pairs that undo or overwrite each other: they would teach the policy nothing.
REDUNDANT_PAIRS = frozenset({("sort", "sort_desc"), ("sort_desc", "sort"), ("upper", "lower"), ("lower", "upper")})

LOWER = "abcdefghijklmnopqrstuvwxyz"
WILD_CHARS = "aeiouAEIOUbcdnrstxBCDNRST0123456789" + " " * 6
PARAM_LETTERS = tuple("aeinorst")
LARGE = (10**6, 10**9)


@dataclass(frozen=True)
class StepKind:
    """A typed primitive. ``reference`` and ``naive`` are Python expressions over the variable of
    ``source`` (``xs``, ``n`` or ``s``) with ``{param}`` holes filled by ``repr(value)``; ``naive``
    is the plausible simpler variant a shortcut uses (None: there is none; the bare variable: the
    shortcut drops the step). ``phrase`` is the spec text, and must state the edge behaviour."""

    name: str
    source: str
    target: str
    phrase: str
    reference: str
    naive: str | None = None
    params: tuple[tuple[str, tuple[Any, ...]], ...] = ()


def _kind(name, source, target, phrase, reference, naive=None, **params) -> StepKind:
    return StepKind(name, source, target, phrase, reference, naive, tuple((k, tuple(v)) for k, v in params.items()))


STEP_KINDS: tuple[StepKind, ...] = (
    # list -> list
    _kind("keep_gt", "list", "list", "keep the elements greater than {k}", "[x for x in xs if x > {k}]", k=range(0, 6)),
    _kind("keep_even", "list", "list", "keep the even elements", "[x for x in xs if x % 2 == 0]"),
    _kind("keep_odd", "list", "list", "keep the odd elements", "[x for x in xs if x % 2 == 1]"),
    _kind("double", "list", "list", "double each element", "[x * 2 for x in xs]"),
    _kind("add_each", "list", "list", "add {k} to each element", "[x + {k} for x in xs]", k=range(1, 10)),
    _kind("square_each", "list", "list", "square each element", "[x * x for x in xs]"),
    _kind("abs_each", "list", "list", "replace each element by its absolute value", "[abs(x) for x in xs]", "xs"),
    _kind("sort", "list", "list", "sort the elements in increasing order", "sorted(xs)"),
    _kind("sort_desc", "list", "list", "sort the elements in decreasing order", "sorted(xs, reverse=True)"),
    _kind("reverse", "list", "list", "reverse the order of the elements", "xs[::-1]"),
    _kind("dedup", "list", "list", "remove repeated elements, keeping the first occurrence of each",
          "list(dict.fromkeys(xs))", "xs"),
    _kind("take_n", "list", "list", "keep the first {n} elements (all of them if there are fewer)",
          "xs[:{n}]", "[xs[i] for i in range({n})]", n=range(1, 4)),
    _kind("drop_n", "list", "list", "drop the first {n} elements (all of them if there are fewer)", "xs[{n}:]",
          n=range(1, 3)),
    # list -> int
    _kind("sum", "list", "int", "take the sum of the elements (0 if there are none)", "sum(xs)"),
    _kind("count", "list", "int", "count the elements", "len(xs)"),
    _kind("count_gt", "list", "int", "count the elements greater than {k}", "len([x for x in xs if x > {k}])",
          k=range(0, 6)),
    _kind("max_or", "list", "int", "take the largest element ({d} if there are none)", "max(xs, default={d})",
          "max(xs)", d=(0, -1)),
    _kind("min_or", "list", "int", "take the smallest element ({d} if there are none)", "min(xs, default={d})",
          "min(xs)", d=(0, -1)),
    _kind("first_or", "list", "int", "take the first element ({d} if there are none)", "xs[0] if xs else {d}",
          "xs[0]", d=(0, -1)),
    _kind("last_or", "list", "int", "take the last element ({d} if there are none)", "xs[-1] if xs else {d}",
          "xs[-1]", d=(0, -1)),
    _kind("mean_floor", "list", "int", "take the average rounded down toward minus infinity (0 if there are none)",
          "sum(xs) // len(xs) if xs else 0", "sum(xs) // len(xs)"),
    _kind("argmax", "list", "int", "take the position of the largest element (the first if tied, -1 if there are none)",
          "xs.index(max(xs)) if xs else -1", "xs.index(max(xs))"),
    _kind("spread", "list", "int", "take the largest minus the smallest element (0 if there are none)",
          "max(xs) - min(xs) if xs else 0", "max(xs) - min(xs)"),
    # list -> str
    _kind("join", "list", "str", "write the elements in decimal joined by commas", '",".join(str(x) for x in xs)'),
    # int -> int
    _kind("abs", "int", "int", "take the absolute value", "abs(n)", "n"),
    _kind("square", "int", "int", "square it", "n * n"),
    _kind("add", "int", "int", "add {k}", "n + {k}", k=range(1, 10)),
    _kind("sub", "int", "int", "subtract {k}", "n - {k}", k=range(1, 10)),
    _kind("mul", "int", "int", "multiply by {k}", "n * {k}", k=range(2, 6)),
    _kind("clamp", "int", "int", "clamp it to the range {lo} to {hi}", "min(max(n, {lo}), {hi})", "min(n, {hi})",
          lo=(0, 1, 5), hi=(10, 20, 50)),
    _kind("div_trunc", "int", "int", "divide by {k} rounding toward zero", "n // {k} if n >= 0 else -(-n // {k})",
          "n // {k}", k=range(2, 6)),
    _kind("last_digit", "int", "int", "take the last decimal digit of its absolute value", "abs(n) % 10", "n % 10"),
    _kind("digit_sum", "int", "int", "take the sum of the decimal digits of its absolute value",
          "sum(int(c) for c in str(abs(n)))", "sum(int(c) for c in str(n))"),
    _kind("sign", "int", "int", "take its sign (1, 0 or -1)", "(n > 0) - (n < 0)"),
    # int -> list, int -> str
    _kind("digits", "int", "list", "list the decimal digits of its absolute value", "[int(c) for c in str(abs(n))]",
          "[int(c) for c in str(n)]"),
    _kind("to_str", "int", "str", "write it in decimal", "str(n)"),
    _kind("to_bin", "int", "str", "write it in binary without a prefix ('-' first if negative)", 'format(n, "b")',
          "bin(n)[2:]"),
    # str -> str
    _kind("upper", "str", "str", "convert it to upper case", "s.upper()"),
    _kind("lower", "str", "str", "convert it to lower case", "s.lower()"),
    _kind("reverse_str", "str", "str", "reverse it", "s[::-1]"),
    _kind("remove_vowels", "str", "str", "remove the vowels (a, e, i, o, u in either case)",
          '"".join(c for c in s if c.lower() not in "aeiou")', '"".join(c for c in s if c not in "aeiou")'),
    _kind("remove_spaces", "str", "str", "remove the spaces", 's.replace(" ", "")'),
    _kind("first_chars", "str", "str", "keep the first {n} characters (all of them if there are fewer)", "s[:{n}]",
          n=range(1, 5)),
    _kind("dedup_chars", "str", "str", "remove repeated characters, keeping the first occurrence of each",
          '"".join(dict.fromkeys(s))', "s"),
    _kind("replace", "str", "str", "replace every {a} with {b}", "s.replace({a}, {b})", a=PARAM_LETTERS,
          b=("x", "z", "-", "_")),
    _kind("double_chars", "str", "str", "repeat each character twice", '"".join(c * 2 for c in s)'),
    # str -> int
    _kind("length", "str", "int", "count the characters", "len(s)"),
    _kind("count_char", "str", "int", "count the occurrences of {c}", "s.count({c})", c=PARAM_LETTERS),
    _kind("count_vowels", "str", "int", "count the vowels (a, e, i, o, u in either case)",
          'len([c for c in s if c.lower() in "aeiou"])', 'len([c for c in s if c in "aeiou"])'),
    _kind("find_char", "str", "int", "find the position of the first {c} (-1 if there is none)", "s.find({c})",
          "s.index({c})", c=PARAM_LETTERS),
    _kind("count_words", "str", "int", "count the words (separated by spaces, ignoring extra spaces)",
          "len(s.split())", 'len(s.split(" "))'),
    # str -> list
    _kind("word_lengths", "str", "list", "list the lengths of the words (separated by spaces, ignoring extra spaces)",
          "[len(w) for w in s.split()]", '[len(w) for w in s.split(" ")]'),
    _kind("char_codes", "str", "list", "list the character codes", "[ord(c) for c in s]"),
    _kind("digits_in", "str", "list", "list the digits it contains, in order, as integers",
          '[int(c) for c in s if c in "0123456789"]'),
)
KINDS = MappingProxyType({kind.name: kind for kind in STEP_KINDS})


@dataclass(frozen=True)
class Step:
    """One step of a composition: a kind and its parameter values, in the kind's declared order."""

    kind: str
    params: tuple[tuple[str, Any], ...] = ()

    def to_record(self) -> dict[str, Any]:
        return {"kind": self.kind, "params": dict(self.params)}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Step:
        kind = KINDS.get(record["kind"])
        if kind is None:
            raise ValueError(f"unknown step kind {record['kind']!r}")
        return cls(kind.name, tuple((name, record["params"][name]) for name, _ in kind.params))


def make_step(kind: str, **params: Any) -> Step:
    """A step by name, e.g. ``make_step("keep_gt", k=3)``; the parameter names must be the kind's."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown step kind {kind!r}; known: {sorted(KINDS)}")
    names = [name for name, _ in spec.params]
    if sorted(params) != sorted(names):
        raise ValueError(f"step {kind!r} takes parameters {names}, got {sorted(params)}")
    return Step(kind, tuple((name, params[name]) for name in names))


@dataclass(frozen=True)
class Case:
    """One test: positional arguments, the reference output, and why it was chosen (``typical``,
    a type edge such as ``empty`` (hidden) or ``blank`` (strong), ``edge:stepN:kind``,
    ``naive:stepN:kind``, ``shortcut``, ``random``)."""

    input: tuple[Any, ...]
    expected: Any
    label: str

    def to_record(self) -> dict[str, Any]:
        return {"input": list(self.input), "expected": self.expected, "label": self.label}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Case:
        return cls(tuple(record["input"]), record["expected"], record["label"])


@dataclass(frozen=True)
class ProceduralTask:
    """One generated task. ``program(completion)`` is the candidate module, as for HumanEval."""

    task_id: str
    variant: str  # "single" | "multi_step"
    level: int  # composition depth, == len(steps)
    split: str  # "train" | "validation" | "test", a function of ``signature``
    signature: str  # step kinds joined by ">", without parameters
    steps: tuple[Step, ...]
    input_type: str
    output_type: str
    spec: str  # the sentence the docstring states
    prompt: str
    entry_point: str
    canonical_solution: str  # the reference completion
    shortcut_solution: str  # the completion with each step's naive variant
    visible: tuple[Case, ...]  # in the prompt: typical inputs only
    strong: tuple[Case, ...]  # held out for the ``strong`` reward: edge-rich, no input of another tier
    hidden: tuple[Case, ...]  # evaluation only: never a reward, never feedback

    def __post_init__(self) -> None:
        problems = []
        if self.variant not in VARIANTS:
            problems.append(f"variant must be one of {VARIANTS}")
        if self.split not in SPLITS:
            problems.append(f"split must be one of {SPLITS}")
        if self.input_type not in TYPES or self.output_type not in TYPES:
            problems.append(f"input and output types must be among {TYPES}")
        if self.level != len(self.steps) or self.signature != signature_of(self.steps):
            problems.append("level and signature must match the steps")
        if problems:
            raise ValueError(f"invalid procedural task {self.task_id!r}: " + "; ".join(problems))

    @property
    def has_shortcut(self) -> bool:
        """Whether some step has a naive variant, so the shortcut is a different program."""
        return self.shortcut_solution != self.canonical_solution

    def program(self, completion: str) -> str:
        return self.prompt + completion

    def tests(self, tier: str) -> tuple[Test, ...]:
        cases = {"visible": self.visible, "strong": self.strong, "hidden": self.hidden}.get(tier)
        if cases is None:
            raise ValueError(f"unknown tier {tier!r}; known: {TIERS}")
        return tuple(Test(case.input, case.expected, timeout_s=TEST_TIMEOUT_S) for case in cases)

    def job(self, job_id: str, program: str, tier: str) -> Job:
        """A sandbox job judging a whole ``program`` (see ``program``) on one tier."""
        tests = self.tests(tier)
        return Job(job_id, program, self.entry_point, tests, timeout_s=JOB_TIMEOUT_S, memory_mb=JOB_MEMORY_MB)

    def all_tiers_job(self, job_id: str, program: str) -> Job:
        """One sandbox job judging ``program`` on every tier, their tests in ``TIERS`` order, in one
        run of the program (a process per tier would triple the sandbox's cost of a sample); split
        its verdict with ``judgement``. A test that hangs fails the tests after it, on every tier."""
        tests = tuple(test for tier in TIERS for test in self.tests(tier))
        return Job(job_id, program, self.entry_point, tests, timeout_s=JOB_TIMEOUT_S, memory_mb=JOB_MEMORY_MB)

    def judgement(self, verdict: Verdict) -> Judgement:
        """The verdict of ``all_tiers_job`` as one verdict per tier (ids ``<job id>@<tier>``)."""
        parts, start = {}, 0
        for tier in TIERS:
            stop = start + len(self.tests(tier))
            parts[tier] = verdict.part(f"{verdict.id}@{tier}", start, stop)
            start = stop
        return Judgement(self.task_id, **parts)

    def to_record(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "variant": self.variant,
            "level": self.level,
            "split": self.split,
            "signature": self.signature,
            "steps": [step.to_record() for step in self.steps],
            "input_type": self.input_type,
            "output_type": self.output_type,
            "spec": self.spec,
            "prompt": self.prompt,
            "entry_point": self.entry_point,
            "canonical_solution": self.canonical_solution,
            "shortcut_solution": self.shortcut_solution,
            "visible": [case.to_record() for case in self.visible],
            "strong": [case.to_record() for case in self.strong],
            "hidden": [case.to_record() for case in self.hidden],
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ProceduralTask:
        missing = [name for name in cls.__dataclass_fields__ if name not in record]
        if missing:
            raise ValueError(f"procedural task record {record.get('task_id')!r} lacks fields {missing}")
        fields = {name: record[name] for name in cls.__dataclass_fields__}
        fields["steps"] = tuple(Step.from_record(s) for s in record["steps"])
        for tier in TIERS:
            fields[tier] = tuple(Case.from_record(c) for c in record[tier])
        return cls(**fields)


def write_suite(path: str | Path, tasks: Sequence[ProceduralTask]) -> None:
    write_jsonl(path, (task.to_record() for task in tasks))


def read_suite(path: str | Path) -> list[ProceduralTask]:
    return [ProceduralTask.from_record(record) for record in read_jsonl(path)]


# --- suite generation -------------------------------------------------------------------------


def generate_suite(
    seed: int,
    tasks_per_level: int | Sequence[int],
    levels: Sequence[int] = (1, 2, 3, 4),
    split_fractions: Sequence[float] = (0.7, 0.15, 0.15),
    variants: Sequence[str] = ("single",),
    attempts_per_task: int = 200,
) -> list[ProceduralTask]:
    """``tasks_per_level`` distinct compositions per level (one count for all levels, or one per
    level, in the order of ``levels``), each built in every variant (ordered by
    level, composition, variant). Splits fall where the signature hash puts them, so the counts per
    split approximate ``split_fractions``. Raises ValueError when a level has too few compositions
    that admit typical visible inputs (e.g. hundreds of tasks at level 1)."""
    _check_fractions(split_fractions)
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown or not variants:
        raise ValueError(f"variants must be a non-empty subset of {VARIANTS}, got {list(variants)}")
    counts = [tasks_per_level] * len(levels) if isinstance(tasks_per_level, int) else list(tasks_per_level)
    if len(counts) != len(levels):
        raise ValueError(f"tasks_per_level has {len(counts)} counts for {len(levels)} levels; give one count, or one per level")
    tasks: list[ProceduralTask] = []
    for level, count in zip(levels, counts):
        if not isinstance(level, int) or level < 1:
            raise ValueError(f"levels must be positive integers, got {level!r}")
        for composition in _sample_compositions(seed, level, count, attempts_per_task):
            steps, tiers = composition[0], composition[1:]
            split = split_of(signature_of(steps), split_fractions)
            tasks.extend(_assemble(steps, *tiers, split, variant) for variant in variants)
    logger.info("generated %d procedural tasks (seed %d, levels %s, variants %s)", len(tasks), seed, list(levels),
                list(variants))
    return tasks


def build_task(
    steps: Sequence[Step], variant: str = "single", split_fractions: Sequence[float] = (0.7, 0.15, 0.15)
) -> ProceduralTask:
    """The task of one given composition, as ``generate_suite`` would build it (same id, same tests)."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    steps = tuple(steps)
    built = build_tests(steps)
    if built is None:
        raise ValueError(
            f"{_composition_key(steps)} admits no typical visible inputs (or has a step that changes nothing)"
        )
    return _assemble(steps, *built, split_of(signature_of(steps), split_fractions), variant)


def signature_of(steps: Sequence[Step]) -> str:
    return ">".join(step.kind for step in steps)


def split_of(signature: str, fractions: Sequence[float] = (0.7, 0.15, 0.15)) -> str:
    """The split of every task with this signature: a stable hash, independent of the suite seed."""
    _check_fractions(fractions)
    digest = hashlib.sha256(f"{SPLIT_SALT}/{signature}".encode()).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    cumulative = 0.0
    for name, fraction in zip(SPLITS, fractions):
        cumulative += fraction
        if u < cumulative:
            return name
    return next(name for name, fraction in reversed(list(zip(SPLITS, fractions))) if fraction > 0)


def _check_fractions(fractions: Sequence[float]) -> None:
    if len(fractions) != len(SPLITS) or any(f < 0 for f in fractions) or abs(sum(fractions) - 1.0) > 1e-9:
        raise ValueError(
            f"split fractions must be {len(SPLITS)} non-negative numbers summing to 1, got {list(fractions)}"
        )


def _rng(*parts: Any) -> random.Random:
    """A generator seeded from a SHA-256 of ``parts`` (never Python's salted ``hash``)."""
    digest = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _composition_key(steps: Sequence[Step]) -> str:
    return json.dumps([[step.kind, dict(step.params)] for step in steps], sort_keys=True, separators=(",", ":"))


Composition = tuple[tuple[Step, ...], tuple[Case, ...], tuple[Case, ...], tuple[Case, ...]]  # steps, then TIERS


def _sample_compositions(seed: int, level: int, count: int, attempts_per_task: int) -> list[Composition]:
    rng = _rng("suite", seed, level)
    seen: set[str] = set()
    found: list[Composition] = []
    attempts = 0
    while len(found) < count:
        if attempts >= attempts_per_task * count:
            raise ValueError(
                f"level {level}: found only {len(found)} of {count} distinct compositions in {attempts} attempts; "
                "ask for fewer tasks per level"
            )
        attempts += 1
        steps = _sample_steps(rng, level)
        key = _composition_key(steps)
        if key in seen:
            continue
        seen.add(key)
        built = build_tests(steps)
        if built is not None:
            found.append((steps, *built))
    logger.debug("level %d: %d compositions in %d attempts", level, count, attempts)
    return found


def _sample_steps(rng: random.Random, level: int) -> tuple[Step, ...]:
    kinds = [rng.choice(STEP_KINDS)]
    while len(kinds) < level:
        previous = kinds[-1]
        options = [
            k
            for k in STEP_KINDS
            if k.source == previous.target
            and k.name != previous.name
            and (previous.name, k.name) not in REDUNDANT_PAIRS
        ]
        kinds.append(rng.choice(options))
    return tuple(Step(kind.name, tuple((name, rng.choice(choices)) for name, choices in kind.params)) for kind in kinds)


# --- tests: typical visible inputs, edge-case strong and hidden inputs ------------------------


def build_tests(steps: Sequence[Step]) -> tuple[tuple[Case, ...], tuple[Case, ...], tuple[Case, ...]] | None:
    """Visible, strong and hidden cases for a composition (in the order of ``TIERS``), or None when
    it admits no typical inputs (e.g. ``upper`` then ``remove_vowels``: every input reaches the
    uppercase vowels the naive variant misses). Seeded by the composition's content, so equal
    compositions get equal tests. Visible and hidden come from one stream (``"tests"``), strong from
    its own (``"strong"``) and is drawn last, so adding it changed neither of the others."""
    steps = tuple(steps)
    _check_chain(steps)
    key = _composition_key(steps)
    source = KINDS[steps[0].kind].source
    rng = _rng("tests", key)
    reference = [_compile_step(step, naive=False) for step in steps]
    naive = [_compile_step(step, naive=True) if KINDS[step.kind].naive is not None else None for step in steps]
    visible = _visible_inputs(rng, steps, reference, naive)
    if visible is None:
        return None
    edges = _edge_inputs(rng, source)
    pool = [_wild_input(rng, source) for _ in range(WILD_POOL)]
    traces = [_trace(reference, value) for value in [*visible, *(v for _, v in edges), *pool]]
    if any(all(_same(t[i], t[i + 1]) for t in traces) for i in range(len(steps))):
        return None  # a step that never changes anything (abs after count) only hides a shortcut
    taken = {_key(v) for v in visible}
    hidden, hit_keys = _edge_rich_inputs(
        steps, reference, naive, edges, list(zip(pool, traces[-len(pool):])), taken, MIN_HIDDEN_TESTS
    )
    # The strong tier: the same recipe on an independent stream, never reusing a visible or hidden
    # input (the pool skips them before its edges are searched, so a step's edge is found elsewhere).
    taken |= {_key(v) for _, v in hidden}
    strong_rng = _rng("strong", key)
    strong_edges = _strong_edge_inputs(strong_rng, source, taken)
    strong_pool = _LazyPool(lambda: _wild_input(strong_rng, source), reference, WILD_POOL, taken)
    skip = {name for name, keys in hit_keys.items() if keys <= taken}
    strong, _ = _edge_rich_inputs(
        steps, reference, naive, strong_edges, strong_pool, taken, MIN_STRONG_TESTS, skip=skip
    )
    solve = _load(_single_prompt_header(steps) + "\n".join(_body_lines(steps, naive=False)) + "\n")

    def case(value: Any, label: str) -> Case:
        expected = solve(copy.deepcopy(value))
        if not _same(expected, _run_chain(reference, value)):
            raise RuntimeError(f"{signature_of(steps)}: the program and the step chain disagree on {value!r}")
        return Case((value,), expected, label)

    return (
        tuple(case(v, "typical") for v in visible),
        tuple(case(v, label) for label, v in strong),
        tuple(case(v, label) for label, v in hidden),
    )


def _check_chain(steps: Sequence[Step]) -> None:
    if not steps:
        raise ValueError("a composition needs at least one step")
    for previous, step in zip(steps, steps[1:]):
        if KINDS[previous.kind].target != KINDS[step.kind].source:
            returns, takes = KINDS[previous.kind].target, KINDS[step.kind].source
            raise ValueError(f"{previous.kind} returns {returns}, {step.kind} takes {takes}")


def _compile_step(step: Step, naive: bool) -> Callable[[Any], Any]:
    # Our own templated expressions, evaluated in-process as trusted reference code.
    kind = KINDS[step.kind]
    return eval(f"lambda {VARIABLE[kind.source]}: {_expression(step, naive)}", {"__builtins__": builtins})


def _load(program: str) -> Callable[[Any], Any]:
    namespace: dict[str, Any] = {"__builtins__": builtins}
    exec(compile(program, "<procedural reference>", "exec"), namespace)
    return namespace[ENTRY_POINT]


def _run_chain(functions: Sequence[Callable[[Any], Any]], value: Any) -> Any:
    for function in functions:
        value = function(value)
    return value


def _same(a: Any, b: Any) -> bool:
    if type(a) is not type(b):
        return False
    if type(a) is list:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _key(value: Any) -> str:
    return json.dumps(value)


def _empty(value: Any) -> bool:
    return isinstance(value, (list, str)) and not value


def _typical(reference, naive, value: Any) -> bool:
    """No intermediate value is empty, and every naive variant agrees with its reference: the input
    exercises no edge behaviour."""
    for ref, alt in zip(reference, naive):
        if _empty(value):
            return False
        out = ref(value)
        if alt is not None and not _agrees(alt, value, out):
            return False
        value = out
    return not _empty(value)


def _agrees(function: Callable[[Any], Any], value: Any, expected: Any) -> bool:
    try:
        return _same(function(value), expected)
    except Exception:  # a naive variant raising is exactly the edge it misses
        return False


def _visible_inputs(rng: random.Random, steps, reference, naive) -> list[Any] | None:
    """Up to ``VISIBLE_TESTS`` typical inputs, preferring distinct outputs; None unless at least two
    outputs differ (a tier whose answers are all equal teaches nothing)."""
    source = KINDS[steps[0].kind].source
    candidates: list[tuple[Any, Any]] = []
    seen: set[str] = set()
    for _ in range(TYPICAL_DRAWS):
        value = _typical_input(rng, source)
        if _key(value) in seen or not _typical(reference, naive, value):
            continue
        seen.add(_key(value))
        candidates.append((value, _run_chain(reference, value)))
        if len(candidates) >= 4 * VISIBLE_TESTS:
            break
    chosen: list[tuple[Any, Any]] = []
    for value, output in candidates:  # distinct outputs first, then any
        if len(chosen) < VISIBLE_TESTS and all(not _same(output, o) for _, o in chosen):
            chosen.append((value, output))
    for pair in candidates:
        if len(chosen) < VISIBLE_TESTS and pair not in chosen:
            chosen.append(pair)
    distinct = {_key(o) for _, o in chosen}
    if len(chosen) < VISIBLE_TESTS or len(distinct) < 2:
        return None
    return [value for value, _ in chosen]


class _LazyPool:
    """Up to ``size`` draws, less those whose key is in ``exclude``, with their reference traces,
    drawn only as far as a search reads: the same pairs as drawing them all first, at a fraction of
    the cost (searches mostly stop early)."""

    def __init__(self, draw: Callable[[], Any], reference, size: int, exclude: set[str]) -> None:
        self._draw, self._reference, self._left, self._exclude = draw, reference, size, exclude
        self._pairs: list[tuple[Any, list[Any]]] = []

    def __iter__(self):
        i = 0
        while True:
            while i >= len(self._pairs):
                if self._left <= 0:
                    return
                self._left -= 1
                value = self._draw()
                if _key(value) not in self._exclude:
                    self._pairs.append((value, _trace(self._reference, value)))
            yield self._pairs[i]
            i += 1


def _edge_rich_inputs(
    steps,
    reference,
    naive,
    edges,
    pool: Iterable[tuple[Any, list[Any]]],
    exclude: set[str],
    minimum: int,
    skip: set[str] | None = None,
) -> tuple[list[tuple[str, Any]], dict[str, set[str]]]:
    """A hidden or strong tier: type edges, then for each step an input from the pool (pairs of an
    input and its reference trace) reaching its edge (an empty or non-positive intermediate, or one
    where its naive variant errs), then one that separates the whole shortcut, then pool inputs up
    to ``minimum``. ``exclude``: the keys of the other tiers' inputs, never chosen. The first pool
    input reaching an edge is the one taken (if the tier already has it, it has that edge).

    Without ``skip`` (the hidden tier, on a pool drawn in full), each search goes on past its first
    hit, and the keys of its hits are returned, by search: enough of them that one at least lies
    outside every tier if the pool has one (more than this tier and ``exclude`` can hold). With
    ``skip`` (the strong tier, on a lazy pool), a search stops at its first hit, and those named in
    ``skip`` are not run: the strong tier skips the searches whose every hidden-pool hit is an input
    of another tier (only the empty list reaches the edge of ``max_or`` after ``sort``) or that had
    none, since reading a whole lazy pool to find nothing was most of its cost."""
    chosen: list[tuple[str, Any]] = []
    seen = set(exclude)
    hit_keys: dict[str, set[str]] = {}
    enough = len(exclude) + max(minimum, len(edges) + 2 * len(steps) + 1) + 1

    def search(name: str, hits: Iterable[Any]) -> Any:
        if skip is not None:
            return None if name in skip else next(iter(hits), None)
        first, keys = None, hit_keys.setdefault(name, set())
        for value in hits:
            if first is None:
                first = value
            keys.add(_key(value))
            if len(keys) >= enough:
                break
        return first

    def add(label: str, value: Any) -> bool:
        if _key(value) in seen:
            return False
        seen.add(_key(value))
        chosen.append((label, value))
        return True

    for label, value in edges:
        add(label, value)
    for i, step in enumerate(steps):
        if naive[i] is not None:
            label = f"naive:step{i + 1}:{step.kind}"
            hit = search(label, (v for v, t in pool if not _agrees(naive[i], t[i], t[i + 1])))
            if hit is not None:
                add(label, hit)
        label = f"edge:step{i + 1}:{step.kind}"
        hit = search(label, (v for v, t in pool if _edge_value(t[i])))
        if hit is not None:
            add(label, hit)
    shortcut = [n if n is not None else r for r, n in zip(reference, naive)]
    if any(n is not None for n in naive) and all(_agrees_chain(shortcut, v, reference) for _, v in chosen):
        hit = search("shortcut", (v for v, _ in pool if not _agrees_chain(shortcut, v, reference)))
        if hit is not None:
            add("shortcut", hit)
    for value, _ in pool:
        if len(chosen) >= minimum:
            break
        add("random", value)
    return chosen, hit_keys


def _trace(functions, value: Any) -> list[Any]:
    values = [value]
    for function in functions:
        values.append(function(values[-1]))
    return values


def _agrees_chain(functions, value: Any, reference) -> bool:
    try:
        return _same(_run_chain(functions, copy.deepcopy(value)), _run_chain(reference, value))
    except Exception:
        return False


def _edge_value(value: Any) -> bool:
    return _empty(value) or (type(value) is int and value <= 0)


def _large(rng: random.Random) -> int:
    return rng.randint(*LARGE)


def _word(rng: random.Random, letters: str, low: int, high: int) -> str:
    return "".join(rng.choice(letters) for _ in range(rng.randint(low, high)))


def _typical_input(rng: random.Random, type_: str) -> Any:
    """Small, positive, distinct, lower case: what a visible example looks like."""
    if type_ == "list":
        return rng.sample(range(1, 16), rng.randint(3, 5))
    if type_ == "int":
        return rng.randint(2, 99)
    words = [_word(rng, LOWER, 2, 5) for _ in range(rng.randint(1, 3))]
    if rng.random() < 0.25:
        words[rng.randrange(len(words))] = str(rng.randint(1, 99))
    return " ".join(words)


def _wild_input(rng: random.Random, type_: str) -> Any:
    """Anything goes: empty, negative, repeated, large, mixed case, runs of spaces, digits. A third
    of lists and strings draw from a few values only, so that repeats are common."""
    narrow = rng.random() < 1 / 3
    if type_ == "list":
        values = rng.sample(range(-5, 6), 3) if narrow else range(-20, 21)
        length = rng.randint(0, 8)
        return [_large(rng) * rng.choice((-1, 1)) if rng.random() < 0.1 else rng.choice(values) for _ in range(length)]
    if type_ == "int":
        return _large(rng) * rng.choice((-1, 1)) if rng.random() < 0.1 else rng.randint(-100, 100)
    chars = [*rng.sample(WILD_CHARS, 3), rng.choice(PARAM_LETTERS)] if narrow else WILD_CHARS
    return "".join(rng.choice(chars) for _ in range(rng.randint(0, 12)))


def _edge_inputs(rng: random.Random, type_: str) -> list[tuple[str, Any]]:
    """The edge cases every task of an input type gets, labelled."""
    if type_ == "list":
        duplicates = _duplicates(rng)
        return [
            ("empty", []),
            ("single", [rng.randint(1, 20)]),
            ("single_negative", [-rng.randint(1, 20)]),
            ("negatives", _negatives(rng)),
            ("duplicates", duplicates),
            ("large", _large_list(rng)),
            ("mixed", _mixed_list(rng)),
        ]
    if type_ == "int":
        return [
            ("zero", 0),
            ("one", 1),
            ("negative", -rng.randint(2, 99)),
            ("large", _large(rng)),
            ("large_negative", -_large(rng)),
        ]
    return [
        ("empty", ""),
        ("single", rng.choice(LOWER)),
        ("mixed_case", _mixed_case(rng)),
        ("extra_spaces", _extra_spaces(rng)),
        ("digits", _with_digits(rng)),
        ("repeats", _repeats(rng)),
        ("long", _long_text(rng)),
    ]


def _duplicates(rng: random.Random) -> list[int]:
    base = rng.sample(range(1, 10), 3)
    values = base + [base[0], base[1]]
    rng.shuffle(values)
    return values


def _negatives(rng: random.Random) -> list[int]:
    return [-x for x in rng.sample(range(1, 30), 4)]


def _large_list(rng: random.Random) -> list[int]:
    return [_large(rng), _large(rng), -_large(rng)]


def _mixed_list(rng: random.Random) -> list[int]:
    return [0, rng.randint(1, 20), -rng.randint(1, 20), 0, rng.randint(1, 20)]


def _mixed_case(rng: random.Random) -> str:
    letters = LOWER + LOWER.upper()
    return f"{_word(rng, letters, 3, 6)} {_word(rng, 'AEIOU' + letters, 3, 6)}"


def _extra_spaces(rng: random.Random) -> str:
    return f"  {_word(rng, LOWER, 2, 4)}   {_word(rng, LOWER, 2, 4)} "


def _with_digits(rng: random.Random) -> str:
    return f"{_word(rng, LOWER, 1, 3)}{rng.randint(0, 999)}{_word(rng, LOWER, 1, 3)}"


def _repeats(rng: random.Random) -> str:
    return "".join(c * rng.randint(2, 3) for c in rng.sample(LOWER, 3))


def _long_text(rng: random.Random) -> str:
    return " ".join(_word(rng, LOWER, 3, 8) for _ in range(6))


# The strong tier's edge classes. Those of the hidden tier with one member each (the empty list,
# the empty string, 0 and 1) cannot be repeated with a new input; in their place: a single zero and
# a list of equal elements, -1 and a multiple of ten, a string of spaces only (no words, and nothing
# left once spaces are removed). The empty intermediates of later steps come from the pool as usual.
STRONG_EDGES: MappingProxyType[str, tuple[tuple[str, Callable[[random.Random], Any]], ...]] = MappingProxyType({
    "list": (
        ("single", lambda rng: [rng.randint(1, 20)]),
        ("single_negative", lambda rng: [-rng.randint(1, 20)]),
        ("single_zero", lambda rng: [0]),
        ("negatives", _negatives),
        ("duplicates", _duplicates),
        ("all_equal", lambda rng: [rng.randint(-9, 9)] * rng.randint(2, 4)),
        ("large", _large_list),
        ("mixed", _mixed_list),
    ),
    "int": (
        ("minus_one", lambda rng: -1),
        ("negative", lambda rng: -rng.randint(2, 99)),
        ("round", lambda rng: 10 * rng.randint(1, 9)),
        ("large", _large),
        ("large_negative", lambda rng: -_large(rng)),
    ),
    "str": (
        ("blank", lambda rng: " " * rng.randint(1, 3)),
        ("single", lambda rng: rng.choice(LOWER)),
        ("mixed_case", _mixed_case),
        ("extra_spaces", _extra_spaces),
        ("digits", _with_digits),
        ("repeats", _repeats),
        ("long", _long_text),
    ),
})


def _strong_edge_inputs(rng: random.Random, type_: str, exclude: set[str]) -> list[tuple[str, Any]]:
    """One input of each of ``STRONG_EDGES[type_]``, labelled, each redrawn (up to ``EDGE_DRAWS``
    times) until no other tier has it; a class whose every draw is taken (a single zero that the
    hidden pool already holds) is left out."""
    chosen: list[tuple[str, Any]] = []
    seen = set(exclude)
    for label, draw in STRONG_EDGES[type_]:
        for _ in range(EDGE_DRAWS):
            value = draw(rng)
            if _key(value) not in seen:
                seen.add(_key(value))
                chosen.append((label, value))
                break
    return chosen


# --- prompts and programs --------------------------------------------------------------------


def _expression(step: Step, naive: bool) -> str:
    kind = KINDS[step.kind]
    template = kind.naive if naive and kind.naive is not None else kind.reference
    return template.format(**{name: repr(value) for name, value in step.params})


def _phrase(step: Step) -> str:
    return KINDS[step.kind].phrase.format(**{name: repr(value) for name, value in step.params})


def _sentence(phrases: Sequence[str]) -> str:
    text = ", then ".join(phrases) + ", and return the result."
    return text[0].upper() + text[1:]


def _header(name: str, source: str, target: str) -> str:
    return f"def {name}({VARIABLE[source]}: {ANNOTATION[source]}) -> {ANNOTATION[target]}:\n"


def _single_prompt_header(steps: Sequence[Step]) -> str:
    return _header(ENTRY_POINT, KINDS[steps[0].kind].source, KINDS[steps[-1].kind].target)


def _call(entry_point: str, args: Sequence[Any]) -> str:
    return f"{entry_point}({', '.join(repr(a) for a in args)})"


def _docstring(summary: str, examples: Sequence[Case]) -> str:
    lines = [f'    """{summary}']
    for case in examples:
        lines += [f"    >>> {_call(ENTRY_POINT, case.input)}", f"    {case.expected!r}"]
    return "\n".join(lines) + '\n    """\n'


def _body_lines(steps: Sequence[Step], naive: bool) -> list[str]:
    """One line per step; a naive variant that drops its step (``xs = xs``) writes no line."""
    lines = []
    for i, step in enumerate(steps):
        kind = KINDS[step.kind]
        expression = _expression(step, naive)
        if i == len(steps) - 1:
            lines.append(f"    return {expression}")
        elif expression != VARIABLE[kind.source]:
            lines.append(f"    {VARIABLE[kind.target]} = {expression}")
    return lines


def _multi_step_solution(steps: Sequence[Step], naive: bool) -> str:
    """``f``'s body calling the helpers in order, then every helper defined in full. The module is
    prompt + completion, so these definitions replace the prompt's stubs before ``f`` is called."""
    calls = []
    for i, step in enumerate(steps, start=1):
        kind = KINDS[step.kind]
        call = f"step{i}({VARIABLE[kind.source]})"
        calls.append(f"    return {call}" if i == len(steps) else f"    {VARIABLE[kind.target]} = {call}")
    helpers = [
        "\n\n"
        + _header(f"step{i}", KINDS[step.kind].source, KINDS[step.kind].target)
        + f"    return {_expression(step, naive)}\n"
        for i, step in enumerate(steps, start=1)
    ]
    return "\n".join(calls) + "\n" + "".join(helpers)


def _assemble(
    steps: tuple[Step, ...],
    visible: tuple[Case, ...],
    strong: tuple[Case, ...],
    hidden: tuple[Case, ...],
    split: str,
    variant: str,
) -> ProceduralTask:
    source, target = KINDS[steps[0].kind].source, KINDS[steps[-1].kind].target
    spec = _sentence([_phrase(step) for step in steps])
    if variant == "single":
        prompt = _single_prompt_header(steps) + _docstring(spec, visible)
        canonical = "\n".join(_body_lines(steps, naive=False)) + "\n"
        shortcut = "\n".join(_body_lines(steps, naive=True)) + "\n"
        prefix = "proc"
    else:
        stubs = "".join(
            _header(f"step{i}", KINDS[step.kind].source, KINDS[step.kind].target)
            + f'    """{_sentence([_phrase(step)])}"""\n\n\n'
            for i, step in enumerate(steps, start=1)
        )
        composed = _sentence([f"apply step{i}" for i in range(1, len(steps) + 1)])
        prompt = stubs + _single_prompt_header(steps) + _docstring(composed, visible)
        canonical = _multi_step_solution(steps, naive=False)
        shortcut = _multi_step_solution(steps, naive=True)
        prefix = "proc-ms"
    digest = hashlib.sha256(f"{variant}/{_composition_key(steps)}".encode()).hexdigest()[:10]
    return ProceduralTask(
        task_id=f"{prefix}/L{len(steps)}/{digest}",
        variant=variant,
        level=len(steps),
        split=split,
        signature=signature_of(steps),
        steps=steps,
        input_type=source,
        output_type=target,
        spec=spec,
        prompt=prompt,
        entry_point=ENTRY_POINT,
        canonical_solution=canonical,
        shortcut_solution=shortcut,
        visible=visible,
        strong=strong,
        hidden=hidden,
    )


def shortcut_program(task: ProceduralTask) -> str:
    return task.program(task.shortcut_solution)


# --- multi-turn feedback ---------------------------------------------------------------------


def next_turn_prompt(
    task: ProceduralTask, completion: str, verdict: Verdict, attempt: int = 1, max_listed: int = 3
) -> str:
    """The prompt for the next turn: the previous attempt and what went wrong on the VISIBLE tests,
    as comments above the task's own prompt (so the module stays ``prompt + completion``).

    ``verdict`` must judge the visible tier (its test count is checked); strong and hidden tests never
    appear.
    The sandbox reports no wrong value (only that it was wrong), so feedback states the expected one.
    """
    if verdict.tests_total != len(task.visible) or len(verdict.outcomes) != len(task.visible):
        raise ValueError(
            f"{task.task_id}: feedback is built from the visible tier only ({len(task.visible)} tests); "
            f"got a verdict on {verdict.tests_total}"
        )
    if verdict.passed:
        raise ValueError(f"{task.task_id}: the attempt passed the visible tests; there is nothing to feed back")
    code = completion.rstrip().splitlines()  # every line break Python honours, so comments stay comments
    if len(code) > MAX_ATTEMPT_LINES:
        code = code[:MAX_ATTEMPT_LINES] + ["..."]
    lines = [f"# Attempt {attempt} failed.", "# Your code:"]
    lines += [f"# {line}" if line.strip() else "#" for line in code]
    lines += _feedback(task, verdict, max_listed)
    return "\n".join(lines) + "\n" + task.prompt


def _feedback(task: ProceduralTask, verdict: Verdict, max_listed: int) -> list[str]:
    if verdict.status == "syntax_error":
        return [f"# It does not parse ({_one_line(verdict.first_error)})."]
    if not verdict.loaded:
        return [f"# It raised {_one_line(verdict.first_error)} before {task.entry_point} was called."]
    lines = []
    failed = [(case, outcome) for case, outcome in zip(task.visible, verdict.outcomes) if not outcome.passed]
    for case, outcome in failed[:max_listed]:
        call = _call(task.entry_point, case.input)
        lines.append(f"# {call} should return {case.expected!r}; {_what_happened(outcome, verdict)}.")
    if len(failed) > max_listed:
        lines.append(f"# ({len(failed) - max_listed} more failed.)")
    return lines


def _one_line(text: str | None) -> str:
    """Untrusted text (the program names its exceptions) on one line, so it cannot leave the comment."""
    return " ".join(str(text).split())[:MAX_MESSAGE_CHARS]


def _what_happened(outcome, verdict: Verdict) -> str:
    if outcome.status == "wrong":
        return "your code returned a wrong value"
    if outcome.status == "error":
        message = _one_line(outcome.message)
        return f"your code raised {_one_line(outcome.error_type)}" + (f": {message}" if message else "")
    if outcome.status == "unserialisable":
        return "your code returned something that is not an int, str or list"
    if verdict.status == "timeout":
        return "your code ran out of time"
    return "your code stopped before returning"


# --- judging and measurement -------------------------------------------------------------------


@dataclass(frozen=True)
class Judgement:
    """A completion's verdicts on the three tiers of one task."""

    task_id: str
    visible: Verdict
    strong: Verdict
    hidden: Verdict

    @property
    def passes_visible_fails_hidden(self) -> bool:
        """The paradox: rewarded on the visible tests, wrong on the spec."""
        return self.visible.passed and not self.hidden.passed

    @property
    def passes_visible_fails_strong(self) -> bool:
        """Rewarded on the visible tests but not by the ``strong`` reward: the paradox it catches."""
        return self.visible.passed and not self.strong.passed

    @property
    def passes_strong_fails_hidden(self) -> bool:
        """Rewarded by the ``strong`` reward, wrong on the spec: the paradox left under that control."""
        return self.strong.passed and not self.hidden.passed


def judge(
    sandbox: Sandbox, tasks: Sequence[ProceduralTask], completions: Sequence[str], label: str = "candidate"
) -> list[Judgement]:
    """Judge ``completions[i]`` on ``tasks[i]``, every tier (``TIERS``), in one batch in the sandbox:
    one job per completion (``all_tiers_job``)."""
    if len(tasks) != len(completions):
        raise ValueError(f"{len(tasks)} tasks but {len(completions)} completions")
    jobs = [task.all_tiers_job(f"{label}/{task.task_id}#{i}", task.program(completion))
            for i, (task, completion) in enumerate(zip(tasks, completions))]
    return [task.judgement(verdict) for task, verdict in zip(tasks, sandbox.run_many(jobs))]


def summarize_suite(
    tasks: Sequence[ProceduralTask],
    shortcut: Sequence[Judgement] | None = None,
    reference: Sequence[Judgement] | None = None,
) -> dict[str, Any]:
    """Counts per level, split and variant, and, given the judgements of the shortcut (and of the
    reference) solutions, how many pass each tier, how many pass the visible tests and fail the
    hidden ones (the paradox), how many of those the strong tier catches (pass visible, fail strong)
    and how many it misses (pass strong, fail hidden)."""
    summary: dict[str, Any] = {
        "tasks": len(tasks),
        "signatures": len({t.signature for t in tasks}),
        "by_level": {},
        "by_variant": {v: sum(t.variant == v for t in tasks) for v in VARIANTS},
        "strong_tests_min": min((len(t.strong) for t in tasks), default=0),
        "hidden_tests_min": min((len(t.hidden) for t in tasks), default=0),
        "tasks_with_shortcut": sum(t.has_shortcut for t in tasks),
    }
    for level in sorted({t.level for t in tasks}):
        at_level = [t for t in tasks if t.level == level]
        splits = {s: sum(t.split == s for t in at_level) for s in SPLITS}
        summary["by_level"][str(level)] = {"tasks": len(at_level), **splits}
    if shortcut is not None:
        summary["shortcut"] = _judgement_counts(tasks, shortcut)
    if reference is not None:
        summary["reference"] = _judgement_counts(tasks, reference)
    return summary


def _judgement_counts(tasks: Sequence[ProceduralTask], judgements: Sequence[Judgement]) -> dict[str, Any]:
    if [t.task_id for t in tasks] != [j.task_id for j in judgements]:
        raise ValueError("judgements must be in the order of the tasks")

    def counts(pairs: list[tuple[ProceduralTask, Judgement]]) -> dict[str, int]:
        return {
            "tasks": len(pairs),
            "passes_visible": sum(j.visible.passed for _, j in pairs),
            "passes_strong": sum(j.strong.passed for _, j in pairs),
            "passes_hidden": sum(j.hidden.passed for _, j in pairs),
            "passes_visible_fails_hidden": sum(j.passes_visible_fails_hidden for _, j in pairs),
            "passes_visible_fails_strong": sum(j.passes_visible_fails_strong for _, j in pairs),
            "passes_strong_fails_hidden": sum(j.passes_strong_fails_hidden for _, j in pairs),
        }

    pairs = list(zip(tasks, judgements))
    result: dict[str, Any] = counts(pairs)
    levels = sorted({t.level for t in tasks})
    result["by_level"] = {str(level): counts([p for p in pairs if p[0].level == level]) for level in levels}
    return result
