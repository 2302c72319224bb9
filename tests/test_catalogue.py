"""The code catalogue covers every error class, every finding code of the bundled rule sets and the engine, and
every import note, and nothing else; docs/errors.md is generated from it; `perfeval explain-code` reads it.
"""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfeval_rules import _yaml, errors
from perfeval_rules.catalogue import Entry, catalogue, markdown
from perfeval_rules.cli import cli
from perfeval_rules.expr import ExprError
from perfeval_rules.resources import rules_dir
from perfeval_rules.ruleset import bundled_ids, load_ruleset

PACKAGE = Path(errors.__file__).parent
ROOT = PACKAGE.parent


def _section(name: str) -> dict[str, Entry]:
    return {code: entry for code, entry in catalogue().items() if entry.section == name}


def test_every_error_class_has_an_entry_and_every_entry_a_class() -> None:
    classes = [c for _, c in inspect.getmembers(errors, inspect.isclass) if issubclass(c, errors.PerfevalError)]
    codes = {c.code for c in [*classes, ExprError]}
    assert codes == set(_section("errors"))


def _engine_codes() -> set[str]:
    """Finding codes the engine itself emits: the literal code of each (code, severity, message) it builds."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in (PACKAGE / "engine").glob("*.py"))
    return set(re.findall(r"\(\s*\"([a-z0-9]+(?:-[a-z0-9]+)+)\",\s*\"(?:error|warning|info)\"", source))


def test_every_finding_code_has_an_entry_and_nothing_is_stale() -> None:
    checks = {c.id: c for rid in bundled_ids() for c in load_ruleset(rid).checks}
    engine = _engine_codes()
    assert {"score-undefined", "no-policy", "expression-undefined", "grade-undefined"} <= engine
    assert not engine & set(checks)
    findings = _section("findings")
    assert set(findings) == set(checks) | engine
    for code, entry in findings.items():
        if code in engine:
            assert entry.source == "engine", code
            continue
        assert entry.severity == checks[code].severity, code
        own = _yaml.load_file(rules_dir() / f"{entry.source}.yaml").data.get("checks", [])
        assert code in {c["id"] for c in own}, f"{code} is not defined in {entry.source}"
        # The example is the check's message template filled in: same text around the placeholders.
        template = re.escape(checks[code].message)
        pattern = re.sub(r"\\\{[^}]+\\\}", ".+?", template)
        assert re.fullmatch(pattern, entry.example), code


def test_every_import_note_code_has_an_entry() -> None:
    source = (PACKAGE / "forms" / "_importer.py").read_text(encoding="utf-8")
    calls = re.findall(r"self\.note\(\s*(\"[a-z0-9-]+\"(?:\s+if\s[^\"]+else\s+\"[a-z0-9-]+\")?)", source)
    codes = {code for call in calls for code in re.findall(r"\"([a-z0-9-]+)\"", call)}
    assert "level2-missing" in codes and "split-target-joined" in codes
    assert codes == set(_section("import_notes"))
    for code, entry in _section("import_notes").items():
        assert entry.example.endswith(f"[{code}]"), code


def test_error_examples_end_with_their_code() -> None:
    for code, entry in _section("errors").items():
        if code in ("E000", "E007"):  # the base is never printed; a list prints its members' codes
            continue
        assert entry.example.splitlines()[0].endswith(f"[{code}]"), code


def test_docs_errors_md_is_generated_from_the_catalogue() -> None:
    docs = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert docs == markdown(), "run: python3 -m perfeval_rules.catalogue > docs/errors.md"


@pytest.mark.parametrize("code", ["E004", "e004", "score-mismatch", "no-policy", "label-joined"])
def test_explain_code_prints_the_entry(code: str) -> None:
    result = CliRunner().invoke(cli, ["explain-code", code])
    assert (result.exit_code, result.stderr) == (0, "")
    entry = catalogue()[code.upper() if code.startswith("e") else code]
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"{entry.code} (") and lines[0].endswith(f"): {entry.title}")
    assert [line for line in lines if line.endswith(":") and not line.startswith(" ")] == ["cause:", "example:", "fix:"]
    assert "\n".join(f"    {line}" for line in entry.example.splitlines()) in result.stdout


def test_explain_code_for_score_mismatch_exactly() -> None:
    result = CliRunner().invoke(cli, ["explain-code", "score-mismatch"])
    assert result.stdout == (
        "score-mismatch (finding, error, from cn-mof-2020): The reported score differs from the rule's score\n"
        "\n"
        "cause:\n"
        "    The self-reported 得分 differs from the computed score by more than the tolerance (±0.05).\n"
        "\n"
        "example:\n"
        "    自评得分 8.33 与按规则计算的得分 8 不符（容差 ±0.05）\n"
        "\n"
        "fix:\n"
        "    Check the computation (`perfeval explain FORM --rules … --indicator NAME` shows every step).\n"
    )


@pytest.mark.parametrize(
    ("code", "suggestion"),
    [("E01", " (did you mean 'E001'?)"), ("score-mismach", " (did you mean 'score-mismatch'?)"), ("zzz", "")],
)
def test_unknown_code_exits_2_with_did_you_mean(code: str, suggestion: str) -> None:
    result = CliRunner().invoke(cli, ["explain-code", code])
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"perfeval: unknown code {code!r}{suggestion} [E006]\n"
        "    hint: codes are E001…E008 for errors, or a finding or import-note code such as score-mismatch\n"
    )
