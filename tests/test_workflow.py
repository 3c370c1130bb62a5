"""The real workflow on the smoke config, run by real Snakemake in a copy of the repository."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from conftest import REPO

pytestmark = pytest.mark.workflow

NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "results", "resources", ".snakemake", "__pycache__", ".pytest_cache")
# No conda env or container is declared: dependencies are pinned in pyproject.toml and installed into
# the project's virtual environment (README.md). That is the one lint we accept.
ACCEPTED_LINT = "Specify a conda environment or container for each rule."


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--configfile", "config/smoke.yaml", *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=600)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def planned_rules(workdir: Path, *args: str) -> set[str]:
    """The rules a dry run would execute, without the aggregate rule `all`."""
    proc = snakemake(workdir, "--dry-run", *args)
    return set(re.findall(r"^(?:local)?rule (\w+):$", proc.stdout + proc.stderr, re.M)) - {"all"}


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("workflow") / "execrl"
    shutil.copytree(REPO, workdir, ignore=NOT_COPIED)
    snakemake(workdir, "--cores", "2")
    return workdir


def test_outputs_of_a_full_run(finished_run):
    tasks = (finished_run / "results/tasks/humaneval.jsonl").read_text().splitlines()
    assert len(tasks) == 164
    verdicts = pd.read_parquet(finished_run / "results/verdicts/humaneval_canonical.parquet")
    assert len(verdicts) == 2 * 164
    assert verdicts.loc[verdicts["candidate"] == "canonical", "passed"].all()
    assert not verdicts.loc[verdicts["candidate"] == "wrong", "passed"].any()
    summary = json.loads((finished_run / "results/verdicts/humaneval_canonical_summary.json").read_text())
    assert summary["canonical"]["passed"] == 164 and summary["wrong"]["passed"] == 0
    for rule in ("humaneval_tasks", "humaneval_canonical", "report"):
        assert (finished_run / f"results/logs/{rule}.log").stat().st_size > 0
        assert (finished_run / f"results/benchmarks/{rule}.tsv").is_file()


def test_report_shows_the_numbers(finished_run):
    html = (finished_run / "results/report/index.html").read_text()
    assert '<td>canonical</td><td class="num">164</td><td class="num">164</td><td class="num">100.0%</td>' in html
    assert '<td>wrong</td><td class="num">0</td><td class="num">164</td><td class="num">0.0%</td>' in html
    assert "<svg" in html and "<style>" in html
    assert "smoke config" in html  # the title set by config/smoke.yaml
    assert "Unexpected verdicts" not in html


def test_nothing_to_do_after_a_finished_run(finished_run):
    proc = snakemake(finished_run, "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr


def test_lint_is_clean_but_for_the_documented_exception(finished_run):
    proc = snakemake(finished_run, "--lint", check=False)
    titles = re.findall(r"^    \* (.+?):?$", proc.stdout + proc.stderr, re.M)
    assert titles, "expected lint output to parse"
    assert set(titles) == {ACCEPTED_LINT}


def test_forcing_one_rule_reruns_only_that_rule(finished_run):
    assert planned_rules(finished_run, "-f", "humaneval_tasks") == {"humaneval_tasks"}


def test_forcing_downstream_reruns_dependants(finished_run):
    assert planned_rules(finished_run, "-R", "humaneval_tasks") == {"humaneval_tasks", "humaneval_canonical", "report"}


def test_until_stops_at_the_named_rule(finished_run):
    assert planned_rules(finished_run, "-R", "humaneval_tasks", "--until", "humaneval_canonical") == {
        "humaneval_tasks",
        "humaneval_canonical",
    }


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("sandbox: {timeout_s: 5.0}", {"humaneval_canonical", "report"}),
        ("report: {title: another title}", {"report"}),
    ],
)
def test_config_change_reruns_only_rules_that_use_it(finished_run, tmp_path, override, expected):
    changed = tmp_path / "changed.yaml"
    changed.write_text(override + "\n")
    assert planned_rules(finished_run, "--configfile", "config/smoke.yaml", str(changed)) == expected


def test_invalid_config_fails_before_any_job(finished_run):
    proc = snakemake(finished_run, "--dry-run", "--config", 'sandbox={"timout_s": 5}', check=False)
    assert proc.returncode != 0
    assert "unknown key sandbox.timout_s; allowed keys under sandbox: timeout_s, workers" in proc.stdout + proc.stderr
