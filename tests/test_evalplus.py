"""EvalPlus loaders: release checks, clear errors, argument types rebuilt, and the real files."""

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest

from execrl.tasks import TaskDataError
from execrl.tasks.evalplus import RELEASES, load_evalplus, load_optional

from conftest import REPO

FILES = {"humaneval_plus": "HumanEvalPlus-v0.1.10.jsonl.gz", "mbpp_plus": "MbppPlus-v0.2.0.jsonl.gz"}


def release_file(release: str) -> Path:
    """The official file from resources/ (where .ci/run puts it) or ../shared/data. CI sets
    EXECRL_REQUIRE_DATA=1 so that a missing file fails there instead of skipping."""
    for folder in (REPO / "resources", REPO.parent / "shared" / "data"):
        if (folder / FILES[release]).is_file():
            return folder / FILES[release]
    if os.environ.get("EXECRL_REQUIRE_DATA") == "1":
        pytest.fail(f"{FILES[release]} is missing from resources/ and ../shared/data")
    pytest.skip(f"optional dataset {FILES[release]} not present")


def write_release(path: Path, records: list[dict]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.writelines(json.dumps(r) + "\n" for r in records)
    return path


def test_another_file_is_refused_by_its_sha256(tmp_path):
    path = write_release(tmp_path / "fake.jsonl.gz", [{"task_id": "HumanEval/0"}])
    with pytest.raises(TaskDataError, match=r"is not the HumanEval\+ v0.1.10 release .*corrupt or another version"):
        load_evalplus(path, "humaneval_plus")


def test_a_missing_file_names_where_to_get_it(tmp_path):
    with pytest.raises(TaskDataError, match="file not found: .*humanevalplus_release"):
        load_evalplus(tmp_path / "absent.jsonl.gz", "humaneval_plus")


def test_optional_release_is_skipped_only_when_absent(tmp_path):
    assert load_optional(None, "mbpp_plus") == (None, "MBPP+ v0.2.0 skipped: its path is set to null in the config")
    problems, note = load_optional(tmp_path / "absent.jsonl.gz", "mbpp_plus")
    assert problems is None and note.startswith("MBPP+ v0.2.0 skipped:") and "not found" in note
    assert "mbppplus_release, tag v0.2.0" in note and "humanevalplus" not in note  # this release's source only
    corrupt = tmp_path / "corrupt.jsonl.gz"
    corrupt.write_bytes(b"not gzip")
    with pytest.raises(TaskDataError, match="corrupt"):
        load_optional(corrupt, "mbpp_plus")


def test_truncated_release_fails_with_a_clear_error(tmp_path):
    source = release_file("mbpp_plus")
    truncated = tmp_path / FILES["mbpp_plus"]
    truncated.write_bytes(source.read_bytes()[:5000])
    with pytest.raises(TaskDataError, match="not the MBPP\\+ v0.2.0 release"):
        load_evalplus(truncated, "mbpp_plus")


def test_humaneval_plus_release():
    problems = load_evalplus(release_file("humaneval_plus"), "humaneval_plus")
    assert len(problems) == 164 and problems[0].task_id == "HumanEval/0"
    assert sum(len(p.plus_input) for p in problems) / 164 > 500  # mean 748 per task (shared/data/README.md)
    assert all(p.canonical_solution and p.base_input for p in problems)


def test_mbpp_plus_release_rebuilds_argument_types():
    by_id = {p.task_id: p for p in load_evalplus(release_file("mbpp_plus"), "mbpp_plus")}
    assert len(by_id) == 378
    assert by_id["Mbpp/2"].base_input[0] == ((3, 4, 5, 6), (5, 7, 4, 10))  # both arguments tuples
    assert all(type(a) is tuple for args in by_id["Mbpp/2"].plus_input for a in args)
    assert type(by_id["Mbpp/63"].base_input[0][0][0]) is tuple  # a list of tuples
    assert by_id["Mbpp/793"].plus_input == ()  # stored as {}: no plus inputs


def test_a_copied_release_still_loads(tmp_path):
    copy = shutil.copy(release_file("humaneval_plus"), tmp_path / "renamed.jsonl.gz")
    assert len(load_evalplus(copy, "humaneval_plus")) == 164
    assert set(RELEASES) == set(FILES)
