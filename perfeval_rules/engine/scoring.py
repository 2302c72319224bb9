"""Evaluate a form under a rule set: a pure, deterministic function over exact Decimals.

What the engine decides itself (the rule set decides the rest through its expressions):
- the kind of an indicator from its parsed target, and whether target and actual can be compared;
- `met`: B ≥ A for positive indicators, B ≤ A for reverse ones, low ≤ B ≤ high for ranges, tier 1;
- a qualitative tier from the actual: an outcome phrase gives its tier; a completion word, an echo of
  the target word, a trend in the target's direction or a date on time gives tier 1; a late date tier 3;
- an indicator that cannot be scored (target or actual missing, unreadable or not comparable) gets a
  null score, counted as 0 in every total, and the rule set's checks report why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

from .. import __version__, _json
from ..errors import PerfevalError
from ..forms.model import Form, FundsRow, Indicator
from ..notation.values import (
    Comparison,
    Completion,
    Date,
    Deadline,
    Notation,
    Outcome,
    Qualitative,
    Quantity,
    Range,
    Trend,
)
from ..ruleset._compile import scaled
from ..ruleset.model import Check, RuleSet
from ..ruleset.variables import SCOPES
from .model import SEVERITIES, BudgetResult, Evaluation, Finding, IndicatorResult, Subtotal, TraceStep

Env = dict[str, Any]
_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")
_ALIASES: dict[str, dict[str, str]] = {
    scope: {alias: v.name for v in specs for alias in (v.name, *v.aliases)} for scope, specs in SCOPES.items()
}
_PARSED: dict[tuple[str, str, str], Notation] = {}
_PARSED_MAX = 20_000


def evaluate(ruleset: RuleSet, form: Form) -> Evaluation:
    """Score every indicator and the budget of `form` under `ruleset`, and run the rule set's checks."""
    budget = _budget(ruleset, form)
    indicators = tuple(_indicator(ruleset, n, ind) for n, ind in enumerate(form.indicators, start=1))
    by1, by2 = _subtotals(indicators)
    rounding = ruleset.rounding
    total = rounding.apply((budget.score or Decimal(0)) + sum((i.score or Decimal(0) for i in indicators), Decimal(0)))
    grade = ruleset.grade_of(total)
    form_findings = _form_checks(ruleset, form, budget, indicators, total, grade)
    everything = [*form_findings, *budget.findings, *(f for i in indicators for f in i.findings)]
    order = {s: n for n, s in enumerate(SEVERITIES)}
    everything.sort(key=lambda f: (order[f.severity], -1 if f.index is None else f.index))
    return Evaluation(form, ruleset, __version__, budget, indicators, by1, by2, total, grade, tuple(everything))


# --- values and expressions -------------------------------------------------------------------------


def _is_undefined(value: Any) -> bool:
    from ..expr import Undefined

    return isinstance(value, Undefined)


def _run(expression: Any, env: Env) -> Any:
    """The expression's value; a located runtime error becomes an undefined value with its reason."""
    try:
        return expression.evaluate(env)
    except PerfevalError as exc:
        from ..expr import Undefined

        return Undefined(exc.message)


def _reason(value: Any) -> str:
    return str(getattr(value, "reason", value))


def fmt(value: Any) -> str:
    """A value as it reads in a message: exact digits, 是/否, — for nothing."""
    if value is None or _is_undefined(value):
        return "—"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return _json.number(value)
    return str(value)


def _message(template: str, env: Env, scope: str) -> str:
    names = _ALIASES[scope]
    return _PLACEHOLDER.sub(lambda m: fmt(env.get(names[m.group(1)])) if m.group(1) in names else m.group(0), template)


def _check_findings(
    checks: tuple[Check, ...], scope: str, env: Env, where: Callable[[str, str, str], Finding], trace: list[TraceStep]
) -> list[Finding]:
    out: list[Finding] = []
    for check in checks:
        if check.scope != scope.split("-")[0]:
            continue
        if check.when is not None:
            applies = _run(check.when, env)
            if _is_undefined(applies):
                out.append(
                    where("expression-undefined", "warning", f"检查 {check.id} 的条件无法计算：{_reason(applies)}")
                )
                continue
            if applies is not True:
                continue
        ok = _run(check.assertion, env)
        if _is_undefined(ok):
            out.append(where("expression-undefined", "warning", f"检查 {check.id} 无法计算：{_reason(ok)}"))
        elif ok is not True:
            message = _message(check.message, env, scope)
            out.append(where(check.id, check.severity, message))
            trace.append(TraceStep("check", f"{check.id} ({check.severity}): {message}"))
    return out


