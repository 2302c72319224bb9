"""Report file names from input names: deterministic, collision-free, safe on every file system."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

SHEET_SEPARATOR = "@"  # never left in a base name, so `<base>@<sheet>` cannot meet another input's name
RESERVED = frozenset({"index"})  # the portfolio's own file
_UNSAFE = re.compile(r"[^\w.\-]+")  # \w keeps CJK letters; anything else (spaces, @, /, :) becomes "_"
_MAX = 120  # characters; long names are cut, then made unique like any other collision


def _clean(text: str) -> str:
    name = _UNSAFE.sub("_", text).strip("._") or "form"
    return name[:_MAX]


def _unique(wanted: Sequence[str], reserved: frozenset[str]) -> list[str]:
    """`wanted` with later duplicates (case-insensitively) given the smallest free `-2`, `-3` … suffix."""
    counts: dict[str, int] = {}
    for name in wanted:
        counts[name.casefold()] = counts.get(name.casefold(), 0) + 1
    taken = set(reserved) | {n for n, c in counts.items() if c == 1}
    out: list[str] = []
    for name in wanted:
        key = name.casefold()
        if counts[key] == 1 and key not in reserved:
            out.append(name)
            continue
        if key not in taken:
            taken.add(key)
            out.append(name)
            continue
        k = 2
        while f"{key}-{k}" in taken:
            k += 1
        taken.add(f"{key}-{k}")
        out.append(f"{name}-{k}")
    return out


def input_names(paths: Sequence[str]) -> list[str]:
    """A unique base name per input, from its file name: `a/x.tsv` → `x`; when stems clash, `x-tsv`, then `-2` …."""
    names = [_name(p) for p in paths]
    stems = [_clean(_stem(name)) for name in names]
    counts: dict[str, int] = {}
    for stem in stems:
        counts[stem.casefold()] = counts.get(stem.casefold(), 0) + 1
    wanted = [
        _clean(name.replace(".", "-")) if counts[s.casefold()] > 1 else s for name, s in zip(names, stems, strict=True)
    ]
    return _unique(wanted, RESERVED)


def _name(path: str) -> str:
    """`Path(path).name`, without making a Path for the usual path (a batch names thousands)."""
    last = path.rpartition("/")[2]
    if last in ("", ".") or os.altsep is not None:  # a trailing / or /., or Windows separators: Path decides
        return Path(path).name
    return last


def _stem(name: str) -> str:
    """`Path(name).stem`: the name without its suffix, from the last dot unless the name starts or ends with it."""
    dot = name.rfind(".")
    return name[:dot] if 0 < dot < len(name) - 1 else name


def form_names(base: str, sheets: Sequence[str | None]) -> list[str]:
    """The names of the forms of one input: the base name alone, or `base@sheet` for a workbook's several forms."""
    if len(sheets) == 1:
        return [base]
    return [f"{base}{SHEET_SEPARATOR}{n}" for n in _unique([_clean(s or "sheet") for s in sheets], frozenset())]
