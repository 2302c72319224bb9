"""Forms under two rule sets (or a rule set against the scores as filed): per-form deltas and a summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from ..batch import ENGINE, FormResult, Task, TaskResult, form_names, import_options, sheet_of
from ..engine.model import SEVERITIES
from ..errors import PerfevalError

REPORTED = "reported"
"""`--base reported`: the scores as filed on the form (the self-assessment) instead of a rule set."""

BUDGET = "预算执行率"
TOP = 15
# Histogram of total changes: (label, low, high) with low < delta <= high; the 0 bin is exactly 0.
BINS: tuple[tuple[str, Decimal | None, Decimal | None], ...] = (
    ("< −10", None, Decimal(-10)),
    ("−10 ~ −5", Decimal(-10), Decimal(-5)),
    ("−5 ~ −2", Decimal(-5), Decimal(-2)),
    ("−2 ~ 0", Decimal(-2), Decimal(0)),
    ("0", Decimal(0), Decimal(0)),
    ("0 ~ 2", Decimal(0), Decimal(2)),
    ("2 ~ 5", Decimal(2), Decimal(5)),
    ("5 ~ 10", Decimal(5), Decimal(10)),
    ("> 10", Decimal(10), None),
)


def _sub(a: Any, b: Any) -> Decimal | None:
    return None if a is None or b is None else Decimal(a) - Decimal(b)


def _bin(delta: Decimal) -> int:
    """The histogram bin of a total change: negative bins hold [low, high), positive ones (low, high]."""
    if delta == 0:
        return 4
    if delta < 0:
        edges = [Decimal(-10), Decimal(-5), Decimal(-2)]
        return sum(1 for e in edges if delta >= e)
    edges = [Decimal(2), Decimal(5), Decimal(10)]
    return 5 + sum(1 for e in edges if delta > e)


def _rows(result: Mapping[str, Any], reported: bool) -> list[dict[str, Any]]:
    """The budget and every indicator: (key, name, level2, weight, score, policy), scores as filed when `reported`."""
    budget = result["budget"]
    rows = [
        {
            "index": 0,
            "name": BUDGET,
            "level2": "",
            "weight": budget["weight"],
            "score": budget["reported_score"] if reported else budget["score"],
            "policy": None if reported else budget["policy"],
        }
    ]
    for i in result["indicators"]:
        rows.append(
            {
                "index": i["index"],
                "name": i["name"],
                "level2": i["level2"],
                "weight": i["weight"],
                "score": i["reported_score"] if reported else i["score"],
                "policy": None if reported else i["policy"],
            }
        )
    return rows


def _finding_keys(result: Mapping[str, Any]) -> dict[tuple[str, int | None], str]:
    return {(f["code"], f["index"]): f["severity"] for f in result["findings"]}


def compare_results(
    base: Mapping[str, Any] | None, candidate: Mapping[str, Any], name: str, sheet: str | None
) -> dict[str, Any]:
    """One form's comparison: totals, grades, every indicator whose score changes, findings that come and go.

    `base` None compares against the scores as filed on the form.
    """
    reported = base is None
    old = candidate if base is None else base
    base_total = candidate["reported_total"] if reported else old["total"]
    base_grade = candidate["reported_grade"] if reported else old["grade"]
    changes = []
    new_rows = _rows(candidate, False)
    old_rows = _rows(old, reported)
    for a, b in zip(old_rows, new_rows, strict=False):
        if a["score"] != b["score"] or (a["score"] is None) != (b["score"] is None):
            changes.append(
                {
                    "index": b["index"],
                    "name": b["name"],
                    "level2": b["level2"],
                    "base_weight": a["weight"],
                    "candidate_weight": b["weight"],
                    "base_score": a["score"],
                    "candidate_score": b["score"],
                    "delta": _sub(b["score"] or 0, a["score"] or 0),
                    "base_policy": a["policy"],
                    "candidate_policy": b["policy"],
                }
            )
    appeared: list[list[Any]] = []
    disappeared: list[list[Any]] = []
    if not reported:
        fa, fb = _finding_keys(old), _finding_keys(candidate)
        appeared = [[code, sev, index] for (code, index), sev in fb.items() if (code, index) not in fa]
        disappeared = [[code, sev, index] for (code, index), sev in fa.items() if (code, index) not in fb]
    return {
        "name": name,
        "source": candidate["form"]["source"],
        "sheet": sheet,
        "project": candidate["form"]["project"],
        "base": {"total": base_total, "grade": base_grade},
        "candidate": {"total": candidate["total"], "grade": candidate["grade"]},
        "delta": _sub(candidate["total"], base_total),
        "indicators": changes,
        "appeared": appeared,
        "disappeared": disappeared,
    }


@dataclass(frozen=True)
class CompareWork:
    """Evaluate one input under the base and the candidate rule set, as `perfeval evaluate` would (picklable)."""

    base: str  # a rule-set file or id, or REPORTED
    candidate: str

    def _results(self, rules: str, path: str) -> tuple[list[dict[str, Any]], list[str | None]]:
        from ..engine import evaluate
        from ..forms import load_forms
        from ..ruleset import load_ruleset

        ruleset = load_ruleset(rules)
        forms = load_forms(path, **import_options(ruleset))
        # A comparison reads scores, grades and findings, never the trace of a score.
        return [evaluate(ruleset, f, trace=False).to_dict() for f in forms], [sheet_of(f) for f in forms]

    def __call__(self, task: Task) -> TaskResult:
        """The comparisons of the task's forms (in `FormResult.summary`), or the located reason it failed."""
        try:
            new, sheets = self._results(self.candidate, task.path)
            old: Sequence[Mapping[str, Any] | None] = (
                [None] * len(new) if self.base == REPORTED else self._results(self.base, task.path)[0]
            )
            names = form_names(task.name, sheets)
            out = tuple(
                FormResult(compare_results(a, b, name, sheet), b"")
                for a, b, name, sheet in zip(old, new, names, sheets, strict=False)
            )
        except PerfevalError as exc:
            return TaskResult(task, error=str(exc))
        return TaskResult(task, out)


class Comparison:
    """Folds per-form comparisons (in input order) into the comparison view model."""

    def __init__(self, base: Mapping[str, Any], candidate: Mapping[str, Any], grades: Sequence[str]) -> None:
        self.base = dict(base)
        self.candidate = dict(candidate)
        self.rank = {g: n for n, g in enumerate(grades)}
        self.forms: list[dict[str, Any]] = []
        self.failed: list[dict[str, Any]] = []
        self.inputs = 0
        self.directions = {"up": 0, "down": 0, "same": 0, "other": 0}
        self.transitions: dict[tuple[str | None, str | None], int] = {}
        self.bins = [0] * len(BINS)
        self.policies: dict[tuple[str | None, str | None], list[Any]] = {}
        self.appeared: dict[tuple[str, str], list[int]] = {}
        self.disappeared: dict[tuple[str, str], list[int]] = {}

    # --- the runner's sink interface -----------------------------------------------------------------

    def current(self, task: Task) -> bool:
        """Never: a comparison is computed whole."""
        return False

    def reuse(self, task: Task) -> None:  # pragma: no cover - current() is never true
        """Nothing to reuse."""

    def add(self, result: TaskResult) -> None:
        """Take one input's comparisons, or its failure."""
        self.inputs += 1
        if result.error is not None:
            self.failed.append({"source": result.task.path, "reason": result.error})
            return
        for form in result.forms:
            self._add(form.summary)

    def _direction(self, old: str | None, new: str | None) -> str:
        if old == new:
            return "same"
        if old in self.rank and new in self.rank:
            return "up" if self.rank[new] < self.rank[old] else "down"
        return "other"

    def _add(self, form: dict[str, Any]) -> None:
        old, new = form["base"]["grade"], form["candidate"]["grade"]
        form["direction"] = self._direction(old, new)
        self.directions[form["direction"]] += 1
        if old != new:
            self.transitions[old, new] = self.transitions.get((old, new), 0) + 1
        if form["delta"] is not None:
            self.bins[_bin(form["delta"])] += 1
        for change in form["indicators"]:
            entry = self.policies.setdefault((change["base_policy"], change["candidate_policy"]), [0, 0, 0])
            entry[0] += 1
            entry[1] += change["delta"]
            entry[2] += abs(change["delta"])
        for key, counter in (("appeared", self.appeared), ("disappeared", self.disappeared)):
            seen: set[str] = set()
            for code, severity, _ in form[key]:
                entry = counter.setdefault((code, severity), [0, 0])
                entry[1] += 1
                if code not in seen:
                    entry[0] += 1
                    seen.add(code)
        self.forms.append(form)

    def view(self, rules: list[dict[str, Any]]) -> dict[str, Any]:
        """The comparison view model: a plain dict (see templates/README.md)."""
        order = {s: n for n, s in enumerate(SEVERITIES)}

        def findings(counter: dict[tuple[str, str], list[int]]) -> list[dict[str, Any]]:
            ranked = sorted(counter.items(), key=lambda kv: (-kv[1][1], order[kv[0][1]], kv[0][0]))
            return [{"code": c, "severity": s, "forms": f, "count": n} for (c, s), (f, n) in ranked[:TOP]]

        forms = self.forms
        return {
            "kind": "comparison",
            "engine": ENGINE,
            "base": self.base,
            "candidate": self.candidate,
            "rules": rules,
            "counts": {
                "inputs": self.inputs,
                "forms": len(forms),
                "failed": len(self.failed),
                "total_changes": sum(1 for f in forms if f["delta"] is not None and f["delta"] != 0),
                "grade_changes": sum(1 for f in forms if f["direction"] != "same"),
                "indicator_changes": sum(len(f["indicators"]) for f in forms),
            },
            "directions": dict(self.directions),
            "transitions": [
                {"base": a, "candidate": b, "forms": n}
                for (a, b), n in sorted(self.transitions.items(), key=lambda kv: (-kv[1], str(kv[0])))
            ],
            "histogram": [{"label": label, "forms": n} for (label, _, _), n in zip(BINS, self.bins, strict=True)],
            "policies": [
                {"base_policy": a, "candidate_policy": b, "indicators": n, "delta": d, "abs_delta": ad}
                for (a, b), (n, d, ad) in sorted(
                    self.policies.items(), key=lambda kv: (-kv[1][2], -kv[1][0], str(kv[0]))
                )[:TOP]
            ],
            "appeared": findings(self.appeared),
            "disappeared": findings(self.disappeared),
            "forms": forms,
            "failed": self.failed,
        }
