"""Reading the training stage's files into the tables the analyses take."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pandas as pd


def read_episodes(paths: Iterable[str]) -> pd.DataFrame:
    """Every evaluated policy's ``eval_episodes.parquet``, each row tagged (``policy``) with its run
    directory's name: ``pretrain`` or ``METHOD-REWARD-sSEED``."""
    return pd.concat([pd.read_parquet(path).assign(policy=Path(path).parent.name) for path in paths], ignore_index=True)


def read_run_metrics(paths: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Each run's table (``metrics.parquet``, ``curve.parquet``) by run name: the folder it is in."""
    return {Path(path).parent.name: pd.read_parquet(path) for path in paths}


BENCHMARK_POPULATIONS = {"humaneval": "HumanEval mutants", "mbppplus": "MBPP+ mutants"}


def read_mutant_verdicts(paths: Iterable[str]) -> dict[str, pd.DataFrame]:
    """Each benchmark's ``{benchmark}_mutant_verdicts.parquet``, by population name."""
    return {BENCHMARK_POPULATIONS[Path(path).name.split("_")[0]]: pd.read_parquet(path) for path in paths}
