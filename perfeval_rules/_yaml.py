"""Safe YAML (and JSON) loading that keeps line numbers and rejects what a config must not hold.

Only the standard YAML tags are accepted; duplicate keys are errors; floats become Decimal so that
money and scores stay exact. Size is bounded at every stage: the text (MAX_BYTES), the nodes and the
nesting while the parser composes them (so a huge or deeply nested document stops early instead of
overflowing the stack), the values built with aliases expanded (so an alias bomb fails fast), and
the magnitude of numbers (so no later arithmetic or output overflows). Composing is `_compose`'s work
(PyYAML), imported only when a document is composed: a rule set loaded in an earlier run is answered
from the private cache (`load_kept`).
"""

from __future__ import annotations

import hashlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._cache import Kept, sources_stamp
from .errors import InputError, Location

MAX_NODES = 100_000
MAX_DEPTH = 100
MAX_BYTES = 20 * 1024 * 1024
_FIRST_READ = 64 * 1024
MAX_EXPONENT = 1000
"""A number's decimal exponent lies within ±MAX_EXPONENT (1e+1001 and 1e-1001 are errors)."""

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """A loaded document: plain data plus where each key and item stands in the source."""

    data: Any
    filename: str
    text: str
    positions: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def locate(self, path: PathKey) -> Location:
        """The location of the value at `path`, or of its nearest located ancestor."""
        for n in range(len(path), -1, -1):
            pos = self.positions.get(tuple(path[:n]))
            if pos is not None:
                return self._location(*pos)
        return Location(file=self.filename)

    def _location(self, line: int, column: int) -> Location:
        lines = self.text.splitlines()
        source = lines[line - 1] if 0 < line <= len(lines) else None
        return Location(file=self.filename, line=line, column=column, source_line=source)


def read_bytes(path: str | Path) -> bytes:
    """The bytes of a file, at most MAX_BYTES, with a located error instead of an OSError.

    Reads no more than the limit allows, so a huge file, a device (/dev/zero) or a pipe that never ends
    costs nothing beyond it.
    """
    try:
        with open(path, "rb") as stream:
            # a first small read: read(MAX_BYTES + 1) would allocate the whole limit for every small file
            first = min(_FIRST_READ, MAX_BYTES + 1)
            raw = stream.read(first)
            if len(raw) == first <= MAX_BYTES:
                raw += stream.read(MAX_BYTES + 1 - first)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", Location(file=str(path))) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB", Location(file=str(path)))
    return raw


def read_text(path: str | Path) -> str:
    """A UTF-8 text file (BOM allowed), with a located error instead of an OSError or decode error."""
    raw = read_bytes(path)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            Location(file=str(path), line=line),
        ) from None


def load_file(path: str | Path) -> Document:
    """Load a YAML or JSON file from disk."""
    return load_text(read_text(path), str(path))


def load_text(text: str, filename: str = "<string>") -> Document:
    """Load one YAML (or JSON) document from text."""
    from . import _compose  # PyYAML: imported only when a document is composed

    return _compose.load_text(text, filename)


def load_kept(path: str | Path) -> Document:
    """`load_file(path)`, answered from the private cache when an earlier run loaded the same text.

    For rule sets: the same few files are loaded on every run, and a run that composes none imports no
    YAML library at all.
    """
    text = read_text(path)
    key = hashlib.sha256(f"{path}\0{text}".encode("utf-8", "surrogatepass")).hexdigest()
    document = _DOCUMENTS.get(key)
    if document is None:
        document = load_text(text, str(path))
        _DOCUMENTS.put(key, document)
    return document


def _stamp() -> str:
    """The code that composes documents, and the YAML library's version (in its __init__.py)."""
    spec = importlib.util.find_spec("yaml")
    library = Path(spec.origin).read_text(encoding="utf-8") if spec is not None and spec.origin else ""
    return sources_stamp(Path(__file__).parent, ("_yaml.py", "_compose.py"), library)


_DOCUMENTS: Kept[Document] = Kept("yaml-documents.pickle", _stamp, limit=64)
