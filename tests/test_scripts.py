"""Each workflow script's main(), called with a stand-in for Snakemake's object, chained on a few tasks."""

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

import execrl.hostile
from execrl.benchmark import BENCHMARK_COLUMNS, EVALPLUS, HUMAN_EVAL, bare_fork, floor, summarize_benchmark
from execrl.io import write_json
from execrl.reporting.html import render_report
from execrl.config import load_schema, validate_config
from execrl.tasks import default_humaneval_path
from execrl.tasks.tiers import build_humaneval_tasks, read_tasks, summarize_tasks, write_tasks

from conftest import REPO, load_script, stand_in
from test_evalplus import release_file


@pytest.fixture(scope="module")
def tasks_file(tmp_path_factory, humaneval):
    path = tmp_path_factory.mktemp("tasks") / "humaneval.jsonl"
    limits = path.with_name("humaneval_limits.json")
    chosen = [p for p in humaneval if p.task_id in ("HumanEval/0", "HumanEval/2", "HumanEval/53")]
    write_tasks(path, limits, build_humaneval_tasks(chosen, None, workers=2))
    return path


@pytest.fixture(scope="module")
def outputs(tmp_path_factory, tasks_file):
    folder = tmp_path_factory.mktemp("outputs")
    write_json(folder / "humaneval_summary.json", summarize_tasks(read_tasks(tasks_file, limits_of(tasks_file)), {"humaneval": "test"}))
    return folder


def limits_of(tasks_file):
    return tasks_file.with_name(tasks_file.stem + "_limits.json")


def test_humaneval_tasks_script(tmp_path):
    out = {"tasks": str(tmp_path / "tasks" / "humaneval.jsonl"), "summary": str(tmp_path / "summary.json"),
           "limits": str(tmp_path / "limits.json")}
    log = tmp_path / "log.txt"
    load_script("humaneval_tasks").main(
        stand_in(input={"source": str(default_humaneval_path())}, output=out, log=[log], threads=2,
                 params={"plus": {"path": str(tmp_path / "absent.jsonl.gz"), "present": False}})
    )
    tasks = read_tasks(out["tasks"], out["limits"])
    assert len(tasks) == 164 and all(task.has_tier("base") and not task.has_tier("plus") for task in tasks)
    summary = json.loads(Path(out["summary"]).read_text())
    assert summary["tiers"]["visible"]["tasks_with_tests"] >= 140
    assert summary["sources"]["humaneval_plus"].startswith("HumanEval+ v0.1.10 skipped")
    # the package's file by its version, not by an install path that differs between checkouts
    assert summary["sources"]["humaneval"] == "HumanEval from the human-eval 1.0.3 package (human_eval/data/HumanEval.jsonl.gz)"
    assert "wrote 164 problems" in log.read_text()


def test_mbpp_tasks_script_without_the_file_writes_an_empty_benchmark(tmp_path):
    out = {"tasks": str(tmp_path / "mbpp.jsonl"), "summary": str(tmp_path / "mbpp.json"), "limits": str(tmp_path / "l.json")}
    load_script("mbpp_tasks").main(stand_in(output=out, params={"dataset": {"path": str(tmp_path / "absent.gz"), "present": False}, "max_problems": None},
                                            log=[tmp_path / "log.txt"]))
    assert read_tasks(out["tasks"], out["limits"]) == []
    assert "skipped" in json.loads(Path(out["summary"]).read_text())["sources"]["mbpp_plus"]


def test_mbpp_tasks_script(tmp_path):
    out = {"tasks": str(tmp_path / "mbpp.jsonl"), "summary": str(tmp_path / "mbpp.json"), "limits": str(tmp_path / "l.json")}
    load_script("mbpp_tasks").main(stand_in(output=out, params={"dataset": {"path": str(release_file("mbpp_plus")), "present": True}, "max_problems": 3},
                                            log=[tmp_path / "log.txt"], threads=2))
    tasks = read_tasks(out["tasks"], out["limits"])
    assert [t.task_id for t in tasks] == ["Mbpp/2", "Mbpp/3", "Mbpp/4"]
    assert all(t.has_tier("base") and t.has_tier("plus") for t in tasks)
    assert [t.has_tier("visible") for t in tasks] == [False, True, True]  # Mbpp/2's example wraps the call in set()


