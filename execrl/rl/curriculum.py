"""Which training tasks an RL step draws: uniformly, or where the current policy is at the edge of
its competence.

A group's advantages are all zero when its G rewards are equal, so a task the policy always or never
solves teaches nothing (arXiv 2512.07783: gains only under edge-of-competence training; DAPO's
dynamic sampling discards such groups after paying for them). The ``adaptive`` curriculum scores each
task by how likely its next group is to carry a signal, P(informative) = P(not all G rewards equal),
and draws tasks in proportion to that score raised to ``SHARPNESS`` (Gumbel top-k: without
replacement, seeded).

A task's score blends two estimates by how much is known of it. Its own: the expectation of
1 - p^G - (1 - p)^G under a Beta posterior on its solve rate p from its own outcomes (Jeffreys prior).
Its level's: the share of the level's groups that were informative. Not the level's mean solve
rate: per-task rates are far from the mean (most tasks are solved always or never), so a level
whose mean is 1/2 may still have mostly all-equal groups. Every count is discounted by ``DECAY`` per
step, so that estimates follow the policy as it learns, and a level the policy starts to solve
(its informative share rising) draws its unseen tasks in: the policy climbs levels as it learns.

Rewards in [0, 1] (partial credit, process rewards) count as fractional successes.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from execrl.tasks.procedural import ProceduralTask

CURRICULA = ("uniform", "adaptive")
DECAY = 0.95  # per step, applied to every outcome counted so far
SHARPNESS = 8.0  # a task is drawn in proportion to its score to this power
UNSEEN_SHARE = 0.5  # a level's informative share before any of its groups is seen


@dataclass
class Counts:
    """Discounted successes and failures."""

    successes: float = 0.0
    failures: float = 0.0

    def add(self, rewards: Sequence[float]) -> None:
        self.successes += sum(rewards)
        self.failures += len(rewards) - sum(rewards)

    def decay(self, factor: float) -> None:
        self.successes *= factor
        self.failures *= factor

    @property
    def total(self) -> float:
        return self.successes + self.failures


@dataclass
class Curriculum:
    """The draw of each step's tasks (``draw``) and what it learns from their rewards (``observe``)."""

    tasks: Sequence[ProceduralTask]
    kind: str
    group_size: int
    rng: random.Random
    per_task: dict[str, Counts] = field(default_factory=dict)
    per_level: dict[int, Counts] = field(default_factory=dict)  # groups: informative ones as successes

    def __post_init__(self) -> None:
        if self.kind not in CURRICULA:
            raise ValueError(f"unknown curriculum {self.kind!r}; known: {CURRICULA}")

    def draw(self, count: int) -> list[ProceduralTask]:
        if self.kind == "uniform":
            return self.rng.sample(list(self.tasks), count)
        keys = [(SHARPNESS * math.log(max(self.score(task), 1e-12)) - math.log(-math.log(self.rng.random() or 1e-300)),
                 -index) for index, task in enumerate(self.tasks)]  # Gumbel top-k: sampling ∝ score^SHARPNESS
        keys.sort(reverse=True)
        return [self.tasks[-index] for _, index in keys[:count]]

    def observe(self, tasks: Sequence[ProceduralTask], rewards: Sequence[float]) -> None:
        """Discount what is known by one step, then count ``rewards`` (group-contiguous, one group of
        ``group_size`` per task of ``tasks``)."""
        for counts in (*self.per_task.values(), *self.per_level.values()):
            counts.decay(DECAY)
        for i, task in enumerate(tasks):
            group = rewards[i * self.group_size:(i + 1) * self.group_size]
            self.per_task.setdefault(task.task_id, Counts()).add(group)
            informative = float(min(group) != max(group))
            self.per_level.setdefault(task.level, Counts()).add([informative])

    def score(self, task: ProceduralTask) -> float:
        """P(the task's next group is informative): its own estimate and its level's, blended by how
        many of its samples have been seen (G samples weigh as much as the level)."""
        level = self.per_level.get(task.level, Counts())
        level_share = (level.successes + UNSEEN_SHARE) / (level.total + 1.0)
        own = self.per_task.get(task.task_id)
        if own is None:
            return level_share
        weight = own.total / (own.total + self.group_size)
        return weight * _informative(own.successes + 0.5, own.failures + 0.5, self.group_size) + (1 - weight) * level_share

    def state(self) -> dict:
        """What a resume point must hold to continue the same draws (the rng is saved by the caller)."""
        return {
            "per_task": {k: [c.successes, c.failures] for k, c in self.per_task.items()},
            "per_level": {str(k): [c.successes, c.failures] for k, c in self.per_level.items()},
        }

    def restore(self, state: dict) -> None:
        self.per_task = {k: Counts(*v) for k, v in state["per_task"].items()}
        self.per_level = {int(k): Counts(*v) for k, v in state["per_level"].items()}


def _informative(a: float, b: float, group_size: int) -> float:
    """E[1 - p^G - (1 - p)^G] for p ~ Beta(a, b): the chance that G draws are not all equal."""
    all_solved = all_failed = 1.0
    for i in range(group_size):
        all_solved *= (a + i) / (a + b + i)
        all_failed *= (b + i) / (a + b + i)
    return 1.0 - all_solved - all_failed
