"""Mutation scores: how many wrong programs each test tier catches.

Every mutant of a task's canonical solution is judged in the sandbox on every tier the task has;
so are the reference solutions, which must pass (the documented exceptions are listed, never
hidden). A tier kills a mutant when the mutant does not pass it. Tiers are compared on the same
mutants: those of tasks where every tier exists and the canonical solution passes every tier, so
that a stronger tier cannot look stronger merely by covering other tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from execrl.sandbox import Sandbox, Verdict
from execrl.tasks.mutants import Mutant
from execrl.tasks.tiers import TIERS, BenchmarkTask

CANONICAL = "canonical"  # the benchmark's own solution (HumanEval's, or EvalPlus's for MBPP+)
PLUS_REFERENCE = "plus_reference"  # EvalPlus's solution, the plus tier's oracle, where it differs
MUTANT = "mutant"

VERDICT_COLUMNS = {
    "task_id": "string: benchmark task id",
    "candidate_id": "string: mutant id, or the task id plus /canonical or /plus_reference",
    "kind": "string: canonical, plus_reference or mutant",
    "operator": "string: the mutation operator (empty for reference solutions)",
    "tier": "string: visible, base or plus",
    "status": "string: the sandbox verdict's status",
    "passed": "bool: the candidate passed every test of the tier",
    "tests_passed": "int: tests of the tier passed (plus tier: before the first failure, where judging stops)",
    "tests_total": "int: tests in the tier",
    "parsed": "bool: the program compiled",
    "loaded": "bool: the module ran and the entry point is callable",
    "first_error": "string: type of the first error, empty if none",
}


@dataclass(frozen=True)
class Candidate:
    task: BenchmarkTask
    candidate_id: str
    kind: str
    operator: str
    program: str


def candidates(tasks: Sequence[BenchmarkTask], mutants: Sequence[Mutant]) -> list[Candidate]:
    """The reference solutions and the mutants of every task, in task order."""
    by_task: dict[str, list[Mutant]] = {}
    for mutant in mutants:
        by_task.setdefault(mutant.task_id, []).append(mutant)
    rows = []
    for task in tasks:
        canonical = task.problem.program(task.problem.canonical_solution)
        rows.append(Candidate(task, f"{task.task_id}/{CANONICAL}", CANONICAL, "", canonical))
        if task.plus_canonical is not None and task.plus_canonical != task.problem.canonical_solution:
            plus = task.problem.program(task.plus_canonical)
            rows.append(Candidate(task, f"{task.task_id}/{PLUS_REFERENCE}", PLUS_REFERENCE, "", plus))
        rows += [Candidate(task, m.mutant_id, MUTANT, m.operator, m.program) for m in by_task.pop(task.task_id, [])]
    if by_task:
        raise ValueError(f"mutants of unknown tasks, e.g. {next(iter(by_task))}: the mutants file is from other tasks")
    return rows


def judge_candidates(
    rows: Sequence[Candidate], workers: int, progress: Callable[[int, Verdict], None] | None = None
) -> pd.DataFrame:
    """Every candidate on every tier its task has, in the sandbox; one row per (candidate, tier).

    On the plus tier (hundreds of inputs per task) a candidate is stopped at its first failing test:
    a kill needs only one, and most mutants fail early. The smaller tiers run every test, so that
    their pass fractions (partial credit) stay measurable."""
    pairs = [(row, tier) for row in rows for tier in TIERS if row.task.has_tier(tier)]
    jobs = [
        row.task.program_job(f"{row.candidate_id}@{tier}", row.program, tier, stop_at_first_failure=tier == "plus")
        for row, tier in pairs
    ]
    with Sandbox(workers=workers) as sandbox:
        verdicts = sandbox.run_many(jobs, progress)
    return pd.DataFrame(
        [
            {
                "task_id": row.task.task_id,
                "candidate_id": row.candidate_id,
                "kind": row.kind,
                "operator": row.operator,
                "tier": tier,
                "status": verdict.status,
                "passed": verdict.passed,
                "tests_passed": verdict.tests_passed,
                "tests_total": verdict.tests_total,
                "parsed": verdict.parsed,
                "loaded": verdict.loaded,
                "first_error": verdict.first_error or "",
            }
            for (row, tier), verdict in zip(pairs, verdicts)
        ],
        columns=list(VERDICT_COLUMNS),
    )


def summarize_scores(table: pd.DataFrame, tasks: Sequence[BenchmarkTask]) -> dict[str, Any]:
    """Mutation scores per tier, on the comparable mutants and on every mutant a tier can judge,
    per operator, with the reference solutions' failures and the tasks left out, and why."""
    sandbox_errors = table[table["status"] == "sandbox_error"]
    if len(sandbox_errors):
        raise RuntimeError(f"{len(sandbox_errors)} sandbox errors, e.g. {sandbox_errors.iloc[0]['candidate_id']}: verdicts say nothing")
    references = table[table["kind"] != MUTANT]
    canonical = references[references["kind"] == CANONICAL]
    canonical_ok = canonical.groupby("task_id")["passed"].all()
    oracles = references[_is_oracle(references)]
    present = [tier for tier in TIERS if any(t.has_tier(tier) for t in tasks)]  # no plus without EvalPlus
    complete = {t.task_id for t in tasks if all(t.has_tier(tier) for tier in present)}
    mutants = table[table["kind"] == MUTANT]
    mutated = set(mutants["task_id"])
    comparable = sorted(task for task in complete & mutated if canonical_ok.get(task, False))
    common = mutants[mutants["task_id"].isin(comparable)]
    return {
        "tasks": len(tasks),
        "tiers_compared": present,
        "mutated_tasks": len(mutated),
        "mutants": int(mutants["candidate_id"].nunique()),
        "comparable_tasks": len(comparable),
        "comparable_mutants": int(common["candidate_id"].nunique()),
        "score_comparable": _scores(common),
        "score_all": _scores(mutants),
        "score_by_operator": {op: _scores(group) for op, group in common.groupby("operator", sort=True)},
        "oracle_failures": _failures(oracles),
        "canonical_failures": _failures(canonical),
        "tasks_left_out": {
            t.task_id: {tier: t.notes.get(tier, "") for tier in TIERS if not t.has_tier(tier)}
            for t in tasks if any(not t.has_tier(tier) for tier in TIERS)
        },
    }


def _is_oracle(references: pd.DataFrame) -> pd.Series:
    """Which rows judge the solution that computed their tier's expected outputs: EvalPlus's for the
    plus tier where it differs from the benchmark's own, the canonical one otherwise."""
    has_plus_reference = references["task_id"].isin(references.loc[references["kind"] == PLUS_REFERENCE, "task_id"])
    by_plus_reference = (references["tier"] == "plus") & has_plus_reference
    return (by_plus_reference & (references["kind"] == PLUS_REFERENCE)) | (~by_plus_reference & (references["kind"] == CANONICAL))


def _failures(rows: pd.DataFrame) -> list[dict[str, Any]]:
    return [
        {"task_id": r.task_id, "kind": r.kind, "tier": r.tier, "status": r.status,
         "tests_passed": int(r.tests_passed), "tests_total": int(r.tests_total)}
        for r in rows[~rows["passed"]].itertuples()
    ]


def _scores(mutants: pd.DataFrame) -> dict[str, dict[str, float | int]]:
    scores = {}
    for tier in TIERS:
        rows = mutants[mutants["tier"] == tier]
        killed = int((~rows["passed"]).sum())
        scores[tier] = {"mutants": len(rows), "killed": killed, "score": round(killed / len(rows), 6) if len(rows) else None}
    return scores
