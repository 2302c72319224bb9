"""Evaluate a form under a rule set: a pure, deterministic function over exact Decimals.

What the engine decides itself (the rule set decides the rest through its expressions):
- the kind of an indicator from its parsed target, and whether target and actual can be compared;
- `met`: B ≥ A for positive indicators, B ≤ A for reverse ones, low ≤ B ≤ high for ranges, tier 1;
- a qualitative tier from the actual: an outcome phrase gives its tier; a completion word, an echo of
  the target word, a trend in the target's direction or a date on time gives tier 1; a late date tier 3;
- an indicator that cannot be scored (target or actual missing, unreadable or not comparable) gets a
  null score, counted as 0 in every total, and the rule set's checks report why.

Speed (a portfolio holds the same target and actual strings thousands of times): each rule set gets a
`_Plan` once, holding its checks per scope and memos of parsed texts, of what a target/actual pair
means, and of whole indicator outcomes keyed by exactly the inputs the rule set's expressions and
messages read. Every memo is bounded and holds only values computed from its key, so a hit gives the
same result a fresh computation would.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal, getcontext
from operator import attrgetter, itemgetter
from typing import Any

from .. import __version__, _json
from .._decimal import quantize
from ..errors import PerfevalError
from ..expr._types import Undefined
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
from ..ruleset.model import ROUNDING_MODES, Check, RuleSet
from ..ruleset.variables import SCOPES
from .model import (
    SEVERITIES,
    BudgetResult,
    Evaluation,
    Finding,
    IndicatorResult,
    IndicatorResults,
    Subtotal,
    TraceStep,
    finding,
    make_budget_result,
    make_evaluation,
    make_subtotal,
    source_of,
)

_new = object.__new__
_set = object.__setattr__
_RESULT_FIELDS = tuple(f.name for f in dataclasses.fields(IndicatorResult))

Env = dict[str, Any]
Trace = list[TraceStep] | None  # None: tracing is off and no trace text is built
Found = tuple[str, str, str]  # a finding before it is placed: code, severity, message

_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")
_ALIASES: dict[str, dict[str, str]] = {
    scope: {alias: v.name for v in specs for alias in (v.name, *v.aliases)} for scope, specs in SCOPES.items()
}
_ORDER = {s: n for n, s in enumerate(SEVERITIES)}
_ZERO = Decimal(0)
# Indicator variables that come from the row itself rather than from its target/actual pair or the rule set.
_ROW_FIELDS = ("level1", "level2", "name", "reason")
_MEMO_MAX = 20_000  # parsed texts and target/actual pairs: small entries
# Row outcomes: without traces a few hundred bytes each, with traces a few KiB, so that memory stays
# flat on long batches (about 16 MiB at most either way).
_ROWS_MAX = {False: 32_768, True: 4_096}
_PLANS_MAX = 16
_START = object()  # before the first run of rows


def evaluate(ruleset: RuleSet, form: Form, *, trace: bool = True) -> Evaluation:
    """Score every indicator and the budget of `form` under `ruleset`, and run the rule set's checks.

    With `trace=False` every trace is empty and no trace text is built; everything else is identical.
    """
    plan = _plan(ruleset)
    budget = _budget(plan, form, trace)
    sums = _Sums(plan, form.indicators, trace)
    total = plan.round((budget.score or _ZERO) + sums.scores)
    grade = plan.grade_of(total)
    everything = _form_checks(plan, form, budget, sums, total, grade)
    everything += budget.findings
    return make_evaluation(
        form,
        ruleset,
        __version__,
        budget,
        sums.results,
        sums.by_level1(),
        sums.by_level2(),
        total,
        grade,
        sums.in_order(everything),
    )


# --- values and expressions -------------------------------------------------------------------------


def _is_undefined(value: Any) -> bool:
    return isinstance(value, Undefined)


def _run(expression: Any, env: Env) -> Any:
    """The expression's value; a located runtime error becomes an undefined value with its reason."""
    try:
        return expression.evaluate(env)
    except PerfevalError as exc:
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


Condition = Callable[[Env], Any]
Prepared = tuple[Check, Condition | None, Condition]  # a check with its `when` and `assert` ready to run


