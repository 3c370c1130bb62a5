"""Trusted property checks: tests whose correct output is not one value but any value with a property.

A check runs in the trusted parent on the decoded output (plain data), never in the untrusted
process. Register a check by name here and name it in ``Test.check``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from execrl.sandbox.codec import hash_flooded
from execrl.sandbox.compare import member_key

PropertyCheck = Callable[[tuple[Any, ...], Any, Any, float], bool]  # (args, output, expected, atol)


def polynomial_root(args: tuple[Any, ...], output: Any, expected: Any, atol: float) -> bool:
    """HumanEval/32 ``find_zero(xs)``: any finite x with ``|poly(xs, x)| <= atol`` is correct.

    ``poly`` is evaluated as the task's prompt defines it (``math.pow`` terms summed left to right in
    floating point), which is what HumanEval's and EvalPlus's checks apply. Exact summation would be
    stricter than the task: on ill-conditioned plus inputs it rejects EvalPlus's own reference."""
    if type(output) not in (int, float) or len(args) != 1:
        return False
    try:
        output = float(output)  # an int beyond a float's range is no root of a float polynomial
    except OverflowError:
        return False
    if not math.isfinite(output):
        return False
    coefficients = args[0]
    if type(coefficients) not in (list, tuple) or any(type(c) not in (int, float) for c in coefficients):
        return False
    try:
        value = sum([c * math.pow(output, i) for i, c in enumerate(coefficients)])
    except (OverflowError, ValueError):
        return False
    return math.isfinite(value) and abs(value) <= atol


def same_elements(args: tuple[Any, ...], output: Any, expected: Any, atol: float) -> bool:
    """MBPP+ tasks whose answer is a collection in no set order (Mbpp/2 ``similar_elements``, ...):
    the output's elements as a set equal the expected ones, as EvalPlus compares them (``2 == 2.0``),
    except that ``True`` is not ``1`` (``compare.member_key``)."""
    kinds = (list, tuple, set, frozenset)
    if type(output) not in kinds or type(expected) not in kinds:
        return False
    try:
        members = [member_key(v) for v in output]
        return not hash_flooded(members) and set(members) == {member_key(v) for v in expected}
    except TypeError:  # unhashable elements
        return False


PROPERTY_CHECKS: dict[str, PropertyCheck] = {
    "polynomial_root": polynomial_root,
    "same_elements": same_elements,
}
