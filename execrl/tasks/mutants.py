"""First-order AST mutants of a reference solution, each labelled with the operator that made it.

A mutant is the reference program with exactly one small fault injected (an operator swapped, a
comparison moved by one, a statement deleted...). A test tier "kills" a mutant when some test fails
on it; the share of mutants killed is the tier's mutation score, a proxy for how much wrong code the
tier lets through as a reward signal. Mutants are only generated here, never run: judging them is
the sandbox's job.

Which code is mutated: the bodies of the entry point and of any other top-level function that starts
in the solution part of the program (at or after ``solution_line``), nested functions included.
Docstrings, imports, decorators, parameter lists and annotations are never touched, and neither is
module-level code, so the helpers that a HumanEval prompt gives (HumanEval/10's ``is_palindrome``,
/38's ``encode_cyclic``) stay as the candidate would receive them.

Operators (``OPERATORS``):

- ``arith_swap``: ``+ <-> -``, ``* <-> //``, ``/ -> *``, ``% -> //``, ``** -> *``, ``<< <-> >>``,
  ``& <-> |``, ``^ -> |``, in expressions and augmented assignments, and ``-x -> x``. Skipped where
  an operand is a string literal or f-string (``'a' - x`` can only raise TypeError).
- ``compare_boundary``: ``< <-> <=``, ``> <-> >=``, one comparison of a chain at a time.
- ``compare_negate``: ``== <-> !=``, ``< <-> >=``, ``> <-> <=``, ``in <-> not in``, ``is <-> is not``.
- ``logic_swap``: ``and <-> or``.
- ``constant_shift``: an integer literal ``c`` (not a bool; ``-1`` counts as one literal) becomes
  ``c + 1`` and ``c - 1``; literals that are slice bounds are left to ``slice_bound``.
- ``negate_condition``: the test of an ``if``, ``while``, conditional expression or comprehension
  ``if`` becomes ``not test`` (or loses its ``not``). A test that is one comparison is negated by
  negating the comparison, which is ``compare_negate``'s mutant, so it is deduplicated into that.
- ``remove_statement``: one statement of a block is deleted (``pass`` keeps a block non-empty; an
  ``else`` block may become empty). Imports, ``pass`` and bare strings are never deleted.
- ``remove_branch``: an ``if``'s ``else``/``elif`` part is dropped, or the ``if`` is replaced by its
  body (the branch always taken); ``a if c else b`` becomes ``a`` or ``b``.
- ``slice_bound``: a slice's lower or upper bound moves by +1 or -1, or is dropped (not a lower 0).
- ``early_return``: ``return v`` inserted before the first statement of a mutated function (after
  its docstring and leading imports): the lazy stubs that weak tests let through. ``v`` is each of:
  the empty value of the annotated return type (``0``, ``0.0``, ``''``, ``[]``, ``()``, ``{}``,
  ``set()``, ``None`` for Optional; both ``False`` and ``True`` for bool), each literal that one of
  the function's own ``return`` statements returns (the stub that always takes that branch), and
  the first parameter unchanged. ``None`` is used only when none of these exists: otherwise it
  mostly repeats what removing the final ``return`` does.

Mutants are deduplicated on the normalised AST of the whole mutated module (``ast.dump`` without
positions, after an unparse/parse round trip, so it is exactly the program that will be judged);
a mutant equal to the original, one equal to an earlier mutant, or one that does not compile is
dropped. The first one generated wins: in source order (pre-order) and, at one node, in the order
of ``_GENERATORS`` (``remove_statement`` last), so a collision keeps the more specific label.
Semantically equivalent mutants with different ASTs remain (``x < 5 -> x <= 5`` and ``x < 6`` on
ints): deciding equivalence is undecidable in general, and not attempted.

Everything is deterministic: the traversal follows the AST's field order, no set of strings is
iterated, and ``select_mutants`` seeds ``random.Random`` with a string (which CPython hashes with
SHA-512, independent of PYTHONHASHSEED and machine).
"""

from __future__ import annotations

import ast
import contextlib
import copy
import hashlib
import logging
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from execrl.tasks.humaneval import HumanEvalProblem

log = logging.getLogger(__name__)

