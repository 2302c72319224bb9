"""What an evaluation produces: findings, traces, per-indicator and per-form results, as frozen data."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Any, overload

import orjson

from .. import _json
from .._slots import slots_maker
from ..notation.values import Notation

if TYPE_CHECKING:
    from ..forms.model import Form, Indicator, Provenance
    from ..ruleset.model import RuleSet

ENGINE_NAME = "perfeval-rules"
SEVERITIES = ("error", "warning", "info")


# Finding and IndicatorResult are made once per row of every form; they keep an instance dict (no slots)
# so that `_finding` and `_indicator_result` can fill it in one go, several times faster than the
# frozen dataclass __init__, which sets each field through object.__setattr__.
@dataclass(frozen=True)
class Finding:
    """Something wrong or notable: a stable code (a check id or an engine code), severity and Chinese message."""

    code: str
    severity: str
    message: str
    indicator: str | None = None
    index: int | None = None
    cell: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract form."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "indicator": self.indicator,
            "index": self.index,
            "cell": self.cell,
        }


@dataclass(frozen=True, slots=True)
class TraceStep:
    """One step of how a score came about: `step` is target, actual, kind, policy, expression, round, tier, check."""

    step: str
    text: str

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract form."""
        return {"step": self.step, "text": self.text}


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator evaluated: parsed values, kind, direction, met, tier, scores, policy, trace, findings."""

    index: int
    level1: str
    level2: str
    name: str
    target_text: str
    actual_text: str
    target: Notation
    actual: Notation
    kind: str
    direction: str | None
    met: bool | None
    tier: int | None
    weight: Decimal | None
    score: Decimal | None
    reported_score: Decimal | None
    reason: str
    policy: str | None
    trace: tuple[TraceStep, ...]
    findings: tuple[Finding, ...]
    source: str | None

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract form: every field in order, the parsed values, trace and findings as dicts."""
        # The instance dict holds the fields in their order (the constructor, `indicator_result` and the
        # engine all fill it so), which is the contract's order.
        return _contract(self.__dict__.copy())


_new = object.__new__
_set = object.__setattr__


def _contract(d: dict[str, Any]) -> dict[str, Any]:
    """An IndicatorResult's fields (a dict of its own) as the JSON contract has them: four values converted."""
    d["target"] = _shown(d["target"])
    d["actual"] = _shown(d["actual"])
    trace, findings = d["trace"], d["findings"]
    d["trace"] = _trace_dicts(trace) if trace else []
    d["findings"] = _finding_dicts(findings) if findings else []
    return d


def source_of(provenance: Provenance | None) -> str | None:
    """Where a row stands in its file, as results and findings name it: its cell, else its row number."""
    if provenance is None:
        return None
    return provenance.cell or (f"row {provenance.row}" if provenance.row is not None else None)