def test_mutants_and_mutation_scores_scripts(tasks_file, outputs):
    mutants = outputs / "mutants.jsonl"
    load_script("mutants").main(stand_in(input={"tasks": str(tasks_file), "limits": str(limits_of(tasks_file))}, output={"mutants": str(mutants)},
                                         params={"per_task": 6, "seed": 0, "max_tasks": None}, log=[outputs / "m.log"]))
    records = [json.loads(line) for line in mutants.read_text().splitlines()]
    assert {r["task_id"] for r in records} == {"HumanEval/0", "HumanEval/2", "HumanEval/53"}
    assert all(sum(r["task_id"] == t for r in records) <= 6 for t in ("HumanEval/0", "HumanEval/2", "HumanEval/53"))
    out = {"verdicts": str(outputs / "humaneval_mutant_verdicts.parquet"), "scores": str(outputs / "mutation_scores.json")}
    load_script("mutation_scores").main(stand_in(input={"tasks": str(tasks_file), "limits": str(limits_of(tasks_file)), "mutants": str(mutants)}, output=out,
                                                 threads=2, log=[outputs / "ms.log"]))
    table = pd.read_parquet(out["verdicts"])
    assert set(table["tier"]) == {"visible", "base"}  # no HumanEval+ in this fixture
    assert len(table[table["kind"] == "mutant"]) == len(records) * 2
    scores = json.loads(Path(out["scores"]).read_text())
    assert scores["oracle_failures"] == [] and scores["mutants"] == len(records)
    assert scores["score_all"]["plus"]["mutants"] == 0 and scores["tiers_compared"] == ["visible", "base"]
    assert scores["comparable_tasks"] == 3 and "HumanEval/0" in scores["tasks_left_out"]  # it has no plus tier
    visible, base = (scores["score_comparable"][tier]["killed"] for tier in ("visible", "base"))
    assert 0 < visible <= base


def test_procedural_tasks_script(outputs):
    out = {"tasks": str(outputs / "procedural.jsonl"), "summary": str(outputs / "procedural_summary.json")}
    load_script("procedural_tasks").main(stand_in(
        output=out, params={"seed": 0, "tasks_per_level": 5, "levels": [1, 2], "split_fractions": [0.7, 0.15, 0.15]},
        threads=2, log=[outputs / "p.log"]))
    summary = json.loads(Path(out["summary"]).read_text())
    assert summary["tasks"] == 20 and summary["by_variant"] == {"single": 10, "multi_step": 10}
    assert summary["reference"]["passes_visible"] == summary["reference"]["passes_hidden"] == 20


TINY_POLICY = {"n_layer": 1, "n_head": 2, "n_embd": 32, "block_size": 1024}


