"""Safe YAML (and JSON) loading that keeps line numbers and rejects what a config must not hold.

Only the standard YAML tags are accepted; duplicate keys are errors; floats become Decimal so that
money and scores stay exact; the number of nodes built (aliases included) is bounded, so an alias
bomb fails fast with a message instead of eating memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, Location, YamlError

MAX_NODES = 200_000
MAX_DEPTH = 100
MAX_BYTES = 20 * 1024 * 1024

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}

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


def read_text(path: str | Path) -> str:
    """A UTF-8 text file (BOM allowed), with a located error instead of an OSError or decode error."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", Location(file=str(path))) from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB", Location(file=str(path)))
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
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = " ".join(s for s in (exc.context, exc.problem) if s) or "invalid YAML"
        raise YamlError(f"YAML syntax: {msg}", _mark_location(mark, filename, text)) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML syntax: {exc}", Location(file=filename)) from None
    finally:
        loader.dispose()
    if node is None:
        return Document(None, filename, text, {(): (1, 1)})
    builder = _Builder(filename, text)
    data = builder.build(node, (), 0)
    return Document(data, filename, text, builder.positions)


def _mark_location(mark: Any, filename: str, text: str) -> Location:
    if mark is None:
        return Location(file=filename)
    lines = text.splitlines()
    source = lines[mark.line] if mark.line < len(lines) else None
    return Location(file=filename, line=mark.line + 1, column=mark.column + 1, source_line=source)


class _Builder:
    def __init__(self, filename: str, text: str) -> None:
        self.filename = filename
        self.text = text
        self.positions: dict[PathKey, tuple[int, int]] = {}
        self.count = 0
        self._scalars = yaml.SafeLoader("")

    def fail(self, message: str, node: yaml.Node) -> YamlError:
        return YamlError(message, _mark_location(node.start_mark, self.filename, self.text))

    def build(self, node: yaml.Node, path: PathKey, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self.fail(f"document too large: more than {MAX_NODES} values (aliases included)", node)
        if depth > MAX_DEPTH:
            raise self.fail(f"document nested deeper than {MAX_DEPTH} levels", node)
        self.positions.setdefault(path, (node.start_mark.line + 1, node.start_mark.column + 1))
        if isinstance(node, yaml.MappingNode):
            if node.tag != _STD + "map":
                raise self.fail(f"tag {node.tag!r} is not allowed here", node)
            result: dict[str, Any] = {}
            for key_node, value_node in node.value:
                if key_node.tag == _STD + "merge":
                    raise self.fail("merge keys (<<) are not allowed", key_node)
                key = self.build(key_node, (*path, "<key>"), depth + 1)
                if not isinstance(key, str | int | bool) and key is not None:
                    raise self.fail("a key must be a plain text or number", key_node)
                skey = str(key) if not isinstance(key, str) else key
                if skey in result:
                    raise self.fail(f"duplicate key {skey!r}", key_node)
                self.positions[(*path, skey)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                result[skey] = self.build(value_node, (*path, skey), depth + 1)
            self.positions.pop((*path, "<key>"), None)
            return result
        if isinstance(node, yaml.SequenceNode):
            if node.tag != _STD + "seq":
                raise self.fail(f"tag {node.tag!r} is not allowed here", node)
            return [self.build(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        if node.tag not in _SCALAR_TAGS:
            raise self.fail(f"tag {node.tag!r} is not allowed (only plain YAML values)", node)
        if node.tag == _STD + "float":
            try:
                return Decimal(node.value.replace("_", ""))
            except InvalidOperation:
                raise self.fail(f"{node.value!r} is not a finite number", node) from None
        if node.tag == _STD + "timestamp":
            return str(node.value)
        return self._scalars.construct_object(node, deep=True)