def _check_findings(checks: tuple[Prepared, ...], scope: str, env: Env, trace: Trace) -> list[Found]:
    """Findings of the checks (all of one scope) on `env`; a failed check also adds a trace step."""
    out: list[Found] = []
    for check, when, assertion in checks:
        if when is not None:
            applies = when(env)
            if applies is not True:
                if _is_undefined(applies):
                    message = f"检查 {check.id} 的条件无法计算：{_reason(applies)}"
                    out.append(("expression-undefined", "warning", message))
                continue
        ok = assertion(env)
        if ok is True:
            continue
        if _is_undefined(ok):
            out.append(("expression-undefined", "warning", f"检查 {check.id} 无法计算：{_reason(ok)}"))
        else:
            message = _message(check.message, env, scope)
            out.append((check.id, check.severity, message))
            if trace is not None:
                trace.append(TraceStep("check", f"{check.id} ({check.severity}): {message}"))
    return out


def _runner(expression: Any) -> Condition:
    """Run `expression` on an environment, as `_run` does."""
    function = expression.function

    def run(env: Env) -> Any:
        try:
            return function(env)
        except PerfevalError as exc:
            return Undefined(exc.message)

    return run


def _prepare(check: Check, scope: str) -> Prepared:
    """The check with each condition remembered when it reads only true/false and text variables."""
    types = {v.name: v.type for v in SCOPES[scope]}

    def ready(expression: Any) -> Condition:
        wordy = all(types.get(name) in ("bool", "text") for name in expression.names)
        return _Remembered(expression).call if wordy else _runner(expression)

    return check, None if check.when is None else ready(check.when), ready(check.assertion)


class _Remembered:
    """A true/false expression remembered by the values of the variables it reads.

    An expression is a pure function of those values, and a comparison or an `and` gives the same
    true or false for equal numbers whatever their digits, so a true or false result is kept and
    reused; an undefined result (its reason may quote a value as written) is computed every time.
    `call` does the same as calling the object, as a plain function (a cheaper call on a hot path).
    """

    __slots__ = ("call", "expression", "key", "memo")

    def __init__(self, expression: Any) -> None:
        self.expression = expression
        names = sorted(expression.names)
        self.key: Callable[[Env], Any] = itemgetter(*names) if names else _nothing
        self.memo: dict[Any, bool] = {}
        self.call: Condition = _remembering(expression, self.key, self.memo)

    def __call__(self, env: Env) -> Any:
        return self.call(env)


def _remembering(expression: Any, key_of: Callable[[Env], Any], memo: dict[Any, bool]) -> Condition:
    recall = memo.get

    def remembered(env: Env) -> Any:
        try:
            key = key_of(env)
            hit = recall(key)
        except (KeyError, TypeError):  # a name the environment lacks; an unhashable (signalling NaN) value
            return _run(expression, env)
        if hit is None:
            value = _run(expression, env)
            if type(value) is not bool:
                return value
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[key] = hit = value
        return hit

    return remembered


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


# --- the plan of a rule set -------------------------------------------------------------------------

_PLANS: dict[int, tuple[RuleSet, _Plan]] = {}


def _plan(ruleset: RuleSet) -> _Plan:
    """The plan of this very rule set object (kept alive with it, so its id is not reused meanwhile)."""
    hit = _PLANS.get(id(ruleset))
    if hit is not None and hit[0] is ruleset:
        return hit[1]
    if len(_PLANS) >= _PLANS_MAX:
        _PLANS.clear()
    plan = _Plan(ruleset)
    _PLANS[id(ruleset)] = (ruleset, plan)
    return plan


def _reads(ruleset: RuleSet, checks: tuple[Check, ...], *, direction: bool = True) -> set[str]:
    """Canonical names of the indicator variables the rule set's expressions and messages read.

    With `direction=False`, those read once the direction is known: by policies, checks and messages.
    """
    names: set[str] = set()
    expressions: list[Any] = [r.when for r in ruleset.direction] if direction else []
    expressions += [e for p in ruleset.policies for e in (p.when, p.score)]
    expressions += [e for c in checks for e in (c.when, c.assertion)]
    for expression in expressions:
        if expression is not None:
            names |= set(expression.names)
    aliases = _ALIASES["indicator-check"]
    for check in checks:
        names |= {aliases[m] for m in _PLACEHOLDER.findall(check.message) if m in aliases}
    return names


def _nothing(_: Any) -> None:
    return None