def test_pretrain_train_evaluate_and_summary_scripts(outputs):
    """The training stage chained on the procedural tasks above: warm start, one RL run, both
    evaluated on the test split, then the summary of gains (what the report reads)."""
    tasks = str(outputs / "procedural.jsonl")
    warm = outputs / "train" / "pretrain"
    warm.mkdir(parents=True)
    pretrain = {"steps": 4, "batch_size": 4, "eval_every": 2, "eval_tasks": 2, "warmup_steps": 1}
    load_script("pretrain").main(stand_in(
        input={"tasks": tasks}, log=[outputs / "pretrain.log"],
        output={"checkpoint": str(warm / "policy.pt"), "metrics": str(warm / "metrics.parquet"), "timings": str(warm / "timings.json")},
        params={"seed": 0, "device": "cpu", "policy": TINY_POLICY, "pretrain": pretrain}))
    assert list(pd.read_parquet(warm / "metrics.parquet")["step"]) == [2, 4]
    assert json.loads((warm / "timings.json").read_text())["parameters"] > 0
    run = outputs / "train" / "grpo_plus-outcome-s0"
    run.mkdir()
    hyper = {"steps": 2, "tasks_per_step": 2, "group_size": 2, "max_new_tokens": 16, "checkpoint_every": 1,
             "validate_every": 1, "validation_tasks_per_level": 1, "validation_samples": 1}
    load_script("train").main(stand_in(
        input={"tasks": tasks, "warm_start": str(warm / "policy.pt")},
        output={"metrics": str(run / "metrics.parquet"), "timings": str(run / "timings.parquet"), "policy": str(run / "policy.pt"),
                "curve": str(run / "curve.parquet")},
        params={"train": hyper, "device": "cpu", "resume": str(run / "resume.pt"), "sandbox_workers": 1},
        wildcards={"method": "grpo_plus", "reward": "outcome", "seed": "0"}, log=[outputs / "train.log", outputs / "train.progress"]))
    assert list(pd.read_parquet(run / "metrics.parquet")["step"]) == [1, 2]
    assert list(pd.read_parquet(run / "curve.parquet")["step"]) == [0, 1, 2]  # a learning curve on validation tasks
    for folder in (warm, run):
        load_script("evaluate").main(stand_in(
            input={"tasks": tasks, "policy": str(folder / "policy.pt")}, log=[outputs / f"evaluate-{folder.name}.log"],
            output={"episodes": str(folder / "eval_episodes.parquet"), "summary": str(folder / "eval_summary.parquet")},
            params={"seed": 0, "device": "cpu", "sandbox_workers": 1, "evaluate": {"samples": 2, "max_new_tokens": 16, "turns": 2}}))
    episodes = pd.read_parquet(run / "eval_episodes.parquet")
    assert set(episodes["mode"]) == {"single_turn", "multi_step", "multi_turn"}
    load_script("training_summary").main(stand_in(
        input={"summaries": [str(warm / "eval_summary.parquet"), str(run / "eval_summary.parquet")],
               "episodes": [str(warm / "eval_episodes.parquet"), str(run / "eval_episodes.parquet")]},
        output={"passes": str(outputs / "train" / "passes.parquet"), "gains": str(outputs / "train" / "gains.parquet"),
                "task_gains": str(outputs / "train" / "task_gains.parquet")},
        params={"seed": 0}, log=[outputs / "summary.log"]))
    gains = pd.read_parquet(outputs / "train" / "gains.parquet")
    assert set(gains["method"]) == {"grpo_plus"} and (gains["seeds"] == 1).all()
    paired = pd.read_parquet(outputs / "train" / "task_gains.parquet")
    assert set(paired["tier"]) == {"visible", "hidden"} and (paired["seeds"] == 1).all()
    passes = pd.read_parquet(outputs / "train" / "passes.parquet")
    assert passes["gain"].equals(passes["pass_at_k"] - passes["warm_start"])
    load_script("train_benchmark").main(stand_in(
        input={"timings": [str(run / "timings.parquet")]}, output={"summary": str(outputs / "train" / "benchmark.json")},
        params={"tasks_per_step": 2, "group_size": 2}, log=[outputs / "train_benchmark.log"]))


ANALYSIS_OUTPUTS = {
    "signal_quality": {"samples": "signal_samples.parquet", "quality": "signal_quality.parquet", "figure": "signal_quality.svg"},
    "complexity_progression": {"progression": "progression.parquet", "fits": "decay_fits.parquet", "turns": "turns.parquet",
                               "figure": "progression.svg"},
    "verification_paradox": {"overestimation": "overestimation.parquet", "hacking": "hacking.parquet",
                             "control": "reward_control.parquet", "control_summary": "reward_control_summary.parquet",
                             "figure": "paradox.svg", "hacking_figure": "hacking.svg"},
    "training_curves": {"curves": "training_curves.parquet", "figure": "training_curves.svg",
                        "learning": "learning_curves.parquet", "learning_figure": "learning_curves.svg"},
}


def analysis_path(outputs, rule, name):
    return str(outputs / "analysis" / ANALYSIS_OUTPUTS[rule][name])


