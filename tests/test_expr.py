"""The policy expression language: data-driven cases, limits, scopes and properties."""

from __future__ import annotations

import decimal
import doctest
import enum
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import perfeval_rules.expr
from perfeval_rules._yaml import load_file
from perfeval_rules.errors import Location
from perfeval_rules.expr import (
    MAX_DEPTH,
    ExprError,
    Function,
    Scope,
    Type,
    Undefined,
    Value,
    Variable,
    compile_expression,
)

CASES = load_file(Path(__file__).with_name("expr_cases.yaml")).data

_TIERS = {Decimal(1): (Decimal("0.9"), Decimal("1.0")), Decimal(2): (Decimal("0.8"), Decimal("0.9"))}


def _tier(index: int) -> Any:
    def lookup(tier: Decimal) -> Value:
        if tier not in _TIERS:
            raise KeyError(f"no tier {tier}")
        return _TIERS[tier][index]

    return lookup


def _grade(total: Decimal) -> Value:
    return "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"


def _describe(value: Value) -> Value:
    return "nothing" if value is None else type(value).__name__


NUMBER, TEXT, ANY = Type.NUMBER, Type.TEXT, Type.ANY
FUNCTIONS = (
    Function("tier_low", (NUMBER,), NUMBER, _tier(0)),
    Function("tier_high", (NUMBER,), NUMBER, _tier(1)),
    Function("grade", (NUMBER,), TEXT, _grade, aliases=("等级",)),
    Function("describe", (ANY,), TEXT, _describe),
    Function("flaky", (NUMBER,), NUMBER, lambda x: 0.5),
    Function("wrong_type", (NUMBER,), TEXT, lambda x: x),
    Function("tier_name", (NUMBER,), ANY, lambda x: "优秀"),
)
SCOPE = Scope(
    tuple(Variable(name, Type(spec["type"]), tuple(spec.get("aliases", ()))) for name, spec in CASES["scope"].items()),
    FUNCTIONS,
)
OUTCOMES = ("number", "bool", "text", "missing", "undefined", "error")


