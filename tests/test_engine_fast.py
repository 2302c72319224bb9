"""The engine's hand-built results are what the dataclass constructors and a plain sort would give."""

from __future__ import annotations

import dataclasses
import pickle
import random
from decimal import ROUND_FLOOR, Decimal, localcontext
from pathlib import Path
from typing import Any

from perfeval_rules import evaluate, load_form, load_ruleset
from perfeval_rules.engine import scoring
from perfeval_rules.engine.model import SEVERITIES, Finding, IndicatorResult
from perfeval_rules.forms.model import Form, Indicator

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "xinhong-community-party-building.tsv"


def _rebuilt(made: object) -> object:
    """`made` built again through its dataclass constructor."""
    return type(made)(**{f.name: getattr(made, f.name) for f in dataclasses.fields(made)})  # type: ignore[arg-type]


def test_indicator_results_and_findings_equal_the_constructed_dataclasses() -> None:
    evaluation = evaluate(load_ruleset("cn-mof-2020"), load_form(EXAMPLE))
    names = [f.name for f in dataclasses.fields(IndicatorResult)]
    assert any(i.findings for i in evaluation.indicators)
    for result in evaluation.indicators:
        assert type(result) is IndicatorResult
        assert result == _rebuilt(result)
        assert list(vars(result)) == names
        for f in result.findings:
            assert type(f) is Finding
            assert f == _rebuilt(f)
            assert list(vars(f)) == [x.name for x in dataclasses.fields(Finding)]
            assert (f.indicator, f.index, f.cell) == (result.name, result.index, result.source)


def test_indicator_results_made_when_read_act_as_the_tuple_of_results() -> None:
    ruleset, form = load_ruleset("cn-mof-2020"), load_form(EXAMPLE)
    lazy = evaluate(ruleset, form).indicators
    # to_dicts() before anything is read builds the contract from the shared outcomes directly...
    dicts = lazy.to_dicts()
    assert lazy._made is None
    results = tuple(lazy)
    # ...and gives what each result's own to_dict() gives.
    assert dicts == [r.to_dict() for r in results]
    assert len(lazy) == len(results) == len(form.indicators) == 56
    assert lazy[0] is results[0] and lazy[-2:] == results[-2:] and lazy == results
    assert [r.index for r in results] == list(range(1, 57))
    assert [r.name for r in results] == [i.name for i in form.indicators]
    assert results[0].source == "C14" and results[0].reason == form.indicators[0].reason
    assert evaluate(ruleset, form).indicators == lazy
    again = pickle.loads(pickle.dumps(evaluate(ruleset, form).indicators))
    assert again == results and len(again) == 56 and again.to_dicts() == dicts


def _sorted(findings: tuple[Finding, ...]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITIES.index(f.severity), -1 if f.index is None else f.index))


def test_findings_come_in_the_order_of_a_stable_sort_by_severity_then_index() -> None:
    ruleset = load_ruleset("cn-mof-2020")
    evaluation = evaluate(ruleset, load_form(EXAMPLE))
    severities = {f.severity for f in evaluation.findings}
    assert len(severities) >= 2 and any(f.index is None for f in evaluation.findings)
    assert list(evaluation.findings) == _sorted(evaluation.findings)
    rows = (
        Indicator("产出指标", "数量指标", "人数", "≥3500(人)", "3125", Decimal(1), Decimal(1), ""),
        Indicator("产出指标", "数量指标", "次数", "", "3", None, Decimal(5), ""),
        Indicator("效益指标", "社会效益指标", "覆盖率", "=100%", "abc", Decimal(2), None, ""),
    )
    odd = evaluate(ruleset, Form(project="p", indicators=rows, reported_total=Decimal(3), reported_grade="优"))
    assert [f.index for f in odd.findings] != sorted(f.index or 0 for f in odd.findings)
    assert list(odd.findings) == _sorted(odd.findings)
    inner = [f for i in odd.indicators for f in i.findings]
    assert [f for f in odd.findings if f.index is not None] == _sorted(tuple(inner))


def _sums_shown(sums: scoring._Sums) -> list[str]:
    """Every sum with its digits (2 and 2.00 differ), its None-ness and its order."""
    return [
        repr(x)
        for x in (sums.scores, sums.weights, sums.reported, list(sums.level1.items()), list(sums.level2.items()))
    ]


