"""A fixed character-plus-pieces tokenizer for the procedural task language and plain Python.

Why not BPE: a trained vocabulary is a file to ship and a result that depends on the corpus it was
trained on. This one is a constant written below, so it is identical on every machine and every run,
and a checkpoint only has to record the piece list (``Tokenizer.spec``) to be reloadable forever.

Layout of the ids (stable; a change of ``PIECES`` is a new vocabulary, see ``fingerprint``):

- 0..3: the special tokens ``<pad>``, ``<bos>``, ``<eos>``, ``<unk>``;
- 4..131: every ASCII character (code point ``i`` has id ``4 + i``), so every ASCII text round-trips
  exactly; a non-ASCII character becomes ``<unk>``, which decodes as U+FFFD (Python rejects it in
  code, so a model cannot smuggle it into a passing program);
- 132..: multi-character pieces, matched greedily, longest first, left to right.

No piece contains a newline, so the segmentation restarts at every line: encoding ``prompt`` and
``completion`` separately gives the same ids as encoding ``prompt + completion`` whenever the prompt
ends with a newline (every task prompt does). Training and sampling therefore agree on where the
completion starts, whichever way a caller encodes.

Convention shared with ``execrl.policy.sampling``: a prompt is ``[<bos>] + encode(prompt)``
(``encode_prompt``) and a completion the model is taught to write is ``encode(completion) + [<eos>]``
(``encode_completion``): the policy stops by emitting ``<eos>``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from types import MappingProxyType
from typing import Any

SPECIAL_TOKENS: tuple[str, ...] = ("<pad>", "<bos>", "<eos>", "<unk>")
PAD_ID, BOS_ID, EOS_ID, UNK_ID = range(4)
UNK_TEXT = "\ufffd"  # what <unk> decodes to
ASCII_OFFSET = len(SPECIAL_TOKENS)
N_ASCII = 128

# Multi-character pieces. Grouped for reading; the order below is the id order (do not reorder:
# append, and accept that the fingerprint changes). Chosen by hand from the procedural suite's
# phrases and expressions, the multi-turn feedback comments and common Python, so that frequent
# units (an indent, ``return ``, ``xs``, ``(0 if there are none)``) cost one token each.
PIECES: tuple[str, ...] = (
    # whitespace (never a newline: see the module docstring)
    "        ", "    ", "  ",
    # Python keywords and statements
    "def ", "return ", "return", "lambda ", "yield ", "import ", "from ", "class ", "while ", "assert ",
    "raise ", "try:", "except ", "with ", "elif ", "else:", "else ", "if ", "for ", "pass", "break", "continue",
    " for ", " in ", " if ", " else ", " not in ", " not ", " and ", " or ", " is ", " as ",
    "None", "True", "False", "self",
    # operators and punctuation with their usual spacing
    " = ", " == ", " != ", " >= ", " <= ", " > ", " < ", " + ", " - ", " * ", " // ", " / ", " % ", " ** ",
    " += ", " -= ", " -> ", ", ", ": ", "):", "()", "))", "((", "([", "])", "[]", "{}", "],", ")]", "),",
    "[::-1]", "[0]", "[-1]", "[1:]", "[2:]", "[:", "[i]", "-(-", '"""', '""', "''", ">>> ", "# ",
    # builtins and methods
    "range(", "len(", "sum(", "max(", "min(", "abs(", "sorted(", "reversed(", "str(", "int(", "list(", "dict(",
    "set(", "tuple(", "bool(", "float(", "ord(", "chr(", "format(", "bin(", "enumerate(", "zip(", "map(",
    "filter(", "isinstance(", "print(", "any(", "all(", "round(",
    ".join(", "dict.fromkeys(", ".split()", ".split(", ".replace(", ".count(", ".find(", ".index(",
    ".upper()", ".lower()", ".strip()", ".append(", ".items()", ".keys()", ".values()", ".isdigit()",
    "reverse=True", "default=",
    # the procedural task language's names and idioms
    "list[int]", "list[str]", "int", "str", "bool", "float", "dict", "list", "tuple",
    "xs", " xs", "(xs)", "(xs", "(s)", "(n)", "(n", "(c)", "(w)", "(x)", "step", "f(",
    "[x for x in xs", " for x in xs", " for c in s", " for w in s", " if x ", " if c ", "x * ", "x + ",
    "c * ", "n * ", "n // ", "n - ", "n + ", "n >= 0", "n > 0", "n < 0", "% 2 == 0", "% 2 == 1",
    "if xs else ", '"aeiou"', '"0123456789"', '"b"', '","',
    # English: the spec phrases (leading-space words, as GPT tokenizers do) and their capitals
    ", and return the result.", ", then", " (0 if there are none)", " (-1 if there are none)",
    " if there are none", " (all of them if there are fewer)", " (separated by spaces, ignoring extra spaces)",
    " (a, e, i, o, u in either case)", ", keeping the first occurrence of each", " the", " of", " it",
    " its", " each", " by", " to", " in", " a", " an", " is", " are", " there", " none", " and", " result",
    " then", " all", " them", " fewer", " elements", " element", " characters", " character", " words",
    " word", " digits", " digit", " decimal", " value", " absolute", " largest", " smallest", " first",
    " last", " sum", " count", " position", " order", " increasing", " decreasing", " greater", " than",
    " even", " odd", " repeated", " occurrence", " occurrences", " average", " rounded", " rounding", " down",
    " toward", " minus", " infinity", " zero", " tied", " joined", " commas", " range", " sign", " binary",
    " without", " prefix", " negative", " case", " vowels", " spaces", " twice", " lengths", " codes",
    " contains", " integers", " every", " with", " step", " apply", " keep", " take", " add", " square",
    " double", " drop", " write", " list", " convert", " upper", " lower", " remove", " replace", " repeat",
    " find", " clamp", " divide", " multiply", " subtract", " reverse", " sort", " return",
    "Apply", "Take", "Keep", "Count", "List", "Add", "Square", "Double", "Drop", "Write", "Convert", "Remove",
    "Replace", "Repeat", "Find", "Clamp", "Divide", "Multiply", "Subtract", "Reverse", "Sort", "Return",
    # multi-turn feedback comments (execrl.tasks.procedural.next_turn_prompt)
    "Attempt ", " failed.", "Your code:", " should return ", "your code", " returned", " raised",
    " a wrong value", "Error", "It does not parse", " more failed.", " before", " was called",
    # frequent number fragments of the doctests (no "3,"-style pieces: they would split ", and")
    "-1", "10",
)


