"""The syntax tree of an expression: small frozen nodes, each with its span in the expression text."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Node:
    """A piece of an expression covering text[start:end]."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Number(Node):
    """A number literal, exact as written."""

    value: Decimal


@dataclass(frozen=True, slots=True)
class Text(Node):
    """A quoted text literal, escapes resolved."""

    value: str


@dataclass(frozen=True, slots=True)
class Boolean(Node):
    """`true` or `false`."""

    value: bool


@dataclass(frozen=True, slots=True)
class Null(Node):
    """`null`: no value; only meaningful in `x = null` and `x != null`."""


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A variable read, as written (possibly a Chinese alias)."""

    name: str


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call `name(args)`."""

    name: Name
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Minus(Node):
    """Unary minus."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Not(Node):
    """`not x` (or `非 x`)."""

    operand: Node


@dataclass(frozen=True, slots=True)
class Operator:
    """An operator token inside a chain, with its offset (for messages)."""

    symbol: str
    start: int


@dataclass(frozen=True, slots=True)
class Arithmetic(Node):
    """A flat chain of one precedence level: `a + b - c` or `a * b / c`, evaluated left to right."""

    first: Node
    rest: tuple[tuple[Operator, Node], ...]


@dataclass(frozen=True, slots=True)
class Logical(Node):
    """A flat chain `a and b and c` or `a or b or c` (op is 'and' or 'or')."""

    op: Operator
    operands: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """`left op right` with op normalised to one of = != < <= > >=."""

    op: Operator
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Member(Node):
    """`operand in [items]`, or `not in` when negated."""

    operand: Node
    items: tuple[Node, ...]
    negated: bool


@dataclass(frozen=True, slots=True)
class Conditional(Node):
    """`if condition then then else otherwise`."""

    condition: Node
    then: Node
    otherwise: Node
