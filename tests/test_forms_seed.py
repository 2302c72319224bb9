"""The seed example, a real published form extracted from PDF, comes out as the official form means it."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from perfeval_rules._yaml import load_file
from perfeval_rules.forms import Form, load_form
from perfeval_rules.forms.model import FundsRow, Provenance

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "xinhong-community-party-building.tsv"
EXPECTED = load_file(Path(__file__).parent / "data" / "forms" / "xinhong-expected.yaml").data


@pytest.fixture(scope="module")
def seed() -> Form:
    return load_form(SEED)


def test_header_fields(seed: Form) -> None:
    assert seed.project == "社区党建专项"
    assert seed.department == "上海市闵行区新虹街道(汇总)"
    assert seed.implementer == "上海市闵行区新虹街道社区党群服务中心"
    assert seed.year is None
    assert seed.amount_unit == "万元"
    assert seed.reported_total == Decimal("97.0") and str(seed.reported_total) == "97.0"
    assert str(seed.reported_total_weight) == "100.00"
    assert seed.reported_grade == "优"
    assert seed.source == str(SEED)
    assert seed.source_sha256 is not None and len(seed.source_sha256) == 64


def test_funds_block(seed: Form) -> None:
    file = str(SEED)
    total = FundsRow(
        "年度资金总额",
        Decimal("446.3"),
        Decimal("427.79"),
        Decimal("427.79"),
        Decimal("10.00"),
        Decimal("100.00"),
        Decimal("10.00"),
        Provenance(file, None, 7, "B7"),
    )
    assert seed.funds_total == total
    assert [str(v) for v in (total.weight, total.rate, total.score)] == ["10.00", "100.00", "10.00"]
    assert [(r.label, r.initial_budget, r.budget, r.executed, r.weight, r.rate, r.score) for r in seed.funds[1:]] == [
        ("当年财政拨款", Decimal("446.3"), Decimal("427.79"), Decimal("427.79"), None, Decimal("100.00"), None),
        ("上年结转资金", Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), None, Decimal("0.00"), None),
        ("其他资金", Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), None, Decimal("0.00"), None),
    ]


def test_goals_are_text_without_html(seed: Form) -> None:
    assert seed.goal_expected.startswith("根据不同领域基层党组织担负任务和党员特点,有针对性地开展分类党建工作。")
    assert seed.goal_expected.endswith("的“枢纽链接”。")
    assert seed.goal_achieved.startswith("完成社区党校教学培训活动、书记工作室带教活动")
    assert seed.goal_achieved.endswith("促进基层干部队伍整体素质和能力水平的提升。")
    for text in (seed.goal_expected, seed.goal_achieved):
        assert "<" not in text and ">" not in text and "\n" not in text


def test_exactly_56_indicators_whose_weights_sum_to_86(seed: Form) -> None:
    # The 总分 row prints 100.00, but 10 (budget) + 86 is 96: the published form is inconsistent,
    # which is for the engine to flag, not for the importer to hide.
    assert len(seed.indicators) == 56
    assert sum((i.weight or Decimal(0) for i in seed.indicators), Decimal(0)) == Decimal("86")
    assert sum((i.reported_score or Decimal(0) for i in seed.indicators), Decimal(0)) == Decimal("83")


def test_categories_are_those_the_official_form_means(seed: Form) -> None:
    expected = [(block["level1"], block["level2"], name) for block in EXPECTED["categories"] for name in block["names"]]
    assert [(i.level1, i.level2, i.name) for i in seed.indicators] == expected


def test_rows_keep_their_printed_digits_and_cells(seed: Form) -> None:
    by_name = {i.name: i for i in seed.indicators}
    covered = by_name["“两新”党建服务覆盖党员人数"]
    assert (covered.target_text, covered.actual_text, str(covered.weight), str(covered.reported_score)) == (
        "≥3500.00(人)",
        "3125",
        "1.00",
        "0.00",
    )
    assert covered.reason == "两新党员人数未达到3500人"
    assert covered.provenance == Provenance(str(SEED), None, 22, "C22")
    # the row with no leading tabs, and a row of the block shifted one column left
    assert by_name["进博党员志愿服务项目质量达标率"].provenance == Provenance(str(SEED), None, 34, "A34")
    assert by_name["党组织工作整体水平"].provenance == Provenance(str(SEED), None, 56, "B56")
    timely = by_name["社区党校教训培训活动开展及时率"]
    assert (timely.actual_text, str(timely.reported_score), timely.reason) == ("50%", "1.00", "部分计划晚月余执行")
    assert str(by_name["党员满意度"].reported_score) == "4.0"
    assert by_name["“双报到”“双报告”质量达标率"].target_text == ">90.00(%)"
    assert by_name["分中心（站点）维护质量达标率"].level2 == "质量指标"
    assert by_name["档案管理健全性"].level2 == "可持续影响指标"


def test_import_notes_list_every_repair(seed: Form) -> None:
    assert [[n.code, n.row] for n in seed.import_notes] == EXPECTED["notes"]
    messages = {(n.code, n.row): n.message for n in seed.import_notes}
    assert messages[("label-joined", 66)] == "label 「可持续影响指」 and 「标」 (row 68) joined into 「可持续影响指标」"
    assert messages[("label-shifted", 14)] == "「数量指标」 stands in the 一级指标 column; it is a 二级 category"
    assert messages[("level2-inferred", 31)] == (
        "「社区党校教学培训活动质量达标率」 put under 质量指标 (the label on row 36), not 数量指标: "
        "the name contains 「达标率」"
    )
    assert messages[("cells-shifted", 34)] == ("cells stand 2 columns left of the header; read from the 三级指标 name")
    assert messages[("cells-shifted", 56)] == (
        "rows 56–66: cells stand 1 column left of the header; read from the 三级指标 name"
    )
    assert messages[("level1-inferred", 56)] == "一级 效益指标 inferred from the 二级 社会效益指标"
    assert messages[("unit-from-header", 6)] == "amounts in 万元, from the header 「项目资金(万元)」"


def test_import_is_deterministic(seed: Form) -> None:
    assert load_form(SEED) == seed
    assert dataclasses.replace(seed) == seed
