"""Pure formatting helpers the report templates use as filters; no Jinja2 here, so they test alone."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from .. import _json
from .._decimal import quantize

ABSENT = "—"  # how a null (absent) value is shown; never 0


class MdText(str):
    """Text already escaped for Markdown, so the Markdown finalizer does not escape it twice."""

    __slots__ = ()


class Run(NamedTuple):
    """Consecutive items sharing one key, in their original order (a merged cell of the form)."""

    key: Any
    rows: list[Any]


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        # Binary floats would print digits the data never had; the result dict carries Decimal.
        raise TypeError(f"expected a Decimal or int, got {type(value).__name__} {value!r}")
    return Decimal(value)


def exact(value: Decimal) -> str:
    """A Decimal with exactly its significant digits, never in exponent form (10.00 -> 10, 0.890 -> 0.89)."""
    return _json.number(value)


def num(value: Any, places: int | None = None, sign: bool = False) -> str:
    """A number with `places` fixed decimals (half-up), or its exact digits; null shows as a dash."""
    if value is None:
        return ABSENT
    d = _decimal(value)
    if places is None:
        text = exact(d)
    else:
        d = quantize(d, Decimal(1).scaleb(-places), ROUND_HALF_UP)
        text = format(d, "f")
        if d.is_zero():
            text = text.lstrip("-")
    if sign and not text.startswith("-"):
        text = "+" + text
    return text


def pct(value: Any, places: int = 2) -> str:
    """A percentage given in percent (100 means 100%) with fixed decimals: 100 -> '100.00%'."""
    return ABSENT if value is None else num(value, places) + "%"


def scale(value: Any, maximum: Any, length: int) -> Decimal:
    """`value / maximum * length` within [0, length], to one decimal: a chart bar; 0 for null or a zero maximum."""
    if value is None or maximum is None or _decimal(maximum) <= 0:
        return Decimal(0)
    ratio = min(max(_decimal(value) / _decimal(maximum), Decimal(0)), Decimal(1))
    return quantize(ratio * length, Decimal("0.1"), ROUND_HALF_UP)


def runs(items: Iterable[Any], key: str) -> list[Run]:
    """Group consecutive items with the same `key` (like merged 一级/二级 cells); unlike groupby, never sorts."""
    out: list[Run] = []
    for item in items:
        k = item[key] if isinstance(item, Mapping) else getattr(item, key)
        if out and out[-1].key == k:
            out[-1].rows.append(item)
        else:
            out.append(Run(k, [item]))
    return out


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_NEWLINES = re.compile(r"\s*[\r\n]+\s*")


def md_escape(value: Any) -> MdText:
    """Text safe inside Markdown (also a GFM table cell): markup characters escaped, HTML as entities, one line."""
    if isinstance(value, MdText):
        return value
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _NEWLINES.sub(" ", text)
    return MdText(_MD_SPECIAL.sub(r"\\\1", text))