def test_analysis_scripts(outputs):
    """The analyses on the mutant verdicts and the training stage's files written above."""
    (outputs / "analysis").mkdir()
    episodes = [str(outputs / "train" / run / "eval_episodes.parquet") for run in ("pretrain", "grpo_plus-outcome-s0")]
    metrics = [str(outputs / "train" / "grpo_plus-outcome-s0" / "metrics.parquet")]
    verdicts = [str(outputs / "humaneval_mutant_verdicts.parquet")]
    for rule, inputs in (("signal_quality", {"verdicts": verdicts, "episodes": episodes}),
                         ("complexity_progression", {"episodes": episodes}),
                         ("verification_paradox", {"verdicts": verdicts, "episodes": episodes, "metrics": metrics}),
                         ("training_curves", {"metrics": metrics, "learning": [metrics[0].replace("metrics", "curve")]})):
        output = {name: analysis_path(outputs, rule, name) for name in ANALYSIS_OUTPUTS[rule]}
        load_script(rule).main(stand_in(input=inputs, output=output, params={"seed": 0}, log=[outputs / f"{rule}.log"]))
    quality = pd.read_parquet(analysis_path(outputs, "signal_quality", "quality"))
    assert set(quality["population"]) >= {"HumanEval mutants", "policy samples, single-turn"}
    assert quality["value"].dropna().between(0, 1).all() and quality["value"].notna().any()
    progression = pd.read_parquet(analysis_path(outputs, "complexity_progression", "progression"))
    assert set(progression["policy"]) == {"warm start", "grpo_plus/outcome"}
    overestimation = pd.read_parquet(analysis_path(outputs, "verification_paradox", "overestimation"))
    mutants = overestimation[overestimation["population"] == "HumanEval mutants"].set_index("weak_tier")
    assert mutants.loc["visible", "strong_tier"] == "base" and mutants.loc["visible", "overestimation"] >= 0
    assert Path(analysis_path(outputs, "verification_paradox", "hacking_figure")).read_text().startswith("<svg")
    curves = pd.read_parquet(analysis_path(outputs, "training_curves", "curves"))
    assert set(curves["metric"]) == {"reward_mean", "visible_pass", "hidden_pass", "hacking_rate"}
    assert list(curves[curves["metric"] == "reward_mean"]["step"]) == [1, 2]
    learning = pd.read_parquet(analysis_path(outputs, "training_curves", "learning"))
    overall = learning[learning["metric"] == "hidden_pass_at_1"]
    assert list(overall["step"]) == [0, 1, 2] and list(overall["rollouts"]) == [0, 4, 8]
    assert set(learning["metric"]) > {"hidden_pass_at_1"} and learning["mean"].between(0, 1).all()
    claims_inputs = {"signal_quality": analysis_path(outputs, "signal_quality", "quality"),
                     "progression": analysis_path(outputs, "complexity_progression", "progression"),
                     "decay_fits": analysis_path(outputs, "complexity_progression", "fits"),
                     "turns": analysis_path(outputs, "complexity_progression", "turns"),
                     "overestimation": analysis_path(outputs, "verification_paradox", "overestimation"),
                     "control_summary": analysis_path(outputs, "verification_paradox", "control_summary"),
                     "gains": str(outputs / "train" / "gains.parquet"), "metrics": metrics}
    load_script("claims").main(stand_in(input=claims_inputs, output={"claims": str(outputs / "analysis" / "claims.parquet")},
                                        params={"train": {"hyperparameters": {"lr": 1e-4, "group_size": 2}}},
                                        log=[outputs / "claims.log"]))
    claims = pd.read_parquet(outputs / "analysis" / "claims.parquet")
    assert claims.set_index("claim").loc["grpo_plus.group_size", "measured"] == 2
    assert claims[claims["status"] == "measured"]["measured"].notna().sum() >= 10


