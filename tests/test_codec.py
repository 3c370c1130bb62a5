"""The plain-data codec: exact round trips, exact types, and refusal of anything else."""

import collections
import json
import math
import sys

import pytest

from execrl.sandbox import codec
from execrl.sandbox.codec import MAX_COLLISIONS, MAX_DEPTH, Malformed, Unserialisable


def typed(value):
    """A hashable fingerprint of ``value`` that records every type exactly (independent of the
    library): float by its hex form, so nan, inf and the sign of -0.0 all show."""
    kind = type(value)
    if kind is float:
        return ("float", value.hex())
    if kind in (list, tuple):
        return (kind.__name__, tuple(typed(v) for v in value))
    if kind in (set, frozenset):
        return (kind.__name__, frozenset(typed(v) for v in value))
    if kind is dict:
        return ("dict", frozenset((typed(k), typed(v)) for k, v in value.items()))
    return (kind.__name__, value)


def roundtrip(value):
    return codec.loads(codec.dumps(value))


def nested_lists(levels, inner=0):
    value = inner
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -1,
        -(10**5000) + 7,  # beyond int-to-str's digit limit
        2**4000,
        1.5,
        -2.75e-300,
        5e-324,
        float("inf"),
        float("-inf"),
        "",
        "héllo ✓ \n\"\\",
        "\ud800",  # lone surrogate
        b"",
        bytes(range(256)),
        [],
        [1, "a", None],
        (),
        (1, (2, (3,))),
        {},
        {1: "int key", (1, 2): "tuple key", None: 0, b"k": 1.5, frozenset({1}): [2]},
        set(),
        {1, "a", (2, 3)},
        frozenset({1, frozenset({2})}),
        {"a": [(1, {2}), {"b": frozenset({b"x"})}], "c": ({3: None},)},
    ],
    ids=lambda value: type(value).__name__,
)
def test_round_trip_is_exact(value):
    assert typed(roundtrip(value)) == typed(value)


def test_nan_round_trips_to_nan():
    result = roundtrip(float("nan"))
    assert type(result) is float and math.isnan(result)


def test_negative_zero_keeps_its_sign():
    result = roundtrip(-0.0)
    assert result == 0.0 and math.copysign(1.0, result) == -1.0


def test_tuple_stays_tuple_and_list_stays_list():
    result = roundtrip([(1, 2), [3]])
    assert type(result) is list and type(result[0]) is tuple and type(result[1]) is list


def test_bool_stays_bool_and_is_not_int():
    result = roundtrip([True, 1, False, 0])
    assert [type(v) for v in result] == [bool, int, bool, int]


def test_set_stays_set_and_frozenset_stays_frozenset():
    result = roundtrip(({1}, frozenset({1})))
    assert type(result[0]) is set and type(result[1]) is frozenset


def test_dict_keeps_non_string_keys():
    result = roundtrip({1: "a", 2.5: "b", (1, 2): "c", None: "d"})
    assert {type(k) for k in result} == {int, float, tuple, type(None)}
    assert result[1] == "a" and result[2.5] == "b" and result[(1, 2)] == "c" and result[None] == "d"


class IntSub(int):
    pass


class StrSub(str):
    pass


class ListSub(list):
    pass


class FloatSub(float):
    pass


class EqualsEverything:
    def __eq__(self, other):
        return True

    def __hash__(self):
        return 0


@pytest.mark.parametrize(
    "value",
    [IntSub(3), StrSub("s"), ListSub([1]), FloatSub(1.0), EqualsEverything(), [1, IntSub(2)], {"k": EqualsEverything()}],
)
def test_subclasses_and_custom_objects_are_unserialisable(value):
    with pytest.raises(Unserialisable):
        codec.encode(value)


def test_unserialisable_is_not_silently_dropped_inside_sets():
    with pytest.raises(Unserialisable):
        codec.dumps({1, IntSub(2)})


def test_nesting_within_limit_is_accepted():
    value = nested_lists(MAX_DEPTH - 5)
    assert typed(roundtrip(value)) == typed(value)


def test_encoding_refuses_nesting_deeper_than_max_depth():
    with pytest.raises(Unserialisable):
        codec.encode(nested_lists(MAX_DEPTH + 5))


def test_decoding_refuses_nesting_deeper_than_max_depth():
    node = ["I", "0"]
    for _ in range(MAX_DEPTH + 5):
        node = ["L", [node]]
    with pytest.raises(Malformed):
        codec.loads(json.dumps(node).encode())