OPERATORS = (
    "arith_swap",
    "compare_boundary",
    "compare_negate",
    "logic_swap",
    "constant_shift",
    "negate_condition",
    "remove_statement",
    "remove_branch",
    "slice_bound",
    "early_return",
)

_ARITH_SWAP: dict[type[ast.operator], type[ast.operator]] = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.FloorDiv,
    ast.FloorDiv: ast.Mult,
    ast.Div: ast.Mult,
    ast.Mod: ast.FloorDiv,
    ast.Pow: ast.Mult,
    ast.LShift: ast.RShift,
    ast.RShift: ast.LShift,
    ast.BitAnd: ast.BitOr,
    ast.BitOr: ast.BitAnd,
    ast.BitXor: ast.BitOr,
}
_COMPARE_BOUNDARY: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
}
_COMPARE_NEGATE: dict[type[ast.cmpop], type[ast.cmpop]] = {
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Lt: ast.GtE,
    ast.GtE: ast.Lt,
    ast.Gt: ast.LtE,
    ast.LtE: ast.Gt,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
}
# The empty value(s) of an annotated return type, by the annotation's (base) name: a bool function's
# lazy stub is either constant.
_EMPTY_VALUES: dict[str, tuple[str, ...]] = {
    "int": ("0",),
    "float": ("0.0",),
    "bool": ("False", "True"),
    "str": ("''",),
    "bytes": ("b''",),
    "list": ("[]",),
    "List": ("[]",),
    "tuple": ("()",),
    "Tuple": ("()",),
    "dict": ("{}",),
    "Dict": ("{}",),
    "set": ("set()",),
    "Set": ("set()",),
    "Optional": ("None",),
    "None": ("None",),
}
# Fields never traversed: they are not the function's behaviour (or, for imports, must stay intact).
# (``ast.arguments`` covers parameter lists, defaults included, of nested functions and lambdas.)
_SKIPPED_FIELDS = frozenset({"decorator_list", "returns", "annotation", "type_comment", "type_params"})
_SKIPPED_NODES = (
    ast.Import,
    ast.ImportFrom,
    ast.arguments,
    ast.expr_context,
    ast.operator,
    ast.boolop,
    ast.cmpop,
    ast.unaryop,
)
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_SNIPPET_CHARS = 60


class MutationError(ValueError):
    """The program cannot be mutated as asked (it does not parse, or lacks the entry point)."""


@dataclass(frozen=True)
class Mutant:
    """One first-order mutant of a task's reference solution.

    ``mutant_id`` is ``<task_id>/m<first 10 hex digits of SHA-256 of program>``: derived from the
    content alone, so it is the same on every run and machine (for one Python minor version, whose
    ``ast.unparse`` fixes the text) and anyone holding the record can recompute it. ``line`` is the
    1-based line of the mutated code in the *original* program (for ``early_return``, of the
    statement the ``return`` is inserted before). ``program`` is the whole mutated module as
    ``ast.unparse`` writes it, plus a final newline: reformatted, comments dropped, docstrings kept.
    """

    task_id: str
    mutant_id: str
    operator: str
    line: int
    description: str
    program: str

    def to_record(self) -> dict[str, Any]:
        """Plain JSON (strings and an int) for a JSONL line."""
        return asdict(self)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> Mutant:
        """Rebuild a mutant from ``to_record``'s output; a malformed record raises ValueError."""
        if not isinstance(record, Mapping):
            raise ValueError(f"mutant record must be an object, got {type(record).__name__}")
        fields = {}
        for name, kind in (
            ("task_id", str),
            ("mutant_id", str),
            ("operator", str),
            ("line", int),
            ("description", str),
            ("program", str),
        ):
            value = record.get(name)
            if type(value) is not kind:  # exact: a bool is not a line number
                raise ValueError(f"mutant record field {name!r} must be {kind.__name__}, got {value!r:.80}")
            fields[name] = value
        if fields["operator"] not in OPERATORS:
            raise ValueError(f"mutant record has unknown operator {fields['operator']!r}")
        return cls(**fields)


@dataclass(frozen=True)
class _Site:
    """Where a node sits: ``getattr(parent, field)``, or its ``index``-th element when it is a list."""

    parent: ast.AST
    field: str
    index: int | None
    node: ast.AST
    line: int


