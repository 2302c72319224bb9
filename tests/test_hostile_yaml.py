"""Hostile YAML in forms and rule sets: forbidden tags, bombs, deep nesting, huge documents, bad characters.

Each is refused with a located message (YamlError, E002) by the loader and by the CLI, exit 2, no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from perfeval_rules import _compose, _yaml
from perfeval_rules.cli import cli
from perfeval_rules.errors import InputError, YamlError
from perfeval_rules.forms import load_form
from perfeval_rules.ruleset import load_ruleset

DATA = Path(__file__).parent / "data" / "hostile"
CASES = _yaml.load_file(DATA / "yaml.yaml").data
FORM = DATA / "form.yaml"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_hostile_yaml_is_refused_everywhere(case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text(case["text"], encoding="utf-8")
    message = case["message"].replace("{path}", str(path))
    with pytest.raises(YamlError) as caught:
        load_form(path)
    assert str(caught.value) == message
    with pytest.raises(YamlError) as caught:
        load_ruleset(path)
    assert str(caught.value) == message
    assert _run("validate", str(path)) == (2, "", message + "\n")
    assert _run("evaluate", str(path), "--rules", "cn-mof-2020") == (2, "", f"perfeval: {message}\n")
    assert _run("evaluate", str(FORM), "--rules", str(path)) == (2, "", f"perfeval: {message}\n")
    assert not (tmp_path / "pwned.txt").exists() and not Path("pwned.txt").exists()


def _billion_laughs(levels: int) -> str:
    lines = ['a0: &a0 "lol"']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    path = tmp_path / "bomb.yaml"
    path.write_text(_billion_laughs(9), encoding="utf-8")  # 10^9 values once expanded, 500 bytes on disk
    start = time.monotonic()
    with pytest.raises(YamlError) as caught:
        load_form(path)
    assert time.monotonic() - start < 5
    assert str(caught.value).startswith(
        f"{path}:1:5: document too large: more than {_yaml.MAX_NODES} values (aliases included) [E002]"
    )
    code, out, err = _run("validate", str(path))
    assert (code, out) == (2, "") and "document too large" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("project: " + "[" * 5000 + "]" * 5000 + "\n", "1:110"),  # flow sequences
        ("project: " + "[" * 150 + "]" * 150 + "\n", "1:110"),  # shallow enough for libyaml, too deep for us
        ("project: " + "{a: " * 5000 + "1" + "}" * 5000 + "\n", "1:407"),  # flow mappings
        ("project:\n" + "".join(" " * (i + 1) + "- \n" for i in range(3000)), "102:102"),  # block sequences
        ("".join(" " * i + f"k{i}:\n" for i in range(3000)) + " " * 3000 + "x\n", "101:101"),  # block mappings
    ],
    ids=["flow-sequences", "flow-sequences-libyaml", "flow-mappings", "block-sequences", "block-mappings"],
)
def test_deep_nesting_stops_at_the_limit_without_recursion_error(text: str, where: str, tmp_path: Path) -> None:
    path = tmp_path / "deep.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(YamlError) as caught:
        _yaml.load_file(path)
    head = str(caught.value).splitlines()[0]
    assert head == f"{path}:{where}: document nested deeper than {_yaml.MAX_DEPTH} levels [E002]"


def test_many_values_stop_while_parsing(tmp_path: Path) -> None:
    path = tmp_path / "long.yaml"
    path.write_text("project: x\nindicators:\n" + "  - 1\n" * (_yaml.MAX_NODES + 10), encoding="utf-8")
    with pytest.raises(YamlError) as caught:
        _yaml.load_file(path)
    line = _yaml.MAX_NODES - 2  # the root, its keys and `project` value come first
    assert str(caught.value).splitlines()[0] == (
        f"{path}:{line}:5: document too large: more than {_yaml.MAX_NODES} values (aliases included) [E002]"
    )


def test_file_larger_than_the_limit_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as out:
        out.write(b"project: '")
        out.write(b"x" * (_yaml.MAX_BYTES + 1))
        out.write(b"'\n")
    start = time.monotonic()
    with pytest.raises(InputError) as caught:
        load_form(path)
    assert time.monotonic() - start < 2
    assert str(caught.value) == f"{path}: file is larger than 20 MiB [E001]"
    assert _run("validate", str(path)) == (2, "", f"{path}: file is larger than 20 MiB [E001]\n")


def test_huge_integer_is_out_of_range_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "x.yaml"
    path.write_text("project: x\nreported_total: " + "9" * 5000 + "\nindicators: []\n", encoding="utf-8")
    code, out, err = _run("evaluate", str(path), "--rules", "cn-mof-2020")
    assert (code, out) == (2, "")
    assert err.splitlines()[0] == (
        f"perfeval: {path}:2:17: number 999999999999…999999999999 (5000 characters) is out of range"
        " (beyond 1e±1000) [E002]"
    )


def test_surrogate_pair_escapes_join_into_one_character() -> None:
    assert _yaml.load_text('{"project": "\\ud83d\\ude00"}').data == {"project": "😀"}


@pytest.mark.parametrize("key", ["yes", "off", "~", "null", "1", "0x1f"])
def test_keys_keep_their_written_form(key: str) -> None:
    """YAML 1.1 reads `yes:` as true and `~:` as null; as keys they stay the text written, not 'True' or 'None'."""
    expected = "31" if key == "0x1f" else key
    assert list(_yaml.load_text(f"{key}: v\n").data) == [expected]


def test_python_tag_through_a_real_process(tmp_path: Path) -> None:
    """No object is built, no command runs, and the message reaches stderr as it is."""
    path = tmp_path / "x.yaml"
    path.write_text('project: !!python/object/apply:os.system ["touch pwned.txt"]\nindicators: []\n', "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "perfeval_rules", "evaluate", str(path), "--rules", "cn-mof-2020"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])},
        timeout=60,
    )
    assert (proc.returncode, proc.stdout) == (2, "")
    assert proc.stderr == (
        f"perfeval: {path}:1:10: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed here [E002]\n"
        '    project: !!python/object/apply:os.system ["touch pwned.txt"]\n'
        "             ^\n"
    )
    assert not (tmp_path / "pwned.txt").exists()


@pytest.mark.parametrize("limit", [10, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1, 200_000])
def test_a_file_is_read_whole_up_to_the_limit_and_refused_one_byte_over(
    limit: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_yaml, "MAX_BYTES", limit)
    path = tmp_path / "form.tsv"
    for size in [s for s in (limit - 1, limit, 64 * 1024 - 1, 64 * 1024, 64 * 1024 + 1) if s <= limit]:
        path.write_bytes(bytes(range(256)) * (size // 256) + b"x" * (size % 256))
        assert _yaml.read_bytes(path) == path.read_bytes()
    path.write_bytes(b"x" * (limit + 1))
    with pytest.raises(InputError) as caught:
        _yaml.read_bytes(path)
    assert caught.value.message == f"file is larger than {limit // (1024 * 1024)} MiB"


def _outcome(text: str, name: str) -> Any:
    try:
        document = _yaml.load_text(text, name)
    except YamlError as exc:
        return str(exc)
    return document.data, document.positions


def test_libyaml_gives_what_the_python_loader_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every YAML file of the project loads to the same data and positions, or fails with the same message."""
    root = Path(__file__).resolve().parents[1]
    files = sorted({*root.glob("rules/**/*.yaml"), *root.glob("tests/**/*.yaml"), *root.glob("examples/*.yaml")})
    texts = {str(f): f.read_text(encoding="utf-8") for f in files}
    fast = {name: _outcome(text, name) for name, text in texts.items()}
    composed = [name for name, text in texts.items() if _compose._libyaml_node(text) is not _compose._UNSURE]
    assert len(files) > 30 and len(composed) > 30
    monkeypatch.setattr(_compose, "_libyaml_node", lambda text: _compose._UNSURE)
    assert fast == {name: _outcome(text, name) for name, text in texts.items()}
