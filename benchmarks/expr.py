"""Expression evaluation speed: compiled policy expressions evaluated per second on one indicator row."""

from __future__ import annotations

import time
from decimal import Decimal

from perfeval_rules.expr import Function, Scope, Type, Variable, compile_expression

N = Type.NUMBER
SCOPE = Scope(
    (
        Variable("actual", N, aliases=("完成值",)),
        Variable("target", N, aliases=("指标值",)),
        Variable("weight", N, aliases=("分值",)),
        Variable("reported_score", N),
        Variable("tier", N),
        Variable("direction", Type.TEXT),
        Variable("met", Type.BOOL),
    ),
    (Function("tier_low", (N,), N, lambda tier: Decimal("0.8")),),
)
EXPRESSIONS = [
    "min(actual / target, 1) * weight",
    'if direction = "reverse" then min(target / actual, 1) * weight else min(actual / target, 1) * weight',
    "分值 * 完成值 / 指标值",
    "reported_score >= tier_low(tier) * weight",
    "not met or clamp(round(actual / target * weight, 2), 0, weight) = reported_score",
]
ENV = {
    "actual": Decimal("3125"),
    "target": Decimal("3500"),
    "weight": Decimal("10"),
    "reported_score": Decimal("9"),
    "tier": Decimal("2"),
    "direction": "forward",
    "met": True,
}


def main() -> None:
    """Print compiles and evaluations per second for each expression."""
    for text in EXPRESSIONS:
        start = time.perf_counter()
        for _ in range(200):
            expression = compile_expression(text, SCOPE)
        compiles = 200 / (time.perf_counter() - start)
        rounds = 100_000
        start = time.perf_counter()
        for _ in range(rounds):
            expression.evaluate(ENV)
        evaluations = rounds / (time.perf_counter() - start)
        print(f"{evaluations:>12,.0f} evaluations/s  {compiles:>8,.0f} compiles/s  {text}")


if __name__ == "__main__":
    main()
