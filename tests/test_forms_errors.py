"""Malformed tables and hand-edited forms give clear located errors, never a traceback."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from perfeval_rules._yaml import load_file
from perfeval_rules.errors import ErrorList, PerfevalError, SchemaError, UsageError
from perfeval_rules.forms import load_form

CASES = load_file(Path(__file__).parent / "data" / "forms" / "bad-sources.yaml").data


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_malformed_source_gives_located_error(case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / case["file"]
    if "hex" in case:
        path.write_bytes(bytes.fromhex(case["hex"]))
    else:
        text = case["text"]
        if path.suffix == ".tsv":
            text = "\n".join(re.sub(r"\s*\|\s*", "\t", line) for line in text.splitlines()) + "\n" if text else ""
        path.write_bytes(text.encode("utf-8"))
    with pytest.raises(PerfevalError) as caught:
        load_form(path)
    assert str(caught.value) == case["message"].format(path=path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PerfevalError) as caught:
        load_form(tmp_path / "nope.tsv")
    assert str(caught.value) == f"{tmp_path / 'nope.tsv'}: cannot read file: No such file or directory [E001]"


HAND_EDITED = """\
project: 手工表
amount_unit: 万元
indicators:
  - level1: 产出指标
    level2: 数量指标
    name: 培训人数
    target: ≥100人
    actual: 120
    weight: two
    reported_score: 2.00
  - level1: 产出指标
    level2: 质量指标
    name: 合格率
    target: 100%
    actual: 100%
    wieght: 2.00
reported_total: 97.0
"""


def test_schema_errors_all_located_best_first(tmp_path: Path) -> None:
    path = tmp_path / "form.yaml"
    path.write_text(HAND_EDITED, encoding="utf-8")
    with pytest.raises(ErrorList) as caught:
        load_form(path)
    assert [str(e) for e in caught.value.errors] == [
        f"{path}:16:5: indicators[1].wieght: unknown key 'wieght' (did you mean 'weight'?) [E003]\n"
        "        wieght: 2.00\n        ^",
        f"{path}:9:5: indicators[0].weight: 'two' is not of type number or null [E003]\n        weight: two\n        ^",
        f"{path}:11:5: indicators[1]: 'weight' is a required property [E003]\n      - level1: 产出指标\n        ^",
    ]


def test_single_schema_error_in_json(tmp_path: Path) -> None:
    path = tmp_path / "form.json"
    path.write_text('{"project": 1, "indicators": []}', encoding="utf-8")
    with pytest.raises(SchemaError) as caught:
        load_form(path)
    assert str(caught.value) == (
        f'{path}:1:2: project: 1 is not of type string [E003]\n    {{"project": 1, "indicators": []}}\n     ^'
    )


def test_hand_written_form_loads_with_numbers_as_text_and_exact_decimals(tmp_path: Path) -> None:
    path = tmp_path / "form.yml"
    path.write_text(HAND_EDITED.replace("weight: two", "weight: 2.50").replace("wieght", "weight"), "utf-8")
    form = load_form(path)
    first, second = form.indicators
    assert (first.actual_text, str(first.weight), str(first.reported_score)) == ("120", "2.50", "2.00")
    assert (second.weight, second.reported_score, second.provenance) == (
        pytest.approx(2),
        None,
        second.provenance,
    )
    assert str(second.weight) == "2.00"
    assert (first.provenance.file, first.provenance.row) == (str(path), 4)  # type: ignore[union-attr]
    assert str(form.reported_total) == "97.0"
    assert form.funds == () and form.import_notes == ()


def test_sheet_choice_errors(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    book = openpyxl.Workbook()
    for title in ("一号", "二号"):
        sheet = book.create_sheet(title)
        sheet.append(["三级指标", "年度指标值", "实际完成值", "分值", "得分"])
        sheet.append(["活动场次", "≥12场", "12场", 50, 50])
    book.remove(book["Sheet"])
    book.save(path)
    with pytest.raises(UsageError) as caught:
        load_form(path)
    assert str(caught.value) == (
        f"{path}: the workbook holds 2 forms (sheets '一号', '二号') [E006]\n    hint: choose one with --sheet NAME"
    )
    with pytest.raises(UsageError) as caught:
        load_form(path, sheet="三号")
    assert str(caught.value) == (
        f"{path}: no sheet '三号' in the workbook [E006]\n    hint: its sheets are '一号', '二号'"
    )
    assert load_form(path, sheet="二号").indicators[0].provenance.cell == "A2"  # type: ignore[union-attr]
    tsv = tmp_path / "form.tsv"
    tsv.write_text("三级指标\t分值\n", encoding="utf-8")
    with pytest.raises(UsageError, match="--sheet applies to XLSX workbooks only"):
        load_form(tsv, sheet="一号")


def test_unknown_extension_is_sniffed(tmp_path: Path) -> None:
    table = tmp_path / "export.dat"
    table.write_text("项目名称\t某项目\n三级指标\t分值\t得分\n培训人数\t2\t2\n", encoding="utf-8")
    assert load_form(table).project == "某项目"
    form = tmp_path / "form.conf"
    form.write_text("project: 手工表\nindicators: []\n", encoding="utf-8")
    assert load_form(form).project == "手工表"
