"""The seed example under cn-mof-2020 shows what product.md promises, exactly."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from seed_form import seed_form

from perfeval_rules import Evaluation, evaluate, load_ruleset
from perfeval_rules.forms import load_form

BOUND_ACTUALS = [
    "“双报到”“双报告”完成率",
    "中心服务活动完成数",
    "“双报到”“双报告”质量达标率",
    "社区党校党课项目实施完成及时率",
    "“两新”党建活动完成及时率",
    "“两新”组织人员经费发放及时率",
    "社区党校课程活动参与率",
    "“两新”党组织党建活动参与率",
    "活动参与人数",
    "党员满意度",
    "群众满意度",
    "基层书记满意度",
]


SEED = Path(__file__).parents[1] / "examples" / "xinhong-community-party-building.tsv"


@pytest.fixture(scope="module", params=["form as data", "imported TSV"])
def seed(request: pytest.FixtureRequest) -> Evaluation:
    form = seed_form() if request.param == "form as data" else load_form(SEED)
    return evaluate(load_ruleset("cn-mof-2020"), form)


def codes(evaluation: Evaluation, name: str) -> list[str]:
    return [f.code for f in evaluation.indicator(name).findings]


def test_budget_scores_10(seed: Evaluation) -> None:
    assert seed.budget.rate == Decimal("100.00")
    assert seed.budget.score == Decimal("10.00")
    assert seed.budget.findings == ()


def test_party_member_coverage_scored_089_and_reported_0_flagged(seed: Evaluation) -> None:
    ind = seed.indicator("“两新”党建服务覆盖党员人数")
    assert (ind.score, ind.reported_score, ind.policy, ind.met) == (
        Decimal("0.89"),
        Decimal("0.00"),
        "proportional",
        False,
    )
    assert codes(seed, ind.name) == ["score-mismatch"]
    assert ind.findings[0].message == "自评得分 0 与按规则计算的得分 0.89 不符（容差 ±0.05）"
    assert ind.findings[0].cell in ("row 22", "C22")  # the row as data, the cell when imported


def test_timeliness_at_50_percent_accepted_with_its_reason(seed: Evaluation) -> None:
    ind = seed.indicator("社区党校教训培训活动开展及时率")
    assert (ind.score, ind.policy, ind.direction) == (Decimal("1.00"), "proportional", "positive")
    assert codes(seed, ind.name) == []


def test_coverage_trend_outside_the_60_80_band(seed: Evaluation) -> None:
    ind = seed.indicator("“两新”党组织覆盖情况")
    assert (ind.kind, ind.tier, ind.score, ind.policy) == ("trend", 2, Decimal("1.20"), "tier")
    assert codes(seed, ind.name) == ["score-outside-band"]
    assert ind.findings[0].message == "自评得分 1 不在第2档的分值区间 [1.2, 1.6) 内；按最近的区间边界计 1.2"


def test_display_count_over_achieved(seed: Evaluation) -> None:
    ind = seed.indicator("中心宣传展示完成数")
    assert (ind.score, ind.policy, ind.met) == (Decimal("1.00"), "met", True)
    assert codes(seed, ind.name) == ["over-achieved"]
    assert ind.findings[0].severity == "warning"


@pytest.mark.parametrize("name", BOUND_ACTUALS)
def test_bound_actuals_noted(seed: Evaluation, name: str) -> None:
    ind = seed.indicator(name)
    assert (ind.met, ind.score) == (True, ind.weight)
    assert codes(seed, name) == ["actual-bound"]


def test_words_for_numbers_and_tiers(seed: Evaluation) -> None:
    assert codes(seed, "完成基地日常运行工作") == ["actual-not-number"]
    assert seed.indicator("完成基地日常运行工作").policy == "tier"
    for name in ("书记工作室带教活动完成及时性", "长效管理制度健全性", "党建引领物业治理工作特色与成效"):
        assert (seed.indicator(name).tier, seed.indicator(name).policy, codes(seed, name)) == (1, "tier", [])


def test_total_and_grade_beside_the_reported_ones(seed: Evaluation) -> None:
    d = seed.to_dict()
    assert (d["total"], d["reported_total"], d["grade"], d["reported_grade"]) == (
        Decimal("94.09"),
        Decimal("97.0"),
        "优",
        "优",
    )
    form_codes = [f["code"] for f in d["findings"] if f["index"] is None]
    assert form_codes == ["weights-not-100", "reported-total-inconsistent", "total-differs"]
    assert d["summary"] == {"error": 4, "warning": 4, "info": 12}


def test_every_other_indicator_is_clean(seed: Evaluation) -> None:
    flagged = {
        "“两新”党建服务覆盖党员人数",
        "社区党校教训培训活动开展及时率",
        "“两新”党组织覆盖情况",
        "中心宣传展示完成数",
        "完成基地日常运行工作",
        "中心宣传展示及时性",
        *BOUND_ACTUALS,
    }
    for ind in seed.indicators:
        if ind.name not in flagged:
            assert (ind.name, ind.findings, ind.score) == (ind.name, (), ind.weight)
