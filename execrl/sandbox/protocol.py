"""Frames on the pipe from the untrusted process to the trusted parent.

Each frame is a 4-byte little-endian length and a JSON array, compact and ASCII (no whitespace).
In order, the untrusted side sends: ``["parsed"]``, ``["loaded"]``, then per test i one of
``["value", i, <codec value>]``, ``["raise", i, type, message]`` or
``["unserialisable", i, message]``, and finally
``["end", cpu_seconds]`` (its own CPU time, informational only: the CPU limit is the kernel's; a
number that is not finite and non-negative is a protocol error).
A program that fails to parse or load sends ``["load_error", stage, type, message]`` instead.
The parent trusts none of it: frames out of order, of unknown shape or over the cap end the job,
and every test without a valid frame fails. What the parent builds from a job's frames is bounded
too: at most MAX_VALUES JSON arrays, objects and commas in all, counted in the raw bytes
before any is parsed, so that no output, however shaped, makes the parent build more than that
many containers (see ``tests/test_protocol.py`` for the memory this bounds).
"""

from __future__ import annotations

import json
import math
import struct
from typing import Any

from execrl.sandbox import codec

HEADER = struct.Struct("<I")
MESSAGE_CHARS = 500
PIPE_READ = 1 << 16  # bytes per pipe read: a pipe's default capacity; a larger buffer costs an mmap per read
# JSON values a job's frames may hold in all, counted as their arrays, objects and commas (a bound on
# every value JSON's parser builds; a comma inside a string counts too). The largest honest test set
# (MBPP+'s and HumanEval+'s inputs, which outputs do not outgrow) holds about 42,000 values per task,
# about three of these each.
MAX_VALUES = 1 << 18
_STRUCTURE = (b"[", b"{", b",")


class ProtocolError(ValueError):
    """The untrusted side broke the protocol; what it reported so far still counts, nothing more."""


# Made once: json.dumps with any non-default argument builds an encoder per call, which is a third
# of a frame's cost, paid for every test inside the job's process.
_ENCODER = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"))


def pack_frame(message: list[Any]) -> bytes:
    body = _ENCODER.encode(message).encode("ascii")
    return HEADER.pack(len(body)) + body


class Report:
    """What the untrusted process reported, validated frame by frame. (A plain class, not a
    dataclass: the worker imports this module, and dataclasses would add 1.2 MB to its image.)"""

    def __init__(self, n_tests: int) -> None:
        self.n_tests = n_tests
        self.parsed = False
        self.loaded = False
        self.load_error: tuple[str, str, str] | None = None  # (stage, type, message)
        self.results: list[tuple] = []  # ("value", v) | ("raise", type, msg) | ("unserialisable", msg)
        self.ended = False
        self.reported_cpu_s: float | None = None
        self.protocol_error: str | None = None
        self.over_budget = False  # more than MAX_VALUES arrays: the parent stops reading, as at the output cap
        self._values_left = MAX_VALUES
        self._buffer = bytearray()

    def feed(self, data: bytes) -> None:
        """Consume bytes from the pipe; complete frames update the report."""
        if self.ended or self.protocol_error or self.over_budget:
            return
        buffer = self._buffer
        buffer += data
        position, size = 0, len(buffer)
        try:
            while size - position >= HEADER.size and not self.ended:
                (length,) = HEADER.unpack_from(buffer, position)
                end = position + HEADER.size + length
                if end > size:
                    break
                self._values_left -= sum(buffer.count(c, position + HEADER.size, end) for c in _STRUCTURE)
                if self._values_left < 0:
                    self.over_budget = True
                    buffer.clear()
                    return
                self._apply(_parse(buffer[position + HEADER.size : end]))
                position = end
        except ProtocolError as exc:
            self.protocol_error = str(exc)
            buffer.clear()
            return
        del buffer[:position]

    def _apply(self, message: list[Any]) -> None:
        kind = message[0]
        if kind in ("value", "raise", "unserialisable") and self.loaded:
            self._apply_result(kind, message)
        elif kind == "parsed" and len(message) == 1 and not self.parsed:
            self.parsed = True
        elif kind == "loaded" and len(message) == 1 and self.parsed and not self.loaded:
            self.loaded = True
        elif kind == "load_error" and len(message) == 4 and not self.loaded and _all_str(message[1:]):
            if message[1] not in ("parse", "load"):
                raise ProtocolError("unknown load stage")
            self.load_error = (message[1], message[2][:MESSAGE_CHARS], message[3][:MESSAGE_CHARS])
            self.ended = True
        elif kind == "end" and len(message) == 2 and _cpu_seconds(message[1]):
            self.ended = True
            self.reported_cpu_s = message[1]
        else:
            raise ProtocolError(f"unexpected frame {kind!r}")

    def _apply_result(self, kind: str, message: list[Any]) -> None:
        index = message[1] if len(message) > 1 else None
        if type(index) is not int or index != len(self.results) or index >= self.n_tests:
            raise ProtocolError("result frame out of order")
        if kind == "value" and len(message) == 3:
            try:
                self.results.append(("value", codec.decode_node(message[2])))
            except codec.Malformed as exc:
                self.results.append(("unserialisable", f"malformed value: {exc}"))
        elif kind == "raise" and len(message) == 4 and _all_str(message[2:]):
            self.results.append(("raise", message[2][:MESSAGE_CHARS], message[3][:MESSAGE_CHARS]))
        elif kind == "unserialisable" and len(message) == 3 and type(message[2]) is str:
            self.results.append(("unserialisable", message[2][:MESSAGE_CHARS]))
        else:
            raise ProtocolError(f"malformed {kind!r} frame")


_DECODER = json.JSONDecoder()


def _parse(body: bytearray) -> list[Any]:
    try:
        text = body.decode("ascii")  # the sender escapes everything to ASCII
        message, end = _DECODER.raw_decode(text)  # not decode(): its whitespace regexes cost, and no frame has any
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(f"frame is not JSON: {type(exc).__name__}") from None
    if end != len(text):
        raise ProtocolError("frame is not JSON: bytes after the value")
    if type(message) is not list or not message or type(message[0]) is not str:
        raise ProtocolError("frame is not a tagged list")
    return message


def _cpu_seconds(value: Any) -> bool:
    # JSON's parser reads 1e999 as inf and NaN as nan: neither may reach a verdict, which is JSON too
    return type(value) is float and math.isfinite(value) and value >= 0


def _all_str(values: list[Any]) -> bool:
    return all(type(v) is str for v in values)
