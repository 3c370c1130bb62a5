"""execrl's sandbox as a reward function for your own trainer.

TRL's ``GRPOTrainer`` calls each reward function as ``f(prompts, completions, **columns)`` and
expects one float per completion; extra dataset columns arrive as keyword arguments, one value per
completion. ``SandboxReward`` follows that signature::

    from datasets import Dataset
    from trl import GRPOTrainer
    from execrl.sandbox.reward import SandboxReward, encode_tests

    tests = [{"input": [3, 1], "expected": 3}, {"input": [1.5, 2], "expected": 3.0}]
    dataset = Dataset.from_list([{"prompt": ..., "entry_point": "scale", "tests": encode_tests(tests)}])
    reward = SandboxReward(workers=4)              # keeps warm workers for the whole run
    trainer = GRPOTrainer(model=..., reward_funcs=[reward], train_dataset=dataset, ...)

Completions may be plain strings or chat messages (a list of ``{"role", "content"}`` dicts). The
code is the content of the last CommonMark fenced code block (a line of three or more backticks or
tildes, indented at most three spaces, with any info string, closed by a line of at least as many of
the same character; an unclosed one runs to the end of the text), else the whole text.
``kind="outcome"`` gives 1.0 iff every test passes (DeepCoder's binary reward); ``kind="partial"``
the fraction passed.

The tests column holds, per row, either a string written by ``encode_tests`` or a plain Python list
of ``{"input": [...], "expected": ...}`` dicts. Only the string is exact through Hugging Face
``datasets``: Arrow stores a column with one type, so it turns an ``expected`` of 3 beside one of 1.5
into 3.0 (and a correct program then fails), and nothing in the values it hands back tells that it
did. ``encode_tests`` keeps every type (int, float, bool, tuple, set, ...), and encoded tests are
compared exactly: a returned tuple matches an expected tuple, not a list. A plain list is compared
after a JSON round trip of the output (a returned tuple matches an expected list), as for tests read
from JSON. A value that is neither raises ValueError naming the column and the row.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from execrl.sandbox import codec
from execrl.sandbox.pool import Sandbox
from execrl.sandbox.records import Job, Test, Verdict

KINDS = ("outcome", "partial")
# A fence line: up to 3 spaces (4 would make an indented code block), then 3 or more ` or ~.
_OPENING_FENCE = re.compile(r"(?P<indent> {0,3})(?P<fence>`{3,}|~{3,})(?P<info>.*)")
_CLOSING_FENCE = re.compile(r" {0,3}(?P<fence>`{3,}|~{3,})[ \t]*")
_TEST_SHAPE = '{"input": [...], "expected": ...}'
_FIX = "write the column with execrl.sandbox.reward.encode_tests(tests), which datasets stores exactly"


def extract_code(completion: str | Sequence[dict[str, Any]]) -> str:
    """The code a completion proposes: its last fenced code block, else all of its text."""
    if not isinstance(completion, str):  # conversational format: use the last message's content
        completion = completion[-1]["content"] if completion else ""
    blocks = fenced_blocks(completion)
    return blocks[-1] if blocks else completion


def fenced_blocks(text: str) -> list[str]:
    """The contents of the CommonMark fenced code blocks of ``text``, in order."""
    blocks: list[str] = []
    fence, indent, body = None, 0, []
    for line in text.splitlines(keepends=True):
        if fence is None:
            opening = _opening_fence(line)
            if opening:
                fence, indent, body = opening["fence"], len(opening["indent"]), []
        elif _closes(line, fence):
            blocks.append("".join(body))
            fence = None
        else:
            body.append(_unindent(line, indent))
    if fence is not None:  # CommonMark: an unclosed fence runs to the end of the document
        blocks.append("".join(body))
    return blocks


def _opening_fence(line: str) -> re.Match[str] | None:
    match = _OPENING_FENCE.fullmatch(line.rstrip("\r\n"))
    # A backtick in a backtick fence's info string makes the line inline code (```x```), not a fence.
    if match and match["fence"][0] == "`" and "`" in match["info"]:
        return None
    return match


def _closes(line: str, fence: str) -> bool:
    match = _CLOSING_FENCE.fullmatch(line.rstrip("\r\n"))
    return bool(match) and match["fence"][0] == fence[0] and len(match["fence"]) >= len(fence)


def _unindent(line: str, indent: int) -> str:
    """CommonMark removes up to the opening fence's indentation from each line of the block, which
    keeps the top level of an indented block's Python at column 0."""
    spaces = len(line) - len(line.lstrip(" "))
    return line[min(spaces, indent) :]


