"""Text to syntax tree: trees kept between runs, size checks, then the grammar (`_grammar`, lark) for new texts."""

from __future__ import annotations

import functools
from pathlib import Path

from .._cache import Kept, sources_stamp
from . import _nodes as n
from ._types import MAX_DEPTH, MAX_LENGTH, Problem

_OPEN = frozenset("([（")
_CLOSE = frozenset(")]）")


@functools.lru_cache(maxsize=1024)
def parse(text: str) -> n.Node:
    """The syntax tree of `text`; a Problem (with the offset of the offending character) when it is bad.

    Trees are immutable, so a rule set and the rule sets extending it share the parse of a repeated text.
    """
    node = _TREES.get(text)
    if node is None:
        node = _parse(text)
        _TREES.put(text, node)
    return node


# Trees of the expressions parsed in earlier runs, kept in the private cache folder: loading a rule set
# then needs neither lark's expression parser nor a parse. The file is tied to the grammar and to the
# code that builds and defines the trees; any change to them starts it afresh.
_SOURCES = ("expr.lark", "_parser.py", "_grammar.py", "_nodes.py", "_types.py")
_TREES: Kept[n.Node] = Kept("expr-trees.pickle", lambda: sources_stamp(Path(__file__).parent, _SOURCES))


def _parse(text: str) -> n.Node:
    _check_size(text)
    from . import _grammar  # lark: only for a text whose tree no earlier run kept

    return _grammar.tree(text)


def _check_size(text: str) -> None:
    """Reject empty, too deeply bracketed or too long text before lark sees it."""
    if not text.strip():
        raise Problem("empty expression", 0)
    depth = 0
    quote = ""
    escaped = False
    # Only the part that could be accepted is scanned, so a huge input costs no more than a long one.
    for offset, ch in enumerate(text[: MAX_LENGTH + 1]):
        if quote:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == quote or ch == "\n":
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in _OPEN:
            depth += 1
            if depth > MAX_DEPTH:
                raise Problem(f"expression nests too deeply (more than {MAX_DEPTH} levels)", offset)
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
    if len(text) > MAX_LENGTH:
        raise Problem(f"expression is too long ({len(text)} characters, at most {MAX_LENGTH})", MAX_LENGTH)


_ZH_KEYWORDS = {"且": "and", "或": "or", "非": "not"}


def keyword_hint(name: str) -> str | None:
    """A hint when a Chinese keyword written without spaces was read as part of a name."""
    for zh, en in _ZH_KEYWORDS.items():
        if zh in name:
            return f"put spaces around {zh!r} to use it as {en!r}"
    return None