@dataclass(frozen=True)
class _Edit:
    """Replace the node at ``site`` by ``replacement``: a node or None, or a list of nodes for a list slot."""

    operator: str
    site: _Site
    replacement: Any
    description: str


def generate_mutants(task_id: str, program: str, entry_point: str, *, solution_line: int = 1) -> list[Mutant]:
    """All distinct, compilable first-order mutants of ``program``, in source order.

    ``program`` is the whole reference module (for HumanEval, prompt plus canonical solution).
    Top-level functions other than ``entry_point`` are mutated only if they start at or after
    ``solution_line`` (1-based): the default treats every function as solution code; pass the first
    line after the prompt to leave prompt-given helpers alone (``humaneval_mutants`` does).
    """
    tree = _parse(task_id, program)
    functions = _mutable_functions(tree, entry_point, solution_line)
    if not any(f.name == entry_point for f in functions):
        raise MutationError(f"{task_id}: no top-level function named {entry_point!r} to mutate")
    edits = [edit for function in functions for edit in _function_edits(tree, function)]
    seen = {_normal_form(ast.parse(ast.unparse(tree)))}
    mutants: list[Mutant] = []
    uncompilable = 0
    for edit in edits:
        with _applied(edit):
            text = ast.unparse(tree) + "\n"
        mutated = _compiled(text, task_id, edit)
        if mutated is None:
            uncompilable += 1
            continue
        key = _normal_form(mutated)
        if key in seen:
            continue
        seen.add(key)
        mutants.append(
            Mutant(
                task_id=task_id,
                mutant_id=mutant_id(task_id, text),
                operator=edit.operator,
                line=edit.site.line,
                description=edit.description,
                program=text,
            )
        )
    log.debug(
        "%s: %d edits, %d distinct mutants, %d not compilable", task_id, len(edits), len(mutants), uncompilable
    )
    return mutants


