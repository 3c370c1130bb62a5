import pytest

from execrl.provenance import code_hash, config_hash, package_versions


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
