"""Plain-data codec for values that cross the sandbox boundary.

The untrusted process may return only plain data: None, bool, int, float (nan and inf included),
str, bytes, list, tuple, dict, set and frozenset, nested. Types are checked exactly (``type(x) is
int``), so a subclass with a forged ``__eq__``, ``__hash__`` or ``__repr__`` cannot cross: it is
unserialisable, and an unserialisable output fails its test. The standard library's dict types
(Counter, OrderedDict, defaultdict) cross as plain dicts, read with ``dict.items``, which no
method of theirs can change; the comparison is then the one ``==`` makes between them and a dict. The wire form is JSON of tagged lists,
which the trusted side parses with the standard library's JSON parser and rebuilds with exact types.
"""

from __future__ import annotations

import json
from collections import Counter, OrderedDict, defaultdict
from typing import Any

MAX_DEPTH = 100
MAX_COLLISIONS = 64
DICT_TYPES = (dict, Counter, OrderedDict, defaultdict)  # exact types; a subclass of these is refused


class Unserialisable(TypeError):
    """A value of a type that may not cross the sandbox boundary."""


class Malformed(ValueError):
    """Bytes that are not a valid encoding (the untrusted side wrote garbage)."""


def encode(value: Any) -> Any:
    """Tag ``value`` into JSON-compatible lists; raise Unserialisable for anything but plain data."""
    return _encode(value, 0)


def _encode(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise Unserialisable(f"nested deeper than {MAX_DEPTH}")
    kind = type(value)
    if value is None:
        return ["N"]
    if kind is bool:
        return ["B", value]
    if kind is int:
        return ["I", format(value, "x")]  # hex: no int-to-str digit limit, exact for any size
    if kind is float:
        return ["F", value.hex()]  # exact, and covers nan, inf and -0.0
    if kind is str:
        return ["S", value]
    if kind is bytes:
        return ["Y", value.hex()]
    if kind is list or kind is tuple:
        return ["L" if kind is list else "T", [_encode(v, depth + 1) for v in value]]
    if kind is set or kind is frozenset:
        return ["E" if kind is set else "Z", [_encode(v, depth + 1) for v in value]]
    if kind in DICT_TYPES:
        return ["D", [[_encode(k, depth + 1), _encode(v, depth + 1)] for k, v in dict.items(value)]]
    raise Unserialisable(f"values of type {kind.__name__} cannot be returned from the sandbox")


def dumps(value: Any) -> bytes:
    return json.dumps(encode(value), ensure_ascii=True, separators=(",", ":")).encode("ascii")


def loads(data: bytes) -> Any:
    """Rebuild a value from untrusted bytes; anything malformed raises Malformed, never more."""
    try:
        node = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise Malformed(f"not JSON: {type(exc).__name__}") from None
    return decode_node(node)


def decode_node(node: Any) -> Any:
    """Rebuild a value from an already parsed (untrusted) JSON node."""
    try:
        return _decode(node, 0)
    except Malformed:
        raise
    except (ValueError, TypeError, KeyError, IndexError, RecursionError, OverflowError, MemoryError) as exc:
        raise Malformed(f"not a valid encoding: {type(exc).__name__}") from None


def _decode(node: Any, depth: int) -> Any:
    if depth > MAX_DEPTH or type(node) is not list or not node or type(node[0]) is not str:
        raise Malformed("bad node")
    tag = node[0]
    if tag == "N" and len(node) == 1:
        return None
    if len(node) != 2:
        raise Malformed("bad node")
    payload = node[1]
    if tag == "B" and type(payload) is bool:
        return payload
    if tag == "I" and type(payload) is str:
        return int(payload, 16)
    if tag == "F" and type(payload) is str:
        return float.fromhex(payload)
    if tag == "S" and type(payload) is str:
        return payload
    if tag == "Y" and type(payload) is str:
        return bytes.fromhex(payload)
    if type(payload) is not list:
        raise Malformed("bad node")
    if tag in ("L", "T", "E", "Z"):
        items = [_decode(v, depth + 1) for v in payload]
        if tag in ("E", "Z"):
            _refuse_hash_flooding(items)
        return {"L": list, "T": tuple, "E": set, "Z": frozenset}[tag](items)
    if tag == "D":
        pairs = [_pair(p, depth) for p in payload]
        _refuse_hash_flooding([k for k, _ in pairs])
        return dict(pairs)
    raise Malformed(f"unknown tag {tag!r}")


def _pair(pair: Any, depth: int) -> tuple[Any, Any]:
    if type(pair) is not list or len(pair) != 2:
        raise Malformed("bad dict item")
    return _decode(pair[0], depth + 1), _decode(pair[1], depth + 1)


def _refuse_hash_flooding(keys: list[Any]) -> None:
    if hash_flooded(keys):
        raise Malformed("too many hash collisions")


def hash_flooded(keys: list[Any]) -> bool:
    """Integers (and tuples of them) have predictable hashes: thousands of keys crafted to collide
    would make building a set or dict of them in the trusted parent quadratic, stalling the
    harness. Counting distinct hashes is linear (the hashes are distinct ints, or equal ones), so
    every set or dict built from untrusted values is checked with this first."""
    return len(keys) > MAX_COLLISIONS and len(keys) - len({hash(k) for k in keys}) > MAX_COLLISIONS
