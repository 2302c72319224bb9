"""Every broken rule file fails with exactly the located message recorded in expected.yaml."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from perfeval_rules._yaml import load_file
from perfeval_rules.cli import cli
from perfeval_rules.errors import PerfevalError
from perfeval_rules.ruleset import load_ruleset

HERE = Path(__file__).parent / "data" / "bad_rules"
EXPECTED: dict[str, str] = load_file(HERE / "expected.yaml").data


def test_every_bad_file_has_an_expected_message() -> None:
    files = {p.name for p in HERE.glob("*.yaml")} - {"expected.yaml"}
    assert files == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_rule_file_gives_its_message(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)
    with pytest.raises(PerfevalError) as info:
        load_ruleset(name)
    assert str(info.value) == EXPECTED[name]


def test_validate_reports_each_file_and_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(HERE)
    ok = str(Path(__file__).parents[1] / "rules" / "cn-mof-2020.yaml")
    result = CliRunner().invoke(cli, ["validate", ok, "band-gap.yaml"])
    assert result.exit_code == 2
    assert result.stdout == f"OK {ok}\n"
    assert result.stderr == f"{EXPECTED['band-gap.yaml']}\n"
