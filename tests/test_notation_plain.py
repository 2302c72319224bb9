"""The notation parser's fast paths (an operator, a number, a unit; vocabulary words alone) against the
lark path they skip: the same value object, text, span and JSON dict for every text, whether or not a
fast path takes it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from seed_form import seed_form

from perfeval_rules._yaml import load_file
from perfeval_rules.notation import parser
from perfeval_rules.notation.vocabulary import default_vocabulary

VOCABULARY = default_vocabulary()
CASES = load_file(Path(__file__).with_name("notation_cases.yaml")).data
SEED = seed_form()
TEXTS = sorted(
    {case["text"] for case in CASES if isinstance(case.get("text"), str)}
    | {i.target_text for i in SEED.indicators}
    | {i.actual_text for i in SEED.indicators}
)


def _both(text: str, as_: Any) -> tuple[Any, Any]:
    """`text` read with the fast path, and read with it turned off (lark only)."""
    fast = parser._read(text, as_, VOCABULARY)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(parser, "_plain", lambda *_: None)
        patch.setattr(parser, "_words", lambda *_: None)
        slow = parser._read(text, as_, VOCABULARY)
    return fast, slow


def _assert_same(text: str, as_: Any) -> None:
    fast, slow = _both(text, as_)
    # repr shows every field, text and span included, and each Decimal's digits.
    assert (type(fast), repr(fast), repr(fast.to_dict())) == (type(slow), repr(slow), repr(slow.to_dict())), text


def test_the_fast_path_takes_the_usual_values() -> None:
    taken = {t: parser._plain(t, "actual", VOCABULARY) is not None for t in ("3620", "98.50%", "3500人", "=100.00(%)")}
    assert taken == dict.fromkeys(taken, True)
    assert parser._plain("12月", "actual", VOCABULARY) is None  # a date: lark decides
    assert sum(parser._plain(t, "target", VOCABULARY) is not None for t in TEXTS) >= 30


def test_the_words_path_takes_the_usual_words() -> None:
    taken = {
        (text, as_): type(parser._words(text, as_, VOCABULARY)).__name__
        for text, as_ in [
            ("提高", "target"),
            ("较上一年度提高", "target"),
            ("及时", "target"),
            ("健全", "target"),
            ("达成指标", "actual"),
            ("完成", "actual"),
            ("有效", "actual"),
            ("达成指标", "target"),  # a tier is no target: prose
            ("及时", "actual"),  # nor is timeliness an actual
            ("年底前", "target"),  # a year end: lark decides
            ("12月底前", "target"),
        ]
    }
    assert taken == {
        ("提高", "target"): "Trend",
        ("较上一年度提高", "target"): "Trend",
        ("及时", "target"): "Deadline",
        ("健全", "target"): "Qualitative",
        ("达成指标", "actual"): "Outcome",
        ("完成", "actual"): "Completion",
        ("有效", "actual"): "Qualitative",
        ("达成指标", "target"): "Qualitative",
        ("及时", "actual"): "Qualitative",
        ("年底前", "target"): "NoneType",
        ("12月底前", "target"): "NoneType",
    }


# Every vocabulary word without a digit or an operator symbol, the symbols that may stand in text of
# words, and a few words the vocabulary does not know: each alone and before or after each other, all
# read alike either way, as targets and actuals.
_WORDS = sorted(
    {w for w in VOCABULARY.lexicon if parser._is_words(w + "字")}
    | {"年", "月", "日", "至", "(", ")", "-", "~", "—", "/", "健全", "有效", "好"}
)


@pytest.mark.parametrize("as_", ["target", "actual"])
def test_vocabulary_words_read_the_same_either_way(as_: str) -> None:
    for first in _WORDS:
        _assert_same(first, as_)
        for second in _WORDS:
            _assert_same(first + second, as_)


def test_the_usual_texts_never_load_lark() -> None:
    script = (
        "import sys\n"
        "from perfeval_rules.notation import parse\n"
        "for text in ('=100.00(%)', '100%', '≥3500人', '提高', '较上一年度提高', '及时', '健全'):\n"
        "    parse(text, as_='target')\n"
        "for text in ('100%', '3500', '达成指标', '完成', '有效'):\n"
        "    parse(text, as_='actual')\n"
        "print('lark' in sys.modules)\n"
        "parse('2023年12月底前')\n"
        "print('lark' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("as_", ["target", "actual"])
def test_case_and_seed_texts_read_the_same_either_way(as_: str) -> None:
    for text in TEXTS:
        _assert_same(parser.normalize(text), as_)


PIECES = st.sampled_from(
    [
        "",
        "=",
        "≥",
        ">",
        "≤",
        "<",
        ">=",
        "-",
        "+",
        "(",
        ")",
        "%",
        "‰",
        "（%）",
        "人",
        "个月",
        "月",
        "年",
        "日",
        "万元",
        "亿元",
        "个百分点",
        "/",
        "以上",
        "不少于",
        "完成",
        "前",
        ".",
        " ",
        "次",
        "abc",
        "约",
    ]
)
NUMBERS = st.one_of(
    st.integers(0, 10**6).map(str),
    st.decimals(min_value=0, max_value=10**5, places=2, allow_nan=False).map(str),
    st.sampled_from(["0", ".5", "5.", "007", "1.2.3", "2023", "12", "13", "1e3"]),
)


@settings(max_examples=600, deadline=None)
@given(
    st.tuples(PIECES, NUMBERS, PIECES, PIECES).map("".join),
    st.sampled_from(["target", "actual"]),
)
def test_generated_texts_read_the_same_either_way(text: str, as_: str) -> None:
    _assert_same(parser.normalize(text), as_)
