"""The shared statistics, on synthetic data whose answers are known."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from execrl.analysis.stats import (
    auc,
    auc_columns,
    cluster_bootstrap,
    decay,
    difference,
    fit_decay,
    ratio,
    seeds_and_tasks_bootstrap,
)


def test_auc_of_a_known_normal_separation():
    # scores N(0,1) for negatives and N(d,1) for positives: AUC = Phi(d / sqrt(2))
    rng = np.random.default_rng(0)
    d = 1.0
    negatives, positives = rng.normal(0, 1, 20_000), rng.normal(d, 1, 20_000)
    scores = np.concatenate([negatives, positives]).round(3)
    labels = np.r_[np.zeros(20_000, bool), np.ones(20_000, bool)]
    assert auc(scores, labels) == pytest.approx(scipy_stats.norm.cdf(d / 2**0.5), abs=0.01)


def test_auc_counts_ties_as_half_and_is_undefined_without_both_classes():
    assert auc([1, 1, 1, 1], [True, False, True, False]) == 0.5
    assert auc([0, 1], [False, True]) == 1.0
    assert auc([1, 0], [False, True]) == 0.0
    assert np.isnan(auc([0.2, 0.4], [True, True]))


def test_auc_from_cluster_sums_equals_auc_of_rows():
    rng = np.random.default_rng(1)
    scores = pd.Series(rng.integers(0, 5, 300) / 4)
    labels = pd.Series(rng.random(300) < scores * 0.8)
    columns, metric = auc_columns(scores, labels)
    clusters = rng.integers(0, 30, 300)
    sums = columns.groupby(clusters).sum().to_numpy()
    assert float(metric(sums.sum(axis=0))) == pytest.approx(auc(scores, labels))


def test_cluster_bootstrap_interval_covers_the_true_rate_about_95_percent_of_the_time():
    # 60 clusters whose success probability varies around 0.3 (so rows within a cluster are
    # correlated): the interval must cover the population rate in roughly 95% of experiments.
    rng = np.random.default_rng(2)
    truth, covered, experiments = 0.3, 0, 200
    for experiment in range(experiments):
        p = rng.beta(3, 7, 60)  # mean 0.3
        n = rng.integers(5, 15, 60)
        successes = rng.binomial(n, p)
        sums = np.c_[successes, n].astype(float)
        estimate = cluster_bootstrap(sums, ratio(0, 1), seed=experiment, resamples=400)
        covered += estimate.low <= truth <= estimate.high
    assert 0.88 <= covered / experiments <= 0.99


def test_cluster_bootstrap_is_deterministic_and_handles_undefined_metrics():
    sums = np.array([[1.0, 2.0], [0.0, 3.0], [2.0, 2.0]])
    assert cluster_bootstrap(sums, ratio(0, 1), seed=5) == cluster_bootstrap(sums, ratio(0, 1), seed=5)
    empty = cluster_bootstrap(np.array([[0.0, 0.0]]), ratio(0, 1), seed=0)
    assert np.isnan(empty.value) and np.isnan(empty.low)


def test_difference_of_two_rates():
    sums = np.array([[3.0, 1.0, 4.0]])  # weak passes 3 of 4, strong 1 of 4
    assert difference(ratio(0, 2), ratio(1, 2))(sums.sum(axis=0)) == pytest.approx(0.5)


def test_decay_fit_recovers_its_parameters():
    lengths = np.array([1, 2, 3, 4, 5])
    rates = decay(lengths, 0.6, 0.7, origin=1)
    fit = fit_decay(lengths, rates)
    assert fit.start == pytest.approx(0.6, abs=1e-4) and fit.rate == pytest.approx(0.7, abs=1e-4)
    assert fit.retention == pytest.approx(np.exp(-0.7), abs=1e-4)


def test_decay_fit_recovers_parameters_from_binomial_samples_and_sees_growth():
    rng = np.random.default_rng(3)
    lengths = np.array([1, 2, 3, 4])
    n = np.full(4, 4000)
    rates = rng.binomial(n, decay(lengths, 0.5, 0.4, origin=1)) / n
    fit = fit_decay(lengths, rates, weights=n)
    assert fit.start == pytest.approx(0.5, abs=0.03) and fit.rate == pytest.approx(0.4, abs=0.05)
    growing = fit_decay([1, 2, 3], [0.2, 0.3, 0.45])
    assert growing.rate < 0 < growing.start


def test_decay_fit_needs_two_lengths_and_some_success():
    assert np.isnan(fit_decay([2, 2], [0.3, 0.4]).rate)
    assert np.isnan(fit_decay([1, 2, 3], [0.0, 0.0, 0.0]).rate)


def test_seeds_and_tasks_bootstrap_carries_both_sources_of_variance():
    rng = np.random.default_rng(0)
    task_effects = rng.normal(0.0, 0.2, size=200)  # tasks differ a lot; seeds agree: a gain of +0.05
    agreeing = 0.05 + task_effects[None, :] + rng.normal(0.0, 0.01, size=(5, 200))
    estimate = seeds_and_tasks_bootstrap(agreeing, seed=1)
    assert estimate.value == pytest.approx(agreeing.mean())
    # the task variance alone makes the interval about 2 * 1.96 * 0.2 / sqrt(200) = 0.055 wide, where a
    # t-interval over the five seeds' means would be a hundredth of that
    assert 0.04 < estimate.high - estimate.low < 0.07 and estimate.low > 0
    seed_means = agreeing.mean(axis=1)
    assert seed_means.std(ddof=1) * 2.78 / 5 ** 0.5 < (estimate.high - estimate.low) / 10
    # seeds that disagree widen it too: no gain on average
    disagreeing = rng.normal(0.0, 0.1, size=(5, 1)) + rng.normal(0.0, 0.01, size=(5, 200))
    wide = seeds_and_tasks_bootstrap(disagreeing, seed=1)
    assert wide.low < 0 < wide.high and wide.high - wide.low > 0.05
    assert seeds_and_tasks_bootstrap(disagreeing, seed=1) == wide  # deterministic given the seed
