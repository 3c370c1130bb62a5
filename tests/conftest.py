"""Shared test helpers: load a workflow script as a module and call its main() with a stand-in."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

REPO = Path(__file__).resolve().parent.parent


class Files(SimpleNamespace):
    """Stand-in for Snakemake's named file lists: attribute access by name, index access by position."""

    def __getitem__(self, index: int):
        return list(vars(self).values())[index]


def stand_in(*, input=None, output=None, params=None, wildcards=None, log=("job.log",), threads=1) -> SimpleNamespace:
    """The parts of Snakemake's ``snakemake`` object that the scripts read."""
    return SimpleNamespace(
        input=Files(**(input or {})),
        output=Files(**(output or {})),
        params=Files(**(params or {})),
        wildcards=Files(**(wildcards or {})),
        log=[str(p) for p in log],
        threads=threads,
    )


def load_script(name: str) -> ModuleType:
    path = REPO / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"script_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def humaneval():
    from execrl.tasks import load_humaneval

    return load_humaneval()