def _compiled(text: str, task_id: str, edit: _Edit) -> ast.Module | None:
    """The parsed mutant if it compiles, else None (e.g. ``nonlocal x`` whose binding was removed)."""
    try:
        mutated = ast.parse(text)
        compile(mutated, f"<mutant of {task_id}>", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        log.debug(
            "%s: dropped %s at line %d (%s): %s",
            task_id, edit.operator, edit.site.line, edit.description, exc
        )
        return None
    return mutated


def humaneval_mutants(problem: HumanEvalProblem) -> list[Mutant]:
    """Mutants of a HumanEval canonical solution; helpers defined in the prompt are left intact."""
    return generate_mutants(
        problem.task_id,
        problem.program(problem.canonical_solution),
        problem.entry_point,
        solution_line=problem.prompt.count("\n") + 1,
    )


def mutant_id(task_id: str, program: str) -> str:
    """The content-derived id of the mutant of ``task_id`` whose full text is ``program``."""
    return f"{task_id}/m{hashlib.sha256(program.encode('utf-8')).hexdigest()[:10]}"


def select_mutants(mutants: Sequence[Mutant], max_per_task: int | None, seed: int | str) -> list[Mutant]:
    """At most ``max_per_task`` mutants per task, spread over operators; None keeps all.

    Per task, with ``random.Random(f"{seed}:{task_id}")``: each operator's mutants are shuffled,
    then picked round-robin over the operators (sorted, then shuffled, so a last partial round does
    not always favour the same operators). Every operator present is represented whenever
    ``max_per_task`` is at least the number of operators present. The result keeps input order.
    """
    if max_per_task is None:
        return list(mutants)
    if isinstance(max_per_task, bool) or not isinstance(max_per_task, int) or max_per_task < 0:
        raise ValueError(f"max_per_task must be a non-negative int or None, got {max_per_task!r}")
    by_task: dict[str, list[int]] = {}
    for position, mutant in enumerate(mutants):
        by_task.setdefault(mutant.task_id, []).append(position)
    chosen: set[int] = set()
    for task_id, positions in by_task.items():
        rng = random.Random(f"{seed}:{task_id}")
        chosen.update(_spread([(p, mutants[p].operator) for p in positions], max_per_task, rng))
    return [m for p, m in enumerate(mutants) if p in chosen]


def _spread(items: list[tuple[int, str]], limit: int, rng: random.Random) -> list[int]:
    """Positions of up to ``limit`` of one task's ``(position, operator)`` items, round-robin by operator."""
    pools: dict[str, list[int]] = {}
    for position, operator in items:
        pools.setdefault(operator, []).append(position)
    operators = sorted(pools)
    for operator in operators:
        rng.shuffle(pools[operator])
    rng.shuffle(operators)
    picked: list[int] = []
    while len(picked) < limit and any(pools.values()):
        for operator in operators:
            if pools[operator] and len(picked) < limit:
                picked.append(pools[operator].pop())
    return picked


def _parse(task_id: str, program: str) -> ast.Module:
    try:
        return ast.parse(program)
    except SyntaxError as exc:
        raise MutationError(
            f"{task_id}: the reference program does not parse ({exc.msg}, line {exc.lineno})"
        ) from exc


def _normal_form(tree: ast.AST) -> str:
    return ast.dump(tree, include_attributes=False)


def _mutable_functions(tree: ast.Module, entry_point: str, solution_line: int) -> list[ast.FunctionDef]:
    return [
        node
        for node in tree.body
        if isinstance(node, _FUNCTIONS) and (node.name == entry_point or node.lineno >= solution_line)
    ]


@contextlib.contextmanager
def _applied(edit: _Edit) -> Iterator[None]:
    """Apply ``edit`` to the tree in place for the duration of the block (cheaper than a deep copy)."""
    site = edit.site
    old = getattr(site.parent, site.field)
    if site.index is None:
        new = edit.replacement
    else:
        new = old[: site.index] + list(edit.replacement) + old[site.index + 1 :]
        if not new and site.field != "orelse":  # an else block may be empty; any other block may not
            new = [ast.Pass()]
    setattr(site.parent, site.field, new)
    try:
        yield
    finally:
        setattr(site.parent, site.field, old)


def _function_edits(tree: ast.Module, function: ast.FunctionDef) -> Iterator[_Edit]:
    index = tree.body.index(function)
    root = _Site(tree, "body", index, function, function.lineno)
    for site in _walk(root):
        for generator in _GENERATORS:
            yield from generator(site)


def _walk(site: _Site) -> Iterator[_Site]:
    """Pre-order over the sites below ``site`` (itself included), in the AST's field order."""
    yield site
    node = site.node
    for field, value in ast.iter_fields(node):
        if field in _SKIPPED_FIELDS:
            continue
        if isinstance(value, list):
            start = 1 if field == "body" and _has_docstring(node) else 0
            for index in range(start, len(value)):
                child = value[index]
                if isinstance(child, ast.AST) and not isinstance(child, _SKIPPED_NODES):
                    yield from _walk(_Site(node, field, index, child, getattr(child, "lineno", site.line)))
        elif isinstance(value, ast.AST) and not isinstance(value, _SKIPPED_NODES):
            yield from _walk(_Site(node, field, None, value, getattr(value, "lineno", site.line)))


def _has_docstring(node: ast.AST) -> bool:
    body = getattr(node, "body", None)
    return (
        isinstance(node, (*_FUNCTIONS, ast.ClassDef, ast.Module))
        and bool(body)
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    )


def _is_inert(statement: ast.stmt) -> bool:
    """A bare constant (a string statement, ``...``): removing it changes nothing."""
    return isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)


def _edit(operator: str, site: _Site, replacement: Any, description: str | None = None) -> _Edit:
    """An edit replacing ``site.node``; a single node for a list slot is wrapped in a list."""
    if site.index is not None and not isinstance(replacement, list):
        replacement = [replacement]
    if description is None:
        description = f"{_snippet(site.node)!r} -> {_snippet(replacement)!r}"
    return _Edit(operator, site, replacement, description)


def _snippet(node: ast.AST | list[ast.AST] | None) -> str:
    if node is None:
        return ""
    nodes = node if isinstance(node, list) else [node]
    text = "; ".join(" ".join(ast.unparse(n).split()) for n in nodes)
    return text if len(text) <= _SNIPPET_CHARS else text[: _SNIPPET_CHARS - 3] + "..."


def _with(node: ast.AST, **fields: Any) -> ast.AST:
    """A shallow copy of ``node`` with some fields replaced; the original is never modified."""
    new = copy.copy(node)
    for name, value in fields.items():
        setattr(new, name, value)
    return new