class _Pair:
    """What a target/actual pair means, whatever the row: parsed values, kind and the engine's facts."""

    __slots__ = (
        "actual",
        "actual_value",
        "bound",
        "env",
        "implied_op",
        "kind",
        "met",
        "notes",
        "op",
        "range",
        "range_direction",
        "ratio",
        "scorable",
        "target",
        "target_value",
        "tier",
        "unit",
        "unit_mismatch",
        "word",
    )

    def __init__(self, target: Notation, actual: Notation, kind: str) -> None:
        self.target, self.actual, self.kind = target, actual, kind
        self.scorable = False
        self.tier: int | None = None
        self.met: bool | None = None
        self.target_value: Decimal | None = None
        self.actual_value: Decimal | None = None
        self.op = ""
        self.implied_op = False
        self.unit = ""
        self.bound = False
        self.word = False
        self.unit_mismatch = False
        self.range: Range | None = None
        self.range_direction: str | None = None
        self.ratio: Decimal | None = None
        self.notes: list[TraceStep] = []
        # The part of an indicator's environment that comes from the pair (and the rule set), made once.
        self.env: Env | None = None


class _Row:
    """An indicator's outcome apart from where it stands: what every row with the same key gets."""

    __slots__ = (
        "actual",
        "direction",
        "findings",
        "kind",
        "met",
        "policy",
        "score",
        "short",
        "target",
        "template",
        "tier",
        "trace",
    )

    findings: tuple[tuple[str, str, str, int], ...]  # code, severity, message and the severity's rank
    short: bool  # weight, score and reported score all `_short`: sums of them are exact in any order
    # An IndicatorResult's instance dict: this outcome's fields set, no findings, the row's own fields None.
    template: dict[str, Any]

    def __init__(
        self,
        pair: _Pair,
        direction: str | None,
        met: bool | None,
        policy: str | None,
        score: Decimal | None,
        findings: tuple[Found, ...],
        trace: tuple[TraceStep, ...],
        ind: Indicator,
    ) -> None:
        self.target, self.actual, self.kind, self.tier = pair.target, pair.actual, pair.kind, pair.tier
        self.direction, self.met, self.policy, self.score = direction, met, policy, score
        self.findings = tuple((c, s, m, _ORDER[s]) for c, s, m in findings)
        self.trace = trace
        # The row's key holds the weight and reported score by their text: every row sharing it has these digits.
        self.short = _short(ind.weight) and _short(score) and _short(ind.reported_score)
        template = _new(IndicatorResult).__dict__
        for name in _RESULT_FIELDS:  # the fields' order, which the copies keep
            template[name] = None
        template.update(target=self.target, actual=self.actual, kind=self.kind, direction=direction, met=self.met)
        template.update(tier=self.tier, score=score, policy=policy, trace=trace, findings=())
        self.template = template


def _short(value: Decimal | None) -> bool:
    """Whether `value` is absent, or finite with at most 10 digits before and 9 after the point.

    A sum of fewer than 10^8 such values never needs more than 28 digits, so every partial sum is exact
    whatever the grouping, with the exponent of its most precise term.
    """
    if value is None:
        return True
    if type(value) is not Decimal:
        return False
    # Plain digits only: an exponent (1E+2, 1E-7), NaN or Infinity is not short.
    whole, _, part = str(value).lstrip("-").partition(".")
    return whole.isdigit() and len(whole) <= 10 and len(part) <= 9 and (part.isdigit() or not part)