# --- parsing ----------------------------------------------------------------------------------------


def _parse(ruleset: RuleSet, text: str, as_: str) -> Notation:
    key = (ruleset.sha256, as_, text)
    hit = _PARSED.get(key)
    if hit is None:
        from ..notation import parse_actual, parse_target

        parser = parse_target if as_ == "target" else parse_actual
        hit = parser(text, ruleset.vocabulary)
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[key] = hit
    return hit


def describe(value: Notation) -> str:
    """A parsed value in one line: 'comparison ≥ 3500 人'."""
    d = value.to_dict()
    kind = d.pop("kind")
    if isinstance(value, Comparison | Quantity):
        op = d.get("op") or ""
        unit = f" {value.unit}" if value.unit else ""
        extra = " (implied operator)" if isinstance(value, Comparison) and value.implied_op else ""
        return f"{kind} {op}{' ' if op else ''}{fmt(value.value)}{unit}{extra}"
    parts = [f"{k}={fmt(v) if not isinstance(v, str) else v}" for k, v in d.items()]
    return " ".join([kind, *parts])


# --- indicators -------------------------------------------------------------------------------------

_TARGET_KIND = {
    "comparison": "quantitative",
    "range": "quantitative",
    "quantity": "quantitative",
    "qualitative": "qualitative",
    "outcome": "qualitative",
    "completion": "qualitative",
    "deadline": "deadline",
    "date": "deadline",
    "trend": "trend",
    "missing": "missing",
    "unparsed": "unparsed",
}


class _Facts:
    """What the engine reads from a target and actual before the rule set's expressions run."""

    def __init__(self) -> None:
        self.scorable = False
        self.tier: int | None = None
        self.met: bool | None = None
        self.target: Decimal | None = None
        self.actual: Decimal | None = None
        self.op = ""
        self.implied_op = False
        self.unit = ""
        self.bound = False
        self.word = False
        self.unit_mismatch = False
        self.range: Range | None = None
        self.notes: list[TraceStep] = []


def _convert(value: Decimal, unit: str | None, to: str | None, ruleset: RuleSet) -> tuple[Decimal, bool]:
    """`value` in `unit` expressed in `to`; the flag is False when the units cannot be reconciled."""
    if not unit or not to or unit == to:
        return value, True
    conversions: Mapping[str, Any] = ruleset.vocabulary_data.get("unit_conversions", {})

    def base(u: str) -> tuple[str, Decimal]:
        c = conversions.get(u)
        return (str(c["to"]), Decimal(c["factor"])) if c else (u, Decimal(1))

    (b1, f1), (b2, f2) = base(unit), base(to)
    if b1 != b2:
        return value, False
    return value * f1 / f2, True


def _quantitative(target: Notation, actual: Notation, ruleset: RuleSet, f: _Facts) -> None:
    t_unit: str | None = None
    if isinstance(target, Comparison):
        f.target, f.op, f.implied_op, t_unit = target.value, target.op, target.implied_op, target.unit
    elif isinstance(target, Quantity):
        f.target, f.op, f.implied_op, t_unit = target.value, target.op or "=", target.op is None, target.unit
    elif isinstance(target, Range):
        f.range, t_unit = target, target.unit
    f.unit = t_unit or ""
    if isinstance(actual, Quantity | Comparison):
        value, ok = _convert(actual.value, actual.unit, t_unit, ruleset)
        f.actual, f.unit_mismatch = value, not ok
        f.bound = actual.op is not None
        f.scorable = True
        if value != actual.value:
            f.notes.append(TraceStep("actual", f"{fmt(actual.value)} {actual.unit} = {fmt(value)} {t_unit}"))
    elif isinstance(actual, Outcome):
        f.scorable, f.word, f.tier = True, True, actual.tier
    elif isinstance(actual, Completion):
        f.scorable, f.word, f.met = True, True, True


def _qualitative(target: Notation, actual: Notation, f: _Facts, ruleset: RuleSet) -> None:
    if isinstance(actual, Outcome):
        f.tier = actual.tier
    elif (
        isinstance(actual, Completion)
        or (isinstance(actual, Qualitative) and actual.text and actual.text == getattr(target, "text", None))
        or (isinstance(actual, Trend) and isinstance(target, Trend) and actual.direction == target.direction)
        or (isinstance(actual, Deadline) and isinstance(target, Deadline) and actual.timely and target.timely)
    ):
        f.tier = 1
    elif isinstance(actual, Date) and isinstance(target, Deadline | Date):
        f.tier = 1 if _on_time(actual, target) else 3
    elif isinstance(actual, Qualitative) and isinstance(target, Trend):
        # An actual that only names the trend (提高) reads as words; as a target it is the trend itself.
        as_trend = _parse(ruleset, actual.text, "target")
        if isinstance(as_trend, Trend) and as_trend.direction == target.direction:
            f.tier = 1
    f.scorable = f.tier is not None