def test_decoding_json_too_deep_for_the_parser_is_malformed():
    with pytest.raises(Malformed):
        codec.loads(b"[" * 200_000 + b"]" * 200_000)


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"",
        b"\xff\xfe\x00garbage",
        b"[\"I\", \"1\"",  # truncated
        b"null",
        b"{}",
        b"[]",
        b"[1, 2]",  # tag not a string
        b"[\"Q\", []]",  # unknown tag
        b"[\"Q\"]",
        b"[\"N\", 1]",  # wrong arity
        b"[\"I\"]",
        b"[\"I\", \"1\", \"2\"]",
        b"[\"B\", 1]",  # payload of the wrong type
        b"[\"I\", 1]",
        b"[\"S\", 5]",
        b"[\"L\", {}]",
        b"[\"D\", [[[\"N\"]]]]",  # dict item with one element
        b"[\"D\", [1]]",
        b"[\"E\", [[\"L\", []]]]",  # unhashable set member
        b"[\"Z\", [[\"D\", []]]]",
        b"[\"D\", [[[\"L\", []], [\"N\"]]]]",  # unhashable dict key
        b"[\"I\", \"xyz\"]",  # bad hex
        b"[\"I\", \"\"]",
        b"[\"Y\", \"abc\"]",
        b"[\"Y\", \"zz\"]",
        b"[\"F\", \"not a float\"]",
        b"[\"F\", \"0x1p99999999\"]",  # overflows
    ],
)
def test_malformed_input_raises_malformed_only(data):
    with pytest.raises(Malformed):
        codec.loads(data)


def test_malformed_is_a_value_error_not_unserialisable():
    with pytest.raises(Malformed) as info:
        codec.loads(b"[\"Q\", []]")
    assert isinstance(info.value, ValueError) and not isinstance(info.value, Unserialisable)


def test_decode_node_rejects_non_list_nodes():
    with pytest.raises(Malformed):
        codec.decode_node({"N": None})


MODULUS = 2**61 - 1  # the modulus of Python's int hash on 64-bit builds
COUNT = 4 * MAX_COLLISIONS


def test_hash_modulus_assumption_holds():
    assert sys.hash_info.modulus == MODULUS
    assert len({hash(k * MODULUS) for k in range(1, COUNT + 1)}) == 1


def _ints(values):
    return [["I", format(v, "x")] for v in values]


def test_set_of_colliding_ints_is_refused():
    node = ["E", _ints(k * MODULUS for k in range(1, COUNT + 1))]
    with pytest.raises(Malformed):
        codec.loads(json.dumps(node).encode())


def test_frozenset_of_colliding_ints_is_refused():
    node = ["Z", _ints(k * MODULUS for k in range(1, COUNT + 1))]
    with pytest.raises(Malformed):
        codec.decode_node(node)


def test_dict_with_colliding_int_keys_is_refused():
    node = ["D", [[key, ["N"]] for key in _ints(k * MODULUS for k in range(1, COUNT + 1))]]
    with pytest.raises(Malformed):
        codec.loads(json.dumps(node).encode())


def test_same_number_of_distinct_hash_ints_is_accepted():
    values = set(range(1, COUNT + 1))
    assert codec.decode_node(["E", _ints(values)]) == values
    decoded = codec.decode_node(["D", [[key, ["N"]] for key in _ints(values)]])
    assert decoded == dict.fromkeys(values)


def test_a_few_colliding_ints_are_accepted():
    values = {k * MODULUS for k in range(1, 9)}
    assert codec.decode_node(["E", _ints(values)]) == values


class ForgedCounter(collections.Counter):
    def __eq__(self, other):
        return True

    def items(self):
        return [("forged", 1)]


def test_standard_dict_types_cross_as_plain_dicts_read_from_their_data():
    value = {"c": collections.Counter("aab"), "o": collections.OrderedDict(x=1), "d": collections.defaultdict(int, y=2)}
    back = roundtrip(value)
    assert back == {"c": {"a": 2, "b": 1}, "o": {"x": 1}, "d": {"y": 2}}
    assert all(type(v) is dict for v in back.values())
    with pytest.raises(Unserialisable):  # a subclass of them is refused like any other
        codec.encode(ForgedCounter("ab"))