def _random_rows(rng: random.Random) -> tuple[Indicator, ...]:
    numbers = [None, "0", "0.00", "0E+1", "1", "2.00", "1.5", "-1", "3.125", "1E+2", "0.000000001", "99999.99"]
    levels = [
        ("产出指标", "数量指标"),
        ("产出指标", "质量指标"),
        ("效益指标", "数量指标"),
        ("效益指标", "社会效益指标"),
    ]
    texts = [("=100%", "100%"), ("≥3500(人)", "3125"), ("≤90(万元)", "95万元"), ("及时", "及时"), ("", "")]
    rows = []
    for n in range(rng.randint(0, 12)):
        level1, level2 = rng.choice(levels)
        target, actual = rng.choice(texts)
        weight, reported = (rng.choice(numbers) for _ in range(2))
        rows.append(
            Indicator(
                level1, level2, f"指标{n}", target, actual, weight and Decimal(weight), reported and Decimal(reported)
            )
        )
    return tuple(rows)


def test_sums_by_runs_of_rows_equal_the_sums_in_row_order() -> None:
    plan = scoring._plan(load_ruleset("cn-mof-2020"))
    rng = random.Random(7)
    for _ in range(400):
        rows = _random_rows(rng)
        fast = scoring._Sums(plan, rows, False)
        slow = object.__new__(scoring._Sums)
        slow._add_in_row_order(fast.results)
        assert _sums_shown(fast) == _sums_shown(slow)


def test_long_numbers_and_a_flooring_context_are_summed_in_row_order() -> None:
    plan = scoring._plan(load_ruleset("cn-mof-2020"))
    row = Indicator("产出指标", "数量指标", "甲", "=1(项)", "1", Decimal(1), Decimal("1E+30"))
    sums = scoring._Sums(plan, (row, row, dataclasses.replace(row, reported_score=Decimal("0.000000000001"))), False)
    assert str(sums.reported) == "2.000000000000000000000000000E+30"
    assert str(sums.level1["产出指标"][3]) == "2.000000000000000000000000000E+30"
    assert not scoring._short(Decimal("1E+10")) and not scoring._short(Decimal("1E-10"))
    assert scoring._short(Decimal("9999999999.999999999")) and not scoring._short(Decimal("NaN"))
    ones = (dataclasses.replace(row, reported_score=Decimal(1)), dataclasses.replace(row, reported_score=Decimal(-1)))
    with localcontext() as context:
        context.rounding = ROUND_FLOOR
        assert not scoring._exact_context()
        assert str(scoring._Sums(plan, ones, False).reported) == "-0"
    assert scoring._exact_context()
    assert str(scoring._Sums(plan, ones, False).reported) == "0"


def test_slots_makers_make_what_the_constructors_make() -> None:
    from perfeval_rules.engine.model import BudgetResult, Subtotal, slots_maker

    subtotal = slots_maker(Subtotal)("产出指标", Decimal(1), Decimal("2.00"), None)
    assert subtotal == Subtotal("产出指标", Decimal(1), Decimal("2.00"), None)
    assert repr(subtotal) == repr(Subtotal("产出指标", Decimal(1), Decimal("2.00"), None))
    from perfeval_rules.engine.model import make_subtotal

    assert make_subtotal(None, Decimal(3), Decimal("2.5"), Decimal(0)) == Subtotal(
        None, Decimal(3), Decimal("2.5"), Decimal(0)
    )
    values = [f"v{n}" for n in range(len(dataclasses.fields(BudgetResult)))]
    assert slots_maker(BudgetResult)(*values) == BudgetResult(*values)  # type: ignore[arg-type]
    try:
        slots_maker(Subtotal)("too", "few")
    except ValueError:
        pass
    else:
        raise AssertionError("a missing field must not pass")
    evaluation = evaluate(load_ruleset("cn-mof-2020"), load_form(EXAMPLE))
    assert evaluation == _rebuilt(evaluation)
    assert evaluation.budget == _rebuilt(evaluation.budget)
    assert all(total == _rebuilt(total) for _, total in evaluation.by_level1 + evaluation.by_level2)


def _placed(result: dict[str, Any], index: int) -> dict[str, Any]:
    """An indicator's result dict as the row number `index` of a form."""
    return result | {"index": index, "findings": [f | {"index": index} for f in result["findings"]]}


def _fresh(ruleset: object, form: Form, trace: bool) -> dict[str, object]:
    scoring._PLANS.clear()
    return evaluate(ruleset, form, trace=trace).to_dict()  # type: ignore[arg-type]


