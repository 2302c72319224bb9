"""The compiler's inline paths (a variable against a literal or a variable, `and`/`or` of two) against its
general closures: the same value, and the same reason when undefined, for every kind of input."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval_rules.expr import Scope, Type, Undefined, Variable, _compiler, _types, compile_expression

SCOPE = Scope(
    (
        Variable("x", Type.NUMBER, aliases=("甲",)),
        Variable("y", Type.NUMBER),
        Variable("s", Type.TEXT),
        Variable("t", Type.TEXT),
        Variable("b", Type.BOOL),
        Variable("c", Type.BOOL),
        Variable("a", Type.ANY),
    )
)
EXPRESSIONS = (
    "x > 0",
    "甲 >= 0.5",
    "x <= y",
    "x == y",
    "x != 3",
    "x < -2",
    's == "优"',
    "s != t",
    "s == t",
    "b == true",
    "b != c",
    "a == 1",
    "a == x",
    "b and c",
    "b or c",
    "b and x > 1",
    'x > 1 or s == "a"',
    "b and c and x > 0",
    "not b or y < x",
    "x = null",
    "1 < x",
    "x - y",
    "x / y",
    "min(x, 1) * y",
    "abs(x - y) <= 0.5",
    "round(x, y)",
    "max(x, y, 2)",
    "x * 2 + y",
    "abs(a)",
)
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.text(max_size=3),
    st.sampled_from(["优", "a", ""]),
    st.integers(-3, 3),
    st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-5, max_value=5),
    st.sampled_from([Decimal("NaN"), Decimal("Infinity"), Decimal("-0"), Decimal("1.00"), Decimal("sNaN")]),
    st.floats(allow_nan=False, width=32),
    st.builds(Undefined, st.sampled_from(["gone", "失败"])),
)


def _general(text: str) -> Any:
    """`text` compiled with the inline paths turned off: every operator keeps its general closure."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_compiler, "_fast_compare", lambda *args: args[-1])
        patch.setattr(_compiler, "_logical_pair", lambda *args: args[-1])
        patch.setattr(_compiler, "_one_step", lambda *args: args[-1])
        patch.setattr(_compiler, "_builtin_call", lambda *args: args[-1])
        return compile_expression(text, SCOPE)


GENERAL = {text: _general(text) for text in EXPRESSIONS}


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, Undefined) or isinstance(b, Undefined):
        return type(a) is type(b) and a.reason == b.reason
    return type(a) is type(b) and a == b


def test_the_inline_paths_are_used() -> None:
    texts = ("x > 0", "x <= y", 's == "优"', "b and c", "x - y", "abs(a)", "round(x, y)")
    names = [compile_expression(text, SCOPE)._run.__name__ for text in texts]
    assert names == ["number_literal", "numbers", "literal", "logical_pair", "one_step", "call_one", "call_two"]
    assert [GENERAL[text]._run.__name__ for text in texts[3:]] == ["logical", "arithmetic", "call", "call"]


@pytest.mark.parametrize("text", EXPRESSIONS)
@settings(max_examples=150, deadline=None)
@given(env=st.fixed_dictionaries({}, optional={k: VALUES for k in ("x", "y", "s", "t", "b", "c", "a")}))
def test_inline_paths_agree_with_the_general_ones(text: str, env: dict[str, Any]) -> None:
    fast, general = compile_expression(text, SCOPE), GENERAL[text]
    got, want = fast.evaluate(env), general.evaluate(env)
    assert _same(got, want), (text, env, got, want)


def _grammar_name() -> re.Pattern[str]:
    """expr.lark's NAME terminal, the definition `is_name` follows."""
    grammar = (Path(_types.__file__).with_name("expr.lark")).read_text(encoding="utf-8")
    match = re.search(r"^NAME: /(.+)/$", grammar, re.MULTILINE)
    assert match is not None
    return re.compile(match.group(1))


# Characters on both sides of every edge of the ranges a name may hold, and some others.
_BOUNDS = (0x30, 0x39, 0x41, 0x5A, 0x61, 0x7A, 0x3400, 0x4DBF, 0x4E00, 0x9FFF, 0xF900, 0xFAFF)
_EDGES = "".join(chr(c + d) for c in _BOUNDS for d in (-1, 0, 1)) + "_ 字ａ٣é𠀀"


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet=st.sampled_from(_EDGES) | st.characters(), max_size=6))
def test_a_name_is_what_the_grammar_calls_one(text: str) -> None:
    assert _types.is_name(text) == bool(_grammar_name().fullmatch(text))


def test_names_the_grammar_takes_and_refuses() -> None:
    taken = {t: _types.is_name(t) for t in ("执行率", "rate_2", "_x", "2x", "", "a-b", "得分 ", "ｒａｔｅ")}
    assert taken == {"执行率": True, "rate_2": True, "_x": True, "2x": False, "": False, "a-b": False,
                     "得分 ": False, "ｒａｔｅ": False}  # fmt: skip
