"""Read target and actual texts into typed values: normalise, lex with the vocabulary, parse (LALR), transform.

This is the only notation module that imports lark. Nothing escapes `parse_target`/`parse_actual`:
text that cannot be read comes back as an `Unparsed` value whose message shows where reading stopped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache, lru_cache
from itertools import islice
from pathlib import Path
from typing import Any, Literal

import lark
from lark import Token, Transformer

from .._cache import cache_file
from ..errors import caret
from .normalize import normalize
from .values import (
    Comparison,
    Completion,
    Date,
    Deadline,
    Missing,
    Notation,
    Outcome,
    Qualitative,
    Quantity,
    Range,
    Span,
    Trend,
    Unparsed,
)
from .vocabulary import Vocabulary, default_vocabulary

As = Literal["target", "actual"]

MAX_LENGTH = 2000
"""Longer cell texts are not read (a cell holding a whole report is a form error, not a notation)."""

CACHE_SIZE = 16384

_GRAMMAR = Path(__file__).with_name("notation.lark")
_NUMBER = re.compile(r"[0-9]*\.?[0-9]+")
_SYMBOLS = {
    "=": "OP",
    "≥": "OP",
    ">": "OP",
    "≤": "OP",
    "<": "OP",
    "(": "LPAR",
    ")": "RPAR",
    "%": "PERCENT",
    "‰": "PERCENT",
    "±": "PLUSMINUS",
    "-": "DASH",
    "~": "TILDE",
    "—": "TILDE",
    "至": "TO",
    "/": "SLASH",
    "年": "YEAR",
    "月": "MONTH",
    "日": "DAY",
}
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
    plain = _plain(text, as_, vocabulary)
    if plain is not None:
        return plain
    try:
        tree = _parser().parse(_Source(text, vocabulary), start=as_)
        value: Notation = replace(_builder(vocabulary).transform(tree), text=text, span=Span(0, len(text)))
        return value
    except lark.exceptions.UnexpectedToken as exc:
        if _is_words(text):
            return _qualitative(text, vocabulary)
        token = exc.token
        at = len(text) if token.type == "$END" else _at(token)
        found = "the end of the text" if token.type == "$END" else f"'{token.value}'"
        # The interactive parser knows exactly what the state accepts; LALR's own set is the merged
        # lookahead of target and actual states, which would list terminals that cannot follow here.
        parser = exc.interactive_parser
        expected: set[str] = parser.accepts() if parser is not None else exc.expected  # type: ignore[no-untyped-call]
        return _unparsed(text, as_, at, f"expected {_expected(expected)}, found {found}")
    except lark.exceptions.VisitError as exc:
        if isinstance(exc.orig_exc, _Invalid):
            return _unparsed(text, as_, exc.orig_exc.at, exc.orig_exc.message)
        raise


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
    tokens = list(islice(_tokens(text, vocabulary), 6))
    op: str | None = None
    if tokens and tokens[0].type == "OP":
        op = str(tokens.pop(0))
    shape = tuple(t.type for t in tokens)
    if shape not in _PLAIN_SHAPES:
        return None
    at = _PLAIN_SHAPES[shape]
    unit: str | None = None
    if at is not None:
        token = tokens[at]
        unit = str(token) if token.type == "PERCENT" else vocabulary.lexicon[str(token)][1]
        if unit in ("月", "年"):  # a month or a year may name a date or a deadline
            return None
    value = Decimal(str(tokens[0]))
    span = Span(0, len(text))
    if as_ == "target":
        return Comparison(op=op or "≥", value=value, unit=unit, implied_op=op is None, text=text, span=span)
    return Quantity(value=value, unit=unit, op=op, text=text, span=span)


def _unparsed(text: str, as_: As, at: int, reason: str) -> Unparsed:
    message = f"cannot read this {as_} at column {at + 1}: {reason}\n{caret(text, at)}"
    return Unparsed(text=text, error=message, column=at + 1, span=Span(0, len(text)))


def _is_words(text: str) -> bool:
    """Prose with no number and no operator symbol: a qualitative goal, not a failed notation."""
    return any(ch.isalpha() for ch in text) and not any(ch.isdigit() or ch in _OPERATOR_CHARS for ch in text)


def _qualitative(text: str, vocabulary: Vocabulary) -> Qualitative:
    first = next(iter(_tokens(text, vocabulary)), None)
    scope = first.value if first is not None and first.type == "PERIOD" else None
    return Qualitative(text=text, scope=scope, span=Span(0, len(text)))


# ---- lexing -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Source:
    text: str
    vocabulary: Vocabulary


class _Lexer(lark.lexer.Lexer):
    """Hands lark the tokens of a `_Source`; lark passes the object given to `parse` straight here."""

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, data: _Source) -> Iterator[Token]:  # type: ignore[override]
        return _tokens(data.text, data.vocabulary)


def _tokens(text: str, vocabulary: Vocabulary) -> Iterator[Token]:
    """Numbers, the grammar's symbols and vocabulary words (longest first); anything else joins a WORD."""
    lexicon, lengths = vocabulary.lexicon, vocabulary.lengths
    i, n, word_start = 0, len(text), -1
    while i < n:
        ch = text[i]
        kind, size = "", 0
        # .5 is a number (read as "." then 5 it would silently become five), but in 至少...2次 the
        # dots are an ellipsis.
        if "0" <= ch <= "9" or (ch == "." and i + 1 < n and "0" <= text[i + 1] <= "9" and text[i - 1 : i] != "."):
            match = _NUMBER.match(text, i)
            assert match is not None
            kind, size = "NUMBER", match.end() - i
        else:
            for length in lengths.get(ch, ()):
                entry = lexicon.get(text[i : i + length])
                if entry is not None:
                    kind, size = entry[0], length
                    break
            # A vocabulary word never equals a symbol, so a match here is longer and wins (至少 over 至).
            if not kind and ch in _SYMBOLS:
                kind, size = _SYMBOLS[ch], 1
        if not kind:
            if word_start < 0:
                word_start = i
            i += 1
            continue
        if word_start >= 0:
            yield _token("WORD", text, word_start, i)
            word_start = -1
        yield _token(kind, text, i, i + size)
        i += size
    if word_start >= 0:
        yield _token("WORD", text, word_start, n)