class _Plan:
    """A rule set prepared for many evaluations: checks per scope, rounding, and bounded memos."""

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        checks = {
            scope: tuple(c for c in ruleset.checks if c.scope == scope) for scope in ("indicator", "budget", "form")
        }
        # Indicator conditions repeat across rows and are remembered. A budget or form condition is
        # remembered only when it reads no number: the amounts and totals of forms seldom repeat.
        self.indicator_checks = tuple(
            (c, None if c.when is None else _Remembered(c.when).call, _Remembered(c.assertion).call)
            for c in checks["indicator"]
        )
        self.budget_checks = tuple(_prepare(c, "budget-check") for c in checks["budget"])
        self.form_checks = tuple(_prepare(c, "form-check") for c in checks["form"])
        self.budget_score = _runner(ruleset.budget.score)
        self.direction = tuple((rule, _Remembered(rule.when).call) for rule in ruleset.direction)
        self.policies = tuple(
            (policy, _Remembered(policy.when).call, None if policy.score is None else _runner(policy.score))
            for policy in ruleset.policies
        )
        self.quantum = ruleset.rounding.quantum
        self.mode = ROUNDING_MODES[ruleset.rounding.mode]
        self.rate_tolerance = ruleset.rate_tolerance / 100
        self.parsed: dict[tuple[str, str], Notation] = {}
        self.grades: dict[Decimal, str | None] = {}
        self.pairs: dict[tuple[str, str], _Pair] = {}
        self.rows: tuple[dict[tuple[Any, ...], _Row], dict[tuple[Any, ...], _Row]] = ({}, {})
        # Row outcomes again, keyed by what a row is once its direction is known (see `_row`).
        self.directed: tuple[dict[tuple[Any, ...], _Row], dict[tuple[Any, ...], _Row]] = ({}, {})
        reads = _reads(ruleset, checks["indicator"])
        fields = [f for f in _ROW_FIELDS if f in reads]
        self.row_key: Callable[[Indicator], Any] = attrgetter(*fields) if fields else _nothing
        self.reads_has_reason = "has_reason" in reads
        after = _reads(ruleset, checks["indicator"], direction=False)
        fields = [f for f in _ROW_FIELDS if f in after]
        self.directed_key: Callable[[Indicator], Any] = attrgetter(*fields) if fields else _nothing
        self.directed_has_reason = "has_reason" in after

    def grade_of(self, total: Decimal) -> str | None:
        """`ruleset.grade_of(total)`, remembered by value: bands compare numbers, so 90 and 90.00 share a grade."""
        try:
            if total in self.grades:
                return self.grades[total]
        except TypeError:  # an unhashable (signalling NaN) value
            return self.ruleset.grade_of(total)
        grade = self.ruleset.grade_of(total)
        if len(self.grades) >= _MEMO_MAX:
            self.grades.clear()
        self.grades[total] = grade
        return grade

    def round(self, value: Decimal) -> Decimal:
        """`value` at the rule set's places and mode (as `Rounding.apply`)."""
        return quantize(value, self.quantum, self.mode)

    def parse(self, text: str, as_: str) -> Notation:
        """The target or actual `text` read with the rule set's vocabulary (memoised)."""
        key = (as_, text)
        hit = self.parsed.get(key)
        if hit is None:
            from ..notation import parse_actual, parse_target

            parser = parse_target if as_ == "target" else parse_actual
            hit = parser(text, self.ruleset.vocabulary)
            if len(self.parsed) >= _MEMO_MAX:
                self.parsed.clear()
            self.parsed[key] = hit
        return hit

    def pair(self, target_text: str, actual_text: str) -> _Pair:
        """The meaning of a target/actual pair (memoised)."""
        key = (target_text, actual_text)
        hit = self.pairs.get(key)
        if hit is None:
            hit = self._pair(target_text, actual_text)
            if len(self.pairs) >= _MEMO_MAX:
                self.pairs.clear()
            self.pairs[key] = hit
        return hit

    def _pair(self, target_text: str, actual_text: str) -> _Pair:
        target = self.parse(target_text, "target")
        actual = self.parse(actual_text, "actual")
        p = _Pair(target, actual, _TARGET_KIND.get(target.kind, "unparsed"))
        if p.kind == "quantitative":
            _quantitative(target, actual, self.ruleset, p)
            if p.range is not None:
                r = p.range
                above = p.actual_value is not None and p.actual_value > r.high
                p.target_value = r.high if above else r.low
                p.range_direction = "reverse" if above else "positive"
        elif p.kind in ("qualitative", "deadline", "trend"):
            _qualitative(target, actual, p, self)
        if p.target_value is not None and p.actual_value is not None and p.target_value != 0:
            p.ratio = p.actual_value / p.target_value
        return p

    def _row(self, ind: Indicator, tracing: bool) -> _Row:
        ruleset = self.ruleset
        p = self.pair(ind.target_text, ind.actual_text)
        target, actual, kind = p.target, p.actual, p.kind
        trace: Trace = None
        if tracing:
            trace = [
                TraceStep("target", f"{ind.target_text} → {describe(target)}"),
                TraceStep("actual", f"{ind.actual_text} → {describe(actual)}"),
                *p.notes,
            ]
        env = p.env
        if env is None:
            p.env = env = {
                "kind": kind,
                "target_kind": target.kind,
                "actual_kind": actual.kind,
                "op": p.op,
                "implied_op": p.implied_op,
                "unit": p.unit,
                "direction": "",
                "target": p.target_value,
                "actual": p.actual_value,
                "ratio": None,
                "met": False,
                "tier": None,
                "tier_band": "",
                "tiered": False,
                "scorable": p.scorable,
                "actual_bound": p.bound,
                "actual_word": p.word,
                "unit_mismatch": p.unit_mismatch,
                "over_factor": ruleset.over_achievement,
                "score_tolerance": ruleset.score_tolerance,
                "rate_tolerance": self.rate_tolerance,
            }
        # The pair's part of the environment, copied, and the row's own part set.
        env = env.copy()
        env["level1"] = ind.level1
        env["level2"] = ind.level2
        env["name"] = ind.name
        env["target_text"] = ind.target_text
        env["actual_text"] = ind.actual_text
        env["weight"] = ind.weight
        env["has_weight"] = ind.weight is not None
        env["reported_score"] = ind.reported_score
        env["has_reported"] = ind.reported_score is not None
        env["reason"] = ind.reason
        env["has_reason"] = bool(ind.reason.strip())
        findings: list[Found] = []
        direction = self._direction(p, env, trace, findings) if kind == "quantitative" else None
        # From here on the outcome is a function of the key below: rows that differ only in fields read
        # by the direction rules alone (二级 for implied cost targets) and got the same direction the same
        # way share it.
        weight, reported = ind.weight, ind.reported_score
        key = (
            ind.target_text,
            ind.actual_text,
            None if weight is None else str(weight),
            None if reported is None else str(reported),
            direction,
            tuple(findings),
            None if trace is None else tuple(trace),
            self.directed_key(ind),
            bool(ind.reason.strip()) if self.directed_has_reason else None,
        )
        memo = self.directed[tracing]
        row = memo.get(key)
        if row is None:
            row = self._directed(ind, p, env, direction, findings, trace)
            if len(memo) >= _ROWS_MAX[tracing]:
                memo.clear()
            memo[key] = row
        return row

    def _directed(
        self, ind: Indicator, p: _Pair, env: Env, direction: str | None, findings: list[Found], trace: Trace
    ) -> _Row:
        """The rest of `_row` once the direction is known."""
        ruleset, kind = self.ruleset, p.kind
        env["direction"] = direction or ""
        met = p.met
        if p.scorable and p.tier is None and p.actual_value is not None:
            met = _met_numeric(p, direction)
        if p.tier is not None:
            met = p.tier == 1
            env["tiered"], env["tier"] = True, Decimal(p.tier)
            tier = ruleset.tier(p.tier)
            if tier is not None:
                band = tier.band.describe(suffix="")
                points = scaled(tier.band, ind.weight).describe() if ind.weight is not None else band
                env["tier_band"] = points
                if trace is not None:
                    trace.append(TraceStep("tier", f"第{p.tier}档 {tier.label}: {band} × 分值 = {points}"))
        env["met"] = bool(met)
        env["ratio"] = p.ratio
        if trace is not None:
            trace.append(TraceStep("kind", f"{kind}" + (f", {direction}" if direction else "") + f", met={fmt(met)}"))
        policy, score = self._score(env, trace, findings)
        env["score"], env["has_score"], env["policy"] = score, score is not None, policy or ""
        findings += _check_findings(self.indicator_checks, "indicator-check", env, trace)
        return _Row(
            p,
            direction,
            met if p.scorable else None,
            policy,
            score,
            tuple(findings),
            tuple(trace) if trace else (),
            ind,
        )

    def _direction(self, p: _Pair, env: Env, trace: Trace, findings: list[Found]) -> str | None:
        if p.range is not None:
            if trace is not None:
                r = p.range
                trace.append(
                    TraceStep("kind", f"range [{fmt(r.low)}, {fmt(r.high)}]: measured against {fmt(p.target_value)}")
                )
            return p.range_direction
        for rule, when in self.direction:
            value = when(env)
            if value is True:
                if trace is not None:
                    trace.append(TraceStep("kind", f"direction {rule.direction} (rule {rule.id})"))
                return rule.direction
            if _is_undefined(value):
                findings.append(("expression-undefined", "warning", f"方向规则 {rule.id} 无法计算：{_reason(value)}"))
        return None

    def _score(self, env: Env, trace: Trace, findings: list[Found]) -> tuple[str | None, Decimal | None]:
        for policy, when, run in self.policies:
            applies = when(env)
            if applies is not True:
                if _is_undefined(applies):
                    findings.append(
                        ("expression-undefined", "warning", f"评分规则 {policy.id} 的条件无法计算：{_reason(applies)}")
                    )
                continue
            if trace is not None:
                trace.append(TraceStep("policy", f"{policy.id}" + (f": {policy.doc}" if policy.doc else "")))
            if policy.score is None or run is None:
                if trace is not None:
                    trace.append(TraceStep("expression", "no score (counted as 0 in the total)"))
                return policy.id, None
            if trace is not None:
                trace.append(TraceStep("expression", f"{policy.score.text} = {policy.score.explain(env)}"))
            value = run(env)
            if not isinstance(value, Decimal | int) or isinstance(value, bool):
                reason = _reason(value) if _is_undefined(value) else f"结果不是数值（{fmt(value)}）"
                findings.append(("score-undefined", "error", f"评分规则 {policy.id} 无法计算得分：{reason}（不计分）"))
                return policy.id, None
            rounded = self.round(Decimal(value))
            if trace is not None:
                rounding = self.ruleset.rounding
                trace.append(
                    TraceStep(
                        "round", f"{fmt(Decimal(value))} → {fmt(rounded)} ({rounding.places} places, {rounding.mode})"
                    )
                )
            return policy.id, rounded
        findings.append(("no-policy", "error", "没有适用的评分规则（不计分）"))
        return None, None


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


