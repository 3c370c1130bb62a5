"""Evaluation on held-out tasks: single-turn, multi-turn refinement and multi-step, on the visible
and the hidden tier, with pass@k from the unbiased estimator of Chen et al. (2021).

Each task gets ``samples`` independent episodes. Single-turn and multi-step episodes are one
sample. A multi-turn episode samples again, up to ``turns`` times, while the visible tests fail,
each time with the feedback of ``next_turn_prompt`` (visible tests only; the hidden ones never
leak); it records the program it ends with after each turn, so success can be read against the
episode's length.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from math import comb

import pandas as pd
import torch

from execrl.policy.sampling import Policy
from execrl.rl.rollout import judge
from execrl.sandbox import Sandbox
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
}


@dataclass(frozen=True)
class EvalConfig:
    samples: int = 8  # episodes per task: n of pass@k
    temperature: float = 0.8
    top_p: float = 0.95
    max_new_tokens: int = 160
    turns: int = 3  # longest multi-turn episode
    batch_size: int = 64


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c of them correct) is correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n}, c={c}, k={k}")
    return 1.0 - comb(n - c, k) / comb(n, k)


def evaluate(
    policy: Policy, sandbox: Sandbox, tasks: Sequence[ProceduralTask], config: EvalConfig, seed: int
) -> pd.DataFrame:
    """One row per (mode, task, episode, turn); see ``EPISODE_COLUMNS``."""
    generator = torch.Generator().manual_seed(seed)
    single = [t for t in tasks if t.variant == "single"]
    multi_step = [t for t in tasks if t.variant == "multi_step"]
    rows = _one_turn(policy, sandbox, single, "single_turn", config, generator)
    rows += _one_turn(policy, sandbox, multi_step, "multi_step", config, generator)
    rows += _multi_turn(policy, sandbox, single, config, generator)
    return pd.DataFrame(rows, columns=list(EPISODE_COLUMNS))


def _one_turn(policy, sandbox, tasks, mode, config, generator) -> list[dict]:
    episodes = [(task, e) for task in tasks for e in range(config.samples)]
    texts, truncated = _sample(policy, [t.prompt for t, _ in episodes], config, generator)
    verdicts = judge(sandbox, [t for t, _ in episodes], texts)
    return [
        _row(mode, task, e, 1, visible.passed, hidden.passed, cut)
        for (task, e), visible, hidden, cut in zip(episodes, verdicts["visible"], verdicts["hidden"], truncated)
    ]


def _multi_turn(policy, sandbox, tasks, config, generator) -> list[dict]:
    rows: list[dict] = []
    open_episodes = [(task, e, task.prompt) for task in tasks for e in range(config.samples)]
    for turn in range(1, config.turns + 1):
        if not open_episodes:
            break
        texts, truncated = _sample(policy, [prompt for _, _, prompt in open_episodes], config, generator)
        verdicts = judge(sandbox, [t for t, _, _ in open_episodes], texts)
        still_open = []
        for (task, e, _), text, visible, hidden, cut in zip(open_episodes, texts, verdicts["visible"], verdicts["hidden"], truncated):
            rows.append(_row("multi_turn", task, e, turn, visible.passed, hidden.passed, cut))
            if not visible.passed:
                still_open.append((task, e, next_turn_prompt(task, text, visible, attempt=turn)))
        open_episodes = still_open
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


def _row(mode, task, episode, turn, visible, hidden, truncated) -> dict:
    return {"mode": mode, "task_id": task.task_id, "level": task.level, "episode": episode, "turn": turn,
            "visible_pass": bool(visible), "hidden_pass": bool(hidden), "truncated": bool(truncated)}


def summarize(episodes: pd.DataFrame, ks: Sequence[int] = (1, 4)) -> pd.DataFrame:
    """pass@k per (mode, turns allowed, tier), averaged over tasks. A multi-turn episode that
    succeeded at turn t counts as solved for every budget >= t (its program stays the same)."""
    rows = []
    for mode, frame in episodes.groupby("mode", sort=False):
        budgets = sorted(frame["turn"].unique())
        for budget in budgets:
            final = frame[frame["turn"] <= budget].sort_values("turn").groupby(["task_id", "episode"]).tail(1)
            for tier in ("visible", "hidden"):
                per_task = final.groupby("task_id")[f"{tier}_pass"].agg(["size", "sum"])
                for k in ks:
                    values = [pass_at_k(int(n), int(c), k) for n, c in per_task.itertuples(index=False) if k <= n]
                    rows.append({"mode": mode, "turns": int(budget), "tier": tier, "k": k, "tasks": len(values),
                                 "pass_at_k": sum(values) / len(values) if values else float("nan")})
    return pd.DataFrame(rows)