def test_sandbox_verdicts_script(tasks_file, outputs):
    out = {"verdicts": str(outputs / "verdicts.parquet"), "summary": str(outputs / "verdicts_summary.json")}
    load_script("sandbox_verdicts").main(
        stand_in(input={"tasks": str(tasks_file), "limits": str(limits_of(tasks_file))}, output=out, params={"human_eval_timeout_s": 5.0},
                 threads=2, log=[outputs / "verdicts.log"])
    )
    table = pd.read_parquet(out["verdicts"])
    assert len(table) == 3 * 5
    summary = json.loads((outputs / "verdicts_summary.json").read_text())
    assert summary["candidates"]["canonical"]["execrl_passed"] == 3 and summary["disagreements"] == []


def test_hostile_suite_script(tasks_file, outputs, monkeypatch):
    chosen = {"honest_plain", "always_equal_object", "os_exit_in_call"}
    monkeypatch.setattr(execrl.hostile, "CATALOGUE", tuple(c for c in execrl.hostile.CATALOGUE if c.name in chosen))
    out = {name: str(outputs / file) for name, file in
           (("table", "hostile.parquet"), ("summary", "hostile_summary.json"), ("capabilities", "capabilities.json"))}
    left_behind = outputs / "hostile-work" / "probe"  # by a run killed midway
    left_behind.mkdir(parents=True)
    load_script("hostile_suite").main(
        stand_in(input={"tasks": str(tasks_file), "limits": str(limits_of(tasks_file))}, output=out,
                 params={"timeout_s": 1.0, "baselines": ["human-eval", "evalplus"]}, log=[outputs / "h.log"])
    )
    table = pd.read_parquet(out["table"])
    execrl_rows = table[table["harness"] == "execrl"].set_index("case")
    assert execrl_rows.loc["honest_plain", "passed"] and not execrl_rows["false_pass"].any()
    user_rows = table[table["harness"] == "execrl-user"].set_index("case")  # the ordinary-user path, same cases
    assert sorted(user_rows.index) == sorted(chosen) and user_rows.loc["honest_plain", "passed"]
    for rows in (execrl_rows, user_rows):  # an honest program after each, on the same sandbox
        assert rows["next_job_passed"].all() and rows["others_untouched"].all()
    human_eval_rows = table[table["harness"] == "human-eval"].set_index("case")
    assert human_eval_rows.loc["always_equal_object", "false_pass"]  # human-eval is fooled by it
    assert human_eval_rows["next_job_passed"].isna().all()  # a fresh process per program: not measured
    evalplus_rows = table[table["harness"] == "evalplus"].set_index("case")
    assert evalplus_rows.loc["always_equal_object", "false_pass"] and evalplus_rows.loc["honest_plain", "passed"]
    assert not table["detail"].str.contains("PATH=|\x00", regex=True).any()  # no environment in a shareable table
    assert json.loads((outputs / "capabilities.json").read_text())["rlimits"]["active"]
    assert not (outputs / "hostile-work").exists()  # neither the old work dir nor this run's


def test_sandbox_benchmark_script(tasks_file, outputs):
    out = {"table": str(outputs / "benchmark.parquet"), "summary": str(outputs / "benchmark_summary.json")}
    load_script("sandbox_benchmark").main(
        stand_in(input={"tasks": str(tasks_file), "limits": str(limits_of(tasks_file))}, output=out, params={"repeats": 2, "human_eval_threads": 2},
                 threads=2, log=[outputs / "b.log"])
    )
    table = pd.read_parquet(out["table"])
    assert len(table) == 2 * 8  # floor, bare fork, execrl x1; floor and execrl x2; human-eval x1 and x2; EvalPlus x1
    # with two workers or processes, each of the 3 programs is judged twice
    assert (table["passed"] == table["workers"].where(table["harness"] != HUMAN_EVAL, 1) * 3).all()
    summary = json.loads((outputs / "benchmark_summary.json").read_text())
    assert summary["all_passed"] and summary["execrl_1_over_human_eval_1"] > 1
    assert summary["evalplus_most_failed_in_a_run"] == 0 and summary["execrl_1_over_evalplus_1"] > 1
    assert summary["median_per_second"][f"{EVALPLUS} x1"] > 0
    assert set(summary["cpu_ms_per_program"]) == set(summary["median_per_second"])
    assert all(ms > 0 for ms in summary["cpu_ms_per_program"].values())
    assert summary["execrl_1_cores_busy"] > 0
    assert summary["execrl_scaling"]["workers"] == 2 and summary["execrl_scaling"]["floor_speedup"] > 0
    assert (table.loc[table["harness"] == "execrl", "caller_cpu_seconds"] > 0).all()  # the parent supervises
    assert summary["execrl_supervision"]["workers"] == 2 and summary["execrl_supervision"]["ceiling_per_second"] > 0
    low, high = summary["ratio_ranges"]["execrl_1_over_floor"]
    assert low <= summary["execrl_1_over_floor"] <= high


