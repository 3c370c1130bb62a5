"""The strict, type-aware comparator of outputs with expected values."""

import time

import pytest

from execrl.sandbox.compare import json_shape, outputs_equal, strict_key
from execrl.sandbox.properties import same_elements

NAN = float("nan")
INF = float("inf")


# --- numbers -------------------------------------------------------------------------------------


def test_true_is_not_one():
    assert not outputs_equal(True, 1)
    assert not outputs_equal(1, True)
    assert not outputs_equal(False, 0)


def test_int_is_not_float_by_default():
    assert not outputs_equal(1, 1.0)
    assert not outputs_equal(1.0, 1)


def test_int_matches_float_when_allowed():
    assert outputs_equal(1, 1.0, int_float_equal=True)
    assert outputs_equal(2.0, 2, int_float_equal=True)
    assert not outputs_equal(1, 1.5, int_float_equal=True)


def test_int_float_equivalence_respects_atol():
    assert outputs_equal(1, 1.25, atol=0.5, int_float_equal=True)
    assert not outputs_equal(1, 2.0, atol=0.5, int_float_equal=True)


def test_bool_never_matches_a_number_even_when_int_float_allowed():
    assert not outputs_equal(True, 1, int_float_equal=True)
    assert not outputs_equal(True, 1.0, int_float_equal=True)
    assert not outputs_equal(1.0, True, int_float_equal=True)
    assert not outputs_equal(False, 0.0, atol=1.0, int_float_equal=True)


def test_same_type_scalars_compare_exactly():
    assert outputs_equal(3, 3) and not outputs_equal(3, 4)
    assert outputs_equal("a", "a") and not outputs_equal("a", "b")
    assert outputs_equal(b"a", b"a") and not outputs_equal(b"a", "a")
    assert outputs_equal(None, None) and not outputs_equal(None, 0)
    assert outputs_equal(True, True) and not outputs_equal(True, False)


def test_nan_equals_nan():
    assert outputs_equal(NAN, NAN)
    assert outputs_equal([NAN], [NAN])


def test_nan_does_not_match_a_number():
    assert not outputs_equal(NAN, 1.0)
    assert not outputs_equal(1.0, NAN, atol=INF)


def test_negative_zero_equals_zero():
    assert outputs_equal(-0.0, 0.0)
    assert outputs_equal(0.0, -0.0)


def test_infinities():
    assert outputs_equal(INF, INF)
    assert outputs_equal(-INF, -INF)
    assert not outputs_equal(INF, -INF)
    assert not outputs_equal(INF, 1e308, atol=1e308)
    assert not outputs_equal(1e308, INF, atol=1e308)


def test_floats_are_exact_without_atol():
    assert not outputs_equal(0.1 + 0.2, 0.3)


def test_atol_inside():
    assert outputs_equal(1.25, 1.0, atol=0.5)
    assert outputs_equal(0.1 + 0.2, 0.3, atol=1e-9)


def test_atol_on_the_boundary_matches():
    assert outputs_equal(1.5, 1.0, atol=0.5)
    assert outputs_equal(0.5, 1.0, atol=0.5)


def test_atol_outside():
    assert not outputs_equal(1.75, 1.0, atol=0.5)
    assert not outputs_equal(0.25, 1.0, atol=0.5)


# --- containers ----------------------------------------------------------------------------------


def test_nested_containers_compare_element_wise_with_atol():
    expected = [1.0, (2.0, {"k": [3.0]})]
    assert outputs_equal([1.25, (2.25, {"k": [3.5]})], expected, atol=0.5)
    assert not outputs_equal([1.25, (2.25, {"k": [3.75]})], expected, atol=0.5)


def test_nested_bool_is_not_int():
    assert not outputs_equal([1, (True,)], [1, (1,)])
    assert not outputs_equal({"a": [True]}, {"a": [1]}, int_float_equal=True)


def test_nested_int_float_follows_the_flag():
    assert not outputs_equal([1, [2]], [1.0, [2.0]])
    assert outputs_equal([1, [2]], [1.0, [2.0]], int_float_equal=True)


