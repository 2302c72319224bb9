"""The import, validate and schema commands, through click's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from click.testing import CliRunner
from test_forms_layouts import build_workbook

from perfeval_rules import _json
from perfeval_rules.cli import cli
from perfeval_rules.forms import form_to_dict, form_to_yaml, load_form

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "xinhong-community-party-building.tsv"


def test_import_to_stdout_with_notes_on_stderr() -> None:
    result = CliRunner().invoke(cli, ["import", str(SEED)])
    assert result.exit_code == 0, result.output
    assert result.stdout == form_to_yaml(load_form(SEED))
    notes = result.stderr.splitlines()
    assert len(notes) == 12
    assert notes[0] == f"{SEED}:row 6: amounts in 万元, from the header 「项目资金(万元)」 [unit-from-header]"
    assert notes[-1] == (
        f"{SEED}:row 66: label 「可持续影响指」 and 「标」 (row 68) joined into 「可持续影响指标」 [label-joined]"
    )


def test_import_to_a_file_loads_back_equal(tmp_path: Path) -> None:
    out = tmp_path / "seed.yaml"
    result = CliRunner().invoke(cli, ["import", str(SEED), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert [p.name for p in tmp_path.iterdir()] == ["seed.yaml"]  # no temporary file left behind
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# 项目支出绩效自评表 in the perfeval form format")
    expected_lines = (
        "    weight: 2.00",
        "reported_total: 97.0",
        "    name: “两新”党建服务覆盖党员人数",
        "    actual: '3125'",
    )
    for line in expected_lines:
        assert line + "\n" in text
    assert "\\u" not in text  # Chinese is written as is
    loaded, imported = load_form(out), load_form(SEED)
    assert loaded.indicators == imported.indicators and loaded.funds == imported.funds
    assert loaded.import_notes == imported.import_notes


def test_import_of_a_bad_table_exits_2_with_a_located_message(tmp_path: Path) -> None:
    bad = tmp_path / "bad.tsv"
    bad.write_text("三级指标\t分值\n培训人数\t两分\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(bad), "-o", str(tmp_path / "out.yaml")])
    assert result.exit_code == 2
    assert result.stderr.startswith(f"perfeval: {bad}:2:6 (B2): 分值 is not a number: '两分' [E005]\n")
    assert not (tmp_path / "out.yaml").exists()


def test_schema_form_prints_a_schema_that_validates_the_seed() -> None:
    result = CliRunner().invoke(cli, ["schema", "form"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    jsonschema.Draft202012Validator.check_schema(schema)
    document = json.loads(_json.dumps(form_to_dict(load_form(SEED))))
    jsonschema.Draft202012Validator(schema).validate(document)
    document["indicators"][0]["weight"] = "2.00"
    assert not jsonschema.Draft202012Validator(schema).is_valid(document)


def test_validate_ok_and_errors(tmp_path: Path) -> None:
    good = tmp_path / "good.yaml"
    good.write_text(form_to_yaml(load_form(SEED)), encoding="utf-8")
    bad = tmp_path / "bad.yaml"
    bad.write_text("project: x\nindicators:\n  - {name: a}\n", encoding="utf-8")
    other = tmp_path / "notes.yaml"
    other.write_text("title: not a form\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(good), str(SEED), str(bad), str(other)])
    assert result.exit_code == 2
    assert result.stdout == f"OK {good}\nOK {SEED}\n"
    assert result.stderr.splitlines()[0] == f"{bad}:3:5: indicators[0]: 'level1' is a required property [E003]"
    assert result.stderr.splitlines()[-1] == (
        f"{other}: neither a form (no 'indicators' key), a table, "
        "nor a rule set (no 'id', 'policies' or 'extends') [E006]"
    )
    ok = CliRunner().invoke(cli, ["validate", str(good)])
    assert (ok.exit_code, ok.stdout) == (0, f"OK {good}\n")


def test_import_a_sheet_and_validate_a_workbook(tmp_path: Path) -> None:
    book = tmp_path / "book.xlsx"
    build_workbook(book)
    result = CliRunner().invoke(cli, ["import", str(book), "--sheet", "第二个项目"])
    assert result.exit_code == 0, result.output
    assert "project: 阅读推广\n" in result.stdout
    assert result.stderr.splitlines()[0] == (
        f"{book}:sheet 第二个项目:row 3: no 二级 category for 「活动场次」: no label and no keyword [level2-missing]"
    )
    assert "    source: {row: 3, cell: A3, sheet: 第二个项目}\n" in result.stdout
    both = CliRunner().invoke(cli, ["import", str(book)])
    assert both.exit_code == 2
    assert both.stderr == (
        f"perfeval: {book}: the workbook holds 2 forms (sheets '自评表', '第二个项目') [E006]\n"
        "    hint: choose one with --sheet NAME\n"
    )
    checked = CliRunner().invoke(cli, ["validate", str(book)])
    assert (checked.exit_code, checked.stdout) == (0, f"OK {book}\n")