def test_the_bare_fork_baseline_counts_only_programs_that_pass(tasks_file):
    tasks = read_tasks(tasks_file, limits_of(tasks_file))
    wrong = dataclasses.replace(tasks[0], problem=dataclasses.replace(tasks[0].problem, canonical_solution="    return []\n"))
    contender = bare_fork([wrong, *tasks[1:]])
    try:
        assert [contender.judge(), contender.judge()] == [len(tasks) - 1] * 2  # one helper, judged twice
    finally:
        contender.close()


def test_the_floor_with_two_processes_judges_every_program_in_each(tasks_file):
    tasks = read_tasks(tasks_file, limits_of(tasks_file))
    wrong = dataclasses.replace(tasks[0], problem=dataclasses.replace(tasks[0].problem, canonical_solution="    return []\n"))
    contender = floor([wrong, *tasks[1:]], 2)
    try:
        assert contender.copies == 2 and len(contender.process_ids()) == 2
        assert contender.judge() == 2 * (len(tasks) - 1)
    finally:
        contender.close()


def synthetic_benchmark(evalplus_passed: tuple[int, ...] = (164, 164, 164)) -> pd.DataFrame:
    """Three repeats of each one-worker contender on 164 programs, all passed but for EvalPlus's ``evalplus_passed``.
    The machine drifts between repeats: a ratio of medians taken at different moments (here execrl's
    90 over the floor's 200) differs from the median of the ratios measured side by side (0.9, 0.3, 0.4)."""
    rates = {("no isolation (in-process floor)", 1): [100, 200, 300], ("execrl", 1): [90, 60, 120],
             ("bare fork per program, no isolation", 1): [50, 100, 150], (HUMAN_EVAL, 1): [10, 20, 30],
             (EVALPLUS, 1): [30, 40, 20]}
    cpu_seconds = {"no isolation (in-process floor)": 1.0, "execrl": 2.5, "bare fork per program, no isolation": 2.0,
                   HUMAN_EVAL: 4.0, EVALPLUS: 3.0}
    return pd.DataFrame(
        [(harness, workers, repeat, 164, evalplus_passed[repeat] if harness == EVALPLUS else 164, 164 / rate, rate,
          cpu_seconds[harness], 0.082 * (repeat + 1))
         for (harness, workers), series in rates.items() for repeat, rate in enumerate(series)],
        columns=list(BENCHMARK_COLUMNS),
    )


def test_benchmark_ratios_are_taken_within_a_repeat():
    summary = summarize_benchmark(synthetic_benchmark(), cores=1)
    assert summary["execrl_1_over_floor"] == pytest.approx(0.4)
    assert summary["execrl_1_over_floor_per_cpu_second"] == pytest.approx(0.4)  # 1 CPU second against 2.5
    assert summary["bare_fork_over_floor_per_cpu_second"] == pytest.approx(0.5)
    assert summary["ratio_ranges"]["execrl_1_over_floor"] == pytest.approx([0.3, 0.9])
    assert summary["execrl_1_over_human_eval_1"] == pytest.approx(4.0)
    assert summary["execrl_1_over_evalplus_1"] == pytest.approx(3.0)  # from 3, 1.5 and 6
    assert summary["ratio_ranges"]["execrl_1_over_evalplus_1"] == pytest.approx([1.5, 6.0])
    assert summary["median_per_second"][f"{EVALPLUS} x1"] == pytest.approx(30)
    assert summary["evalplus_most_failed_in_a_run"] == 0 and summary["all_passed"]
    assert summary["execrl_1_cores_busy"] == pytest.approx(2.5 * 90 / 164)  # 2.5 CPU seconds in 164/90 s, the median repeat
    assert summary["execrl_scaling"] is None and summary["repeats"] == 3
    supervision = summary["execrl_supervision"]  # 82, 164 and 246 ms of the parent's Python for 164 programs
    assert supervision["parent_cpu_ms_per_program"] == pytest.approx(1.0)
    assert supervision["ceiling_per_second"] == pytest.approx(1000)
    assert supervision["ceiling_over_one_worker"] == pytest.approx(1000 / 90)


