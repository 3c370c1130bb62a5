"""Jobs in, verdicts out: the records of the sandbox's public interface."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from execrl.sandbox.properties import PROPERTY_CHECKS

STATUSES = (
    "passed",  # every test reported a value that matches
    "failed",  # the program loaded, and some test is wrong, raised, or did not report
    "syntax_error",  # the program does not parse
    "runtime_error",  # the module raised while loading, or the entry point is missing or not callable
    "timeout",  # wall-clock or CPU limit reached
    "memory_exceeded",  # MemoryError under the address-space limit
    "output_limit",  # the program sent more than the output cap
    "killed",  # the program died from a signal the sandbox did not send (segfault, file size, ...)
    "sandbox_error",  # the sandbox itself failed; the verdict says nothing about the program
)

TEST_STATUSES = ("passed", "wrong", "error", "unserialisable", "missing")
WALL_PER_CPU = 4  # a test's wall-clock backstop, in multiples of its (CPU-time) limit


@dataclass(frozen=True)
class Test:
    """One call of the entry point. ``input`` holds the positional arguments.

    ``expected`` is compared with the output under the strict comparator; when ``check`` names a
    trusted property check (see ``execrl.sandbox.properties``), the check decides instead.
    ``timeout_s`` bounds this call alone, measured from the previous test's report: its CPU time
    (so a loaded machine does not change the verdict), and its wall-clock time at WALL_PER_CPU
    times that (a program that sleeps or blocks).
    """

    __test__ = False  # not a pytest test class

    input: tuple[Any, ...] | list[Any]
    expected: Any = None
    check: str | None = None
    timeout_s: float | None = None


@dataclass(frozen=True)
class Job:
    """A program to judge. Only ``program``, ``entry_point`` and the test inputs reach the sandbox."""

    id: str
    program: str
    entry_point: str
    tests: tuple[Test, ...]
    timeout_s: float = 10.0  # wall clock for the whole job
    memory_mb: int = 1024  # address space of the untrusted process
    atol: float = 0.0  # absolute float tolerance (EvalPlus's per-task atol)
    int_float_equal: bool = False  # let 1 match 1.0 (never True match 1)
    json_outputs: bool = False  # compare outputs after a JSON round trip (tuples become lists)
    cpu_s: float | None = None  # CPU-time limit; defaults to the wall-clock limit
    max_output_bytes: int = 16 << 20  # cap on everything the program reports
    # Stop the program at its first failing test (the rest count as missing). For when only pass or
    # fail matters, as when a mutant meets hundreds of inputs; ``tests_passed`` is then a lower bound.
    stop_at_first_failure: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "tests", tuple(self.tests))
        problems = []
        if not isinstance(self.program, str):
            problems.append("program must be a string")
        if not isinstance(self.entry_point, str) or not self.entry_point.isidentifier():
            problems.append(f"entry_point must be a Python identifier, got {self.entry_point!r}")
        if not self.timeout_s > 0 or (self.cpu_s is not None and not self.cpu_s > 0):
            problems.append("timeout_s and cpu_s must be positive")
        if self.memory_mb < 64:
            problems.append(f"memory_mb must be at least 64, got {self.memory_mb}")
        for i, test in enumerate(self.tests):
            if not isinstance(test, Test) or not isinstance(test.input, (list, tuple)):
                problems.append(f"test {i} must be a Test whose input is a list of arguments")
            elif test.check is not None and test.check not in PROPERTY_CHECKS:
                problems.append(f"test {i}: unknown property check {test.check!r}; known: {sorted(PROPERTY_CHECKS)}")
        if problems:
            raise ValueError(f"invalid job {self.id!r}: " + "; ".join(problems))


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    status: str  # one of TEST_STATUSES
    error_type: str | None = None
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "passed"


@dataclass(frozen=True)
class Verdict:
    """The sandbox's decision on one job, with the staged signals the analyses use."""

    id: str
    status: str
    tests_passed: int
    tests_run: int  # tests that reported (a value or an exception)
    tests_total: int
    parsed: bool  # the program text compiled
    loaded: bool  # the module executed and the entry point is callable
    first_error: str | None  # type of the first error (exception type, or a sandbox reason)
    wall_s: float
    cpu_s: float  # from the worker's wait4; for a job that reported to the end, its own getrusage
    outcomes: tuple[TestOutcome, ...] = field(default_factory=tuple)

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def pass_fraction(self) -> float:
        return self.tests_passed / self.tests_total if self.tests_total else 0.0

    def part(self, id: str, start: int, stop: int) -> Verdict:
        """The verdict on tests ``start:stop`` of this job alone, as ``decide`` gives it for a job of
        those tests: for judging several test sets (a task's tiers) in one run of the program. What
        stopped the program (time, output, a signal) is the verdict of each set it left unreported;
        a set it finished keeps its own outcome. Times are the whole job's."""
        outcomes = self.outcomes[start:stop]
        failing = [o for o in outcomes if not o.passed]
        cut_short = any(o.status == "missing" for o in outcomes)
        if not self.loaded:  # no test ran: the whole job's status (a parse or load error, a sandbox error)
            status, first_error = self.status, self.first_error
        elif outcomes and not failing:
            status, first_error = "passed", None
        else:
            status = _part_status(self.status if cut_short else "failed", outcomes)
            first_error = failing[0].error_type if failing else None
            if status in ("timeout", "output_limit", "killed") and first_error == "MissingResult":
                first_error = self.first_error
        return Verdict(
            id=id,
            status=status,
            tests_passed=len(outcomes) - len(failing),
            tests_run=sum(o.status != "missing" for o in outcomes),
            tests_total=len(outcomes),
            parsed=self.parsed,
            loaded=self.loaded,
            first_error=first_error,
            wall_s=self.wall_s,
            cpu_s=self.cpu_s,
            outcomes=outcomes,
        )

    def to_dict(self) -> dict[str, Any]:
        record = asdict(self)
        record["outcomes"] = [asdict(o) for o in self.outcomes]
        return record


def _part_status(stopped_by: str, outcomes: tuple[TestOutcome, ...]) -> str:
    """The status of a failing part, in ``decide``'s order: a time or output limit that cut it
    short, a MemoryError, a signal that cut it short, else a plain failure."""
    if stopped_by in ("timeout", "output_limit"):
        return stopped_by
    if any(o.error_type == "MemoryError" for o in outcomes):
        return "memory_exceeded"
    return "killed" if stopped_by == "killed" else "failed"