def _on_time(actual: Date, target: Deadline | Date) -> bool:
    if isinstance(target, Deadline) and target.timely and target.month is None:
        return True
    t_key = (target.year or actual.year or 0, target.month or 12, target.day or 31)
    a_key = (actual.year or target.year or 0, actual.month or 12, actual.day or 1)
    return a_key <= t_key


def _indicator(ruleset: RuleSet, index: int, ind: Indicator) -> IndicatorResult:
    target = _parse(ruleset, ind.target_text, "target")
    actual = _parse(ruleset, ind.actual_text, "actual")
    kind = _TARGET_KIND.get(target.kind, "unparsed")
    trace = [
        TraceStep("target", f"{ind.target_text} → {describe(target)}"),
        TraceStep("actual", f"{ind.actual_text} → {describe(actual)}"),
    ]
    f = _Facts()
    if kind == "quantitative":
        _quantitative(target, actual, ruleset, f)
    elif kind in ("qualitative", "deadline", "trend"):
        _qualitative(target, actual, f, ruleset)
    trace += f.notes
    env: Env = {
        "level1": ind.level1,
        "level2": ind.level2,
        "name": ind.name,
        "target_text": ind.target_text,
        "actual_text": ind.actual_text,
        "kind": kind,
        "target_kind": target.kind,
        "actual_kind": actual.kind,
        "op": f.op,
        "implied_op": f.implied_op,
        "unit": f.unit,
        "direction": "",
        "weight": ind.weight,
        "has_weight": ind.weight is not None,
        "target": f.target,
        "actual": f.actual,
        "ratio": None,
        "met": False,
        "tier": None,
        "tier_band": "",
        "tiered": False,
        "scorable": f.scorable,
        "actual_bound": f.bound,
        "actual_word": f.word,
        "unit_mismatch": f.unit_mismatch,
        "reported_score": ind.reported_score,
        "has_reported": ind.reported_score is not None,
        "reason": ind.reason,
        "has_reason": bool(ind.reason.strip()),
        "over_factor": ruleset.over_achievement,
        "score_tolerance": ruleset.score_tolerance,
        "rate_tolerance": ruleset.rate_tolerance / 100,
    }
    source = None
    if ind.provenance is not None:
        source = ind.provenance.cell or (f"row {ind.provenance.row}" if ind.provenance.row is not None else None)
    findings: list[Finding] = []

    def at(code: str, severity: str, message: str) -> Finding:
        return Finding(code, severity, message, ind.name, index, source)

    direction = _direction(ruleset, env, f, trace, findings, at) if kind == "quantitative" else None
    env["direction"] = direction or ""
    met = f.met
    if f.scorable and f.tier is None and f.actual is not None:
        met = _met_numeric(f, direction, env)
    if f.tier is not None:
        met = f.tier == 1
        env["tiered"], env["tier"] = True, Decimal(f.tier)
        tier = ruleset.tier(f.tier)
        if tier is not None:
            band = tier.band.describe(suffix="")
            points = scaled(tier.band, ind.weight).describe() if ind.weight is not None else band
            env["tier_band"] = points
            trace.append(TraceStep("tier", f"第{f.tier}档 {tier.label}: {band} × 分值 = {points}"))
    env["met"] = bool(met)
    if env["target"] is not None and env["actual"] is not None and env["target"] != 0:
        env["ratio"] = env["actual"] / env["target"]
    trace.append(TraceStep("kind", f"{kind}" + (f", {direction}" if direction else "") + f", met={fmt(met)}"))
    policy, score = _score(ruleset, env, trace, findings, at)
    env["score"], env["has_score"], env["policy"] = score, score is not None, policy or ""
    findings += _check_findings(ruleset.checks, "indicator-check", env, at, trace)
    return IndicatorResult(
        index=index,
        level1=ind.level1,
        level2=ind.level2,
        name=ind.name,
        target_text=ind.target_text,
        actual_text=ind.actual_text,
        target=target,
        actual=actual,
        kind=kind,
        direction=direction,
        met=met if f.scorable else None,
        tier=f.tier,
        weight=ind.weight,
        score=score,
        reported_score=ind.reported_score,
        reason=ind.reason,
        policy=policy,
        trace=tuple(trace),
        findings=tuple(findings),
        source=source,
    )


