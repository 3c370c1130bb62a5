"""Evaluation on held-out tasks: single-turn, multi-turn refinement and multi-step, on the visible
and the hidden tier, with pass@k from the unbiased estimator of Chen et al. (2021).

``tasks_per_level`` limits the evaluation to the first N test tasks of each level and variant (a
stratified subset: suite order is a seeded random order). Each task gets ``samples`` independent
episodes. Single-turn and multi-step episodes are one sample. A multi-turn episode starts from the
single-turn episode of the same number and samples again, up to ``turns`` turns in all, while the
visible tests fail, each time with the feedback of ``next_turn_prompt`` (visible tests only; the
hidden ones never leak); it records the program it ends with after each turn, so success can be
read against the episode's length.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from math import comb
from typing import NamedTuple

import pandas as pd
import torch

from execrl.policy.sampling import Policy
from execrl.rl.rollout import judge
from execrl.sandbox import Sandbox, Verdict
from execrl.tasks.procedural import ProceduralTask, next_turn_prompt

MODES = ("single_turn", "multi_turn", "multi_step")
EPISODE_COLUMNS = {
    "mode": "string: single_turn, multi_turn or multi_step",
    "task_id": "string: procedural task id",
    "level": "int: composition depth 1-4",
    "episode": "int: independent episode number, 0..samples-1",
    "turn": "int: turns taken so far (1 for single-turn and multi-step)",
    "visible_pass": "bool: the program after this turn passes the visible tests",
    "hidden_pass": "bool: ... and the hidden tests (correctness)",
    "truncated": "bool: the last completion hit the token budget",
    "parsed": "bool: the program compiled",
    "loaded": "bool: the module ran and the entry point is callable",
    "visible_fraction": "float: fraction of the visible tests passed (the partial reward)",
    "strong_pass": "bool: the program passes the strong tier (the strong reward)",
}


@dataclass(frozen=True)
class EvalConfig:
    samples: int = 8  # episodes per task: n of pass@k
    temperature: float = 0.8
    top_p: float = 0.95
    max_new_tokens: int = 160
    turns: int = 3  # longest multi-turn episode
    batch_size: int = 64
    tasks_per_level: int | None = None  # test tasks per level and variant; None: all


def evaluated_tasks(tasks: Sequence[ProceduralTask], tasks_per_level: int | None) -> list[ProceduralTask]:
    """The first ``tasks_per_level`` tasks of each (level, variant), in the given order."""
    if tasks_per_level is None:
        return list(tasks)
    taken: Counter[tuple[int, str]] = Counter()
    chosen = []
    for task in tasks:
        taken[task.level, task.variant] += 1
        if taken[task.level, task.variant] <= tasks_per_level:
            chosen.append(task)
    return chosen


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c of them correct) is correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    return 1.0 - comb(n - c, k) / comb(n, k)


def evaluate(
    policy: Policy, sandbox: Sandbox, tasks: Sequence[ProceduralTask], config: EvalConfig, seed: int
) -> pd.DataFrame:
    """One row per (mode, task, episode, turn); see ``EPISODE_COLUMNS``. A multi-turn episode's first
    turn is the single-turn episode of the same number (same sample, same verdict), so the two modes
    differ only in what the feedback turns add."""
    generator = torch.Generator().manual_seed(seed)
    tasks = evaluated_tasks(tasks, config.tasks_per_level)
    single = [t for t in tasks if t.variant == "single"]
    multi_step = [t for t in tasks if t.variant == "multi_step"]
    first_turns = _first_turns(policy, sandbox, single, config, generator)
    rows = [attempt.row("single_turn", 1) for attempt in first_turns]
    rows += [attempt.row("multi_step", 1) for attempt in _first_turns(policy, sandbox, multi_step, config, generator)]
    rows += _multi_turn(policy, sandbox, first_turns, config, generator)
    return pd.DataFrame(rows, columns=list(EPISODE_COLUMNS))


def validation_pass(policy: Policy, sandbox: Sandbox, tasks: Sequence[ProceduralTask], config: EvalConfig,
                    seed: int) -> dict[str, float]:
    """Single-turn pass@1 on the hidden tier (the mean over tasks of each task's share of correct
    samples), overall and per level: one point of a learning curve. The same ``seed`` at every point
    of a run draws the same random numbers, so that points differ by the policy, not by luck."""
    generator = torch.Generator().manual_seed(seed)
    single = [t for t in evaluated_tasks(tasks, config.tasks_per_level) if t.variant == "single"]
    solved: dict[str, list[bool]] = {}
    for attempt in _first_turns(policy, sandbox, single, config, generator):
        solved.setdefault(attempt.task.task_id, []).append(attempt.hidden.passed)
    share = {task.task_id: sum(solved[task.task_id]) / len(solved[task.task_id]) for task in single}
    point = {"hidden_pass_at_1": sum(share.values()) / len(share)}
    for level in sorted({task.level for task in single}):
        at_level = [share[task.task_id] for task in single if task.level == level]
        point[f"hidden_pass_at_1_level_{level}"] = sum(at_level) / len(at_level)
    return point


class Attempt(NamedTuple):
    """One sampled program of an episode and its verdicts."""

    task: ProceduralTask
    episode: int
    text: str
    visible: Verdict
    hidden: Verdict
    strong: Verdict
    truncated: bool

    def row(self, mode: str, turn: int) -> dict:
        return {"mode": mode, "task_id": self.task.task_id, "level": self.task.level, "episode": self.episode,
                "turn": turn, "visible_pass": self.visible.passed, "hidden_pass": self.hidden.passed,
                "truncated": bool(self.truncated), "parsed": self.visible.parsed, "loaded": self.visible.loaded,
                "visible_fraction": self.visible.pass_fraction, "strong_pass": self.strong.passed}


def _attempts(policy, sandbox, episodes: Sequence[tuple[ProceduralTask, int, str]], config, generator) -> list[Attempt]:
    """Sample and judge one program per ``(task, episode, prompt)``."""
    texts, truncated = _sample(policy, [prompt for _, _, prompt in episodes], config, generator)
    verdicts = judge(sandbox, [task for task, _, _ in episodes], texts)
    return [Attempt(task, e, text, visible, hidden, strong, cut) for (task, e, _), text, visible, hidden, strong, cut
            in zip(episodes, texts, verdicts["visible"], verdicts["hidden"], verdicts["strong"], truncated)]


def _first_turns(policy, sandbox, tasks, config, generator) -> list[Attempt]:
    return _attempts(policy, sandbox, [(task, e, task.prompt) for task in tasks for e in range(config.samples)], config, generator)


def _multi_turn(policy, sandbox, first_turns: list[Attempt], config, generator) -> list[dict]:
    rows: list[dict] = []
    attempts = first_turns
    for turn in range(1, config.turns + 1):
        rows += [attempt.row("multi_turn", turn) for attempt in attempts]
        failed = [a for a in attempts if not a.visible.passed]
        if turn == config.turns or not failed:
            break
        retries = [(a.task, a.episode, next_turn_prompt(a.task, a.text, a.visible, attempt=turn)) for a in failed]
        attempts = _attempts(policy, sandbox, retries, config, generator)
    return rows


def _sample(policy: Policy, prompts: Sequence[str], config: EvalConfig, generator) -> tuple[list[str], list[bool]]:
    texts, truncated = [], []
    for start in range(0, len(prompts), config.batch_size):
        chunk = [policy.encode_prompt(p) for p in prompts[start : start + config.batch_size]]
        generation = policy.generate(chunk, config.max_new_tokens, temperature=config.temperature,
                                     top_p=config.top_p, generator=generator)
        texts += [policy.decode(ids) for ids in generation.completions]
        truncated += generation.truncated
    return texts, truncated


def summarize(episodes: pd.DataFrame, ks: Sequence[int] = (1, 4)) -> pd.DataFrame:
    """pass@k per (mode, turns allowed, tier, level), averaged over tasks; ``level`` is "all" or a
    composition depth. A multi-turn episode that succeeded at turn t counts as solved for every
    budget >= t (its program stays the same)."""
    rows = []
    for mode, frame in episodes.groupby("mode", sort=False):
        for budget in sorted(frame["turn"].unique()):
            final = frame[frame["turn"] <= budget].sort_values("turn").groupby(["task_id", "episode"]).tail(1)
            for tier in ("visible", "hidden"):
                per_task = final.groupby("task_id").agg(level=("level", "first"), n=(f"{tier}_pass", "size"),
                                                        c=(f"{tier}_pass", "sum"))
                levels = [("all", per_task)] + [(str(level), group) for level, group in per_task.groupby("level")]
                for level, tasks in levels:
                    for k in ks:
                        values = [pass_at_k(int(n), int(c), k) for n, c in zip(tasks["n"], tasks["c"]) if k <= n]
                        rows.append({"mode": mode, "turns": int(budget), "tier": tier, "level": level, "k": k,
                                     "tasks": len(values), "pass_at_k": sum(values) / len(values) if values else float("nan")})
    return pd.DataFrame(rows)
