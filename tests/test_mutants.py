"""First-order mutants: each operator's exact output, deduplication, determinism, selection, HumanEval."""

from __future__ import annotations

import ast
import collections
import hashlib
import json
import os
import subprocess
import sys
import textwrap

import pytest

from execrl.tasks.mutants import (
    OPERATORS,
    Mutant,
    MutationError,
    generate_mutants,
    humaneval_mutants,
    mutant_id,
    select_mutants,
)


def _norm(source: str) -> str:
    return ast.dump(ast.parse(textwrap.dedent(source)))


def _mutants(source: str, entry_point: str = "f", **kwargs) -> list[Mutant]:
    return generate_mutants("t/0", textwrap.dedent(source), entry_point, **kwargs)


def _programs(mutants: list[Mutant], operator: str) -> list[str]:
    return sorted(_norm(m.program) for m in mutants if m.operator == operator)


def _expected(*sources: str) -> list[str]:
    return sorted(_norm(s) for s in sources)


# ---------------------------------------------------------------- one test per operator


def test_arith_swap():
    mutants = _mutants(
        """
        def f(a, b):
            c = a + b * 2
            c -= 1
            return -c + 'x'
        """
    )
    assert _programs(mutants, "arith_swap") == _expected(
        "def f(a, b):\n c = a - b * 2\n c -= 1\n return -c + 'x'",
        "def f(a, b):\n c = a + b // 2\n c -= 1\n return -c + 'x'",
        "def f(a, b):\n c = a + b * 2\n c += 1\n return -c + 'x'",
        "def f(a, b):\n c = a + b * 2\n c -= 1\n return c + 'x'",
        # no `-c - 'x'`: an operator swap next to a string literal can only raise TypeError
    )


def test_compare_boundary_and_negate_take_one_comparison_of_a_chain_at_a_time():
    source = """
        def f(a, b):
            return (a < b >= 0, a == b, a in b, a is None)
        """
    mutants = _mutants(source)
    assert _programs(mutants, "compare_boundary") == _expected(
        "def f(a, b):\n return (a <= b >= 0, a == b, a in b, a is None)",
        "def f(a, b):\n return (a < b > 0, a == b, a in b, a is None)",
    )
    assert _programs(mutants, "compare_negate") == _expected(
        "def f(a, b):\n return (a >= b >= 0, a == b, a in b, a is None)",
        "def f(a, b):\n return (a < b < 0, a == b, a in b, a is None)",
        "def f(a, b):\n return (a < b >= 0, a != b, a in b, a is None)",
        "def f(a, b):\n return (a < b >= 0, a == b, a not in b, a is None)",
        "def f(a, b):\n return (a < b >= 0, a == b, a in b, a is not None)",
    )


def test_logic_swap_keeps_the_nesting():
    mutants = _mutants("def f(a, b, c):\n    return a and b or c\n")
    # `(a and b) and c` is a nested BoolOp, not the flat `a and b and c`
    assert _programs(mutants, "logic_swap") == _expected(
        "def f(a, b, c):\n return (a and b) and c",
        "def f(a, b, c):\n return (a or b) or c",
    )


def test_constant_shift_treats_minus_one_as_a_literal_and_skips_bools_and_slice_bounds():
    mutants = _mutants("def f(xs):\n    return xs[0] + xs[1:3][-1] + True\n")
    assert _programs(mutants, "constant_shift") == _expected(
        "def f(xs):\n return xs[1] + xs[1:3][-1] + True",
        "def f(xs):\n return xs[-1] + xs[1:3][-1] + True",
        "def f(xs):\n return xs[0] + xs[1:3][0] + True",
        "def f(xs):\n return xs[0] + xs[1:3][-2] + True",
    )


def test_negate_condition_on_if_while_ternary_and_comprehension():
    mutants = _mutants(
        """
        def f(xs, flag):
            if flag:
                xs = [x for x in xs if x]
            while not flag:
                flag = True
            return 1 if xs else 2
        """
    )
    body = "\n if {}:\n  xs = [x for x in xs if {}]\n while {}:\n  flag = True\n return 1 if {} else 2"
    plain = ("flag", "x", "not flag", "xs")
    expected = []
    for i, negated in enumerate(("not flag", "not x", "flag", "not xs")):
        parts = list(plain)
        parts[i] = negated
        expected.append("def f(xs, flag):" + body.format(*parts))
    assert _programs(mutants, "negate_condition") == _expected(*expected)


