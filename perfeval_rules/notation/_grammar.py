"""The LALR parser of notation.lark and the transformer from its trees to typed values.

This is the only notation module that imports lark. `parser` loads it only for a text its fast paths
do not read (a date, a range, a word operator, an unreadable text), so most batches never load lark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import lark
from lark import Token, Transformer

from .._cache import cache_file
from ._lexer import tokens
from .parser import As, _is_words, _qualitative, _unparsed
from .values import (
    Comparison,
    Completion,
    Date,
    Deadline,
    Notation,
    Outcome,
    Qualitative,
    Quantity,
    Range,
    Span,
    Trend,
)
from .vocabulary import Vocabulary

_GRAMMAR = Path(__file__).with_name("notation.lark")


def read(text: str, as_: As, vocabulary: Vocabulary) -> Notation:
    """`text` (normalised, of bounded length) read by the grammar; an Unparsed value where it cannot be."""
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


@dataclass(frozen=True, slots=True)
class _Source:
    text: str
    vocabulary: Vocabulary


class _Lexer(lark.lexer.Lexer):
    """Hands lark the tokens of a `_Source`; lark passes the object given to `parse` straight here."""

    def __init__(self, lexer_conf: Any) -> None:
        pass

    def lex(self, data: _Source) -> Iterator[Token]:  # type: ignore[override]
        for kind, value, start, end in tokens(data.text, data.vocabulary):
            yield Token(kind, value, start, 1, start + 1, 1, end + 1, end)


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
