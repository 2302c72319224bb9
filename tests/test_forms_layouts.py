"""Layouts of published forms other than the seed: split operator columns, CSV, XLSX, encodings, round trips."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from perfeval_rules._yaml import load_file, load_text
from perfeval_rules.errors import FormError
from perfeval_rules.forms import Form, form_from_document, form_to_yaml, load_form, load_forms
from perfeval_rules.forms._tables import xlsx_text

ROOT = Path(__file__).resolve().parent.parent
CASES = load_file(Path(__file__).parent / "data" / "forms" / "layouts.yaml").data


def build_workbook(path: Path) -> None:
    """A workbook as offices export it: merged 一级/二级 cells, float cells, a notes sheet, a second form."""
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "自评表"
    for row in [
        ["2024年度项目支出绩效自评表"],
        ["项目名称", "图书馆数字化"],
        ["主管部门", "区文化和旅游局", None, None, "实施单位", "区图书馆"],
        ["项目资金(万元)", None, "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        [None, "年度资金总额", 3, 2.38, 2.38, 10, 1.0, 10],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析"],
        ["产出指标", "数量指标", "数字化图书数量", "≥10000册", 12000, 30, 28.38, "部分图书破损"],
        [None, None, "数据备份次数", "≥4次", "4次", 0.1, 0.1, None],
        [None, "质量指标", "数字化质量达标率", "≥95%", 0.923, 29.9, 29.9, None],
        ["效益指标", "社会效益指标", "读者借阅量", "较上年增长", "增长15%", 10, 10, None],
        [None, None, "服务覆盖人群", "≥5万人", "6万人", 10, 9.5, "宣传不足"],
        ["满意度指标", "服务对象满意度指标", "读者满意度", "≥90%", "93%", 10, 9.9, None],
        ["总分", None, None, None, None, 100, 97.78, "优"],
    ]:
        sheet.append(row)
    for cells in ("A1:H1", "B2:H2", "B3:D3", "F3:H3", "A4:B4", "A7:A9", "B7:B8", "A10:A11", "B10:B11", "A13:E13"):
        sheet.merge_cells(cells)
    sheet["F5"].number_format = sheet["H5"].number_format = "0.00"
    sheet["G5"].number_format = "0.00%"
    sheet["E9"].number_format = "0.0%"
    book.create_sheet("填表说明").append(["本表金额单位为万元。"])
    other = book.create_sheet("第二个项目")
    for row in [
        ["项目名称", "阅读推广"],
        ["三级指标", "年度指标值", "实际完成值", "分值", "得分"],
        ["活动场次", "≥12场", "12场", 50, 50],
        ["读者满意度", "≥90%", "95%", 40, 40],
    ]:
        other.append(row)
    book.save(path)


def write_case(case: dict[str, Any], encoding: str | None, folder: Path) -> Path:
    path = folder / case["file"]
    if path.suffix == ".xlsx":
        build_workbook(path)
        return path
    text = case["text"]
    if path.suffix in (".tsv", ".txt"):
        text = "\n".join(re.sub(r"\s*\|\s*", "\t", line) for line in text.splitlines()) + "\n"
    path.write_bytes(text.encode(encoding or "utf-8"))
    return path


FUNDS_KEYS = ("initial_budget", "budget", "executed", "weight", "rate", "score")


def summary(form: Form) -> dict[str, Any]:
    """The form in the shape of the case file, numbers as the text of their digits."""

    def q(value: object) -> str | None:
        return None if value is None else str(value)

    def cell(row: Any) -> str | None:
        return row.provenance.cell if row.provenance else None

    return {
        "project": form.project,
        "department": form.department,
        "implementer": form.implementer,
        "year": form.year,
        "amount_unit": form.amount_unit,
        "goals": [form.goal_expected, form.goal_achieved],
        "reported": [q(form.reported_total_weight), q(form.reported_total), form.reported_grade],
        "funds": [[r.label, *(q(getattr(r, k)) for k in FUNDS_KEYS), cell(r)] for r in form.funds],
        "indicators": [
            [
                *(i.level1, i.level2, i.name, i.target_text, i.actual_text),
                *(q(i.weight), q(i.reported_score), i.reason, cell(i)),
            ]
            for i in form.indicators
        ],
        "notes": [[n.code, n.row, n.message] for n in form.import_notes],
    }


def runs() -> list[Any]:
    return [
        pytest.param(case, encoding, id=f"{case['name']}-{encoding}")
        for case in CASES
        for encoding in case.get("encodings", [None])
    ]


@pytest.mark.parametrize(("case", "encoding"), runs())
def test_layout_imports_exactly(case: dict[str, Any], encoding: str | None, tmp_path: Path) -> None:
    path = write_case(case, encoding, tmp_path)
    form = load_form(path, sheet=case.get("sheet"))
    assert summary(form) == case["expect"]
    sheet = case.get("sheet")
    assert all(n.sheet == sheet for n in form.import_notes)
    assert all(i.provenance and i.provenance.sheet == sheet and i.provenance.file == str(path) for i in form.indicators)


@pytest.mark.parametrize(("case", "encoding"), runs())
def test_yaml_round_trip_gives_an_equal_form(case: dict[str, Any], encoding: str | None, tmp_path: Path) -> None:
    path = write_case(case, encoding, tmp_path)
    imported = load_form(path, sheet=case.get("sheet"))
    text = form_to_yaml(imported)
    out = tmp_path / "form.yaml"
    out.write_text(text, encoding="utf-8")
    loaded = load_form(out)
    assert dataclasses.replace(loaded, source=imported.source, source_sha256=imported.source_sha256) == imported
    # same digits, not only equal values: 2.00 stays 2.00
    assert [str(i.weight) for i in loaded.indicators] == [str(i.weight) for i in imported.indicators]
    assert (
        form_to_yaml(dataclasses.replace(loaded, source=imported.source, source_sha256=imported.source_sha256)) == text
    )


def test_seed_round_trip(tmp_path: Path) -> None:
    seed = load_form(ROOT / "examples" / "xinhong-community-party-building.tsv")
    text = form_to_yaml(seed)
    loaded = form_from_document(load_text(text, "seed.yaml"))
    assert dataclasses.replace(loaded, source=seed.source, source_sha256=seed.source_sha256) == seed
    assert [(str(i.weight), str(i.reported_score)) for i in loaded.indicators][-3:] == [
        ("4.00", "4.0"),
        ("3.00", "3.0"),
        ("3.00", "3.0"),
    ]


def test_utf8_and_gb18030_give_the_same_form(tmp_path: Path) -> None:
    case = CASES[0]
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = load_form(write_case(case, "utf-8", tmp_path / "a"))
    second = load_form(write_case(case, "gb18030", tmp_path / "b"))
    assert (tmp_path / "b" / "form.tsv").read_bytes() != (tmp_path / "a" / "form.tsv").read_bytes()
    strip = {"source": None, "source_sha256": None, "indicators": (), "funds": ()}
    assert dataclasses.replace(first, **strip) == dataclasses.replace(second, **strip)
    assert summary(first) == summary(second)


def test_workbook_holds_one_form_per_sheet(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    build_workbook(path)
    forms = load_forms(path)
    assert [f.project for f in forms] == ["图书馆数字化", "阅读推广"]
    assert {f.source for f in forms} == {str(path)}


class _Cell:
    def __init__(self, value: object, number_format: str = "General") -> None:
        self.value = value
        self.number_format = number_format


@pytest.mark.parametrize(
    ("value", "number_format", "text"),
    [
        (0.1, "General", "0.1"),
        (2.38, "General", "2.38"),
        (2.0, "General", "2"),
        (2, "0.00", "2.00"),
        (0.1 + 0.2, "General", "0.3"),
        (0.1 + 0.2, "0.00", "0.30"),
        (1.0, "0.00%", "100.00%"),
        (0.923, "0.0%", "92.3%"),
        (1234567.5, "#,##0.00", "1234567.50"),
        (None, "General", ""),
        ("  可持续影响\n指标 ", "General", "可持续影响\n指标"),
    ],
)
def test_xlsx_cells_read_as_the_sheet_shows_them(value: object, number_format: str, text: str) -> None:
    assert xlsx_text(_Cell(value, number_format)) == text


def test_vocabulary_can_be_given(tmp_path: Path) -> None:
    path = tmp_path / "form.tsv"
    path.write_text(
        "三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析\n"
        "活动场次\t≥12场\t12场\t50\t50\tn/a\n"
        "读者满意度\t≥90%\t95%\t40\tn/a\t\n",
        encoding="utf-8",
    )
    with pytest.raises(FormError, match="得分 is not a number: 'n/a'"):
        load_form(path)  # 'n/a' is no placeholder in the bundled vocabulary
    custom = load_form(path, placeholders=["", "n/a"], level2_keywords={"数量指标": ["场次"], "满意度指标": ["满意"]})
    assert [(i.level1, i.level2, i.reason, i.reported_score) for i in custom.indicators] == [
        ("产出指标", "数量指标", "", Decimal(50)),
        ("满意度指标", "满意度指标", "", None),
    ]


def test_the_rule_sets_normalised_vocabulary_works_too(tmp_path: Path) -> None:
    from perfeval_rules.notation import default_vocabulary

    vocabulary = default_vocabulary()  # its placeholders are normalised: …… is stored as ''
    path = tmp_path / "form.tsv"
    path.write_text("三级指标\t分值\t得分\n培训人数\t2\t……\n其他\t——\t—\n", encoding="utf-8")
    form = load_form(path, placeholders=vocabulary.placeholders, level2_keywords=dict(vocabulary.level2_keywords))
    assert [(i.name, i.weight, i.reported_score) for i in form.indicators] == [
        ("培训人数", Decimal("2"), None),
        ("其他", None, None),
    ]
    assert load_form(path) == form
