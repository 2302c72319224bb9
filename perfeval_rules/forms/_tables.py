"""Tabular sources read into grids of text cells: TSV/CSV text in any common encoding, and XLSX sheets.

Every cell keeps where it stood (row number, column) so that an error or an import note can point to it.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import _yaml
from .._slots import slots_draft
from ..errors import FormError, Location

MAX_ROWS = 50_000
MAX_COLUMNS = 256

# A workbook is a zip of XML parts. These bound what opening one may cost before openpyxl sees it: a real
# form's workbook has about ten parts that expand 5-20 times to well under 20 MiB (50,000 rows).
MAX_XLSX_ENTRIES = 1000
MAX_XLSX_EXPANDED = 100 * 1024 * 1024  # bytes, all parts together, as declared in the zip directory
MAX_XLSX_RATIO = 100  # expanded / compressed, for a part larger than 1 MiB
_DTD_SCAN = 64 * 1024  # a DTD (<!DOCTYPE, <!ENTITY) can only stand in an XML part's prolog


@dataclass(frozen=True, slots=True)
class Row:
    """One source row: its 1-based number, its cells (stripped text) and the source line for excerpts."""

    number: int
    cells: tuple[str, ...]
    text: str

    def cell(self, index: int) -> str:
        """The text of cell `index` (0-based), '' when the row is shorter or the index negative."""
        return self.cells[index] if 0 <= index < len(self.cells) else ""

    @property
    def blank(self) -> bool:
        """True when every cell is empty."""
        return not any(self.cells)


_RowDraft = slots_draft(Row)


def _row(number: int, cells: tuple[str, ...], text: str) -> Row:
    """Row(number, cells, text), made through its draft: one per source line."""
    made = _RowDraft()
    made.number = number
    made.cells = cells
    made.text = text
    made.__class__ = Row
    return made  # type: ignore[no-any-return]


@dataclass(frozen=True, slots=True)
class Grid:
    """The rows of one table (a text file, or one sheet of a workbook)."""

    file: str
    rows: tuple[Row, ...]
    sheet: str | None = None
    delimiter: str = "\t"

    @property
    def where(self) -> str:
        """The file name, with the sheet for workbooks: 'book.xlsx[Sheet1]'."""
        return f"{self.file}[{self.sheet}]" if self.sheet else self.file

    def location(self, row: Row, column: int | None = None) -> Location:
        """The location of a row, or of one of its cells (shown as e.g. 'F20')."""
        if column is None:
            return Location(file=self.where, line=row.number, source_line=row.text)
        offset = self._offset(row, column)
        return Location(
            file=self.where,
            line=row.number,
            column=None if offset is None else offset + 1,
            cell=cell_name(column, row.number),
            source_line=row.text,
        )

    def _offset(self, row: Row, column: int) -> int | None:
        """Character offset of cell `column` in the source line (exact for TSV, by search for CSV/XLSX)."""
        if self.delimiter == "\t" and row.text.count("\t") >= column:
            return sum(len(part) + 1 for part in row.text.split("\t")[:column])
        found = row.text.find(row.cell(column)) if row.cell(column) else -1
        return found if found >= 0 else None


@lru_cache(maxsize=4096)  # every indicator's provenance names its cell
def cell_name(column: int, row: int) -> str:
    """Spreadsheet name of a cell from a 0-based column and a 1-based row: (4, 24) -> 'E24'."""
    return f"{column_letters(column)}{row}"


def column_letters(column: int) -> str:
    """Spreadsheet letters of a 0-based column: 4 -> 'E', 26 -> 'AA'."""
    letters = ""
    n = column + 1
    while n:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a file, bounded in size, with a located error instead of an OSError."""
    return _yaml.read_bytes(path)


