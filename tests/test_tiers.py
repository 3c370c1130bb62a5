import dataclasses

import pytest

from execrl.tasks import TaskDataError
from execrl.tasks.tiers import (
    HumanEvalTask,
    TierTest,
    build_tasks,
    per_test_timeout,
    read_tasks,
    record_base_tier,
    write_tasks,
)


@pytest.fixture(scope="module")
def by_id(humaneval):
    return {p.task_id: p for p in humaneval}


def test_base_tier_is_what_check_calls(by_id):
    tests = record_base_tier(by_id["HumanEval/0"])  # check() makes 7 calls, the first with a 0.3 threshold
    assert len(tests) == 7
    assert tests[0].input == ([1.0, 2.0, 3.9, 4.0, 5.0, 2.2], 0.3) and tests[0].expected is True
    assert all(t.timeout_s == 1.0 for t in tests)


def test_random_inputs_are_the_same_every_run(by_id):
    # HumanEval/53's check() draws 100 inputs from the unseeded global random generator
    first, second = record_base_tier(by_id["HumanEval/53"]), record_base_tier(by_id["HumanEval/53"])
    assert len(first) == 105 and first == second


def test_task_file_round_trip_keeps_exact_types(tmp_path, by_id):
    task = HumanEvalTask(by_id["HumanEval/0"], (TierTest(((1, 2), {3}, b"x"), (True, 1.0), 2.0),))
    path = tmp_path / "tasks.jsonl"
    write_tasks(path, [task])
    (back,) = read_tasks(path)
    assert back == task
    assert type(back.base[0].input[0]) is tuple and type(back.base[0].expected[0]) is bool


def test_a_canonical_solution_that_fails_check_is_an_error(by_id):
    broken = dataclasses.replace(by_id["HumanEval/0"], canonical_solution="    return False\n")
    with pytest.raises(TaskDataError, match="HumanEval/0: check\\(\\) failed on the canonical solution"):
        record_base_tier(broken)


def test_per_test_limit_scales_with_the_canonical_time():
    assert per_test_timeout(0.001) == 1.0
    assert per_test_timeout(0.3) == 2.0  # 4 x 0.3 s = 1.2 s, rounded up to whole seconds
    assert per_test_timeout(2.0) == 8.0


def test_find_zero_is_judged_by_its_property(by_id):
    (task,) = build_tasks([by_id["HumanEval/32"]], workers=1)
    job = task.judging_job("t", task.problem.canonical_solution)
    assert {t.check for t in job.tests} == {"polynomial_root"} and job.atol == 1e-4
