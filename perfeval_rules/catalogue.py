"""The catalogue of error, finding and import-note codes (catalogue.yaml), for `perfeval explain-code` and docs.

`python3 -m perfeval_rules.catalogue > docs/errors.md` regenerates the documentation from the data.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from . import _yaml
from .errors import UsageError, did_you_mean

SECTIONS = {"errors": "Errors", "findings": "Findings", "import_notes": "Import notes"}
"""Catalogue section key -> heading."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One code: what it means, an example as the tool prints it, and how to fix it."""

    code: str
    section: str
    title: str
    cause: str
    example: str
    fix: str
    severity: str | None = None
    source: str | None = None


@cache
def catalogue() -> dict[str, Entry]:
    """Every entry by code, in the catalogue's order."""
    data = _yaml.load_file(Path(__file__).with_name("catalogue.yaml")).data
    return {
        code: Entry(code=code, section=section, **fields)
        for section in SECTIONS
        for code, fields in data[section].items()
    }


def lookup(code: str) -> Entry:
    """The entry for `code` (E-codes in any case); a UsageError with the nearest code when unknown."""
    entries = catalogue()
    key = code.strip()
    key = key.upper() if key[:1] in "eE" and key[1:].isdigit() else key
    if key in entries:
        return entries[key]
    raise UsageError(
        f"unknown code {code!r}{did_you_mean(key, entries)}",
        hint="codes are E001…E008 for errors, or a finding or import-note code such as score-mismatch",
    )


def describe(entry: Entry) -> str:
    """The entry as `perfeval explain-code` prints it."""
    kind = {"errors": "error", "findings": "finding", "import_notes": "import note"}[entry.section]
    extra = ", ".join(x for x in (entry.severity, f"from {entry.source}" if entry.source else None) if x)
    lines = [f"{entry.code} ({kind}{', ' + extra if extra else ''}): {entry.title}", "", "cause:", _wrap(entry.cause)]
    lines += ["", "example:", _indent(entry.example), "", "fix:", _wrap(entry.fix)]
    return "\n".join(lines)


def markdown() -> str:
    """docs/errors.md: every code with its cause, example and fix."""
    out = [
        "# Error, finding and import-note codes",
        "",
        "<!-- Generated from perfeval_rules/catalogue.yaml by `python3 -m perfeval_rules.catalogue > docs/errors.md`;",
        "     edit the YAML, not this file (tests/test_catalogue.py checks they agree). -->",
        "",
        "Every message perfeval prints ends with a stable code: `E001`…`E008` for errors (exit code 2),",
        "a finding code for what the rules found in a form (in the JSON `findings`), an import-note code",
        "for what the importer repaired. `perfeval explain-code CODE` prints one entry.",
    ]
    for section, heading in SECTIONS.items():
        out += ["", f"## {heading}", ""]
        for entry in (e for e in catalogue().values() if e.section == section):
            meta = ", ".join(x for x in (entry.severity, f"from `{entry.source}`" if entry.source else None) if x)
            out += [f"### `{entry.code}` — {entry.title}", ""]
            if meta:
                out += [f"*{meta}*", ""]
            out += [f"**Cause.** {entry.cause}", "", "**Example.**", "", "```", entry.example, "```", ""]
            out += [f"**Fix.** {entry.fix}", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _wrap(text: str) -> str:
    return textwrap.fill(text, width=100, initial_indent="    ", subsequent_indent="    ", break_on_hyphens=False)


def _indent(text: str) -> str:
    return "\n".join(f"    {line}" if line else "" for line in text.splitlines())


if __name__ == "__main__":  # pragma: no cover
    print(markdown(), end="")
