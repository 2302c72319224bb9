"""Read target and actual texts into typed values: normalise, lex with the vocabulary, parse, transform.

The usual texts (an operator, a number and a unit; vocabulary words alone) are read here directly, the
others by the grammar (`_grammar`, the only notation module that imports lark). Nothing escapes
`parse_target`/`parse_actual`: text that cannot be read comes back as an `Unparsed` value whose message
shows where reading stopped.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from itertools import islice
from typing import Any, Literal

from ..errors import caret
from ._lexer import Lexeme, tokens
from .normalize import normalize
from .values import (
    Comparison,
    Completion,
    Deadline,
    Missing,
    Notation,
    Outcome,
    Qualitative,
    Quantity,
    Span,
    Trend,
    Unparsed,
)
from .vocabulary import Vocabulary, default_vocabulary

As = Literal["target", "actual"]

MAX_LENGTH = 2000
"""Longer cell texts are not read (a cell holding a whole report is a form error, not a notation)."""

CACHE_SIZE = 16384

_OPERATOR_CHARS = frozenset("=≥>≤<±%‰")


Cell = str | int | Decimal | None
"""A cell as a form holds it: text, a number a spreadsheet stored as a number, or nothing."""


def parse_target(text: Cell, vocabulary: Vocabulary | None = None) -> Notation:
    """A target (年度指标值) as a typed value; never raises, unreadable text gives `Unparsed`."""
    return _parse(_cell_text(text), "target", vocabulary or default_vocabulary())


def parse_actual(text: Cell, vocabulary: Vocabulary | None = None) -> Notation:
    """An actual (实际完成值) as a typed value; never raises, unreadable text gives `Unparsed`."""
    return _parse(_cell_text(text), "actual", vocabulary or default_vocabulary())


def parse(text: Cell, vocabulary: Vocabulary | None = None, *, as_: As = "target") -> Notation:
    """`parse_target` or `parse_actual`, chosen by `as_`."""
    return parse_actual(text, vocabulary) if as_ == "actual" else parse_target(text, vocabulary)


def _cell_text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, Decimal):
        return format(cell, "f") if cell.is_finite() else str(cell)
    return cell if isinstance(cell, str) else str(cell)


def clear_cache() -> None:
    """Forget memoised parses (for benchmarks and tests)."""
    _parse.cache_clear()


def cache_info() -> Any:
    """Hits, misses and size of the parse memo."""
    return _parse.cache_info()


@lru_cache(maxsize=CACHE_SIZE)
def _parse(raw: str, as_: As, vocabulary: Vocabulary) -> Notation:
    try:
        return _read(raw, as_, vocabulary)
    except Exception as exc:  # the contract: values, never exceptions; a bug shows as an unparsed value
        text = normalize(raw) if isinstance(raw, str) else repr(raw)
        return Unparsed(text=text, error=f"internal error while reading this {as_}: {type(exc).__name__}: {exc}")


def _read(raw: str, as_: As, vocabulary: Vocabulary) -> Notation:
    text = normalize(raw)
    if vocabulary.is_placeholder(text):
        return Missing(text=text, span=Span(0, len(text)))
    if len(text) > MAX_LENGTH:
        return _unparsed(text, as_, 0, f"text longer than {MAX_LENGTH} characters")
    value = _plain(text, as_, vocabulary)
    if value is None:
        value = _words(text, as_, vocabulary)
    if value is not None:
        return value
    from . import _grammar  # lark: only for the texts the fast paths leave

    return _grammar.read(text, as_, vocabulary)


# ---- the plain fast path -------------------------------------------------------------------------

# Token shapes of the usual actual value and target (3620, 98.50%, 3500人, =100.00(%), ≥90%) and the
# index of their unit token; anything else, and any sign, date mark or word, goes through lark.
_PLAIN_SHAPES = {
    ("NUMBER",): None,
    ("NUMBER", "UNIT"): 1,
    ("NUMBER", "PERCENT"): 1,
    ("NUMBER", "LPAR", "UNIT", "RPAR"): 2,
    ("NUMBER", "LPAR", "PERCENT", "RPAR"): 2,
}
_PLAIN_START = frozenset("0123456789.=≥>≤<")


def _plain(text: str, as_: As, vocabulary: Vocabulary) -> Notation | None:
    """The value lark would give for an optional operator, a number and an optional unit; else None.

    Targets: comparison -> Comparison (≥ implied without an operator). Actuals: quantity -> Quantity,
    bound -> Quantity with its operator. tests/test_notation_plain.py holds it to the lark path.
    """
    if not text or text[0] not in _PLAIN_START:
        return None
    found = list(islice(tokens(text, vocabulary), 6))
    op: str | None = None
    if found and found[0].type == "OP":
        op = found.pop(0).value
    shape = tuple(t.type for t in found)
    if shape not in _PLAIN_SHAPES:
        return None
    at = _PLAIN_SHAPES[shape]
    unit: str | None = None
    if at is not None:
        token = found[at]
        unit = token.value if token.type == "PERCENT" else vocabulary.lexicon[token.value][1]
        if unit in ("月", "年"):  # a month or a year may name a date or a deadline
            return None
    value = Decimal(found[0].value)
    span = Span(0, len(text))
    if as_ == "target":
        return Comparison(op=op or "≥", value=value, unit=unit, implied_op=op is None, text=text, span=span)
    return Quantity(value=value, unit=unit, op=op, text=text, span=span)


# ---- the words fast path -------------------------------------------------------------------------

# The grammar reads text without a number or operator symbol (`_is_words`) only in these shapes: a
# trend (提高, 较上一年度提高, 逐步提升), being on time (及时, 及时完成), a year end (年底前) or a period
# alone as a target, and a tier (达成指标) or completion (完成) as an actual. It rejects any other, and
# such text is a qualitative goal.
_TRENDS = frozenset({("TREND",), ("BASELINE", "TREND"), ("MODIFIER", "TREND"), ("BASELINE", "MODIFIER", "TREND")})
_TIMELY = frozenset({("TIMELY",), ("TIMELY", "COMPLETION")})


def _words(text: str, as_: As, vocabulary: Vocabulary) -> Notation | None:
    """The value lark would give for text of words alone (a trend, timeliness, a tier, completion or a
    qualitative goal); None for other text, and for a year end or a period alone (lark reads those).

    tests/test_notation_plain.py holds it to the lark path.
    """
    if not _is_words(text):
        return None
    found = list(tokens(text, vocabulary))
    shape = tuple(t.type for t in found)
    span = Span(0, len(text))
    if as_ == "target":
        if shape in _TRENDS:
            payload = {t.type: vocabulary.lexicon[t.value][1] for t in found}
            return Trend(direction=payload["TREND"], baseline=payload.get("BASELINE"), text=text, span=span)
        if shape in _TIMELY:
            return Deadline(timely=True, text=text, span=span)
        if shape == ("PERIOD",) or shape[:2] == ("YEAR", "MONTH_END"):
            return None
    elif shape == ("TIER",):
        tier = int(vocabulary.lexicon[found[0].value][1])
        return Outcome(tier=tier, label=vocabulary.tier_label(tier), text=text, span=span)
    elif shape == ("COMPLETION",):
        return Completion(text=text, span=span)
    return _qualitative(text, vocabulary, found[0])


def _unparsed(text: str, as_: As, at: int, reason: str) -> Unparsed:
    message = f"cannot read this {as_} at column {at + 1}: {reason}\n{caret(text, at)}"
    return Unparsed(text=text, error=message, column=at + 1, span=Span(0, len(text)))


def _is_words(text: str) -> bool:
    """Prose with no number and no operator symbol: a qualitative goal, not a failed notation."""
    return any(ch.isalpha() for ch in text) and not any(ch.isdigit() or ch in _OPERATOR_CHARS for ch in text)


def _qualitative(text: str, vocabulary: Vocabulary, first: Lexeme | None = None) -> Qualitative:
    """Text read as a qualitative goal; a period word first (全年…) is its scope. `first`: its first token."""
    if first is None:
        first = next(tokens(text, vocabulary), None)
    scope = first.value if first is not None and first.type == "PERIOD" else None
    return Qualitative(text=text, scope=scope, span=Span(0, len(text)))


def from_columns(
    op_text: str | None,
    value_text: str | None,
    unit_text: str | None,
    vocabulary: Vocabulary | None = None,
    *,
    as_: As = "target",
) -> Notation:
    """The value of a notation split over three cells (`=`, `100`, `%`): the same as the joined text."""
    op, value, unit = (normalize(cell or "") for cell in (op_text, value_text, unit_text))
    vocabulary = vocabulary or default_vocabulary()
    if vocabulary.is_placeholder(op):
        op = ""
    if vocabulary.is_placeholder(unit) or value.endswith(unit):
        unit = ""  # a unit already written in the value cell (100% beside %) is not repeated
    entry = vocabulary.lexicon.get(op)
    joined = value + unit + op if entry is not None and entry[0] == "SUFFIX_OP" else op + value + unit
    return parse(joined, vocabulary, as_=as_)