def _quantitative(target: Notation, actual: Notation, ruleset: RuleSet, f: _Pair) -> None:
    t_unit: str | None = None
    if isinstance(target, Comparison):
        f.target_value, f.op, f.implied_op, t_unit = target.value, target.op, target.implied_op, target.unit
    elif isinstance(target, Quantity):
        f.target_value, f.op, f.implied_op, t_unit = target.value, target.op or "=", target.op is None, target.unit
    elif isinstance(target, Range):
        f.range, t_unit = target, target.unit
    f.unit = t_unit or ""
    if isinstance(actual, Quantity | Comparison):
        value, ok = _convert(actual.value, actual.unit, t_unit, ruleset)
        f.actual_value, f.unit_mismatch = value, not ok
        f.bound = actual.op is not None
        f.scorable = True
        if value != actual.value:
            f.notes.append(TraceStep("actual", f"{fmt(actual.value)} {actual.unit} = {fmt(value)} {t_unit}"))
    elif isinstance(actual, Outcome):
        f.scorable, f.word, f.tier = True, True, actual.tier
    elif isinstance(actual, Completion):
        f.scorable, f.word, f.met = True, True, True


def _qualitative(target: Notation, actual: Notation, f: _Pair, plan: _Plan) -> None:
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
        as_trend = plan.parse(actual.text, "target")
        if isinstance(as_trend, Trend) and as_trend.direction == target.direction:
            f.tier = 1
    f.scorable = f.tier is not None


