import math

import pandas as pd

from execrl.verdicts import VERDICT_COLUMNS, judge_humaneval, summarize_verdicts


def test_canonical_passes_and_wrong_fails(humaneval):
    verdicts = judge_humaneval(humaneval[:4], timeout_s=10, workers=2)
    assert list(verdicts.columns) == list(VERDICT_COLUMNS)
    assert list(verdicts["task_id"]) == [f"HumanEval/{i}" for i in range(4) for _ in range(2)]
    assert list(verdicts["candidate"]) == ["canonical", "wrong"] * 4
    assert list(verdicts["passed"]) == [True, False] * 4
    assert set(verdicts.loc[~verdicts["passed"], "status"]) == {"failed"}


def test_summary_counts_per_candidate():
    verdicts = pd.DataFrame(
        {"candidate": ["canonical", "canonical", "wrong", "wrong"], "passed": [True, False, False, False]}
    )
    summary = summarize_verdicts(verdicts)
    assert summary["canonical"] == {"passed": 1, "total": 2, "pass_rate": 0.5}
    assert summary["wrong"] == {"passed": 0, "total": 2, "pass_rate": 0.0}


def test_summary_of_no_rows_is_nan_not_an_error():
    summary = summarize_verdicts(pd.DataFrame({"candidate": [], "passed": []}))
    assert summary["canonical"]["total"] == 0 and math.isnan(summary["canonical"]["pass_rate"])
