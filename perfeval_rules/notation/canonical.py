"""The canonical text of a notation value: one spelling that reads back to an equal value."""

from __future__ import annotations

from decimal import Decimal

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
    Trend,
    Unparsed,
)
from .vocabulary import Vocabulary, default_vocabulary

_DATE_UNITS = frozenset({"年", "月", "日"})


def canonical(value: Notation, vocabulary: Vocabulary | None = None) -> str:
    """A text that `parse_target` (or `parse_actual`, for actual kinds) reads back to `value`.

    Words come from `vocabulary` (the first word of each list); an implied operator flipped by a rule
    set (a cost's ≤) has no notation of its own and is written as the explicit operator.
    """
    vocabulary = vocabulary or default_vocabulary()
    match value:
        case Comparison():
            op = "" if value.implied_op and value.op == "≥" else value.op
            unit = _unit(value.unit, bracket=not op)
            return f"{value.scope or ''}{op}{_number(value.value)}{unit}"
        case Range(tolerance=True):
            return f"±{_number(value.high)}{_unit(value.unit)}"
        case Range():
            sep = "~" if value.high < 0 else "-"
            unit = _unit(value.unit)
            return f"{_number(value.low)}{unit}{sep}{_number(value.high)}{unit}"
        case Deadline(timely=True):
            return _first(vocabulary.timely, "及时")
        case Deadline():
            by = _first(vocabulary.deadline_by, "前")
            end = _first(vocabulary.deadline_month_end, "底") if value.month_end else ""
            return f"{_date(value.year, value.month, value.day)}{end}{'' if value.day else by}"
        case Date():
            if value.year is None and value.month is None:
                return ""
            return _date(value.year, value.month, value.day)
        case Trend():
            baseline = _first(dict(vocabulary.trend_baselines).get(value.baseline or "", ()), "")
            word = _first(dict(vocabulary.trends).get(value.direction, ()), value.direction)
            amount = "" if value.value is None else f"{_number(value.value)}{_unit(value.unit)}"
            return f"{baseline}{word}{amount}"
        case Quantity():
            return f"{value.op or ''}{_number(value.value)}{_unit(value.unit, bracket=value.op is None)}"
        case Outcome():
            return value.label or vocabulary.tier_label(value.tier)
        case Completion():
            return _first(vocabulary.completion, "完成")
        case Qualitative() | Unparsed():
            return value.text
        case Missing():
            return ""
    raise TypeError(f"not a notation value: {value!r}")


def _number(value: Decimal) -> str:
    return format(value, "f")


def _unit(unit: str | None, *, bracket: bool = False) -> str:
    if unit is None:
        return ""
    # Without an operator, 7月 reads as a month and 2023年 as a year; brackets keep them amounts.
    return f"({unit})" if bracket and unit in _DATE_UNITS else unit


def _date(year: int | None, month: int | None, day: int | None) -> str:
    text = f"{year}年" if year is not None else ""
    text += f"{month}月" if month is not None else ""
    return text + (f"{day}日" if day is not None else "")


def _first(words: tuple[str, ...], default: str) -> str:
    return words[0] if words else default