def test_list_is_not_tuple():
    assert not outputs_equal([1, 2], (1, 2))
    assert not outputs_equal((1, 2), [1, 2])
    assert not outputs_equal([[1]], [(1,)])


def test_set_is_not_frozenset():
    assert not outputs_equal({1}, frozenset({1}))
    assert not outputs_equal(frozenset({1}), {1})


def test_sets_compare_by_members():
    assert outputs_equal({1, 2, 3}, {3, 2, 1})
    assert not outputs_equal({1, 2}, {1, 3})
    assert outputs_equal(frozenset({(1, "a"), None}), frozenset({None, (1, "a")}))


def test_set_members_have_strict_types():
    assert not outputs_equal({1}, {True})
    assert not outputs_equal({True}, {1})
    assert not outputs_equal({1}, {1.0})
    assert not outputs_equal({(1, 2)}, {(True, 2)})
    assert not outputs_equal({frozenset({1})}, {frozenset({True})})


def test_frozenset_members_have_strict_types():
    assert not outputs_equal(frozenset({1}), frozenset({True}))
    assert not outputs_equal(frozenset({1, 2}), frozenset({1.0, 2}))
    assert outputs_equal(frozenset({1, 2}), frozenset({2, 1}))


def test_set_with_nan_and_negative_zero():
    assert outputs_equal({NAN}, {NAN})
    assert outputs_equal({-0.0}, {0.0})


def test_dict_compares_values_by_key():
    assert outputs_equal({"a": 1, "b": 2}, {"b": 2, "a": 1})
    assert not outputs_equal({"a": 1, "b": 2}, {"a": 1, "b": 3})
    assert not outputs_equal({"a": 1, "c": 2}, {"a": 1, "b": 2})


def test_dict_keys_have_strict_types():
    assert not outputs_equal({1: "a"}, {True: "a"})
    assert not outputs_equal({True: "a"}, {1: "a"})
    assert not outputs_equal({1: "a"}, {1.0: "a"}, int_float_equal=True)
    assert not outputs_equal({(1,): "a"}, {(True,): "a"})


def test_dict_values_have_strict_types():
    assert not outputs_equal({"a": True}, {"a": 1})
    assert not outputs_equal({"a": [1]}, {"a": (1,)})


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        ([1, 2], [1, 2, 3]),
        ([1, 2, 3], [1, 2]),
        ((), (1,)),
        ({1, 2}, {1}),
        ({1}, {1, 2}),
        ({"a": 1}, {"a": 1, "b": 2}),
        ({"a": 1, "b": 2}, {"a": 1}),
        ("ab", "abc"),
    ],
)
def test_length_mismatch_is_unequal(actual, expected):
    assert not outputs_equal(actual, expected)


def test_empty_containers_match_only_their_own_type():
    assert outputs_equal([], [])
    assert outputs_equal({}, {})
    assert outputs_equal(set(), set())
    assert not outputs_equal([], ())
    assert not outputs_equal(set(), {})


# --- strict_key ----------------------------------------------------------------------------------


def test_strict_key_separates_bool_int_and_float():
    assert strict_key(True) != strict_key(1)
    assert strict_key(1) != strict_key(1.0)
    assert strict_key(False) != strict_key(0.0)


def test_strict_key_is_equal_for_equal_values_of_one_type():
    assert strict_key(7) == strict_key(7)
    assert strict_key("x") == strict_key("x")
    assert strict_key((1, ("a",))) == strict_key((1, ("a",)))


def test_strict_key_unifies_nan_and_signed_zero():
    assert strict_key(NAN) == strict_key(float("nan"))
    assert strict_key(-0.0) == strict_key(0.0)


def test_strict_key_looks_inside_tuples_and_frozensets():
    assert strict_key((1,)) != strict_key((True,))
    assert strict_key(frozenset({1})) != strict_key(frozenset({True}))
    assert strict_key((1,)) != strict_key(frozenset({1}))
    assert strict_key(frozenset({1, 2})) == strict_key(frozenset({2, 1}))


def test_strict_key_is_hashable_for_hashable_values():
    keys = {strict_key(v) for v in (1, True, 1.0, "1", b"1", None, (1, (2,)), frozenset({(1,)}))}
    assert len(keys) == 8


