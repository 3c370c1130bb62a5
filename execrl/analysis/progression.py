"""Complexity progression: success against the length of an episode, per policy.

Three axes, each from the evaluation episodes of the test split:
- single-turn: one program per task; length = the task's composition depth k (steps in its spec);
- multi-step: k helper functions plus the top function, tested end to end; length = k;
- multi-turn: up to T turns with feedback from the failed visible tests; length = the turn budget.

Success is correctness (the hidden tier) of the episode's program, and, beside it, the visible tier
the policy is rewarded on. Policies are grouped as the training summary groups them: the warm start,
and each (method, reward) with its seeds pooled; the interval is a task-cluster bootstrap. Each
curve gets the fit success(L) = start * exp(-rate * (L - L_min)) (``execrl.analysis.stats``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from execrl.analysis.stats import cluster_mean, fit_decay, resample_weights
from execrl.rl.summary import WARM_START, parse_run

FIT_RESAMPLES = 200  # bootstrap resamples for the fitted decay rate (each is a curve fit)
AXES = {"single_turn": "composition depth k", "multi_step": "helper functions k", "multi_turn": "turns allowed T"}
PROGRESSION_COLUMNS = {
    "policy": "string: warm start, or method/reward (seeds pooled)",
    "mode": "string: single_turn, multi_step or multi_turn",
    "length": "int: k for single-turn and multi-step, the turn budget T for multi-turn",
    "tier": "string: hidden (correctness) or visible (the reward's tier)",
    "episodes": "int: episodes (tasks x samples x seeds)",
    "tasks": "int: distinct tasks",
    "success": "float: share of episodes whose program passes the tier",
    "low": "float: 2.5th percentile over task-cluster bootstrap resamples",
    "high": "float: 97.5th percentile",
}
FIT_COLUMNS = {
    "policy": "string", "mode": "string", "tier": "string",
    "start": "float: fitted success at the shortest length",
    "rate": "float: fitted decay per unit of length (negative: success grows)",
    "rate_low": "float: 2.5th percentile of the rate over task-cluster bootstrap resamples",
    "rate_high": "float: 97.5th percentile",
    "retention": "float: exp(-rate), the share of success kept per extra unit of length",
}


def policy_group(run: str) -> str:
    if run == WARM_START:
        return "warm start"
    method, reward, _ = parse_run(run)
    return f"{method}/{reward}"


def episode_lengths(episodes: pd.DataFrame) -> pd.DataFrame:
    """One row per (policy, mode, task, episode, length) with the program's success at that length.
    A multi-turn episode that stopped early (its visible tests passed) keeps its program for every
    larger budget, as ``execrl.rl.evaluate.summarize`` counts it."""
    episodes = episodes.assign(group=episodes["policy"].map(policy_group))
    fixed = episodes[episodes["mode"] != "multi_turn"].assign(length=lambda f: f["level"])
    multi = episodes[episodes["mode"] == "multi_turn"]
    budgets = []
    for budget in sorted(multi["turn"].unique()):
        final = multi[multi["turn"] <= budget].sort_values("turn", kind="stable")
        final = final.groupby(["policy", "task_id", "episode"], sort=False).tail(1)
        budgets.append(final.assign(length=budget))
    return pd.concat([fixed, *budgets], ignore_index=True)


def progression(episodes: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Success per (policy group, mode, length, tier); see ``PROGRESSION_COLUMNS``."""
    rows = []
    for (group, mode, length), frame in episode_lengths(episodes).groupby(["group", "mode", "length"], sort=True):
        for tier in ("hidden", "visible"):
            estimate = cluster_mean(frame["task_id"], frame[f"{tier}_pass"], seed)
            rows.append({"policy": group, "mode": mode, "length": int(length), "tier": tier, "episodes": len(frame),
                         "tasks": frame["task_id"].nunique(), "success": estimate.value, "low": estimate.low,
                         "high": estimate.high})
    return pd.DataFrame(rows, columns=list(PROGRESSION_COLUMNS))


def decay_fits(episodes: pd.DataFrame, seed: int) -> pd.DataFrame:
    """The decay fit of every (policy group, mode, tier) curve, with a bootstrap interval for its
    rate; see ``FIT_COLUMNS``."""
    rows = []
    for (group, mode), frame in episode_lengths(episodes).groupby(["group", "mode"], sort=True):
        lengths = np.sort(frame["length"].unique())
        tasks = np.sort(frame["task_id"].unique())
        for tier in ("hidden", "visible"):
            # per task: episodes and successes at each length (a task sits at one level, or at every budget)
            table = frame.pivot_table(index="task_id", columns="length", values=f"{tier}_pass",
                                      aggfunc=["size", "sum"], fill_value=0).reindex(tasks)
            n, successes = table["size"].reindex(columns=lengths).to_numpy(float), table["sum"].reindex(columns=lengths).to_numpy(float)
            point = _fit(lengths, n.sum(0), successes.sum(0))
            weights = resample_weights(len(tasks), FIT_RESAMPLES, seed)
            draws = np.array([_fit(lengths, w @ n, w @ successes).rate for w in weights])
            draws = draws[np.isfinite(draws)]
            low, high = np.percentile(draws, [2.5, 97.5]) if len(draws) else (np.nan, np.nan)
            rows.append({"policy": group, "mode": mode, "tier": tier, "start": point.start, "rate": point.rate,
                         "rate_low": float(low), "rate_high": float(high), "retention": point.retention})
    return pd.DataFrame(rows, columns=list(FIT_COLUMNS))


def _fit(lengths: np.ndarray, episodes: np.ndarray, successes: np.ndarray):
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(episodes > 0, successes / episodes, np.nan)
    return fit_decay(lengths, rates, weights=episodes)


TURN_COLUMNS = {
    "mode": "string: single_turn or multi_turn",
    "episodes": "int: episodes, all policies pooled",
    "mean_turns": "float: turns an episode takes (multi-turn: until its visible tests pass or the budget ends)",
    "low": "float: 2.5th percentile over task-cluster bootstrap resamples",
    "high": "float: 97.5th percentile",
}


def episode_turns(episodes: pd.DataFrame, seed: int) -> pd.DataFrame:
    """How many turns episodes take, per mode with turns (single-turn: one by construction)."""
    rows = []
    for mode in ("single_turn", "multi_turn"):
        frame = episodes[episodes["mode"] == mode]
        if frame.empty:
            continue
        taken = frame.groupby(["policy", "task_id", "episode"], sort=True)["turn"].max().reset_index()
        estimate = cluster_mean(taken["task_id"], taken["turn"], seed)
        rows.append({"mode": mode, "episodes": len(taken), "mean_turns": estimate.value, "low": estimate.low,
                     "high": estimate.high})
    return pd.DataFrame(rows, columns=list(TURN_COLUMNS))
