"""Running candidate programs.

For now a plain runner: one fresh interpreter per check program, verdict from its exit status.
It is honest for trusted candidates (canonical solutions, deliberately wrong stubs) but an
untrusted program can forge its exit status; the tamper-proof sandbox replaces it.
"""

from execrl.sandbox.check_program import CheckResult, run_check_program, run_check_programs

__all__ = ["CheckResult", "run_check_program", "run_check_programs"]
