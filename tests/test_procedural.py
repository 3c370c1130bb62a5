"""The procedural task suite: determinism, splits, tiers, variants, feedback, and the measured shortcut."""

import hashlib
import json
import os
import re
import subprocess
import sys

import pytest

from execrl.sandbox import Sandbox
from execrl.tasks.procedural import (
    KINDS,
    SPLITS,
    STEP_KINDS,
    TIERS,
    ProceduralTask,
    build_task,
    generate_suite,
    judge,
    make_step,
    next_turn_prompt,
    read_suite,
    shortcut_program,
    split_of,
    summarize_suite,
    write_suite,
)

PER_LEVEL = 10
EXAMPLE = [make_step("keep_gt", k=3), make_step("double"), make_step("max_or", d=0)]


@pytest.fixture(scope="module")
def sandbox():
    with Sandbox(workers=2) as box:
        yield box


@pytest.fixture(scope="module")
def suite():
    return generate_suite(seed=0, tasks_per_level=PER_LEVEL, variants=("single", "multi_step"))


@pytest.fixture(scope="module")
def single(suite):
    return [t for t in suite if t.variant == "single"]


def _records(tasks):
    return [json.dumps(t.to_record(), sort_keys=True) for t in tasks]


def _call(task, case):
    return f"{task.entry_point}({', '.join(repr(a) for a in case.input)})"


def _inputs(cases):
    return {json.dumps(c.input) for c in cases}


def test_same_seed_same_records_other_seed_other_tasks(single):
    again = generate_suite(seed=0, tasks_per_level=PER_LEVEL)
    assert _records(again) == _records(single)
    other = generate_suite(seed=1, tasks_per_level=PER_LEVEL)
    assert {t.task_id for t in other} != {t.task_id for t in single}


