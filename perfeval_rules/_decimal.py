"""Decimal rounding that never depends on, or is refused by, the thread's decimal context."""

from __future__ import annotations

from decimal import Context, Decimal

_PREC = 28
# One context per rounding mode at the usual precision: making a Context costs more than the quantize.
# Its flags may change as it is used; they never change a result (no trap is ever added).
_CONTEXTS: dict[str, Context] = {}


def quantize(value: Decimal, quantum: Decimal, rounding: str) -> Decimal:
    """`value` rounded to the step `quantum` (0.01) with `rounding`, however many digits it has.

    The thread context keeps 28 digits and refuses a quantize whose result needs more (a score of
    1e40 at 2 places); this one is as precise as the result needs.
    """
    digits = max(value.adjusted(), 0) - quantum.adjusted() + 2
    if digits > _PREC:
        return value.quantize(quantum, context=Context(prec=digits, rounding=rounding))
    context = _CONTEXTS.get(rounding)
    if context is None:
        context = _CONTEXTS[rounding] = Context(prec=_PREC, rounding=rounding)
    return value.quantize(quantum, context=context)
