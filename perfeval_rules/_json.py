"""Deterministic JSON whose numbers carry exactly the decimal digits of a Decimal.

Indented documents (results, reports) are written by orjson, which takes each Decimal's exact text as a
raw fragment; compact ones (hashes, manifest lines) and anything orjson refuses (integers beyond 64 bits,
strings that are not valid UTF-8, keys that are not strings) by the plain writer below, which prints the
same bytes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from json.encoder import encode_basestring
from typing import Any

import orjson

# json.dumps(text, ensure_ascii=False) without its per-call set-up: the C escaper when available.
_string = encode_basestring


def number(value: Decimal) -> str:
    """A Decimal as a JSON number: no exponent, no trailing zeros (10.00 -> 10, 0.890 -> 0.89)."""
    if not value.is_finite():
        raise ValueError(f"non-finite number {value} has no JSON form")
    # Not normalize(): it rounds to the thread context's 28 digits and would change long numbers.
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "0") else text


def dumps(obj: Any, indent: int | None = 2) -> str:
    """Serialise dicts, lists, str, int, bool, None and Decimal; keys keep insertion order.

    Binary floats are refused (they would print inexact digits) by the compact form; the indented form
    trusts its input, which comes from the engine and the loaders, both of which make Decimals only.
    """
    if indent == 2:
        return dumpb(obj).decode("utf-8")
    parts: list[str] = []
    _write(obj, parts, indent, 0)
    return "".join(parts)


def dumpb(obj: Any) -> bytes:
    """`dumps(obj)`, indented, as UTF-8 bytes: what a report file or a worker's answer holds."""
    try:
        return orjson.dumps(obj, default=_FRAGMENTS.__getitem__, option=orjson.OPT_INDENT_2)
    except orjson.JSONEncodeError:
        pass  # the plain writer prints what orjson cannot, or raises the precise error
    parts: list[str] = []
    _write(obj, parts, 2, 0)
    return "".join(parts).encode("utf-8")


def packed(obj: Any) -> bytes:
    """`obj` on one line for the program to read back (a spill file): orjson's compact form, not `dumps`' one."""
    try:
        return orjson.dumps(obj, default=_FRAGMENTS.__getitem__)
    except orjson.JSONEncodeError:
        return dumps(obj, indent=None).encode("utf-8")  # what orjson cannot print, or the precise error


def element(obj: Any) -> bytes:
    """`obj` as an item of an indented array: a newline, then `dumpb(obj)` indented one level deeper.

    orjson indents the item itself (`[obj]` printed, its brackets cut off), so a batch's JSON array is
    written without re-indenting every result.
    """
    try:
        return orjson.dumps([obj], default=_FRAGMENTS.__getitem__, option=orjson.OPT_INDENT_2)[1:-2]
    except orjson.JSONEncodeError:
        pass
    # Raw newlines occur only between tokens (a string's newline is written \n): each starts a line to indent.
    return b"\n  " + dumpb(obj).replace(b"\n", b"\n  ")


def element_strict(obj: Any) -> bytes:
    """`element(obj)` by orjson alone, for an object holding pieces already printed (`printed`).

    Raises orjson.JSONEncodeError where `element` would turn to the plain writer, which knows no such
    pieces: the caller then prints the plain object instead.
    """
    return orjson.dumps([obj], default=_by_text, option=orjson.OPT_INDENT_2)[1:-2]


def _by_text(value: Any) -> orjson.Fragment:
    """`_FRAGMENTS[value]` looked up by text: the sums, amounts and row numbers of an evaluation are Decimals
    made afresh, whose hash (which `_FRAGMENTS` needs) costs several times more than their text."""
    if type(value) is not Decimal:
        raise TypeError(f"cannot serialise {type(value).__name__}")
    return decimal_text(str(value))


def printed(obj: Any, depth: int) -> bytes:
    """`obj` printed as indented JSON, ready to stand as a value `depth` containers deep in an indented
    document (0: the document itself), where orjson would print the very same bytes (as a raw piece of
    JSON: `orjson.Fragment(printed(obj, depth))`).

    orjson indents a nested value by its depth alone, and a newline occurs in its output only between
    tokens (a string's newline is written \\n), so each line moves right by two spaces per level.
    """
    text = orjson.dumps(obj, default=_FRAGMENTS.__getitem__, option=orjson.OPT_INDENT_2)
    return text.replace(b"\n", b"\n" + b"  " * depth) if depth else text


class _Stream:
    """Stands in for the list of pieces: each piece goes straight to `write`; only the last is kept."""

    def __init__(self, write: Callable[[str], Any]) -> None:
        self.write = write
        self.last = ""

    def append(self, piece: str) -> None:
        self.write(piece)
        self.last = piece

    def __getitem__(self, index: int) -> str:
        return self.last  # _newline looks only at the last piece

    def __bool__(self) -> bool:
        return bool(self.last)