def decode(raw: bytes, file: str) -> str:
    """Text from bytes: UTF-8 (with or without BOM) strictly first, then UTF-16 by BOM, then GB18030."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError:
            pass
    elif b"\x00" not in raw:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(encoding)
            except UnicodeDecodeError:
                continue
            if not _looks_binary(text):
                return text
    raise FormError(
        "binary data, not a text table (not UTF-8, UTF-16 or GB18030 text)",
        Location(file=file),
        hint="export the form as TSV, CSV or XLSX",
    )


# Unicode category Cc (C0 and C1 controls) except tab, line feed and carriage return.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _looks_binary(text: str) -> bool:
    if _printable(text):
        return False  # a control character is not printable: none here (a quick look; counting is slow)
    controls = len(_CONTROL.findall(text))
    return controls > max(2, len(text) // 100)


def text_grid(raw: bytes, file: str, delimiter: str | None = None) -> Grid:
    """A grid from TSV (split on tabs) or CSV (the csv module); `None` picks tabs if the text has any."""
    text = decode(raw, file)
    if not text or text.isspace():  # what strip() would leave empty, without copying the text
        raise FormError("empty file: no table to import", Location(file=file))
    lines = text.splitlines()
    if len(lines) > MAX_ROWS:
        raise FormError(f"table has more than {MAX_ROWS} rows", Location(file=file))
    if delimiter is None:
        delimiter = "\t" if "\t" in text else ","
    rows: list[Row] = []
    if delimiter == "\t":
        tidy = _tidy(text)
        for number, line in enumerate(lines, start=1):
            if tidy and len(line) < MAX_COLUMNS:
                # `clean` leaves every cell as it is and the line is too short for too many: drop trailing blanks
                kept = line.rstrip("\t")
                rows.append(_row(number, tuple(kept.split("\t")) if kept else (), line))
            else:
                rows.append(_row(number, _cells(line.split("\t"), file, number), line))
        return Grid(file, tuple(rows), delimiter="\t")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    start = 1
    try:
        for record in reader:
            end = reader.line_num
            rows.append(Row(start, _cells(record, file, start), "\n".join(lines[start - 1 : end])))
            start = end + 1
    except csv.Error as exc:
        raise FormError(f"CSV syntax: {exc}", Location(file=file, line=reader.line_num)) from None
    return Grid(file, tuple(rows), delimiter=delimiter)


def _cells(values: list[str], file: str, number: int) -> tuple[str, ...]:
    if len(values) > MAX_COLUMNS:
        raise FormError(f"row has more than {MAX_COLUMNS} cells", Location(file=file, line=number))
    cells = list(map(clean, values))
    while cells and not cells[-1]:
        cells.pop()
    return tuple(cells)


_SPACE = re.compile(r"[ \t\u00a0\u3000\r]+")


@lru_cache(maxsize=1)  # decode, then text_grid, ask of the same text
def _printable(text: str) -> bool:
    """True when the text has no character but printable ones, tabs and new lines (str.isprintable)."""
    return text.replace("\t", "").replace("\n", "").isprintable()


def _tidy(text: str) -> bool:
    """True when `clean` returns every cell of this TSV text as it is: no blank but single inner spaces.

    Every blank (str.isspace) other than the space is unprintable: `_printable` rules them all out.
    """
    if not _printable(text):
        return False
    if " " not in text:  # most tables: one scan instead of the six below
        return True
    if "  " in text or text.startswith(" ") or text.endswith(" "):
        return False
    return not any(pair in text for pair in (" \t", "\t ", " \n", "\n "))


@lru_cache(maxsize=4096)  # cells repeat within and across tables (blanks, weights, targets)
def clean(text: str) -> str:
    """A cell's text without surrounding blanks and with runs of spaces folded to one."""
    return "\n".join(_SPACE.sub(" ", line).strip() for line in text.strip().splitlines()).strip()