def _on_time(actual: Date, target: Deadline | Date) -> bool:
    if isinstance(target, Deadline) and target.timely and target.month is None:
        return True
    t_key = (target.year or actual.year or 0, target.month or 12, target.day or 31)
    a_key = (actual.year or target.year or 0, actual.month or 12, actual.day or 1)
    return a_key <= t_key


def _met_numeric(p: _Pair, direction: str | None) -> bool:
    assert p.actual_value is not None
    if p.range is not None:
        return p.range.low <= p.actual_value <= p.range.high
    if p.target_value is None:
        return False
    return p.actual_value <= p.target_value if direction == "reverse" else p.actual_value >= p.target_value


# --- budget -----------------------------------------------------------------------------------------


def _budget(plan: _Plan, form: Form, tracing: bool) -> BudgetResult:
    ruleset = plan.ruleset
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
        "rate_tolerance": plan.rate_tolerance,
    }
    cell = None if row is None else source_of(row.provenance)
    trace: Trace = [] if tracing else None
    found: list[Found] = []
    rate_pct = None if _is_undefined(rate) else plan.round(rate * 100)
    if trace is not None:
        trace.append(TraceStep("actual", f"执行率 = {fmt(executed)} / {fmt(budget)} = {fmt(rate_pct)}%"))
        trace.append(TraceStep("policy", "budget" + (f": {ruleset.budget.doc}" if ruleset.budget.doc else "")))
        trace.append(TraceStep("expression", f"{ruleset.budget.score.text} = {ruleset.budget.score.explain(env)}"))
    value = plan.budget_score(env)
    score: Decimal | None = None
    if isinstance(value, Decimal | int) and not isinstance(value, bool):
        score = plan.round(Decimal(value))
        if trace is not None:
            trace.append(TraceStep("round", f"{fmt(Decimal(value))} → {fmt(score)}"))
    else:
        reason = _reason(value) if _is_undefined(value) else f"结果不是数值（{fmt(value)}）"
        found.append(("score-undefined", "error", f"预算执行率得分无法计算：{reason}（不计分）"))
    env["score"], env["has_score"] = score, score is not None
    found += _check_findings(plan.budget_checks, "budget-check", env, trace)
    return make_budget_result(  # BudgetResult(initial_budget, budget, executed, rate, weight, score, ...)
        initial,
        budget,
        executed,
        rate_pct,
        ruleset.budget.weight,
        score,
        reported_rate,
        reported,
        "budget",
        tuple(trace) if trace else (),
        tuple([finding(c, s, m, None, None, cell) for c, s, m in found]),
    )


