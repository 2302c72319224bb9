"""Deterministic JSON whose numbers carry exactly the decimal digits of a Decimal."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any


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
    """Serialise dicts, lists, str, int, bool, None and Decimal; keys keep insertion order."""
    parts: list[str] = []
    _write(obj, parts, indent, 0)
    return "".join(parts)


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
    if obj is None or isinstance(obj, bool | str):
        out.append(json.dumps(obj, ensure_ascii=False))
    elif isinstance(obj, Decimal):
        out.append(number(obj))
    elif isinstance(obj, int):
        out.append(str(obj))
    elif isinstance(obj, float):
        raise TypeError(f"binary float {obj!r} in output; use Decimal")
    elif isinstance(obj, Mapping):
        items = list(obj.items())
        if not items:
            out.append("{}")
            return
        out.append("{")
        for i, (key, value) in enumerate(items):
            out.append("," if i else "")
            _newline(out, indent, level + 1)
            out.append(json.dumps(str(key), ensure_ascii=False) + ": ")
            _write(value, out, indent, level + 1)
        _newline(out, indent, level)
        out.append("}")
    elif isinstance(obj, Sequence):
        if not obj:
            out.append("[]")
            return
        out.append("[")
        for i, value in enumerate(obj):
            out.append("," if i else "")
            _newline(out, indent, level + 1)
            _write(value, out, indent, level + 1)
        _newline(out, indent, level)
        out.append("]")
    else:
        raise TypeError(f"cannot serialise {type(obj).__name__}")


def _newline(out: list[str], indent: int | None, level: int) -> None:
    if indent is not None:
        out.append("\n" + " " * (indent * level))
    elif out and out[-1] == ",":
        out.append(" ")
