"""One indicator's trace as readable text (`perfeval explain`); a view of the same data the JSON carries."""

from __future__ import annotations

from ..errors import UsageError, did_you_mean
from .model import Evaluation, IndicatorResult
from .scoring import fmt


def find_indicator(evaluation: Evaluation, name: str) -> IndicatorResult:
    """The indicator named exactly `name`, or the only one whose name contains it."""
    exact = [i for i in evaluation.indicators if i.name == name]
    if len(exact) == 1:
        return exact[0]
    matches = exact or [i for i in evaluation.indicators if name in i.name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        listing = ", ".join(f"{i.index}. {i.name}" for i in matches)
        raise UsageError(f"{name!r} matches {len(matches)} indicators: {listing}", hint="give more of the name")
    names = [i.name for i in evaluation.indicators]
    raise UsageError(f"no indicator named {name!r}{did_you_mean(name, names)}")


def render_explanation(result: IndicatorResult) -> str:
    """The indicator's scores, trace and findings, one item per line."""
    where = f" ({result.source})" if result.source else ""
    lines = [
        f"{result.index}. {result.name}{where}",
        f"  {result.level1} / {result.level2}",
        f"  kind {result.kind}, direction {fmt(result.direction)}, met {fmt(result.met)}, tier {fmt(result.tier)}",
        f"  weight {fmt(result.weight)}, score {fmt(result.score)}, reported {fmt(result.reported_score)}, "
        f"policy {fmt(result.policy)}",
    ]
    if result.reason:
        lines.append(f"  reason: {result.reason}")
    lines.append("  trace:")
    lines += [f"    {step.step}: {step.text}" for step in result.trace]
    lines.append("  findings:" if result.findings else "  findings: none")
    lines += [f"    {f.severity} {f.code}: {f.message}" for f in result.findings]
    return "\n".join(lines)