# --- form -------------------------------------------------------------------------------------------


class _Sums:
    """One pass over the indicator rows: their results, the total of the scores, subtotals per 一级 and 二级,
    the sums the form checks read, and the rows' findings by severity.

    Every sum is what adding in row order from Decimal(0) gives, as `sum(..., Decimal(0))` would, with a
    zero weight or score left out of the subtotals (`x or Decimal(0)`: it adds nothing to a sum that starts
    at Decimal(0), whose exponent is already <= 0).
    """

    def __init__(self, plan: _Plan, rows: tuple[Indicator, ...], tracing: bool) -> None:
        memo = plan.rows[tracing]
        row_key, reads_has_reason = plan.row_key, plan.reads_has_reason
        # Each row's shared outcome, and the findings of the rows that have any: the results are made
        # from them only when read (IndicatorResults).
        outcomes: list[dict[str, Any]] = []
        numbers: list[tuple[str | None, str | None]] = []  # the texts of the rows' weights and reported scores
        row_findings: dict[int, tuple[Finding, ...]] = {}
        # Findings of the rows per severity rank, in row order: the order `in_order` needs, with no sort.
        ranked: tuple[list[Finding], ...] = tuple([] for _ in SEVERITIES)
        # Sums per run of rows with the same 一级 and 二级: (一级, 二级, weight, score, reported or None).
        runs: list[tuple[Any, ...]] = []
        run1: Any = _START  # the current run's 一级 and 二级, and its sums so far
        run2: Any = _START
        run_weight = run_score = _ZERO
        run_reported: Decimal | None = None
        zeros = _ZERO  # the zero weights, which count in the weight sum (their exponent) but in no subtotal
        short = True
        for index, ind in enumerate(rows, start=1):
            weight = ind.weight
            reported = ind.reported_score
            reason = ind.reason
            # Decimals by their text: 2 and 2.00 are equal but print differently, so they must not share an entry.
            # The texts are kept for the JSON path, which prints the numbers by them (IndicatorResults).
            weight_text = None if weight is None else str(weight)
            reported_text = None if reported is None else str(reported)
            numbers.append((weight_text, reported_text))
            key = (
                ind.target_text,
                ind.actual_text,
                weight_text,
                reported_text,
                row_key(ind),
                # bool(reason.strip()), without the call for the usual empty reason
                (reason != "" and not reason.isspace()) if reads_has_reason else None,
            )
            row = memo.get(key)
            if row is None:
                row = plan._row(ind, tracing)
                if len(memo) >= _ROWS_MAX[tracing]:
                    memo.clear()
                memo[key] = row
            outcomes.append(row.template)
            name1, name2, score = ind.level1, ind.level2, row.score
            if row.findings:
                made = []
                name, source = ind.name, source_of(ind.provenance)
                for code, severity, message, rank in row.findings:
                    f = _new(Finding)
                    fd = f.__dict__
                    fd["code"] = code
                    fd["severity"] = severity
                    fd["message"] = message
                    fd["indicator"] = name
                    fd["index"] = index
                    fd["cell"] = source
                    made.append(f)
                    ranked[rank].append(f)
                row_findings[index] = tuple(made)

            if not row.short:
                short = False
            if name2 != run2 or name1 != run1:
                if run1 is not _START:
                    runs.append((run1, run2, run_weight, run_score, run_reported))
                run1, run2, run_weight, run_score, run_reported = name1, name2, _ZERO, _ZERO, None
            if weight is not None:
                if weight:
                    run_weight += weight
                else:
                    zeros += weight
            if score:
                run_score += score
            if reported is not None:
                run_reported = (_ZERO if run_reported is None else run_reported) + reported
        if run1 is not _START:
            runs.append((run1, run2, run_weight, run_score, run_reported))
        self.results = IndicatorResults(rows, outcomes, row_findings, numbers)
        self.ranked = ranked
        if short and _exact_context():
            self._add(runs, zeros)
        else:
            self._add_in_row_order(self.results)

    def _add(self, runs: list[tuple[Any, ...]], zeros: Decimal) -> None:
        """The sums from the runs' sums: exact, so the same as adding the rows in order."""
        scores, weights, reported_sum = _ZERO, zeros, _ZERO
        # name -> [level1 of its first row (None for 一级 itself), weight, score, reported or None]
        level1: dict[str, list[Any]] = {}
        level2: dict[str, list[Any]] = {}
        for name1, name2, weight, score, reported in runs:
            one = level1.get(name1)
            if one is None:
                one = level1[name1] = [None, _ZERO, _ZERO, None]
            two = level2.get(name2)
            if two is None:
                two = level2[name2] = [name1, _ZERO, _ZERO, None]
            weights += weight
            one[1] += weight
            two[1] += weight
            scores += score
            one[2] += score
            two[2] += score
            if reported is not None:
                reported_sum += reported
                one[3] = (_ZERO if one[3] is None else one[3]) + reported
                two[3] = (_ZERO if two[3] is None else two[3]) + reported
        self.scores, self.weights, self.reported = scores, weights, reported_sum  # weights: rows that have one
        self.level1, self.level2 = level1, level2

    def _add_in_row_order(self, results: Sequence[IndicatorResult]) -> None:
        """The sums added row by row: for numbers too long for `_add` or an unusual decimal context (rare,
        so the results are made here)."""
        scores = weights = reported_sum = _ZERO
        level1: dict[str, list[Any]] = {}
        level2: dict[str, list[Any]] = {}
        for i in results:
            weight, score, reported = i.weight, i.score, i.reported_score
            one = level1.get(i.level1)
            if one is None:
                one = level1[i.level1] = [None, _ZERO, _ZERO, None]
            two = level2.get(i.level2)
            if two is None:
                two = level2[i.level2] = [i.level1, _ZERO, _ZERO, None]
            if weight is not None:
                weights += weight
                if weight:
                    one[1] += weight
                    two[1] += weight
            if score:
                scores += score
                one[2] += score
                two[2] += score
            if reported is not None:
                reported_sum += reported
                one[3] = (_ZERO if one[3] is None else one[3]) + reported
                two[3] = (_ZERO if two[3] is None else two[3]) + reported
        self.scores, self.weights, self.reported = scores, weights, reported_sum
        self.level1, self.level2 = level1, level2

    def by_level1(self) -> tuple[tuple[str, Subtotal], ...]:
        """Subtotals per 一级, in the order the categories first appear."""
        return tuple([(name, make_subtotal(level1, w, s, r)) for name, (level1, w, s, r) in self.level1.items()])

    def by_level2(self) -> tuple[tuple[str, Subtotal], ...]:
        """Subtotals per 二级 with the 一级 of their first row, in the order they first appear."""
        return tuple([(name, make_subtotal(l1, w, s, r)) for name, (l1, w, s, r) in self.level2.items()])

    def in_order(self, others: list[Finding]) -> tuple[Finding, ...]:
        """`others` (form and budget findings, no index) and the rows' findings, by severity, then index.

        The same order as a stable sort on (severity, index or -1): within a severity, findings without
        an index keep their order ahead of the rows', and the rows' come in row order, which is index order.
        """
        if not others:
            return tuple([f for part in self.ranked for f in part])
        out: list[Finding] = []
        for rank, part in enumerate(self.ranked):
            out += [f for f in others if _ORDER[f.severity] == rank]
            out += part
        return tuple(out)