def test_negating_a_single_comparison_is_the_compare_negate_mutant():
    mutants = _mutants("def f(a, b):\n    if a in b:\n        return 1\n    return 0\n")
    expected = _norm("def f(a, b):\n if a not in b:\n  return 1\n return 0")
    negated = [m for m in mutants if _norm(m.program) == expected]
    assert [m.operator for m in negated] == ["compare_negate"]
    assert _programs(mutants, "negate_condition") == []


def test_remove_statement_spares_docstrings_imports_and_bare_strings():
    mutants = _mutants(
        '''
        def f(x):
            """Doc."""
            import math
            "not the docstring, still inert"
            y = x
            if y:
                y = 2
            return y
        '''
    )
    head = 'def f(x):\n """Doc."""\n import math\n "not the docstring, still inert"\n'
    assert _programs(mutants, "remove_statement") == _expected(
        head + " if y:\n  y = 2\n return y",
        head + " y = x\n return y",
        head + " y = x\n if y:\n  pass\n return y",
        head + " y = x\n if y:\n  y = 2",
    )


def test_remove_branch_on_if_elif_else_and_ternary():
    mutants = _mutants(
        """
        def f(x, c):
            if x > 0:
                return 1
            elif x < 0:
                return -1
            else:
                return 0 if c else 2
        """
    )
    assert _programs(mutants, "remove_branch") == _expected(
        "def f(x, c):\n if x > 0:\n  return 1",  # the elif (and its else) dropped
        "def f(x, c):\n return 1",  # the if is always taken
        "def f(x, c):\n if x > 0:\n  return 1\n elif x < 0:\n  return -1",  # the else dropped
        "def f(x, c):\n if x > 0:\n  return 1\n else:\n  return -1",  # the elif always taken
        "def f(x, c):\n if x > 0:\n  return 1\n elif x < 0:\n  return -1\n else:\n  return 0",
        "def f(x, c):\n if x > 0:\n  return 1\n elif x < 0:\n  return -1\n else:\n  return 2",
    )


def test_slice_bound_moves_and_drops_bounds():
    mutants = _mutants("def f(xs, n):\n    return xs[1:n] + xs[:-1] + xs[0:]\n")
    tail = " + xs[:-1] + xs[0:]"
    assert _programs(mutants, "slice_bound") == _expected(
        "def f(xs, n):\n return xs[2:n]" + tail,
        "def f(xs, n):\n return xs[0:n]" + tail,
        "def f(xs, n):\n return xs[:n]" + tail,
        "def f(xs, n):\n return xs[1:n + 1]" + tail,
        "def f(xs, n):\n return xs[1:n - 1]" + tail,
        "def f(xs, n):\n return xs[1:]" + tail,
        "def f(xs, n):\n return xs[1:n] + xs[:0] + xs[0:]",
        "def f(xs, n):\n return xs[1:n] + xs[:-2] + xs[0:]",
        "def f(xs, n):\n return xs[1:n] + xs[:] + xs[0:]",
        "def f(xs, n):\n return xs[1:n] + xs[:-1] + xs[1:]",
        "def f(xs, n):\n return xs[1:n] + xs[:-1] + xs[-1:]",
        # no xs[:] for xs[0:]: the same program
    )
    assert _programs(mutants, "constant_shift") == []  # slice bounds are slice_bound's


def test_early_return_stubs_after_the_docstring():
    mutants = _mutants(
        '''
        def f(xs: list[int], k) -> bool:
            """Doc."""
            if not xs:
                return False
            return k in xs
        '''
    )
    body = '\n if not xs:\n  return False\n return k in xs'
    head = 'def f(xs: list[int], k) -> bool:\n """Doc."""\n return '
    # the annotated type's empty values (both bools), the literal it returns (False again), the first parameter
    assert _programs(mutants, "early_return") == _expected(*(head + value + body for value in ("False", "True", "xs")))


def test_early_return_falls_back_to_none_and_never_repeats_the_first_return():
    assert _programs(_mutants("def f():\n    print(1)\n"), "early_return") == _expected(
        "def f():\n return None\n print(1)"
    )
    assert _programs(_mutants("def f() -> int:\n    return 0\n"), "early_return") == []


# ---------------------------------------------------------------- dedup, scope, compile


def test_collisions_give_one_mutant_with_the_more_specific_label():
    mutants = _mutants("def f(x):\n    if x:\n        y = 1\n    else:\n        y = 2\n    return y\n")
    # dropping the else and deleting its only statement are the same program
    same = [m for m in mutants if _norm(m.program) == _norm("def f(x):\n if x:\n  y = 1\n return y")]
    assert [m.operator for m in same] == ["remove_branch"]
    assert _programs(mutants, "remove_statement") == _expected(  # not `else: pass`, which is the same program
        "def f(x):\n if x:\n  pass\n else:\n  y = 2\n return y",
        "def f(x):\n return y",
        "def f(x):\n if x:\n  y = 1\n else:\n  y = 2",
    )
    dumps = [_norm(m.program) for m in mutants]
    assert len(dumps) == len(set(dumps))
    assert _norm("def f(x):\n if x:\n  y = 1\n else:\n  y = 2\n return y") not in dumps