# --- json_shape ----------------------------------------------------------------------------------


def test_json_shape_turns_tuples_into_lists_recursively():
    assert typed_shape(json_shape((1, (2, [3, (4,)])))) == typed_shape([1, [2, [3, [4]]]])


def test_json_shape_converts_dict_values():
    shaped = json_shape({"a": (1, (2,)), "b": [(3,)]})
    assert shaped == {"a": [1, [2]], "b": [[3]]}
    assert type(shaped["a"]) is list and type(shaped["a"][1]) is list and type(shaped["b"][0]) is list


def test_json_shape_keeps_scalars():
    for value in (None, True, 1, 1.5, "s"):
        assert json_shape(value) is value


def test_json_shape_makes_a_tuple_output_match_a_list_expectation():
    assert not outputs_equal((1, (2, 3)), [1, [2, 3]])
    assert outputs_equal(json_shape((1, (2, 3))), [1, [2, 3]])


def typed_shape(value):
    if type(value) in (list, tuple):
        return (type(value).__name__, [typed_shape(v) for v in value])
    return (type(value).__name__, value)


def test_huge_int_against_float_is_unequal_not_an_error():
    assert not outputs_equal(10**400, 1.0, atol=1e-6, int_float_equal=True)
    assert not outputs_equal(1.0, 10**400, atol=1e-6, int_float_equal=True)
    assert not outputs_equal(2**53 + 1, 9007199254740992.0, int_float_equal=True)
    assert outputs_equal(2**53, 9007199254740992.0, int_float_equal=True)


# --- nan members and keys: a set or dict keeps distinct nan objects apart -------------------------


def test_two_nan_members_need_two_nan_members():
    two_nans = {float("nan"), float("nan")}
    assert len(two_nans) == 2
    assert outputs_equal({float("nan"), float("nan")}, two_nans)
    assert not outputs_equal({NAN, "junk"}, two_nans)
    assert not outputs_equal({NAN}, two_nans)


def test_two_nan_keys_need_two_nan_keys_with_their_values():
    expected = {float("nan"): 1, float("nan"): 2}
    assert outputs_equal({float("nan"): 2, float("nan"): 1}, expected)
    assert not outputs_equal({NAN: 1, "junk": 2}, expected)
    assert not outputs_equal({float("nan"): 1, float("nan"): 1}, expected)


# --- hash flooding: every set or dict the comparator builds from an output ------------------------

MODULUS = (1 << 61) - 1  # CPython hashes an int modulo this prime: these all hash to 0
COLLIDING = [MODULUS * i for i in range(1, 30_001)]
DISTINCT = list(range(1, 30_001))


def _seconds(compare) -> float:
    start = time.perf_counter()
    compare()
    return time.perf_counter() - start


@pytest.mark.parametrize("container", [set, frozenset, dict.fromkeys])
def test_a_set_or_dict_of_colliding_members_matches_nothing(container):
    # The codec refuses such an output; the comparator, which builds sets of keys of its own, refuses
    # it too, instead of building them in quadratic time. (Fewer here: the test builds its input.)
    flooded = container(COLLIDING[:2_000])
    assert not outputs_equal(flooded, flooded)
    assert outputs_equal(container(DISTINCT), container(DISTINCT))


def test_a_set_answer_given_as_a_colliding_list_costs_no_more_than_a_plain_one():
    flooded = _seconds(lambda: same_elements((), COLLIDING, [1, 2], 0.0))
    plain = _seconds(lambda: same_elements((), DISTINCT, [1, 2], 0.0))
    assert not same_elements((), COLLIDING, COLLIDING[:1], 0.0)
    assert flooded < 20 * plain + 0.05, (flooded, plain)


def test_a_set_answer_keeps_true_apart_from_one_but_not_two_from_two_point_oh():
    assert not same_elements((), [True, 2.0], [1, 2], 0.0)
    assert not same_elements((), [1, 2], [True, 2], 0.0)
    assert same_elements((), [1, 2.0], [1, 2], 0.0)  # as EvalPlus's set(out) == set(exp)
    assert same_elements((), [(1, True)], [(1.0, True)], 0.0) and not same_elements((), [(1, 1)], [(1, True)], 0.0)
