import os

import pytest

from execrl.provenance import busy_seconds, code_hash, config_hash, package_versions, rule_run_times


def test_code_hash_follows_content_of_named_modules_only(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "other.py").write_text("y = 1\n")
    before = code_hash("pkg", root=tmp_path)
    (tmp_path / "other.py").write_text("y = 2\n")
    assert code_hash("pkg", root=tmp_path) == before
    (tmp_path / "pkg" / "a.py").write_text("x = 2\n")
    assert code_hash("pkg", root=tmp_path) != before
    assert code_hash("pkg", "other.py", root=tmp_path) == code_hash("other.py", "pkg", root=tmp_path)


def test_code_hash_of_a_package_covers_its_c_sources_not_its_build(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "a.py").write_text("x = 1\n")
    (tmp_path / "pkg" / "_loop.c").write_text("int x;\n")
    before = code_hash("pkg", root=tmp_path)
    (tmp_path / "pkg" / "_loop.cpython-311-x86_64-linux-gnu.so").write_bytes(b"\x7fELF")
    assert code_hash("pkg", root=tmp_path) == before
    (tmp_path / "pkg" / "_loop.c").write_text("int y;\n")
    assert code_hash("pkg", root=tmp_path) != before


def test_code_hash_rejects_unknown_module(tmp_path):
    with pytest.raises(FileNotFoundError, match="no module named 'nope'"):
        code_hash("nope", root=tmp_path)


def test_config_hash_ignores_key_order():
    assert config_hash({"a": 1, "b": {"c": 2}}) == config_hash({"b": {"c": 2}, "a": 1})
    assert config_hash({"a": 1}) != config_hash({"a": 2})


def test_package_versions_marks_absent_packages():
    versions = package_versions(("pytest", "no-such-package-execrl"))
    assert versions["pytest"][0].isdigit()
    assert versions["no-such-package-execrl"] == "not installed"


def test_run_times_come_from_benchmark_files_and_overlapping_jobs_count_once(tmp_path):
    header = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"
    jobs = {"a.tsv": (100.0, 1_000), "train/b.tsv": (50.0, 1_080), "c.tsv": (30.0, 2_000)}  # seconds, end time
    for name, (seconds, ended) in jobs.items():
        path = tmp_path / name
        path.parent.mkdir(exist_ok=True)
        path.write_text(header + f"{seconds}\t0:00:00\t12.5\t1\t1\t1\t0\t0\t50\t{seconds / 2}\n")
        os.utime(path, (ended, ended))
    rows = rule_run_times(tmp_path)
    assert [(r["job"], r["seconds"], r["cpu_seconds"], r["max_rss_mb"]) for r in rows] == [
        ("a", 100.0, 50.0, 12.5), ("c", 30.0, 15.0, 12.5), ("train/b", 50.0, 25.0, 12.5)]
    # a: 900-1000, b: 1030-1080 (a gap of 30 s), c: 1970-2000 (another run, 890 s later)
    assert busy_seconds(rows) == pytest.approx(100 + 50 + 30)
    overlapping = [{"seconds": 100.0, "ended": 1_000.0}, {"seconds": 60.0, "ended": 1_050.0}]  # 900-1000, 990-1050
    assert busy_seconds(overlapping) == pytest.approx(150.0) and busy_seconds([]) == 0.0