def test_rows_differing_only_in_what_the_direction_rules_read_share_an_outcome_and_stay_exact(tmp_path: Path) -> None:
    rules = tmp_path / "level2.yaml"
    rules.write_text(
        "id: level2\ntitle: t\nversion: '1'\nextends: cn-mof-2020\n"
        "checks:\n  - id: in-quality\n    severity: info\n    scope: indicator\n"
        '    assert: level2 != "质量指标"\n    message: 二级 {level2}\n',
        encoding="utf-8",
    )
    base = Indicator("产出指标", "数量指标", "甲", "90(万元)", "95万元", Decimal(2), Decimal("1.89"), "")
    rows = tuple(
        dataclasses.replace(base, level2=level2, name=f"指标{n}")
        for n, level2 in enumerate(["数量指标", "质量指标", "成本指标", "时效指标", "成本指标", "数量指标"])
    )
    form = Form(project="p", indicators=rows)
    for ruleset in (load_ruleset("cn-mof-2020"), load_ruleset(rules)):
        for trace in (False, True):
            expected = _fresh(ruleset, form, trace)
            # Each row alone on a fresh plan, then all of them on one plan: the same results.
            alone = [_fresh(ruleset, Form(project="p", indicators=(row,)), trace)["indicators"] for row in rows]
            assert [_placed(i[0], n) for n, i in enumerate(alone, start=1)] == expected["indicators"]
            assert evaluate(ruleset, form, trace=trace).to_dict() == expected
        plan = scoring._plan(ruleset)
        directions = [i.direction for i in evaluate(ruleset, form).indicators]
        assert directions == ["positive", "positive", "reverse", "positive", "reverse", "positive"]
        shared = len(plan.directed[True]) < len(plan.rows[True])
        assert shared is (ruleset.id == "cn-mof-2020")
    quality = evaluate(load_ruleset(rules), form).indicators[1]
    assert [(f.code, f.message) for f in quality.findings if f.code == "in-quality"] == [
        ("in-quality", "二级 质量指标")
    ]


def test_to_dict_gives_new_dicts_equal_to_the_values_own() -> None:
    evaluation = evaluate(load_ruleset("cn-mof-2020"), load_form(EXAMPLE))
    first, again = evaluation.to_dict(), evaluation.to_dict()
    for result, one, two in zip(evaluation.indicators, first["indicators"], again["indicators"], strict=True):
        assert one["target"] == result.target.to_dict() and one["actual"] == result.actual.to_dict()
        assert one["trace"] == [t.to_dict() for t in result.trace] and one["trace"]
        assert one["findings"] == [f.to_dict() for f in result.findings]
        assert one["target"] is not two["target"] and one["actual"] is not two["actual"]
    one["target"]["kind"] = "changed"
    assert evaluation.to_dict()["indicators"][-1]["target"]["kind"] != "changed"
    assert first["findings"] == [f.to_dict() for f in evaluation.findings]
    assert first["budget"]["trace"] == [t.to_dict() for t in evaluation.budget.trace]
    assert first["summary"] == {s: sum(1 for f in evaluation.findings if f.severity == s) for s in SEVERITIES}


def _contract(result: IndicatorResult) -> dict[str, Any]:
    """IndicatorResult.to_dict() spelled out field by field."""
    d: dict[str, Any] = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
    d["target"], d["actual"] = result.target.to_dict(), result.actual.to_dict()
    d["trace"] = [{"step": t.step, "text": t.text} for t in result.trace]
    d["findings"] = [
        {
            "code": f.code,
            "severity": f.severity,
            "message": f.message,
            "indicator": f.indicator,
            "index": f.index,
            "cell": f.cell,
        }
        for f in result.findings
    ]
    return d


def test_indicator_to_dict_keeps_the_contract_order_however_the_result_was_made() -> None:
    import pickle

    from perfeval_rules.engine.model import indicator_result

    evaluation = evaluate(load_ruleset("cn-mof-2020"), load_form(EXAMPLE))
    for made in evaluation.indicators:
        fields = [getattr(made, f.name) for f in dataclasses.fields(made)]
        findings = tuple(_rebuilt(f) for f in made.findings)
        for result in (made, _rebuilt(made), indicator_result(*fields), pickle.loads(pickle.dumps(made))):
            result = dataclasses.replace(result, findings=findings) if result is not made else result
            expected = _contract(result)
            assert list(result.to_dict()) == list(expected)
            assert result.to_dict() == expected
            assert [list(f) for f in result.to_dict()["findings"]] == [list(f) for f in expected["findings"]]
