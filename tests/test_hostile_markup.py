"""Markup in every text field of a form comes out escaped: evaluated through the real importer, engine and CLI.

The parsed HTML holds no <script> and no event-handler attribute, and the hostile text is visible as
text; Markdown shows it as entities; the importer reduces the goals' own HTML to text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from htmldom import Node, parse

from perfeval_rules.cli import cli

ROOT = Path(__file__).parents[1]
SEED_TEXT = (ROOT / "examples" / "xinhong-community-party-building.tsv").read_text(encoding="utf-8")
X = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'><svg onload=alert(3)>"

# Every text field of the seed form, each given the payload: project, department, implementer, goals,
# an indicator's name, target, actual and reason.
REPLACEMENTS = {
    "社区党建专项": "社区党建专项" + X,
    "上海市闵行区新虹街道(汇总)": X + "部门",
    "上海市闵行区新虹街道社区党群服务中心": X + "单位",
    "<p>根据": "<p><script>alert(4)</script>&lt;script&gt;alert(5)&lt;/script&gt;根据",
    "“两新”党建服务覆盖党员人数": "“两新”党建服务覆盖党员人数" + X,
    "两新党员人数未达到3500人": X,
    "=1.00(项)\t4": "=1.00(项)" + X + "\t4" + X,
}


@pytest.fixture(scope="module")
def hostile_tsv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    text = SEED_TEXT
    for old, new in REPLACEMENTS.items():
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path_factory.mktemp("markup") / "hostile.tsv"
    path.write_text(text, encoding="utf-8")
    return path


def _evaluate(path: Path, fmt: str) -> str:
    result = CliRunner().invoke(cli, ["evaluate", str(path), "--rules", "cn-mof-2020", "--format", fmt])
    assert (result.exit_code, result.stderr) == (0, "")
    return result.stdout


def _text(node: Node) -> str:
    return "".join(c if isinstance(c, str) else _text(c) for c in node.children)


def test_the_goals_html_is_reduced_to_text_by_the_importer(hostile_tsv: Path) -> None:
    goal = json.loads(_evaluate(hostile_tsv, "json"))["form"]
    assert "goal_expected" not in goal or "<" not in goal["goal_expected"]
    result = CliRunner().invoke(cli, ["import", str(hostile_tsv)])
    assert result.exit_code == 0
    assert "expected: alert(4)alert(5)根据不同领域" in result.stdout


def test_html_report_holds_no_markup_from_the_form(hostile_tsv: Path) -> None:
    html = _evaluate(hostile_tsv, "html")
    root = parse(html)
    plain = parse(_evaluate(ROOT / "examples" / "xinhong-community-party-building.tsv", "html"))
    assert root.find_all("script") == []
    for tag in ("svg", "img", "a", "iframe"):  # only the report's own charts, as for the plain seed form
        assert len(root.find_all(tag)) == len(plain.find_all(tag)), tag
    handlers = [(n.tag, a) for n in root.iter() for a in n.attrs if a.lower().startswith("on")]
    assert handlers == []
    assert "<script" not in html.lower() and "<img src=x" not in html and "<svg onload" not in html
    visible = _text(root)
    # The payload is shown, as text, wherever the form put it.
    assert visible.count(X) >= 7
    assert "社区党建专项" + X in visible and X + "部门" in visible and X + "单位" in visible
    assert "“两新”党建服务覆盖党员人数" + X in visible


def test_markdown_report_shows_the_markup_as_entities(hostile_tsv: Path) -> None:
    md = _evaluate(hostile_tsv, "md")
    assert "<script" not in md and "<img" not in md and "<svg" not in md
    escaped = (
        "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;\"'&gt;&lt;svg onload=alert(3)&gt;"
    )
    assert md.count(escaped) >= 7
    assert "# 社区党建专项" + escaped in md


def test_json_keeps_the_text_exactly(hostile_tsv: Path) -> None:
    result = json.loads(_evaluate(hostile_tsv, "json"))
    assert result["form"]["project"] == "社区党建专项" + X
    indicator = next(i for i in result["indicators"] if i["name"].startswith("“两新”党建服务覆盖党员人数"))
    assert (indicator["name"], indicator["reason"]) == ("“两新”党建服务覆盖党员人数" + X, X)


def test_every_field_of_a_yaml_form_is_escaped(tmp_path: Path) -> None:
    """A hand-written form puts the payload where a table cannot: 一级/二级 labels, funds labels, the grade."""
    quoted = json.dumps(X, ensure_ascii=False)
    path = tmp_path / "hostile.yaml"
    path.write_text(
        f"""project: {quoted}
department: {quoted}
implementer: {quoted}
funds:
  - {{label: {quoted}, initial_budget: 10, budget: 10, executed: 10, weight: 10.00, score: 10.00}}
goals: {{expected: {quoted}, achieved: {quoted}}}
indicators:
  - {{level1: {quoted}, level2: {quoted}, name: {quoted}, target: {quoted}, actual: {quoted}, weight: 90.00,
     reported_score: 90.00, reason: {quoted}}}
reported_total: 100
reported_grade: {quoted}
""",
        encoding="utf-8",
    )
    html = _evaluate(path, "html")
    root = parse(html)
    assert root.find_all("script") == [] and "<img src=x" not in html and "<svg onload" not in html
    assert [(n.tag, a) for n in root.iter() for a in n.attrs if a.lower().startswith("on")] == []
    visible = _text(root)
    assert visible.count(X) >= 10  # project, department, implementer, goals, labels, name, texts, reason, grade
    md = _evaluate(path, "md")
    assert "<script" not in md and "<img" not in md and "<svg" not in md
    assert md.count(X.replace("<", "&lt;").replace(">", "&gt;")) >= 10