def _exact_context() -> bool:
    """Whether the thread's decimal context adds `_short` numbers exactly, with +0 for any zero sum.

    ROUND_FLOOR is left out: there x + (-x) is -0, and the sign of a zero sum could depend on the grouping.
    """
    context = getcontext()
    return context.prec >= 28 and context.rounding != ROUND_FLOOR and context.Emax >= 28 and context.Emin <= -28


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
    plan: _Plan, form: Form, budget: BudgetResult, sums: _Sums, total: Decimal, grade: str | None
) -> list[Finding]:
    ruleset = plan.ruleset
    weights = sums.weights
    gap, column = _funds_gap(form)
    reported_total_grade = plan.grade_of(form.reported_total) if form.reported_total is not None else None
    env: Env = {
        "total": total,
        "reported_total": form.reported_total,
        "has_reported_total": form.reported_total is not None,
        "reported_sum": (budget.reported_score or Decimal(0)) + sums.reported,
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
        "rate_tolerance": plan.rate_tolerance,
    }
    found: list[Found] = []
    if grade is None:
        found.append(("grade-undefined", "warning", f"总分 {fmt(total)} 不在任何等级区间内"))
    found += _check_findings(plan.form_checks, "form-check", env, None)
    return [finding(c, s, m, None, None, None) for c, s, m in found]
