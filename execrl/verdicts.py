"""Judge HumanEval candidates with HumanEval's own check() and summarise the verdicts.

Two candidates per problem: the canonical solution (must pass) and a deliberately wrong one whose
body is ``return None`` (must fail). Together they check the harness end to end: a harness that
passes everything or fails everything is caught at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from execrl.sandbox import CheckResult, run_check_programs
from execrl.tasks import HumanEvalProblem

WRONG_COMPLETION = "    return None\n"
CANDIDATE_KINDS = ("canonical", "wrong")

# Schema of results/verdicts/humaneval_canonical.parquet, one row per (task, candidate).
VERDICT_COLUMNS = {
    "task_id": "string: HumanEval id, e.g. HumanEval/0",
    "candidate": "string: canonical | wrong (body replaced by `return None`)",
    "passed": "bool: check() returned without error within the time limit",
    "status": "string: passed | failed | timeout",
    "error": "string: last line of the error for failures, empty otherwise",
}

Runner = Callable[[Sequence[str], float, int], list[CheckResult]]


def candidate_completions(problem: HumanEvalProblem) -> dict[str, str]:
    return {"canonical": problem.canonical_solution, "wrong": WRONG_COMPLETION}


def judge_humaneval(
    problems: Sequence[HumanEvalProblem],
    timeout_s: float,
    workers: int,
    runner: Runner = run_check_programs,
) -> pd.DataFrame:
    """Run every candidate of every problem against check(); one row per (task, candidate)."""
    rows = [
        (problem, kind, completion)
        for problem in problems
        for kind, completion in candidate_completions(problem).items()
    ]
    results = runner([p.check_program(c) for p, _, c in rows], timeout_s, workers)
    frame = pd.DataFrame(
        {
            "task_id": [p.task_id for p, _, _ in rows],
            "candidate": [kind for _, kind, _ in rows],
            "passed": [r.passed for r in results],
            "status": [r.status for r in results],
            "error": [r.error for r in results],
        }
    )
    return frame.astype({"task_id": "string", "candidate": "string", "status": "string", "error": "string"})


def summarize_verdicts(verdicts: pd.DataFrame) -> dict[str, dict[str, float | int]]:
    """Pass counts and rates per candidate kind."""
    summary = {}
    for kind in CANDIDATE_KINDS:
        rows = verdicts[verdicts["candidate"] == kind]
        passed = int(rows["passed"].sum())
        summary[kind] = {
            "passed": passed,
            "total": len(rows),
            "pass_rate": passed / len(rows) if len(rows) else float("nan"),
        }
    return summary
