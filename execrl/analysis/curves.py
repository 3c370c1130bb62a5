"""Training curves: a per-step metric of every run, and each run's learning curve on validation
tasks, as the mean across seeds with its t-interval."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from execrl.rl.summary import parse_run, seed_interval

CURVE_METRICS = ("reward_mean", "visible_pass", "hidden_pass", "hacking_rate")
CURVE_COLUMNS = {
    "method": "string", "reward": "string", "metric": "string: a column of the runs' metrics.parquet",
    "step": "int: training step", "seeds": "int: runs (seeds) with this step",
    "mean": "float: mean across seeds", "low": "float: 95% t-interval across seeds (NaN for one seed)", "high": "float",
}


def step_curves(metrics: dict[str, pd.DataFrame], columns: Sequence[str] = CURVE_METRICS) -> pd.DataFrame:
    """One row per (method, reward, metric, step) from each run's per-step metrics, keyed by run name."""
    frames = [table[["step", *columns]].assign(method=parse_run(run)[0], reward=parse_run(run)[1])
              for run, table in metrics.items()]
    long = pd.concat(frames).melt(id_vars=["method", "reward", "step"], value_vars=list(columns), var_name="metric")
    rows = []
    for (method, reward, metric, step), group in long.groupby(["method", "reward", "metric", "step"], sort=True):
        mean, low, high = seed_interval(group["value"])
        rows.append({"method": method, "reward": reward, "metric": metric, "step": int(step), "seeds": len(group),
                     "mean": mean, "low": low, "high": high})
    return pd.DataFrame(rows, columns=list(CURVE_COLUMNS))


LEARNING_COLUMNS = {
    "method": "string", "reward": "string",
    "metric": "string: hidden_pass_at_1 (all levels) or hidden_pass_at_1_level_N",
    "step": "int: training steps before the point (0: the warm start)",
    "rollouts": "int: rollouts consumed by then, mean across seeds (DAPO draws more than it trains on)",
    "seeds": "int: runs (seeds) with this point",
    "mean": "float: mean across seeds", "low": "float: 95% t-interval across seeds (NaN for one seed)", "high": "float",
}


def learning_curves(curves: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per (method, reward, metric, step) from each run's ``curve.parquet``, keyed by run name:
    validation pass@1 against the rollouts consumed."""
    frames = [table.assign(method=parse_run(run)[0], reward=parse_run(run)[1]) for run, table in curves.items()]
    metrics = sorted({c for table in curves.values() for c in table.columns if c.startswith("hidden_pass_at_1")})
    long = pd.concat(frames).melt(id_vars=["method", "reward", "step", "rollouts"], value_vars=metrics,
                                  var_name="metric").dropna(subset=["value"])
    rows = []
    for (method, reward, metric, step), group in long.groupby(["method", "reward", "metric", "step"], sort=True):
        mean, low, high = seed_interval(group["value"])
        rows.append({"method": method, "reward": reward, "metric": metric, "step": int(step),
                     "rollouts": int(round(group["rollouts"].mean())), "seeds": len(group),
                     "mean": mean, "low": low, "high": high})
    return pd.DataFrame(rows, columns=list(LEARNING_COLUMNS))
