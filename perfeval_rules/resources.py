"""Where the bundled rule sets and templates are: inside the wheel, or at the top of a source tree."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """The bundled `rules` or `templates` folder."""
    for candidate in (_PACKAGE / "_data" / name, _PACKAGE.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"bundled folder {name!r} is missing from this installation")


def rules_dir() -> Path:
    """The bundled rule sets."""
    return data_dir("rules")


def templates_dir() -> Path:
    """The bundled report templates."""
    return data_dir("templates")
