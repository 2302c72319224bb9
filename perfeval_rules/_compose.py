"""Composing YAML with PyYAML: the safe loader, bounded in nodes and nesting, and the builder of plain data.

Only standard tags; duplicate keys are errors; floats become Decimal. libyaml composes when that is
safe (see `_libyaml_node`); the Python loader otherwise, and its messages are the ones users see.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import yaml

from ._yaml import MAX_DEPTH, MAX_EXPONENT, MAX_NODES, Document, PathKey
from .errors import Location, YamlError

_STD = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_STD + t for t in ("str", "int", "float", "bool", "null", "timestamp")}

def load_text(text: str, filename: str = "<string>") -> Document:
    """Compose one YAML (or JSON) document from text (see `_yaml.load_text`)."""
    node = _libyaml_node(text)
    if node is not _UNSURE:
        try:
            return _document(node, filename, text)
        except YamlError:
            pass  # the Python loader below finds the same problem and reports it as it always has
    try:
        loader = _Loader(text, filename)
    except yaml.reader.ReaderError as exc:  # the reader checks every character before parsing starts
        raise YamlError(
            f"YAML syntax: character U+{exc.character:04X} is not allowed ({exc.reason})",
            _offset_location(exc.position, filename, text),
        ) from None
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
    return _document(node, filename, text)


def _document(node: yaml.Node | None, filename: str, text: str) -> Document:
    if node is None:
        return Document(None, filename, text, {(): (1, 1)})
    builder = _Builder(filename, text)
    data = builder.build(node, (), 0)
    return Document(data, filename, text, builder.positions)


_UNSURE: Any = object()
# Every level of nesting in YAML takes one of these characters (a flow bracket, a block sequence's dash,
# a mapping's colon or question mark), so their number bounds the depth of a document.
_NESTING = re.compile(r"[\[{\-:?]")
_LIBYAML_DEPTH = 2_000


def _libyaml_node(text: str) -> Any:
    """The node tree of `text` composed by libyaml (about ten times faster), or _UNSURE.

    libyaml composes nested nodes by recursion in C, with no limit: only a text that cannot nest
    deeper than _LIBYAML_DEPTH is given to it, and only one with no character the Python reader
    refuses. A text it cannot compose goes to the Python loader, whose messages are the ones users
    see; the builder then applies the same limits to either tree.
    """
    if not yaml.__with_libyaml__ or yaml.reader.Reader.NON_PRINTABLE.search(text):
        return _UNSURE
    if len(text) > _LIBYAML_DEPTH and len(_NESTING.findall(text)) > _LIBYAML_DEPTH:
        return _UNSURE
    loader = yaml.CSafeLoader(text)
    try:
        return loader.get_single_node()
    except yaml.YAMLError:
        return _UNSURE
    finally:
        loader.dispose()


def _offset_location(offset: int, filename: str, text: str) -> Location:
    line = text.count("\n", 0, offset)
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    source = text[start : end if end >= 0 else len(text)]
    return Location(file=filename, line=line + 1, column=offset - start + 1, source_line=source)


class _Loader(yaml.SafeLoader):
    """The safe loader, counting nodes and nesting while it composes, before a deep stack or a huge graph."""

    def __init__(self, text: str, filename: str) -> None:
        super().__init__(text)
        self.filename = filename
        self.text = text
        self.nodes = 0
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise self.fail(f"document too large: more than {MAX_NODES} values (aliases included)")
        if self.depth > MAX_DEPTH:
            raise self.fail(f"document nested deeper than {MAX_DEPTH} levels")
        self.depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        return node

    def fail(self, message: str) -> YamlError:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        return YamlError(message, _mark_location(event.start_mark, self.filename, self.text))


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
                # YAML 1.1 reads `yes:`, `off:` and `~:` as booleans and null: keep the key as written.
                skey = key_node.value if key is None or isinstance(key, bool) else str(key)
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
                number = Decimal(node.value.replace("_", ""))
            except InvalidOperation:
                raise self.fail(f"{node.value!r} is not a finite number", node) from None
            if not number.is_finite():
                raise self.fail(f"{node.value!r} is not a finite number", node)
            if number and abs(number.adjusted()) > MAX_EXPONENT:
                raise self.fail(f"number {_short(node.value)} is out of range (beyond 1e±{MAX_EXPONENT})", node)
            return number
        if node.tag == _STD + "timestamp":
            return str(node.value)
        if node.tag == _STD + "int" and len(node.value) > MAX_EXPONENT:
            raise self.fail(f"number {_short(node.value)} is out of range (beyond 1e±{MAX_EXPONENT})", node)
        if node.tag == _STD + "str" and _SURROGATE.search(node.value):
            return self._paired(node)
        return self._scalars.construct_object(node, deep=True)

    def _paired(self, node: yaml.Node) -> str:
        """Text whose escapes gave UTF-16 surrogates (JSON writes 😀 as two): pairs joined, lone ones refused."""
        try:
            text: str = node.value.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            raise self.fail(
                "text holds an unpaired surrogate escape (\\ud800-\\udfff), which is no character", node
            ) from None
        return text


_SURROGATE = re.compile("[\ud800-\udfff]")


def _short(text: str) -> str:
    """A long number cut for a message: its first and last digits."""
    return text if len(text) <= 30 else f"{text[:12]}…{text[-12:]} ({len(text)} characters)"