def _int_literal(node: ast.AST) -> int | None:
    """The value of an integer literal (``-1`` included, bools excluded), else None."""
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_literal(node.operand)
        if inner is not None and isinstance(node.operand, ast.Constant):
            return -inner
    return None


def _int_node(value: int) -> ast.expr:
    return ast.Constant(value) if value >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-value))


def _is_text(node: ast.AST) -> bool:
    if isinstance(node, ast.JoinedStr):
        return True
    return isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes))


def _arith_swap(site: _Site) -> Iterator[_Edit]:
    node = site.node
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _int_literal(node) is None:
        yield _edit("arith_swap", site, node.operand)  # -x -> x; a literal -1 is constant_shift's
        return
    if isinstance(node, ast.BinOp):
        operands = (node.left, node.right)
    elif isinstance(node, ast.AugAssign):
        operands = (node.value,)
    else:
        return
    swapped = _ARITH_SWAP.get(type(node.op))
    if swapped is not None and not any(_is_text(o) for o in operands):
        yield _edit("arith_swap", site, _with(node, op=swapped()))


def _compare_swaps(
    operator: str, table: dict[type[ast.cmpop], type[ast.cmpop]]
) -> Callable[[_Site], Iterator[_Edit]]:
    """A generator of ``operator`` mutants: each comparison of a chain swapped by ``table``, one at a time."""
    def generate(site: _Site) -> Iterator[_Edit]:
        node = site.node
        if not isinstance(node, ast.Compare):
            return
        for index, op in enumerate(node.ops):
            swapped = table.get(type(op))
            if swapped is not None:
                ops = list(node.ops)
                ops[index] = swapped()
                yield _edit(operator, site, _with(node, ops=ops))

    return generate


def _logic_swap(site: _Site) -> Iterator[_Edit]:
    node = site.node
    if isinstance(node, ast.BoolOp):
        yield _edit("logic_swap", site, _with(node, op=ast.Or() if isinstance(node.op, ast.And) else ast.And()))


def _constant_shift(site: _Site) -> Iterator[_Edit]:
    value = _int_literal(site.node)
    if value is None:
        return
    parent = site.parent
    if isinstance(parent, ast.UnaryOp) and isinstance(parent.op, ast.USub):
        return  # the 1 of -1: the literal -1 is shifted as a whole at its parent
    if isinstance(parent, ast.Slice) and site.field in ("lower", "upper"):
        return  # slice_bound's
    for delta in (1, -1):
        yield _edit("constant_shift", site, _int_node(value + delta))


def _negate_condition(site: _Site) -> Iterator[_Edit]:
    parent, node = site.parent, site.node
    is_test = site.field == "test" and isinstance(parent, (ast.If, ast.While, ast.IfExp))
    is_filter = site.field == "ifs" and isinstance(parent, ast.comprehension)
    if is_test or is_filter:
        yield _edit("negate_condition", site, _negate(node))


def _negate(test: ast.expr) -> ast.expr:
    """``not test``, written as the negated comparison when ``test`` is one comparison.

    ``not a in b`` and ``a not in b`` are the same program; writing it the second way lets
    deduplication see that, and the mutant keeps the label ``compare_negate``.
    """
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return test.operand
    if isinstance(test, ast.Compare) and len(test.ops) == 1 and type(test.ops[0]) in _COMPARE_NEGATE:
        return _with(test, ops=[_COMPARE_NEGATE[type(test.ops[0])]()])
    return ast.UnaryOp(ast.Not(), test)


def _remove_statement(site: _Site) -> Iterator[_Edit]:
    node = site.node
    if (
        isinstance(node, ast.stmt)
        and not isinstance(node, ast.Pass)
        and not _is_inert(node)
        and site.index is not None
        and not isinstance(site.parent, ast.Module)  # the mutated function itself stays
    ):
        yield _edit("remove_statement", site, [], f"remove {_snippet(node)!r}")


