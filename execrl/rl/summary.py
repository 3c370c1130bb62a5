"""What the training runs achieved: each run's test pass@k next to the warm start's, and the gain of
each (method, reward) over the warm start with a 95% t-interval across seeds; and for single-turn
pass@1, per-task paired gains with an interval from resampling seeds and tasks.

A gain is measured per seed (run minus warm start, same test tasks and sampling seed) and then
summarised across seeds, so the interval says how much the result depends on the seed, the
question a reader repeating the experiment asks. With n seeds the interval uses Student's t with
n - 1 degrees of freedom; one seed has no interval (NaN), never a made-up one.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import stats

from execrl.analysis.stats import seeds_and_tasks_bootstrap

WARM_START = "pretrain"
KEYS = ["mode", "turns", "tier", "level", "k"]


def run_name(method: str, reward: str, seed: int | str) -> str:
    """The directory name of a run under results/train/ (with "{method}"... as arguments: the
    ``train`` rule's wildcard pattern)."""
    return f"{method}-{reward}-s{seed}"


def parse_run(name: str) -> tuple[str, str, int]:
    """``(method, reward, seed)`` from ``run_name``'s output."""
    method, reward, seed = name.rsplit("-", 2)
    if not seed.startswith("s") or not seed[1:].isdigit():
        raise ValueError(f"{name!r} is not a run name (method-reward-sSEED)")
    return method, reward, int(seed[1:])


def pass_table(summaries: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (run, mode, turns, tier, level, k) from each run's ``eval_summary``, with the warm
    start's pass@k on the same key (``warm_start``) and the difference (``gain``)."""
    if WARM_START not in summaries:
        raise ValueError(f"the warm start's evaluation ({WARM_START!r}) is needed as the baseline")
    runs = [name for name in summaries if name != WARM_START]
    if not runs:
        raise ValueError("no trained run to compare with the warm start")
    baseline = summaries[WARM_START].set_index(KEYS)["pass_at_k"].rename("warm_start")
    frames = []
    for name in runs:
        method, reward, seed = parse_run(name)
        frames.append(summaries[name].join(baseline, on=KEYS).assign(run=name, method=method, reward=reward, seed=seed))
    table = pd.concat(frames, ignore_index=True)
    table["gain"] = table["pass_at_k"] - table["warm_start"]
    columns = ["run", "method", "reward", "seed", *KEYS, "tasks", "pass_at_k", "warm_start", "gain"]
    return table[columns].sort_values(["method", "reward", "seed", *KEYS], kind="stable").reset_index(drop=True)


def seed_interval(values: pd.Series, confidence: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean and its t-interval across seeds (NaN bounds for one seed)."""
    n, mean = len(values), float(values.mean())
    if n < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * values.std(ddof=1) / n**0.5)
    return mean, mean - half, mean + half


def gain_table(passes: pd.DataFrame) -> pd.DataFrame:
    """Per (method, reward, mode, turns, tier, level, k): test tasks, seeds, mean pass@k, the warm start's, the mean
    gain with its 95% interval across seeds, and how many seeds gained."""
    rows = []
    for key, group in passes.groupby(["method", "reward", *KEYS], sort=True):
        mean, low, high = seed_interval(group["gain"])
        rows.append({
            **dict(zip(["method", "reward", *KEYS], key)),
            "tasks": int(group["tasks"].iloc[0]), "seeds": len(group), "pass_at_k": group["pass_at_k"].mean(), "warm_start": group["warm_start"].iloc[0],
            "gain": mean, "gain_low": low, "gain_high": high, "seeds_gained": int((group["gain"] > 0).sum()),
        })
    return pd.DataFrame(rows)


TASK_GAIN_COLUMNS = {
    "method": "string", "reward": "string", "tier": "string: visible or hidden",
    "level": "string: all or a composition depth",
    "seeds": "int: runs (seeds)", "tasks": "int: test tasks (single-turn)",
    "gain": "float: mean over seeds and tasks of (run's pass@1 - warm start's pass@1) on the same task",
    "seed_low": "float: 95% t-interval across seeds of the per-seed mean gain (NaN for one seed)", "seed_high": "float",
    "low": "float: 95% percentile interval, seeds and tasks resampled with replacement", "high": "float",
    "resolved": "bool: that interval excludes zero",
}


def task_gains(episodes: Mapping[str, pd.DataFrame], seed: int) -> pd.DataFrame:
    """Single-turn pass@1 gains over the warm start per (method, reward, tier, level), paired per test
    task (same tasks, same sampling seed), from each run's ``eval_episodes`` keyed by run name."""
    per_task = {name: _single_turn_pass(table) for name, table in episodes.items()}
    warm = per_task.pop(WARM_START)
    by_recipe: dict[tuple[str, str], list[str]] = {}
    for name in sorted(per_task):
        method, reward, _ = parse_run(name)
        by_recipe.setdefault((method, reward), []).append(name)
    rows = []
    for (method, reward), names in by_recipe.items():
        for tier in ("visible", "hidden"):
            levels = [("all", warm.index)] + [(str(level), group.index) for level, group in warm.groupby("level")]
            for level, tasks in levels:
                gains = np.array([per_task[name].loc[tasks, tier] - warm.loc[tasks, tier] for name in names])
                _, seed_low, seed_high = seed_interval(pd.Series(gains.mean(axis=1)))
                estimate = seeds_and_tasks_bootstrap(gains, seed)
                rows.append({"method": method, "reward": reward, "tier": tier, "level": level, "seeds": len(names),
                             "tasks": len(tasks), "gain": estimate.value, "seed_low": seed_low, "seed_high": seed_high,
                             "low": estimate.low, "high": estimate.high,
                             "resolved": bool(estimate.low > 0 or estimate.high < 0)})
    return pd.DataFrame(rows, columns=list(TASK_GAIN_COLUMNS))


def _single_turn_pass(episodes: pd.DataFrame) -> pd.DataFrame:
    """Per test task: its level and the share of its single-turn samples that pass each tier."""
    single = episodes[episodes["mode"] == "single_turn"]
    return single.groupby("task_id", sort=True).agg(level=("level", "first"), visible=("visible_pass", "mean"),
                                                    hidden=("hidden_pass", "mean"))
