"""The prompt-example parser, on every form of example that HumanEval and MBPP+ prompts use."""

import pytest

from execrl.tasks.examples import parameter_names, parse_call, parse_examples, parse_literal, parse_stated


def prompt(body: str, signature: str = "def f(a, b):") -> str:
    return f'{signature}\n    """Do a thing.\n{body}\n    """\n'


def found(text: str, signature: str = "def f(a, b):", entry: str = "f"):
    return [(e.args, e.stated, e.form) for e in parse_examples(prompt(text, signature), entry)]


def test_doctest_with_multi_line_output():
    assert found("    >>> f(1, 2)\n    [1,\n     2]\n    >>> f('x', None)\n    'x'") == [
        ((1, 2), [1, 2], "doctest"), (("x", None), "x", "doctest")]


@pytest.mark.parametrize("separator", ["==", "==>", "=>", "->", "➞", "=", "should return", "returns", "# =>", "is"])
def test_inline_separators(separator):
    assert found(f"    f(1, [2, 3]) {separator} 6") == [((1, [2, 3]), 6, "inline")]


def test_assert_form_and_literal_names():
    assert found("    assert f(1, 2) == true\n    f(0, 0) ➞ null") == [((1, 2), True, "inline"), ((0, 0), None, "inline")]


def test_a_chain_reads_its_last_value():
    assert found("    f(1, 9) == 1 + 9 = 10") == [((1, 9), 10, "inline")]


def test_assignment_form_maps_names_to_positions():
    assert found("    For b = 2, a = [1] the output should be 3") == [(([1], 2), 3, "assignment")]


def test_input_output_blocks():
    text = "    Example 1:\n        Input: a = [1, 2], b = 1\n        Output: [2]\n"
    assert found(text) == [(([1, 2], 1), [2], "input_output")]
    assert found("    Input: [3, 1]\n    Output: 1", signature="def f(arr):") == [(([3, 1],), 1, "input_output")]


def test_definitions_above_the_examples_heading_are_not_examples():
    text = "    f(1, 1) = 3 by definition.\n    Examples:\n    f(2, 2) = 8"
    assert found(text) == [((2, 2), 8, "inline")]


def test_calls_with_non_literal_arguments_or_outputs_are_skipped():
    assert found("    f(x, 2) == 3\n    f(1, 2) == some_name\n    g(1, 2) == 3") == []


def test_duplicates_are_dropped_and_doctests_take_precedence():
    assert found("    >>> f(1, 2)\n    3\n    >>> f(1, 2)\n    3\n    f(5, 5) == 10") == [((1, 2), 3, "doctest")]


def test_helpers():
    assert parameter_names("def f(a: int, b=2, *args):\n", "f") == ["a", "b"]
    assert parse_call("f(1, 'a', (2,))", "f") == (1, "a", (2,)) and parse_call("f(a=1)", "f") is None
    assert parse_literal("[1, 2]. And more") == (True, [1, 2]) and parse_literal("nothing") == (False, None)
    assert parse_stated("2 = 4") == (True, 4)


def test_real_prompts(humaneval):
    by_id = {p.task_id: p for p in humaneval}
    forms = {e.form for p in humaneval for e in parse_examples(p.prompt, p.entry_point)}
    assert forms == {"doctest", "inline", "assignment", "input_output"}
    with_examples = sum(bool(parse_examples(p.prompt, p.entry_point)) for p in humaneval)
    assert with_examples >= 145  # DESIGN.md: 148 prompts state examples; 16 have none
    assert parse_examples(by_id["HumanEval/38"].prompt, "decode_cyclic") == []
