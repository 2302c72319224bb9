"""One error hierarchy: every error knows where it happened and shows the offending text."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where something is: a file with line and column (1-based), or a form's cell."""

    file: str | None = None
    line: int | None = None
    column: int | None = None
    cell: str | None = None
    source_line: str | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        where = ":".join(parts)
        return f"{where} ({self.cell})" if self.cell else where

    def excerpt(self) -> str:
        """The source line with a caret under the column, or '' when the text is unknown."""
        if self.source_line is None:
            return ""
        return caret(self.source_line, (self.column or 1) - 1)


def caret(text: str, offset: int) -> str:
    """`text` on one line and a caret under character `offset` (0-based), aligned for CJK text."""
    offset = max(0, min(offset, len(text)))
    pad = "".join("\t" if ch == "\t" else (" " * display_width(ch)) for ch in text[:offset])
    return f"    {text}\n    {pad}^"


def display_width(text: str) -> int:
    """Terminal columns taken by `text`: East Asian wide and full-width characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """' (did you mean X?)' for the closest candidate, or '' when none is close."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


class PerfevalError(Exception):
    """Base of every error the project raises on bad input; the CLI maps it to exit code 2."""

    code = "E000"

    def __init__(self, message: str, location: Location | None = None, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.hint = hint

    def __str__(self) -> str:
        head = f"{self.location}: {self.message}" if self.location else self.message
        lines = [f"{head} [{self.code}]"]
        if self.location is not None and (excerpt := self.location.excerpt()):
            lines.append(excerpt)
        if self.hint:
            lines.append(f"    hint: {self.hint}")
        return "\n".join(lines)


class InputError(PerfevalError):
    """A file could not be read: missing, unreadable, wrong encoding or format."""

    code = "E001"


class YamlError(PerfevalError):
    """YAML or JSON syntax, a forbidden tag, a duplicate key, or a document too large."""

    code = "E002"


class SchemaError(PerfevalError):
    """A document breaks its JSON Schema."""

    code = "E003"


class RuleSetError(PerfevalError):
    """A rule set is well-formed but wrong: bad expression, gap in bands, unreachable policy."""

    code = "E004"


class FormError(PerfevalError):
    """A form or tabular source cannot be turned into a form."""

    code = "E005"


class UsageError(PerfevalError):
    """The command was called wrongly (bad option value, unknown name)."""

    code = "E006"


class TemplateError(PerfevalError):
    """A report template is broken, refers to an unknown name, or tried something the sandbox forbids."""

    code = "E008"


class ErrorList(PerfevalError):
    """Several errors found in one pass, reported together, best first."""

    code = "E007"

    def __init__(self, errors: list[PerfevalError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)
