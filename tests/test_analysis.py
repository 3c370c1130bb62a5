"""Signal quality, complexity progression, the paradox and the claims table, on small tables whose
answers can be counted by hand."""

import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from execrl.analysis import claims, paradox, progression, signals
from execrl.analysis.curves import step_curves
from execrl.analysis.figures import curve_with_band
from execrl.rl.rewards import reward_range


def verdict_rows(task, candidate, kind, tiers):
    """Rows of a mutant-verdicts table: tiers maps tier -> (passed, tests_passed, tests_total)."""
    return [{"task_id": task, "candidate_id": candidate, "kind": kind, "operator": "" if kind != "mutant" else "op",
             "tier": tier, "status": "passed" if ok else "failed", "passed": ok, "tests_passed": tp, "tests_total": tt,
             "parsed": True, "loaded": tp > 0 or ok, "first_error": ""} for tier, (ok, tp, tt) in tiers.items()]


@pytest.fixture
def verdicts():
    rows = []
    for task in ("A", "B"):
        full = {"visible": (True, 2, 2), "base": (True, 4, 4), "plus": (True, 9, 9)}
        rows += verdict_rows(task, f"{task}/canonical", "canonical", full)
        # m1 passes visible and base but fails plus (the paradox); m2 fails everything; m3 is equivalent
        rows += verdict_rows(task, f"{task}-m1", "mutant", {"visible": (True, 2, 2), "base": (True, 4, 4), "plus": (False, 3, 9)})
        rows += verdict_rows(task, f"{task}-m2", "mutant", {"visible": (False, 1, 2), "base": (False, 1, 4), "plus": (False, 0, 9)})
        rows += verdict_rows(task, f"{task}-m3", "mutant", full)
    # task C: its canonical solution fails plus, so it is not comparable
    rows += verdict_rows("C", "C/canonical", "canonical", {"visible": (True, 1, 1), "base": (True, 1, 1), "plus": (False, 0, 1)})
    rows += verdict_rows("C", "C-m1", "mutant", {"visible": (True, 1, 1), "base": (True, 1, 1), "plus": (True, 1, 1)})
    return pd.DataFrame(rows)


def test_mutant_signals_are_labelled_by_the_strongest_tier(verdicts):
    samples = signals.mutant_samples(verdicts, "toy")
    assert len(samples) == 10 and list(samples.columns) == list(signals.SAMPLE_COLUMNS)
    by_id = samples.assign(candidate=verdicts[verdicts["tier"] == "visible"]["candidate_id"].to_numpy()).set_index("candidate")
    assert not by_id.loc["A-m1", "correct"] and by_id.loc["A-m1", "visible_pass"] == 1.0
    assert by_id.loc["A-m2", "partial"] == 0.5
    assert by_id.loc["A-m2", "process"] == pytest.approx(0.1 + 0.1 + 0.8 * 0.5)
    assert by_id.loc["A-m2", "seed_composite"] == pytest.approx(0.3 + 0.3)


def test_signal_quality_counts(verdicts):
    quality = signals.signal_quality(signals.mutant_samples(verdicts, "toy"), seed=0).set_index(["signal", "metric"])
    # correct on plus: A and B's canonical and m3, and C-m1 (5 of 10); all but A-m2 and B-m2 pass
    # visible (8), so precision 5/8, recall 5/5, and 3 of the 5 incorrect pass (FPR 3/5)
    assert quality.loc[("visible_pass", "precision"), "value"] == pytest.approx(5 / 8)
    assert quality.loc[("visible_pass", "recall"), "value"] == 1.0
    assert quality.loc[("visible_pass", "false_positive_rate"), "value"] == pytest.approx(3 / 5)
    assert quality.loc[("parses", "precision"), "value"] == pytest.approx(0.5)  # every program parses
    assert quality.loc[("parses", "auc"), "value"] == 0.5
    assert "strong_pass" not in quality.index.get_level_values("signal")  # mutants have no strong tier
    row = quality.loc[("visible_pass", "precision")]
    assert row["low"] <= row["value"] <= row["high"] and row["tasks"] == 3


def episodes_frame():
    """Two policies; one task per level 1-3 for single-turn and multi-step; multi-turn on the level-1 task."""
    rows = []
    for policy, bonus in (("pretrain", 0), ("grpo_plus-outcome-s0", 1)):
        for level in (1, 2, 3):
            for episode in range(4):
                ok = episode < max(0, 4 - level) + bonus  # success falls with the level
                for mode in ("single_turn", "multi_step"):
                    rows.append({"policy": policy, "mode": mode, "task_id": f"{mode}-L{level}", "level": level,
                                 "episode": episode, "turn": 1, "visible_pass": ok or episode == 3, "hidden_pass": ok,
                                 "truncated": False, "parsed": True, "loaded": True,
                                 "visible_fraction": 1.0 if ok or episode == 3 else 0.5, "strong_pass": ok})
        for episode in range(4):  # episode 0 passes at turn 1, episode 1 at turn 2, the others never
            for turn in range(1, 4):
                passes = (episode == 0) or (episode == 1 and turn >= 2)
                rows.append({"policy": policy, "mode": "multi_turn", "task_id": "single_turn-L1", "level": 1,
                             "episode": episode, "turn": turn, "visible_pass": passes, "hidden_pass": passes,
                             "truncated": False, "parsed": True, "loaded": True,
                             "visible_fraction": 1.0 if passes else 0.0, "strong_pass": passes})
                if passes:
                    break
    return pd.DataFrame(rows)


