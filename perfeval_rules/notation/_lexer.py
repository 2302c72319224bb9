"""Target and actual texts cut into tokens: numbers, the grammar's symbols and the vocabulary's words.

Both the fast paths of `parser` and lark's parser (`_grammar`) read these tokens; this module does not
import lark, so a text the fast paths read never loads it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from .vocabulary import Vocabulary

_NUMBER = re.compile(r"[0-9]*\.?[0-9]+")
_SYMBOLS = {
    "=": "OP",
    "≥": "OP",
    ">": "OP",
    "≤": "OP",
    "<": "OP",
    "(": "LPAR",
    ")": "RPAR",
    "%": "PERCENT",
    "‰": "PERCENT",
    "±": "PLUSMINUS",
    "-": "DASH",
    "~": "TILDE",
    "—": "TILDE",
    "至": "TO",
    "/": "SLASH",
    "年": "YEAR",
    "月": "MONTH",
    "日": "DAY",
}


class Lexeme(NamedTuple):
    """One token: its terminal's name, its text, and where it starts and ends in the text."""

    type: str
    value: str
    start: int
    end: int


def tokens(text: str, vocabulary: Vocabulary) -> Iterator[Lexeme]:
    """Numbers, the grammar's symbols and vocabulary words (longest first); anything else joins a WORD."""
    lexicon, lengths = vocabulary.lexicon, vocabulary.lengths
    i, n, word_start = 0, len(text), -1
    while i < n:
        ch = text[i]
        kind, size = "", 0
        # .5 is a number (read as "." then 5 it would silently become five), but in 至少...2次 the
        # dots are an ellipsis.
        if "0" <= ch <= "9" or (ch == "." and i + 1 < n and "0" <= text[i + 1] <= "9" and text[i - 1 : i] != "."):
            match = _NUMBER.match(text, i)
            assert match is not None
            kind, size = "NUMBER", match.end() - i
        else:
            for length in lengths.get(ch, ()):
                entry = lexicon.get(text[i : i + length])
                if entry is not None:
                    kind, size = entry[0], length
                    break
            # A vocabulary word never equals a symbol, so a match here is longer and wins (至少 over 至).
            if not kind and ch in _SYMBOLS:
                kind, size = _SYMBOLS[ch], 1
        if not kind:
            if word_start < 0:
                word_start = i
            i += 1
            continue
        if word_start >= 0:
            yield Lexeme("WORD", text[word_start:i], word_start, i)
            word_start = -1
        yield Lexeme(kind, text[i : i + size], i, i + size)
        i += size
    if word_start >= 0:
        yield Lexeme("WORD", text[word_start:n], word_start, n)
