"""Signal quality: how well each execution signal predicts correctness on the strongest tier.

A signal is what a trainer could reward: the program parses, it runs (the module loads and the
entry point is callable), it passes the visible tests, the fraction of visible tests it passes
(partial credit), the staged process reward of ``execrl.rl.rewards``, and the seed text's own
composite ``reward_signal_quality`` (0.3 parses + 0.3 runs + 0.4 tests pass). Policy samples also
have the strong tier, the held-out reward of the control runs. Correctness is the strongest tier
available: plus (else base) for benchmark programs, hidden for the procedural suite.

For each (population, signal): precision (of the binary signals: the share of flagged programs that
are correct, the seed text's "reliability"), recall, false-positive rate, and AUC (every signal,
continuous ones by their score), each with a task-cluster bootstrap 95% interval.
"""

from __future__ import annotations

import pandas as pd

from execrl.analysis.stats import auc_columns, cluster_bootstrap, per_cluster_sums, ratio
from execrl.rl.rewards import LOAD_CREDIT, PARSE_CREDIT

BINARY_SIGNALS = ("parses", "runs", "visible_pass", "strong_pass")
SIGNALS = ("parses", "runs", "visible_pass", "partial", "process", "seed_composite", "strong_pass")
SEED_WEIGHTS = {"parses": 0.3, "runs": 0.3, "visible_pass": 0.4}  # the seed text's reward_signal_quality
METRICS = ("precision", "recall", "false_positive_rate", "auc")

# One row per program: the frame every population is reduced to before scoring.
SAMPLE_COLUMNS = {
    "population": "string: which programs (benchmark mutants, or policy samples of one mode)",
    "task_id": "string: the task (the bootstrap's cluster)",
    "correct": "bool: passes the strongest tier available",
    **{signal: "float: the signal's value (0/1 for binary signals), NaN where a population lacks it" for signal in SIGNALS},
}
QUALITY_COLUMNS = {
    "population": "string: as in the samples",
    "signal": "string: one of SIGNALS",
    "metric": "string: precision, recall, false_positive_rate or auc",
    "value": "float: the metric on every program of the population",
    "low": "float: 2.5th percentile over task-cluster bootstrap resamples",
    "high": "float: 97.5th percentile",
    "programs": "int: programs in the population",
    "correct": "int: of which correct",
    "tasks": "int: tasks (clusters)",
}


def with_derived_signals(frame: pd.DataFrame) -> pd.DataFrame:
    """Add the process reward and the seed's composite from the staged signals."""
    frame = frame.copy()
    frame["process"] = PARSE_CREDIT * frame["parses"] + LOAD_CREDIT * frame["runs"] + (1 - PARSE_CREDIT - LOAD_CREDIT) * frame["partial"]
    frame["seed_composite"] = sum(weight * frame[name] for name, weight in SEED_WEIGHTS.items())
    return frame


def mutant_samples(verdicts: pd.DataFrame, population: str) -> pd.DataFrame:
    """Every candidate (mutants and reference solutions) of a benchmark's mutant-verdicts table
    that has a visible tier, signalled by its visible-tier verdict and labelled by its strongest
    tier (plus where the task has it, else base)."""
    by_tier = {tier: rows.set_index("candidate_id") for tier, rows in verdicts.groupby("tier")}
    if "visible" not in by_tier or "base" not in by_tier:
        return pd.DataFrame(columns=list(SAMPLE_COLUMNS))
    visible = by_tier["visible"]
    strongest = by_tier["base"]["passed"].copy()
    if "plus" in by_tier:
        strongest.update(by_tier["plus"]["passed"])
    visible = visible[visible.index.isin(strongest.index)]
    frame = pd.DataFrame({
        "population": population,
        "task_id": visible["task_id"].astype(str),
        "correct": strongest.loc[visible.index].astype(bool),
        "parses": visible["parsed"].astype(float),
        "runs": visible["loaded"].astype(float),
        "visible_pass": visible["passed"].astype(float),
        "partial": (visible["tests_passed"] / visible["tests_total"]).astype(float),
        "strong_pass": float("nan"),
    })
    return with_derived_signals(frame).reset_index(drop=True)[list(SAMPLE_COLUMNS)]


def episode_samples(episodes: pd.DataFrame) -> pd.DataFrame:
    """Policy samples from evaluation episodes (any number of policies, pooled), one population per
    mode: the single-turn and multi-step samples, and each multi-turn episode's final program."""
    final = episodes.sort_values("turn", kind="stable").groupby(["policy", "mode", "task_id", "episode"], sort=False).tail(1)
    frame = pd.DataFrame({
        "population": "policy samples, " + final["mode"].str.replace("_", "-"),
        "task_id": final["task_id"].astype(str),
        "correct": final["hidden_pass"].astype(bool),
        "parses": final["parsed"].astype(float),
        "runs": final["loaded"].astype(float),
        "visible_pass": final["visible_pass"].astype(float),
        "partial": final["visible_fraction"].astype(float),
        "strong_pass": final["strong_pass"].astype(float),
    })
    return with_derived_signals(frame).sort_values(["population", "task_id"], kind="stable").reset_index(drop=True)[list(SAMPLE_COLUMNS)]


def signal_quality(samples: pd.DataFrame, seed: int) -> pd.DataFrame:
    """One row per (population, signal, metric); see ``QUALITY_COLUMNS``."""
    rows = []
    for population, frame in samples.groupby("population", sort=True):
        base = {"population": population, "programs": len(frame), "correct": int(frame["correct"].sum()),
                "tasks": frame["task_id"].nunique()}
        for signal in SIGNALS:
            if frame[signal].isna().any():
                continue
            for metric, estimate in _signal_metrics(frame, signal, seed).items():
                rows.append({**base, "signal": signal, "metric": metric, "value": estimate.value,
                             "low": estimate.low, "high": estimate.high})
    return pd.DataFrame(rows, columns=list(QUALITY_COLUMNS))


def _signal_metrics(frame: pd.DataFrame, signal: str, seed: int) -> dict:
    correct = frame["correct"].astype(bool)
    estimates = {}
    if signal in BINARY_SIGNALS:
        flagged = frame[signal] > 0.5
        counts = pd.DataFrame({"tp": flagged & correct, "fp": flagged & ~correct, "pos": correct, "neg": ~correct,
                               "flagged": flagged})
        sums = per_cluster_sums(frame["task_id"], counts)
        tp, fp, pos, neg, flag = range(5)
        estimates["precision"] = cluster_bootstrap(sums, ratio(tp, flag), seed)
        estimates["recall"] = cluster_bootstrap(sums, ratio(tp, pos), seed)
        estimates["false_positive_rate"] = cluster_bootstrap(sums, ratio(fp, neg), seed)
    columns, auc_metric = auc_columns(frame[signal], correct)
    estimates["auc"] = cluster_bootstrap(per_cluster_sums(frame["task_id"], columns), auc_metric, seed)
    return estimates