def _remove_branch(site: _Site) -> Iterator[_Edit]:
    node = site.node
    if isinstance(node, ast.If):
        if node.orelse:
            kind = "elif" if len(node.orelse) == 1 and isinstance(node.orelse[0], ast.If) else "else"
            description = f"drop the {kind} of 'if {_snippet(node.test)}'"
            yield _edit("remove_branch", site, _with(node, orelse=[]), description)
        yield _edit("remove_branch", site, list(node.body), f"'if {_snippet(node.test)}' -> its body, always")
    elif isinstance(node, ast.IfExp):
        yield _edit("remove_branch", site, node.body)
        yield _edit("remove_branch", site, node.orelse)


def _slice_bound(site: _Site) -> Iterator[_Edit]:
    node = site.node
    if not isinstance(node, ast.Slice):
        return
    for field in ("lower", "upper"):
        bound = getattr(node, field)
        if bound is None:
            continue
        value = _int_literal(bound)
        if value is not None:
            moved = [_int_node(value + 1), _int_node(value - 1)]
        else:
            moved = [ast.BinOp(bound, ast.Add(), ast.Constant(1)), ast.BinOp(bound, ast.Sub(), ast.Constant(1))]
        dropped = [] if field == "lower" and value == 0 else [None]  # s[0:] is s[:]
        for new_bound in (*moved, *dropped):
            yield _edit("slice_bound", site, _with(node, **{field: new_bound}))


def _early_return(site: _Site) -> Iterator[_Edit]:
    function = site.node
    if not isinstance(function, _FUNCTIONS):
        return
    first = _first_code_index(function)
    if first >= len(function.body):
        return
    statement = function.body[first]
    already = ast.unparse(statement.value) if isinstance(statement, ast.Return) and statement.value else None
    slot = _Site(function, "body", first, statement, statement.lineno)
    for value in _stub_values(function):
        if value != already:  # `return 0` before `return 0` is the original program
            returned = ast.Return(ast.parse(value, mode="eval").body)
            description = f"insert 'return {value}' first in {function.name}"
            yield _edit("early_return", slot, [returned, statement], description)


def _first_code_index(function: ast.FunctionDef) -> int:
    """Index of the first statement after the docstring and any leading imports or bare strings."""
    index = 0
    body = function.body
    while index < len(body) and (isinstance(body[index], (ast.Import, ast.ImportFrom)) or _is_inert(body[index])):
        index += 1
    return index


def _stub_values(function: ast.FunctionDef) -> list[str]:
    """Sources of the values a lazy stub of ``function`` might return, without repeats.

    The empty value(s) of the annotated return type, each literal that one of the function's own
    ``return`` statements returns (the stub that always takes that branch), and the first
    parameter unchanged; ``None`` only when none of these exists (otherwise it mostly repeats what
    removing the final ``return`` does).
    """
    values = list(_EMPTY_VALUES.get(_annotation_name(function.returns), ()))
    values += [ast.unparse(node.value) for node in _own_returns(function) if _is_literal(node.value)]
    parameters = function.args.posonlyargs + function.args.args
    if parameters:
        values.append(parameters[0].arg)
    return list(dict.fromkeys(values)) or ["None"]


def _annotation_name(annotation: ast.expr | None) -> str:
    """The (base) name of a return annotation: ``List[int]`` -> ``List``; '' when there is none."""
    base = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    if isinstance(base, ast.Attribute):  # typing.List
        return base.attr
    if isinstance(base, ast.Name):
        return base.id
    if isinstance(base, ast.Constant) and base.value is None:
        return "None"
    return ""


def _own_returns(function: ast.FunctionDef) -> Iterator[ast.Return]:
    """The function's ``return`` statements with a value, in source order, not those of nested functions."""
    pending: list[ast.AST] = list(reversed(function.body))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.Return) and node.value is not None:
            yield node
        if not isinstance(node, (*_FUNCTIONS, ast.Lambda, ast.ClassDef)):
            pending.extend(reversed(list(ast.iter_child_nodes(node))))


def _is_literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


# Per node, specific operators first, so that a collision is labelled with the more specific one.
_GENERATORS: tuple[Callable[[_Site], Iterator[_Edit]], ...] = (
    _arith_swap,
    _compare_swaps("compare_boundary", _COMPARE_BOUNDARY),
    _compare_swaps("compare_negate", _COMPARE_NEGATE),
    _logic_swap,
    _constant_shift,
    _negate_condition,
    _remove_branch,
    _slice_bound,
    _early_return,
    _remove_statement,
)
