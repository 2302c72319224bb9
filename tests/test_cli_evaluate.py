"""`perfeval evaluate` and `perfeval explain` on the seed example, through the command line."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

from click.testing import CliRunner

from perfeval_rules.cli import cli

ROOT = Path(__file__).parents[1]
SEED = str(ROOT / "examples" / "xinhong-community-party-building.tsv")


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_evaluate_json_is_written_atomically_and_deterministically(tmp_path: Path) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    assert _run("evaluate", SEED, "--rules", "cn-mof-2020", "--format", "json", "-o", str(first)) == (0, "", "")
    assert _run("evaluate", SEED, "--rules", "cn-mof-2020", "-o", str(second))[0] == 0
    assert first.read_bytes() == second.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]  # no temporary file left behind
    d = json.loads(first.read_text(encoding="utf-8"), parse_float=Decimal)
    assert list(d) == [
        "form", "ruleset", "engine", "budget", "indicators", "totals", "total", "reported_total",
        "grade", "reported_grade", "findings", "summary", "import_notes",
    ]  # fmt: skip
    assert d["ruleset"]["lineage"] == ["cn-mof-2020"]
    assert d["form"]["source"] == SEED and len(d["form"]["sha256"]) == 64
    assert d["budget"]["score"] == 10
    assert (d["total"], d["reported_total"], d["grade"], d["reported_grade"]) == (
        Decimal("94.09"),
        Decimal("97"),
        "优",
        "优",
    )
    by_name = {i["name"]: i for i in d["indicators"]}
    row = by_name["“两新”党建服务覆盖党员人数"]
    assert (row["score"], row["reported_score"], row["policy"]) == (Decimal("0.89"), 0, "proportional")
    assert row["target"] == {"kind": "comparison", "op": "≥", "value": 3500, "unit": "人", "implied_op": False}
    assert [f["code"] for f in row["findings"]] == ["score-mismatch"]


def test_evaluate_to_stdout_and_fail_on() -> None:
    code, out, _ = _run("evaluate", SEED, "--rules", "cn-mof-2020")
    assert code == 0 and out.startswith('{\n  "form": {\n    "project": "社区党建专项",')
    assert _run("evaluate", SEED, "--rules", "cn-mof-2020", "--fail-on", "error")[0] == 1
    assert _run("evaluate", SEED, "--rules", "cn-mof-2020", "--fail-on", "never")[0] == 0


def test_evaluate_batch_keeps_going_after_a_bad_form(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("indicators: [\n", encoding="utf-8")
    code, out, err = _run("evaluate", SEED, str(bad), "--rules", "cn-mof-2020")
    assert code == 1
    assert len(json.loads(out)) == 1
    assert err.startswith(f"perfeval: {bad}:")


def test_evaluate_unknown_rule_set_exits_2() -> None:
    code, _, err = _run("evaluate", SEED, "--rules", "cn-mof-2021")
    assert code == 2
    assert err.startswith("perfeval: no rule set 'cn-mof-2021': not a file and not a bundled id (did you mean")


def test_explain_one_indicator() -> None:
    code, out, _ = _run("explain", SEED, "--rules", "cn-mof-2020", "--indicator", "覆盖情况")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "48. “两新”党组织覆盖情况 (B62)"
    assert "    expression: tier_score(档次, 分值, 得分) = tier_score(2, 2, 1)" in lines
    assert (
        lines[-1]
        == "    error score-outside-band: 自评得分 1 不在第2档的分值区间 [1.2, 1.6) 内；按最近的区间边界计 1.2"
    )


def test_explain_ambiguous_and_unknown_names_exit_2() -> None:
    code, _, err = _run("explain", SEED, "--rules", "cn-mof-2020", "--indicator", "满意度")
    assert code == 2
    assert err == (
        "perfeval: '满意度' matches 3 indicators: 54. 党员满意度, 55. 群众满意度, 56. 基层书记满意度 [E006]\n"
        "    hint: give more of the name\n"
    )
    code, _, err = _run("explain", SEED, "--rules", "cn-mof-2020", "--indicator", "党员满意率")
    assert code == 2
    assert err == "perfeval: no indicator named '党员满意率' (did you mean '党员满意度'?) [E006]\n"


def test_evaluate_a_folder(tmp_path: Path) -> None:
    import shutil

    shutil.copy(SEED, tmp_path / "a.tsv")
    shutil.copy(SEED, tmp_path / "b.tsv")
    (tmp_path / "notes.yaml").write_text("title: not a form\n", encoding="utf-8")
    (tmp_path / "broken.csv").write_text("三级指标,分值\n培训人数,两分\n", encoding="utf-8")
    code, out, err = _run("evaluate", str(tmp_path), "--rules", "cn-mof-2020")
    assert code == 1
    results = json.loads(out, parse_float=Decimal)
    assert [Path(r["form"]["source"]).name for r in results] == ["a.tsv", "b.tsv"]
    assert [r["total"] for r in results] == [Decimal("94.09"), Decimal("94.09")]
    assert err.startswith(f"perfeval: {tmp_path / 'broken.csv'}:2:")


def test_format_follows_the_output_suffix(tmp_path: Path) -> None:
    md, html = tmp_path / "r.md", tmp_path / "r.html"
    assert _run("evaluate", SEED, "--rules", "cn-mof-2020", "-o", str(md)) == (0, "", "")
    assert md.read_text(encoding="utf-8").startswith("# 社区党建专项\n")
    assert _run("evaluate", SEED, "--rules", "cn-mof-2020", "-o", str(html)) == (0, "", "")
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>\n")
