"""`perfeval compare`: forms under two rule sets or against the scores as filed, and the rule-set diff."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from htmldom import parse
from portfolio_inputs import SEED, build

from perfeval_rules.cli import cli


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _json(*args: str) -> Any:
    code, out, err = _run(*args, "--format", "json")
    assert (code, err) == (0, ""), err
    return json.loads(out, parse_float=Decimal)


def _total(form: str, rules: str) -> tuple[Decimal, str | None]:
    d = json.loads(_run("evaluate", form, "--rules", rules)[1], parse_float=Decimal)
    return d["total"], d["grade"]


def test_example_under_mof_and_hubei() -> None:
    view = _json("compare", str(SEED), "--base", "cn-mof-2020", "--candidate", "cn-hubei-2020")
    (form,) = view["forms"]
    assert form["base"] == {"total": Decimal("94.09"), "grade": "优"}
    assert form["candidate"] == {"total": Decimal("103.89"), "grade": None}  # 20 + 86 weights: above 100, no grade
    assert form["delta"] == Decimal("9.8")
    assert form["direction"] == "other"
    # exactly the totals `perfeval evaluate` gives under each rule set
    assert _total(str(SEED), "cn-mof-2020") == (Decimal("94.09"), "优")
    assert _total(str(SEED), "cn-hubei-2020") == (Decimal("103.89"), None)
    changes = [
        (
            i["index"],
            i["name"],
            i["base_score"],
            i["candidate_score"],
            i["delta"],
            i["base_policy"],
            i["candidate_policy"],
        )
        for i in form["indicators"]
    ]
    assert changes == [
        (0, "预算执行率", 10, 20, 10, "budget", "budget"),  # weight 10 → 20
        (48, "“两新”党组织覆盖情况", Decimal("1.2"), 1, Decimal("-0.2"), "tier", "tier"),  # band [0.6,0.8) → [0.5,0.8)
    ]
    assert form["indicators"][0]["base_weight"] == 10 and form["indicators"][0]["candidate_weight"] == 20
    assert [f[0] for f in form["appeared"]] == [
        "indicator-weights-not-80", "budget-score-mismatch",
        "grade-undefined", "grade-differs", "budget-weight-differs",
    ]  # fmt: skip
    assert form["disappeared"] == [["score-outside-band", "error", 48]]
    assert view["counts"] == {
        "inputs": 1, "forms": 1, "failed": 0, "total_changes": 1, "grade_changes": 1, "indicator_changes": 2,
    }  # fmt: skip
    assert view["directions"] == {"up": 0, "down": 0, "same": 0, "other": 1}
    assert view["transitions"] == [{"base": "优", "candidate": None, "forms": 1}]
    assert [b["forms"] for b in view["histogram"]] == [0, 0, 0, 0, 0, 0, 0, 1, 0]  # +9.80 in "5 ~ 10"
    assert view["policies"] == [
        {"base_policy": "budget", "candidate_policy": "budget", "indicators": 1, "delta": 10, "abs_delta": 10},
        {"base_policy": "tier", "candidate_policy": "tier", "indicators": 1, "delta": Decimal("-0.2"),
         "abs_delta": Decimal("0.2")},
    ]  # fmt: skip


def test_example_against_the_reported_scores() -> None:
    view = _json("compare", str(SEED), "--base", "reported", "--candidate", "cn-mof-2020")
    assert view["base"]["id"] == "reported"
    (form,) = view["forms"]
    assert (form["base"], form["candidate"], form["delta"]) == (
        {"total": 97, "grade": "优"},
        {"total": Decimal("94.09"), "grade": "优"},
        Decimal("-2.91"),
    )
    assert [(i["name"], i["base_score"], i["candidate_score"], i["base_policy"], i["candidate_policy"])
            for i in form["indicators"]] == [
        ("“两新”党建服务覆盖党员人数", 0, Decimal("0.89"), None, "proportional"),
        ("“两新”党组织覆盖情况", 1, Decimal("1.2"), None, "tier"),
    ]  # fmt: skip
    # the filed total (97) is not the sum of the filed scores: the rest of the −2.91 is the form's own inconsistency
    assert view["rules"] == [] and form["appeared"] == [] and form["disappeared"] == []
    assert view["directions"] == {"up": 0, "down": 0, "same": 1, "other": 0}


RULE_DIFF = [
    "title: 财政部项目支出绩效评价管理办法（2020）单位自评规则 → 湖北省项目支出绩效自评规则（2020）",
    "legal_basis: + 湖北省项目支出绩效自评表（2020）备注：“得分(20分*执行率)”；“定性指标……分别按照该指标对应分值区间"
    "100%-80%、80%-50%、50%-0%合理确定分值”",
    "legal_basis: + 湖北省预算绩效管理系统 部门自评填报说明："
    "“预算执行情况20分，产出指标40分、效益指标和满意度指标40分”",
    "legal_basis: − 财政部《中央部门项目支出核心绩效目标和指标设置及取值指引（试行）》（财预〔2021〕101号）",
    "budget.weight: 10 → 20",
    "budget.doc: 执行率 = 全年执行数 / 全年预算数（调整后预算数）；得分 = 执行率 × 分值，最高不超过分值。 → "
    "得分 = 20分 × 执行率（执行率 = 执行数 / 调整后预算数，最高按100%计）。",
    "tiers 2.label: 部分达成年度指标并具有一定效果 → 部分达成预期指标并具有一定效果",
    "tiers 2.band: [0.6, 0.8) → [0.5, 0.8)",
    "tiers 2.default: 0.6 → 0.5",
    "tiers 3.label: 未达成年度指标且效果较差 → 未达成预期指标且效果较差",
    "tiers 3.band: [0, 0.6) → [0, 0.5)",
    "checks indicator-weights-not-80: + severity: error; scope: form; assert: 指标分值合计 == 80; "
    "message: 绩效指标分值合计为 {指标分值合计}，湖北口径应为80（预算执行20分 + 绩效指标80分）",
]


def test_rule_set_diff_without_forms() -> None:
    view = _json("compare", "--base", "cn-mof-2020", "--candidate", "cn-hubei-2020")
    assert [r["line"] for r in view["rules"]] == RULE_DIFF
    assert view["forms"] == [] and view["counts"]["inputs"] == 0
    code, md, _ = _run("compare", "--base", "cn-mof-2020", "--candidate", "cn-hubei-2020")
    assert code == 0
    lines = md.splitlines()
    assert lines[0] == "# 规则版本比较: cn-mof-2020 → cn-hubei-2020"
    assert "## 规则差异 (12)" in lines
    assert "| budget | weight | 修改 | 10 | 20 |" in lines
    assert "| tiers | 2.band | 修改 | \\[0.6, 0.8) | \\[0.5, 0.8) |" in lines
    assert "## 逐表比较 (0)" not in lines  # no forms: only the rules
    # the reverse direction mirrors every change
    back = _json("compare", "--base", "cn-hubei-2020", "--candidate", "cn-mof-2020")
    assert [(r["section"], r["item"], r["field"]) for r in back["rules"]][4:] == [
        (r["section"], r["item"], r["field"]) for r in view["rules"]
    ][4:]
    assert back["rules"][-1]["change"] == "removed"


def test_rule_set_diff_of_policies_order_and_vocabulary(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(
        "id: child\ntitle: t\nversion: '1'\nextends: cn-mof-2020\n"
        "policies:\n  - {id: met, when: met, score: 分值 * 0.9}\n"
        "vocabulary:\n  completion: [已完成, 完成, 全部完成, 已全部完成, 是, 已落实, 已达标]\n",
        encoding="utf-8",
    )
    lines = [r["line"] for r in _json("compare", "--base", "cn-mof-2020", "--candidate", str(child))["rules"]]
    assert "policies met.score: 分值 → 分值 * 0.9" in lines
    assert "vocabulary completion: + 已达标" in lines
    assert "vocabulary completion: − 已实现" in lines


def test_portfolio_comparison_counts(tmp_path: Path) -> None:
    inputs = build(tmp_path / "in")
    code, out, err = _run(
        "compare", str(inputs), "--base", "cn-mof-2020", "--candidate", "cn-hubei-2020", "--format", "json"
    )
    assert code == 1  # the broken CSV is listed, the rest compared
    assert err.startswith(f"perfeval: {inputs / 'd-broken.csv'}:2:6 (B2): 分值 is not a number")
    view = json.loads(out, parse_float=Decimal)
    assert [f["source"] for f in view["failed"]] == [str(inputs / "d-broken.csv")]
    assert [(f["name"], f["base"]["total"], f["candidate"]["total"], f["direction"]) for f in view["forms"]] == [
        ("a-original", Decimal("94.09"), Decimal("103.89"), "other"),
        ("b-low-actuals", Decimal("93.7"), Decimal("103.5"), "other"),
        ("c-half-spent", Decimal("89.09"), Decimal("93.89"), "up"),  # 良 → 优
        ("e-form", Decimal("94.09"), Decimal("103.89"), "other"),
    ]
    assert view["directions"] == {"up": 1, "down": 0, "same": 0, "other": 3}
    assert view["transitions"] == [
        {"base": "优", "candidate": None, "forms": 3},
        {"base": "良", "candidate": "优", "forms": 1},
    ]
    assert [b["forms"] for b in view["histogram"]] == [0, 0, 0, 0, 0, 0, 1, 3, 0]
    appeared = {f["code"]: (f["forms"], f["count"]) for f in view["appeared"]}
    assert appeared["indicator-weights-not-80"] == (4, 4)
    assert appeared["grade-undefined"] == (3, 3)
    disappeared = {f["code"]: (f["forms"], f["count"]) for f in view["disappeared"]}
    assert disappeared == {"score-outside-band": (4, 4), "budget-score-mismatch": (1, 1), "grade-differs": (1, 1)}


def test_compare_html_and_usage(tmp_path: Path) -> None:
    page = tmp_path / "cmp.html"
    args = ("compare", str(SEED), "--base", "cn-mof-2020", "--candidate", "cn-hubei-2020")
    assert _run(*args, "-o", str(page)) == (0, "", "")
    dom = parse(page.read_text(encoding="utf-8"))
    assert dom.find("h1").text == "cn-mof-2020 → cn-hubei-2020"
    assert dom.by_id("grade-changes").text == "1"
    assert len(dom.by_id("rules").find("tbody").find_all("tr")) == 12
    assert len(dom.by_id("distribution").find_all("svg")) == 1
    code, _, err = _run("compare", "--base", "reported", "--candidate", "cn-mof-2020")
    assert (code, err) == (2, "perfeval: --base reported compares the scores filed on forms: give FORM_OR_DIR [E006]\n")
    code, _, err = _run("compare", "--base", "cn-mof-2021", "--candidate", "cn-mof-2020")
    assert code == 2 and err.startswith("perfeval: no rule set 'cn-mof-2021'")


@pytest.mark.parametrize("fmt", ["html", "md", "json"])
def test_compare_is_deterministic(fmt: str, tmp_path: Path) -> None:
    inputs = build(tmp_path / "in")
    args = ("compare", str(inputs), "--base", "cn-mof-2020", "--candidate", "cn-sichuan-2020", "--format", fmt)
    assert _run(*args) == _run(*args) == _run(*args, "--jobs", "2")