def _check_pieces(pieces: Sequence[str]) -> None:
    problems = []
    seen: set[str] = set()
    for piece in pieces:
        if len(piece) < 2 or not piece.isascii() or "\n" in piece or piece in SPECIAL_TOKENS:
            problems.append(f"{piece!r} must be ASCII, at least 2 characters, without a newline, not special")
        if piece in seen:
            problems.append(f"{piece!r} is repeated")
        seen.add(piece)
    if problems:
        raise ValueError("invalid tokenizer pieces: " + "; ".join(problems))


class Tokenizer:
    """Greedy longest-match tokenizer over ``SPECIAL_TOKENS`` + ASCII + ``pieces``.

    Immutable after construction. ``Tokenizer()`` is the project's vocabulary; other piece lists are
    for experiments and are recorded in checkpoints through ``spec``.
    """

    def __init__(self, pieces: Sequence[str] = PIECES) -> None:
        pieces = tuple(pieces)
        _check_pieces(pieces)
        self._pieces = pieces
        self._id_to_text: tuple[str, ...] = (
            *SPECIAL_TOKENS, *(chr(i) for i in range(N_ASCII)), *pieces
        )
        self._text_to_id = MappingProxyType(
            {text: i for i, text in enumerate(self._id_to_text) if i >= ASCII_OFFSET}
        )
        # Python's regex alternation takes the first alternative that matches, so listing pieces
        # longest first makes it a longest match; ``.`` (with DOTALL) catches every other character.
        alternatives = sorted(pieces, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(re.escape, alternatives)) + "|.", re.DOTALL)

    # --- vocabulary ---------------------------------------------------------------------------

    @property
    def vocab_size(self) -> int:
        return len(self._id_to_text)

    @property
    def pad_id(self) -> int:
        return PAD_ID

    @property
    def bos_id(self) -> int:
        return BOS_ID

    @property
    def eos_id(self) -> int:
        return EOS_ID

    @property
    def unk_id(self) -> int:
        return UNK_ID

    @property
    def pieces(self) -> tuple[str, ...]:
        return self._pieces

    def id_to_token(self, token_id: int) -> str:
        self._check_id(token_id)
        return self._id_to_text[token_id]

    @property
    def spec(self) -> dict[str, Any]:
        """Plain data that rebuilds this tokenizer (``Tokenizer.from_spec``); stored in checkpoints."""
        return {"kind": "execrl-pieces-v1", "pieces": list(self._pieces)}

    @classmethod
    def from_spec(cls, spec: dict[str, Any]) -> Tokenizer:
        if spec.get("kind") != "execrl-pieces-v1":
            raise ValueError(f"unknown tokenizer kind {spec.get('kind')!r}")
        return cls(spec["pieces"])

    @property
    def fingerprint(self) -> str:
        """SHA-256 prefix of the vocabulary: equal fingerprints, equal ids for every text."""
        return hashlib.sha256(json.dumps(self.spec, separators=(",", ":")).encode()).hexdigest()[:16]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Tokenizer) and other._pieces == self._pieces

    def __hash__(self) -> int:
        return hash(self._pieces)

    def __repr__(self) -> str:
        return f"Tokenizer(vocab_size={self.vocab_size}, fingerprint={self.fingerprint!r})"

    # --- encoding -----------------------------------------------------------------------------

    def encode(self, text: str) -> list[int]:
        """Token ids of ``text``, without special tokens; non-ASCII characters become ``<unk>``."""
        lookup = self._text_to_id
        return [lookup.get(match, UNK_ID) for match in self._pattern.findall(text)]

    def encode_prompt(self, prompt: str) -> list[int]:
        """``[<bos>] + encode(prompt)``: what the policy is conditioned on."""
        return [BOS_ID, *self.encode(prompt)]

    def encode_completion(self, completion: str) -> list[int]:
        """``encode(completion) + [<eos>]``: what the policy learns to write, stop included."""
        return [*self.encode(completion), EOS_ID]

    def decode(self, ids: Iterable[int], skip_special: bool = True) -> str:
        """Text of ``ids``. ``<pad>``, ``<bos>`` and ``<eos>`` are dropped unless ``skip_special`` is
        False (then written as their names); ``<unk>`` always decodes as U+FFFD, since it stands for
        text that was there."""
        parts = []
        for token_id in ids:
            token_id = int(token_id)
            self._check_id(token_id)
            if token_id == UNK_ID:
                parts.append(UNK_TEXT)
            elif token_id < ASCII_OFFSET:
                if not skip_special:
                    parts.append(self._id_to_text[token_id])
            else:
                parts.append(self._id_to_text[token_id])
        return "".join(parts)

    def _check_id(self, token_id: int) -> None:
        if not 0 <= token_id < self.vocab_size:
            raise ValueError(f"token id {token_id} is outside the vocabulary (size {self.vocab_size})")


VOCAB_SIZE = Tokenizer().vocab_size
