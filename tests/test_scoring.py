"""Mutation scoring on hand-made tiers whose kills are known by construction."""

import pandas as pd
import pytest

from execrl.tasks.humaneval import HumanEvalProblem
from execrl.tasks.mutants import Mutant
from execrl.tasks.scoring import CANONICAL, MUTANT, PLUS_REFERENCE, candidates, judge_candidates, summarize_scores
from execrl.tasks.tiers import BenchmarkTask, TierTest

PROMPT = "def absolute(x):\n"
CANONICAL_BODY = "    return x if x >= 0 else -x\n"


def tier(*pairs):
    return tuple(TierTest((x,), y, 1.0) for x, y in pairs)


@pytest.fixture(scope="module")
def task():
    problem = HumanEvalProblem("T/0", PROMPT, "absolute", CANONICAL_BODY, "")
    tiers = {"visible": tier((3, 3)), "base": tier((3, 3), (-2, 2)), "plus": tier((3, 3), (-2, 2), (0, 0), (-10**30, 10**30))}
    return BenchmarkTask(problem, tiers, plus_canonical="    return abs(x)\n")


def mutant(body: str, operator: str) -> Mutant:
    return Mutant("T/0", f"T/0/{operator}", operator, 2, operator, PROMPT + body)


MUTANTS = [
    mutant("    return x\n", "remove_branch"),  # passes visible; base catches -2
    mutant("    return x if x > 0 else -x\n", "compare_boundary"),  # equivalent on integers: no tier kills it
    mutant("    return x if x >= 1 else x\n", "constant_shift"),  # 0 -> 0 still right; -2 -> -2 caught by base
    mutant("    return x + 1 if x >= 0 else -x\n", "arith_swap"),  # wrong on 3: every tier kills it
    mutant("    return x if x >= 0 else (-x if x > -10**6 else 0)\n", "early_return"),  # only plus's huge input
]


@pytest.fixture(scope="module")
def table(task):
    return judge_candidates(candidates([task], MUTANTS), workers=2)


def test_every_candidate_is_judged_on_every_tier(table):
    assert len(table) == (2 + len(MUTANTS)) * 3
    assert list(table.groupby("kind").size().items()) == [(CANONICAL, 3), (MUTANT, 15), (PLUS_REFERENCE, 3)]


def test_kills_per_tier_are_the_ones_built_in(table):
    mutants = table[table["kind"] == MUTANT].pivot(index="operator", columns="tier", values="passed")
    assert mutants.to_dict("index") == {
        "remove_branch": {"visible": True, "base": False, "plus": False},
        "compare_boundary": {"visible": True, "base": True, "plus": True},
        "constant_shift": {"visible": True, "base": False, "plus": False},
        "arith_swap": {"visible": False, "base": False, "plus": False},
        "early_return": {"visible": True, "base": True, "plus": False},
    }


def test_the_plus_tier_stops_at_the_first_failure_the_others_run_every_test(table):
    arith = table[table["operator"] == "arith_swap"].set_index("tier")["tests_passed"].to_dict()
    assert arith == {"visible": 0, "base": 1, "plus": 0}  # wrong on 3, right on -2; plus stops at 3
    early = table[table["operator"] == "early_return"].set_index("tier")["tests_passed"].to_dict()
    assert early == {"visible": 1, "base": 2, "plus": 3}  # plus's last input is the one it gets wrong


def test_scores_and_reference_checks(table, task):
    summary = summarize_scores(table, [task])
    assert summary["comparable_tasks"] == 1 and summary["comparable_mutants"] == 5
    assert {t: s["killed"] for t, s in summary["score_comparable"].items()} == {"visible": 1, "base": 3, "plus": 4}
    assert summary["score_comparable"]["plus"]["score"] == 0.8
    assert summary["oracle_failures"] == [] and summary["canonical_failures"] == []
    assert summary["score_by_operator"]["early_return"]["plus"] == {"mutants": 1, "killed": 1, "score": 1.0}


def test_a_failing_oracle_is_reported_and_its_task_not_compared(task):
    rows = candidates([task], MUTANTS)
    table = judge_candidates(rows, workers=2)
    broken = table.copy()
    broken.loc[(broken["kind"] == CANONICAL) & (broken["tier"] == "base"), "passed"] = False
    summary = summarize_scores(broken, [task])
    assert summary["oracle_failures"] == [{"task_id": "T/0", "kind": CANONICAL, "tier": "base", "status": "passed",
                                           "tests_passed": 2, "tests_total": 2}]
    assert summary["comparable_tasks"] == 0


def test_sandbox_errors_stop_the_summary(table, task):
    broken = table.copy()
    broken.loc[0, "status"] = "sandbox_error"
    with pytest.raises(RuntimeError, match="sandbox errors"):
        summarize_scores(broken, [task])


def test_mutants_of_unknown_tasks_are_refused(task):
    with pytest.raises(ValueError, match="mutants of unknown tasks"):
        candidates([task], [Mutant("T/9", "T/9/m", "arith_swap", 1, "", PROMPT)])


def test_the_table_is_deterministic(task, table):
    pd.testing.assert_frame_equal(judge_candidates(candidates([task], MUTANTS), workers=1), table)


def test_an_absent_benchmark_scores_nothing_without_failing():
    summary = summarize_scores(judge_candidates(candidates([], []), workers=1), [])
    assert summary["mutants"] == 0 and summary["oracle_failures"] == [] and summary["tiers_compared"] == []
    assert summary["score_all"]["base"] == {"mutants": 0, "killed": 0, "score": None}