def test_progression_success_per_length_and_budget():
    table = progression.progression(episodes_frame(), seed=0).set_index(["policy", "mode", "length", "tier"])
    assert table.loc[("warm start", "single_turn", 1, "hidden"), "success"] == pytest.approx(3 / 4)
    assert table.loc[("warm start", "single_turn", 3, "hidden"), "success"] == pytest.approx(1 / 4)
    assert table.loc[("grpo_plus/outcome", "multi_step", 2, "hidden"), "success"] == pytest.approx(3 / 4)
    # multi-turn: 1 of 4 by turn 1, 2 of 4 by turns 2 and 3 (an episode that passed keeps its program)
    assert table.loc[("warm start", "multi_turn", 1, "hidden"), "success"] == pytest.approx(1 / 4)
    assert table.loc[("warm start", "multi_turn", 3, "hidden"), "success"] == pytest.approx(2 / 4)
    assert table.loc[("warm start", "multi_turn", 3, "hidden"), "episodes"] == 4


def test_decay_fits_see_decay_with_depth_and_growth_with_turns():
    fits = progression.decay_fits(episodes_frame(), seed=0).set_index(["policy", "mode", "tier"])
    assert fits.loc[("warm start", "single_turn", "hidden"), "rate"] > 0
    assert fits.loc[("warm start", "multi_turn", "hidden"), "rate"] < 0


def test_turns_taken():
    turns = progression.episode_turns(episodes_frame(), seed=0).set_index("mode")
    assert turns.loc["single_turn", "mean_turns"] == 1
    assert turns.loc["multi_turn", "mean_turns"] == pytest.approx((1 + 2 + 3 + 3) / 4)


def test_benchmark_overestimation_on_comparable_mutants(verdicts):
    table = paradox.benchmark_overestimation(verdicts, "toy", seed=0).set_index("weak_tier")
    # comparable: tasks A and B (C's canonical fails plus); mutants m1, m2, m3 of each
    assert table.loc["visible", "weak_pass"] == pytest.approx(4 / 6)
    assert table.loc["visible", "strong_pass"] == pytest.approx(2 / 6)
    assert table.loc["visible", "overestimation"] == pytest.approx(2 / 6)
    assert table.loc["visible", "severity"] == "moderate" and table.loc["base", "strong_tier"] == "plus"


def test_severity_bands():
    assert [paradox.severity(x) for x in (0.5, 0.3, 0.15, 0.05, -0.1)] == ["severe", "moderate", "mild", "minimal", "minimal"]


def test_policy_overestimation_and_control():
    episodes = episodes_frame()
    table = paradox.policy_overestimation(episodes, seed=0).set_index("population")
    row = table.loc["warm start, single-turn"]
    # warm start, single-turn: hidden passes 3 + 2 + 1 of 12; episode 3 passes visible at every level
    assert row["strong_pass"] == pytest.approx(6 / 12)
    assert row["weak_pass"] == pytest.approx(9 / 12)
    assert row["overestimation"] == pytest.approx(3 / 12)
    metrics = {"grpo_plus-outcome-s0": pd.DataFrame({"step": [1, 2, 3, 4], "hacking_rate": [0.4, 0.3, 0.2, 0.1],
                                                      "reward_std": [0.5, 0.4, 0.3, 0.2]})}
    control = paradox.reward_control(episodes, metrics)
    assert list(control["run"]) == ["grpo_plus-outcome-s0"]
    assert control["train_hacking_rate"].iloc[0] == pytest.approx(0.1)  # steps after 3/4 of the run
    summary = paradox.control_summary(control).set_index("metric")
    assert summary.loc["train_hacking_rate", "mean"] == pytest.approx(0.1) and summary["seeds"].eq(1).all()
    assert summary["low"].isna().all()  # one seed: no interval
    curves = paradox.hacking_curves(metrics)
    assert list(curves["hacking_rate"]) == [0.4, 0.3, 0.2, 0.1] and curves["low"].isna().all()  # one seed: no interval