def encode_tests(tests: Sequence[dict[str, Any]]) -> str:
    """``tests`` as a string for a dataset's tests column: a ``datasets``/Arrow column keeps it
    exactly, where a structured column would change its types (see the module docstring)."""
    try:
        _as_tests(tests)  # refuse a malformed list when the dataset is built, not mid-training
    except ValueError as exc:
        raise ValueError(f"encode_tests' argument {exc}") from None
    try:
        return codec.dumps(tests).decode("ascii")
    except codec.Unserialisable as exc:
        raise TypeError(
            "tests may hold only plain data (None, bool, int, float, str, bytes, list, tuple, dict, set, frozenset)"
        ) from exc


def read_tests(value: Any) -> tuple[tuple[Test, ...], bool]:
    """One row of the tests column as Tests, and whether they are exact (written by encode_tests).
    Raises ValueError, saying what is wrong, for a value that is neither."""
    if not isinstance(value, str):
        return _as_tests(value), False
    try:
        return _as_tests(codec.loads(value)), True
    except ValueError as exc:  # codec.Malformed, or a valid encoding of something other than tests
        raise ValueError(f"is a string that encode_tests did not write ({exc})") from None


def _as_tests(value: Any) -> tuple[Test, ...]:
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"is a {type(value).__name__}, not a list of {_TEST_SHAPE} dicts")
    for i, test in enumerate(value):
        if not (isinstance(test, dict) and isinstance(test.get("input"), (list, tuple)) and "expected" in test):
            raise ValueError(f"has test {i} = {test!r:.80}, which is not a {_TEST_SHAPE} dict")
    return tuple(Test(tuple(test["input"]), test["expected"]) for test in value)


def reward_of(verdict: Verdict, kind: str) -> float:
    if kind == "outcome":
        return 1.0 if verdict.passed else 0.0
    return verdict.pass_fraction


class SandboxReward:
    """A TRL-style reward function backed by a pool of sandbox workers."""

    def __init__(
        self,
        workers: int = 1,
        kind: str = "outcome",
        tests_column: str = "tests",
        entry_point_column: str = "entry_point",
        timeout_s: float = 10.0,
        memory_mb: int = 1024,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        self.__name__ = f"execrl_{kind}"  # TRL logs each reward function under its __name__
        self.kind = kind
        self.tests_column = tests_column
        self.entry_point_column = entry_point_column
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.workers = workers
        self._sandbox: Sandbox | None = None

    def __call__(self, prompts: Sequence[Any], completions: Sequence[Any], **columns: Any) -> list[float]:
        for column in (self.tests_column, self.entry_point_column):
            if column not in columns:
                raise KeyError(f"the dataset has no column {column!r}; available: {sorted(columns)}")
        rows = zip(completions, columns[self.tests_column], columns[self.entry_point_column], strict=True)
        jobs = [self._job(row, *values) for row, values in enumerate(rows)]
        return [reward_of(v, self.kind) for v in self.sandbox.run_many(jobs)]

    def _job(self, row: int, completion: Any, tests_value: Any, entry_point: Any) -> Job:
        try:
            tests, exact = read_tests(tests_value)
        except ValueError as exc:
            where = f"the {self.tests_column!r} value of row {row} of this batch (entry point {entry_point!r})"
            raise ValueError(f"{where} {exc}; {_FIX}") from None
        return Job(
            id=str(row),
            program=extract_code(completion),
            entry_point=entry_point,
            tests=tests,
            timeout_s=self.timeout_s,
            memory_mb=self.memory_mb,
            json_outputs=not exact,  # encoded tests keep tuples, so they are compared as written
        )

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            self._sandbox = Sandbox(workers=self.workers)
        return self._sandbox

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
