"""Text clean-up before a target or actual is read: one spelling for each glyph real exports produce.

PDF and Excel exports write the same operator in many ways (full-width forms, Symbol-font private
code points, box-drawing and mathematical look-alikes, ASCII pairs) and sprinkle spaces and
thousands separators inside numbers. Everything here is structural; words are the vocabulary's job.
"""

from __future__ import annotations

import re
import unicodedata

# Applied after NFKC, so full-width ＝ ＞ ＜ （ ） ％ ： ～ are already ASCII by then.
_GLYPHS = str.maketrans(
    {
        # greater than or equal: mathematical variants, "not less than", Symbol-font code points
        "≧": "≥",
        "⩾": "≥",
        "≮": "≥",
        "\uf0b3": "≥",
        # less than or equal
        "≦": "≤",
        "⩽": "≤",
        "≯": "≤",
        "\uf0a3": "≤",
        # equals: box-drawing double line, modifier letter, katakana double hyphen, Symbol font
        "═": "=",
        "꞊": "=",
        "゠": "=",
        "\uf03d": "=",
        "\uf03e": ">",
        "\uf03c": "<",
        # minus signs and dashes that stand for a hyphen between numbers
        "−": "-",
        "‐": "-",
        "‑": "-",
        "‒": "-",
        "–": "-",
        "﹣": "-",
        "〜": "~",
        "∼": "~",
        # brackets that NFKC leaves alone
        "【": "(",
        "】": ")",
        "〔": "(",
        "〕": ")",
        "〈": "(",
        "〉": ")",
        "\u00a0": " ",
        "\u3000": " ",
    }
)

_ASCII_PAIRS = re.compile(r">=|=>|≥=|<=|=<|≤=|\+/-|\+-")
_PAIR_TO_OP = {">=": "≥", "=>": "≥", "≥=": "≥", "<=": "≤", "=<": "≤", "≤=": "≤", "+/-": "±", "+-": "±"}
_THOUSANDS = re.compile(r"(?<![\d,.])\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])")
_SPACES = re.compile(r"\s+")
_TRAILING = re.compile(r"[。;,.、]+$")


def normalize(text: str) -> str:
    """The canonical spelling of `text`: NFKC, one glyph per operator, no stray spaces or separators."""
    # One pass can expose work for the next: NFKC turns ´ into space + U+0301, and once the space goes
    # the accent composes with the letter before it, which changes what the space rule sees. Each pass
    # only removes or composes characters, so a few passes reach the fixed point.
    for _ in range(8):
        result = _normalize_once(text)
        if result == text:
            break
        text = result
    return text


def _normalize_once(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).translate(_GLYPHS)
    text = _SPACES.sub(_space, text.strip())
    text = _ASCII_PAIRS.sub(lambda m: _PAIR_TO_OP[m.group()], text)
    # A comma is a thousands separator only in well-formed groups: 215,457.6 but not 1,2 or 1234,5.
    text = _THOUSANDS.sub(lambda m: m.group().replace(",", ""), text)
    return unicodedata.normalize("NFC", _trim(text))


def _trim(text: str) -> str:
    # Trailing punctuation goes, and a whole cell in brackets, (≥90%), says the same as without them.
    while True:
        text = _TRAILING.sub("", text)
        if not (text.startswith("(") and text.endswith(")") and _closing(text) == len(text) - 1):
            return text
        text = text[1:-1]


def _closing(text: str) -> int:
    """The index of the bracket that closes the one at index 0, or -1."""
    depth = 0
    for i, ch in enumerate(text):
        depth += 1 if ch == "(" else -1 if ch == ")" else 0
        if depth == 0:
            return i
    return -1


def _space(match: re.Match[str]) -> str:
    # Spaces carry no meaning in Chinese notations (`12 种`, `2.38  万元`); between two digits or two
    # Latin letters they do, so one is kept there and a split number like `1 2` stays unreadable.
    text = match.string
    before = text[match.start() - 1] if match.start() > 0 else ""
    after = text[match.end()] if match.end() < len(text) else ""
    if (before.isdigit() and after.isdigit()) or (
        before.isascii() and before.isalpha() and after.isascii() and after.isalpha()
    ):
        return " "
    return ""
