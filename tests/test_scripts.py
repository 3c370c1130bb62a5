"""Each workflow script's main(), called with a stand-in for Snakemake's object."""

import json

import pandas as pd

from execrl.config import load_schema, validate_config
from execrl.tasks import default_humaneval_path, read_problems, write_problems

from conftest import REPO, load_script, stand_in


def test_humaneval_tasks_script(tmp_path):
    out = tmp_path / "tasks" / "humaneval.jsonl"
    log = tmp_path / "log.txt"
    load_script("humaneval_tasks").main(
        stand_in(input={"source": str(default_humaneval_path())}, output={"tasks": str(out)}, log=[log])
    )
    problems = read_problems(out)
    assert len(problems) == 164
    assert "wrote 164 problems" in log.read_text()


def test_humaneval_canonical_script(tmp_path, humaneval):
    tasks = tmp_path / "tasks.jsonl"
    write_problems(tasks, humaneval[:3])
    out = {"verdicts": str(tmp_path / "v.parquet"), "summary": str(tmp_path / "s.json")}
    load_script("humaneval_canonical").main(
        stand_in(input={"tasks": str(tasks)}, output=out, params={"timeout_s": 10.0}, threads=2, log=[tmp_path / "l"])
    )
    verdicts = pd.read_parquet(out["verdicts"])
    assert len(verdicts) == 6
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["canonical"]["passed"] == 3 and summary["wrong"]["passed"] == 0


def test_report_script_renders_the_numbers(tmp_path):
    verdicts = pd.DataFrame(
        {
            "task_id": ["HumanEval/0", "HumanEval/0", "HumanEval/1", "HumanEval/1"],
            "candidate": ["canonical", "wrong", "canonical", "wrong"],
            "passed": [True, False, False, False],
            "status": ["passed", "failed", "timeout", "failed"],
            "error": ["", "AssertionError", "no result within 10 s", "AssertionError"],
        }
    )
    verdicts.to_parquet(tmp_path / "v.parquet")
    summary = {
        "canonical": {"passed": 1, "total": 2, "pass_rate": 0.5},
        "wrong": {"passed": 0, "total": 2, "pass_rate": 0.0},
    }
    (tmp_path / "s.json").write_text(json.dumps(summary))
    config = validate_config({}, load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    html_path = tmp_path / "report" / "index.html"
    load_script("report").main(
        stand_in(
            input={
                "verdicts": str(tmp_path / "v.parquet"),
                "summary": str(tmp_path / "s.json"),
                "index": str(REPO / "report" / "index.html.j2"),
            },
            output={"html": str(html_path)},
            params={"config": config},
            log=[tmp_path / "l"],
        )
    )
    html = html_path.read_text()
    assert "<td>canonical</td><td class=\"num\">1</td><td class=\"num\">2</td><td class=\"num\">50.0%</td>" in html
    assert "no result within 10 s" in html  # the unexpected verdict is listed
    assert "<svg" in html
    assert "http" not in html.replace('="http://www.w3.org/2000/svg"', "").replace('="http://www.w3.org/1999/xlink"', "")
