"""The policy expression language of rule sets: scores, conditions and checks, compiled once, run many times.

>>> from decimal import Decimal
>>> scope = Scope((Variable("actual", Type.NUMBER, aliases=("完成值",)), Variable("target", Type.NUMBER)))
>>> compile_expression("min(完成值 / target, 1)", scope, expect=Type.NUMBER).evaluate(
...     {"actual": Decimal("3125"), "target": Decimal("3500")})
Decimal('0.8928571428571428571428571428571429')
"""

from ._compiler import Expression, compile_expression
from ._functions import MAX_PLACES
from ._types import MAX_DEPTH, MAX_LENGTH, PRECISION, ExprError, Function, Scope, Type, Undefined, Value, Variable

__all__ = [
    "MAX_DEPTH",
    "MAX_LENGTH",
    "MAX_PLACES",
    "PRECISION",
    "ExprError",
    "Expression",
    "Function",
    "Scope",
    "Type",
    "Undefined",
    "Value",
    "Variable",
    "compile_expression",
]
