"""The engine's fast paths change nothing: traces off, and memoised rows, give exactly the full results."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path
from typing import Any

from perfeval_rules import evaluate, load_form, load_ruleset
from perfeval_rules.engine import scoring
from perfeval_rules.forms.model import Form, Indicator

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "xinhong-community-party-building.tsv"


def _without_traces(result: dict[str, Any]) -> dict[str, Any]:
    result["budget"]["trace"] = []
    for indicator in result["indicators"]:
        indicator["trace"] = []
    return result


def test_trace_off_is_the_same_result_with_empty_traces() -> None:
    ruleset = load_ruleset("cn-mof-2020")
    form = load_form(EXAMPLE)
    full = evaluate(ruleset, form).to_dict()
    quick = evaluate(ruleset, form, trace=False)
    assert quick.budget.trace == ()
    assert all(i.trace == () for i in quick.indicators)
    assert any(i.trace for i in evaluate(ruleset, form).indicators)
    assert quick.to_dict() == _without_traces(full)


def test_a_memoised_row_equals_a_fresh_one() -> None:
    ruleset = load_ruleset("cn-mof-2020")
    form = load_form(EXAMPLE)
    first = evaluate(ruleset, form).to_dict()
    again = evaluate(ruleset, form).to_dict()
    scoring._PLANS.clear()
    fresh = evaluate(ruleset, form).to_dict()
    assert first == again == fresh


def _form(*indicators: Indicator) -> Form:
    return Form(project="p", indicators=indicators)


def test_rows_that_differ_only_in_weight_or_reported_score_do_not_share_a_memo_entry() -> None:
    ruleset = load_ruleset("cn-mof-2020")
    row = Indicator("产出指标", "质量指标", "达标率", "=100.00(%)", "达成指标", Decimal("2"), Decimal("1.7"))
    rows = (row, dataclasses.replace(row, reported_score=Decimal("1.9")), dataclasses.replace(row, weight=Decimal(3)))
    results = evaluate(ruleset, _form(*rows, row)).indicators
    assert [str(r.score) for r in results] == ["1.70", "1.90", "2.40", "1.70"]


def test_findings_of_a_memoised_row_name_their_own_row() -> None:
    ruleset = load_ruleset("cn-mof-2020")
    row = Indicator("产出指标", "数量指标", "人数", "≥3500(人)", "3125", Decimal(1), Decimal(1), "")
    twin = dataclasses.replace(row, name="另一个人数")
    evaluation = evaluate(ruleset, _form(row, twin))
    places = sorted((f.code, f.indicator, f.index) for f in evaluation.findings if f.index is not None)
    assert places == [
        ("missing-reason", "人数", 1),
        ("missing-reason", "另一个人数", 2),
        ("score-mismatch", "人数", 1),
        ("score-mismatch", "另一个人数", 2),
    ]


def test_a_rule_reading_the_name_keys_its_memo_by_the_name(tmp_path: Path) -> None:
    rules = tmp_path / "by-name.yaml"
    rules.write_text(
        "id: by-name\ntitle: t\nversion: '1'\nextends: cn-mof-2020\n"
        "checks:\n  - id: named\n    severity: info\n    scope: indicator\n"
        '    assert: name != "甲"\n    message: 指标 {name}\n',
        encoding="utf-8",
    )
    ruleset = load_ruleset(rules)
    row = Indicator("产出指标", "数量指标", "甲", "=1(项)", "1", Decimal(1), Decimal(1))
    evaluation = evaluate(ruleset, _form(row, dataclasses.replace(row, name="乙"), row))
    assert [(f.code, f.message, f.index) for f in evaluation.findings if f.code == "named"] == [
        ("named", "指标 甲", 1),
        ("named", "指标 甲", 3),
    ]


def test_fast_constructors_make_what_the_dataclasses_make() -> None:
    from perfeval_rules.engine.model import IndicatorResult, finding, indicator_result

    names = [f.name for f in dataclasses.fields(IndicatorResult)]
    values = [f"v{n}" for n in range(len(names))]
    made = indicator_result(*values)  # type: ignore[arg-type]
    assert made == IndicatorResult(*values)  # type: ignore[arg-type]
    assert list(vars(made)) == names
    assert finding("c", "info", "m", "i", 3, "E7") == scoring.Finding("c", "info", "m", "i", 3, "E7")
    try:
        made.score = Decimal(1)  # type: ignore[misc]
    except dataclasses.FrozenInstanceError:
        pass
    else:
        raise AssertionError("an IndicatorResult must stay frozen")


def test_a_remembered_condition_gives_what_the_expression_gives_and_keeps_only_true_or_false() -> None:
    from perfeval_rules.expr import Scope, Type, Variable, compile_expression

    scope = Scope((Variable("a", Type.NUMBER), Variable("b", Type.NUMBER)))
    condition = scoring._Remembered(compile_expression("a / b > 1", scope, expect=Type.BOOL))
    envs = [{"a": Decimal(3), "b": Decimal(2)}, {"a": Decimal("3.0"), "b": Decimal("2.00")}, {"a": Decimal(1), "b": 0}]
    results = [condition(env) for env in envs]
    assert results[:2] == [True, True]
    assert isinstance(results[2], scoring.Undefined)
    assert results[2].reason == "division by zero in 'a / b'"
    assert list(condition.memo.values()) == [True]
