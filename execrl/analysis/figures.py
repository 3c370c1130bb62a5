"""The analyses' figures, drawn from their tables with ``execrl.reporting.figures`` (one style, the
Okabe-Ito palette, SVG)."""

from __future__ import annotations

import pandas as pd

from execrl.analysis.progression import AXES
from execrl.rl.rewards import reward_range
from execrl.reporting.figures import interval_chart, line_panels

SIGNAL_LABELS = {"parses": "parses", "runs": "runs", "visible_pass": "visible tests pass", "partial": "partial credit",
                 "process": "process reward", "seed_composite": "seed's composite", "strong_pass": "strong tier passes"}


def signal_figure(quality: pd.DataFrame) -> str:
    auc = quality[quality["metric"] == "auc"]
    signals = [s for s in SIGNAL_LABELS if s in set(auc["signal"])]
    series = {}
    for population, rows in auc.groupby("population", sort=True):
        rows = rows.set_index("signal").reindex(signals)
        series[population] = (rows["value"].tolist(), rows["low"].tolist(), rows["high"].tolist())
    return interval_chart([SIGNAL_LABELS[s] for s in signals], series, "AUC against correctness (0.5: no information)",
                          "How well each execution signal predicts correctness", reference=0.5)


def progression_figure(progression: pd.DataFrame, tier: str = "hidden") -> str:
    rows = progression[progression["tier"] == tier]
    panels = []
    for mode, axis in AXES.items():
        lines = {}
        for policy, group in rows[rows["mode"] == mode].groupby("policy", sort=True):
            group = group.sort_values("length")
            lines[policy] = (group["length"].tolist(), group["success"].tolist(), group["low"].tolist(), group["high"].tolist())
        if lines:
            panels.append((mode.replace("_", "-"), axis, lines))
    return line_panels(panels, f"success ({tier} tier)")


def paradox_figure(overestimation: pd.DataFrame) -> str:
    labels = [f"{r.population}: {r.weak_tier} vs {r.strong_tier}" for r in overestimation.itertuples()]
    series = {"overestimation": (overestimation["overestimation"].tolist(), overestimation["low"].tolist(),
                                 overestimation["high"].tolist())}
    return interval_chart(labels, series, "weak-tier pass rate minus strong-tier pass rate",
                          "Verification paradox: how much weak tests overestimate", reference=0.0)


CURVE_TITLES = {"reward_mean": "training reward", "visible_pass": "visible tests pass", "hidden_pass": "hidden tests pass",
                "hacking_rate": "passes visible, fails hidden"}


def training_curves_figure(curves: pd.DataFrame) -> str:
    panels = []
    for metric, title in CURVE_TITLES.items():
        lines = {}
        for (method, reward), group in curves[curves["metric"] == metric].groupby(["method", "reward"], sort=True):
            bounds = reward_range(method) if metric == "reward_mean" else (0.0, 1.0)
            lines[f"{method}/{reward}"] = curve_with_band(group, "mean", bounds)
        if lines:
            panels.append((title, "training step", lines))
    return line_panels(panels, "share of the step's samples (reward: mean)")


def learning_curves_figure(curves: pd.DataFrame) -> str:
    """Validation pass@1 against rollouts consumed: all levels, then each level."""
    panels = []
    metrics = ["hidden_pass_at_1"] + sorted(m for m in curves["metric"].unique() if m != "hidden_pass_at_1")
    for metric in metrics:
        lines = {f"{method}/{reward}": _by_rollouts(group)
                 for (method, reward), group in curves[curves["metric"] == metric].groupby(["method", "reward"], sort=True)}
        title = "all levels" if metric == "hidden_pass_at_1" else "level " + metric.rsplit("_", 1)[1]
        panels.append((title, "rollouts consumed", lines))
    return line_panels(panels, "hidden tests pass@1 (validation)")


def _by_rollouts(group: pd.DataFrame) -> tuple[list, list, list, list]:
    steps, mean, low, high = curve_with_band(group, "mean", (0.0, 1.0))
    return group["rollouts"].tolist(), mean, low, high


def hacking_figure(hacking: pd.DataFrame) -> str:
    lines = {f"{method}/{reward}": curve_with_band(group, "hacking_rate", (0.0, 1.0))
             for (method, reward), group in hacking.groupby(["method", "reward"], sort=True)}
    return line_panels([("reward hacking during training", "training step", lines)], "passes visible, fails hidden")


def curve_with_band(group: pd.DataFrame, value: str, bounds: tuple[float, float]) -> tuple[list, list, list, list]:
    """Steps, the mean across seeds, and its t-interval as a band cut to the values the metric can take
    (with two seeds the interval is 12.7 standard errors wide and would mostly show impossible values);
    no band for a single seed."""
    low = group["low"].fillna(group[value]).clip(*bounds)
    high = group["high"].fillna(group[value]).clip(*bounds)
    return group["step"].tolist(), group[value].tolist(), low.tolist(), high.tolist()