def dump(obj: Any, write: Callable[[str], Any], indent: int | None = 2) -> None:
    """Like `dumps`, piece by piece into `write` (a file's write), so a long document is never whole in memory."""
    _write(obj, _Stream(write), indent, 0)  # type: ignore[arg-type]


def _write(obj: Any, out: list[str], indent: int | None, level: int) -> None:
    # Exact types first (a result is str, Decimal, None, bool, dict and list), then the general rules:
    # isinstance against the Mapping and Sequence ABCs is slow enough to matter on large batches.
    scalar = _scalar(obj)
    if scalar is not None:
        out.append(scalar)
        return
    kind = type(obj)
    if kind is dict:
        _mapping(obj, out, indent, level)
    elif kind is list or kind is tuple:
        _sequence(obj, out, indent, level)
    elif isinstance(obj, bool | str):
        out.append(json.dumps(obj, ensure_ascii=False))
    elif isinstance(obj, Decimal):
        out.append(number(obj))
    elif isinstance(obj, int):
        out.append(str(obj))
    elif isinstance(obj, float):
        raise TypeError(f"binary float {obj!r} in output; use Decimal")
    elif isinstance(obj, Mapping):
        _mapping(obj, out, indent, level)
    elif isinstance(obj, Sequence):
        _sequence(obj, out, indent, level)
    else:
        raise TypeError(f"cannot serialise {type(obj).__name__}")


def _mapping(obj: Mapping[Any, Any], out: list[str], indent: int | None, level: int) -> None:
    if not obj:
        out.append("{}")
        return
    inner, outer = _separators(indent, level)
    out.append("{")
    first = True
    for key, value in obj.items():
        out.append(inner[first])
        first = False
        out.append(_string(key if type(key) is str else str(key)))
        out.append(": ")
        scalar = _scalar(value)
        if scalar is None:
            _write(value, out, indent, level + 1)
        else:
            out.append(scalar)
    out.append(outer)
    out.append("}")


def _sequence(obj: Sequence[Any], out: list[str], indent: int | None, level: int) -> None:
    if not obj:
        out.append("[]")
        return
    inner, outer = _separators(indent, level)
    out.append("[")
    first = True
    for value in obj:
        out.append(inner[first])
        first = False
        scalar = _scalar(value)
        if scalar is None:
            _write(value, out, indent, level + 1)
        else:
            out.append(scalar)
    out.append(outer)
    out.append("]")


class _Fragments(dict[Decimal, orjson.Fragment]):
    """Each Decimal's exact number as a raw JSON fragment, for orjson, which knows no Decimal.

    orjson asks for every Decimal in a document (hundreds in a result); a batch prints the same few
    hundred scores and weights over and over, and equal Decimals print alike, so the answers are kept
    and a repeated one costs a dict lookup in C. Anything else is refused (the plain writer takes over).
    """

    def __missing__(self, value: Any) -> orjson.Fragment:
        if type(value) is not Decimal or not value.is_finite():
            raise TypeError(f"cannot serialise {type(value).__name__}")
        if len(self) >= 4096:
            self.clear()
        fragment = self[value] = orjson.Fragment(number(value))
        return fragment


_FRAGMENTS = _Fragments()


class _Texts(dict[str, orjson.Fragment]):
    """A Decimal's raw JSON fragment by its str, which gives back exactly that Decimal (digits, exponent
    and sign), so equal texts print alike. For Decimals made afresh, such as the importer's one per cell:
    hashing a new Decimal costs several times more than its str, and `_FRAGMENTS` hashes it."""

    def __missing__(self, text: str) -> orjson.Fragment:
        value = Decimal(text)
        if not value.is_finite():  # as orjson fails on it in `_FRAGMENTS`, for the caller to fall back
            raise orjson.JSONEncodeError(f"non-finite number {text} has no JSON form")
        if len(self) >= 4096:
            self.clear()
        fragment = self[text] = orjson.Fragment(number(value))
        return fragment


decimal_text = _Texts().__getitem__
"""`decimal_text(str(value))`: the Decimal `value` as a raw JSON fragment (orjson.JSONEncodeError if not finite)."""


def _scalar(value: Any) -> str | None:
    """The text of a str, None, bool or Decimal value (the common leaves); None for anything else."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is Decimal:
        return number(value)
    return None


@functools.cache
def _separators(indent: int | None, level: int) -> tuple[dict[bool, str], str]:
    """What goes before an item (first item: True) and before the closing bracket, at this depth."""
    if indent is None:
        return {True: "", False: ", "}, ""
    pad = "\n" + " " * (indent * (level + 1))
    return {True: pad, False: "," + pad}, "\n" + " " * (indent * level)
