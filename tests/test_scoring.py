"""Data-driven scoring cases: every notation family scored exactly under cn-mof-2020."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval_rules import evaluate, load_ruleset
from perfeval_rules.forms.model import Form, Indicator
from perfeval_rules.ruleset.testing import run

CASES = Path(__file__).parent / "data" / "scoring_cases.yaml"


def test_scoring_cases() -> None:
    report = run([CASES])
    assert report.failures == []
    assert report.summary == "17 passed, 0 failed"


def test_half_even_rounding_in_a_child_rule_set(tmp_path: Path) -> None:
    child = tmp_path / "even.yaml"
    child.write_text(
        'id: even\ntitle: t\nversion: "1"\nextends: cn-mof-2020\nrounding: {places: 2, mode: half_even}\n',
        encoding="utf-8",
    )
    form = Form(project="p", indicators=(Indicator("产出指标", "数量指标", "n", "≥8(次)", "1次", Decimal(1), None),))
    assert evaluate(load_ruleset(child), form).indicators[0].score == Decimal("0.12")
    assert evaluate(load_ruleset("cn-mof-2020"), form).indicators[0].score == Decimal("0.13")


def test_unscorable_indicator_counts_as_zero_with_an_error() -> None:
    form = Form(
        project="p",
        indicators=(
            Indicator("产出指标", "数量指标", "a", "≥90(%)", "—", Decimal(45), Decimal(45)),
            Indicator("产出指标", "数量指标", "b", "≥90(%)", "95%", Decimal(45), Decimal(45)),
        ),
    )
    ev = evaluate(load_ruleset("cn-mof-2020"), form)
    assert ev.indicators[0].score is None
    assert ev.total == Decimal("45.00")  # the budget has no funds block: no score, an error
    assert [f.code for f in ev.findings if f.severity == "error"] == [
        "score-undefined",
        "budget-missing",
        "actual-missing",
    ]


_TEXTS = st.one_of(
    st.sampled_from(
        ["≥3500.00(人)", "=100.00(%)", "≤50万元", "80%-100%", "9月前", "及时", "健全", "较上一年度提高", "—", "",
         "3125", "≥90.00%", "达成指标", "部分达成", "完成", "7月", "50%", "0", "400000元", "≥≥90"]
    ),
    st.text(max_size=12),
)  # fmt: skip
_NUMBERS = st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2, allow_nan=False))


@settings(max_examples=300, deadline=None)
@given(target=_TEXTS, actual=_TEXTS, weight=_NUMBERS, reported=_NUMBERS, reason=st.sampled_from(["", "原因"]))
def test_any_indicator_evaluates_within_its_weight(
    target: str, actual: str, weight: Decimal | None, reported: Decimal | None, reason: str
) -> None:
    ind = Indicator("产出指标", "数量指标", "n", target, actual, weight, reported, reason)
    result = evaluate(load_ruleset("cn-mof-2020"), Form(project="p", indicators=(ind,))).indicators[0]
    if result.score is not None:
        assert weight is not None and 0 <= result.score <= weight
    else:
        assert result.findings, "a missing score always comes with a finding"
    assert all(f.severity in ("error", "warning", "info") for f in result.findings)
