"""The worked example of docs/rules.md, as policy staff follow it: copy, change one band, validate, test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfeval_rules.cli import cli

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")


def _guide_block(after: str) -> str:
    """The first fenced block of the guide that follows the line containing `after`, without the command."""
    tail = GUIDE.split(after, 1)[1]
    block = re.search(r"```\n(.*?)```", tail, re.S)
    assert block is not None
    return "\n".join(line[3:] for line in block.group(1).splitlines() if not line.lstrip().startswith("$"))


@pytest.fixture
def copied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "my" / "tests").mkdir(parents=True)
    rules = (ROOT / "rules" / "cn-mof-2020.yaml").read_text(encoding="utf-8")
    (tmp_path / "my" / "my-rules.yaml").write_text(rules.replace("id: cn-mof-2020", "id: my-rules", 1), "utf-8")
    cases = (ROOT / "rules" / "tests" / "cn-mof-2020.yaml").read_text(encoding="utf-8")
    (tmp_path / "my" / "tests" / "my-rules.yaml").write_text(
        cases.replace("ruleset: cn-mof-2020", "ruleset: my-rules", 1), "utf-8"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path / "my" / "my-rules.yaml"


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_unchanged_copy_validates_and_passes_its_own_cases(copied: Path) -> None:
    assert CliRunner().invoke(cli, ["validate", "my/my-rules.yaml"]).output == "OK my/my-rules.yaml\n"
    result = CliRunner().invoke(cli, ["test", "my/"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "55 passed, 0 failed"


def test_changing_one_band_shows_what_broke_exactly_as_the_guide_says(copied: Path) -> None:
    _edit(copied, "{id: 1, label: 达成年度指标, low: 0.8,", "{id: 1, label: 达成年度指标, low: 0.85,")
    result = CliRunner().invoke(cli, ["validate", "my/my-rules.yaml"])
    assert result.exit_code == 2
    assert result.output.rstrip("\n") == _guide_block("3. Validate.").rstrip("\n")

    _edit(copied, "low: 0.6, high: 0.8, low_inclusive: true", "low: 0.6, high: 0.85, low_inclusive: true")
    assert CliRunner().invoke(cli, ["validate", "my/my-rules.yaml"]).output == "OK my/my-rules.yaml\n"
    result = CliRunner().invoke(cli, ["test", "my/"])
    assert result.exit_code == 1
    assert result.output.rstrip("\n") == _guide_block("4. Run the cases.").rstrip("\n")
