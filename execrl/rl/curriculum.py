"""Which training tasks an RL step draws: uniformly, or where the current policy is at the edge of
its competence.

A group's advantages are all zero when its G rewards are equal, so a task the policy always or never
solves teaches nothing (arXiv 2512.07783: gains only under edge-of-competence training; DAPO's
dynamic sampling discards such groups after paying for them). The ``adaptive`` curriculum keeps an
estimate of each task's solve rate under the current policy, from the groups already sampled for
it, and draws the tasks whose next group is most likely to carry a signal.

The estimate of a task's solve rate p is a Beta distribution: its level's pooled rate, worth
``PRIOR_WEIGHT`` samples, plus the task's own outcomes. Every outcome counted is discounted by
``DECAY`` per step since it was observed, so that estimates follow the policy as it learns (an old
failure says less about today's policy than a new one). A task is worth drawing with probability
P(informative) = 1 - p^G - (1 - p)^G, the chance that a group of G rewards is not all equal. Each
step draws p from each task's Beta (Thompson sampling: tasks with few observations get tried) and
takes the ``tasks_per_step`` tasks with the highest P(informative). Levels are pooled the same way,
so a level the policy has started to solve (its pooled rate rising from near zero) draws its
unseen tasks in, and the policy climbs levels as it learns.

Rewards in [0, 1] (partial credit, process rewards) count as fractional successes.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from execrl.tasks.procedural import ProceduralTask

CURRICULA = ("uniform", "adaptive")
PRIOR_WEIGHT = 2.0  # samples the level's pooled rate is worth in each task's estimate
DECAY = 0.95  # per step, applied to every outcome counted so far
LEVEL_FLOOR = 0.5  # pseudo-successes and -failures in each level's pooled count: a rate of 1/2 before any outcome


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
    per_level: dict[int, Counts] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in CURRICULA:
            raise ValueError(f"unknown curriculum {self.kind!r}; known: {CURRICULA}")

    def draw(self, count: int) -> list[ProceduralTask]:
        if self.kind == "uniform":
            return self.rng.sample(list(self.tasks), count)
        scored = [(self._informative(task), index) for index, task in enumerate(self.tasks)]
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [self.tasks[index] for _, index in scored[:count]]

    def observe(self, tasks: Sequence[ProceduralTask], rewards: Sequence[float]) -> None:
        """Discount what is known by one step, then count ``rewards`` (group-contiguous, one group of
        ``group_size`` per task of ``tasks``)."""
        for counts in (*self.per_task.values(), *self.per_level.values()):
            counts.decay(DECAY)
        for i, task in enumerate(tasks):
            group = rewards[i * self.group_size:(i + 1) * self.group_size]
            self.per_task.setdefault(task.task_id, Counts()).add(group)
            self.per_level.setdefault(task.level, Counts()).add(group)

    def estimate(self, task: ProceduralTask) -> tuple[float, float]:
        """The Beta parameters of the task's solve rate under the current policy."""
        level_a, level_b = self._level_prior(task.level)
        own = self.per_task.get(task.task_id, Counts())
        return level_a + own.successes, level_b + own.failures

    def _level_prior(self, level: int) -> tuple[float, float]:
        """The level's pooled rate as PRIOR_WEIGHT pseudo-samples (uniform before anything is seen there)."""
        pooled = self.per_level.get(level, Counts())
        rate = (pooled.successes + LEVEL_FLOOR) / (pooled.total + 2 * LEVEL_FLOOR)
        return PRIOR_WEIGHT * rate, PRIOR_WEIGHT * (1 - rate)

    def _informative(self, task: ProceduralTask) -> float:
        a, b = self.estimate(task)
        p = self.rng.betavariate(a, b)
        return 1.0 - p**self.group_size - (1.0 - p) ** self.group_size

    def state(self) -> dict:
        """What a resume point must hold to continue the same draws (the rng is saved by the caller)."""
        return {
            "per_task": {k: [c.successes, c.failures] for k, c in self.per_task.items()},
            "per_level": {str(k): [c.successes, c.failures] for k, c in self.per_level.items()},
        }

    def restore(self, state: dict) -> None:
        self.per_task = {k: Counts(*v) for k, v in state["per_task"].items()}
        self.per_level = {int(k): Counts(*v) for k, v in state["per_level"].items()}
