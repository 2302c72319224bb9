"""The user cache folder is used only when it is private to this user; PERFEVAL_CACHE_DIR chooses or disables it."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from perfeval_rules import _cache


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    _cache.cache_dir.cache_clear()
    yield
    _cache.cache_dir.cache_clear()


def test_a_chosen_folder_is_created_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERFEVAL_CACHE_DIR", str(tmp_path / "c"))
    assert _cache.cache_dir() == tmp_path / "c"
    assert (tmp_path / "c").stat().st_mode & 0o777 == 0o700
    assert _cache.cache_file("lark-expr.pickle") == str(tmp_path / "c" / "lark-expr.pickle")


def test_a_folder_others_may_write_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    os.chmod(shared, 0o777)
    monkeypatch.setenv("PERFEVAL_CACHE_DIR", str(shared))
    assert _cache.cache_dir() is None
    assert _cache.cache_file("lark-expr.pickle") is False


def test_an_empty_setting_turns_caching_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERFEVAL_CACHE_DIR", "")
    assert _cache.cache_dir() is None


def test_the_default_is_under_the_user_cache_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PERFEVAL_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _cache.cache_dir() == tmp_path / "perfeval"


def test_a_file_in_place_of_the_folder_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "c").write_text("not a folder", encoding="utf-8")
    monkeypatch.setenv("PERFEVAL_CACHE_DIR", str(tmp_path / "c"))
    assert _cache.cache_dir() is None


def test_grammars_and_documents_are_kept_between_runs(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PERFEVAL_CACHE_DIR": str(tmp_path / "c"), "PYTHONPATH": str(root)}
    example = root / "examples" / "xinhong-community-party-building.tsv"
    args = [sys.executable, "-m", "perfeval_rules", "evaluate", str(example), "--rules", "cn-mof-2020"]
    first = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=True)
    names = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert names[:3] == ["expr-trees.pickle", "lark-expr.pickle", "lark-notation.pickle"]
    assert [n.rsplit("-", 1)[0] for n in names[3:]] == ["valid-file", "valid-ruleset", "yaml"]  # see the tests below
    again = subprocess.run(args, cwd=root, env=env, capture_output=True, text=True, check=True)
    assert again.stdout == first.stdout
    assert '"total": 94.09' in first.stdout


CHECKS = """
import sys
from perfeval_rules import load_ruleset
from perfeval_rules.errors import PerfevalError
try:
    print(load_ruleset(sys.argv[1]).id, "jsonschema" in sys.modules)
except PerfevalError as exc:
    print(exc)
"""


def test_a_rule_set_that_passed_its_schema_checks_is_not_checked_again(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PERFEVAL_CACHE_DIR": str(tmp_path / "c"), "PYTHONPATH": str(root)}
    rules = tmp_path / "mine.yaml"
    rules.write_text("extends: cn-mof-2020\nid: mine\ntitle: Mine\nversion: '1'\n", encoding="utf-8")

    def load() -> str:
        done = subprocess.run([sys.executable, "-c", CHECKS, str(rules)], cwd=root, env=env, capture_output=True)
        return done.stdout.decode("utf-8").strip()

    assert load() == "mine True"  # checked, and remembered: one marker per file and one for the whole
    assert len([p for p in (tmp_path / "c").iterdir() if p.name.startswith("valid-")]) == 3
    assert load() == "mine False"  # the same bytes: jsonschema is not even imported
    rules.write_text(rules.read_text(encoding="utf-8") + "rounding: {places: many}\n", encoding="utf-8")
    assert load() == (  # other bytes are checked again
        f"{rules}:5:12: rounding.places must be a whole number, not the text 'many' [E003]\n"
        "    rounding: {places: many}\n               ^"
    )


# A process that loads cn-mof-2020 and says whether it needed lark (to build the expression parser).
_LOAD = """
import sys
from perfeval_rules import load_ruleset
ruleset = load_ruleset("cn-mof-2020")
print(int("lark" in sys.modules), ruleset.policies[0].when.text)
"""


def _load(folder: Path) -> str:
    env = {**os.environ, "PERFEVAL_CACHE_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-c", _LOAD], env=env, capture_output=True, text=True, check=True)
    return done.stdout


def test_expression_trees_are_kept_for_the_next_run(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    first = _load(folder)
    assert first.startswith("1 ")  # parsed with lark, and the trees written when the process ended
    store = folder / "expr-trees.pickle"
    _, trees = pickle.loads(store.read_bytes())
    assert first.split(" ", 1)[1].strip() in trees and len(trees) < 100  # what this run used, no more
    assert _load(folder) == "0" + first[1:]  # the same rule set, without lark
    for bad in (b"", b"not a pickle", pickle.dumps(("another grammar", {}))):
        store.write_bytes(bad)
        assert _load(folder) == first  # anything else is ignored and written afresh
    assert _load(folder) == "0" + first[1:]


# A process that loads a rule set and says whether it needed the YAML library, and what the rule set is.
_KEPT = """
import sys
from perfeval_rules import load_ruleset
ruleset = load_ruleset(sys.argv[1])
print(int("yaml" in sys.modules), ruleset.id, ruleset.title, ruleset.sha256)
"""


def _kept(folder: Path, rules: Path) -> tuple[int, str, int]:
    """(returncode, stdout or stderr) of loading `rules` with the cache folder `folder`."""
    env = {**os.environ, "PERFEVAL_CACHE_DIR": str(folder)}
    done = subprocess.run([sys.executable, "-c", _KEPT, str(rules)], env=env, capture_output=True, text=True)
    return done.returncode, done.stdout or done.stderr, len(list(folder.glob("yaml-documents.pickle")))


def test_rule_set_documents_are_kept_for_the_next_run(tmp_path: Path) -> None:
    folder = tmp_path / "c"
    rules = tmp_path / "mine.yaml"
    rules.write_text("id: mine\nextends: cn-mof-2020\ntitle: 我的规则\nversion: \"1\"\n", encoding="utf-8")
    code, first, stored = _kept(folder, rules)
    assert (code, first[:2], stored) == (0, "1 ", 1)  # composed with PyYAML, and kept when the process ended
    assert _kept(folder, rules) == (0, "0" + first[1:], 1)  # the same documents, without PyYAML
    rules.write_text("id: mine\nextends: cn-mof-2020\ntitle: 新的规则\nversion: \"1\"\n", encoding="utf-8")
    code, changed, _ = _kept(folder, rules)
    assert (code, changed[:2]) == (0, "1 ") and "新的规则" in changed  # other bytes are composed again
    store = folder / "yaml-documents.pickle"
    for bad in (b"", b"not a pickle", pickle.dumps(("another version", {}))):
        store.write_bytes(bad)
        assert _kept(folder, rules) == (0, changed, 1)  # anything else is ignored and written afresh
    rules.write_text("id: mine\nextends: cn-mof-2020\ntitle: [\n", encoding="utf-8")
    code, error, _ = _kept(folder, rules)
    assert code == 1 and "YAML syntax" in error  # a broken file is reported as ever, and never kept
    assert _kept(folder, rules)[:2] == (code, error)
