"""Reading forms from files: a registry from file type to reader (form YAML/JSON, TSV/CSV text, XLSX)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .. import _yaml
from ..errors import FormError, InputError, Location, UsageError, did_you_mean
from ._importer import has_indicator_table, import_grid
from ._tables import Grid, read_bytes, text_grid, xlsx_grids
from .document import form_from_document
from .model import Form


@dataclass(frozen=True, slots=True)
class _Options:
    placeholders: Sequence[str] | None
    level2_keywords: Mapping[str, Sequence[str]] | None
    sha256: str | None = None  # the file's digest, for the imported forms to carry from the start


def _form_file(path: str, raw: bytes, options: _Options) -> list[Form]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})", Location(path)
        ) from None
    return [form_from_document(_yaml.load_text(text, path))]


def _tabular(delimiter: str | None) -> Callable[[str, bytes, _Options], list[Form]]:
    def read(path: str, raw: bytes, options: _Options) -> list[Form]:
        return [_import(text_grid(raw, path, delimiter), options)]

    return read


def _workbook(path: str, raw: bytes, options: _Options) -> list[Form]:
    grids = [g for g in xlsx_grids(raw, path) if has_indicator_table(g)]
    if not grids:
        raise FormError("no sheet holds an indicator table (a row naming 三级指标 and 分值)", Location(path))
    return [_import(g, options) for g in grids]


def _import(grid: Grid, options: _Options) -> Form:
    return import_grid(
        grid, placeholders=options.placeholders, level2_keywords=options.level2_keywords, source_sha256=options.sha256
    )


READERS: dict[str, Callable[[str, bytes, _Options], list[Form]]] = {
    ".yaml": _form_file,
    ".yml": _form_file,
    ".json": _form_file,
    ".tsv": _tabular("\t"),
    ".txt": _tabular(None),
    ".csv": _tabular(","),
    ".xlsx": _workbook,
}
TABULAR = (".tsv", ".txt", ".csv", ".xlsx")


def sniff(raw: bytes) -> str | None:
    """The extension whose reader fits bytes of unknown type, or None."""
    if raw.startswith(b"PK\x03\x04"):
        return ".xlsx"
    head = raw[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"{", b"[")):
        return ".json"
    if head.startswith((b"#", b"---")) or b"\nindicators:" in raw or raw.startswith(b"project:"):
        return ".yaml"
    if b"\t" in head:
        return ".tsv"
    return None


def reader_for(path: str | Path, raw: bytes) -> Callable[[str, bytes, _Options], list[Form]]:
    """The reader for a file: by extension, else by its first bytes; a clear error when neither fits."""
    suffix = Path(path).suffix.lower()
    if suffix in READERS:
        return READERS[suffix]
    sniffed = sniff(raw)
    if sniffed is None:
        raise InputError(
            f"unknown form file type {suffix or '(no extension)'!r}",
            Location(str(path)),
            hint="a form is .yaml, .yml, .json, .tsv, .txt, .csv or .xlsx",
        )
    return READERS[sniffed]


def load_forms(
    path: str | Path,
    *,
    placeholders: Sequence[str] | None = None,
    level2_keywords: Mapping[str, Sequence[str]] | None = None,
) -> list[Form]:
    """Every form in a file: one for a form file or a text table, one per sheet of a workbook."""
    raw = read_bytes(path)
    digest = hashlib.sha256(raw).hexdigest()
    source = str(path)
    forms = reader_for(path, raw)(source, raw, _Options(placeholders, level2_keywords, digest))
    # An imported table's forms carry both already: a copy of each (`replace`) costs as much as a table's header
    return [
        f if f.source == source and f.source_sha256 == digest else replace(f, source=source, source_sha256=digest)
        for f in forms
    ]


def load_form(
    path: str | Path,
    *,
    sheet: str | None = None,
    placeholders: Sequence[str] | None = None,
    level2_keywords: Mapping[str, Sequence[str]] | None = None,
) -> Form:
    """The one form in a file; for a workbook with several, the sheet named by `sheet`."""
    if sheet is not None:
        return _load_sheet(path, sheet, placeholders, level2_keywords)
    forms = load_forms(path, placeholders=placeholders, level2_keywords=level2_keywords)
    if len(forms) > 1:
        names = ", ".join(repr(_sheet(f)) for f in forms)
        raise UsageError(
            f"the workbook holds {len(forms)} forms (sheets {names})",
            Location(str(path)),
            hint="choose one with --sheet NAME",
        )
    return forms[0]


def _load_sheet(
    path: str | Path,
    sheet: str,
    placeholders: Sequence[str] | None,
    level2_keywords: Mapping[str, Sequence[str]] | None,
) -> Form:
    raw = read_bytes(path)
    if reader_for(path, raw) is not _workbook:
        raise UsageError("--sheet applies to XLSX workbooks only", Location(str(path)))
    grids = xlsx_grids(raw, str(path))
    titles = [g.sheet or "" for g in grids]
    if sheet not in titles:
        raise UsageError(
            f"no sheet {sheet!r} in the workbook{did_you_mean(sheet, titles)}",
            Location(str(path)),
            hint="its sheets are " + ", ".join(repr(t) for t in titles),
        )
    grid = grids[titles.index(sheet)]
    return _import(grid, _Options(placeholders, level2_keywords, hashlib.sha256(raw).hexdigest()))


def _sheet(form: Form) -> str:
    sheets = [i.provenance.sheet for i in form.indicators if i.provenance and i.provenance.sheet]
    return sheets[0] if sheets else "?"


def is_form_file(path: str | Path) -> bool:
    """True for a tabular file, or a YAML/JSON document with an `indicators` key (the form format)."""
    suffix = Path(path).suffix.lower()
    if suffix in TABULAR:
        return True
    if suffix in (".yaml", ".yml", ".json"):
        data = _yaml.load_file(path).data  # read as the form reader reads it: UTF-8, the same errors
        return isinstance(data, dict) and "indicators" in data
    return False


def validate_form_file(path: str | Path) -> Form:
    """Read and check a form file (schema for YAML/JSON, import for tables, every sheet of a workbook).

    Returns the (first) form; raises the located errors.
    """
    return load_forms(path)[0]