def test_evalplus_failures_are_counted_apart_from_the_other_harnesses():
    # EvalPlus 0.3.1 fails HumanEval/32's correct programs; a failure of any other harness still counts
    summary = summarize_benchmark(synthetic_benchmark(evalplus_passed=(163, 164, 162)), cores=1)
    assert summary["evalplus_most_failed_in_a_run"] == 2 and summary["all_passed"]
    table = synthetic_benchmark()
    table.loc[table["harness"] == HUMAN_EVAL, "passed"] = 163
    assert not summarize_benchmark(table, cores=1)["all_passed"]


def test_throughput_section_renders_the_evalplus_figures():
    summary = summarize_benchmark(synthetic_benchmark(evalplus_passed=(163, 163, 163)), cores=1)
    html = render_report(REPO / "report", {"benchmark": load_script("report").benchmark_section(summary, "b.json")},
                         template="section_throughput.html.j2")
    assert ("and 3.0x as many as EvalPlus's <code>untrusted_check</code>, one\nprogram at a time, on the same inputs, "
            "expected outputs and time limits (from 1.50 to 6.00 over the 3 repeats)") in html
    assert "In its worst run\nEvalPlus 0.3.1 failed 1 of these correct programs, HumanEval/32's" in html
    assert "<tr><td>EvalPlus untrusted_check x1</td><td class=\"num\">30</td><td class=\"num\">18.29</td></tr>" in html