def test_generation_ignores_python_hash_randomisation(single):
    code = (
        "import hashlib, json; from execrl.tasks.procedural import generate_suite; "
        f"ts = generate_suite(seed=0, tasks_per_level={PER_LEVEL}); "
        "print(hashlib.sha256(json.dumps([t.to_record() for t in ts], sort_keys=True).encode()).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        digests.add(run.stdout)
    here = json.dumps([t.to_record() for t in single], sort_keys=True)
    assert digests == {hashlib.sha256(here.encode()).hexdigest() + "\n"}


def test_ids_are_content_derived(suite):
    ids = [t.task_id for t in suite]
    assert len(set(ids)) == len(ids)
    for task in suite:
        prefix = "proc" if task.variant == "single" else "proc-ms"
        assert re.fullmatch(rf"{prefix}/L{task.level}/[0-9a-f]{{10}}", task.task_id)
    # The same composition gets the same id and the same tests whichever suite it came from.
    rebuilt = build_task(suite[0].steps, suite[0].variant)
    assert rebuilt.to_record() == suite[0].to_record()
    # The documented recipe: sha256 of the variant and the steps with their parameters.
    key = 'single/[["keep_gt",{"k":3}],["double",{}],["max_or",{"d":0}]]'
    assert build_task(EXAMPLE).task_id == "proc/L3/" + hashlib.sha256(key.encode()).hexdigest()[:10]
    # Golden: a change to the id scheme must be deliberate.
    assert build_task(EXAMPLE).task_id == "proc/L3/33f7123d06"
    assert build_task(EXAMPLE, "multi_step").task_id == "proc-ms/L3/0e7bf64eb2"
    assert build_task([make_step("keep_gt", k=4), *EXAMPLE[1:]]).task_id != build_task(EXAMPLE).task_id


def test_levels_are_composition_depths(single):
    assert sorted({t.level for t in single}) == [1, 2, 3, 4]
    for task in single:
        assert len(task.steps) == task.level == task.signature.count(">") + 1
        assert len(task.canonical_solution.splitlines()) == task.level  # one line per step
        for before, after in zip(task.steps, task.steps[1:]):
            assert KINDS[before.kind].target == KINDS[after.kind].source


def test_prompt_is_humaneval_style_with_visible_doctests():
    task = build_task(EXAMPLE)
    assert task.prompt.startswith("def f(xs: list[int]) -> int:\n")
    assert task.spec == (
        "Keep the elements greater than 3, then double each element, "
        "then take the largest element (0 if there are none), and return the result."
    )
    assert f'    """{task.spec}\n' in task.prompt
    steps = "    xs = [x for x in xs if x > 3]\n    xs = [x * 2 for x in xs]\n"
    assert task.canonical_solution == steps + "    return max(xs, default=0)\n"
    assert task.shortcut_solution == steps + "    return max(xs)\n"
    for case in task.visible:
        assert f"    >>> {_call(task, case)}\n    {case.expected!r}\n" in task.prompt
    for case in (*task.strong, *task.hidden):
        assert _call(task, case) not in task.prompt


def test_references_pass_every_tier_in_the_sandbox(sandbox, suite):
    assert TIERS == ("visible", "strong", "hidden")
    judgements = judge(sandbox, suite, [t.canonical_solution for t in suite], "reference")
    failures = [(j.task_id, tier, getattr(j, tier).status, getattr(j, tier).first_error)
                for j in judgements for tier in TIERS if not getattr(j, tier).passed]
    assert failures == []
    for task, judgement in zip(suite, judgements):
        assert judgement.task_id == task.task_id
        assert [getattr(judgement, tier).tests_total for tier in TIERS] == [len(task.tests(tier)) for tier in TIERS]
        assert [len(task.tests(tier)) for tier in TIERS] == [len(task.visible), len(task.strong), len(task.hidden)]
    with pytest.raises(ValueError, match="unknown tier"):
        suite[0].tests("plus")


def test_hidden_tier_has_edge_cases(single):
    for task in single:
        inputs = [c.input[0] for c in task.hidden]
        labels = [c.label for c in task.hidden]
        assert len(task.hidden) >= 10
        assert not {json.dumps(c.input) for c in task.hidden} & {json.dumps(c.input) for c in task.visible}
        if task.input_type == "list":
            assert [] in inputs and any(len(x) == 1 for x in inputs)
            assert any(min(x, default=0) < 0 for x in inputs) and any(len(set(x)) < len(x) for x in inputs)
            assert any(max(x, default=0) >= 10**6 for x in inputs)
        elif task.input_type == "str":
            assert "" in inputs and any(len(x) == 1 for x in inputs) and any("  " in x for x in inputs)
        else:
            assert 0 in inputs and any(x < 0 for x in inputs) and any(x >= 10**6 for x in inputs)
        assert labels.count("random") < len(labels)


def test_strong_tier_is_edge_rich_disjoint_and_deterministic(suite, single):
    for task in suite:
        inputs = [c.input[0] for c in task.strong]
        labels = [c.label for c in task.strong]
        assert len(task.strong) >= 10
        assert len(_inputs(task.strong)) == len(task.strong)
        # Disjoint from both other tiers: training on strong never sees a visible or hidden input.
        assert not _inputs(task.strong) & _inputs(task.visible)
        assert not _inputs(task.strong) & _inputs(task.hidden)
        # Hidden's edge classes with a new concrete input each; the one-member classes stay in hidden.
        if task.input_type == "list":
            assert [] not in inputs
            assert any(len(x) == 1 and x[0] > 0 for x in inputs) and any(x == [-abs(x[0])] for x in inputs if x)
            assert any(len(x) > 1 and max(x) < 0 for x in inputs) and any(len(set(x)) < len(x) for x in inputs)
            assert any(max(x, default=0) >= 10**6 for x in inputs)
        elif task.input_type == "str":
            assert "" not in inputs and any(len(x) == 1 and x.isalpha() for x in inputs)
            assert any(x and not x.strip() for x in inputs) and any("  " in x.strip() for x in inputs)
            assert any(x != x.lower() for x in inputs) and any(any(c.isdigit() for c in x) for x in inputs)
        else:
            assert 0 not in inputs and 1 not in inputs and -1 in inputs
            assert any(x < -1 for x in inputs) and any(x >= 10**6 for x in inputs) and any(x <= -(10**6) for x in inputs)
        assert labels.count("random") < len(labels)
    # Content-seeded: the same composition gets the same strong tier, whichever suite it came from.
    again = generate_suite(seed=0, tasks_per_level=PER_LEVEL)
    assert [t.strong for t in again] == [t.strong for t in single]
    assert build_task(EXAMPLE).strong == build_task(EXAMPLE).strong
    # Its own stream: not the hidden tier's inputs in another order, nor a copy of them.
    assert all(t.strong != t.hidden for t in single)


def test_strong_and_hidden_tiers_reach_each_naive_step():
    # abs's naive variant drops the step: only a negative input tells them apart.
    task = build_task([make_step("sum"), make_step("abs")])
    assert any(c.label == "naive:step2:abs" and sum(c.input[0]) < 0 for c in task.hidden)
    assert any(c.label == "naive:step2:abs" and sum(c.input[0]) < 0 for c in task.strong)
    task = build_task([make_step("find_char", c="a")])
    assert any("a" not in c.input[0] for c in task.hidden)
    assert any("a" not in c.input[0] for c in task.strong)
    # keep_gt can leave nothing for max_or: both tiers reach that empty intermediate, strong without [].
    task = build_task(EXAMPLE)
    for cases in (task.hidden, task.strong):
        assert any(c.label.startswith("edge:step") and c.input[0] and max(c.input[0]) <= 3 for c in cases)


def test_visible_tier_is_typical(single):
    for task in single:
        assert 2 <= len(task.visible) <= 3
        assert len({json.dumps(c.expected) for c in task.visible}) >= 2
        for case in task.visible:
            value = case.input[0]
            assert case.label == "typical"
            if task.input_type == "list":
                assert value and all(0 < x < 100 for x in value) and len(set(value)) == len(value)
            elif task.input_type == "int":
                assert 0 < value < 100
            else:
                assert value and value == value.lower() and "  " not in value and value.strip() == value


def test_splits_hold_out_whole_compositions():
    tasks = generate_suite(seed=3, tasks_per_level=25)
    by_split = {s: {t.signature for t in tasks if t.split == s} for s in SPLITS}
    assert all(by_split.values())
    assert not by_split["train"] & by_split["test"]
    assert not by_split["train"] & by_split["validation"]
    assert not by_split["validation"] & by_split["test"]
    assert all(t.split == split_of(t.signature) for t in tasks)
    # The split depends on the signature only: other seeds put a composition in the same split.
    other = generate_suite(seed=4, tasks_per_level=25)
    assert all(t.split == split_of(t.signature) for t in other)
    assert {t.split for t in generate_suite(seed=3, tasks_per_level=5, split_fractions=(1.0, 0.0, 0.0))} == {"train"}
    assert {t.split for t in generate_suite(seed=3, tasks_per_level=5, split_fractions=(0.0, 0.0, 1.0))} == {"test"}
    with pytest.raises(ValueError, match="split fractions"):
        generate_suite(seed=3, tasks_per_level=5, split_fractions=(0.5, 0.5, 0.5))


def test_split_fractions_are_roughly_honoured():
    signatures = [f"{a.name}>{b.name}" for a in STEP_KINDS for b in STEP_KINDS if a.target == b.source]
    shares = {s: sum(split_of(x) == s for x in signatures) / len(signatures) for s in SPLITS}
    assert abs(shares["train"] - 0.7) < 0.08 and abs(shares["test"] - 0.15) < 0.06


def test_multi_step_prompt_declares_helpers_and_tests_only_f(sandbox, suite):
    multi = [t for t in suite if t.variant == "multi_step"]
    assert {t.level for t in multi} == {1, 2, 3, 4}
    for task in multi:
        assert task.entry_point == "f"
        for i in range(1, task.level + 1):
            assert re.search(rf'^def step{i}\(\w+: [\w\[\]]+\) -> [\w\[\]]+:\n    """[A-Z].*"""\n', task.prompt, re.M)
            assert f"step{i}" in task.prompt.split("def f(")[1]  # f's docstring composes the helpers
    # f's body alone leaves the stubs (which return None): the end-to-end tests catch it.
    body_only = [t.canonical_solution.split("\n\n\n")[0] + "\n" for t in multi]
    judgements = judge(sandbox, multi, body_only, "body-only")
    assert not any(j.visible.passed for j in judgements)
    single_ids = {t.signature: t.task_id for t in suite if t.variant == "single"}
    assert all(single_ids[t.signature] != t.task_id for t in multi)


def test_shortcuts_pass_visible_and_some_fail_hidden_and_strong(sandbox, single):
    shortcut = judge(sandbox, single, [t.shortcut_solution for t in single], "shortcut")
    assert all(j.visible.passed for j in shortcut)  # the visible tier never exercises an edge
    hacked = [j for j in shortcut if j.passes_visible_fails_hidden]
    caught = [j for j in shortcut if j.passes_visible_fails_strong]
    missed = [j for j in shortcut if j.passes_strong_fails_hidden]
    assert 0 < len(hacked) < len(single)
    by_id = {t.task_id: t for t in single}
    assert all(by_id[j.task_id].has_shortcut for j in hacked)
    # The strong reward catches the paradox wherever a shortcut errs on more than the empty input,
    # which only hidden may hold (the tiers are disjoint); it never fails a shortcut hidden passes.
    assert {j.task_id for j in caught} <= {j.task_id for j in hacked}
    assert len(caught) >= 0.7 * len(hacked)
    for j in missed:
        task = by_id[j.task_id]
        failed = [c.input for c, outcome in zip(task.hidden, j.hidden.outcomes) if not outcome.passed]
        assert failed in ([([],)], [("",)]), (task.task_id, failed)
    summary = summarize_suite(single, shortcut=shortcut)
    counts = summary["shortcut"]
    assert counts["passes_visible_fails_hidden"] == len(hacked)
    assert counts["passes_visible_fails_strong"] == len(caught)
    assert counts["passes_strong_fails_hidden"] == len(missed) == len(hacked) - len(caught)
    assert counts["passes_strong"] == sum(j.strong.passed for j in shortcut)
    per_level = counts["by_level"].values()
    assert sum(level["passes_visible_fails_hidden"] for level in per_level) == len(hacked)
    assert sum(level["passes_visible_fails_strong"] for level in per_level) == len(caught)
    assert sum(level["tasks"] for level in summary["by_level"].values()) == len(single)
    assert summary["strong_tests_min"] >= 10 and summary["hidden_tests_min"] >= 10
    assert shortcut_program(single[0]) == single[0].prompt + single[0].shortcut_solution


def test_one_job_on_every_tier_judges_like_a_job_per_tier(sandbox, single):
    # the reference, the shortcut (right on visible tests, wrong on some held-out ones) and a crash
    tasks = [t for t in single if t.has_shortcut][:3]
    for task in tasks:
        for completion in (task.canonical_solution, task.shortcut_solution, "    return 1 // 0\n", "    return (\n"):
            program = task.program(completion)
            judgement = task.judgement(sandbox.run(task.all_tiers_job("j", program)))
            for tier in TIERS:
                alone, part = sandbox.run(task.job("j", program, tier)), getattr(judgement, tier)
                assert (part.id, part.status, part.tests_passed, part.tests_total, part.first_error, part.outcomes) == (
                    f"j@{tier}", alone.status, alone.tests_passed, alone.tests_total, alone.first_error, alone.outcomes)
    assert any(not judge(sandbox, [t], [t.shortcut_solution])[0].hidden.passed for t in tasks)


def test_next_turn_prompt_lists_failed_visible_tests_only(sandbox):
    task = build_task(EXAMPLE)
    wrong = "    return 7\n"
    raising = "    raise ValueError('no idea')\n"
    jobs = [task.job("w", task.program(wrong), "visible"), task.job("r", task.program(raising), "visible")]
    verdicts = sandbox.run_many(jobs)
    text = next_turn_prompt(task, wrong, verdicts[0], attempt=1)
    assert text.endswith(task.prompt)
    assert "#     return 7" in text
    for case in task.visible:
        assert f"# {_call(task, case)} should return {case.expected!r}; your code returned a wrong value." in text
    for case in (*task.strong, *task.hidden):
        assert _call(task, case) not in text
    raised = next_turn_prompt(task, raising, verdicts[1], attempt=2, max_listed=1)
    assert raised.count("should return") == 1 and "raised ValueError: no idea" in raised and "2 more failed" in raised
    compile(raised + task.canonical_solution, "<next turn>", "exec")  # feedback is comments: still a module
    for tier in ("strong", "hidden"):
        held_out = sandbox.run(task.job(tier, task.program(wrong), tier))
        with pytest.raises(ValueError, match="visible tier only"):
            next_turn_prompt(task, wrong, held_out)
    passing = sandbox.run(task.job("p", task.program(task.canonical_solution), "visible"))
    with pytest.raises(ValueError, match="passed"):
        next_turn_prompt(task, task.canonical_solution, passing)


def test_next_turn_prompt_reports_syntax_errors(sandbox):
    task = build_task(EXAMPLE)
    verdict = sandbox.run(task.job("s", task.program("    return (\n"), "visible"))
    assert "does not parse (SyntaxError)" in next_turn_prompt(task, "    return (\n", verdict)


def test_records_round_trip(tmp_path, suite):
    for task in suite:
        record = json.loads(json.dumps(task.to_record()))
        assert ProceduralTask.from_record(record) == task
    write_suite(tmp_path / "suite.jsonl", suite)
    assert read_suite(tmp_path / "suite.jsonl") == suite
    assert list(suite[0].to_record())[-3:] == ["visible", "strong", "hidden"]
    for tier in TIERS:
        broken = suite[0].to_record()
        del broken[tier]
        with pytest.raises(ValueError, match=tier):
            ProceduralTask.from_record(broken)
    with pytest.raises(ValueError, match="level and signature"):
        ProceduralTask.from_record({**suite[0].to_record(), "level": suite[0].level + 1})


def test_every_naive_variant_is_caught_by_some_hidden_test_and_most_by_strong(sandbox):
    tasks = []
    for kind in STEP_KINDS:
        if kind.naive is None:
            continue
        try:
            tasks.append(build_task([make_step(kind.name, **{name: choices[0] for name, choices in kind.params})]))
        except ValueError:  # no typical inputs at level 1 (outputs all equal); covered at deeper levels
            continue
    assert len(tasks) >= 15
    judgements = judge(sandbox, tasks, [t.shortcut_solution for t in tasks], "naive")
    assert [j.task_id for j in judgements if not j.passes_visible_fails_hidden] == []
    # Strong catches each too, but those that differ from the reference on the empty list only
    # (take_n with n=1 here: xs[0] for xs[:1]).
    only_empty = {"max_or", "min_or", "first_or", "last_or", "mean_floor", "argmax", "spread", "take_n"}
    missed = {t.steps[0].kind for t, j in zip(tasks, judgements) if not j.passes_visible_fails_strong}
    assert missed <= only_empty
    for task, judgement in zip(tasks, judgements):
        if task.steps[0].kind in missed:
            failed = [c.input for c, outcome in zip(task.hidden, judgement.hidden.outcomes) if not outcome.passed]
            assert failed == [([],)]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown step kind"):
        make_step("nope")
    with pytest.raises(ValueError, match="takes parameters"):
        make_step("keep_gt")
    with pytest.raises(ValueError, match="takes"):
        build_task([make_step("sum"), make_step("upper")])
    with pytest.raises(ValueError, match="variants"):
        generate_suite(seed=0, tasks_per_level=1, variants=("both",))
    with pytest.raises(ValueError, match="found only"):
        generate_suite(seed=0, tasks_per_level=10_000, levels=(1,), attempts_per_task=1)


def test_next_turn_prompt_keeps_untrusted_text_in_comments(sandbox):
    task = build_task(EXAMPLE)
    hostile = "    raise type('Bad\\nimport os', (Exception,), {})('one\\rtwo\\nthree')\r    x = 1\n"
    verdict = sandbox.run(task.job("x", task.program(hostile), "visible"))
    text = next_turn_prompt(task, hostile, verdict)
    head = text[: -len(task.prompt)]
    assert "Bad import os" in head and "one two three" in head
    assert all(line.startswith("#") for line in head.splitlines())


def test_tasks_per_level_may_give_one_count_per_level():
    tasks = generate_suite(seed=0, tasks_per_level=[2, 5], levels=[1, 2])
    assert [sum(t.level == level for t in tasks) for level in (1, 2)] == [2, 5]
    with pytest.raises(ValueError, match="one count, or one per level"):
        generate_suite(seed=0, tasks_per_level=[2, 5, 1], levels=[1, 2])
