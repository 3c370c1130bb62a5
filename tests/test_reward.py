import json

import huggingface_hub
import pytest
import torch
from datasets import Dataset
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, pre_tokenizers
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
from trl import GRPOConfig, GRPOTrainer

from execrl.sandbox.reward import SandboxReward, encode_tests, extract_code, read_tests
from execrl.sandbox.records import Test

TESTS = [{"input": [1, 2], "expected": 3}, {"input": [2, 2], "expected": 4}]
# One column of expected values mixing int and float: Arrow would store 3 as 3.0.
MIXED = [{"input": [3, 1], "expected": 3}, {"input": [1.5, 2], "expected": 3.0}]
SCALE = "def scale(x, k):\n    return x * k\n"  # 3 for the first test, 3.0 for the second
SCALE_AS_FLOAT = "def scale(x, k):\n    return float(x * k)\n"  # right only if 3 had become 3.0
ADD = "def add(a, b):\n    return a + b\n"
ADD_WRONG = "def add(a, b):\n    return 3\n"


def test_extract_code_takes_the_last_fenced_block():
    text = "Plan:\n```python\nx = 1\n```\nFinal:\n```python\ndef f():\n    return 2\n```\nDone."
    assert extract_code(text) == "def f():\n    return 2\n"
    assert extract_code("def f():\n    return 1\n") == "def f():\n    return 1\n"
    assert extract_code([{"role": "assistant", "content": "```\nprint(1)\n```"}]) == "print(1)\n"


FENCES = [("```py3", "```"), ("~~~python", "~~~"), ("```python title=x", "```"), ("```", "```"), ("````", "````")]


@pytest.mark.parametrize(("opening", "closing"), FENCES)
def test_a_later_final_block_wins_over_an_earlier_draft_whatever_its_fence(opening, closing):
    text = f"Draft:\n```python\n{ADD}```\nOn second thought:\n{opening}\n{ADD_WRONG}{closing}\nDone."
    assert extract_code(text) == ADD_WRONG


def test_a_closing_fence_is_the_same_character_at_least_as_long_and_nothing_after_it():
    assert extract_code("````\n```\nx = 1\n```` \n") == "```\nx = 1\n"
    assert extract_code("~~~\nx = 1\n```\n~~~~\n") == "x = 1\n```\n"
    assert extract_code("```\nx = 1\n``` not a close\n```\n") == "x = 1\n``` not a close\n"


def test_fences_may_be_indented_up_to_three_spaces_and_the_block_loses_that_indentation():
    assert extract_code("1. Code:\n   ```python\n   def f():\n       return 1\n   ```\n") == "def f():\n    return 1\n"
    four_spaces = "    ```\n    x = 1\n    ```\n"  # an indented code block, not a fence
    assert extract_code(four_spaces) == four_spaces


def test_inline_backticks_are_not_a_fence_and_an_unclosed_fence_runs_to_the_end():
    inline = "```f(x)``` is a code span: a backtick in a backtick fence's info string.\nf(1)\n"
    assert extract_code(inline) == inline
    assert extract_code(f"```python\n{ADD}```\nAnd then:\n~~~\n{ADD_WRONG}") == ADD_WRONG


@pytest.fixture(scope="module")
def rewards():
    outcome, partial = SandboxReward(workers=1), SandboxReward(workers=1, kind="partial")
    yield outcome, partial
    outcome.close()
    partial.close()


def test_trl_signature_with_outcome_and_partial_rewards(rewards):
    outcome, partial = rewards
    completions = [
        f"```python\n{ADD}```",
        [{"role": "assistant", "content": f"```python\n{ADD_WRONG}```"}],
        "I cannot do this.",
    ]
    columns = {"tests": [TESTS] * 3, "entry_point": ["add"] * 3}
    assert outcome(["p"] * 3, completions, **columns) == [1.0, 0.0, 0.0]
    assert partial(["p"] * 3, completions, **columns) == [1.0, 0.5, 0.0]
    assert outcome.__name__ == "execrl_outcome"


