"""Reward kinds from sandbox verdicts, on real verdicts of the sandbox."""

import pytest

from execrl.rl.rewards import REWARD_KINDS, REWARD_TIER, reward_of, signed
from execrl.sandbox import Job, Sandbox, Test

TESTS = (Test((1,), 2), Test((2,), 4), Test((3,), 6), Test((0,), 0))
PROGRAMS = {
    "right": "def f(x):\n    return 2 * x\n",
    "half": "def f(x):\n    return 2 * x if x < 2 else x\n",  # passes x=1 and x=0 only
    "crashes": "def f(x):\n    return x / 0\n",
    "no_entry": "def g(x):\n    return x\n",
    "unparsable": "def f(x) return x\n",
}


@pytest.fixture(scope="module")
def verdicts():
    with Sandbox(workers=2) as sandbox:
        return {name: sandbox.run(Job(name, program, "f", TESTS)) for name, program in PROGRAMS.items()}


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("outcome", {"right": 1.0, "half": 0.0, "crashes": 0.0, "no_entry": 0.0, "unparsable": 0.0}),
        ("partial", {"right": 1.0, "half": 0.5, "crashes": 0.0, "no_entry": 0.0, "unparsable": 0.0}),
        # 0.1 parse + 0.1 load + 0.8 x fraction passed
        ("process", {"right": 1.0, "half": 0.6, "crashes": 0.2, "no_entry": 0.1, "unparsable": 0.0}),
        ("strong", {"right": 1.0, "half": 0.0, "crashes": 0.0, "no_entry": 0.0, "unparsable": 0.0}),
    ],
)
def test_reward_kinds(verdicts, kind, expected):
    assert {name: pytest.approx(reward_of(kind, v)) for name, v in verdicts.items()} == expected


def test_only_visible_and_strong_tiers_feed_rewards():
    assert set(REWARD_TIER) == set(REWARD_KINDS) and set(REWARD_TIER.values()) == {"visible", "strong"}


def test_unknown_kind_and_signed_mapping(verdicts):
    with pytest.raises(ValueError, match="unknown reward kind 'hidden'"):
        reward_of("hidden", verdicts["right"])
    assert [signed(r) for r in (0.0, 0.5, 1.0)] == [-1.0, 0.0, 1.0]
