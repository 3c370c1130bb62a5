"""Test tiers: base recording, visible examples checked against the canonical solution, plus and
MBPP+ tiers from EvalPlus problems, the task file, and the reference runner's limits."""

import dataclasses

import pytest

from execrl.sandbox import Sandbox
from execrl.tasks import TaskDataError
from execrl.tasks.evalplus import EvalPlusProblem
from execrl.tasks.humaneval import HumanEvalProblem
from execrl.tasks.oracle import MAX_EXPECTED_BYTES, record_base_tier, run_reference
from execrl.tasks.tiers import (
    BenchmarkTask,
    TierTest,
    build_humaneval_tasks,
    build_mbpp_tasks,
    per_test_timeout,
    read_tasks,
    summarize_tasks,
    visible_tier,
    write_tasks,
)


@pytest.fixture(scope="module")
def by_id(humaneval):
    return {p.task_id: p for p in humaneval}


def evalplus_problem(**fields) -> EvalPlusProblem:
    defaults = dict(
        task_id="Mbpp/9001",
        prompt='"""\nWrite a function that doubles a number.\nassert double(2) == 4\n"""\n',
        entry_point="double",
        canonical_solution="\ndef double(x):\n    return 2 * x\n",
        base_input=((1,), (5,)),
        plus_input=((0,), (-3,), (10**6,)),
        atol=0.0,
        contract="",
    )
    return EvalPlusProblem(**{**defaults, **fields})