def test_the_final_block_is_judged_not_an_earlier_correct_draft(rewards):
    completions = [f"```python\n{ADD}```\nFinal:\n{opening}\n{ADD_WRONG}{closing}\n" for opening, closing in FENCES]
    completions.append(f"```py3\n{ADD_WRONG}```\nFinal:\n~~~python\n{ADD}~~~\n")
    n = len(completions)
    assert rewards[0](["p"] * n, completions, tests=[TESTS] * n, entry_point=["add"] * n) == [0.0] * (n - 1) + [1.0]


def test_missing_dataset_column_is_named(rewards):
    with pytest.raises(KeyError, match="the dataset has no column 'tests'"):
        rewards[0](["p"], ["x"], entry_point=["add"])


def test_unknown_kind_is_rejected():
    with pytest.raises(ValueError, match="kind must be one of"):
        SandboxReward(kind="dense")


# --- the tests column through Hugging Face datasets ------------------------------------------------


def test_arrow_promotes_a_structured_column_but_keeps_encoded_tests_exactly():
    structured = Dataset.from_list([{"tests": MIXED}])["tests"][0]
    assert [type(t["expected"]) for t in structured] == [float, float]  # why encode_tests exists

    tests = MIXED + [
        {"input": [[1, 2], (3, True)], "expected": (1, 2.0)},
        {"input": [{"k": {1, 2}}], "expected": frozenset({b"x", None})},
    ]
    [encoded] = Dataset.from_list([{"tests": encode_tests(tests)}])["tests"]
    decoded, exact = read_tests(encoded)
    assert exact
    assert decoded == tuple(Test(tuple(t["input"]), t["expected"]) for t in tests)
    assert [type(t.expected) for t in decoded] == [int, float, tuple, frozenset]
    assert [type(a) for a in decoded[2].input[1]] == [int, bool]


def test_encoded_tests_from_a_dataset_reward_the_right_program(rewards):
    dataset = Dataset.from_list([{"entry_point": "scale", "tests": encode_tests(MIXED)}] * 2)
    completions = [f"```python\n{SCALE}```", f"```python\n{SCALE_AS_FLOAT}```"]
    assert rewards[0](["p"] * 2, completions, **dataset.to_dict()) == [1.0, 0.0]
    assert rewards[1](["p"] * 2, completions, **dataset.to_dict()) == [1.0, 0.5]


def test_encoded_tests_compare_tuples_exactly_and_plain_lists_after_a_json_round_trip(rewards):
    pair = "def pair(a):\n    return (a, a)\n"
    as_tuple, as_list = [{"input": [1], "expected": (1, 1)}], [{"input": [1], "expected": [1, 1]}]
    tests = [encode_tests(as_tuple), encode_tests(as_list), as_list]
    assert rewards[0](["p"] * 3, [pair] * 3, tests=tests, entry_point=["pair"] * 3) == [1.0, 0.0, 1.0]


BAD_TESTS = [
    (json.dumps(TESTS), "is a string that encode_tests did not write"),
    ("", "is a string that encode_tests did not write"),
    (encode_tests(TESTS)[:-1], "is a string that encode_tests did not write"),
    ('["D",[]]', r"is a string that encode_tests did not write \(is a dict, not a list of"),  # encodes {}
    ({"input": [1, 2], "expected": 3}, "is a dict, not a list of"),
    (None, "is a NoneType, not a list of"),
    ([{"input": [1, 2]}], "has test 0 = .*, which is not a"),
    ([TESTS[0], {"input": 1, "expected": 3}], "has test 1 = .*, which is not a"),
    ([[1, 2]], "has test 0 = .*, which is not a"),
]


@pytest.mark.parametrize(("value", "problem"), BAD_TESTS)
def test_a_tests_value_that_cannot_be_trusted_is_an_error_naming_column_row_and_fix(value, problem):
    columns = {"cases": [TESTS, value], "entry_point": ["add", "add"]}
    reward = SandboxReward(tests_column="cases")  # never starts a sandbox: the error comes first
    where = r"the 'cases' value of row 1 of this batch \(entry point 'add'\)"
    with pytest.raises(ValueError, match=f"{where} {problem}") as error:
        reward(["p"] * 2, [ADD] * 2, **columns)
    assert "execrl.sandbox.reward.encode_tests(tests)" in str(error.value)