def test_report_script_renders_the_numbers(outputs):
    # runs after the scripts above, on the files they wrote
    config = validate_config({}, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    html_path = outputs / "report" / "index.html"
    (outputs / "benchmarks" / "train").mkdir(parents=True)
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    (outputs / "benchmarks" / "pretrain.tsv").write_text(header + "12.5\t0:00:12\t300.1\t1\t1\t1\t0\t0\t90\t11.2\n")
    (outputs / "benchmarks" / "train" / "grpo_plus-outcome-s0.tsv").write_text(header + "30.0\t0:00:30\t400\t1\t1\t1\t0\t0\t90\t29\n")
    load_script("report").main(
        stand_in(
            input={
                "verdicts": str(outputs / "verdicts_summary.json"),
                "hostile": str(outputs / "hostile.parquet"),
                "hostile_summary": str(outputs / "hostile_summary.json"),
                "capabilities": str(outputs / "capabilities.json"),
                "benchmark": str(outputs / "benchmark_summary.json"),
                "index": str(REPO / "report" / "index.html.j2"),
                "humaneval_summary": str(outputs / "humaneval_summary.json"),
                "humaneval_scores": str(outputs / "mutation_scores.json"),
                "mbppplus_summary": str(outputs / "humaneval_summary.json"),
                "mbppplus_scores": str(outputs / "mutation_scores.json"),
                "procedural": str(outputs / "procedural_summary.json"),
                "pretrain_metrics": str(outputs / "train" / "pretrain" / "metrics.parquet"),
                "pretrain_timings": str(outputs / "train" / "pretrain" / "timings.json"),
                "gains": str(outputs / "train" / "gains.parquet"),
                "train_benchmark": str(outputs / "train" / "benchmark.json"),
                "signal_quality": analysis_path(outputs, "signal_quality", "quality"),
                "signal_figure": analysis_path(outputs, "signal_quality", "figure"),
                "progression": analysis_path(outputs, "complexity_progression", "progression"),
                "decay_fits": analysis_path(outputs, "complexity_progression", "fits"),
                "turns": analysis_path(outputs, "complexity_progression", "turns"),
                "progression_figure": analysis_path(outputs, "complexity_progression", "figure"),
                "overestimation": analysis_path(outputs, "verification_paradox", "overestimation"),
                "hacking": analysis_path(outputs, "verification_paradox", "hacking"),
                "control_summary": analysis_path(outputs, "verification_paradox", "control_summary"),
                "paradox_figure": analysis_path(outputs, "verification_paradox", "figure"),
                "hacking_figure": analysis_path(outputs, "verification_paradox", "hacking_figure"),
                "claims": str(outputs / "analysis" / "claims.parquet"),
                "training_curves": analysis_path(outputs, "training_curves", "curves"),
                "training_curves_figure": analysis_path(outputs, "training_curves", "figure"),
                "learning_curves": analysis_path(outputs, "training_curves", "learning"),
                "task_gains": str(outputs / "train" / "task_gains.parquet"),
                "learning_curves_figure": analysis_path(outputs, "training_curves", "learning_figure"),
            },
            output={"html": str(html_path)},
            params={"config": config, "benchmarks": str(outputs / "benchmarks")},
            log=[outputs / "r.log"],
        )
    )
    html = html_path.read_text()
    benchmark = json.loads((outputs / "benchmark_summary.json").read_text())
    assert f"and the bare fork {1 / benchmark['bare_fork_over_floor_per_cpu_second']:.1f}x." in html
    assert f"and {benchmark['execrl_1_over_evalplus_1']:.1f}x as many as EvalPlus's <code>untrusted_check</code>" in html
    assert "In its worst run" not in html  # EvalPlus fails none of the three programs
    assert '<tr><td>canonical</td><td class="num">3</td><td class="num">3</td><td class="num">3</td></tr>' in html
    assert "always_equal_object" in html and "pid_namespace" in html
    assert "Test tiers: how many wrong programs each tier catches" in html
    assert "Training: what RL with execution rewards adds to the warm start" in html
    assert "<tr><td>grpo_plus</td><td>outcome</td><td class=\"num\">1</td>" in html
    assert "<tr><td>grpo_plus-outcome-s0</td>" in html  # its training cost
    assert html.count("<svg") == 2 + 2 + 6  # two mutation-score figures (the same file stands in for MBPP+), six analyses
    assert "Claims against measurements" in html and "unit tests are the most reliable signal" in html
    assert "\u2014 of the time" not in html  # the summary leaves out a precision no program defined
    assert "Verification paradox: passing weak tests, failing strong ones" in html
    assert "HumanEval's own base tests" in html  # no HumanEval+ here: base is the strongest tier
    assert "<tr><td>train/grpo_plus-outcome-s0</td><td class=\"num\">30.0</td>" in html and "times sum to 42 s" in html
    assert '<section id="method">' in html and "warm-started by supervised" in html
    stripped = html.replace('="http://www.w3.org/2000/svg"', "").replace('="http://www.w3.org/1999/xlink"', "")
    assert "http" not in stripped


def test_train_benchmark_script(tmp_path):
    run = tmp_path / "grpo_plus-outcome-s0"
    run.mkdir()
    pd.DataFrame([{"step": 1, "generation_s": 3.0, "sandbox_s": 1.0, "update_s": 4.0, "step_s": 8.0}]).to_parquet(run / "timings.parquet")
    out = tmp_path / "benchmark.json"
    load_script("train_benchmark").main(stand_in(input={"timings": [str(run / "timings.parquet")]}, output={"summary": str(out)},
                                                 params={"tasks_per_step": 8, "group_size": 8}, log=[tmp_path / "b.log"]))
    summary = json.loads(out.read_text())["grpo_plus-outcome-s0"]
    assert summary["rollouts_per_second"] == 64 / 8 and summary["sandbox_share"] == 1 / 8
    assert "8.0 rollouts/s; generation 38%, sandbox 12%, update 50%" in (tmp_path / "b.log").read_text()
