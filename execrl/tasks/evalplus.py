"""HumanEval+ v0.1.10 and MBPP+ v0.2.0 (Liu et al., 2023): EvalPlus's stronger test inputs.

Both are optional files whose paths the config names (see ../shared/data/README.md for where they
come from). A file is accepted only if its sha256 is the one of the official release, so that
results are never silently computed on another version. Inputs are stored as JSON, which has no
tuples or sets: the tasks that take them get their arguments rebuilt, as EvalPlus's own loader does.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any

from execrl.tasks.humaneval import TaskDataError, _read_source, _task_number

RELEASES = {  # name, sha256 of the official file, where it is published
    "humaneval_plus": ("HumanEval+ v0.1.10", "272720b90ac375502c8ed23cd791c2a93dfb22a911641a494da74a426c09f101",
                       "github.com/evalplus/humanevalplus_release, tag v0.1.10"),
    "mbpp_plus": ("MBPP+ v0.2.0", "af43697e8791c4c149bdfd6b489d8b5412507551ac20e28a439f650b8225db63",
                  "github.com/evalplus/mbppplus_release, tag v0.2.0"),
}
REQUIRED_FIELDS = ("task_id", "prompt", "entry_point", "canonical_solution", "base_input", "plus_input", "atol", "contract")


@dataclass(frozen=True)
class EvalPlusProblem:
    """One EvalPlus task. ``canonical_solution`` completes ``prompt`` (HumanEval+) or is the whole
    function (MBPP+, whose prompt is a docstring with one example assert)."""

    task_id: str
    prompt: str
    entry_point: str
    canonical_solution: str
    base_input: tuple[tuple[Any, ...], ...]
    plus_input: tuple[tuple[Any, ...], ...]
    atol: float
    contract: str

    def program(self, completion: str) -> str:
        return self.prompt + completion


def sha256_of(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def load_evalplus(path: str | Path, release: str) -> list[EvalPlusProblem]:
    """Load one of ``RELEASES`` after checking the file is exactly that release."""
    name, expected, _ = RELEASES[release]
    source = Path(path)
    fix = f"{where_to_get(release)}, or set the path to null to skip this tier"
    if not source.is_file():
        raise TaskDataError(f"{name} file not found: {source}; {fix}")
    actual = sha256_of(source)
    if actual != expected:
        raise TaskDataError(
            f"{source} is not the {name} release (sha256 {actual[:16]}…, expected {expected[:16]}…): "
            f"the file is corrupt or another version; {fix}"
        )
    problems = [_to_problem(record, source, line, fix) for line, record in _read_source(source)]
    return sorted(problems, key=_task_number)


def where_to_get(release: str) -> str:
    """How to get the official file (see ../shared/data/README.md)."""
    return (f"put the official release ({RELEASES[release][2]}) at that path; where ../shared/data holds it: "
            "mkdir -p resources && cp ../shared/data/*.jsonl.gz resources/")


def _to_problem(record: Any, source: Path, line: int, fix: str) -> EvalPlusProblem:
    if not isinstance(record, dict) or any(field not in record for field in REQUIRED_FIELDS):
        missing = [f for f in REQUIRED_FIELDS if not isinstance(record, dict) or f not in record]
        raise TaskDataError(f"{source}:{line}: missing fields {missing}; {fix}")
    convert = _input_converter(record["task_id"])
    return EvalPlusProblem(
        task_id=record["task_id"],
        prompt=record["prompt"],
        entry_point=record["entry_point"],
        canonical_solution=record["canonical_solution"],
        base_input=tuple(convert(args) for args in _inputs(record["base_input"])),
        plus_input=tuple(convert(args) for args in _inputs(record["plus_input"])),
        atol=float(record["atol"] or 0.0),
        contract=record["contract"],
    )


def _inputs(stored: Any) -> list[list[Any]]:
    """The stored argument lists; MBPP+ stores a task without plus inputs (Mbpp/793) as ``{}``."""
    return [] if stored == {} else list(stored)


# MBPP+ stores inputs as JSON, which has no tuples, sets or complex numbers. These tasks take such
# arguments; the release's own loader rebuilds them per task, and so do we (task number -> rule).
_TUPLE_ARGUMENTS = {2, 116, 132, 143, 222, 261, 273, 394, 399, 421, 424, 429, 470, 560, 579, 596, 616, 630, 726, 740, 744, 809}
_TUPLE_ITEMS = {63, 64, 70, 94, 120, 237, 272, 299, 400, 409, 417, 438, 473, 614, 780}
_FIRST_ARGUMENT_TUPLE_ITEMS = {75, 413, 444, 753}
_FIRST_ARGUMENT_TUPLE = {250, 307, 405, 446, 617, 720, 763, 808}
_SECOND_ARGUMENT_TUPLE = {106, 750}
_TUPLE_OF_TUPLES = {259, 401, 445}
_ALL_TUPLES = {580, 615, 791}
COMPLEX_INPUT_TASKS = {"Mbpp/124", "Mbpp/252"}  # complex arguments: outside the sandbox's plain data


def _input_converter(task_id: str) -> Callable[[list[Any]], tuple[Any, ...]]:
    """A function that rebuilds one stored argument list of ``task_id`` with its real types."""
    number = _task_number_of(task_id) if task_id.startswith("Mbpp/") else None

    def convert(args: list[Any]) -> tuple[Any, ...]:
        args = list(args)
        if number in _TUPLE_ARGUMENTS:
            args = [tuple(a) for a in args]
        elif number in _TUPLE_ITEMS:
            args = [[tuple(item) for item in a] for a in args]
        elif number in _FIRST_ARGUMENT_TUPLE_ITEMS:
            args[0] = [tuple(item) for item in args[0]]
        elif number in _FIRST_ARGUMENT_TUPLE:
            args[0] = tuple(args[0])
        elif number in _SECOND_ARGUMENT_TUPLE:
            args[1] = tuple(args[1])
        elif number in _TUPLE_OF_TUPLES:
            args = [tuple(tuple(item) for item in a) for a in args]
        elif number == 278:
            args[0] = tuple(tuple(item) if isinstance(item, list) else item for item in args[0])
        elif number == 722:
            args[0] = {key: tuple(value) for key, value in args[0].items()}
        elif number == 115:  # the release's loader turns an empty list into {} (a dict), kept as is
            args[0] = [set(item) if isinstance(item, list) and item else {} for item in args[0]]
        elif number in _ALL_TUPLES:
            args = [_deep_tuple(a) for a in args]
        return tuple(args)

    return convert


def _deep_tuple(value: Any) -> Any:
    return tuple(_deep_tuple(v) for v in value) if isinstance(value, list) else value


def _task_number_of(task_id: str) -> int:
    return int(task_id.rsplit("/", 1)[1])


def load_optional(path: str | Path | None, release: str) -> tuple[list[EvalPlusProblem] | None, str]:
    """The release's problems and a note, or None and why it was skipped (no path, or no file).

    Only absence is forgiven: a file that is there but corrupt or of another version fails."""
    name = RELEASES[release][0]
    if path is None:
        return None, f"{name} skipped: its path is set to null in the config"
    if not Path(path).exists():
        return None, f"{name} skipped: {path} not found; to include it, {where_to_get(release)}"
    return load_evalplus(path, release), f"{name} loaded from {path}"
