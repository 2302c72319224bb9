"""Rule-version comparison: forms scored under a base and a candidate rule set (or the scores as filed),
and what differs between the two rule sets themselves. The engine scores; nothing is recomputed here."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..batch import Executor, Progress, SerialExecutor, run, tasks_for
from ._forms import REPORTED, CompareWork, Comparison, compare_results
from ._rules import diff_rulesets

__all__ = ["REPORTED", "CompareWork", "Comparison", "compare", "compare_results", "diff_rulesets", "ruleset_info"]


def ruleset_info(ruleset: Any) -> dict[str, Any]:
    """Id, title, version, sha256 and lineage of a loaded rule set, as the reports show it."""
    return {
        "id": ruleset.id,
        "title": ruleset.title,
        "version": ruleset.version,
        "sha256": ruleset.sha256,
        "lineage": list(ruleset.lineage),
    }


_REPORTED_INFO: dict[str, Any] = {
    "id": REPORTED,
    "title": "表内填报的自评得分",
    "version": None,
    "sha256": None,
    "lineage": [],
}


def compare(
    paths: Sequence[str],
    base: str,
    candidate: str,
    *,
    executor: Executor | None = None,
    progress: Progress | None = None,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """The comparison view model of `paths` (may be empty: the rule-set diff only) under `base` and `candidate`."""
    from ..ruleset import load_ruleset
    from ..ruleset.loader import find_ruleset

    new = load_ruleset(candidate)
    old = None if base == REPORTED else load_ruleset(base)
    candidate_path = str(find_ruleset(candidate).resolve())
    base_path = REPORTED if old is None else str(find_ruleset(base).resolve())
    grades = [g.id for g in new.grades] + ([g.id for g in old.grades] if old is not None else [])
    sink = Comparison(
        _REPORTED_INFO if old is None else ruleset_info(old), ruleset_info(new), list(dict.fromkeys(grades))
    )
    run(tasks_for(paths), CompareWork(base_path, candidate_path), executor or SerialExecutor(), sink, progress)
    for failure in sink.failed:
        echo(f"perfeval: {failure['reason']}")
    return sink.view([] if old is None else diff_rulesets(old, new))
