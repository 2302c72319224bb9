"""The expression grammar's LALR parser (built once), its trees turned into nodes, syntax errors in plain words.

The only expression module that imports lark: `_parser` loads it only for a text whose tree no earlier
run kept.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from lark import Lark, Token, Transformer, Tree, v_args
from lark.exceptions import LarkError, UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from .._cache import cache_file
from . import _nodes as n
from ._parser import keyword_hint
from ._types import KEYWORDS, MAX_DEPTH, Problem

# How the parser's expectations read in a message: terminals that start a value or join two values
# are grouped, so the message says "expected a value" instead of listing ten tokens.
_VALUE_START = frozenset({"NUMBER", "STRING", "NAME"})
_OPERATORS = frozenset({"PLUS", "STAR", "SLASH", "COMPARE", "AND", "OR"})
_SHOWN = {"THEN": "'then'", "ELSE": "'else'", "_COMMA": "','", "_RPAR": "')'", "RSQB": "']'"}

# Characters a Chinese keyboard gives in place of an operator the language knows.
_LOOKALIKES = {
    "＝": "=",
    "＞": ">",
    "＜": "<",
    "＋": "+",
    "－": "-",
    "×": "*",
    "＊": "*",
    "÷": "/",
    "／": "/",
    "“": '"',
    "”": '"',
    "‘": "'",
    "’": "'",
    "【": "[",
    "】": "]",
    "！": "!",
}


@functools.cache
def _parser() -> Lark:
    grammar = Path(__file__).with_name("expr.lark").read_text(encoding="utf-8")
    # Building the LALR tables takes longer than everything else in loading a rule set: keep them (lark
    # checks the grammar's hash before using its file).
    return Lark(
        grammar,
        parser="lalr",
        lexer="basic",
        propagate_positions=True,
        maybe_placeholders=True,
        cache=cache_file("lark-expr.pickle"),
    )


def tree(text: str) -> n.Node:
    """The syntax tree of `text` (already checked for size); a Problem when it is bad."""
    try:
        parsed = _parser().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_problem(text, exc) from None
    except LarkError as exc:  # pragma: no cover - lark raises UnexpectedInput for every bad text
        raise Problem(f"cannot parse the expression: {exc}", 0) from None
    _check_depth(parsed)
    try:
        node: n.Node = _ToNodes().transform(parsed)
    except VisitError as exc:
        if isinstance(exc.orig_exc, Problem):
            raise exc.orig_exc from None
        raise
    return node


def _check_depth(tree: Tree[Token]) -> None:
    """Reject trees nested deeper than MAX_DEPTH, walking iteratively so depth cannot overflow the stack."""
    stack: list[tuple[Tree[Token], int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise Problem(f"expression nests too deeply (more than {MAX_DEPTH} levels)", node.meta.start_pos)
        stack.extend((child, depth + 1) for child in node.children if isinstance(child, Tree))


def _syntax_problem(text: str, exc: UnexpectedInput) -> Problem:
    if isinstance(exc, UnexpectedCharacters):
        offset = exc.pos_in_stream or 0
        ch = text[offset]
        if ch in "\"'":
            return Problem("text has no closing quote", offset, f"end the text with {ch} on the same line")
        hint = f"write {_LOOKALIKES[ch]!r} instead of {ch!r}" if ch in _LOOKALIKES else None
        return Problem(f"unexpected character {ch!r}", offset, hint)
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        expected = _expected(exc.accepts or exc.expected)
        if token.type == "$END":
            return Problem(f"unexpected end of expression{expected}", len(text.rstrip()))
        hint = None
        if token.type == "NAME" and token.value.lower() in KEYWORDS:
            hint = f"keywords are written in lowercase: {token.value.lower()!r}"
        elif token.type == "NAME":
            hint = keyword_hint(token.value)
        elif token.type == "COMPARE":
            hint = "comparisons do not chain: write 'a < b and b < c'"
        return Problem(f"unexpected {_shown_token(token)}{expected}", _span(token)[0], hint)
    return Problem("cannot parse the expression", getattr(exc, "pos_in_stream", 0) or 0)  # pragma: no cover


def _span(token: Token) -> tuple[int, int]:
    return token.start_pos or 0, token.end_pos or 0


def _shown_token(token: Token) -> str:
    if token.type == "NAME":
        return f"name {token.value!r}"
    if token.type == "NUMBER":
        return f"number {token.value}"
    if token.type == "STRING":
        return f"text {token.value}"
    return repr(token.value)


def _expected(terminals: set[str]) -> str:
    wanted = ["a value"] if terminals & _VALUE_START else []
    wanted += ["an operator"] if terminals & _OPERATORS else []
    wanted += [shown for name, shown in _SHOWN.items() if name in terminals]
    if not wanted:
        return ""
    if len(wanted) == 1:
        return f" (expected {wanted[0]})"
    return f" (expected {', '.join(wanted[:-1])} or {wanted[-1]})"


_ESCAPE = re.compile(r"\\(.)")
_ESCAPES = {"n": "\n", "t": "\t"}
_COMPARE = {"==": "=", "≠": "!=", "≤": "<=", "≥": ">="}


@v_args(meta=True)
class _ToNodes(Transformer[Token, n.Node]):
    """Lark tree to frozen nodes; tokens become leaf nodes through the terminal callbacks."""

    def start(self, meta: Any, children: list[n.Node]) -> n.Node:
        return children[0]

    def conditional(self, meta: Any, children: list[Any]) -> n.Node:
        _, condition, _, then, _, otherwise = children
        return n.Conditional(meta.start_pos, meta.end_pos, condition, then, otherwise)

    def logical(self, meta: Any, children: list[Any]) -> n.Node:
        op = children[1]
        symbol = "and" if op.type in ("AND", "ZH_AND") else "or"
        return n.Logical(meta.start_pos, meta.end_pos, n.Operator(symbol, op.start_pos), tuple(children[::2]))

    def negation(self, meta: Any, children: list[Any]) -> n.Node:
        return n.Not(meta.start_pos, meta.end_pos, children[1])

    def compare(self, meta: Any, children: list[Any]) -> n.Node:
        left, op, right = children
        symbol = _COMPARE.get(op.value, op.value)
        return n.Compare(meta.start_pos, meta.end_pos, n.Operator(symbol, op.start_pos), left, right)

    def member(self, meta: Any, children: list[Any]) -> n.Node:
        items: list[n.Node] = children[-1]
        return n.Member(meta.start_pos, meta.end_pos, children[0], tuple(items), negated=len(children) == 4)

    def choices(self, meta: Any, children: list[Any]) -> list[n.Node]:
        return [c for c in children if c is not None]

    def arithmetic(self, meta: Any, children: list[Any]) -> n.Node:
        rest = tuple(
            (n.Operator(op.value, op.start_pos), operand)
            for op, operand in zip(children[1::2], children[2::2], strict=True)
        )
        return n.Arithmetic(meta.start_pos, meta.end_pos, children[0], rest)

    def minus(self, meta: Any, children: list[Any]) -> n.Node:
        return n.Minus(meta.start_pos, meta.end_pos, children[1])

    def call(self, meta: Any, children: list[Any]) -> n.Node:
        name, *args = children
        return n.Call(meta.start_pos, meta.end_pos, name, tuple(a for a in args if a is not None))

    # Terminal callbacks: v_args(meta=True) does not apply to them, they receive the token alone.
    @v_args(inline=False)
    def NUMBER(self, token: Token) -> n.Node:
        return n.Number(*_span(token), Decimal(token.value))

    @v_args(inline=False)
    def STRING(self, token: Token) -> n.Node:
        body = _ESCAPE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), token.value[1:-1])
        return n.Text(*_span(token), body)

    @v_args(inline=False)
    def TRUE(self, token: Token) -> n.Node:
        return n.Boolean(*_span(token), True)

    @v_args(inline=False)
    def FALSE(self, token: Token) -> n.Node:
        return n.Boolean(*_span(token), False)

    @v_args(inline=False)
    def NULL(self, token: Token) -> n.Node:
        return n.Null(*_span(token))

    @v_args(inline=False)
    def NAME(self, token: Token) -> n.Node:
        return n.Name(*_span(token), token.value)