def test_only_solution_functions_are_mutated():
    source = textwrap.dedent(
        '''
        import math
        LIMIT = 10


        def given(x):
            """A helper from the prompt."""
            return x + 1


        def f(x):
            """Doc with code in it: x + 1 < 2."""
            return given(x) * 2


        def helper(x):
            return x - 1
        '''
    )
    lines = source.splitlines()
    solution_line = lines.index("def f(x):") + 1
    mutants = generate_mutants("t/0", source, "f", solution_line=solution_line)
    original = ast.parse(source)
    for mutant in mutants:
        tree = ast.parse(mutant.program)
        for index in (0, 1, 2):  # the import, the module-level constant, the prompt's helper
            assert ast.dump(tree.body[index]) == ast.dump(original.body[index])
        assert ast.get_docstring(tree.body[3], clean=False) == "Doc with code in it: x + 1 < 2."
    assert mutants and all(m.line >= solution_line for m in mutants)
    assert any(m.line == lines.index("    return x - 1") + 1 for m in mutants)  # a helper in the solution
    # without solution_line every function is solution code
    given_line = lines.index("    return x + 1") + 1
    assert any(m.line == given_line for m in generate_mutants("t/0", source, "f"))


def test_mutants_that_do_not_compile_are_dropped():
    source = """
        def f(v):
            total = 0
            def add(w):
                nonlocal total
                total += w
            add(v)
            return total
        """
    mutants = _mutants(source)
    # removing `total = 0` leaves `nonlocal total` without a binding: a SyntaxError at compile time
    assert not any(m.description == "remove 'total = 0'" for m in mutants)
    assert any(m.description == "remove 'add(v)'" for m in mutants)
    for mutant in mutants:
        compile(mutant.program, mutant.mutant_id, "exec")


def test_bad_input_is_refused():
    with pytest.raises(MutationError, match="no top-level function named 'g'"):
        _mutants("def f():\n    return 1\n", entry_point="g")
    with pytest.raises(MutationError, match="does not parse"):
        _mutants("def f(:\n")


# ---------------------------------------------------------------- records, ids, determinism


def test_ids_are_content_derived_and_records_round_trip():
    mutants = _mutants("def f(a, b):\n    return a + b\n")
    swap = [m for m in mutants if m.operator == "arith_swap"]
    assert len(swap) == 1
    expected_program = "def f(a, b):\n    return a - b\n"  # ast.unparse's layout, plus a final newline
    assert swap[0].program == expected_program
    assert swap[0].mutant_id == "t/0/m" + hashlib.sha256(expected_program.encode()).hexdigest()[:10]
    assert swap[0].line == 2
    assert swap[0].description == "'a + b' -> 'a - b'"
    for mutant in mutants:
        assert mutant.mutant_id == mutant_id("t/0", mutant.program)
        line = json.dumps(mutant.to_record())
        assert Mutant.from_record(json.loads(line)) == mutant
    with pytest.raises(ValueError, match="'line' must be int"):
        Mutant.from_record({**swap[0].to_record(), "line": True})
    with pytest.raises(ValueError, match="unknown operator"):
        Mutant.from_record({**swap[0].to_record(), "operator": "bogus"})


def test_generation_is_deterministic(he_mutants):
    from execrl.tasks import load_humaneval

    again = {p.task_id: humaneval_mutants(p) for p in load_humaneval()[:20]}
    for task_id, mutants in again.items():
        assert mutants == he_mutants[task_id]


_CHILD = """
import json
from execrl.tasks import load_humaneval
from execrl.tasks.mutants import humaneval_mutants, select_mutants
ms = [m for p in load_humaneval()[:12] for m in humaneval_mutants(p)]
print(json.dumps([[m.mutant_id for m in ms], [m.mutant_id for m in select_mutants(ms, 5, 7)]]))
"""


def test_ids_and_selection_do_not_depend_on_the_hash_seed(he_mutants):
    ours = [m for task_id in list(he_mutants)[:12] for m in he_mutants[task_id]]
    expected = [[m.mutant_id for m in ours], [m.mutant_id for m in select_mutants(ours, 5, 7)]]
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True, text=True, check=True)
        assert json.loads(out.stdout) == expected


# ---------------------------------------------------------------- selection


