"""The benchmark's form generator: deterministic, and its forms import and evaluate cleanly (not a timing test)."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

import pytest

from perfeval_rules import evaluate, load_form, load_ruleset

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import generate


def test_same_seed_same_forms() -> None:
    assert generate.to_tsv(generate.spec(7)) == generate.to_tsv(generate.spec(7))
    assert generate.to_yaml(generate.spec(7)) == generate.to_yaml(generate.spec(7))
    assert generate.to_tsv(generate.spec(7)) != generate.to_tsv(generate.spec(8))
    assert generate.to_tsv(generate.spec(7, seed=1)) != generate.to_tsv(generate.spec(7))


@pytest.mark.parametrize("fmt", ["tsv", "yaml"])
def test_forms_import_and_evaluate_without_unparsed_cells(tmp_path: Path, fmt: str) -> None:
    ruleset = load_ruleset("cn-mof-2020")
    paths = generate.write(tmp_path, 12, fmt)
    assert [p.name for p in paths] == [f"form-{i:05d}.{fmt}" for i in range(12)]
    kinds: Counter[str] = Counter()
    for n, path in enumerate(paths):
        spec = generate.spec(n)
        form = load_form(path)
        assert [(i.level1, i.level2, i.target_text, i.actual_text) for i in form.indicators] == [
            (r.level1, r.level2, r.target, r.actual) for r in spec.rows
        ]
        evaluation = evaluate(ruleset, form)
        assert all(i.target.kind not in ("unparsed", "missing") for i in evaluation.indicators)
        assert all(i.actual.kind not in ("unparsed", "missing") for i in evaluation.indicators)
        assert all(i.score is not None for i in evaluation.indicators)
        # The generator files the scores the rule gives, so the filed total is the computed one.
        assert evaluation.total == spec.total == form.reported_total
        assert evaluate(ruleset, generate.to_form(spec)).total == spec.total
        kinds.update(i.kind for i in evaluation.indicators)
    rows = sum(kinds.values())
    assert rows == 12 * generate.ROWS
    assert 0.10 <= kinds["qualitative"] / rows + kinds["trend"] / rows + kinds["deadline"] / rows <= 0.25
    assert {"quantitative", "qualitative", "trend", "deadline"} <= set(kinds)
