"""The visible tier: the input/output examples written in a problem's prompt.

Prompts state examples in many forms; each parser below reads one family of them:

- doctests: ``>>> f(x)`` with the output on the following line(s);
- inline: ``f(x) == y``, ``f(x) ==> y``, ``f(x) => y``, ``f(x) -> y``, ``f(x) ➞ y``, ``f(x) = y``,
  ``f(x) returns y``, ``f(x) should return y``, ``f(x) # => y``, and asserts (``assert f(x) == y``);
- assignments: ``For lst = [1, 2] the output should be 3`` (named after the parameters);
- input/output blocks: an ``Input: arr = [1, 2], k = 1`` (or ``Input: [1, 2]``) line, then ``Output: [2]``.

Only calls whose arguments are literals are kept, and only stated outputs that are literals
(``true``/``false``/``null`` read as Python's; a chain such as ``== 1 + 9 = 10`` reads its last value).
When a docstring has an "Example(s)" heading, only the text after it is read (after the last one
that is not numbered, as in "Examples:" after a worked "For example:"), so that definitions such as
``tri(1) = 3`` above the examples are not mistaken for them. The stated outputs are only
checked against the canonical solution; the tier's expected outputs come from the canonical solution.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from typing import Any

_LITERAL_NAMES = {"true": True, "false": False, "True": True, "False": False, "None": None, "null": None}
_SEPARATOR = re.compile(r"\s*(?:#\s*)?(==>|=>|==|->|➞|=|should\s+return|returns?|is)\s*", re.IGNORECASE)
_HEADING = re.compile(r"^\s*(?:for\s+)?examples?\b(?P<number>\s*\d+)?.*$", re.IGNORECASE | re.MULTILINE)
_INPUT_LINE = re.compile(r"^\s*input\s*:\s*(?P<input>.+)$", re.IGNORECASE)
_OUTPUT_LINE = re.compile(r"^\s*output\s*:\s*(?P<output>.+)$", re.IGNORECASE)
_ASSIGNMENT_FORM = re.compile(
    r"\bfor\s+(?P<assignments>\w+\s*=.*?)\s*,?\s*the\s+(?:output|result)\s+should\s+be\s+(?P<output>.+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Example:
    """One example of a prompt: the call's positional arguments and the output the prompt states."""

    args: tuple[Any, ...]
    stated: Any
    form: str  # "doctest", "inline", "assignment" or "input_output"
    text: str  # the line the example was read from, for reports


def parse_examples(prompt: str, entry_point: str, params: list[str] | None = None) -> list[Example]:
    """Every example of ``entry_point`` in the prompt, in order of appearance, without duplicates.

    ``params`` (the entry point's parameter names) lets the assignment form map names to positions;
    by default they are read from the prompt's ``def``."""
    docstring = _docstring_region(prompt, entry_point)
    params = params if params is not None else parameter_names(prompt, entry_point)
    doctests = _doctest_examples(docstring, entry_point)
    if doctests:
        found = doctests
    else:
        region = _after_heading(docstring)
        found = (
            _inline_examples(region, entry_point)
            + _assignment_examples(region, params)
            + _input_output_examples(region, params)
        )
    unique: list[Example] = []
    for example in found:
        if all(repr((e.args, e.stated)) != repr((example.args, example.stated)) for e in unique):
            unique.append(example)
    return unique


def parameter_names(source: str, entry_point: str) -> list[str]:
    """The positional parameter names of ``entry_point`` as the source defines it (last definition)."""
    match = None
    for match in re.finditer(rf"def\s+{re.escape(entry_point)}\s*\((?P<params>[^)]*)\)", source):
        pass
    if match is None:
        return []
    names = []
    for part in match.group("params").split(","):
        name = part.split(":")[0].split("=")[0].strip()
        if name.isidentifier():
            names.append(name)
    return names


def _docstring_region(prompt: str, entry_point: str) -> str:
    """The prompt from the entry point's definition on (the whole prompt if it has none, as in MBPP)."""
    index = prompt.rfind(f"def {entry_point}")
    return prompt[index:] if index >= 0 else prompt


def _after_heading(text: str) -> str:
    headings = list(_HEADING.finditer(text))
    if not headings:
        return text
    unnumbered = [h for h in headings if h.group("number") is None]
    return text[(unnumbered[-1] if unnumbered else headings[0]).start() :]


def _doctest_examples(text: str, entry_point: str) -> list[Example]:
    lines = text.splitlines()
    examples = []
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped.startswith(">>>"):
            continue
        args = parse_call(stripped[3:].strip(), entry_point)
        if args is None:
            continue
        output_lines = []
        for following in lines[i + 1 :]:
            following = following.strip()
            if not following or following.startswith(">>>") or following.startswith(('"""', "'''")):
                break
            output_lines.append(following)
        found, stated = parse_literal(" ".join(output_lines))
        if found:
            examples.append(Example(args, stated, "doctest", stripped))
    return examples


