"""The typed values a target or actual text parses into. Nothing downstream sees a parse tree.

Every value is frozen, carries the (normalised) text it came from and its span in that text, and
turns into the JSON contract of `product.md` with `to_dict()`. Numbers are Decimal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

OPS = ("=", "≥", ">", "≤", "<")


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets [start, end) in the normalised text."""

    start: int
    end: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Value:
    kind: ClassVar[str] = ""
    text: str = field(default="", compare=False)
    span: Span | None = field(default=None, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract form of this value."""
        return {"kind": self.kind}


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison(_Value):
    """A target such as ≥3500.00(人), 不少于12种, 12个月 (implied operator), 全年不少于2次 (scope)."""

    kind: ClassVar[str] = "comparison"
    op: str
    value: Decimal
    unit: str | None = None
    implied_op: bool = False
    scope: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "kind": self.kind,
            "op": self.op,
            "value": self.value,
            "unit": self.unit,
            "implied_op": self.implied_op,
        }
        if self.scope is not None:
            d["scope"] = self.scope
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class Range(_Value):
    """Within bounds: 80%-100%, 1-12月; a tolerance ±10% is low=-10, high=10, tolerance=True."""

    kind: ClassVar[str] = "range"
    low: Decimal
    high: Decimal
    unit: str | None = None
    tolerance: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "low": self.low, "high": self.high, "unit": self.unit}
        if self.tolerance:
            d["tolerance"] = True
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class _Calendar(_Value):
    year: int | None = None
    month: int | None = None
    day: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind}
        if self.year is not None and self.month is not None and self.day is not None:
            d["date"] = f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
            return d
        if self.year is not None:
            d["year"] = self.year
        if self.month is not None:
            d["month"] = self.month
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class Deadline(_Calendar):
    """Done by a month (9月前), a month end (12月底), a date (2021年12月31日), or timely (及时)."""

    kind: ClassVar[str] = "deadline"
    month_end: bool = False
    timely: bool = False

    def to_dict(self) -> dict[str, Any]:
        d = _Calendar.to_dict(self)
        if self.month_end:
            d["month_end"] = True
        if self.timely:
            d["timely"] = True
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class Date(_Calendar):
    """An actual given as a month or date (7月, 2021年10月15日), compared with a deadline target."""

    kind: ClassVar[str] = "date"


@dataclass(frozen=True, slots=True, kw_only=True)
class Trend(_Value):
    """Better than a baseline: 较上一年度提高 (up, previous_year), 逐步提高 (up, no baseline)."""

    kind: ClassVar[str] = "trend"
    direction: str  # "up" or "down"
    baseline: str | None = None  # "previous_year" or None
    value: Decimal | None = None  # by how much, when given: 较上年提高5% is 5 with unit %
    unit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "direction": self.direction, "baseline": self.baseline}
        if self.value is not None:
            d["value"] = self.value
            d["unit"] = self.unit
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class Qualitative(_Value):
    """A goal judged by an outcome, not a number: 健全, 有效, 效果明显; `scope` is a leading period (全年)."""

    kind: ClassVar[str] = "qualitative"
    text: str = ""  # unlike other values, the words are the value, so they take part in equality
    scope: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "text": self.text}
        if self.scope is not None:
            d["scope"] = self.scope
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class Quantity(_Value):
    """An actual number (3125, 97.30%, 37442人); with `op` it is a bound claim or echo (≥90.00%)."""

    kind: ClassVar[str] = "quantity"
    value: Decimal
    unit: str | None = None
    op: str | None = None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"kind": self.kind, "value": self.value, "unit": self.unit}
        if self.op is not None:
            d["op"] = self.op
        return d


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome(_Value):
    """An outcome tier: 1 达成, 2 部分达成…, 3 未达成…; `label` is the vocabulary's full label."""

    kind: ClassVar[str] = "outcome"
    tier: int
    label: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "tier": self.tier}


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion(_Value):
    """A completion word (完成, 已完成, 已完成100%, 是): achieved, but no number given."""

    kind: ClassVar[str] = "completion"


@dataclass(frozen=True, slots=True, kw_only=True)
class Missing(_Value):
    """A blank or placeholder cell (—, -, /, ……)."""

    kind: ClassVar[str] = "missing"


@dataclass(frozen=True, slots=True, kw_only=True)
class Unparsed(_Value):
    """Text that could not be read; `error` holds the message with a caret under `column` (1-based)."""

    kind: ClassVar[str] = "unparsed"
    error: str
    column: int = 1

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "error": self.error}


Notation = (
    Comparison | Range | Deadline | Date | Trend | Qualitative | Quantity | Outcome | Completion | Missing | Unparsed
)