def _direction(
    ruleset: RuleSet, env: Env, f: _Facts, trace: list[TraceStep], findings: list[Finding], at: Any
) -> str | None:
    if f.range is not None:
        r = f.range
        above = f.actual is not None and f.actual > r.high
        f.target = r.high if above else r.low
        env["target"] = f.target
        trace.append(TraceStep("kind", f"range [{fmt(r.low)}, {fmt(r.high)}]: measured against {fmt(f.target)}"))
        return "reverse" if above else "positive"
    for rule in ruleset.direction:
        value = _run(rule.when, env)
        if _is_undefined(value):
            findings.append(at("expression-undefined", "warning", f"方向规则 {rule.id} 无法计算：{_reason(value)}"))
        elif value is True:
            trace.append(TraceStep("kind", f"direction {rule.direction} (rule {rule.id})"))
            return rule.direction
    return None


def _met_numeric(f: _Facts, direction: str | None, env: Env) -> bool:
    assert f.actual is not None
    if f.range is not None:
        return f.range.low <= f.actual <= f.range.high
    if f.target is None:
        return False
    return f.actual <= f.target if direction == "reverse" else f.actual >= f.target


def _score(
    ruleset: RuleSet, env: Env, trace: list[TraceStep], findings: list[Finding], at: Any
) -> tuple[str | None, Decimal | None]:
    for policy in ruleset.policies:
        applies = _run(policy.when, env)
        if _is_undefined(applies):
            findings.append(
                at("expression-undefined", "warning", f"评分规则 {policy.id} 的条件无法计算：{_reason(applies)}")
            )
            continue
        if applies is not True:
            continue
        trace.append(TraceStep("policy", f"{policy.id}" + (f": {policy.doc}" if policy.doc else "")))
        if policy.score is None:
            trace.append(TraceStep("expression", "no score (counted as 0 in the total)"))
            return policy.id, None
        trace.append(TraceStep("expression", f"{policy.score.text} = {policy.score.explain(env)}"))
        value = _run(policy.score, env)
        if not isinstance(value, Decimal | int) or isinstance(value, bool):
            reason = _reason(value) if _is_undefined(value) else f"结果不是数值（{fmt(value)}）"
            findings.append(at("score-undefined", "error", f"评分规则 {policy.id} 无法计算得分：{reason}（不计分）"))
            return policy.id, None
        rounded = ruleset.rounding.apply(Decimal(value))
        trace.append(
            TraceStep(
                "round",
                f"{fmt(Decimal(value))} → {fmt(rounded)} ({ruleset.rounding.places} places, {ruleset.rounding.mode})",
            )
        )
        return policy.id, rounded
    findings.append(at("no-policy", "error", "没有适用的评分规则（不计分）"))
    return None, None


# --- budget -----------------------------------------------------------------------------------------


def _budget(ruleset: RuleSet, form: Form) -> BudgetResult:
    from ..expr import Undefined

    row: FundsRow | None = form.funds_total
    initial = row.initial_budget if row else None
    budget = row.budget if row else None
    executed = row.executed if row else None
    rate: Any
    if budget is None or executed is None:
        rate = Undefined("全年预算数或全年执行数缺失")
    elif budget == 0:
        rate = Undefined("全年预算数为0")
    else:
        rate = executed / budget
    reported_rate = row.rate if row else None
    reported = row.score if row else None
    env: Env = {
        "initial_budget": initial,
        "budget": budget,
        "executed": executed,
        "rate": rate,
        "weight": ruleset.budget.weight,
        "reported_weight": row.weight if row else None,
        "has_reported_weight": row is not None and row.weight is not None,
        "reported_rate": reported_rate / 100 if reported_rate is not None else None,
        "has_reported_rate": reported_rate is not None,
        "reported_score": reported,
        "has_reported": reported is not None,
        "has_budget": budget is not None and executed is not None,
        "score_tolerance": ruleset.score_tolerance,
        "rate_tolerance": ruleset.rate_tolerance / 100,
    }
    cell = None
    if row is not None and row.provenance is not None:
        p = row.provenance
        cell = p.cell or (f"row {p.row}" if p.row is not None else None)
    trace: list[TraceStep] = []
    findings: list[Finding] = []

    def at(code: str, severity: str, message: str) -> Finding:
        return Finding(code, severity, message, None, None, cell)

    rate_pct = None if _is_undefined(rate) else ruleset.rounding.apply(rate * 100)
    trace.append(TraceStep("actual", f"执行率 = {fmt(executed)} / {fmt(budget)} = {fmt(rate_pct)}%"))
    trace.append(TraceStep("policy", "budget" + (f": {ruleset.budget.doc}" if ruleset.budget.doc else "")))
    trace.append(TraceStep("expression", f"{ruleset.budget.score.text} = {ruleset.budget.score.explain(env)}"))
    value = _run(ruleset.budget.score, env)
    score: Decimal | None = None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        score = ruleset.rounding.apply(Decimal(value))
        trace.append(TraceStep("round", f"{fmt(Decimal(value))} → {fmt(score)}"))
    else:
        reason = _reason(value) if _is_undefined(value) else f"结果不是数值（{fmt(value)}）"
        findings.append(at("score-undefined", "error", f"预算执行率得分无法计算：{reason}（不计分）"))
    env["score"], env["has_score"] = score, score is not None
    findings += _check_findings(ruleset.checks, "budget-check", env, at, trace)
    return BudgetResult(
        initial_budget=initial,
        budget=budget,
        executed=executed,
        rate=rate_pct,
        weight=ruleset.budget.weight,
        score=score,
        reported_rate=reported_rate,
        reported_score=reported,
        policy="budget",
        trace=tuple(trace),
        findings=tuple(findings),
    )


