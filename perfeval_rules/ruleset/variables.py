"""The variables rule-set expressions may use, per scope, with their Chinese names.

This table is the single source: the compiler's scopes, the engine's environments and the guide in
`docs/rules.md` all follow it. Numbers are Decimal; a value the form does not give is None.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class VarSpec:
    """One variable: canonical English name, type ('number', 'text', 'bool'), Chinese aliases, meaning."""

    name: str
    type: str
    aliases: tuple[str, ...]
    doc: str


def _v(name: str, type_: str, aliases: str, doc: str) -> VarSpec:
    return VarSpec(name, type_, tuple(aliases.split()), doc)


_COMMON = (
    _v("score_tolerance", "number", "得分容差", "accepted difference between reported and computed scores"),
    _v(
        "rate_tolerance",
        "number",
        "执行率容差",
        "accepted difference of execution rates (a fraction: 0.0001 = 0.01 点)",
    ),
)

INDICATOR = (
    _v("level1", "text", "一级指标", "一级指标 as filed"),
    _v("level2", "text", "二级指标", "二级指标 as filed"),
    _v("name", "text", "三级指标 指标名称", "the indicator's name"),
    _v("target_text", "text", "指标值文本", "年度指标值 as filed"),
    _v("actual_text", "text", "完成值文本", "实际完成值 as filed"),
    _v("kind", "text", "指标类型", "quantitative, qualitative, deadline, trend, unparsed or missing"),
    _v("target_kind", "text", "指标值类型", "kind of the parsed target (comparison, range, qualitative …)"),
    _v("actual_kind", "text", "完成值类型", "kind of the parsed actual (quantity, outcome, completion …)"),
    _v("op", "text", "运算符", "the target's operator (= ≥ > ≤ <), '' when none"),
    _v("implied_op", "bool", "隐含运算符", "true when the target wrote no operator (12个月)"),
    _v("unit", "text", "单位", "the target's unit, '' when none"),
    _v("direction", "text", "方向", "positive or reverse (from the `direction` rules); '' when not quantitative"),
    _v("weight", "number", "分值", "分值 (weight)"),
    _v("has_weight", "bool", "有分值", "true when the row has a weight"),
    _v("target", "number", "指标值", "the target number A (for a range, the bound the actual is measured against)"),
    _v("actual", "number", "完成值", "the actual number B, converted to the target's unit"),
    _v("ratio", "number", "完成比例", "B / A, None when either is missing or A is 0"),
    _v("met", "bool", "达成", "the target is met (B ≥ A positive, B ≤ A reverse, inside a range, tier 1)"),
    _v("tier", "number", "档次", "the qualitative tier used (1 best), None when not scored by tier"),
    _v("tier_band", "text", "档次区间", "the tier's band in points for this weight, e.g. [1.2, 1.6)"),
    _v("tiered", "bool", "按档评分", "true when the indicator is scored by qualitative tier"),
    _v("scorable", "bool", "可评分", "true when target and actual could be read and compared"),
    _v("actual_bound", "bool", "完成值为界", "true when the actual repeats a bound (≥90.00%) instead of a number"),
    _v(
        "actual_word", "bool", "完成值为文字", "true when a quantitative actual is a word (完成, 达成指标) not a number"
    ),
    _v("unit_mismatch", "bool", "单位不符", "true when the actual's unit cannot be converted to the target's"),
    _v("reported_score", "number", "得分 自评得分", "得分 as filed"),
    _v("has_reported", "bool", "有得分", "true when the form gives a score"),
    _v("reason", "text", "偏差原因", "偏差原因分析 as filed"),
    _v("has_reason", "bool", "有原因", "true when a deviation reason is given"),
    _v("over_factor", "number", "超额系数", "the rule set's over_achievement factor (1.2)"),
    *_COMMON,
)

INDICATOR_RESULT = (
    _v("score", "number", "计算得分", "the computed score (checks only)"),
    _v("has_score", "bool", "有计算得分", "true when a score was computed (checks only)"),
    _v("policy", "text", "评分规则", "id of the policy that gave the score (checks only)"),
)

BUDGET = (
    _v("initial_budget", "number", "年初预算数", "年初预算数 of the total row"),
    _v("budget", "number", "全年预算数", "全年预算数 of the total row (the rate's denominator)"),
    _v("executed", "number", "全年执行数", "全年执行数 of the total row"),
    _v("rate", "number", "执行率", "executed / budget as a fraction (1 = 100 %)"),
    _v("weight", "number", "分值", "the budget weight of the rule set"),
    _v("reported_weight", "number", "填报分值", "分值 of the total row as filed"),
    _v("has_reported_weight", "bool", "有填报分值", "true when the form gives the budget weight"),
    _v("reported_rate", "number", "自评执行率", "执行率 as filed, as a fraction"),
    _v("has_reported_rate", "bool", "有自评执行率", "true when the form gives a rate"),
    _v("reported_score", "number", "得分 自评得分", "得分 of the total row as filed"),
    _v("has_reported", "bool", "有得分", "true when the form gives a budget score"),
    _v("has_budget", "bool", "有预算", "true when 全年预算数 and 全年执行数 are given"),
    *_COMMON,
)

BUDGET_RESULT = (
    _v("score", "number", "计算得分", "the computed budget score (checks only)"),
    _v("has_score", "bool", "有计算得分", "true when a budget score was computed (checks only)"),
)

FORM = (
    _v("total", "number", "总分", "the computed total (budget score + indicator scores)"),
    _v("reported_total", "number", "自评总分", "总分 as filed"),
    _v("has_reported_total", "bool", "有自评总分", "true when the form gives a total"),
    _v("reported_sum", "number", "自评得分合计", "budget 得分 + the indicators' 得分 as filed"),
    _v("grade", "text", "等级", "the grade of the computed total"),
    _v("reported_grade", "text", "自评等级", "评分等级 as filed, '' when none"),
    _v("has_reported_grade", "bool", "有自评等级", "true when the form gives a grade"),
    _v("reported_total_grade", "text", "自评总分等级", "the grade the filed total deserves"),
    _v("weight_sum", "number", "分值合计", "budget weight + the indicators' weights"),
    _v("indicator_weight_sum", "number", "指标分值合计", "the indicators' weights"),
    _v("budget_weight", "number", "预算分值", "the budget weight of the rule set"),
    _v("has_funds_parts", "bool", "有资金明细", "true when the funds block has rows below the total"),
    _v("funds_gap", "number", "资金差额", "largest difference between the total row and the sum of the rows below it"),
    _v("funds_gap_column", "text", "资金差额列", "the column with that difference"),
    *_COMMON,
)

SCOPES: dict[str, tuple[VarSpec, ...]] = {
    "indicator": INDICATOR,
    "indicator-check": INDICATOR + INDICATOR_RESULT,
    "budget": BUDGET,
    "budget-check": BUDGET + BUDGET_RESULT,
    "form-check": FORM,
}
