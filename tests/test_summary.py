"""The training summary: gains over the warm start per seed and their t-interval across seeds."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from execrl.rl.summary import gain_table, parse_run, pass_table, run_name, seed_interval, task_gains


def summary(visible: float, hidden: float) -> pd.DataFrame:
    return pd.DataFrame([
        {"mode": "single_turn", "turns": 1, "tier": "visible", "level": "all", "k": 1, "tasks": 10, "pass_at_k": visible},
        {"mode": "single_turn", "turns": 1, "tier": "hidden", "level": "all", "k": 1, "tasks": 10, "pass_at_k": hidden},
    ])


def test_run_names_round_trip():
    assert parse_run(run_name("seed_grpo_plus", "outcome", 12)) == ("seed_grpo_plus", "outcome", 12)
    with pytest.raises(ValueError, match="not a run name"):
        parse_run("grpo_plus-outcome-x1")


def test_gains_are_per_seed_differences_from_the_warm_start():
    passes = pass_table({
        "pretrain": summary(0.20, 0.10),
        "grpo_plus-outcome-s0": summary(0.30, 0.12),
        "grpo_plus-outcome-s1": summary(0.26, 0.08),
    })
    visible = passes[passes["tier"] == "visible"].set_index("seed")
    assert visible.loc[0, "gain"] == pytest.approx(0.10) and visible.loc[1, "gain"] == pytest.approx(0.06)
    gains = gain_table(passes).set_index("tier")
    assert gains.loc["visible", "gain"] == pytest.approx(0.08)
    assert gains.loc["visible", "seeds_gained"] == 2 and gains.loc["hidden", "seeds_gained"] == 1
    # t(0.975, 1 df) = 12.706; std of (0.10, 0.06) = 0.02 * sqrt(2); half-width = 12.706 * 0.02
    assert gains.loc["visible", "gain_low"] == pytest.approx(0.08 - 12.7062 * 0.02, abs=1e-4)


def test_the_interval_covers_the_mean_at_its_nominal_rate():
    """Across many simulated 5-seed experiments the 95% interval holds the true gain ~95% of the time."""
    import numpy as np

    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(2000):
        _, low, high = seed_interval(pd.Series(rng.normal(0.05, 0.02, size=5)))
        hits += low <= 0.05 <= high
    assert 0.93 < hits / 2000 < 0.97


def test_one_seed_has_no_interval_and_a_missing_baseline_is_named():
    mean, low, high = seed_interval(pd.Series([0.1]))
    assert mean == 0.1 and math.isnan(low) and math.isnan(high)
    with pytest.raises(ValueError, match="warm start"):
        pass_table({"grpo_plus-outcome-s0": summary(0.3, 0.1)})
    with pytest.raises(ValueError, match="no trained run"):
        pass_table({"pretrain": summary(0.3, 0.1)})


def episodes(passes: dict[str, list[bool]]) -> pd.DataFrame:
    """Single-turn episodes: task id -> hidden outcomes of its samples (visible = hidden here), plus a
    multi-turn row that must be ignored."""
    rows = [{"mode": "single_turn", "task_id": task, "level": 1 + int(task[1:]) % 2, "episode": e, "turn": 1,
             "visible_pass": passed, "hidden_pass": passed} for task, outcomes in passes.items()
            for e, passed in enumerate(outcomes)]
    rows.append({"mode": "multi_turn", "task_id": "t0", "level": 1, "episode": 0, "turn": 2, "visible_pass": True,
                 "hidden_pass": True})
    return pd.DataFrame(rows)


def test_task_gains_pair_each_run_with_the_warm_start_on_each_task():
    warm = {f"t{i}": [False, False] for i in range(40)}
    better = {f"t{i}": [True, i % 2 == 0] for i in range(40)}  # +75 points on every task, +0.5 or +1 each
    table = task_gains({"pretrain": episodes(warm), "grpo_plus-outcome-s0": episodes(better),
                        "grpo_plus-outcome-s1": episodes(better)}, seed=0).set_index(["tier", "level"])
    row = table.loc[("hidden", "all")]
    assert (row["seeds"], row["tasks"]) == (2, 40) and row["gain"] == pytest.approx(0.75)
    assert row["resolved"] and 0.6 < row["low"] < 0.75 < row["high"] < 0.9
    # seeds that agree exactly have a zero-width t-interval: what the tasks add is in the other one
    assert row["seed_low"] == row["seed_high"] == pytest.approx(0.75)
    assert table.loc[("hidden", "1"), "tasks"] == 20 and table.loc[("hidden", "1"), "gain"] == pytest.approx(1.0)
    same = task_gains({"pretrain": episodes(warm), "grpo_plus-outcome-s0": episodes(warm)}, seed=0)
    assert not same["resolved"].any() and (same["gain"] == 0).all()