# --- form -------------------------------------------------------------------------------------------


def _subtotals(
    indicators: tuple[IndicatorResult, ...],
) -> tuple[tuple[tuple[str, Subtotal], ...], tuple[tuple[str, Subtotal], ...]]:
    def group(key: Callable[[IndicatorResult], str], with_level1: bool) -> tuple[tuple[str, Subtotal], ...]:
        names: list[str] = []
        for i in indicators:
            if key(i) not in names:
                names.append(key(i))
        out = []
        for name in names:
            members = [i for i in indicators if key(i) == name]
            reported = [i.reported_score for i in members if i.reported_score is not None]
            out.append(
                (
                    name,
                    Subtotal(
                        members[0].level1 if with_level1 else None,
                        sum((i.weight or Decimal(0) for i in members), Decimal(0)),
                        sum((i.score or Decimal(0) for i in members), Decimal(0)),
                        sum(reported, Decimal(0)) if reported else None,
                    ),
                )
            )
        return tuple(out)

    return group(lambda i: i.level1, False), group(lambda i: i.level2, True)


_COLUMNS = (("initial_budget", "年初预算数"), ("budget", "全年预算数"), ("executed", "全年执行数"))


def _funds_gap(form: Form) -> tuple[Decimal, str]:
    gap, column = Decimal(0), ""
    if len(form.funds) < 2:
        return gap, column
    total, parts = form.funds[0], form.funds[1:]
    for attr, label in _COLUMNS:
        value = getattr(total, attr)
        values = [getattr(p, attr) for p in parts if getattr(p, attr) is not None]
        if value is None or not values:
            continue
        diff = abs(value - sum(values, Decimal(0)))
        if diff > gap:
            gap, column = diff, label
    return gap, column


def _form_checks(
    ruleset: RuleSet,
    form: Form,
    budget: BudgetResult,
    indicators: tuple[IndicatorResult, ...],
    total: Decimal,
    grade: str | None,
) -> list[Finding]:
    reported = [i.reported_score for i in indicators if i.reported_score is not None]
    weights = sum((i.weight for i in indicators if i.weight is not None), Decimal(0))
    gap, column = _funds_gap(form)
    reported_total_grade = ruleset.grade_of(form.reported_total) if form.reported_total is not None else None
    env: Env = {
        "total": total,
        "reported_total": form.reported_total,
        "has_reported_total": form.reported_total is not None,
        "reported_sum": (budget.reported_score or Decimal(0)) + sum(reported, Decimal(0)),
        "grade": grade or "",
        "reported_grade": form.reported_grade or "",
        "has_reported_grade": bool(form.reported_grade),
        "reported_total_grade": reported_total_grade or "",
        "weight_sum": ruleset.budget.weight + weights,
        "indicator_weight_sum": weights,
        "budget_weight": ruleset.budget.weight,
        "has_funds_parts": len(form.funds) > 1,
        "funds_gap": gap,
        "funds_gap_column": column,
        "score_tolerance": ruleset.score_tolerance,
        "rate_tolerance": ruleset.rate_tolerance / 100,
    }

    def at(code: str, severity: str, message: str) -> Finding:
        return Finding(code, severity, message)

    findings: list[Finding] = []
    if grade is None:
        findings.append(at("grade-undefined", "warning", f"总分 {fmt(total)} 不在任何等级区间内"))
    findings += _check_findings(ruleset.checks, "form-check", env, at, [])
    return findings
