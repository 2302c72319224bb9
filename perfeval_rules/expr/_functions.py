"""The built-in functions (min, max, clamp, round, abs) and the decimal context all arithmetic uses."""

from __future__ import annotations

import decimal
import functools
from decimal import Decimal

from ._types import PRECISION, Function, Type, Undefined, Value

# A private context: arithmetic never reads or changes the thread's global decimal context.
CONTEXT = decimal.Context(
    prec=PRECISION,
    rounding=decimal.ROUND_HALF_EVEN,
    traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow],
)

ROUNDING_MODES = frozenset(
    {
        decimal.ROUND_HALF_UP,
        decimal.ROUND_HALF_EVEN,
        decimal.ROUND_HALF_DOWN,
        decimal.ROUND_UP,
        decimal.ROUND_DOWN,
        decimal.ROUND_CEILING,
        decimal.ROUND_FLOOR,
        decimal.ROUND_05UP,
    }
)

MAX_PLACES = 20
"""round(x, places) accepts 0 to MAX_PLACES places."""

BUILTIN_NAMES = frozenset({"min", "max", "clamp", "round", "abs", "最小值", "最大值", "四舍五入", "绝对值"})


def rounding_mode(name: str) -> str | None:
    """The decimal rounding constant for 'ROUND_HALF_UP', 'half_up' or 'half-up'; None when unknown."""
    key = name.strip().upper().replace("-", "_")
    key = key if key.startswith("ROUND_") else f"ROUND_{key}"
    return key if key in ROUNDING_MODES else None


def _min(*values: Decimal) -> Value:
    return min(values)


def _max(*values: Decimal) -> Value:
    return max(values)


def _clamp(x: Decimal, low: Decimal, high: Decimal) -> Value:
    if low > high:
        return Undefined(f"clamp() low bound {low} is above high bound {high}")
    return low if x < low else high if x > high else x


def _abs(x: Decimal) -> Value:
    return x.copy_abs()


def _round_with(mode: str) -> Function:
    def _round(x: Decimal, places: Decimal) -> Value:
        if not 0 <= places <= MAX_PLACES or places != places.to_integral_value(context=CONTEXT):
            return Undefined(f"round() needs a whole number of places from 0 to {MAX_PLACES}, got {places}")
        try:
            return x.quantize(Decimal((0, (1,), -int(places))), rounding=mode, context=CONTEXT)
        except decimal.InvalidOperation:
            return Undefined(f"round() result would have more than {PRECISION} digits")

    return Function("round", (Type.NUMBER, Type.NUMBER), Type.NUMBER, _round, aliases=("四舍五入",))


@functools.cache
def builtins(rounding: str) -> dict[str, Function]:
    """The built-in functions by name and alias, with round() using the `rounding` mode."""
    number = Type.NUMBER
    functions = (
        Function("min", (number,), number, _min, variadic=True, aliases=("最小值",)),
        Function("max", (number,), number, _max, variadic=True, aliases=("最大值",)),
        Function("clamp", (number, number, number), number, _clamp),
        Function("abs", (number,), number, _abs, aliases=("绝对值",)),
        _round_with(rounding),
    )
    return {name: fn for fn in functions for name in (fn.name, *fn.aliases)}
