"""Strict, type-aware comparison of a decoded output with its expected value (trusted side only).

``True`` is not ``1``, ``1`` is not ``1.0`` (unless the task allows int/float equivalence), a tuple is
not a list, a set is not a frozenset. Floats match within ``atol`` (EvalPlus's per-task absolute
tolerance); nan matches nan; ``-0.0`` matches ``0.0`` as it does under ``==``. Containers match
element by element under the same rules; a set's members and a dict's keys match as multisets of
these keys, so that two nan members (which a set keeps apart) need two nan members.

Every set or dict built here from an output is checked for hash flooding first
(``codec.hash_flooded``): a comparison costs time linear in the output's size.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from typing import Any

from execrl.sandbox.codec import hash_flooded

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
        return _dicts_equal(actual, expected, atol, int_float_equal)
    if te in (set, frozenset):
        return same_multiset([strict_key(v) for v in actual], [strict_key(v) for v in expected])
    return actual == expected  # None, bool, int, str, bytes: exact


def same_multiset(actual_keys: list[Any], expected_keys: list[Any]) -> bool:
    """Equal as multisets; an output whose keys are crafted to collide in hash matches nothing."""
    if len(actual_keys) != len(expected_keys) or hash_flooded(actual_keys):
        return False
    return Counter(actual_keys) == Counter(expected_keys)


def _dicts_equal(actual: dict, expected: dict, atol: float, int_float_equal: bool) -> bool:
    """Keys as a multiset of strict keys, each expected value matched by a distinct actual value
    under the same key (only nan keys can share one: a dict keeps distinct nan objects apart)."""
    actual_keys = [strict_key(k) for k in actual]
    if len(actual) != len(expected) or hash_flooded(actual_keys):
        return False
    by_key: defaultdict[Any, list[Any]] = defaultdict(list)
    for key, value in zip(actual_keys, actual.values()):
        by_key[key].append(value)
    for key, value in expected.items():
        candidates = by_key.get(strict_key(key))
        match = next((i for i, c in enumerate(candidates or ()) if outputs_equal(c, value, atol, int_float_equal)), None)
        if match is None:
            return False
        candidates.pop(match)
    return True


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


def member_key(value: Any) -> Any:
    """A hashable stand-in for a collection's member under Python's equality of numbers (``2 == 2.0``)
    but not of booleans (``True`` is not ``1``): how a set-valued answer's members match."""
    kind = type(value)
    if kind in (tuple, frozenset):
        items = tuple(member_key(v) for v in value)
        return (kind.__name__, items if kind is tuple else frozenset(items))
    if kind in _NUMBER:
        return ("number", "nan") if kind is float and math.isnan(value) else ("number", value)
    return (kind.__name__, value)


def json_shape(value: Any) -> Any:
    """``value`` as a JSON round trip would return it: tuples become lists, recursively."""
    kind = type(value)
    if kind in (list, tuple):
        return [json_shape(v) for v in value]
    if kind is dict:
        return {k: json_shape(v) for k, v in value.items()}
    return value
