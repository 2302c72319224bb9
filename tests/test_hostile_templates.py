"""User templates (`perfeval evaluate … --template PATH`) run in a sandbox that also bounds their work.

Reaching Python internals, reading files, runaway loops and huge values fail with a located message
(TemplateError, E008), exit 2, no traceback, nothing written.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfeval_rules import _yaml
from perfeval_rules.cli import cli
from perfeval_rules.report import _render

ROOT = Path(__file__).parents[1]
SEED = str(ROOT / "examples" / "xinhong-community-party-building.tsv")
TEMPLATES = Path(__file__).parent / "data" / "hostile" / "templates"
EXPECTED: dict[str, str] = _yaml.load_file(Path(__file__).parent / "data" / "hostile" / "templates.yaml").data


def test_every_hostile_template_has_an_expected_message() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in TEMPLATES.glob("*.j2"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_template_fails_located(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a `touch pwned.txt` that got through would land here
    monkeypatch.setattr(_render, "MAX_SECONDS", 1.0)  # a runaway loop is stopped after 1 s, not 10
    template = TEMPLATES / name
    output = tmp_path / "report.out"
    args = ["evaluate", SEED, "--rules", "cn-mof-2020", "--template", str(template), "-o", str(output)]
    result = CliRunner().invoke(cli, args)
    message = EXPECTED[name].replace("{path}", str(template))
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"perfeval: {message}\n")
    assert list(tmp_path.iterdir()) == []


def test_a_user_template_renders_and_is_escaped(tmp_path: Path) -> None:
    template = tmp_path / "mine.html.j2"
    template.write_text(
        "<p>{{ form.project }} {{ total|num(2) }} {{ '<b>' }}</p>{% for i in range(3) %}{{ i }}{% endfor %}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["evaluate", SEED, "--rules", "cn-mof-2020", "--template", str(template)])
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout == "<p>社区党建专项 94.09 &lt;b&gt;</p>012"  # trim_blocks drops the newline after a tag


def test_a_template_for_json_is_a_usage_error() -> None:
    args = ["evaluate", SEED, "--rules", "cn-mof-2020", "--format", "json", "--template", "x.html.j2"]
    result = CliRunner().invoke(cli, args)
    assert (result.exit_code, result.stderr) == (
        2,
        "perfeval: a template applies to html and md reports, not to json [E006]\n",
    )


def test_missing_template_is_located() -> None:
    result = CliRunner().invoke(cli, ["evaluate", SEED, "--rules", "cn-mof-2020", "--template", "nope.md.j2"])
    assert (result.exit_code, result.stderr) == (2, "perfeval: nope.md.j2: template file not found [E001]\n")


def test_sandbox_escape_through_a_real_process(tmp_path: Path) -> None:
    template = TEMPLATES / "cycler-globals.html.j2"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "perfeval_rules",
            "evaluate",
            SEED,
            "--rules",
            "cn-mof-2020",
            "--template",
            str(template),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == "perfeval: " + EXPECTED["cycler-globals.html.j2"].replace("{path}", str(template)) + "\n"


def test_a_batch_with_a_hostile_template_lists_every_form_as_failed(tmp_path: Path) -> None:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "a.tsv").write_text(Path(SEED).read_text(encoding="utf-8"), encoding="utf-8")
    template = TEMPLATES / "mro.html.j2"
    out = tmp_path / "out"
    args = ["evaluate", str(folder), "--rules", "cn-mof-2020", "--template", str(template), "-o", f"{out}/"]
    result = CliRunner().invoke(cli, args)
    message = EXPECTED["mro.html.j2"].replace("{path}", str(template))
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    assert f"perfeval: {message}\n" in result.stderr
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["index.html"]
