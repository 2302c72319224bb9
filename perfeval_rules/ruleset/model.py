"""The loaded rule set: immutable, every expression compiled and checked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from .._decimal import quantize

if TYPE_CHECKING:
    from ..expr import Expression
    from ..notation import Vocabulary

ROUNDING_MODES = {"half_up": ROUND_HALF_UP, "half_even": ROUND_HALF_EVEN, "down": ROUND_DOWN, "up": ROUND_UP}
# The expression language names its rounding modes after the decimal module.
EXPR_ROUNDING = {"half_up": "ROUND_HALF_UP", "half_even": "ROUND_HALF_EVEN", "down": "ROUND_DOWN", "up": "ROUND_UP"}


def freeze(value: Any) -> Any:
    """A read-only copy of plain data: mappings become proxies, lists tuples."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


@dataclass(frozen=True, slots=True)
class Rounding:
    """Decimal places and mode for every computed score."""

    places: int = 2
    mode: str = "half_up"

    @property
    def quantum(self) -> Decimal:
        """The smallest step at these places (0.01 for 2)."""
        return Decimal(1).scaleb(-self.places)

    def apply(self, value: Decimal) -> Decimal:
        """`value` rounded to the places with the mode."""
        return quantize(value, self.quantum, ROUNDING_MODES[self.mode])


@dataclass(frozen=True, slots=True)
class Band:
    """A half-open or closed interval [low, high] with inclusive flags."""

    low: Decimal
    high: Decimal
    low_inclusive: bool
    high_inclusive: bool

    def contains(self, value: Decimal) -> bool:
        """True when `value` lies in the band."""
        above = value > self.low or (self.low_inclusive and value == self.low)
        below = value < self.high or (self.high_inclusive and value == self.high)
        return above and below

    def describe(self, scale: Decimal = Decimal(1), suffix: str = "") -> str:
        """The band as text: '[1.2, 1.6)'."""
        lo = _plain(self.low * scale)
        hi = _plain(self.high * scale)
        return f"{'[' if self.low_inclusive else '('}{lo}{suffix}, {hi}{suffix}{']' if self.high_inclusive else ')'}"


def _plain(value: Decimal) -> str:
    from .._json import number

    return number(value)


@dataclass(frozen=True, slots=True)
class Tier:
    """A qualitative outcome tier and its band of the weight (fractions)."""

    id: int
    label: str
    band: Band
    default: Decimal


@dataclass(frozen=True, slots=True)
class Grade:
    """A grade and its band of the total (points)."""

    id: str
    band: Band


@dataclass(frozen=True, slots=True)
class Policy:
    """An indicator scoring policy: the first whose `when` is true gives the `score` (None: no score)."""

    id: str
    when: Expression
    score: Expression | None
    doc: str = ""


@dataclass(frozen=True, slots=True)
class DirectionRule:
    """Decides whether a quantitative indicator is positive (higher is better) or reverse."""

    id: str
    when: Expression
    direction: str


@dataclass(frozen=True, slots=True)
class Check:
    """A consistency check: where `when` holds and `assert` fails, a finding with code `id`."""

    id: str
    severity: str
    scope: str
    when: Expression | None
    assertion: Expression
    message: str
    doc: str = ""


@dataclass(frozen=True, slots=True)
class BudgetPolicy:
    """The budget-execution score."""

    weight: Decimal
    score: Expression
    doc: str = ""


@dataclass(frozen=True, slots=True)
class RuleSet:
    """A loaded, resolved and compiled rule set; evaluate forms with `perfeval_rules.evaluate`."""

    id: str
    title: str
    version: str
    legal_basis: tuple[str, ...]
    effective_from: str | None
    effective_to: str | None
    lineage: tuple[str, ...]
    sha256: str
    source: str
    rounding: Rounding
    score_tolerance: Decimal
    rate_tolerance: Decimal  # percentage points
    over_achievement: Decimal
    budget: BudgetPolicy
    direction: tuple[DirectionRule, ...]
    policies: tuple[Policy, ...]
    tiers: tuple[Tier, ...]
    grades: tuple[Grade, ...]
    checks: tuple[Check, ...]
    vocabulary: Vocabulary = field(repr=False)
    vocabulary_data: Mapping[str, Any] = field(repr=False)  # read-only: mappings are proxies, lists tuples
    data: Mapping[str, Any] = field(repr=False)  # the resolved document, read-only likewise

    def tier(self, tier_id: int) -> Tier | None:
        """The tier with this id."""
        return next((t for t in self.tiers if t.id == tier_id), None)

    def grade_of(self, total: Decimal) -> str | None:
        """The grade whose band holds `total`, or None."""
        return next((g.id for g in self.grades if g.band.contains(total)), None)