class IndicatorResults(Sequence[IndicatorResult]):
    """An evaluation's indicator results, in row order, each made when the sequence is first read.

    The engine gives every row with the same inputs one shared outcome (the fields of an IndicatorResult
    that do not depend on where the row stands); a result is that outcome completed with the row's own
    fields. A caller that wants only totals and findings, or only `Evaluation.to_dict()`, so never has
    an IndicatorResult made per row. Read, it behaves as the tuple of results.
    """

    __slots__ = ("_findings", "_made", "_numbers", "_outcomes", "_rows")

    def __init__(
        self,
        rows: Sequence[Indicator],
        outcomes: Sequence[dict[str, Any]],
        findings: dict[int, tuple[Finding, ...]],
        numbers: Sequence[tuple[str | None, str | None]] | None = None,
    ) -> None:
        """`outcomes[i]` is the shared outcome of `rows[i]`; `findings` those of the rows that have any, by
        index; `numbers[i]`, if given, the str() of the row's weight and reported score (None for none)."""
        self._rows, self._outcomes, self._findings, self._numbers = rows, outcomes, findings, numbers
        self._made: tuple[IndicatorResult, ...] | None = None

    def fields(self) -> Iterator[dict[str, Any]]:
        """Each result's fields, in order, as a new dict (an IndicatorResult's instance dict)."""
        if self._made is not None:
            for result in self._made:
                yield result.__dict__.copy()
            return
        yield from self._filled(self._outcomes)

    def _filled(
        self, outcomes: Sequence[dict[str, Any]], number: Callable[[str], Any] | None = None
    ) -> Iterator[dict[str, Any]]:
        """A copy of each row's `outcomes[i]` with the row's own fields set; with `number`, its weight and
        reported score as `number(str(value))`, from the texts the engine made of them for its memo key."""
        findings = self._findings
        numbers = self._numbers
        if number is not None and numbers is None:
            numbers = [(_text(i.weight), _text(i.reported_score)) for i in self._rows]
        for index, (ind, outcome) in enumerate(zip(self._rows, outcomes, strict=True), start=1):
            weight, reported = ind.weight, ind.reported_score
            if number is not None and numbers is not None:
                weight_text, reported_text = numbers[index - 1]
                if weight_text is not None:
                    weight = number(weight_text)
                if reported_text is not None:
                    reported = number(reported_text)
            d = outcome.copy()
            d["index"] = index
            d["level1"] = ind.level1
            d["level2"] = ind.level2
            d["name"] = ind.name
            d["target_text"] = ind.target_text
            d["actual_text"] = ind.actual_text
            d["weight"] = weight
            d["reported_score"] = reported
            d["reason"] = ind.reason
            provenance = ind.provenance
            if provenance is not None:  # source_of(provenance), its usual case without the call
                d["source"] = provenance.cell or source_of(provenance)
            if findings and index in findings:
                d["findings"] = findings[index]
            yield d

    def to_dicts(self) -> list[dict[str, Any]]:
        """`[r.to_dict() for r in self]`, without making the results."""
        return [_contract(d) for d in self.fields()]

    def json_dicts(self, depth: int) -> list[Any]:
        """`to_dicts()` for the JSON writer, each dict `depth` containers deep in an indented document: the
        same bytes once printed, with each shared outcome's parsed values and trace printed only once."""
        if self._made is not None:
            return self.to_dicts()
        printed = _PRINTED.setdefault(depth, {})
        recall = printed.get
        shapes = [
            hit[1] if (hit := recall(id(outcome))) is not None and hit[0] is outcome else _print(outcome, depth)
            for outcome in self._outcomes
        ]
        # The importer makes a Decimal per cell: printed by its text, not looked up by its (costly) hash.
        out = list(self._filled(shapes, _json.decimal_text))
        for index, findings in self._findings.items():
            out[index - 1]["findings"] = _finding_dicts(findings)
        return out

    def _all(self) -> tuple[IndicatorResult, ...]:
        made = self._made
        if made is None:
            results = []
            for d in self.fields():
                result = _new(IndicatorResult)
                _set(result, "__dict__", d)
                results.append(result)
            made = self._made = tuple(results)
        return made

    def __len__(self) -> int:
        return len(self._outcomes) if self._made is None else len(self._made)

    @overload
    def __getitem__(self, index: int) -> IndicatorResult: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[IndicatorResult, ...]: ...

    def __getitem__(self, index: int | slice) -> IndicatorResult | tuple[IndicatorResult, ...]:
        return self._all()[index]

    def __iter__(self) -> Iterator[IndicatorResult]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, IndicatorResults | tuple):
            return self._all() == tuple(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._all())

    def __repr__(self) -> str:
        return repr(self._all())

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as the results themselves: the shared outcomes are the engine's, not the evaluation's.
        return (_unpickled, (self._all(),))


def _unpickled(results: tuple[IndicatorResult, ...]) -> IndicatorResults:
    made = IndicatorResults((), (), {})
    made._made = results
    return made


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


# TraceStep.to_dict() and Finding.to_dict() over a tuple, written out: a call per item costs more than its dict.
def _trace_dicts(trace: tuple[TraceStep, ...]) -> list[dict[str, Any]]:
    return [{"step": t.step, "text": t.text} for t in trace]