def test_claims_table_fills_measured_rows_from_the_tables(verdicts):
    episodes = episodes_frame()
    metrics = {"grpo_plus-outcome-s0": pd.DataFrame({"step": [1, 2], "hacking_rate": [0.2, 0.1], "reward_std": [0.5, 0.3]})}
    tables = {
        "signal_quality": signals.signal_quality(pd.concat([signals.mutant_samples(verdicts, "HumanEval mutants"),
                                                            signals.episode_samples(episodes)]), seed=0),
        "progression": progression.progression(episodes, seed=0),
        "decay_fits": progression.decay_fits(episodes, seed=0),
        "turns": progression.episode_turns(episodes, seed=0),
        "overestimation": paradox.benchmark_overestimation(verdicts, "HumanEval mutants", seed=0),
        "control_summary": paradox.control_summary(paradox.reward_control(episodes, metrics)),
        "gains": pd.DataFrame(columns=["method", "reward", "mode", "turns", "tier", "level", "k", "seeds", "gain",
                                       "gain_low", "gain_high"]),
        "train_reward_std": pd.concat(metrics.values()),
    }
    sources = {name: f"results/analysis/{name}.parquet" for name in tables}
    config = {"train": {"hyperparameters": {"lr": 1e-4, "group_size": 8}}}
    table = claims.claims_table(tables, sources, config)
    assert set(table["status"]) <= set(claims.STATUSES)
    assert {c.claim for c in claims.CLAIMS} == set(table["claim"])
    unit_tests = table[table["claim"] == "signal.unit_tests.reliability"].set_index("measured_on")
    assert unit_tests.loc["HumanEval mutants", "measured"] == pytest.approx(5 / 8)
    variance = table[table["claim"] == "grpo_plus.variance_penalty"].iloc[0]
    assert variance["measured"] == pytest.approx(0.25)
    single = table[table["claim"] == "complexity.single_turn.measured"].iloc[0]
    assert single["measured"] == pytest.approx(1.0) and "grpo_plus/outcome" in single["measured_on"]
    hacking = table[table["claim"] == "grpo_plus.mitigates_hacking"].iloc[0]
    assert hacking["measured"] == pytest.approx(paradox.reward_control(episodes, metrics)["hacking_rate"].iloc[0])
    not_run = table[table["claim"] == "grpo_plus.adaptive_clip"].iloc[0]  # no seed_grpo_plus run in the tables
    assert math.isnan(not_run["measured"]) and "not measured in this configuration" in not_run["note"]
    literature = table[table["status"] == "literature"]
    assert literature["measured"].isna().all() and (literature["source"] != "").all()
    assert np.isfinite(table[table["status"] == "measured"]["measured"]).sum() >= 10


def seed_text():
    path = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_926063794b4f5e98.txt"
    if not path.is_file():
        if os.environ.get("EXECRL_REQUIRE_DATA") == "1":
            pytest.fail(f"the seed text is missing: {path}")
        pytest.skip("the seed text (../shared/seed) is not beside this checkout")
    return path.read_text(encoding="utf-8")


def test_the_claims_cover_every_number_of_the_seed_text():
    text = seed_text()
    assert {0.606, 0.9, 0.85, 3e-4, 50.0} <= claims.seed_numbers(text)  # the extraction reads code and analysis
    assert claims.uncovered_numbers(text) == set()


def test_an_unquoted_number_is_reported_as_uncovered():
    text = "```python\nreliability = 0.77\n```\n## Critical Analysis\nabout 12% succeed\n## Survey Method Analysis\n"
    assert claims.uncovered_numbers(text) == {0.77, 12.0}


def test_curve_bands_are_cut_to_the_values_a_metric_can_take():
    # two seeds far apart: the t-interval (12.7 standard errors) runs well past [0, 1]
    metrics = {run: pd.DataFrame({"step": [1, 2], "reward_mean": rewards, "visible_pass": shares,
                                  "hidden_pass": shares, "hacking_rate": [0.0, 0.0]})
               for run, rewards, shares in (("dapo-outcome-s0", [-1.5, 0.9], [0.0, 0.9]),
                                            ("dapo-outcome-s1", [0.5, -0.9], [0.6, 0.3]))}
    curves = step_curves(metrics)
    visible = curves[curves["metric"] == "visible_pass"]
    assert visible["low"].min() < 0 and visible["high"].max() > 1  # the table keeps the interval as computed
    steps, mean, low, high = curve_with_band(visible, "mean", (0.0, 1.0))
    assert steps == [1, 2] and mean == pytest.approx([0.3, 0.6]) and min(low) == 0.0 and max(high) == 1.0
    reward = curves[curves["metric"] == "reward_mean"]
    _, _, low, high = curve_with_band(reward, "mean", reward_range("dapo"))
    assert min(low) == -2.0 and max(high) == 1.0  # DAPO's signed reward and overlong penalty reach -2
    assert reward_range("grpo_plus") == (0.0, 1.0)
