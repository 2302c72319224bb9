"""Loading rule sets: bundled ids, extends with overrides, immutability, hashing and caching."""

from __future__ import annotations

import dataclasses
import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from perfeval_rules.cli import cli
from perfeval_rules.errors import RuleSetError, UsageError
from perfeval_rules.ruleset import bundled_ids, load_ruleset, schema_text

RULES = Path(__file__).parents[1] / "rules"


def test_bundled_rule_sets() -> None:
    assert bundled_ids() == ["cn-fasp2-linear", "cn-hubei-2020", "cn-mof-2020", "cn-sichuan-2020"]


def test_cn_mof_2020_records_the_national_rules() -> None:
    rs = load_ruleset("cn-mof-2020")
    assert rs.lineage == ("cn-mof-2020",)
    assert rs.budget.weight == 10
    assert [p.id for p in rs.policies] == ["not-scorable", "tier", "met", "proportional", "reverse-proportional"]
    assert [(t.id, t.band.describe(), t.default) for t in rs.tiers] == [
        (1, "[0.8, 1]", 1),
        (2, "[0.6, 0.8)", Decimal("0.6")),
        (3, "[0, 0.6)", 0),
    ]
    assert [(g.id, g.band.describe()) for g in rs.grades] == [
        ("优", "[90, 100]"),
        ("良", "[80, 90)"),
        ("中", "[60, 80)"),
        ("差", "[0, 60)"),
    ]
    assert (rs.score_tolerance, rs.rate_tolerance, rs.over_achievement) == (
        Decimal("0.05"),
        Decimal("0.01"),
        Decimal("1.2"),
    )
    assert rs.rounding.places == 2 and rs.rounding.mode == "half_up"
    assert rs.grade_of(Decimal("89.99")) == "良" and rs.grade_of(Decimal(90)) == "优"


def test_hubei_extends_and_overrides_by_id() -> None:
    rs = load_ruleset("cn-hubei-2020")
    assert rs.lineage == ("cn-hubei-2020", "cn-mof-2020")
    assert rs.budget.weight == 20
    assert rs.budget.doc.startswith("得分 = 20分")
    assert [t.band.describe() for t in rs.tiers] == ["[0.8, 1]", "[0.5, 0.8)", "[0, 0.5)"]
    mof = load_ruleset("cn-mof-2020")
    assert [c.id for c in rs.checks] == [*(c.id for c in mof.checks), "indicator-weights-not-80"]
    assert rs.vocabulary_data == mof.vocabulary_data


def test_fasp2_replaces_one_policy_in_place() -> None:
    rs = load_ruleset("cn-fasp2-linear")
    assert [p.id for p in rs.policies] == ["not-scorable", "tier", "met", "proportional", "reverse-proportional"]
    assert rs.policies[-1].doc.startswith("反向指标线性扣分")