def _token(kind: str, text: str, start: int, end: int) -> Token:
    return Token(kind, text[start:end], start, 1, start + 1, 1, end + 1, end)


@cache
def _parser() -> lark.Lark:
    return lark.Lark(
        _GRAMMAR.read_text(encoding="utf-8"),
        parser="lalr",
        lexer=_Lexer,
        start=["target", "actual"],
        propagate_positions=True,
        maybe_placeholders=False,
        strict=True,
        cache=cache_file("lark-notation.pickle"),  # the LALR tables, kept between runs (see _cache)
    )


# ---- error messages -----------------------------------------------------------------------------

_DESCRIPTIONS = (
    ("NUMBER", "a number"),
    ("OP", "an operator (= ≥ > ≤ <)"),
    ("PREFIX_OP", "a word operator (不少于 …)"),
    ("UNIT", "a unit"),
    ("PERCENT", "a unit"),
    ("YEAR", "'年'"),
    ("MONTH", "'月'"),
    ("DAY", "'日'"),
    ("LPAR", "'('"),
    ("RPAR", "')'"),
    ("SLASH", "'/'"),
    ("SUFFIX_OP", "a word operator (以上 …)"),
    ("DASH", "'-'"),
    ("TILDE", "'~'"),
    ("TO", "'至'"),
    ("BY", "a deadline word (前 …)"),
    ("MONTH_END", "a month-end word (底 …)"),
    ("TREND", "a trend word (提高 …)"),
    ("TIER", "an outcome tier"),
    ("COMPLETION", "a completion word"),
    ("TIMELY", "a timeliness word"),
    ("$END", "the end of the text"),
)
# Shown only when nothing more telling is expected: a sign or filler words before a number.
_QUIET_WITH_NUMBER = frozenset({"DASH", "WORD", "COMPLETION"})
_DATE_MARKS = frozenset({"YEAR", "MONTH", "DAY", "PERCENT"})


def _expected(expected: set[str]) -> str:
    names = set(expected)
    if "NUMBER" in names:
        names -= _QUIET_WITH_NUMBER
    if "UNIT" in names:
        names -= _DATE_MARKS
    words = list(dict.fromkeys(text for name, text in _DESCRIPTIONS if name in names))
    if not words:
        return "something else"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


# ---- transform ----------------------------------------------------------------------------------


class _Invalid(Exception):
    """Well-formed but meaningless (month 13, a range upside down); becomes an Unparsed value."""

    def __init__(self, message: str, at: int) -> None:
        super().__init__(message)
        self.message = message
        self.at = at


@dataclass(frozen=True, slots=True)
class _Amount:
    value: Decimal
    unit: str | None
    bracketed: bool
    integer: bool
    start: int
    end: int

    def as_month(self) -> int | None:
        """The month this amount names (7月, not 7(月) nor 7.5月), or None."""
        if self.unit == "月" and not self.bracketed and self.integer and 1 <= self.value <= 12:
            return int(self.value)
        return None

    def as_year(self) -> int | None:
        """The calendar year this amount names (2023年), or None."""
        if self.unit == "年" and not self.bracketed and self.integer and 1900 <= self.value <= 2199:
            return int(self.value)
        return None


@dataclass(frozen=True, slots=True)
class _Mark:
    month_end: bool
    start: int


