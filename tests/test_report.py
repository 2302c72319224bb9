"""The per-form reports: Markdown golden file, HTML structure, determinism, escaping and the sandbox.

Set PERFEVAL_UPDATE_GOLDENS=1 to rewrite the golden files instead of comparing with them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from goldens import check_golden
from htmldom import Node, parse

from perfeval_rules import _json
from perfeval_rules._yaml import load_file
from perfeval_rules.errors import InputError, TemplateError, UsageError
from perfeval_rules.report import FORMATS, SUFFIXES, render
from perfeval_rules.report._format import md_escape, num, pct, runs, scale

DATA = Path(__file__).parent / "data" / "report"
ROOT = Path(__file__).parent.parent


def load(name: str) -> dict[str, Any]:
    data = load_file(DATA / name).data
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    return load("sample_result.json")


@pytest.fixture(scope="module")
def hostile() -> dict[str, Any]:
    return load("hostile_result.json")


@pytest.fixture(scope="module")
def sample_html(sample: dict[str, Any]) -> str:
    return render(sample, "html")


@pytest.fixture(scope="module")
def dom(sample_html: str) -> Node:
    return parse(sample_html)


# --- the fixtures follow the result contract ------------------------------------------------

CONTRACT = {
    "": ["form", "ruleset", "engine", "budget", "indicators", "totals", "total", "reported_total", "grade",
         "reported_grade", "findings", "summary", "import_notes"],
    "form": ["project", "department", "implementer", "year", "source", "sha256", "amount_unit", "goal_expected",
             "goal_achieved"],
    "ruleset": ["id", "title", "version", "sha256", "lineage"],
    "engine": ["name", "version"],
    "budget": ["initial_budget", "budget", "executed", "rate", "weight", "score", "reported_rate", "reported_score",
               "policy", "trace", "findings"],
    "indicator": ["index", "level1", "level2", "name", "target_text", "actual_text", "target", "actual", "kind",
                  "direction", "met", "tier", "weight", "score", "reported_score", "reason", "policy", "trace",
                  "findings", "source"],
    "finding": ["code", "severity", "message", "indicator", "index", "cell"],
    "import_note": ["code", "message", "row"],
}  # fmt: skip


def contract_violations(result: dict[str, Any]) -> list[str]:
    """Where `result` departs from the keys and key order of the result contract."""
    found: list[str] = []

    def check(where: str, obj: dict[str, Any], kind: str) -> None:
        if list(obj) != CONTRACT[kind]:
            found.append(f"{where}: {list(obj)}")

    check("result", result, "")
    for part in ("form", "ruleset", "engine", "budget"):
        check(part, result[part], part)
    for n, ind in enumerate(result["indicators"], 1):
        check(f"indicator {n}", ind, "indicator")
        assert ind["index"] == n
        for f in ind["findings"]:
            check(f"indicator {n} finding", f, "finding")
            assert f in result["findings"], f
    for f in [*result["findings"], *result["budget"]["findings"]]:
        check("finding", f, "finding")
    for note in result["import_notes"]:
        check("import note", note, "import_note")
    order = {"error": 0, "warning": 1, "info": 2}
    # where form-level findings (index null) go within a severity is not fixed by the contract
    keys = [(order[f["severity"]], f["index"]) for f in result["findings"] if f["index"] is not None]
    severities = [order[f["severity"]] for f in result["findings"]]
    if keys != sorted(keys) or severities != sorted(severities):
        found.append("findings are not sorted by severity, then indicator index")
    counts = {s: sum(1 for f in result["findings"] if f["severity"] == s) for s in order}
    if result["summary"] != counts:
        found.append(f"summary {result['summary']} != {counts}")
    return found


@pytest.mark.parametrize("name", ["sample_result.json", "hostile_result.json"])
def test_fixtures_follow_the_result_contract(name: str) -> None:
    assert contract_violations(load(name)) == []


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_matches_golden(sample: dict[str, Any]) -> None:
    check_golden(render(sample, "md"), DATA / "sample_result.md")


@pytest.mark.parametrize(
    "fragment",
    [
        "# 社区党建专项\n",
        "| 总分 | **39.09** | 97.00 | -57.91 ≠ |\n",
        "| 等级 | **差** | 优 | 等级不一致 ≠ |\n",
        "发现: 错误 0 · 警告 4 · 提示 5; 指标 15 项。\n",
        "| 年度资金总额 | 446.3 | 427.79 | 427.79 | 10.00 | 100.00% | 100.00% | 10.00 | **10.00** |  |\n",
        "| 4 | 产出指标 | 数量指标 | “两新”党建服务覆盖党员人数 | ≥3500.00(人) | 3125 | 1.00 | 0.00 | **0.89** ≠"
        " | 两新党员人数未达到3500人 | 警告 score-mismatch |\n",
        "| 11 | 效益指标 | 社会效益指标 | “两新”党组织覆盖情况 | 较上一年度提高 | 部分达成指标并具有一定效果"
        " | 2.00 | 1.00 | **1.20** ≠ | 提高幅度小 | 警告 score-outside-band |\n",
        "| 5 | 产出指标 | 数量指标 | 中心宣传展示完成数 | =1.00(项) | 4 | 1.00 | 1.00 | **1.00** |"
        "  | 提示 over-achieved |\n",
        "| actual-bound | #10 社区党校课程活动参与率 | row 57"
        " | 实际完成值“≥90.00%”是一个界限而非实测值,按 90% 计算 |\n",
        "| **产出指标** | 小计 | 11.00 | 9.00 | **9.89** ≠ |\n| | 数量指标 | 6.00 | 5.00 | 5.89 ≠ |\n",
        "5. expression: 分值 \\* 完成值 / 指标值 = 1 \\* 3125 / 3500 = 0.892857…\n",
        "| 66 | label-joined | label 「可持续影响指」 and 「标」 (row 68) joined into 「可持续影响指标」 |\n",
        "| 规则集 sha256 | 5f0c3b7e9a4d2c1b8e6f7a0d9c3b2a1f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c9b |\n",
        "| 引擎 | perfeval-rules 0.1.0 |\n",
    ],
)
def test_markdown_fragments(sample: dict[str, Any], fragment: str) -> None:
    assert fragment in render(sample, "md")


def test_markdown_tables_keep_their_columns(hostile: dict[str, Any]) -> None:
    md = render(hostile, "md")
    rows = [line for line in md.splitlines() if re.match(r"\| [12] \| ", line)]
    assert len(rows) == 2
    for row in rows:  # 11 cells: 12 unescaped pipes, however many pipes the user text holds
        assert len(re.findall(r"(?<!\\)\|", row)) == 12, row


# --- HTML structure ---------------------------------------------------------------------------


def test_html_is_one_self_contained_page(sample_html: str, dom: Node) -> None:
    assert sample_html.startswith("<!DOCTYPE html>\n")
    assert not dom.find_all("script") and not dom.find_all("link") and not dom.find_all("img")
    for node in dom.iter():
        for name, value in node.attrs.items():
            assert not name.startswith("on"), (node.tag, name)
            if name in ("href", "src"):
                assert value.startswith("#"), (node.tag, value)
    assert "@import" not in sample_html and "url(" not in sample_html
    assert dom.find("title").text == "社区党建专项 · 绩效自评复核 · cn-mof-2020"


def test_html_header_and_summary(dom: Node) -> None:
    assert dom.find("h1").text == "社区党建专项"
    assert dom.find("table", "meta").text == (
        "项目名称 社区党建专项 评分规则 项目支出绩效评价管理办法(财预〔2020〕10号) cn-mof-2020 · 版本 1.0.0 "
        "主管部门 上海市闵行区新虹街道(汇总) 实施单位 上海市闵行区新虹街道社区党群服务中心"
    )
    assert dom.find("div", "computed").text == "计算总分 (按规则) 39.09 等级 差"
    assert dom.find("div", "reported").text == "自评总分 (表内填报) 97.00 等级 优"
    delta = dom.find("div", "delta")
    assert "differs" in delta.classes
    assert delta.text == "差额 (计算 − 自评) -57.91 ≠ 总分不一致; ≠ 等级不一致"


def test_html_funds_block(dom: Node) -> None:
    row = dom.by_id("funds").find("tbody").find("tr")
    cells = [c.text for c in row.find_all("td")][:9]
    assert cells == ["年度资金总额", "446.3", "427.79", "427.79", "10.00", "100.00%", "100.00%", "10.00", "10.00"]


def test_html_indicator_table_follows_the_official_layout(sample: dict[str, Any], dom: Node) -> None:
    table = dom.find("table", "indicators")
    heads = [th.text for th in table.find("thead").find_all("th")]
    assert heads == [
        "一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值",
        "得分 (自评)", "得分 (计算)", "偏差原因分析", "发现",
    ]  # fmt: skip
    rows = table.find("tbody").find_all("tr")
    assert [r.attrs["id"] for r in rows] == [f"ind-{i['index']}" for i in sample["indicators"]]
    assert len(rows) == 15
    spans = [(th.text, th.attrs["rowspan"]) for th in table.find_all("th", "l1")]
    assert spans == [("产出指标", "8"), ("效益指标", "5"), ("满意度指标", "2")]
    spans = [(th.text, th.attrs["rowspan"]) for th in table.find_all("th", "l2")]
    assert spans == [
        ("数量指标", "5"), ("质量指标", "1"), ("时效指标", "2"),
        ("社会效益指标", "3"), ("可持续影响指标", "2"), ("服务对象满意度指标", "2"),
    ]  # fmt: skip
    # every row fills exactly the ten columns once the merged cells above it are counted
    pending: list[int] = []
    for row in rows:
        cells = [c for c in row.children if isinstance(c, Node)]
        assert len(pending) + len(cells) == 10, row.attrs["id"]
        spans = [int(c.attrs["rowspan"]) - 1 for c in cells if "rowspan" in c.attrs]
        pending = [n for n in [n - 1 for n in pending] + spans if n > 0]
    first = [c.text for c in rows[0].find_all("td")][:6]
    assert first == ["社区党校教学培训活动完成率 row 14", "=100.00(%)", "100%", "2.00", "2.00", "2.00"]


def test_html_rows_whose_score_differs_are_marked(dom: Node) -> None:
    rows = dom.find("table", "indicators").find("tbody").find_all("tr")
    assert [r.attrs["id"] for r in rows if "mismatch" in r.classes] == ["ind-4", "ind-11"]
    row4 = dom.by_id("ind-4")
    assert row4.find("td", "computed").text == "≠ 0.89"
    assert row4.find("span", "marker").attrs["title"] == "计算得分与自评得分不一致"
    assert dom.by_id("ind-1").find("td", "computed").text == "2.00"
    assert dom.by_id("ind-1").find_all("span", "marker") == []


def test_html_each_row_explains_itself(sample: dict[str, Any], dom: Node) -> None:
    for ind in sample["indicators"]:
        details = dom.by_id(f"ind-{ind['index']}").find("details")
        assert details.find("summary").text == f"计算说明 · {ind['policy']}"
        steps = [li.text for li in details.find_all("li")]
        assert steps == [f"{s['step']} {s['text']}" for s in ind["trace"]]


def test_html_findings_grouped_and_linked(sample: dict[str, Any], dom: Node) -> None:
    section = dom.by_id("findings")
    assert [h.text for h in section.find_all("h3")] == ["错误 error (0)", "警告 warning (4)", "提示 info (5)"]
    items = section.find_all("li")
    assert [li.attrs["id"] for li in items] == [f"f-{n}" for n in range(1, 10)]
    assert [li.find("code").text for li in items] == [f["code"] for f in sample["findings"]]
    for li, finding in zip(items, sample["findings"], strict=True):
        assert f"sev-{finding['severity']}" in li.classes
        href = li.find("a").attrs["href"]
        assert href == (f"#ind-{finding['index']}" if finding["index"] is not None else "#summary")
    assert items[2].text == (
        "score-mismatch “两新”党建服务覆盖党员人数 : 自评得分 0.00 与按规则计算的得分 0.89 不一致(差 0.89) row 22"
    )
    # each row's badges link back to its entries in the list
    badges = dom.by_id("ind-11").find_all("a", "badge")
    assert [(b.text, b.attrs["href"]) for b in badges] == [("警告 score-outside-band", "#f-4")]


def test_html_every_internal_link_has_a_target(dom: Node) -> None:
    ids = {n.attrs["id"] for n in dom.iter() if "id" in n.attrs}
    links = [n.attrs["href"] for n in dom.iter("a")]
    assert len(links) == 3 + 7 + 9  # the summary counts, the rows' badges, the findings list
    assert [h for h in links if h[1:] not in ids] == []


def test_html_chart_labels_are_real_text(dom: Node) -> None:
    svgs = dom.find_all("svg")
    assert len(svgs) == 2
    labels = [t.text for t in svgs[0].find_all("text") if t.attrs.get("text-anchor") == "end"]
    assert labels == ["产出指标", "效益指标", "满意度指标"]
    labels = [t.text for t in svgs[1].find_all("text") if t.attrs.get("text-anchor") == "end"]
    assert labels == ["数量指标", "质量指标", "时效指标", "社会效益指标", "可持续影响指标", "服务对象满意度指标"]
    values = [t.text for t in svgs[0].find_all("text") if "font-size" in t.attrs][0:3]
    assert values == ["分值 11.00", "自评 9.00", "计算 9.89 ≠"]
    bars = [r.attrs["width"] for r in svgs[0].find_all("rect")][3:6]
    assert bars == ["507.7", "415.4", "456.5"]  # 11, 9 and 9.89 of the largest value 13, over 600 px


def test_html_import_notes_and_footer(sample: dict[str, Any], dom: Node) -> None:
    rows = dom.by_id("import-notes").find("tbody").find_all("tr")
    assert rows[0].text == "6 unit-from-header amounts in 万元, from the header 「项目资金(万元)」"
    assert len(rows) == len(sample["import_notes"])
    footer = dom.by_id("provenance")
    pairs = dict(zip([d.text for d in footer.find_all("dt")], [d.text for d in footer.find_all("dd")], strict=True))
    assert pairs == {
        "规则集": "cn-mof-2020 · 版本 1.0.0",
        "规则集 sha256": sample["ruleset"]["sha256"],
        "输入文件": "examples/xinhong-community-party-building.tsv",
        "输入 sha256": "d186fb0227eec5cff7d9f422ad414d7678afcebe7c92356b6dff8c4ec70ec93e",
        "引擎": "perfeval-rules 0.1.0",
    }


def test_html_print_styles(sample_html: str) -> None:
    assert "@page { size: A4 landscape;" in sample_html
    assert "tr, li, .card, svg, figure { break-inside: avoid; }" in sample_html
    assert "details::details-content { content-visibility: visible; display: block; }" in sample_html


# --- determinism, formats, API ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_render_is_deterministic(sample: dict[str, Any], fmt: str) -> None:
    assert render(sample, fmt) == render(load("sample_result.json"), fmt)


def test_json_format_is_the_contract(sample: dict[str, Any]) -> None:
    assert render(sample, "json") == _json.dumps(sample)
    assert render(sample, "json") + "\n" == (DATA / "sample_result.json").read_text(encoding="utf-8")


def test_render_accepts_an_object_with_to_dict(sample: dict[str, Any]) -> None:
    class Evaluation:
        def to_dict(self) -> dict[str, Any]:
            return sample

    assert render(Evaluation(), "md") == render(sample, "md")


def test_formats_and_suffixes() -> None:
    assert FORMATS == ("html", "md", "json")
    assert SUFFIXES == {"html": ".html", "md": ".md", "json": ".json"}


def test_unknown_format_is_a_usage_error(sample: dict[str, Any]) -> None:
    with pytest.raises(UsageError) as info:
        render(sample, "htm")
    assert str(info.value) == "unknown report format 'htm' (did you mean 'html'?); choose one of html, md, json [E006]"


def test_template_with_json_is_a_usage_error(sample: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="a template applies to html and md reports, not to json"):
        render(sample, "json", template=tmp_path / "t.j2")


def test_null_values_show_as_a_dash(sample: dict[str, Any]) -> None:
    data = dict(sample)
    data["indicators"] = [dict(sample["indicators"][0], reported_score=None, source=None)]
    row = parse(render(data, "html")).by_id("ind-1")
    cells = [c.text for c in row.find_all("td")][:6]
    assert cells == ["社区党校教学培训活动完成率", "=100.00(%)", "100%", "2.00", "—", "≠ 2.00"]
    md_row = "| 1 | 产出指标 | 数量指标 | 社区党校教学培训活动完成率 | =100.00(%) | 100% | 2.00 | — | **2.00** ≠ |"
    assert md_row in render(data, "md")


def test_jinja2_is_imported_only_when_rendering() -> None:
    code = "import sys, perfeval_rules.report, perfeval_rules.cli; print('jinja2' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout == "False\n"


# --- escaping ---------------------------------------------------------------------------------


def test_html_escapes_everything_from_the_form(hostile: dict[str, Any]) -> None:
    html = render(hostile, "html")
    assert "<script" not in html.lower()
    dom = parse(html)
    assert not dom.find_all("script") and not dom.find_all("img")
    assert len(dom.find_all("svg")) == 2  # only the two charts; the form's "<svg onload…>" stayed text
    for node in dom.iter():
        assert not [a for a in node.attrs if a.startswith("on")], node.tag
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert dom.by_id("ind-1").find("td", "name").text == "<script>alert(1)</script> row 22"
    assert dom.by_id("ind-1").find("td", "reason").text == "<img src=x onerror=alert(1)>"
    assert dom.by_id("ind-1").find("th", "l2").text == '"><svg onload=alert(1)>'
    chart_labels = [t.text for t in dom.find_all("svg")[1].find_all("text") if t.attrs.get("text-anchor") == "end"]
    assert chart_labels == ['"><svg onload=alert(1)>', "社会效益指标"]
    badge = dom.by_id("ind-1").find("a", "badge")
    assert badge.attrs["title"] == "自评得分 <img src=x onerror=alert(1)> 不一致"  # intact inside the attribute
    assert dom.find("h1").text == "<script>alert(1)</script>社区党建专项"


def test_markdown_escapes_everything_from_the_form(hostile: dict[str, Any]) -> None:
    md = render(hostile, "md")
    assert "<script" not in md and "<img" not in md and "<svg" not in md
    assert "# &lt;script&gt;alert(1)&lt;/script&gt;社区党建专项\n" in md
    assert (
        "\\| pipe \\| \\[link\\](javascript:alert(1)) \\`code\\` \\*bold\\* \\_em\\_ \\~\\~del\\~\\~ \\\\ back new line"
        in md
    )
    assert "](javascript:" not in md.replace("\\](javascript:", "")


# --- filters ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "places", "sign", "text"),
    [
        (Decimal("0.89"), 2, False, "0.89"),
        (10, 2, False, "10.00"),
        (Decimal("0.885"), 2, False, "0.89"),  # half-up, as Chinese practice rounds
        (Decimal("0.8849"), 2, False, "0.88"),
        (Decimal("446.30"), None, False, "446.3"),
        (Decimal("1E+2"), None, False, "100"),
        (Decimal("-57.91"), 2, True, "-57.91"),
        (Decimal("0.2"), 2, True, "+0.20"),
        (Decimal("-0.001"), 2, False, "0.00"),
        (None, 2, False, "—"),
    ],
)
def test_num(value: Any, places: int | None, sign: bool, text: str) -> None:
    assert num(value, places, sign) == text


def test_num_refuses_binary_floats() -> None:
    with pytest.raises(TypeError, match=r"^expected a Decimal or int, got float 0\.1$"):
        num(0.1, 2)


def test_pct_and_scale() -> None:
    assert pct(Decimal("100")) == "100.00%"
    assert pct(Decimal("86.185"), 1) == "86.2%"
    assert pct(None) == "—"
    assert scale(Decimal("9.89"), 13, 600) == Decimal("456.5")
    assert scale(Decimal("20"), 13, 600) == Decimal("600.0")
    assert scale(None, 13, 600) == 0 and scale(5, 0, 600) == 0


def test_runs_keeps_order_and_merges_only_neighbours() -> None:
    items = [{"k": "b"}, {"k": "b"}, {"k": "a"}, {"k": "b"}]
    assert [(r.key, len(r.rows)) for r in runs(items, "k")] == [("b", 2), ("a", 1), ("b", 1)]


def test_md_escape() -> None:
    assert md_escape("a|b`c*d_e[f]g~h\\i") == "a\\|b\\`c\\*d\\_e\\[f\\]g\\~h\\\\i"
    assert md_escape("<b>&amp;\r\n  x\ny") == "&lt;b&gt;&amp;amp; x y"
    assert md_escape(md_escape("a|b")) == "a\\|b"  # never escaped twice


# --- user templates and the sandbox -----------------------------------------------------------


def user_template(tmp_path: Path, text: str, name: str = "mine.html.j2") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_user_template_gets_the_result_and_the_filters(sample: dict[str, Any], tmp_path: Path) -> None:
    path = user_template(tmp_path, "{{ form.project }}: {{ total|num(2) }} {{ grade }} <{{ indicators|length }}>\n")
    assert render(sample, "html", template=path) == "社区党建专项: 39.09 差 <15>\n"
    path = user_template(tmp_path, "{{ form.project }} {{ '<x>' }} {{ 'a|b' }}\n", "mine.md.j2")
    assert render(sample, "md", template=path) == "社区党建专项 &lt;x&gt; a\\|b\n"


def test_user_template_can_extend_the_bundled_base(sample: dict[str, Any], tmp_path: Path) -> None:
    path = user_template(tmp_path, '{% extends "base.html.j2" %}{% block body %}<p>{{ grade }}</p>{% endblock %}')
    dom = parse(render(sample, "html", template=path))
    assert dom.find("p").text == "差"
    assert dom.find("meta", None) and "@page" in dom.find("style").text


@pytest.mark.parametrize(
    ("text", "message", "line", "column"),
    [
        (
            "ok\n{{ ''.__class__.__mro__ }}\n",
            "template tried something the sandbox forbids: access to attribute '__class__' of 'str' object is unsafe.",
            2,
            7,
        ),
        (
            "{{ cycler.__init__.__globals__ }}\n",
            "template tried something the sandbox forbids: access to attribute '__init__' of 'type' object is unsafe.",
            1,
            11,
        ),
        ("a\nb\n  {{ form.projct }}\n", "undefined in template: 'dict object' has no attribute 'projct'", 3, 11),
        ("{{ nothing }}\n", "undefined in template: 'nothing' is undefined", 1, 4),
        ('{% include "../secret.j2" %}\n', "template '../secret.j2' not found", 1, 13),
        (
            "{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}\n",
            "template failed: RecursionError: maximum recursion depth exceeded",
            1,
            None,
        ),
        (
            "{{ total + 0.5 }}\n",
            "template failed: TypeError: unsupported operand type(s) for +: 'decimal.Decimal' and 'float'",
            1,
            None,
        ),
    ],
)
def test_user_template_failures_are_located(
    sample: dict[str, Any], tmp_path: Path, text: str, message: str, line: int, column: int | None
) -> None:
    path = user_template(tmp_path, text)
    with pytest.raises(TemplateError) as info:
        render(sample, "html", template=path)
    err = info.value
    assert err.message == message
    assert err.location is not None
    assert (err.location.file, err.location.line, err.location.column) == (str(path), line, column)
    assert err.location.source_line == text.splitlines()[line - 1]
    assert str(err).startswith(f"{path}:{line}")


def test_user_template_syntax_error(sample: dict[str, Any], tmp_path: Path) -> None:
    path = user_template(tmp_path, "fine\n{% for x in %}\n")
    with pytest.raises(TemplateError) as info:
        render(sample, "md", template=path)
    assert str(info.value) == (
        f"{path}:2: template syntax error: Expected an expression, got 'end of statement block' [E008]\n"
        "    {% for x in %}\n    ^"
    )


def test_missing_user_template(sample: dict[str, Any], tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        render(sample, "html", template=tmp_path / "nope.j2")
    assert str(info.value) == f"{tmp_path / 'nope.j2'}: template file not found [E001]"


def test_bundled_templates_are_strict(sample: dict[str, Any]) -> None:
    broken = dict(sample)
    del broken["grade"]
    with pytest.raises(TemplateError) as info:
        render(broken, "md")
    assert info.value.message == "undefined in template: 'grade' is undefined"
    assert info.value.location is not None and info.value.location.file.endswith("report.md.j2")


# --- edge cases -------------------------------------------------------------------------------


def minimal_result() -> dict[str, Any]:
    """A form with nothing but a name: no funds, no indicators, nothing reported."""
    none_budget = dict.fromkeys(
        ("initial_budget", "budget", "executed", "rate", "weight", "score", "reported_rate", "reported_score", "policy")
    )
    return {
        "form": {
            "project": "空表",
            "department": "",
            "implementer": "",
            "year": 2021,
            "source": None,
            "sha256": None,
            "amount_unit": "万元",
            "goal_expected": "",
            "goal_achieved": "",
        },
        "ruleset": {"id": "r", "title": "t", "version": "1", "sha256": "0" * 64, "lineage": ["r", "base"]},
        "engine": {"name": "perfeval-rules", "version": "0.1.0"},
        "budget": {**none_budget, "trace": [], "findings": []},
        "indicators": [],
        "totals": {"by_level1": {}, "by_level2": {}},
        "total": None,
        "reported_total": None,
        "grade": None,
        "reported_grade": None,
        "findings": [],
        "summary": {"error": 0, "warning": 0, "info": 0},
        "import_notes": [],
    }


def test_an_empty_form_renders(tmp_path: Path) -> None:
    result = minimal_result()
    dom = parse(render(result, "html"))
    assert dom.find("div", "computed").text == "计算总分 (按规则) — 等级 —"
    assert dom.find("table", "indicators").find("tbody").find_all("tr") == []
    assert [p.text for p in dom.by_id("findings").find_all("p")] == ["无", "无", "无"]
    assert dom.find("div", "kicker").text == "财政项目支出绩效自评价 · 复核报告 · 2021 年度"
    assert dom.by_id("provenance").find_all("dd")[0].text == "r · 版本 1 · 继承链 r → base"
    md = render(result, "md")
    assert "| 总分 | **—** | — | — |\n" in md
    assert "## 导入说明\n\n无。\n" in md
    assert "| 规则集 | r 版本 1 (继承链 r → base) |\n" in md


def test_budget_findings_link_to_the_funds_block(sample: dict[str, Any]) -> None:
    finding = {
        "code": "rate-mismatch",
        "severity": "error",
        "message": "执行率不一致",
        "indicator": None,
        "index": None,
        "cell": "H7",
    }
    budget = {**sample["budget"], "findings": [finding]}
    result = {**sample, "budget": budget, "findings": [finding, *sample["findings"]]}
    dom = parse(render(result, "html"))
    first = dom.by_id("f-1")
    assert first.text == "rate-mismatch 项目资金 : 执行率不一致 H7"
    assert first.find("a").attrs["href"] == "#funds"
    badge = dom.by_id("funds").find("a", "badge")
    assert (badge.text, badge.attrs["href"]) == ("错误 rate-mismatch", "#f-1")
    md_row = "| 10.00 | 100.00% | 100.00% | 10.00 | **10.00** | 错误 rate-mismatch |\n"
    assert md_row in render(result, "md")


# --- real results: the seed example evaluated by the engine -----------------------------------


@pytest.fixture(scope="module")
def seed_result() -> dict[str, Any]:
    from perfeval_rules import evaluate, load_ruleset
    from perfeval_rules.forms import load_form

    form = load_form(ROOT / "examples" / "xinhong-community-party-building.tsv")
    result = evaluate(load_ruleset("cn-mof-2020"), form).to_dict()
    assert isinstance(result, dict)
    return result


def test_engine_results_follow_the_contract_the_fixtures_follow(seed_result: dict[str, Any]) -> None:
    assert contract_violations(seed_result) == []


def test_engine_result_html(seed_result: dict[str, Any]) -> None:
    html = render(seed_result, "html")
    assert html == render(seed_result, "html")
    dom = parse(html)
    rows = dom.find("table", "indicators").find("tbody").find_all("tr")
    assert [r.attrs["id"] for r in rows] == [f"ind-{n}" for n in range(1, 57)]
    l1 = [(th.text, th.attrs["rowspan"]) for th in dom.find_all("th", "l1")]
    assert l1 == [("产出指标", "41"), ("效益指标", "12"), ("满意度指标", "3")]
    ids = {n.attrs["id"] for n in dom.iter() if "id" in n.attrs}
    assert [a.attrs["href"] for a in dom.iter("a") if a.attrs["href"][1:] not in ids] == []
    row = dom.by_id("ind-9")
    assert row.find("td", "name").text.startswith("“两新”党建服务覆盖党员人数")
    assert "mismatch" in row.classes
    assert [c.text for c in row.find_all("td", "n")] == ["1.00", "0.00", "≠ 0.89"]
    codes = [li.find("code").text for li in dom.by_id("findings").find_all("li")]
    assert codes == [f["code"] for f in seed_result["findings"]]
    assert dom.find("div", "computed").find("div", "value").text == "94.09"
    assert dom.find("div", "reported").find("div", "value").text == "97.00"


def test_engine_result_markdown(seed_result: dict[str, Any]) -> None:
    md = render(seed_result, "md")
    assert "| 总分 | **94.09** | 97.00 | -2.91 ≠ |\n" in md
    assert "| 等级 | **优** | 优 | 一致 |\n" in md
    row = next(line for line in md.splitlines() if "“两新”党建服务覆盖党员人数 | ≥3500.00(人)" in line)
    assert row.startswith("| 9 | 产出指标 | 数量指标 | “两新”党建服务覆盖党员人数 | ≥3500.00(人) | 3125")
    assert "| 3125 | 1.00 | 0.00 | **0.89** ≠ | 两新党员人数未达到3500人 | 错误 score-mismatch |" in row
    assert len(re.findall(r"(?<!\\)\|", row)) == 12
