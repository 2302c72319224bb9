"""The vocabulary shared by the parser and the compiler: types, scopes, values, limits and errors."""

from __future__ import annotations

import enum
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from decimal import Decimal

from ..errors import Location, RuleSetError

MAX_LENGTH = 2000
"""The longest expression accepted, in characters."""

MAX_DEPTH = 40
"""The deepest nesting accepted: brackets, calls, `if`, `not`, unary minus and mixed operators."""

PRECISION = 34
"""Significant digits kept by the arithmetic (results of + - * / are rounded half-even to this)."""

KEYWORDS = frozenset({"if", "then", "else", "and", "or", "not", "in", "true", "false", "null", "且", "或", "非"})

# The CJK ideographs a name may hold, beside ASCII letters, digits and _ (expr.lark's NAME terminal).
_IDEOGRAPHS = (("\u3400", "\u4dbf"), ("\u4e00", "\u9fff"), ("\uf900", "\ufaff"))


def is_name(text: str) -> bool:
    """True when `text` is what expr.lark's NAME terminal matches: a letter, _ or ideograph, then digits too.

    Not a regex: one with these ranges costs several milliseconds to compile, on every start.
    """
    return (
        bool(text)
        and not "0" <= text[0] <= "9"
        and all(
            (ch.isascii() and (ch.isalnum() or ch == "_")) or any(lo <= ch <= hi for lo, hi in _IDEOGRAPHS)
            for ch in text
        )
    )


class Type(enum.Enum):
    """The static type of a value or an expression; every type may also be missing at run time."""

    NUMBER = "number"
    TEXT = "text"
    BOOL = "bool"
    ANY = "any"

    @property
    def shown(self) -> str:
        """The type as a message shows it: 'a number', 'text', 'true/false', 'a value'."""
        return _SHOWN[self]


_SHOWN = {Type.NUMBER: "a number", Type.TEXT: "text", Type.BOOL: "true/false", Type.ANY: "a value"}


@dataclass(frozen=True, slots=True)
class Undefined:
    """The result of an expression that has no value: division by zero, a missing input, a type clash."""

    reason: str

    def __str__(self) -> str:
        return f"undefined ({self.reason})"


Value = Decimal | str | bool | None | Undefined
"""What an expression reads and gives: numbers are Decimal, text is str, conditions are bool."""


@dataclass(frozen=True)
class Variable:
    """A name an expression may read; `aliases` are other spellings (often Chinese) of the same value."""

    name: str
    type: Type
    aliases: tuple[str, ...] = ()
    doc: str = ""


@dataclass(frozen=True)
class Function:
    """A callable an expression may use; with `variadic` the last parameter may repeat."""

    name: str
    params: tuple[Type, ...]
    returns: Type
    impl: Callable[..., Value]
    variadic: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Scope:
    """The variables and caller functions an expression may use (the built-in functions always are)."""

    variables: tuple[Variable, ...]
    functions: tuple[Function, ...] = ()
    by_name: dict[str, Variable] = field(init=False, repr=False, compare=False, hash=False)
    functions_by_name: dict[str, Function] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        from ._functions import BUILTIN_NAMES

        variables: dict[str, Variable] = {}
        for var in self.variables:
            for name in (var.name, *var.aliases):
                _check_name(name, variables)
                variables[name] = var
        functions: dict[str, Function] = {}
        for fn in self.functions:
            if not fn.params and fn.variadic:
                raise ValueError(f"variadic function {fn.name!r} needs at least one parameter")
            for name in (fn.name, *fn.aliases):
                _check_name(name, functions)
                if name in BUILTIN_NAMES:
                    raise ValueError(f"{name!r} is a built-in function")
                functions[name] = fn
        object.__setattr__(self, "by_name", variables)
        object.__setattr__(self, "functions_by_name", functions)


def _check_name(name: str, seen: Container[str]) -> None:
    if not is_name(name) or name in KEYWORDS:
        raise ValueError(f"{name!r} cannot be written as a name in an expression")
    if name in seen:
        raise ValueError(f"{name!r} is declared twice in the scope")


class ExprError(RuleSetError):
    """An expression that is too large, does not parse or does not type-check, located at the token."""

    def __init__(
        self, message: str, location: Location | None = None, hint: str | None = None, *, excerpt: str = ""
    ) -> None:
        super().__init__(message, location, hint)
        self.excerpt = excerpt

    def __str__(self) -> str:
        head = f"{self.location}: {self.message}" if self.location else self.message
        lines = [f"{head} [{self.code}]"]
        excerpt = self.excerpt or (self.location.excerpt() if self.location else "")
        if excerpt:
            lines.append(excerpt)
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        return "\n".join(lines)


class Problem(Exception):
    """What the parser or compiler found wrong at `offset`; compile_expression locates it as an ExprError."""

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint
