"""A rule set's own test cases (`rules/tests/<id>.yaml`), run by `perfeval test`.

A test file names its rule set and lists cases. A case is one indicator (level1, level2, name,
target, actual, weight, reported_score, reason) or a small form (budget, indicators, reported
total and grade), with what the rules must give: score, policy, met, tier and finding codes, or
for a form the budget score, total, grade and form-level finding codes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .._yaml import Document, load_file
from ..errors import SchemaError, did_you_mean
from ..forms.model import Form, FundsRow, Indicator
from ..resources import rules_dir
from .loader import find_ruleset, load_ruleset
from .model import RuleSet

_CASE_KEYS = ("name", "indicator", "form", "expect", "doc")
_INDICATOR_KEYS = ("level1", "level2", "name", "target", "actual", "weight", "reported_score", "reason")
_INDICATOR_EXPECT = ("score", "policy", "met", "tier", "kind", "direction", "findings")
_FORM_KEYS = ("budget", "indicators", "reported_total", "reported_grade")
_BUDGET_KEYS = ("initial_budget", "budget", "executed", "weight", "rate", "score", "parts")
_FORM_EXPECT = ("budget_score", "total", "grade", "findings")


@dataclass
class Coverage:
    """What the cases of one rule set exercised."""

    ruleset: RuleSet
    policies: set[str] = field(default_factory=set)
    tiers: set[int] = field(default_factory=set)
    grades: set[str] = field(default_factory=set)
    checks: set[str] = field(default_factory=set)

    def lines(self) -> list[str]:
        """'coverage <id>: … never …' lines, or one line saying everything was exercised."""
        rs = self.ruleset
        gaps = [
            ("policies never used", [p.id for p in rs.policies if p.id not in self.policies]),
            ("tiers never used", [str(t.id) for t in rs.tiers if t.id not in self.tiers]),
            ("grades never reached", [g.id for g in rs.grades if g.id not in self.grades]),
            ("checks never fired", [c.id for c in rs.checks if c.id not in self.checks]),
        ]
        out = [f"coverage {rs.id}: {what}: {', '.join(ids)}" for what, ids in gaps if ids]
        return out or [f"coverage {rs.id}: every policy, tier, grade and check exercised"]


@dataclass
class Report:
    """The outcome of running test files."""

    passed: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    coverage: dict[str, Coverage] = field(default_factory=dict)

    @property
    def summary(self) -> str:
        """The last line: 'N passed, N failed'."""
        return f"{self.passed} passed, {self.failed} failed"


def case_files(path: str | Path | None) -> list[Path]:
    """The test files for `path`: a test file, a folder of them, or a rule set (its tests/<id>.yaml beside it)."""
    if path is None:
        return sorted((rules_dir() / "tests").glob("*.yaml"))
    p = Path(path)
    if p.is_dir():
        folder = p / "tests" if (p / "tests").is_dir() else p
        return sorted(folder.glob("*.yaml"))
    if p.is_file():
        doc = load_file(p)
        if isinstance(doc.data, dict) and "cases" not in doc.data and "id" in doc.data:
            beside = p.parent / "tests" / f"{doc.data['id']}.yaml"
            if beside.is_file():
                return [beside]
            raise SchemaError(f"no test file for rule set {doc.data['id']!r} (looked for {beside})", doc.locate(()))
        return [p]
    return case_files(find_ruleset(str(path)))


def run(paths: list[Path], rules: str | None = None) -> Report:
    """Run every case of every file; `rules` replaces the rule set the files name."""
    report = Report()
    for path in paths:
        doc = load_file(path)
        ruleset = _ruleset(doc, path, rules)
        cov = report.coverage.setdefault(ruleset.sha256, Coverage(ruleset))
        for n, case in _cases(doc):
            problems = _run_case(ruleset, doc, n, case, cov)
            if problems:
                report.failed += 1
                where = doc.locate(("cases", n))
                head = f"FAIL {_shown(path)}:{where.line} {case.get('name', f'case {n + 1}')}"
                report.failures.append("\n".join([head, *(f"    {p}" for p in problems)]))
            else:
                report.passed += 1
    return report


def _shown(path: Path) -> str:
    """The path relative to the working folder when it lies inside it, else as given."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _ruleset(doc: Document, path: Path, rules: str | None) -> RuleSet:
    if rules is not None:
        return load_ruleset(rules)
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("ruleset"), str):
        raise SchemaError("a test file needs `ruleset: <id or path>` and `cases:`", doc.locate(("ruleset",)))
    name = doc.data["ruleset"]
    # A path relative to the test file, or an id whose file stands where rule sets keep their tests
    # (rules/<id>.yaml beside rules/tests/<id>.yaml), so a copied rule set is tested, not a bundled one.
    for candidate in (path.parent / name, path.parent.parent / f"{name}.yaml", path.parent / f"{name}.yaml"):
        if candidate.is_file():
            return load_ruleset(candidate)
    return load_ruleset(name)


def _cases(doc: Document) -> Iterator[tuple[int, dict[str, Any]]]:
    cases = doc.data.get("cases")
    if not isinstance(cases, list):
        raise SchemaError("`cases` must be a list of cases", doc.locate(("cases",)))
    for n, case in enumerate(cases):
        if not isinstance(case, dict) or ("indicator" in case) == ("form" in case) or "expect" not in case:
            raise SchemaError("a case needs `indicator` or `form`, and `expect`", doc.locate(("cases", n)))
        _known(doc, ("cases", n), case, _CASE_KEYS)
        yield n, case


def _known(doc: Document, path: tuple[str | int, ...], mapping: Any, keys: tuple[str, ...]) -> None:
    if not isinstance(mapping, dict):
        raise SchemaError("expected a mapping", doc.locate(path))
    for key in mapping:
        if key not in keys:
            raise SchemaError(f"unknown key {key!r}{did_you_mean(key, keys)}", doc.locate((*path, key)))


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _indicator(doc: Document, path: tuple[str | int, ...], data: dict[str, Any]) -> Indicator:
    _known(doc, path, data, _INDICATOR_KEYS)
    return Indicator(
        level1=str(data.get("level1", "产出指标")),
        level2=str(data.get("level2", "数量指标")),
        name=str(data.get("name", "指标")),
        target_text=str(data.get("target", "")),
        actual_text=str(data.get("actual", "")),
        weight=_dec(data.get("weight")),
        reported_score=_dec(data.get("reported_score")),
        reason=str(data.get("reason", "")),
    )


def _form(doc: Document, path: tuple[str | int, ...], data: dict[str, Any]) -> Form:
    _known(doc, path, data, _FORM_KEYS)
    budget = data.get("budget") or {}
    _known(doc, (*path, "budget"), budget, _BUDGET_KEYS)
    funds: list[FundsRow] = []
    if budget:
        funds.append(
            FundsRow(
                "年度资金总额",
                _dec(budget.get("initial_budget")),
                _dec(budget.get("budget")),
                _dec(budget.get("executed")),
                weight=_dec(budget.get("weight")),
                rate=_dec(budget.get("rate")),
                score=_dec(budget.get("score")),
            )
        )
        for part in budget.get("parts", []):
            funds.append(
                FundsRow("其中", _dec(part.get("initial_budget")), _dec(part.get("budget")), _dec(part.get("executed")))
            )
    items = data.get("indicators", [])
    return Form(
        project="test",
        funds=tuple(funds),
        indicators=tuple(_indicator(doc, (*path, "indicators", i), it) for i, it in enumerate(items)),
        reported_total=_dec(data.get("reported_total")),
        reported_grade=data.get("reported_grade"),
    )


def _run_case(ruleset: RuleSet, doc: Document, n: int, case: dict[str, Any], cov: Coverage) -> list[str]:
    from ..engine import evaluate

    expect = case["expect"]
    if "indicator" in case:
        _known(doc, ("cases", n, "expect"), expect, _INDICATOR_EXPECT)
        form = Form(project="test", indicators=(_indicator(doc, ("cases", n, "indicator"), case["indicator"]),))
        result = evaluate(ruleset, form)
        ind = result.indicators[0]
        got: dict[str, Any] = {
            "score": ind.score,
            "policy": ind.policy,
            "met": ind.met,
            "tier": ind.tier,
            "kind": ind.kind,
            "direction": ind.direction,
            "findings": sorted(f.code for f in ind.findings),
        }
    else:
        _known(doc, ("cases", n, "expect"), expect, _FORM_EXPECT)
        result = evaluate(ruleset, _form(doc, ("cases", n, "form"), case["form"]))
        got = {
            "budget_score": result.budget.score,
            "total": result.total,
            "grade": result.grade,
            "findings": sorted(f.code for f in result.findings if f.index is None),
        }
        if result.grade:
            cov.grades.add(result.grade)
    for ind in result.indicators:
        if ind.policy:
            cov.policies.add(ind.policy)
        if ind.tier is not None:
            cov.tiers.add(ind.tier)
    cov.checks.update(f.code for f in result.findings)
    problems = []
    for key, want in expect.items():
        have = got[key]
        if key == "findings":
            want = sorted(str(w) for w in (want or []))
        if not _same(want, have):
            problems.append(f"{key}: expected {_show(want)}, got {_show(have)}")
    return problems


def _same(want: Any, have: Any) -> bool:
    if isinstance(want, int | Decimal) and not isinstance(want, bool) and isinstance(have, Decimal):
        return Decimal(want) == have
    return type(want) is type(have) and bool(want == have)


def _show(value: Any) -> str:
    from .._json import dumps

    if isinstance(value, str):
        return value
    return dumps(value, indent=None)