def test_base_tier_is_what_check_calls(by_id):
    calls = record_base_tier(by_id["HumanEval/0"])  # check() makes 7 calls, the first with a 0.3 threshold
    assert len(calls) == 7
    assert calls[0].input == ([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) and calls[0].expected is True


def test_random_inputs_are_the_same_every_run(by_id):
    # HumanEval/53's check() draws 100 inputs from the unseeded global random generator
    first, second = record_base_tier(by_id["HumanEval/53"]), record_base_tier(by_id["HumanEval/53"])
    assert len(first) == 105 and [(c.input, c.expected) for c in first] == [(c.input, c.expected) for c in second]


def test_task_file_round_trip_keeps_exact_types(tmp_path, by_id):
    tiers = {"visible": (), "base": (TierTest(((1, 2), {3}, b"x"), (True, 1.0), 2.0),)}
    task = BenchmarkTask(by_id["HumanEval/0"], tiers, notes={"visible": "why"})
    path, limits = tmp_path / "tasks.jsonl", tmp_path / "limits.json"
    write_tasks(path, limits, [task])
    (back,) = read_tasks(path, limits)
    assert back == task and "timeout_s" not in path.read_text() and back.base[0].timeout_s == 2.0
    assert type(back.base[0].input[0]) is tuple and type(back.base[0].expected[0]) is bool


def test_a_limits_file_of_other_tasks_is_refused(tmp_path, by_id):
    one, other = (BenchmarkTask(by_id[i], {"base": (TierTest((1,), 2),)}) for i in ("HumanEval/0", "HumanEval/1"))
    write_tasks(tmp_path / "a.jsonl", tmp_path / "a.json", [one])
    write_tasks(tmp_path / "b.jsonl", tmp_path / "b.json", [other])
    with pytest.raises(TaskDataError, match="does not list the tasks of"):
        read_tasks(tmp_path / "a.jsonl", tmp_path / "b.json")


def test_a_canonical_solution_that_fails_check_is_an_error(by_id):
    broken = dataclasses.replace(by_id["HumanEval/0"], canonical_solution="    return False\n")
    with pytest.raises(TaskDataError, match="HumanEval/0: check\\(\\) failed on the canonical solution"):
        record_base_tier(broken)


def test_per_test_limit_scales_with_the_canonical_time():
    assert per_test_timeout(0.001) == 1.0
    assert per_test_timeout(0.25) == 1.0
    assert per_test_timeout(0.3) == 2.0  # 4 x 0.3 s = 1.2 s, rounded up to a power of two
    assert per_test_timeout(0.6) == 4.0  # 2.4 s -> 4 s
    assert per_test_timeout(2.0) == 8.0


def test_find_zero_is_judged_by_its_property(by_id):
    (task,) = build_humaneval_tasks([by_id["HumanEval/32"]], None, workers=1)
    job = task.judging_job("t", task.problem.canonical_solution)
    assert {t.check for t in job.tests} == {"polynomial_root"} and job.atol == 1e-4


def test_visible_tier_holds_the_prompt_examples_with_canonical_outputs(by_id):
    problem = by_id["HumanEval/0"]  # two doctests: threshold 0.5 -> False, 0.3 -> True
    tests, note = visible_tier(problem.program(problem.canonical_solution), problem)
    assert note is None
    assert [(t.input, t.expected) for t in tests] == [
        (([1.0, 2.0, 3.0], 0.5), False),
        (([1.0, 2.8, 3.0, 4.0, 5.0, 2.0], 0.3), True),
    ]


@pytest.mark.parametrize("task_id", ["HumanEval/47", "HumanEval/116"])
def test_examples_that_contradict_the_canonical_solution_empty_the_tier(by_id, task_id):
    problem = by_id[task_id]
    tests, note = visible_tier(problem.program(problem.canonical_solution), problem)
    assert tests == () and "contradicts the canonical solution" in note


def test_a_one_tuple_written_in_prose_is_not_a_contradiction(by_id):
    problem = by_id["HumanEval/148"]  # bf("Earth", "Mercury") ==> ("Venus"); the function returns ('Venus',)
    tests, note = visible_tier(problem.program(problem.canonical_solution), problem)
    assert note is None and (("Earth", "Mercury"), ("Venus",)) in [(t.input, t.expected) for t in tests]


def test_a_problem_without_examples_says_so(by_id):
    problem = by_id["HumanEval/38"]  # decode_cyclic: no example
    tests, note = visible_tier(problem.program(problem.canonical_solution), problem)
    assert tests == () and note == "no example in the prompt that the parser reads"


def test_plus_tier_uses_evalplus_inputs_and_reference(by_id):
    problem = by_id["HumanEval/53"]  # add(x, y)
    plus = evalplus_problem(
        task_id="HumanEval/53", prompt=problem.prompt, entry_point="add",
        canonical_solution="    return x + y\n", base_input=((1, 2),), plus_input=((-5, 5), (10**20, 1)),
    )
    (task,) = build_humaneval_tasks([problem], [plus], workers=1)
    assert [(t.input, t.expected) for t in task.tiers["plus"]] == [((1, 2), 3), ((-5, 5), 0), ((10**20, 1), 10**20 + 1)]
    assert task.plus_canonical == "    return x + y\n" and "plus" not in task.notes


def test_without_humaneval_plus_the_plus_tier_is_absent_and_noted(by_id):
    (task,) = build_humaneval_tasks([by_id["HumanEval/53"]], None, workers=1)
    assert not task.has_tier("plus") and task.notes["plus"] == "HumanEval+ file not given"
    with pytest.raises(ValueError, match="HumanEval/53 has no 'plus' tests"):
        task.judging_job("x", "    return 0\n", tier="plus")


def test_humaneval_plus_must_cover_the_same_tasks(by_id):
    with pytest.raises(TaskDataError, match="does not cover the same task ids"):
        build_humaneval_tasks([by_id["HumanEval/53"]], [evalplus_problem(task_id="HumanEval/1")], workers=1)


def test_mbpp_tiers_from_the_prompt_assert_the_base_and_the_plus_inputs():
    (task,) = build_mbpp_tasks([evalplus_problem()], workers=1)
    assert task.source == "mbpp+"
    assert [(t.input, t.expected) for t in task.tiers["visible"]] == [((2,), 4)]
    assert [(t.input, t.expected) for t in task.tiers["base"]] == [((1,), 2), ((5,), 10)]
    assert [t.expected for t in task.tiers["plus"]] == [2, 10, 0, -6, 2 * 10**6]  # base inputs, then plus inputs
    assert task.notes == {}


def test_mbpp_tasks_with_complex_arguments_are_excluded_with_the_reason():
    (task,) = build_mbpp_tasks([evalplus_problem(task_id="Mbpp/124")], workers=1)
    assert not any(task.has_tier(t) for t in ("visible", "base", "plus"))
    assert "complex-number arguments" in task.notes["base"]


def test_inputs_the_reference_rejects_are_left_out_and_counted():
    reference = "\ndef double(x):\n    if x < 0:\n        raise ValueError('negative')\n    return 2 * x\n"
    (task,) = build_mbpp_tasks([evalplus_problem(canonical_solution=reference)], workers=1)
    assert [t.input for t in task.tiers["plus"]] == [(1,), (5,), (0,), (10**6,)]
    assert task.notes["plus"].startswith("1 of 5 inputs left out: the reference raised ValueError")


def test_oversized_outputs_are_left_out_of_a_tier():
    program = "def grow(n):\n    return 'x' * n\n"
    calls = run_reference(program, "grow", [(10,), (MAX_EXPECTED_BYTES * 2,)], "T/1")
    assert calls[0].expected == "x" * 10 and calls[0].error is None
    assert calls[1].error == f"Oversized: the output has length {MAX_EXPECTED_BYTES * 2}" and calls[1].expected is None
    # short, but not small: known only by encoding it
    calls = run_reference("def grow(n):\n    return ['x' * n]\n", "grow", [(MAX_EXPECTED_BYTES,)], "T/1")
    assert calls[0].error.startswith("Oversized: the output takes ") and calls[0].expected is None
    assert int(calls[0].error.split()[-2]) > MAX_EXPECTED_BYTES
    calls = run_reference("def grow(n):\n    return 7 ** n\n", "grow", [(3,), (MAX_EXPECTED_BYTES * 2,)], "T/1")
    assert calls[0].expected == 343 and calls[1].error.startswith("Oversized: the output is an integer of ")


def test_a_reference_that_runs_out_of_memory_loses_only_that_input():
    program = "def grow(n):\n    return [0] * n\n"
    calls = run_reference(program, "grow", [(3,), (10**11,)], "T/2")
    assert calls[0].expected == [0, 0, 0] and calls[1].error.startswith("MemoryError")


def test_a_reference_returning_what_cannot_cross_the_sandbox_empties_the_task():
    reference = "\nimport re\ndef double(x):\n    return re.match('a', 'a') if x > 1 else None\n"
    (task,) = build_mbpp_tasks([evalplus_problem(canonical_solution=reference)], workers=1)
    assert not any(task.has_tier(t) for t in ("visible", "base", "plus"))
    assert task.notes["visible"].startswith("the reference returns values that cannot cross") and "Match" in task.notes["plus"]


def test_set_like_mbpp_answers_are_judged_as_sets():
    problem = evalplus_problem(
        task_id="Mbpp/2", prompt='"""\nassert set(similar_elements((3, 4), (4, 3))) == set((3, 4))\n"""\n',
        entry_point="similar_elements", canonical_solution="\ndef similar_elements(a, b):\n    return tuple(set(a) & set(b))\n",
        base_input=(((3, 4, 5), (5, 4)),), plus_input=(),
    )
    (task,) = build_mbpp_tasks([problem], workers=1)
    reordered = "\ndef similar_elements(a, b):\n    return tuple(sorted(set(a) & set(b), reverse=True))\n"
    wrong = "\ndef similar_elements(a, b):\n    return (4,)\n"
    with Sandbox(workers=1) as sandbox:
        verdicts = [sandbox.run(task.program_job(name, task.problem.prompt + code, "base"))
                    for name, code in (("reordered", reordered), ("wrong", wrong))]
    assert [v.passed for v in verdicts] == [True, False]


def test_summary_counts_tiers_and_lists_every_note(by_id):
    tasks = build_humaneval_tasks([by_id["HumanEval/0"], by_id["HumanEval/38"]], None, workers=2)
    summary = summarize_tasks(tasks, {"humaneval": "here"})
    assert summary["tiers"]["visible"] == {"tasks_with_tests": 1, "tests": 2}
    assert summary["tiers"]["plus"] == {"tasks_with_tests": 0, "tests": 0}
    assert {"task_id": "HumanEval/38", "tier": "visible", "note": "no example in the prompt that the parser reads"} in summary["notes"]


def test_same_problems_give_identical_task_files(tmp_path, by_id):
    chosen = [by_id["HumanEval/0"], by_id["HumanEval/53"], by_id["HumanEval/148"]]
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_tasks(first, tmp_path / "a.json", build_humaneval_tasks(chosen, None, workers=2))
    write_tasks(second, tmp_path / "b.json", build_humaneval_tasks(chosen, None, workers=1))
    assert first.read_bytes() == second.read_bytes()


def test_a_hand_made_problem_is_a_benchmark_task():
    problem = HumanEvalProblem("X/1", "def f(x):\n    \"\"\"\n    >>> f(2)\n    3\n    \"\"\"\n", "f", "    return x + 1\n",
                               "def check(candidate):\n    assert candidate(2) == 3\n    assert candidate(0) == 1\n")
    (task,) = build_humaneval_tasks([problem], None, workers=1)
    assert [(t.input, t.expected) for t in task.tiers["visible"]] == [((2,), 3)]
    assert [(t.input, t.expected) for t in task.tiers["base"]] == [((2,), 3), ((0,), 1)]