def _value(raw: Any) -> Value:
    """A YAML value as an env value: YAML numbers (int or Decimal) become Decimal."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Decimal(raw)
    return raw  # type: ignore[no-any-return]


def _case_id(case: dict[str, Any]) -> str:
    return str(case["expr"])[:60]


@pytest.mark.parametrize("case", CASES["cases"], ids=_case_id)
def test_case(case: dict[str, Any]) -> None:
    outcomes = [key for key in OUTCOMES if key in case]
    assert len(outcomes) == 1 or (outcomes == [] and "explain" in case), f"one outcome per case: {case}"
    where = Location(**case["where"]) if "where" in case else None
    options: dict[str, Any] = {"where": where}
    if "expect" in case:
        options["expect"] = Type(case["expect"])
    if "rounding" in case:
        options["rounding"] = case["rounding"]
    if "error" in case:
        with pytest.raises(ExprError) as info:
            compile_expression(case["expr"], SCOPE, **options)
        assert str(info.value) == case["error"]
        return
    expression = compile_expression(case["expr"], SCOPE, **options)
    env = {name: _value(raw) for name, raw in case.get("env", {}).items()}
    result = expression.evaluate(env)
    if "type" in case:
        assert expression.type is Type(case["type"])
    if "explain" in case:
        assert expression.explain(env) == case["explain"]
    if "number" in case:
        assert type(result) is Decimal and str(result) == case["number"], result
    elif "bool" in case:
        assert result is case["bool"]
    elif "text" in case:
        assert result == case["text"] and type(result) is str
    elif "missing" in case:
        assert result is None
    elif "undefined" in case:
        assert isinstance(result, Undefined), result
        assert case["undefined"] in result.reason


def test_module_example_runs() -> None:
    assert doctest.testmod(perfeval_rules.expr).failed == 0


def test_cases_cover_every_outcome() -> None:
    seen = {key for case in CASES["cases"] for key in OUTCOMES if key in case}
    assert seen == set(OUTCOMES)


def test_five_thousand_nested_parentheses_give_the_located_depth_error() -> None:
    text = "(" * 5000 + "1" + ")" * 5000
    where = Location("rules/deep.yaml", 4, 10)
    with pytest.raises(ExprError) as info:
        compile_expression(text, SCOPE, where=where)
    message = str(info.value)
    assert message.startswith(
        f"rules/deep.yaml:4:50: expression nests too deeply (more than {MAX_DEPTH} levels) [E004]\n"
    )
    assert message.endswith("\n" + " " * 44 + "^")


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("not " * 450 + "met", 161),
        ("- " * 900 + "1", 81),
        ("min(" * 41 + "1" + ")" * 41, 164),
        ("if met then 1 else " * 45 + "2", 761),
        ("abs(-" * 21 + "1" + ")" * 21, 101),
    ],
)
def test_deep_nesting_without_many_brackets_is_a_located_error(text: str, column: int) -> None:
    with pytest.raises(ExprError) as info:
        compile_expression(text, SCOPE)
    assert info.value.message == f"expression nests too deeply (more than {MAX_DEPTH} levels)"
    assert info.value.location is not None and info.value.location.column == column


def test_nesting_up_to_the_limit_and_long_flat_chains_are_accepted() -> None:
    nested = compile_expression("min(" * MAX_DEPTH + "1" + ")" * MAX_DEPTH, SCOPE)
    assert nested.evaluate({}) == Decimal(1)
    flat = compile_expression(" + ".join(["1"] * 400), SCOPE)
    assert flat.evaluate({}) == Decimal(400)


def test_an_expression_of_ten_thousand_characters_is_rejected() -> None:
    text = " + ".join(["weight"] * 1112)[:10_000]
    assert len(text) == 10_000
    with pytest.raises(ExprError) as info:
        compile_expression(text, SCOPE, where=Location("rules/x.yaml", 2, 8))
    assert str(info.value).startswith(
        "rules/x.yaml:2:2008: expression is too long (10000 characters, at most 2000) [E004]\n    …"
    )


def test_compiled_expression_is_reusable_and_reports_canonical_names() -> None:
    expression = compile_expression("分值 * 完成值 / 指标值 + max(actual, 0)", SCOPE, expect=Type.NUMBER)
    assert expression.names == frozenset({"weight", "actual", "target"})
    assert expression.type is Type.NUMBER
    assert expression.text == "分值 * 完成值 / 指标值 + max(actual, 0)"
    for actual, result in [(3150, "9"), (1750, "5")]:
        env = {"weight": Decimal(10), "actual": Decimal(actual), "target": Decimal(3500)}
        assert str(expression.evaluate(env)) == str(Decimal(result) + actual)


def test_expression_reports_functions_and_pickles_by_recompiling() -> None:
    scope = Scope((Variable("actual", NUMBER, aliases=("完成值",)),), (Function("grade", (NUMBER,), TEXT, _grade),))
    where = Location("rules/x.yaml", 2, 8)
    expression = compile_expression("grade(四舍五入(完成值, 0))", scope, expect=TEXT, where=where)
    assert expression.functions == frozenset({"grade", "round"})
    copy = pickle.loads(pickle.dumps(expression))
    assert (copy.text, copy.type, copy.names) == (expression.text, TEXT, frozenset({"actual"}))
    assert copy.evaluate({"actual": Decimal("89.5")}) == "优"


def test_evaluation_leaves_the_global_decimal_context_alone() -> None:
    expression = compile_expression("1 / 3 + round(2.5, 0)", SCOPE)
    with decimal.localcontext() as ctx:
        ctx.prec = 5
        ctx.rounding = decimal.ROUND_DOWN
        ctx.traps[decimal.Inexact] = True
        before = dict(ctx.flags)
        assert str(expression.evaluate({})) == "3.333333333333333333333333333333333"
        long = compile_expression("actual", SCOPE)
        assert long.explain({"actual": Decimal("1234567890.12345678901234567890")}) == "1234567890.1234567890123456789"
        assert long.explain({"actual": Decimal("-0.00")}) == "0"
        assert dict(ctx.flags) == before


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (0.5, "actual is a binary float; pass a Decimal"),
        (Decimal("NaN"), "actual is not a finite number (NaN)"),
        (Decimal("Infinity"), "actual is not a finite number (Infinity)"),
        ("3150", "actual should be a number, got text"),
        (True, "actual should be a number, got true/false"),
        ([1], "actual has an unsupported type list"),
        (Undefined("upstream failed"), "upstream failed"),
    ],
)
def test_bad_env_values_give_undefined(value: object, reason: str) -> None:
    expression = compile_expression("actual + 1", SCOPE)
    assert expression.evaluate({"actual": value}) == Undefined(reason)  # type: ignore[dict-item]


def test_env_ints_and_str_subclasses_are_taken_as_plain_values() -> None:
    assert compile_expression("actual + 1", SCOPE).evaluate({"actual": 2}) == Decimal(3)  # type: ignore[dict-item]

    class Kind(enum.StrEnum):
        QUALITATIVE = "qualitative"

    expression = compile_expression('kind = "qualitative" and extra in ["qualitative"]', SCOPE)
    assert expression.evaluate({"kind": Kind.QUALITATIVE, "extra": Kind.QUALITATIVE}) is True


def test_overflow_is_undefined() -> None:
    env = {"actual": Decimal("1E+999990")}
    result = compile_expression("actual * actual", SCOPE).evaluate(env)
    assert result == Undefined("number out of range in 'actual * actual'")


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        (lambda: Scope((Variable("a", NUMBER), Variable("a", TEXT))), "'a' is declared twice in the scope"),
        (lambda: Scope((Variable("a", NUMBER, aliases=("甲",)), Variable("甲", NUMBER))), "'甲' is declared twice"),
        (lambda: Scope((Variable("a-b", NUMBER),)), "'a-b' cannot be written as a name in an expression"),
        (lambda: Scope((Variable("and", NUMBER),)), "'and' cannot be written as a name"),
        (lambda: Scope((), (Function("min", (NUMBER,), NUMBER, abs),)), "'min' is a built-in function"),
        (lambda: Scope((), (Function("f", (), NUMBER, abs, variadic=True),)), "needs at least one parameter"),
    ],
)
def test_bad_scopes_are_refused(scope: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        scope()


def test_rounding_mode_and_text_type_are_checked() -> None:
    where = Location("rules/x.yaml", 3, 5)
    with pytest.raises(ExprError) as info:
        compile_expression("1", SCOPE, rounding="bankers", where=where)
    assert str(info.value) == (
        "rules/x.yaml:3:5: unknown rounding mode 'bankers' [E004]\n    hint: use e.g. ROUND_HALF_UP or ROUND_HALF_EVEN"
    )
    with pytest.raises(ExprError) as info:
        compile_expression(["a"], SCOPE, where=where)  # type: ignore[arg-type]
    assert str(info.value) == (
        "rules/x.yaml:3:5: an expression must be text, got list ['a'] [E004]\n    hint: quote it in the YAML file"
    )


@pytest.mark.parametrize(
    ("raw", "text", "value"),
    [(5, "5", Decimal(5)), (Decimal("0.50"), "0.50", Decimal("0.50")), (-2, "-2", Decimal(-2)), (True, "true", True)],
)
def test_yaml_numbers_and_booleans_are_taken_as_literals(raw: object, text: str, value: Value) -> None:
    expression = compile_expression(raw, SCOPE)  # type: ignore[arg-type]
    assert expression.text == text
    assert expression.evaluate({}) == value


# --- properties

_TOKENS = [
    "actual", "target", "weight", "met", "kind", "分值", "指标值", "tier_low", "min", "round", "clamp", "x",
    "1", "0", "2.5", "0.885", '"a"', "'定性'", "true", "false", "null",
    "+", "-", "*", "/", "=", "==", "!=", "<", "<=", ">", ">=", "≥", "≤", "≠",
    "and", "or", "not", "且", "或", "非", "if", "then", "else", "in",
    "(", ")", "[", "]", ",", "（", "）", "，", ".", '"', "'", "\\", "\n", "＝", "__import__", "@", "{", "}",
]  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_TOKENS), max_size=25), st.sampled_from(["", " "]))
def test_random_token_strings_only_raise_expr_error(tokens: list[str], sep: str) -> None:
    text = sep.join(tokens)
    try:
        expression = compile_expression(text, SCOPE)
    except ExprError as exc:
        assert exc.location is not None and exc.location.column is not None
        return
    env: dict[str, Value] = {"actual": Decimal(3), "target": Decimal(0), "met": True, "kind": "定性"}
    result = expression.evaluate(env)
    assert result is None or isinstance(result, Decimal | str | bool | Undefined)
    assert isinstance(expression.explain(env), str)


_DECIMALS = st.decimals(min_value=-100, max_value=100, places=2, allow_nan=False, allow_infinity=False)


def _leaf(value: Decimal) -> tuple[str, Decimal | None]:
    return (f"({value})" if value < 0 else str(value)), value


def _combine(parts: tuple[tuple[str, Decimal | None], str, tuple[str, Decimal | None]]) -> tuple[str, Decimal | None]:
    (left_text, left), op, (right_text, right) = parts
    text = f"({left_text} {op} {right_text})"
    if left is None or right is None:
        return text, None
    with decimal.localcontext(decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN)):
        if op == "/":
            return text, None if right == 0 else left / right
        return text, left + right if op == "+" else left - right if op == "-" else left * right


_TREES = st.recursive(
    _DECIMALS.map(_leaf),
    lambda inner: st.tuples(inner, st.sampled_from("+-*/"), inner).map(_combine),
    max_leaves=8,
)


@settings(max_examples=200, deadline=None)
@given(_TREES)
def test_arithmetic_matches_direct_decimal_computation(tree: tuple[str, Decimal | None]) -> None:
    text, expected = tree
    result = compile_expression(text, SCOPE, expect=Type.NUMBER).evaluate({})
    if expected is None:
        assert isinstance(result, Undefined) and "division by zero" in result.reason
    else:
        assert result == expected and str(result) == str(expected)


def _precedence_value(values: list[Decimal], ops: list[str]) -> Decimal | None:
    """Evaluate a flat chain with * and / before + and -, left to right, as Python's own grammar does."""
    with decimal.localcontext(decimal.Context(prec=34, rounding=decimal.ROUND_HALF_EVEN)):
        terms: list[Decimal] = [values[0]]
        signs: list[str] = []
        for op, value in zip(ops, values[1:], strict=True):
            if op in "*/":
                if op == "/" and value == 0:
                    return None
                terms[-1] = terms[-1] * value if op == "*" else terms[-1] / value
            else:
                signs.append(op)
                terms.append(value)
        total = terms[0]
        for sign, term in zip(signs, terms[1:], strict=True):
            total = total + term if sign == "+" else total - term
        return total


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("+-*/"), _DECIMALS), max_size=6), _DECIMALS)
def test_flat_chains_follow_precedence(rest: list[tuple[str, Decimal]], first: Decimal) -> None:
    values = [first] + [value for _, value in rest]
    ops = [op for op, _ in rest]
    text = str(first) + "".join(f" {op} {value}" for op, value in rest)
    expected = _precedence_value(values, ops)
    result = compile_expression(text, SCOPE).evaluate({})
    if expected is None:
        assert isinstance(result, Undefined) and "division by zero" in result.reason
    else:
        assert result == expected