def test_remove_and_before(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(
        f"""id: child
title: t
version: "1"
extends: {RULES / "cn-mof-2020.yaml"}
remove:
  checks: [over-achieved, grade-differs]
policies:
  - id: zero-weight
    before: tier
    when: has_weight and 分值 == 0
    score: 0
""",
        encoding="utf-8",
    )
    rs = load_ruleset(child)
    assert [p.id for p in rs.policies][:3] == ["not-scorable", "zero-weight", "tier"]
    ids = [c.id for c in rs.checks]
    assert "over-achieved" not in ids and "grade-differs" not in ids
    assert rs.lineage == ("child", "cn-mof-2020")


def test_unknown_before_id_is_located(tmp_path: Path) -> None:
    child = tmp_path / "child.yaml"
    child.write_text(
        'id: child\ntitle: t\nversion: "1"\nextends: cn-mof-2020\npolicies:\n'
        "  - {id: x, before: tierr, when: true, score: 0}\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleSetError) as info:
        load_ruleset(child)
    assert str(info.value) == (
        f"{child}:6:21: no inherited policies id 'tierr' (did you mean 'tier'?) [E004]\n"
        "      - {id: x, before: tierr, when: true, score: 0}\n"
        "                        ^"
    )


def test_rule_set_is_immutable_hashed_and_cached(tmp_path: Path) -> None:
    copy = tmp_path / "mine.yaml"
    shutil.copy(RULES / "cn-mof-2020.yaml", copy)
    first = load_ruleset(copy)
    assert load_ruleset(copy) is first
    assert first.sha256 == load_ruleset("cn-mof-2020").sha256  # same resolved content, same hash
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.id = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        first.data["budget"]["weight"] = 20  # type: ignore[index]
    text = copy.read_text(encoding="utf-8").replace("over_achievement: 1.2", "over_achievement: 1.3")
    copy.write_text(text, encoding="utf-8")
    import os

    os.utime(copy, ns=(1, 1))  # a different mtime even on coarse file systems
    second = load_ruleset(copy)
    assert second is not first
    assert second.over_achievement == Decimal("1.3") and second.sha256 != first.sha256


def test_a_relative_rule_set_name_is_found_again_from_another_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for folder, factor in (("a", "1.3"), ("b", "1.4")):
        (tmp_path / folder).mkdir()
        text = (RULES / "cn-mof-2020.yaml").read_text(encoding="utf-8")
        (tmp_path / folder / "mine.yaml").write_text(
            text.replace("over_achievement: 1.2", f"over_achievement: {factor}"), encoding="utf-8"
        )
    monkeypatch.chdir(tmp_path / "a")
    first = load_ruleset("mine.yaml")
    assert load_ruleset("mine.yaml") is first and first.over_achievement == Decimal("1.3")
    monkeypatch.chdir(tmp_path / "b")
    assert load_ruleset("mine.yaml").over_achievement == Decimal("1.4")
    monkeypatch.chdir(tmp_path / "a")
    assert load_ruleset("mine.yaml") is first


def test_unknown_rule_set_name() -> None:
    with pytest.raises(UsageError, match=r"no rule set 'cn-mof-2021': not a file and not a bundled id \(did you"):
        load_ruleset("cn-mof-2021")


def test_schema_command_prints_the_shipped_schema() -> None:
    result = CliRunner().invoke(cli, ["schema", "ruleset"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema == json.loads(schema_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False


def test_validate_bundled_rule_sets() -> None:
    files = [str(RULES / f"{i}.yaml") for i in bundled_ids()]
    result = CliRunner().invoke(cli, ["validate", *files])
    assert result.exit_code == 0
    assert result.stdout == "".join(f"OK {f}\n" for f in files)


def test_schema_embeds_the_notation_vocabulary_schema() -> None:
    from perfeval_rules.notation import VOCABULARY_SCHEMA

    assert json.loads(schema_text())["$defs"]["vocabulary"] == VOCABULARY_SCHEMA


def test_cn_mof_2020_carries_the_default_vocabulary() -> None:
    from perfeval_rules.notation import default_vocabulary

    assert load_ruleset("cn-mof-2020").vocabulary == default_vocabulary()


def test_a_child_vocabulary_key_replaces_the_inherited_one(tmp_path: Path) -> None:
    from perfeval_rules.notation import Outcome, parse_actual

    child = tmp_path / "child.yaml"
    child.write_text(
        'id: child\ntitle: t\nversion: "1"\nextends: cn-mof-2020\nvocabulary:\n  completion: [办结]\n',
        encoding="utf-8",
    )
    rs = load_ruleset(child)
    assert rs.vocabulary_data["completion"] == ("办结",)
    assert rs.vocabulary_data["units"] == load_ruleset("cn-mof-2020").vocabulary_data["units"]
    assert parse_actual("办结", rs.vocabulary).kind == "completion"
    assert isinstance(parse_actual("达成指标", rs.vocabulary), Outcome)


def test_guide_documents_every_variable_and_finding_code() -> None:
    from perfeval_rules.ruleset.variables import SCOPES

    guide = (RULES.parent / "docs" / "rules.md").read_text(encoding="utf-8")
    names = {v.name for specs in SCOPES.values() for v in specs}
    assert [n for n in sorted(names) if f"`{n}`" not in guide] == []
    codes = {c.id for i in bundled_ids() for c in load_ruleset(i).checks}
    codes |= {"score-undefined", "no-policy", "expression-undefined", "grade-undefined"}
    assert [c for c in sorted(codes) if f"`{c}`" not in guide] == []
