"""The shared foundations: located errors, exact JSON numbers, safe located YAML."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perfeval_rules import _json
from perfeval_rules._yaml import load_text
from perfeval_rules.errors import Location, YamlError, caret, did_you_mean


@pytest.mark.parametrize(
    ("value", "text"),
    [("0.89", "0.89"), ("10.00", "10"), ("3500.00", "3500"), ("1E+2", "100"), ("-0.0", "0"), ("0.100", "0.1")],
)
def test_json_numbers_carry_exact_digits(value: str, text: str) -> None:
    assert _json.number(Decimal(value)) == text


def test_json_dumps_is_deterministic_and_rejects_floats() -> None:
    obj = {"b": [Decimal("0.89"), None, True], "a": "两新"}
    assert _json.dumps(obj) == '{\n  "b": [\n    0.89,\n    null,\n    true\n  ],\n  "a": "两新"\n}'
    assert _json.dumps(obj, indent=None) == '{"b": [0.89, null, true], "a": "两新"}'
    with pytest.raises(TypeError, match="binary float"):
        _json.dumps({"x": 0.1}, indent=None)


@pytest.mark.parametrize(
    "obj",
    [
        {"n": [Decimal("10.00"), Decimal("-0.0"), Decimal("1E+2"), 3, -7], "e": {}, "l": [], "t": (1, "二")},
        {"html": '<b>"x"</b>\\\n\t\x01\u2028', "nested": [[{"a": None}], {"b": False}]},
        {"big": 2**70, "key": {1: "int key"}},  # beyond orjson: the plain writer prints them
        {"mapping": __import__("types").MappingProxyType({"k": Decimal("0.890")})},
    ],
)
def test_indented_json_is_the_plain_writers_bytes(obj: object) -> None:
    parts: list[str] = []
    _json._write(obj, parts, 2, 0)
    assert _json.dumps(obj) == "".join(parts)


def test_indented_json_refuses_non_finite_numbers_and_unknown_types() -> None:
    with pytest.raises(ValueError, match="non-finite number NaN has no JSON form"):
        _json.dumps({"x": Decimal("NaN")})
    with pytest.raises(TypeError, match="cannot serialise object"):
        _json.dumps({"x": object()})


def test_caret_aligns_under_wide_characters() -> None:
    assert caret("≥3500人x", 6) == "    ≥3500人x\n           ^"
    assert caret("指标值", 2) == "    指标值\n        ^"


def test_did_you_mean() -> None:
    assert did_you_mean("wieght", ["weight", "target"]) == " (did you mean 'weight'?)"
    assert did_you_mean("zzz", ["weight"]) == ""


def test_yaml_floats_are_decimal_and_positions_kept() -> None:
    doc = load_text("a: 1.50\nb:\n  - x\n  - {c: 2}\n", "r.yaml")
    assert doc.data == {"a": Decimal("1.50"), "b": ["x", {"c": 2}]}
    assert doc.locate(("b", 1, "c")) == Location("r.yaml", 4, 6, source_line="  - {c: 2}")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "r.yaml:2:1: duplicate key 'a' [E002]\n    a: 2\n    ^"),
        (
            "a: !!python/object/apply:os.system [ls]\n",
            "r.yaml:1:4: tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed here [E002]\n"
            "    a: !!python/object/apply:os.system [ls]\n       ^",
        ),
        (
            "a: !custom x\n",
            "r.yaml:1:4: tag '!custom' is not allowed (only plain YAML values) [E002]\n    a: !custom x\n       ^",
        ),
        (
            "base: &b {x: 1}\nother:\n  <<: *b\n",
            "r.yaml:3:3: merge keys (<<) are not allowed [E002]\n      <<: *b\n      ^",
        ),
    ],
)
def test_yaml_rejections_are_located(text: str, message: str) -> None:
    with pytest.raises(YamlError) as info:
        load_text(text, "r.yaml")
    assert str(info.value) == message


def test_yaml_alias_bomb_is_bounded() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    text = "\n".join(lines)
    with pytest.raises(YamlError, match="document too large"):
        load_text(text, "bomb.yaml")
