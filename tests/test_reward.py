import pytest

from execrl.sandbox.reward import SandboxReward, extract_code

TESTS = [{"input": [1, 2], "expected": 3}, {"input": [2, 2], "expected": 4}]


def test_extract_code_takes_the_last_fenced_block():
    text = "Plan:\n```python\nx = 1\n```\nFinal:\n```python\ndef f():\n    return 2\n```\nDone."
    assert extract_code(text) == "def f():\n    return 2\n"
    assert extract_code("def f():\n    return 1\n") == "def f():\n    return 1\n"
    assert extract_code([{"role": "assistant", "content": "```\nprint(1)\n```"}]) == "print(1)\n"


@pytest.fixture(scope="module")
def rewards():
    outcome, partial = SandboxReward(workers=1), SandboxReward(workers=1, kind="partial")
    yield outcome, partial
    outcome.close()
    partial.close()


def test_trl_signature_with_outcome_and_partial_rewards(rewards):
    outcome, partial = rewards
    completions = [
        "```python\ndef add(a, b):\n    return a + b\n```",
        [{"role": "assistant", "content": "```python\ndef add(a, b):\n    return 3\n```"}],
        "I cannot do this.",
    ]
    columns = {"tests": [TESTS] * 3, "entry_point": ["add"] * 3}
    assert outcome(["p"] * 3, completions, **columns) == [1.0, 0.0, 0.0]
    assert partial(["p"] * 3, completions, **columns) == [1.0, 0.5, 0.0]
    assert outcome.__name__ == "execrl_outcome"


def test_missing_dataset_column_is_named(rewards):
    with pytest.raises(KeyError, match="the dataset has no column 'tests'"):
        rewards[0](["p"], ["x"], entry_point=["add"])


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="kind must be one of"):
        SandboxReward(kind="dense")