def xlsx_grids(raw: bytes, file: str) -> list[Grid]:
    """One grid per sheet of a workbook; a merged range takes its top-left value in every cell."""
    import openpyxl  # heavy; only workbooks need it

    check_workbook_zip(raw, file)
    try:
        book = openpyxl.load_workbook(io.BytesIO(raw), data_only=True)
    except Exception as exc:  # openpyxl raises zip, XML and key errors alike for a broken file
        raise FormError(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})", Location(file=file)) from None
    grids = []
    for sheet in book.worksheets:
        if sheet.max_row > MAX_ROWS or sheet.max_column > MAX_COLUMNS:
            raise FormError(
                f"sheet {sheet.title!r} is larger than {MAX_ROWS} rows or {MAX_COLUMNS} columns", Location(file=file)
            )
        table = [[xlsx_text(c) for c in row] for row in sheet.iter_rows()]
        for merged in sheet.merged_cells.ranges:
            value = table[merged.min_row - 1][merged.min_col - 1] if merged.min_row <= len(table) else ""
            for r in range(merged.min_row - 1, min(merged.max_row, len(table))):
                for c in range(merged.min_col - 1, min(merged.max_col, len(table[r]))):
                    table[r][c] = value
        rows = []
        for number, values in enumerate(table, start=1):
            cells = _cells(values, file, number)
            rows.append(Row(number, cells, "\t".join(cells)))
        grids.append(Grid(file, tuple(rows), sheet=sheet.title, delimiter="xlsx"))
    return grids


def check_workbook_zip(raw: bytes, file: str) -> None:
    """Refuse a workbook whose zip would expand beyond sane limits (a zip bomb) or whose XML declares a DTD.

    Python's zipfile never expands a part beyond the size its directory declares (a lie fails the
    CRC check), so the declared sizes bound what openpyxl can be made to read.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FormError(f"not a readable XLSX workbook ({type(exc).__name__}: {exc})", Location(file=file)) from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_XLSX_ENTRIES:
            raise FormError(
                f"refused: the workbook has {len(parts)} parts, more than {MAX_XLSX_ENTRIES} (a zip bomb?)",
                Location(file=file),
            )
        expanded = sum(p.file_size for p in parts)
        if expanded > MAX_XLSX_EXPANDED:
            raise FormError(
                f"refused: the workbook would expand to {expanded // (1024 * 1024)} MiB,"
                f" more than {MAX_XLSX_EXPANDED // (1024 * 1024)} MiB (a zip bomb?)",
                Location(file=file),
            )
        for part in parts:
            ratio = part.file_size // max(part.compress_size, 1)
            if part.file_size > 1024 * 1024 and ratio > MAX_XLSX_RATIO:
                raise FormError(
                    f"refused: part {part.filename!r} would expand {ratio} times"
                    f" ({part.compress_size} to {part.file_size} bytes, at most {MAX_XLSX_RATIO} times; a zip bomb?)",
                    Location(file=file),
                )
        for part in parts:
            if part.filename.endswith((".xml", ".rels")) and _declares_dtd(archive, part, file):
                raise FormError(
                    f"refused: part {part.filename!r} declares a DTD (<!DOCTYPE or <!ENTITY); workbooks never do",
                    Location(file=file),
                )


def _declares_dtd(archive: zipfile.ZipFile, part: zipfile.ZipInfo, file: str) -> bool:
    try:
        with archive.open(part) as stream:
            head = stream.read(_DTD_SCAN)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        raise FormError(f"not a readable XLSX workbook (part {part.filename!r}: {exc})", Location(file=file)) from None
    return b"<!DOCTYPE" in head or b"<!ENTITY" in head


_PLACES = re.compile(r"0\.(0+)")


def xlsx_text(cell: Any) -> str:
    """A cell's value as the text the sheet shows, numbers exact: 0.1 stays '0.1', 2 with '0.00' is '2.00'."""
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, int | float):
        # repr gives the shortest text that reads back as the same float: no binary noise
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if len(number.as_tuple().digits) > 15:
            # Excel shows at most 15 significant digits: 0.1 + 0.2 is shown, and meant, as 0.3
            number = number.quantize(Decimal(1).scaleb(number.adjusted() - 14), ROUND_HALF_UP)
        fmt = str(cell.number_format or "General")
        percent = "%" in fmt
        if percent:
            number *= 100
        places = _PLACES.search(fmt)
        if places:
            number = number.quantize(Decimal(1).scaleb(-len(places.group(1))), ROUND_HALF_UP)
        elif number == number.to_integral_value():
            number = number.quantize(Decimal(1))
        text = format(number.normalize() if not places and number != 0 else number, "f")
        return text + ("%" if percent else "")
    return clean(str(value))
