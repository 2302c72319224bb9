"""The evaluation result: exact keys of the JSON contract, determinism, traces, explain, rule tests via the CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from seed_form import seed_form

from perfeval_rules import _json, evaluate, load_ruleset
from perfeval_rules.cli import cli
from perfeval_rules.engine.explain import find_indicator, render_explanation
from perfeval_rules.errors import UsageError
from perfeval_rules.ruleset.testing import case_files, run

ROOT = Path(__file__).parents[1]

TOP_KEYS = [
    "form", "ruleset", "engine", "budget", "indicators", "totals", "total", "reported_total",
    "grade", "reported_grade", "findings", "summary", "import_notes",
]  # fmt: skip
FORM_KEYS = [
    "project", "department", "implementer", "year", "source", "sha256", "amount_unit", "goal_expected", "goal_achieved",
]  # fmt: skip
BUDGET_KEYS = [
    "initial_budget", "budget", "executed", "rate", "weight", "score", "reported_rate", "reported_score",
    "policy", "trace", "findings",
]  # fmt: skip
INDICATOR_KEYS = [
    "index", "level1", "level2", "name", "target_text", "actual_text", "target", "actual", "kind", "direction",
    "met", "tier", "weight", "score", "reported_score", "reason", "policy", "trace", "findings", "source",
]  # fmt: skip
FINDING_KEYS = ["code", "severity", "message", "indicator", "index", "cell"]
STEPS = {"target", "actual", "kind", "policy", "expression", "round", "tier", "check"}


def test_result_dict_has_exactly_the_contract_keys() -> None:
    d = evaluate(load_ruleset("cn-hubei-2020"), seed_form()).to_dict()
    assert list(d) == TOP_KEYS
    assert list(d["form"]) == FORM_KEYS
    assert d["ruleset"] == {
        "id": "cn-hubei-2020",
        "title": "湖北省项目支出绩效自评规则（2020）",
        "version": "2020.1",
        "sha256": load_ruleset("cn-hubei-2020").sha256,
        "lineage": ["cn-hubei-2020", "cn-mof-2020"],
    }
    assert d["engine"] == {"name": "perfeval-rules", "version": "0.1.0"}
    assert list(d["budget"]) == BUDGET_KEYS
    assert all(list(i) == INDICATOR_KEYS for i in d["indicators"])
    assert [i["index"] for i in d["indicators"]] == list(range(1, 57))
    assert all(list(f) == FINDING_KEYS for f in d["findings"])
    assert {s["step"] for i in d["indicators"] for s in i["trace"]} <= STEPS
    assert list(d["totals"]) == ["by_level1", "by_level2"]
    assert list(d["totals"]["by_level1"]) == ["产出指标", "效益指标", "满意度指标"]
    assert d["totals"]["by_level2"]["时效指标"] == {
        "level1": "产出指标",
        "weight": 11,
        "score": 10,
        "reported_score": 10,
    }
    assert d["import_notes"] == []


def test_findings_sorted_by_severity_then_index() -> None:
    d = evaluate(load_ruleset("cn-mof-2020"), seed_form()).to_dict()
    order = {"error": 0, "warning": 1, "info": 2}
    keys = [(order[f["severity"]], -1 if f["index"] is None else f["index"]) for f in d["findings"]]
    assert keys == sorted(keys)
    assert len(d["findings"]) == sum(d["summary"].values()) == 20


def test_evaluation_is_deterministic() -> None:
    first = _json.dumps(evaluate(load_ruleset("cn-mof-2020"), seed_form()).to_dict())
    second = _json.dumps(evaluate(load_ruleset("cn-mof-2020"), seed_form()).to_dict())
    assert first == second
    assert '"score": 0.89,' in first


def test_trace_of_a_proportional_score() -> None:
    ind = evaluate(load_ruleset("cn-mof-2020"), seed_form()).indicator("“两新”党建服务覆盖党员人数")
    steps = [(t.step, t.text) for t in ind.trace]
    assert [s for s, _ in steps] == ["target", "actual", "kind", "kind", "policy", "expression", "round", "check"]
    assert steps[0][1].startswith("≥3500.00(人) → comparison ≥ 3500 人")
    assert steps[6][1] == "0.8928571428571428571428571428571429 → 0.89 (2 places, half_up)"


def test_explain_finds_by_substring_and_lists_ambiguity() -> None:
    ev = evaluate(load_ruleset("cn-mof-2020"), seed_form())
    assert find_indicator(ev, "覆盖党员").name == "“两新”党建服务覆盖党员人数"
    text = render_explanation(find_indicator(ev, "覆盖党员"))
    assert text.splitlines()[:4] == [
        "9. “两新”党建服务覆盖党员人数 (row 22)",
        "  产出指标 / 数量指标",
        "  kind quantitative, direction positive, met 否, tier —",
        "  weight 1, score 0.89, reported 0, policy proportional",
    ]
    assert text.splitlines()[-1] == "    error score-mismatch: 自评得分 0 与按规则计算的得分 0.89 不符（容差 ±0.05）"
    with pytest.raises(UsageError, match=r"'满意度' matches 3 indicators: 54\. 党员满意度, 55\. 群众满意度"):
        find_indicator(ev, "满意度")
    with pytest.raises(UsageError, match=r"^no indicator named '党员满意率' \(did you mean '党员满意度'\?\) \[E006\]$"):
        find_indicator(ev, "党员满意率")


def test_perfeval_test_runs_the_bundled_cases() -> None:
    result = CliRunner().invoke(cli, ["test"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[-1] == "168 passed, 0 failed"
    assert "coverage cn-mof-2020: every policy, tier, grade and check exercised" in lines
    assert "coverage cn-hubei-2020: every policy, tier, grade and check exercised" in lines


def test_perfeval_test_shows_what_a_changed_band_breaks(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    (rules / "tests").mkdir(parents=True)
    text = (ROOT / "rules" / "cn-mof-2020.yaml").read_text(encoding="utf-8")
    text = text.replace("id: cn-mof-2020", "id: my-rules").replace(
        "{id: 1, label: 达成年度指标, low: 0.8,", "{id: 1, label: 达成年度指标, low: 0.85,"
    )
    (rules / "my-rules.yaml").write_text(text, encoding="utf-8")
    cases = (ROOT / "rules" / "tests" / "cn-mof-2020.yaml").read_text(encoding="utf-8")
    (rules / "tests" / "my-rules.yaml").write_text(cases.replace("ruleset: cn-mof-2020", "ruleset: ../my-rules.yaml"))
    result = CliRunner().invoke(cli, ["validate", str(rules / "my-rules.yaml")])
    assert result.exit_code == 2
    assert "tier bands leave a gap between [0.6, 0.8) and [0.85, 1]" in result.stderr
    (rules / "my-rules.yaml").write_text(
        text.replace("low: 0.6, high: 0.8, low_inclusive: true", "low: 0.6, high: 0.85, low_inclusive: true"),
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["test", str(rules)])
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "52 passed, 3 failed"
    assert (
        f"FAIL {rules / 'tests' / 'my-rules.yaml'}:67 tier 1 at exactly 80 % is inside the band\n"
        "    score: expected 1.6, got 1.7"
    ) in result.stdout


def test_case_files_for_a_rule_set_file(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "rules", tmp_path / "rules")
    assert case_files(tmp_path / "rules" / "cn-hubei-2020.yaml") == [
        tmp_path / "rules" / "tests" / "cn-hubei-2020.yaml"
    ]
    report = run(case_files(tmp_path / "rules"), rules="cn-mof-2020")
    assert report.failed > 0  # Hubei's cases fail under the national bands: the --rules switch is honoured


def test_a_mistyped_case_key_is_located(tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(
        "ruleset: cn-mof-2020\ncases:\n  - name: x\n    indicator: {target: '≥1', actual: '1', wieght: 1}\n"
        "    expect: {score: 1}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["test", str(cases)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"perfeval: {cases}:4:44: unknown key 'wieght' (did you mean 'weight'?) [E003]\n"
        "        indicator: {target: '≥1', actual: '1', wieght: 1}\n"
        "                                               ^\n"
    )