def _inline(method: Callable[..., Any]) -> Callable[[Any, list[Any]], Any]:
    """Call a rule method with the node's children as arguments.

    lark's `v_args(inline=True)` does the same but builds a wrapper on every attribute access,
    which was a third of the time of a cold parse.
    """

    def call(self: Any, children: list[Any]) -> Any:
        return method(self, *children)

    call.__name__ = method.__name__
    call.__doc__ = method.__doc__
    return call


@lru_cache(maxsize=8)
def _builder(vocabulary: Vocabulary) -> _Build:
    return _Build(vocabulary)


class _Build(Transformer[Token, Notation]):
    """Parse tree -> typed value. Vocabulary words are looked up again for their meaning."""

    def __init__(self, vocabulary: Vocabulary) -> None:
        super().__init__()
        self.vocabulary = vocabulary

    def _payload(self, token: Token) -> str:
        return self.vocabulary.lexicon[str(token)][1]

    # -- entry points
    @_inline
    def target(self, value: Any) -> Notation:
        return value  # type: ignore[no-any-return]

    @_inline
    def actual(self, value: Any) -> Notation:
        return value  # type: ignore[no-any-return]

    # -- shared pieces
    @_inline
    def number(self, *tokens: Token) -> tuple[Decimal, bool, int, int]:
        digits = tokens[-1]
        value = Decimal(str(digits))
        if len(tokens) == 2:
            value = -value
        return value, "." not in digits, _at(tokens[0]), _end(digits)

    @_inline
    def unit_atom(self, token: Token) -> str:
        if token.type == "UNIT":
            return self._payload(token)
        return str(token)

    @_inline
    def unit(self, *atoms: str) -> str:
        return "/".join(a for a in atoms if not isinstance(a, Token))

    @_inline
    def bare_unit(self, unit: str) -> tuple[str, bool]:
        return unit, False

    @_inline
    def bracketed_unit(self, _open: Token, unit: str, close: Token) -> tuple[str, bool, int]:
        return unit, True, _end(close)

    @_inline
    def amount(self, number: tuple[Decimal, bool, int, int], unit: tuple[Any, ...] | None = None) -> _Amount:
        value, integer, start, end = number
        if unit is None:
            return _Amount(value, None, False, integer, start, end)
        end = unit[2] if unit[1] else end + len(unit[0])
        return _Amount(value, unit[0], unit[1], integer, start, end)

    @_inline
    def operator(self, token: Token, *_lead: Any) -> tuple[str, int]:
        op = str(token) if token.type == "OP" else self._payload(token)
        return op, _at(token)

    @_inline
    def lead(self, *_words: Token) -> None:
        return None

    @_inline
    def full_date(self, year: tuple[Decimal, bool, int, int], *marks: Token) -> tuple[int, int, int | None]:
        value, integer, start, _ = year
        if not integer or value < 0:
            raise _Invalid("a year must be a whole number", start)
        numbers = [t for t in marks if t.type == "NUMBER"]
        for token in numbers:
            if "." in token:
                raise _Invalid("a month or day must be a whole number", _at(token))
        y, m = int(value), int(numbers[0])
        if not 1 <= m <= 12:
            raise _Invalid(f"there is no month {m}", _at(numbers[0]))
        if len(numbers) == 1:
            return y, m, None
        d = int(numbers[1])
        if not 1 <= d <= _days_in(y, m):
            raise _Invalid(f"there is no day {d} in {y}-{m:02d}", _at(numbers[1]))
        return y, m, d

    # -- targets
    @_inline
    def comparison(self, *parts: Any) -> Comparison | Deadline:
        scope = None
        op: tuple[str, int] | None = None
        suffix: Token | None = None
        amount: _Amount | None = None
        for part in parts:
            if isinstance(part, Token) and part.type == "PERIOD":
                scope = str(part)
            elif isinstance(part, Token) and part.type == "SUFFIX_OP":
                suffix = part
            elif isinstance(part, tuple):
                op = part
            elif isinstance(part, _Amount):
                amount = part
        assert amount is not None
        if suffix is not None:
            suffix_op = self._payload(suffix)
            if op is not None and op[0] != suffix_op:
                raise _Invalid(f"'{suffix}' ({suffix_op}) contradicts the operator {op[0]}", _at(suffix))
            op = (suffix_op, _at(suffix))
        if op is None and scope is None:
            if (month := amount.as_month()) is not None:
                return Deadline(month=month)
            if (year := amount.as_year()) is not None:
                return Deadline(year=year)
        return Comparison(
            op=op[0] if op else "≥", value=amount.value, unit=amount.unit, implied_op=op is None, scope=scope
        )

    @_inline
    def scope_only(self, period: Token) -> Qualitative:
        return Qualitative(text=str(period), scope=str(period))  # text becomes the whole cell

    @_inline
    def range_sep(self, token: Token) -> Token:
        return token

    @_inline
    def range(self, low: _Amount, sep: Token, high: _Amount) -> Range:
        if low.unit is not None and high.unit is not None and low.unit != high.unit:
            raise _Invalid(f"the bounds have different units ({low.unit} and {high.unit})", high.start)
        if low.value > high.value:
            raise _Invalid(f"the range runs backwards ({low.value} is above {high.value})", low.start)
        return Range(low=low.value, high=high.value, unit=high.unit or low.unit)

    @_inline
    def tolerance(self, sign: Token, amount: _Amount) -> Range:
        if amount.value < 0:
            raise _Invalid("a tolerance after ± must not be negative", amount.start)
        return Range(low=-amount.value, high=amount.value, unit=amount.unit, tolerance=True)

    @_inline
    def deadline_mark(self, first: Token, *_rest: Token) -> _Mark:
        return _Mark(month_end=first.type == "MONTH_END", start=_at(first))

    @_inline
    def deadline(self, when: Any, *rest: Any) -> Deadline | Comparison:
        mark = next((r for r in rest if isinstance(r, _Mark)), None)
        month_end = mark is not None and mark.month_end
        if isinstance(when, tuple):  # a full date
            year, month, day = when
            if day is not None and month_end:
                assert mark is not None
                raise _Invalid("a date with a day cannot also be a month end", mark.start)
            return Deadline(year=year, month=month, day=day, month_end=month_end)
        assert isinstance(when, _Amount)
        if (month := when.as_month()) is not None:
            return Deadline(month=month, month_end=month_end)
        if (year := when.as_year()) is not None:
            return Deadline(year=year, month=12, month_end=True) if month_end else Deadline(year=year)
        if mark is None:  # 100%完成, 3次完成: the completion word adds nothing to the amount
            return Comparison(op="≥", value=when.value, unit=when.unit, implied_op=True)
        raise _Invalid("a deadline needs a month (9月前) or a year (2023年底前)", when.start)

    @_inline
    def year_end(self, *_tokens: Token) -> Deadline:
        return Deadline(month=12, month_end=True)

    @_inline
    def timely(self, *_tokens: Token) -> Deadline:
        return Deadline(timely=True)

    @_inline
    def trend(self, *parts: Any) -> Trend:
        baseline = None
        direction = ""
        amount: _Amount | None = None
        for part in parts:
            if isinstance(part, _Amount):
                amount = part
            elif part.type == "BASELINE":
                baseline = self._payload(part)
            elif part.type == "TREND":
                direction = self._payload(part)
        if amount is None:
            return Trend(direction=direction, baseline=baseline)
        return Trend(direction=direction, baseline=baseline, value=amount.value, unit=amount.unit)

    # -- actuals
    @_inline
    def quantity(self, amount: _Amount) -> Quantity | Date:
        return _quantity(amount)

    @_inline
    def bound(self, *parts: Any) -> Quantity:
        amount = next(p for p in parts if isinstance(p, _Amount))
        ops = [(str(p) if p.type == "OP" else self._payload(p), p) for p in parts if isinstance(p, Token)]
        op, _ = ops[0]
        for other, token in ops[1:]:
            if other != op:
                raise _Invalid(f"'{token}' ({other}) contradicts the operator {op}", _at(token))
        return Quantity(value=amount.value, unit=amount.unit, op=op)

    @_inline
    def date(self, when: tuple[int, int, int | None], *_done: Token) -> Date:
        year, month, day = when
        return Date(year=year, month=month, day=day)

    @_inline
    def done_at(self, amount: _Amount, _done: Token) -> Quantity | Date:
        return _quantity(amount)

    @_inline
    def outcome(self, token: Token) -> Outcome:
        tier = int(self._payload(token))
        return Outcome(tier=tier, label=self.vocabulary.tier_label(tier))

    @_inline
    def completion(self, _word: Token, amount: _Amount | None = None) -> Completion | Quantity:
        # 已完成100% is plain completion; 已完成80% gives a number, which must not read as "done".
        if amount is None or (amount.unit == "%" and amount.value == 100):
            return Completion()
        return Quantity(value=amount.value, unit=amount.unit)


def _quantity(amount: _Amount) -> Quantity | Date:
    """An actual amount: a month or year names a date, anything else is a quantity."""
    if (month := amount.as_month()) is not None:
        return Date(month=month)
    if (year := amount.as_year()) is not None:
        return Date(year=year)
    return Quantity(value=amount.value, unit=amount.unit)


def _at(token: Token) -> int:
    return token.start_pos or 0


def _end(token: Token) -> int:
    return token.end_pos or 0


def _days_in(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


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