def _inline_examples(text: str, entry_point: str) -> list[Example]:
    examples = []
    for match in re.finditer(rf"(?<![\w.]){re.escape(entry_point)}\s*\(", text):
        end = _closing_paren(text, match.end() - 1)
        if end is None:
            continue
        args = parse_call(text[match.start() : end + 1], entry_point)
        rest = text[end + 1 :].split("\n", 1)[0]
        separator = _SEPARATOR.match(rest)
        if args is None or separator is None:
            continue
        found, stated = parse_stated(rest[separator.end() :])
        if found:
            line = text[text.rfind("\n", 0, match.start()) + 1 : end + 1 + len(rest)].strip()
            examples.append(Example(args, stated, "inline", line))
    return examples


def _assignment_examples(text: str, params: list[str]) -> list[Example]:
    examples = []
    for line in text.splitlines():
        match = _ASSIGNMENT_FORM.search(line)
        if match is None:
            continue
        args = _assigned_args(match.group("assignments"), params)
        found, stated = parse_stated(match.group("output"))
        if args is not None and found:
            examples.append(Example(args, stated, "assignment", line.strip()))
    return examples


def _input_output_examples(text: str, params: list[str]) -> list[Example]:
    examples = []
    lines = [line for line in text.splitlines() if line.strip()]
    for line, following in zip(lines, lines[1:]):
        given, output = _INPUT_LINE.match(line), _OUTPUT_LINE.match(following)
        if given is None or output is None:
            continue
        args = _assigned_args(given.group("input"), params)
        if args is None and len(params) == 1:
            found, value = parse_literal(given.group("input"))
            args = (value,) if found else None
        found, stated = parse_literal(output.group("output"))
        if args is not None and found:
            examples.append(Example(args, stated, "input_output", f"{line.strip()} / {following.strip()}"))
    return examples


def _assigned_args(assignments: str, params: list[str]) -> tuple[Any, ...] | None:
    """``s = "ab", c = "b"`` as positional arguments; text after the assignments is cut at a comma."""
    pieces = assignments.split(",")
    for count in range(len(pieces), 0, -1):
        try:
            call = ast.parse(f"f({','.join(pieces[:count])})", mode="eval").body
        except SyntaxError:
            continue
        if not isinstance(call, ast.Call) or call.args:
            continue
        values = {}
        for keyword in call.keywords:
            found, value = _literal(keyword.value)
            if not found or keyword.arg is None:
                return None
            values[keyword.arg] = value
        if sorted(values) == sorted(params):
            return tuple(values[name] for name in params)
    return None


def parse_call(text: str, entry_point: str) -> tuple[Any, ...] | None:
    """The positional arguments of ``entry_point(<literals>)``, or None if the text is anything else."""
    try:
        node = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        return None
    if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry_point):
        return None
    if node.keywords:
        return None
    args = []
    for arg in node.args:
        found, value = _literal(arg)
        if not found:
            return None
        args.append(value)
    return tuple(args)


def parse_stated(text: str) -> tuple[bool, Any]:
    """The stated output after a separator: the last value of an ``=`` chain, else the longest
    literal at the start of the text (a trailing comment or full stop is ignored)."""
    text = text.strip()
    if re.search(r"(?<![=<>!])=(?!=)", text):
        text = re.split(r"(?<![=<>!])=(?!=)", text)[-1]
    return parse_literal(text)


def parse_literal(text: str) -> tuple[bool, Any]:
    """The longest prefix of ``text`` that is a literal: (True, value), or (False, None)."""
    text = text.strip()
    for end in range(len(text), 0, -1):
        if end < len(text) and not (text[end].isspace() or text[end] in "#.,;"):
            continue
        try:
            node = ast.parse(text[:end].strip().rstrip("."), mode="eval").body
        except SyntaxError:
            continue
        found, value = _literal(node)
        if found:
            return True, value
    return False, None


def _literal(node: ast.AST) -> tuple[bool, Any]:
    if isinstance(node, ast.Name) and node.id in _LITERAL_NAMES:
        return True, _LITERAL_NAMES[node.id]
    if isinstance(node, (ast.List, ast.Tuple, ast.Set)):
        items = [_literal(element) for element in node.elts]
        if not all(found for found, _ in items):
            return False, None
        try:
            return True, {ast.List: list, ast.Tuple: tuple, ast.Set: set}[type(node)](v for _, v in items)
        except TypeError:  # an unhashable set element
            return False, None
    if isinstance(node, ast.Dict):
        if any(key is None for key in node.keys):
            return False, None
        keys, values = [_literal(k) for k in node.keys], [_literal(v) for v in node.values]
        if not all(found for found, _ in keys + values):
            return False, None
        try:
            return True, {k: v for (_, k), (_, v) in zip(keys, values)}
        except TypeError:  # an unhashable key
            return False, None
    try:
        return True, ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False, None


def _closing_paren(text: str, open_index: int) -> int | None:
    """Index of the parenthesis closing the one at ``open_index``, skipping brackets in strings."""
    depth, quote, i = 0, None, open_index
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return None
