"""Benchmark problems: loaders for HumanEval and the task records the workflow passes around."""

from execrl.tasks.humaneval import (
    HumanEvalProblem,
    TaskDataError,
    default_humaneval_path,
    load_humaneval,
)

__all__ = [
    "HumanEvalProblem",
    "TaskDataError",
    "default_humaneval_path",
    "load_humaneval",
]
