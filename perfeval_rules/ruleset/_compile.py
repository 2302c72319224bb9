"""The one place the rule-set loader talks to the expression language: scopes, functions, compiling."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from typing import Any

from .._decimal import quantize
from ..errors import Location
from .model import EXPR_ROUNDING, Band, Grade, Rounding, Tier
from .variables import SCOPES, VarSpec


def _types() -> dict[str, Any]:
    from ..expr import Type

    return {"number": Type.NUMBER, "text": Type.TEXT, "bool": Type.BOOL, "any": Type.ANY}


class Compiler:
    """Compiles a rule set's expressions against its scopes and band/tier functions."""

    def __init__(self, tiers: Sequence[Tier], grades: Sequence[Grade], rounding: Rounding) -> None:
        self.tiers = {t.id: t for t in tiers}
        self.grades = tuple(grades)
        self.rounding = rounding
        self._scopes: dict[str, Any] = {}

    def scope(self, name: str) -> Any:
        """The expression scope for `name` (indicator, indicator-check, budget, budget-check, form-check)."""
        if name not in self._scopes:
            from ..expr import Function, Scope, Variable

            types = _types()
            variables = tuple(Variable(v.name, types[v.type], aliases=v.aliases, doc=v.doc) for v in SCOPES[name])
            functions = tuple(
                Function(fname, tuple(types[p] for p in params), types[ret], impl, aliases=aliases)
                for fname, params, ret, impl, aliases in self._functions()
            )
            self._scopes[name] = Scope(variables, functions)
        return self._scopes[name]

    def compile(self, text: str, scope: str, expect: str, where: Location) -> Any:
        """An Expression of the expected type ('number' or 'bool'), or a located ExprError."""
        from ..expr import compile_expression

        return compile_expression(
            text, self.scope(scope), expect=_types()[expect], where=where, rounding=EXPR_ROUNDING[self.rounding.mode]
        )

    def _functions(self) -> list[tuple[str, tuple[str, ...], str, Callable[..., Any], tuple[str, ...]]]:
        return [
            ("tier_low", ("number",), "number", self.tier_low, ("档次下限",)),
            ("tier_high", ("number",), "number", self.tier_high, ("档次上限",)),
            ("tier_default", ("number",), "number", self.tier_default, ("档次默认",)),
            ("in_tier", ("number", "number", "number"), "bool", self.in_tier, ("在档内",)),
            ("tier_score", ("number", "number", "any"), "number", self.tier_score, ("档次得分",)),
            ("grade", ("number",), "text", self.grade, ("评级",)),
        ]

    def _tier(self, tier: Any) -> Tier | None:
        if not isinstance(tier, Decimal | int) or isinstance(tier, bool) or tier != int(tier):
            return None
        return self.tiers.get(int(tier))

    def tier_low(self, tier: Any) -> Any:
        """Lower edge of the tier's band, as a fraction of the weight."""
        t = self._tier(tier)
        return t.band.low if t else _undefined(f"no tier {tier}")

    def tier_high(self, tier: Any) -> Any:
        """Upper edge of the tier's band, as a fraction of the weight."""
        t = self._tier(tier)
        return t.band.high if t else _undefined(f"no tier {tier}")

    def tier_default(self, tier: Any) -> Any:
        """The fraction of the weight given when no score is reported."""
        t = self._tier(tier)
        return t.default if t else _undefined(f"no tier {tier}")

    def in_tier(self, tier: Any, score: Any, weight: Any) -> Any:
        """True when `score` lies in the tier's band of `weight`."""
        t = self._tier(tier)
        if t is None or not isinstance(score, Decimal | int) or not isinstance(weight, Decimal | int):
            return _undefined(f"no tier {tier}" if t is None else "score or weight missing")
        return scaled(t.band, Decimal(weight)).contains(Decimal(score))

    def tier_score(self, tier: Any, weight: Any, reported: Any) -> Any:
        """The reported score when inside the tier's band, else the nearest edge; the default when none."""
        t = self._tier(tier)
        if t is None or not isinstance(weight, Decimal | int):
            return _undefined(f"no tier {tier}" if t is None else "weight missing")
        return band_score(t, Decimal(weight), reported if isinstance(reported, Decimal | int) else None, self.rounding)

    def grade(self, total: Any) -> Any:
        """The grade whose band holds `total`."""
        if not isinstance(total, Decimal | int):
            return _undefined("total missing")
        hit = next((g.id for g in self.grades if g.band.contains(Decimal(total))), None)
        return hit if hit is not None else _undefined(f"no grade band holds {total}")


def scaled(band: Band, weight: Decimal) -> Band:
    """The band in points for `weight`."""
    return Band(band.low * weight, band.high * weight, band.low_inclusive, band.high_inclusive)


def band_score(tier: Tier, weight: Decimal, reported: Decimal | int | None, rounding: Rounding) -> Decimal:
    """Score of a tiered indicator: the reported score inside the band, else the nearest edge at the places."""
    points = scaled(tier.band, weight)
    if reported is None:
        return rounding.apply(tier.default * weight)
    value = Decimal(reported)
    if points.contains(value):
        return value
    q = rounding.quantum
    if value <= points.low:
        edge = quantize(points.low, q, ROUND_CEILING)
        edge = edge if points.low_inclusive or edge > points.low else edge + q
    else:
        edge = quantize(points.high, q, ROUND_FLOOR)
        edge = edge if points.high_inclusive or edge < points.high else edge - q
    # A band too narrow for the places (a weight of 0) has no inner value; never leave [0, weight].
    return min(max(edge, Decimal(0)), weight)


def _undefined(reason: str) -> Any:
    from ..expr import Undefined

    return Undefined(reason)


def scope_names(scope: str) -> list[str]:
    """Every name (English and Chinese) a message template may use in `scope`."""
    specs: tuple[VarSpec, ...] = SCOPES[scope]
    return [n for v in specs for n in (v.name, *v.aliases)]
