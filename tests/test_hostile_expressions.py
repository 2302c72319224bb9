"""Hostile expressions in rule sets: refused at load with a located message, or evaluated to explicit results.

Extreme nesting and length never reach a RecursionError; division by zero and huge or tiny numbers give
a score or a `score-undefined` finding, never a crash.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from perfeval_rules import _yaml
from perfeval_rules.cli import cli
from perfeval_rules.errors import RuleSetError
from perfeval_rules.ruleset import load_ruleset

DATA = Path(__file__).parent / "data" / "hostile"
CASES = _yaml.load_file(DATA / "expressions.yaml").data
FORM = str(DATA / "form.yaml")


def _ruleset(case: dict[str, Any], folder: Path) -> Path:
    """A rule set extending cn-mof-2020 with the case's expression as the budget score or a first policy."""
    expression = "".join(text * times for text, times in case["expression"])
    quoted = json.dumps(expression, ensure_ascii=False)
    head = f"id: hostile-{case['name']}\ntitle: 恶意表达式\nversion: '1'\nextends: cn-mof-2020\n"
    if case["at"] == "budget":
        body = f"budget:\n  score: {quoted}\n"
    else:
        body = f"policies:\n  - id: hostile\n    when: has_weight\n    score: {quoted}\n    before: not-scorable\n"
    path = folder / f"{case['name']}.yaml"
    path.write_text(head + body, encoding="utf-8")
    return path


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("case", CASES["refused"], ids=[c["name"] for c in CASES["refused"]])
def test_hostile_expression_is_refused_at_load(case: dict[str, Any], tmp_path: Path) -> None:
    path = _ruleset(case, tmp_path)
    head = case["message"].replace("{path}", str(path))
    with pytest.raises(RuleSetError) as caught:
        load_ruleset(path)
    lines = str(caught.value).splitlines()
    assert lines[0] == head
    assert lines[-1].strip() == "^"  # the offending text is shown with a caret under it
    code, out, err = _run("validate", str(path))
    assert (code, out, err.splitlines()[0]) == (2, "", head)
    code, out, err = _run("evaluate", FORM, "--rules", str(path))
    assert (code, out, err.splitlines()[0]) == (2, "", f"perfeval: {head}")
    assert "Traceback" not in err


@pytest.mark.parametrize("case", CASES["result"], ids=[c["name"] for c in CASES["result"]])
def test_hostile_arithmetic_gives_an_explicit_result(case: dict[str, Any], tmp_path: Path) -> None:
    path = _ruleset(case, tmp_path)
    code, out, err = _run("evaluate", FORM, "--rules", str(path))
    assert (code, err) == (0, "")
    result = json.loads(out, parse_float=Decimal)
    if "budget_score" in case:
        got, want = result["budget"]["score"], case["budget_score"]
    else:
        got, want = result["indicators"][0]["score"], case["score"]
    assert got == (None if want is None else Decimal(want))
    findings = {f["code"]: f["message"] for f in [*result["findings"], *result["indicators"][0]["findings"]]}
    for code_, message in case["findings"].items():
        assert findings[code_] == message
