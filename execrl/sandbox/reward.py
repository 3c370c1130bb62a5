"""execrl's sandbox as a reward function for your own trainer.

TRL's ``GRPOTrainer`` calls each reward function as ``f(prompts, completions, **columns)`` and
expects one float per completion; extra dataset columns arrive as keyword arguments, one value per
completion. ``SandboxReward`` follows that signature::

    from trl import GRPOTrainer
    from execrl.sandbox.reward import SandboxReward

    reward = SandboxReward(workers=4)              # keeps warm workers for the whole run
    # dataset columns: "prompt", "entry_point", "tests" = [{"input": [...], "expected": ...}, ...]
    trainer = GRPOTrainer(model=..., reward_funcs=[reward], train_dataset=dataset, ...)

Completions may be plain strings or chat messages (a list of ``{"role", "content"}`` dicts). The
code is the last fenced code block if there is one, else the whole text. ``kind="outcome"`` gives
1.0 iff every test passes (DeepCoder's binary reward); ``kind="partial"`` the fraction passed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from execrl.sandbox.pool import Sandbox
from execrl.sandbox.records import Job, Test, Verdict

_FENCE = re.compile(r"```[ \t]*(?:python|py|python3)?[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)
KINDS = ("outcome", "partial")


def extract_code(completion: str | Sequence[dict[str, Any]]) -> str:
    """The code a completion proposes: its last fenced block, else all of its text."""
    if not isinstance(completion, str):  # conversational format: use the last message's content
        completion = completion[-1]["content"] if completion else ""
    blocks = _FENCE.findall(completion)
    return blocks[-1] if blocks else completion


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
        jobs = [
            Job(
                id=str(i),
                program=extract_code(completion),
                entry_point=entry_point,
                tests=tuple(Test(tuple(t["input"]), t["expected"]) for t in tests),
                timeout_s=self.timeout_s,
                memory_mb=self.memory_mb,
                json_outputs=True,
            )
            for i, (completion, tests, entry_point) in enumerate(
                zip(completions, columns[self.tests_column], columns[self.entry_point_column], strict=True)
            )
        ]
        return [reward_of(v, self.kind) for v in self.sandbox.run_many(jobs)]

    @property
    def sandbox(self) -> Sandbox:
        if self._sandbox is None:
            self._sandbox = Sandbox(workers=self.workers)
        return self._sandbox

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.close()
            self._sandbox = None