def _finding_dicts(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    # A Finding's instance dict holds its fields in order, as IndicatorResult's does.
    return [f.__dict__.copy() for f in findings]


_SHOWN: dict[int, tuple[Notation, dict[str, Any]]] = {}
_SHOWN_MAX = 4096


def _shown(value: Notation) -> dict[str, Any]:
    """`value.to_dict()`, copied from the one made for this very object.

    The engine shares each parsed value among all the rows with its text; a value is frozen and its
    dict flat (numbers, text, flags), so a shallow copy is a new, equal dict. The entry keeps the value
    alive, so that its id cannot be reused meanwhile.
    """
    hit = _SHOWN.get(id(value))
    if hit is None or hit[0] is not value:
        if len(_SHOWN) >= _SHOWN_MAX:
            _SHOWN.clear()
        hit = _SHOWN[id(value)] = (value, value.to_dict())
    return hit[1].copy()


# A shared outcome as `json_dicts` needs it, per depth: id(outcome) -> (outcome, its fields as printed).
# The entry keeps the outcome alive, so that its id cannot be reused meanwhile. All entries are dropped
# once they hold about 16 MiB, counting 1 KiB for an entry's dicts besides its printed text, so that memory
# stays flat on long batches (an entry with a trace holds a few KiB, one without some hundred bytes).
_PRINTED: dict[int, dict[int, tuple[dict[str, Any], dict[str, Any]]]] = {}
_PRINTED_SIZE = [0]  # the bytes the entries hold, as counted above
_PRINTED_LIMIT = 16 * 2**20
_ENTRY = 1024


def _print(outcome: dict[str, Any], depth: int) -> dict[str, Any]:
    """The outcome's fields with target, actual and trace as printed `depth + 1` containers deep (the
    values of a dict `depth` deep), as `_contract` would give them, and no findings (the row's own)."""
    d = outcome.copy()
    target = _json.printed(d["target"].to_dict(), depth + 1)
    actual = _json.printed(d["actual"].to_dict(), depth + 1)
    trace = _json.printed(_trace_dicts(d["trace"]), depth + 1) if d["trace"] else b""
    d["target"], d["actual"] = orjson.Fragment(target), orjson.Fragment(actual)
    d["trace"] = orjson.Fragment(trace) if trace else []
    d["findings"] = []
    if d["score"] is not None:
        d["score"] = _json.decimal_text(str(d["score"]))
    size = _PRINTED_SIZE[0] + _ENTRY + len(target) + len(actual) + len(trace)
    if size > _PRINTED_LIMIT:
        for printed in _PRINTED.values():
            printed.clear()
        size = _ENTRY + len(target) + len(actual) + len(trace)
    _PRINTED_SIZE[0] = size
    _PRINTED[depth][id(outcome)] = (outcome, d)
    return d


def finding(
    code: str, severity: str, message: str, indicator: str | None, index: int | None, cell: str | None
) -> Finding:
    """The same as Finding(...) with every argument given, made faster (see above)."""
    made = _new(Finding)
    made.__dict__.update(code=code, severity=severity, message=message, indicator=indicator, index=index, cell=cell)
    return made


def indicator_result(
    index: int,
    level1: str,
    level2: str,
    name: str,
    target_text: str,
    actual_text: str,
    target: Notation,
    actual: Notation,
    kind: str,
    direction: str | None,
    met: bool | None,
    tier: int | None,
    weight: Decimal | None,
    score: Decimal | None,
    reported_score: Decimal | None,
    reason: str,
    policy: str | None,
    trace: tuple[TraceStep, ...],
    findings: tuple[Finding, ...],
    source: str | None,
) -> IndicatorResult:
    """The same as IndicatorResult(...) with every argument given, made faster (see above)."""
    made = _new(IndicatorResult)
    d = made.__dict__
    d["index"] = index
    d["level1"] = level1
    d["level2"] = level2
    d["name"] = name
    d["target_text"] = target_text
    d["actual_text"] = actual_text
    d["target"] = target
    d["actual"] = actual
    d["kind"] = kind
    d["direction"] = direction
    d["met"] = met
    d["tier"] = tier
    d["weight"] = weight
    d["score"] = score
    d["reported_score"] = reported_score
    d["reason"] = reason
    d["policy"] = policy
    d["trace"] = trace
    d["findings"] = findings
    d["source"] = source
    return made


@dataclass(frozen=True, slots=True)
class BudgetResult:
    """The budget-execution part: amounts of the total row, rate (percent), weight and scores."""

    initial_budget: Decimal | None
    budget: Decimal | None
    executed: Decimal | None
    rate: Decimal | None
    weight: Decimal
    score: Decimal | None
    reported_rate: Decimal | None
    reported_score: Decimal | None
    policy: str | None
    trace: tuple[TraceStep, ...]
    findings: tuple[Finding, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract form."""
        return {
            "initial_budget": self.initial_budget,
            "budget": self.budget,
            "executed": self.executed,
            "rate": self.rate,
            "weight": self.weight,
            "score": self.score,
            "reported_rate": self.reported_rate,
            "reported_score": self.reported_score,
            "policy": self.policy,
            "trace": _trace_dicts(self.trace),
            "findings": _finding_dicts(self.findings),
        }


@dataclass(frozen=True, slots=True)
class Subtotal:
    """Weights and scores summed over a 一级 or 二级 group."""

    level1: str | None
    weight: Decimal
    score: Decimal
    reported_score: Decimal | None


@dataclass(frozen=True, slots=True)
class Evaluation:
    """A form evaluated under a rule set; `to_dict()` is the JSON contract reports render."""

    form: Form
    ruleset: RuleSet
    engine_version: str
    budget: BudgetResult
    indicators: IndicatorResults
    by_level1: tuple[tuple[str, Subtotal], ...]
    by_level2: tuple[tuple[str, Subtotal], ...]
    total: Decimal
    grade: str | None
    findings: tuple[Finding, ...]

    @property
    def summary(self) -> dict[str, int]:
        """Number of findings per severity."""
        counts = dict.fromkeys(SEVERITIES, 0)
        for f in self.findings:
            if f.severity in counts:
                counts[f.severity] += 1
        return counts

    def indicator(self, name: str) -> IndicatorResult:
        """The result of the indicator with exactly this name."""
        for result in self.indicators:
            if result.name == name:
                return result
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The evaluation result dict (see the JSON contract); numbers are Decimal, absent values None."""
        return self._tree(self.indicators.to_dicts())

    def json_element(self) -> bytes:
        """`_json.element(self.to_dict())`, the same bytes, made faster: the indicators' shared parts are
        printed once per outcome (`IndicatorResults.json_dicts`), not once per row."""
        try:
            # An array element: the evaluation is one container deep, each indicator three.
            return _json.element_strict(self._tree(self.indicators.json_dicts(3)))
        except orjson.JSONEncodeError:  # what orjson cannot print: the plain writer prints it, or says why not
            return _json.element(self.to_dict())

    def _tree(self, indicators: list[Any]) -> dict[str, Any]:
        """The result dict with these indicators."""
        form, rs = self.form, self.ruleset
        return {
            "form": {
                "project": form.project,
                "department": form.department,
                "implementer": form.implementer,
                "year": form.year,
                "source": form.source,
                "sha256": form.source_sha256,
                "amount_unit": form.amount_unit,
                "goal_expected": form.goal_expected,
                "goal_achieved": form.goal_achieved,
            },
            "ruleset": {
                "id": rs.id,
                "title": rs.title,
                "version": rs.version,
                "sha256": rs.sha256,
                "lineage": list(rs.lineage),
            },
            "engine": {"name": ENGINE_NAME, "version": self.engine_version},
            "budget": self.budget.to_dict(),
            "indicators": indicators,
            "totals": {
                "by_level1": {
                    k: {"weight": v.weight, "score": v.score, "reported_score": v.reported_score}
                    for k, v in self.by_level1
                },
                "by_level2": {
                    k: {"level1": v.level1, "weight": v.weight, "score": v.score, "reported_score": v.reported_score}
                    for k, v in self.by_level2
                },
            },
            "total": self.total,
            "reported_total": form.reported_total,
            "grade": self.grade,
            "reported_grade": form.reported_grade,
            "findings": _finding_dicts(self.findings),
            "summary": self.summary,
            "import_notes": [{"code": n.code, "message": n.message, "row": n.row} for n in form.import_notes],
        }


_SUBTOTAL_SLOTS = tuple(Subtotal.__dict__[f.name].__set__ for f in fields(Subtotal))


def make_subtotal(level1: str | None, weight: Decimal, score: Decimal, reported_score: Decimal | None) -> Subtotal:
    """Subtotal(level1, weight, score, reported_score), as `slots_maker` makes it, without its loop (ten a form)."""
    put_level1, put_weight, put_score, put_reported = _SUBTOTAL_SLOTS
    made = _new(Subtotal)
    put_level1(made, level1)
    put_weight(made, weight)
    put_score(made, score)
    put_reported(made, reported_score)
    return made


make_budget_result = slots_maker(BudgetResult)
make_evaluation = slots_maker(Evaluation)
