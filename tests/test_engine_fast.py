"""The engine's hand-built results are what the dataclass constructors and a plain sort would give."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

from perfeval_rules import evaluate, load_form, load_ruleset
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