def _fake(task_id: str, operator: str, n: int) -> Mutant:
    return Mutant(task_id, f"{task_id}/m{operator}{n}", operator, n, "", f"# {n}\n")


def _pool() -> list[Mutant]:
    counts = {"arith_swap": 10, "remove_statement": 12, "early_return": 2, "logic_swap": 1}
    return [_fake(t, op, i) for t in ("a/1", "b/2") for op, n in counts.items() for i in range(n)]


def test_selection_spreads_over_operators_and_respects_the_cap():
    pool = _pool()
    chosen = select_mutants(pool, 9, seed=3)
    for task_id in ("a/1", "b/2"):
        mine = [m for m in chosen if m.task_id == task_id]
        assert len(mine) == 9
        per_operator = collections.Counter(m.operator for m in mine)
        # round robin: logic_swap (1) and early_return (2) are exhausted, the rest is shared evenly
        assert per_operator == {"logic_swap": 1, "early_return": 2, "arith_swap": 3, "remove_statement": 3}
    positions = [pool.index(m) for m in chosen]
    assert positions == sorted(positions)  # input order kept
    assert select_mutants(pool, 9, seed=3) == chosen
    assert len({tuple(m.mutant_id for m in select_mutants(pool, 9, seed=s)) for s in range(6)}) > 1


def test_selection_below_the_operator_count_still_varies_the_operators():
    pool = _pool()
    seen = set()
    for seed in range(20):
        chosen = select_mutants(pool, 2, seed=seed)
        assert [len([m for m in chosen if m.task_id == t]) for t in ("a/1", "b/2")] == [2, 2]
        for task_id in ("a/1", "b/2"):
            operators = [m.operator for m in chosen if m.task_id == task_id]
            assert len(set(operators)) == 2
            seen.update(operators)
    assert seen == {"arith_swap", "remove_statement", "early_return", "logic_swap"}


def test_selection_none_keeps_all_and_a_negative_cap_is_refused():
    pool = _pool()
    assert select_mutants(pool, None, seed=0) == pool
    assert select_mutants(pool, 0, seed=0) == []
    assert len(select_mutants(pool, 1000, seed=0)) == len(pool)
    with pytest.raises(ValueError, match="max_per_task"):
        select_mutants(pool, -1, seed=0)


# ---------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def he_mutants(humaneval):
    return {p.task_id: humaneval_mutants(p) for p in humaneval}


def _import_lines(program: str) -> list[str]:
    return [line for line in program.splitlines() if line.lstrip().startswith(("import ", "from "))]


def test_humaneval_mutants_are_distinct_compilable_and_leave_the_prompt_alone(humaneval, he_mutants):
    for problem in humaneval:
        original = ast.parse(problem.prompt + problem.canonical_solution)
        original_dump = ast.dump(ast.parse(ast.unparse(original)))
        prompt_defs = {n.name: ast.dump(n) for n in original.body if isinstance(n, ast.FunctionDef)}
        entry = next(n for n in original.body if getattr(n, "name", "") == problem.entry_point)
        entry_doc = ast.get_docstring(entry)
        original_imports = _import_lines(ast.unparse(original))
        dumps = set()
        for mutant in he_mutants[problem.task_id]:
            assert mutant.task_id == problem.task_id and mutant.operator in OPERATORS
            tree = ast.parse(mutant.program)
            compile(tree, mutant.mutant_id, "exec")
            dump = ast.dump(tree)
            assert dump != original_dump and dump not in dumps
            dumps.add(dump)
            defs = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
            assert ast.get_docstring(defs[problem.entry_point]) == entry_doc
            for name, node in defs.items():
                if name != problem.entry_point:  # helpers given by the prompt (HumanEval/10, /32, /38, /50)
                    assert ast.dump(node) == prompt_defs[name]
            assert _import_lines(mutant.program) == original_imports


def test_humaneval_has_enough_mutants_where_the_code_allows(humaneval, he_mutants):
    counts = {p.task_id: len(he_mutants[p.task_id]) for p in humaneval}
    # measured: 132 of 164 tasks have >= 8; every task below 8 is a solution of at most 3 lines
    assert sum(n >= 8 for n in counts.values()) >= 130
    for problem in humaneval:
        code_lines = [line for line in problem.canonical_solution.splitlines() if line.strip()]
        if len(code_lines) >= 4:
            assert counts[problem.task_id] >= 8, problem.task_id
        assert counts[problem.task_id] >= 2, problem.task_id
    per_operator = collections.Counter(m.operator for ms in he_mutants.values() for m in ms)
    assert set(per_operator) == set(OPERATORS)
    assert sum(per_operator.values()) > 3000