def test_encode_tests_refuses_what_it_could_not_give_back():
    with pytest.raises(ValueError, match="has test 0 = .*, which is not a"):
        encode_tests([{"input": 1, "expected": 1}])
    with pytest.raises(TypeError, match="only plain data"):
        encode_tests([{"input": [object()], "expected": 1}])


# --- a real TRL GRPOTrainer ------------------------------------------------------------------------

# The tiny model's vocabulary: special tokens, and two whole answers as single tokens, so that even a
# random model writes completions made of fenced programs, right and wrong ones.
RIGHT_BLOCK, WRONG_BLOCK = f"```python\n{SCALE}```\n", f"```python\n{SCALE_AS_FLOAT}```\n"
CHAT_TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    backend = Tokenizer(models.WordLevel({"<pad>": 0, "<eos>": 1, "<unk>": 2}, unk_token="<unk>"))
    # Each character of a prompt is a token, <unk>: the random model need not read the prompt.
    backend.pre_tokenizer = pre_tokenizers.Split(Regex("[\\s\\S]"), behavior="isolated")
    backend.decoder = decoders.Fuse()
    backend.add_tokens([AddedToken(RIGHT_BLOCK, normalized=False), AddedToken(WRONG_BLOCK, normalized=False)])
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=backend, pad_token="<pad>", eos_token="<eos>", unk_token="<unk>"
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_model(vocab_size: int) -> LlamaForCausalLM:
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=128,
        pad_token_id=0,
        bos_token_id=1,
        eos_token_id=1,
    )
    return LlamaForCausalLM(config)


def reward_of_final_block(text: str) -> float:
    """The oracle: 1.0 iff the right answer is the completion's last block (not extract_code's rule)."""
    return 1.0 if text.rfind(RIGHT_BLOCK) > text.rfind(WRONG_BLOCK) else 0.0


@pytest.mark.parametrize("conversational", [False, True], ids=["plain", "conversational"])
def test_a_real_grpo_trainer_runs_with_the_sandbox_reward(rewards, monkeypatch, tmp_path, conversational):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # read once, at import
    prompt = "Write scale(x, k)."
    if conversational:
        prompt = [{"role": "user", "content": prompt}]
    rows = [{"prompt": prompt, "entry_point": "scale", "tests": encode_tests(MIXED)}] * 2
    dataset = Dataset.from_list(rows)
    reward, calls = rewards[0], []

    def recorded(prompts, completions, **columns):
        calls.append((prompts, completions, columns, result := reward(prompts, completions, **columns)))
        return result

    recorded.__name__ = reward.__name__
    tokenizer = tiny_tokenizer()
    args = GRPOConfig(
        output_dir=str(tmp_path),
        max_steps=2,
        per_device_train_batch_size=4,
        num_generations=2,
        max_completion_length=6,
        logging_steps=1,
        report_to="none",
        save_strategy="no",
        use_cpu=True,
        disable_tqdm=True,
    )
    trainer = GRPOTrainer(
        model=tiny_model(len(tokenizer)),
        processing_class=tokenizer,
        reward_funcs=[recorded],
        train_dataset=dataset,
        args=args,
    )
    trainer.train()

    assert trainer.state.global_step == 2
    assert len(calls) == 2
    judged = []
    for prompts, completions, columns, result in calls:
        assert prompts == [prompt] * 4
        assert columns["tests"] == [encode_tests(MIXED)] * 4 and columns["entry_point"] == ["scale"] * 4
        texts = [c[-1]["content"] if conversational else c for c in completions]
        assert result == [reward_of_final_block(t) for t in texts]
        judged += result
    assert set(judged) == {0.0, 1.0}  # the trainer met right and wrong answers, and rewarded them so

    # and directly, on known completions, with the columns as the dataset hands them back
    known = [f"Draft:\n{WRONG_BLOCK}Final:\n{RIGHT_BLOCK}", f"Draft:\n{RIGHT_BLOCK}Final:\n{WRONG_BLOCK}"]
    if conversational:
        known = [[{"role": "assistant", "content": k}] for k in known]
    assert reward([prompt] * 2, known, **dataset.remove_columns("prompt").to_dict()) == [1.0, 0.0]
