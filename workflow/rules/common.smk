# Shared helpers: config validation, code hashes for params, paths every stage uses.

from execrl.config import load_schema, validate_config
from execrl.provenance import code_hash
from execrl.tasks import default_humaneval_path

# Fill defaults and reject unknown keys, wrong types and missing files before any job runs.
config.update(validate_config(config, load_schema(workflow.source_path("../schemas/config.schema.yaml"))))

RESULTS = "results"
# Sandbox-heavy jobs (benchmark tiers, verdicts, mutation scores) take at most half the cores, so one
# runs beside the single-threaded training chain (warm start, RL runs, evaluations) instead of waiting
# for it: on 2 cores, a 2-thread job could not start while the warm start held one core.
SANDBOX_THREADS = max(1, min(config["sandbox"]["workers"], (workflow.cores or 2) // 2))
TEMPLATE_DIR = "report"  # Jinja2 templates and CSS of the HTML report (relative to the repository root)


def code(*modules):
    """Content hash of the named execrl modules of this checkout: as a param, an edit reruns the rule."""
    return code_hash(*modules, root=Path(workflow.basedir) / "execrl")


# The sandbox package and what it imports from outside it (its workers start with helper.lean_python).
SANDBOX_CODE = ("sandbox", "helper.py")

# The modules that build and read task files; a rule that reads them depends on these, not on the
# whole tasks package (an edit of the procedural suite must not rebuild HumanEval's tiers).
TASK_FILE_CODE = (
    "tasks/__init__.py", "tasks/humaneval.py", "tasks/evalplus.py", "tasks/examples.py", "tasks/oracle.py",
    "tasks/tiers.py", "sandbox/codec.py", "sandbox/compare.py", "sandbox/properties.py", "sandbox/records.py", "io.py",
    "helper.py",
)


def humaneval_source():
    return config["tasks"]["humaneval"]["path"] or str(default_humaneval_path())


def optional_file(path):
    """The file as an input if it exists, else no input: an absent optional dataset skips a tier,
    and the file appearing later reruns the rule."""
    return [path] if path and Path(path).exists() else []


def optional_dataset(key):
    """The configured path of an optional dataset and whether it is there, as a param: the script
    names it when it is skipped."""
    path = config["tasks"][key]
    return {"path": path, "present": bool(optional_file(path))}
