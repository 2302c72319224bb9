"""The seed example end to end, as a user runs it: the CLI's JSON and Markdown against golden files.

Set PERFEVAL_UPDATE_GOLDENS=1 to rewrite the goldens after an intended change, and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from goldens import check_golden

from perfeval_rules.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SEED = "examples/xinhong-community-party-building.tsv"
GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_seed_report_matches_golden(fmt: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the report names the source as given on the command line
    result = CliRunner().invoke(cli, ["evaluate", SEED, "--rules", "cn-mof-2020", "--format", fmt])
    assert result.exit_code == 0, result.output
    check_golden(result.stdout, GOLDEN / f"xinhong.cn-mof-2020.{fmt}")


def test_seed_html_report_is_byte_identical_across_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    outputs = []
    for name in ("a.html", "b.html"):
        result = CliRunner().invoke(cli, ["evaluate", SEED, "--rules", "cn-mof-2020", "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
        outputs.append((tmp_path / name).read_bytes())
    assert outputs[0] == outputs[1]
    assert b"94.09" in outputs[0]
