"""Strict, type-aware comparison of a decoded output with its expected value (trusted side only).

``True`` is not ``1``, ``1`` is not ``1.0`` (unless the task allows int/float equivalence), a tuple is
not a list, a set is not a frozenset. Floats match within ``atol`` (EvalPlus's per-task absolute
tolerance); nan matches nan; ``-0.0`` matches ``0.0`` as it does under ``==``. Containers match
element by element under the same rules.
"""

from __future__ import annotations

import math
from typing import Any

_NUMBER = (int, float)


def outputs_equal(actual: Any, expected: Any, atol: float = 0.0, int_float_equal: bool = False) -> bool:
    """True iff ``actual`` matches ``expected`` under the strict rules above."""
    ta, te = type(actual), type(expected)
    if ta is not te:
        if int_float_equal and ta in _NUMBER and te in _NUMBER:
            return _mixed_equal(actual, expected, atol)
        return False
    if te is float:
        return _floats_equal(actual, expected, atol)
    if te in (list, tuple):
        return len(actual) == len(expected) and all(
            outputs_equal(a, e, atol, int_float_equal) for a, e in zip(actual, expected)
        )
    if te is dict:
        if len(actual) != len(expected):
            return False
        actual_by_key = {strict_key(k): v for k, v in actual.items()}
        for key, value in expected.items():
            skey = strict_key(key)
            if skey not in actual_by_key or not outputs_equal(actual_by_key[skey], value, atol, int_float_equal):
                return False
        return True
    if te in (set, frozenset):
        return {strict_key(v) for v in actual} == {strict_key(v) for v in expected}
    return actual == expected  # None, bool, int, str, bytes: exact


def _mixed_equal(actual: int | float, expected: int | float, atol: float) -> bool:
    """An int against a float: exact first (Python compares them exactly, whatever their size)."""
    if actual == expected:
        return True
    if atol == 0:
        return False
    try:
        return abs(actual - expected) <= atol  # nan gives False
    except OverflowError:  # an int too large for a float is never within atol of one
        return False


def _floats_equal(actual: float, expected: float, atol: float) -> bool:
    if math.isnan(expected) or math.isnan(actual):
        return math.isnan(expected) and math.isnan(actual)
    if math.isinf(expected) or math.isinf(actual):
        return actual == expected
    return actual == expected or abs(actual - expected) <= atol


def strict_key(value: Any) -> Any:
    """A hashable stand-in for ``value`` that keeps its type: ``strict_key(True) != strict_key(1)``."""
    kind = type(value)
    if kind in (tuple, frozenset):
        items = tuple(strict_key(v) for v in value)
        return (kind.__name__, items if kind is tuple else frozenset(items))
    if kind is float and math.isnan(value):
        return ("float", "nan")
    if kind is float and value == 0.0:
        return ("float", 0.0)  # -0.0 and 0.0 are one key, as in a Python set
    return (kind.__name__, value)


def json_shape(value: Any) -> Any:
    """``value`` as a JSON round trip would return it: tuples become lists, recursively."""
    kind = type(value)
    if kind in (list, tuple):
        return [json_shape(v) for v in value]
    if kind is dict:
        return {k: json_shape(v) for k, v in value.items()}
    return value
