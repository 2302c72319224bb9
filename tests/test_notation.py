"""The notation grammar: data-driven cases, split columns, vocabulary as data, canonical text, CLI."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from perfeval_rules import _json, _yaml
from perfeval_rules.cli import _vocabulary_for, cli
from perfeval_rules.errors import RuleSetError, SchemaError, UsageError
from perfeval_rules.notation import (
    VOCABULARY_SCHEMA,
    Comparison,
    Completion,
    Date,
    Deadline,
    Missing,
    Notation,
    Outcome,
    Qualitative,
    Quantity,
    Range,
    Span,
    Trend,
    Unparsed,
    Vocabulary,
    canonical,
    default_vocabulary,
    from_columns,
    normalize,
    parse,
    parse_actual,
    parse_target,
)
from perfeval_rules.notation import parser as notation_parser
from perfeval_rules.notation.vocabulary import bundled_vocabulary_mapping

HERE = Path(__file__).parent
CASES = _yaml.load_file(HERE / "notation_cases.yaml").data
TARGET_KINDS = (Comparison, Range, Deadline, Trend)
ACTUAL_KINDS = (Quantity, Date, Outcome, Completion)


def _mapping() -> dict[str, Any]:
    """A fresh copy of the bundled vocabulary mapping, for tests that add words."""
    return bundled_vocabulary_mapping()


# ---- data-driven cases ---------------------------------------------------------------------------


def test_the_case_file_is_large_enough_and_covers_both_readings() -> None:
    assert len(CASES) >= 150
    assert {case["as"] for case in CASES} == {"target", "actual"}
    assert {case["expect"]["kind"] for case in CASES} == {
        "comparison",
        "range",
        "deadline",
        "trend",
        "qualitative",
        "quantity",
        "outcome",
        "completion",
        "date",
        "missing",
        "unparsed",
    }


@pytest.mark.parametrize("case", CASES, ids=[f"{c['as']}:{c['text']}" for c in CASES])
def test_notation_case(case: dict[str, Any]) -> None:
    value = parse(case["text"], as_=case["as"])
    # Compared as JSON text: exact digits, exact keys, exact key order, exact messages.
    assert _json.dumps(value.to_dict()) == _json.dumps(case["expect"])


def test_unparsed_values_point_at_the_column_where_reading_stopped() -> None:
    value = parse_target("≥3500.00(人")
    assert isinstance(value, Unparsed)
    assert value.column == 11
    assert value.error.splitlines()[1:] == ["    ≥3500.00(人", "               ^"]


def test_values_carry_the_normalised_text_and_its_span() -> None:
    value = parse_target(" ≥ 3,500.00 （人） ")
    assert value.text == "≥3500.00(人)"
    assert value.span == Span(0, len("≥3500.00(人)"))
    assert parse_target(None) == Missing()


def test_numeric_cells_read_like_their_digits() -> None:
    assert parse_actual(3125) == Quantity(value=Decimal(3125))
    assert parse_actual(Decimal("1E+3")) == Quantity(value=Decimal(1000))
    assert parse_target(Decimal("97.30")) == Comparison(op="≥", value=Decimal("97.3"), implied_op=True)


def test_values_are_frozen() -> None:
    value = parse_target("≥90%")
    with pytest.raises(dataclasses.FrozenInstanceError):
        value.op = "≤"  # type: ignore[union-attr,misc]


def _example_cells() -> tuple[set[str], set[str]]:
    """The target and actual cells of the example form: the two cells before weight and score."""
    targets: set[str] = set()
    actuals: set[str] = set()
    text = (HERE.parent / "examples" / "xinhong-community-party-building.tsv").read_text(encoding="utf-8")
    for line in text.splitlines():
        cells = line.split("\t")
        for i in range(len(cells) - 3):
            weight, score = cells[i + 2], cells[i + 3]
            if re.fullmatch(r"\d+\.\d\d", weight) and re.fullmatch(r"\d+(\.\d+)?", score) and cells[i] and cells[i + 1]:
                if not re.fullmatch(r"[\d.]+", cells[i]):
                    targets.add(cells[i])
                    actuals.add(cells[i + 1])
                break
    return targets, actuals


def test_the_cases_hold_every_target_and_actual_of_the_example_form() -> None:
    targets, actuals = _example_cells()
    assert len(targets) == 19
    assert len(actuals) == 13
    covered = {(c["as"], c["text"]) for c in CASES}
    assert {("target", t) for t in targets} <= covered
    assert {("actual", a) for a in actuals} <= covered
    assert not [t for t in targets if parse_target(t).kind == "unparsed"]
    assert not [a for a in actuals if parse_actual(a).kind == "unparsed"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("＞＝９０％", "≥90%"),
        ("≧90（％）", "≥90(%)"),
        ("2.38  万元", "2.38万元"),
        ("1 2", "1 2"),
        ("215,457.6", "215457.6"),
        ("1,2", "1,2"),
        ("1234,5", "1234,5"),
        ("(≥90%)", "≥90%"),
        ("(90)%(x)", "(90)%(x)"),
        ("=<5", "≤5"),
        ("full time", "full time"),
        ("……", ""),
    ],
)
def test_normalize(text: str, expected: str) -> None:
    assert normalize(text) == expected


# ---- split columns -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "as_", "joined"),
    [
        (("=", "100", "%"), "target", "=100%"),
        (("≥", "3500.00", "人"), "target", "≥3500.00(人)"),
        (("", "12", "个月"), "target", "12个月"),
        (("不少于", "12", "种"), "target", "不少于12种"),
        (("以上", "98", "%"), "target", "98%以上"),
        (("=", "100%", "%"), "target", "=100%"),
        (("＝", "100", "（％）"), "target", "=100%"),
        (("—", "43.2", "/"), "target", "43.2"),
        (("", "提高", ""), "target", "提高"),
        ((None, None, None), "target", ""),
        (("≥", "90", "%"), "actual", "≥90%"),
        (("", "3125", ""), "actual", "3125"),
    ],
)
def test_from_columns_equals_the_joined_text(
    cells: tuple[str | None, str | None, str | None], as_: str, joined: str
) -> None:
    value = from_columns(*cells, as_="actual" if as_ == "actual" else "target")
    assert value == parse(joined, as_="actual" if as_ == "actual" else "target")
    assert value.kind != "unparsed"


# ---- vocabulary as data --------------------------------------------------------------------------


def test_a_word_added_to_the_vocabulary_parses_without_a_code_change() -> None:
    mapping = _mapping()
    mapping["completion"].append("办结")
    mapping["units"].append("人天")
    mapping["word_operators"]["prefix"]["≥"].append("起码")
    mapping["outcome_tiers"]["1"].append("圆满完成")  # longer than the completion word 完成: it wins
    mapping["periods"].append("每半年")
    vocabulary = Vocabulary.from_mapping(mapping)

    assert parse_actual("办结") == Qualitative(text="办结")
    assert parse_actual("办结", vocabulary) == Completion()
    assert parse_target("≥5人天").kind == "unparsed"
    assert parse_target("≥5人天", vocabulary) == Comparison(op="≥", value=Decimal(5), unit="人天")
    assert parse_target("起码3次", vocabulary) == Comparison(op="≥", value=Decimal(3), unit="次")
    assert parse_actual("圆满完成", vocabulary) == Outcome(tier=1, label="达成年度指标")
    assert parse_actual("完成", vocabulary) == Completion()
    assert parse_target("每半年不少于1次", vocabulary) == Comparison(
        op="≥", value=Decimal(1), unit="次", scope="每半年"
    )


def test_unit_aliases_and_conversions() -> None:
    vocabulary = default_vocabulary()
    assert vocabulary.unit("百分比") == "%"
    assert vocabulary.unit("㎡") == "平方米"
    assert vocabulary.unit("人") == "人"
    assert vocabulary.conversion("万元") == ("元", Decimal(10000))
    assert vocabulary.conversion("人") is None
    assert vocabulary.tier_label(3) == "未达成年度指标且效果较差"
    assert vocabulary.level2_category("中心宣传展示及时性") == "时效指标"
    assert vocabulary.level2_category("党员满意度") == "满意度指标"
    assert vocabulary.level2_category("其他") is None


def test_vocabulary_is_cached_hashable_and_equal_by_content() -> None:
    assert default_vocabulary() is default_vocabulary()
    again = Vocabulary.from_mapping(_mapping())
    assert again == default_vocabulary()
    assert hash(again) == hash(default_vocabulary())
    changed = _mapping()
    changed["completion"].append("办结")
    assert Vocabulary.from_mapping(changed) != default_vocabulary()


def test_vocabulary_schema_is_valid_and_accepts_the_bundled_file() -> None:
    jsonschema.Draft202012Validator.check_schema(VOCABULARY_SCHEMA)
    assert VOCABULARY_SCHEMA["additionalProperties"] is False
    jsonschema.validate(_mapping(), VOCABULARY_SCHEMA)
    assert {"placeholders", "level2_keywords"} <= set(VOCABULARY_SCHEMA["properties"])


def test_vocabulary_errors_are_located() -> None:
    text = "vocabulary:\n  completion: [完成]\n  unit: [人]\n"
    document = _yaml.load_text(text, "r.yaml")
    with pytest.raises(SchemaError) as info:
        Vocabulary.from_mapping(document.data["vocabulary"], document, path=("vocabulary",))
    assert str(info.value) == (
        "r.yaml:3:3: vocabulary/unit: unknown key 'unit' (did you mean 'units'?) [E003]\n      unit: [人]\n      ^"
    )
    document = _yaml.load_text("completion: [完成, 7]\n", "v.yaml")
    with pytest.raises(SchemaError) as info:
        Vocabulary.from_mapping(document.data, document)
    assert str(info.value) == (
        "v.yaml:1:18: vocabulary/completion/1: 7 is not of type 'string' [E003]\n    completion: [完成, 7]\n"
        "                       ^"
    )


def test_a_word_in_two_classes_is_an_error() -> None:
    text = "vocabulary:\n  completion: [完成]\n  timely: [及时, 完成]\n"
    document = _yaml.load_text(text, "r.yaml")
    with pytest.raises(RuleSetError) as info:
        Vocabulary.from_mapping(document.data["vocabulary"], document, path=("vocabulary",))
    assert str(info.value) == (
        "r.yaml:3:16: vocabulary word '完成' is a timeliness word here but already a completion word [E004]\n"
        "      timely: [及时, 完成]\n"
        "                     ^"
    )


def test_a_word_that_is_a_symbol_is_an_error() -> None:
    with pytest.raises(RuleSetError, match="vocabulary word '至' clashes with the notation's own numbers and symbols"):
        Vocabulary.from_mapping({"periods": ["至"]})


# ---- memoisation ---------------------------------------------------------------------------------


def test_parsing_the_same_text_again_is_a_cache_hit() -> None:
    notation_parser.clear_cache()
    first = parse_target("≥3500.00(人)")
    second = parse_target("≥3500.00(人)")
    info = notation_parser.cache_info()
    assert first is second
    assert (info.hits, info.misses) == (1, 1)
    assert info.maxsize == notation_parser.CACHE_SIZE


def test_overlong_text_is_unparsed_not_read() -> None:
    value = parse_target("健" * (notation_parser.MAX_LENGTH + 1))
    assert isinstance(value, Unparsed)
    assert value.error.startswith(f"cannot read this target at column 1: text longer than {notation_parser.MAX_LENGTH}")


# ---- canonical text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "as_", "expected"),
    [
        ("≥3500.00(人)", "target", "≥3500.00人"),
        ("12个月", "target", "12个月"),
        ("6(月)", "target", "6(月)"),
        ("全年不少于2次", "target", "全年≥2次"),
        ("80%-100%", "target", "80%-100%"),
        ("±10%", "target", "±10%"),
        ("12月底之前完成", "target", "12月底前"),
        ("2021年12月31日", "target", "2021年12月31日"),
        ("按时完成", "target", "及时"),
        ("较上年提高", "target", "较上一年度提高"),
        ("健全", "target", "健全"),
        ("部分达成", "actual", "部分达成年度指标并具有一定效果"),
        ("是", "actual", "已完成"),
        ("≥90.00%", "actual", "≥90.00%"),
        ("7月", "actual", "7月"),
        ("—", "actual", ""),
    ],
)
def test_canonical_text(text: str, as_: str, expected: str) -> None:
    value = parse(text, as_="actual" if as_ == "actual" else "target")
    assert canonical(value) == expected
    assert parse(expected, as_="actual" if as_ == "actual" else "target") == value


@pytest.mark.parametrize("case", [c for c in CASES if c["expect"]["kind"] != "unparsed"], ids=lambda c: c["text"])
def test_canonical_reads_back_for_every_case(case: dict[str, Any]) -> None:
    value = parse(case["text"], as_=case["as"])
    assert parse(canonical(value), as_=case["as"]) == value


# ---- properties ----------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        *"0123456789.,-~%()（）＝≥≤<>=±/ 年月日前底个人次万元",
        "不少于",
        "以上",
        "全年",
        "较上年",
        "提高",
        "达成指标",
        "完成",
    ]
)
_TEXTS = st.one_of(st.text(max_size=24), st.lists(_PIECES, max_size=10).map("".join))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_TEXTS, as_=st.sampled_from(["target", "actual"]))
def test_arbitrary_text_gives_a_value_and_never_raises(text: str, as_: str) -> None:
    value = parse(text, as_="actual" if as_ == "actual" else "target")
    assert isinstance(value, Notation)
    if isinstance(value, Unparsed):
        assert "internal error" not in value.error
        assert value.error.endswith("^")
    _json.dumps(value.to_dict())


@settings(max_examples=300, deadline=None)
@given(text=_TEXTS)
@example(text="A´")  # NFKC gives a space + combining accent; the space goes, the accent composes
@example(text="A\x85A´")
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


_NUMBERS = st.decimals(min_value=-100000, max_value=100000, places=2, allow_nan=False, allow_infinity=False)
_POSITIVE = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False, allow_infinity=False)
_UNITS = st.sampled_from([None, "%", "人", "个", "次", "万元", "元/人", "个月", "月", "年", "平方米"])
_OPS = st.sampled_from(["=", "≥", ">", "≤", "<"])
_PERIODS = st.sampled_from([None, "全年", "每月", "每季度"])


@st.composite
def _comparisons(draw: st.DrawFn) -> Comparison:
    implied = draw(st.booleans())
    op = "≥" if implied else draw(_OPS)
    return Comparison(op=op, value=draw(_NUMBERS), unit=draw(_UNITS), implied_op=implied, scope=draw(_PERIODS))


@st.composite
def _ranges(draw: st.DrawFn) -> Range:
    unit = draw(_UNITS)
    if draw(st.booleans()):
        high = draw(_POSITIVE)
        return Range(low=-high, high=high, unit=unit, tolerance=True)
    low, high = sorted([draw(_NUMBERS), draw(_NUMBERS)])
    return Range(low=low, high=high, unit=unit)


@st.composite
def _deadlines(draw: st.DrawFn) -> Deadline:
    shape = draw(st.sampled_from(["timely", "month", "month_end", "year_month", "date", "year"]))
    year, month, day = draw(st.integers(1990, 2100)), draw(st.integers(1, 12)), draw(st.integers(1, 28))
    return {
        "timely": Deadline(timely=True),
        "month": Deadline(month=month),
        "month_end": Deadline(month=month, month_end=True),
        "year_month": Deadline(year=year, month=month, month_end=draw(st.booleans())),
        "date": Deadline(year=year, month=month, day=day),
        "year": Deadline(year=year),
    }[shape]


_TRENDS = st.builds(
    Trend,
    direction=st.sampled_from(["up", "down"]),
    baseline=st.sampled_from([None, "previous_year"]),
)
_QUANTITIES = st.builds(Quantity, value=_NUMBERS, unit=_UNITS, op=st.sampled_from([None, "=", "≥", ">", "≤", "<"]))
_DATES = st.one_of(
    st.builds(Date, month=st.integers(1, 12)),
    st.builds(Date, year=st.integers(1990, 2100), month=st.integers(1, 12)),
    st.builds(Date, year=st.integers(1990, 2100), month=st.integers(1, 12), day=st.integers(1, 28)),
)
_OUTCOMES = st.integers(1, 3).map(lambda t: Outcome(tier=t, label=default_vocabulary().tier_label(t)))


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(_comparisons(), _ranges(), _deadlines(), _TRENDS))
def test_canonical_target_reads_back_to_the_same_value(value: Notation) -> None:
    assert parse_target(canonical(value)) == value


@settings(max_examples=300, deadline=None)
@given(value=st.one_of(_QUANTITIES, _DATES, _OUTCOMES, st.just(Completion()), st.just(Missing())))
def test_canonical_actual_reads_back_to_the_same_value(value: Notation) -> None:
    assert parse_actual(canonical(value)) == value


# ---- command line --------------------------------------------------------------------------------


def _run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["parse", *args])


@pytest.mark.parametrize(
    ("args", "stdout"),
    [
        (
            ["≥3500.00(人)", "--format", "json"],
            '{"kind": "comparison", "op": "≥", "value": 3500, "unit": "人", "implied_op": false}\n',
        ),
        (["80%-100%", "--format", "json"], '{"kind": "range", "low": 80, "high": 100, "unit": "%"}\n'),
        (["9月前", "--format", "json"], '{"kind": "deadline", "month": 9}\n'),
        (["2021年12月31日", "--format", "json"], '{"kind": "deadline", "date": "2021-12-31"}\n'),
        (
            ["较上一年度提高", "--format", "json"],
            '{"kind": "trend", "direction": "up", "baseline": "previous_year"}\n',
        ),
        (["健全", "--format", "json"], '{"kind": "qualitative", "text": "健全"}\n'),
        (["3125", "--as", "actual", "--format", "json"], '{"kind": "quantity", "value": 3125, "unit": null}\n'),
        (
            ["≥90.00%", "--as", "actual", "--format", "json"],
            '{"kind": "quantity", "value": 90, "unit": "%", "op": "≥"}\n',
        ),
        (["部分达成指标并具有一定效果", "--as", "actual", "--format", "json"], '{"kind": "outcome", "tier": 2}\n'),
        (["已完成", "--as", "actual", "--format", "json"], '{"kind": "completion"}\n'),
        (["—", "--format", "json"], '{"kind": "missing"}\n'),
        (
            ["＝100.00（％）"],
            "text:  =100.00(%)\nkind:  comparison\nop:    =\nvalue: 100\nunit:  %\nimplied_op: false\n",
        ),
    ],
)
def test_cli_parse(args: list[str], stdout: str) -> None:
    result = _run(*args)
    assert (result.exit_code, result.stdout) == (0, stdout)


def test_cli_parse_unparsed_exits_1_and_shows_the_caret() -> None:
    result = _run("≥3500.00(人", "--format", "json")
    assert result.exit_code == 1
    assert result.stdout == (
        '{"kind": "unparsed", "text": "≥3500.00(人", "error": "cannot read this target at column 11: '
        "expected ')', found the end of the text\\n    ≥3500.00(人\\n               ^\"}\n"
    )
    result = _run("≥")
    assert result.exit_code == 1
    assert result.stdout == (
        "text:  ≥\nkind:  unparsed\n"
        "cannot read this target at column 2: expected a number, found the end of the text\n    ≥\n     ^\n"
    )


def test_cli_parse_bad_usage_exits_2() -> None:
    result = _run("≥90%", "--as", "goal")
    assert result.exit_code == 2
    assert "Invalid value for '--as'" in result.stderr
    result = _run("≥90%", "--rules", "no-such-rules")
    assert result.exit_code == 2
    assert result.stderr == (
        "perfeval: unknown rule set 'no-such-rules': give a bundled id (cn-mof-2020) or the path of a YAML file "
        "with `vocabulary:` [E006]\n"
    )


def test_cli_parse_uses_the_vocabulary_of_a_rules_file(tmp_path: Path) -> None:
    mapping = _mapping()
    mapping["completion"].append("办结")
    rules = tmp_path / "rules.yaml"
    rules.write_text(_json.dumps({"vocabulary": mapping}), encoding="utf-8")
    result = _run("办结", "--as", "actual", "--rules", str(rules), "--format", "json")
    assert (result.exit_code, result.stdout) == (0, '{"kind": "completion"}\n')
    empty = tmp_path / "empty.yaml"
    empty.write_text("id: x\n", encoding="utf-8")
    result = _run("办结", "--rules", str(empty))
    assert result.exit_code == 2
    assert "no top-level `vocabulary:` mapping" in result.stderr


def test_vocabulary_for_resolves_rule_sets() -> None:
    assert _vocabulary_for(None) is default_vocabulary()
    assert _vocabulary_for("cn-mof-2020") is default_vocabulary()
    with pytest.raises(UsageError):
        _vocabulary_for("cn-mof-1999")


def test_cli_parse_help_explains_the_notations() -> None:
    result = CliRunner().invoke(cli, ["parse", "--help"])
    assert result.exit_code == 0
    for word in ("≥3500.00(人)", "全年不少于2次", "较上一年度提高", "达成指标", "--as", "--rules", "--format"):
        assert word in result.stdout
