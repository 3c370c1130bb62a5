"""Command line: ``python -m execrl.sandbox JOBS.jsonl [--workers N]``.

Reads one job per line and writes one verdict per line to stdout, in the same order. Nothing else
ever reaches stdout (the judged programs write to /dev/null; diagnostics go to stderr).

Job line::

    {"id": str, "program": str, "entry_point": str,
     "tests": [{"input": [arg, ...], "expected": value}, ...],
     "atol": float, "timeout_s": float, "memory_mb": int}     # the last three optional

JSON has no tuples or sets, so an output is compared after a JSON round trip (a returned tuple
matches an expected list). Verdict line: the fields of ``execrl.sandbox.Verdict``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import Any

from execrl.sandbox.pool import Sandbox, sandbox_error
from execrl.sandbox.records import Job, Test, Verdict

REQUIRED = ("id", "program", "entry_point", "tests")
OPTIONAL = {"atol": float, "timeout_s": float, "memory_mb": int}


class JobFileError(ValueError):
    """A line of the jobs file is not a valid job; the message names the line and the field."""


def parse_job(record: Any, where: str) -> Job:
    if not isinstance(record, dict):
        raise JobFileError(f"{where}: expected a JSON object")
    missing = [k for k in REQUIRED if k not in record]
    unknown = sorted(set(record) - {*REQUIRED, *OPTIONAL})
    if missing or unknown:
        problems = [f"{what} field{'s' * (len(keys) > 1)} " + ", ".join(keys)
                    for what, keys in (("missing", missing), ("unknown", unknown)) if keys]
        raise JobFileError(f"{where}: {'; '.join(problems)} (a job has {', '.join(REQUIRED)}, and optionally "
                           f"{', '.join(OPTIONAL)})")
    if not isinstance(record["tests"], list) or not all(
        isinstance(t, dict) and set(t) == {"input", "expected"} and isinstance(t["input"], list) for t in record["tests"]
    ):
        raise JobFileError(f'{where}: "tests" must be a list of {{"input": [args], "expected": value}}')
    options = {}
    for key, kind in OPTIONAL.items():
        if key in record:
            accepted = (int,) if kind is int else (int, float)
            if not isinstance(record[key], accepted) or isinstance(record[key], bool):
                raise JobFileError(f"{where}: {key} must be {'an integer' if kind is int else 'a number'}")
            options[key] = kind(record[key])
    try:
        return Job(
            id=str(record["id"]),
            program=record["program"],
            entry_point=record["entry_point"],
            tests=tuple(Test(tuple(t["input"]), t["expected"]) for t in record["tests"]),
            json_outputs=True,
            **options,
        )
    except ValueError as exc:
        raise JobFileError(f"{where}: {exc}") from None


def read_jobs(path: str) -> Iterator[Job]:
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise JobFileError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
                yield parse_job(record, f"{path}:{number}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m execrl.sandbox", description=__doc__.split("\n\n")[0])
    parser.add_argument("jobs", help="JSONL file, one job per line")
    parser.add_argument("--workers", type=int, default=1, help="programs judged at once (default 1)")
    args = parser.parse_args(argv)
    try:
        jobs = list(read_jobs(args.jobs))  # validate every line before judging any
    except (OSError, JobFileError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    with Sandbox(workers=args.workers) as sandbox:
        for job, verdict in zip(jobs, sandbox.imap(jobs), strict=True):
            sys.stdout.write(verdict_line(job, verdict))
            sys.stdout.flush()
    return 0


def verdict_line(job: Job, verdict: Verdict) -> str:
    """One JSON line per job, whatever the verdict holds: a value JSON cannot carry (a verdict's
    numbers are validated, so none should) becomes the job's sandbox_error, not the end of the run."""
    try:
        return json.dumps(verdict.to_dict(), allow_nan=False) + "\n"
    except (TypeError, ValueError) as exc:
        return json.dumps(sandbox_error(job, f"unwritable verdict: {exc}").to_dict()) + "\n"


if __name__ == "__main__":
    sys.exit(main())
