"""Reward kinds: how a sandbox verdict becomes the scalar the policy is trained on (DESIGN.md section 5).

- ``outcome``: 1 iff every visible test passes (DeepCoder's binary reward, on the tests a trainer sees);
- ``partial``: the fraction of visible tests passed (the K/N credit DeepCoder rejects as hackable);
- ``process``: staged credit, StepCoder-style: 0.1 for code that parses, 0.1 more for a module that
  loads, and 0.8 times the fraction of visible tests passed;
- ``strong``: 1 iff every test of the held-out strong tier passes: the control that removes the
  visible/hidden gap. The hidden tier never feeds any reward; it only evaluates.
"""

from __future__ import annotations

from execrl.sandbox import Verdict

REWARD_KINDS = ("outcome", "partial", "process", "strong")
REWARD_TIER = {"outcome": "visible", "partial": "visible", "process": "visible", "strong": "strong"}
PARSE_CREDIT = 0.1
LOAD_CREDIT = 0.1


def reward_of(kind: str, verdict: Verdict) -> float:
    """The reward in [0, 1] of ``verdict``, which must be the verdict on ``REWARD_TIER[kind]``."""
    if kind in ("outcome", "strong"):
        return 1.0 if verdict.passed else 0.0
    if kind == "partial":
        return verdict.pass_fraction
    if kind == "process":
        staged = PARSE_CREDIT * verdict.parsed + LOAD_CREDIT * verdict.loaded
        return staged + (1.0 - PARSE_CREDIT - LOAD_CREDIT) * verdict.pass_fraction
    raise ValueError(f"unknown reward kind {kind!r}; known: {REWARD_KINDS}")


def signed(reward: float) -> float:
    """DAPO's rewards live in [-1, 1]: the [0, 1] reward mapped linearly (0 -> -1, 1 -> +1)."""
    return 2.0 * reward - 1.0


def reward_range(method: str) -> tuple[float, float]:
    """The values a sample's trained-on reward can take: [0, 1], or for DAPO the signed reward plus
    its soft overlong penalty in [-1, 0] (``execrl.rl.losses.soft_overlong_penalty``)."""
    return (-2.0, 1.0) if method == "dapo" else (0.0, 1.0)
