"""Decimal rounding that never depends on, or is refused by, the thread's decimal context."""

from __future__ import annotations

from decimal import Context, Decimal


def quantize(value: Decimal, quantum: Decimal, rounding: str) -> Decimal:
    """`value` rounded to the step `quantum` (0.01) with `rounding`, however many digits it has.

    The thread context keeps 28 digits and refuses a quantize whose result needs more (a score of
    1e40 at 2 places); this one is as precise as the result needs.
    """
    digits = max(value.adjusted(), 0) - quantum.adjusted() + 2
    return value.quantize(quantum, context=Context(prec=max(28, digits), rounding=rounding))
