"""What the training runs achieved: each run's test pass@k next to the warm start's, and the gain of
each (method, reward) over the warm start with a 95% t-interval across seeds.

A gain is measured per seed (run minus warm start, same test tasks and sampling seed) and then
summarised across seeds, so the interval says how much the result depends on the seed, the
question a reader repeating the experiment asks. With n seeds the interval uses Student's t with
n - 1 degrees of freedom; one seed has no interval (NaN), never a made-up one.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
from scipy import stats

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
