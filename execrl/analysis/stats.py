"""The statistics every analysis shares: a cluster bootstrap, a bootstrap over seeds and tasks,
AUC from score histograms, and the exponential decay fit.

Programs of one task are not independent (one task's mutants, or one task's samples, succeed or
fail together), so intervals come from a cluster bootstrap: resample whole tasks with replacement.
Each analysis reduces its rows to per-task sums of a few counts (a matrix, one row per task); a
resample is then a weighted sum of those rows, and a metric is a vectorised function of the sums.
All randomness flows from the seed: the same data and seed give the same intervals.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize

RESAMPLES = 1000
CONFIDENCE = 0.95
Metric = Callable[[np.ndarray], np.ndarray]  # per-task sums (..., m) -> metric (...)


@dataclass(frozen=True)
class Estimate:
    value: float
    low: float
    high: float


def per_cluster_sums(clusters: pd.Series, columns: pd.DataFrame) -> np.ndarray:
    """Sum ``columns`` within each cluster: one row per cluster, in sorted cluster order."""
    return pd.DataFrame(columns).astype(float).groupby(clusters.to_numpy(), sort=True).sum().to_numpy()


def cluster_mean(clusters: pd.Series, values: pd.Series, seed: int) -> Estimate:
    """The mean of ``values`` with a cluster-bootstrap interval (a share, for 0/1 values)."""
    sums = per_cluster_sums(clusters, pd.DataFrame({"value": values.to_numpy(dtype=float), "n": 1.0}))
    return cluster_bootstrap(sums, ratio(0, 1), seed)


def resample_weights(n_clusters: int, resamples: int, seed: int) -> np.ndarray:
    """How often each cluster is drawn in each resample: (resamples, n_clusters) counts."""
    rng = np.random.default_rng(seed)
    return rng.multinomial(n_clusters, np.full(n_clusters, 1.0 / n_clusters), size=resamples).astype(float)


def cluster_bootstrap(sums: np.ndarray, metric: Metric, seed: int, resamples: int = RESAMPLES,
                      confidence: float = CONFIDENCE) -> Estimate:
    """The metric on all clusters, with a percentile interval over resampled clusters. A resample
    where the metric is undefined (e.g. no positive example) is left out of the interval; if every
    resample is, the interval is NaN."""
    if sums.ndim != 2 or len(sums) == 0:
        return Estimate(float("nan"), float("nan"), float("nan"))
    value = float(metric(sums.sum(axis=0)))
    draws = metric(resample_weights(len(sums), resamples, seed) @ sums)
    draws = draws[np.isfinite(draws)]
    if len(draws) == 0:
        return Estimate(value, float("nan"), float("nan"))
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(draws, [tail, 100 - tail])
    return Estimate(value, float(low), float(high))


def seeds_and_tasks_bootstrap(gains: np.ndarray, seed: int, resamples: int = RESAMPLES,
                              confidence: float = CONFIDENCE) -> Estimate:
    """The mean of a ``(seeds, tasks)`` matrix of paired gains (each seed's run against the warm start
    on the same test task), with a percentile interval from resampling seeds and tasks, each with
    replacement and independently: both sources of variance, where a t-interval across seeds sees
    only the first and an interval over tasks only the second."""
    if gains.ndim != 2 or gains.size == 0:
        return Estimate(float("nan"), float("nan"), float("nan"))
    n_seeds, n_tasks = gains.shape
    seed_weights = resample_weights(n_seeds, resamples, seed)
    task_weights = resample_weights(n_tasks, resamples, seed + 1)
    draws = np.einsum("rs,st,rt->r", seed_weights, gains, task_weights) / (n_seeds * n_tasks)
    tail = 100 * (1 - confidence) / 2
    low, high = np.percentile(draws, [tail, 100 - tail])
    return Estimate(float(gains.mean()), float(low), float(high))


def ratio(numerator: int, denominator: int) -> Metric:
    """sums[numerator] / sums[denominator], NaN where the denominator is 0."""
    def metric(sums: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(sums[..., denominator] > 0, sums[..., numerator] / sums[..., denominator], np.nan)
    return metric


def difference(first: Metric, second: Metric) -> Metric:
    return lambda sums: first(sums) - second(sums)


def auc_from_histograms(positives: np.ndarray, negatives: np.ndarray) -> np.ndarray:
    """Area under the ROC curve from counts of positive and negative examples per score value
    (last axis, in ascending score order); ties count one half (the Mann-Whitney statistic)."""
    below = np.cumsum(negatives, axis=-1) - negatives  # negatives scored strictly lower
    wins = (positives * (below + 0.5 * negatives)).sum(axis=-1)
    pairs = positives.sum(axis=-1) * negatives.sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(pairs > 0, wins / pairs, np.nan)


def auc_columns(scores: pd.Series, labels: pd.Series) -> tuple[pd.DataFrame, Metric]:
    """Per-row indicator columns (positive at score value v, negative at score value v) whose
    per-cluster sums give the histograms ``auc_from_histograms`` reads, and that metric."""
    values = np.sort(scores.unique())
    index = np.searchsorted(values, scores.to_numpy())
    n = len(values)
    columns = np.zeros((len(scores), 2 * n))
    columns[np.arange(len(scores)), index + n * (~labels.to_numpy().astype(bool))] = 1.0
    return pd.DataFrame(columns, index=scores.index), lambda sums: auc_from_histograms(sums[..., :n], sums[..., n:])


def auc(scores: Sequence[float], labels: Sequence[bool]) -> float:
    """AUC of ``scores`` as a predictor of ``labels`` (NaN without both classes)."""
    columns, metric = auc_columns(pd.Series(scores, dtype=float), pd.Series(labels, dtype=bool))
    return float(metric(columns.to_numpy().sum(axis=0)))


# --- decay --------------------------------------------------------------------------------------


def decay(x: np.ndarray, start: float, rate: float, origin: float) -> np.ndarray:
    """start * exp(-rate * (x - origin)): the success rate at length x."""
    return start * np.exp(-rate * (np.asarray(x, dtype=float) - origin))


@dataclass(frozen=True)
class DecayFit:
    start: float  # fitted success rate at the shortest length
    rate: float  # fitted decay per unit of length; negative: success grows with length
    retention: float  # exp(-rate): the share of success kept per extra unit of length


def fit_decay(lengths: Sequence[float], rates: Sequence[float], weights: Sequence[float] | None = None) -> DecayFit:
    """Weighted least-squares fit of ``decay`` to (length, success rate) points, lengths measured
    from the shortest one. Needs at least two lengths and some success (with none, no rate is
    defined); NaN points are ignored."""
    x, y = np.asarray(lengths, dtype=float), np.asarray(rates, dtype=float)
    w = np.ones_like(y) if weights is None else np.asarray(weights, dtype=float)
    keep = np.isfinite(y) & (w > 0)
    x, y, w = x[keep], y[keep], w[keep]
    if len(np.unique(x)) < 2 or not (y > 0).any():
        return DecayFit(float("nan"), float("nan"), float("nan"))
    origin = float(x.min())
    start_guess = float(max(y[x == origin].mean(), 1e-3))
    with warnings.catch_warnings():  # the parameters' covariance is not used: intervals come from the bootstrap
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        (start, rate), _ = optimize.curve_fit(
            lambda xs, s, r: decay(xs, s, r, origin), x, y, p0=(start_guess, 0.1), sigma=1 / np.sqrt(w),
            bounds=((0.0, -5.0), (1.0, 5.0)), maxfev=10_000,
        )
    return DecayFit(float(start), float(rate), float(np.exp(-rate)))
