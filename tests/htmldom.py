"""A tiny DOM built with the standard library's html.parser, for structural checks of HTML reports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Node:
    """An element: tag, attributes, children (nodes and text strings)."""

    tag: str
    attrs: dict[str, str]
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = field(default=None, repr=False)

    def iter(self, tag: str | None = None) -> Iterator[Node]:
        """This node and every element below it, in document order, optionally only `tag`."""
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter(tag)

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        """Elements below (or at) this node with `tag` and, if given, the CSS class `cls`."""
        return [n for n in self.iter(tag) if cls is None or cls in n.classes]

    def find(self, tag: str, cls: str | None = None) -> Node:
        """The first element with `tag` (and class); fails the test if there is none."""
        found = self.find_all(tag, cls)
        assert found, f"no <{tag}> with class {cls!r}"
        return found[0]

    def by_id(self, ident: str) -> Node:
        """The element with id `ident`."""
        found = [n for n in self.iter() if n.attrs.get("id") == ident]
        assert len(found) == 1, f"{len(found)} elements with id {ident!r}"
        return found[0]

    @property
    def classes(self) -> list[str]:
        """The CSS classes of this element."""
        return self.attrs.get("class", "").split()

    @property
    def text(self) -> str:
        """All text below this element, text nodes joined by a space, whitespace collapsed."""
        parts: list[str] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if isinstance(child, str):
                    parts.append(child)
                else:
                    walk(child)

        walk(self)
        return " ".join(" ".join(parts).split())


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.current = self.root
        self.declarations: list[str] = []

    def handle_decl(self, decl: str) -> None:
        self.declarations.append(decl)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, parent=self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.current.children.append(Node(tag, {k: v or "" for k, v in attrs}, parent=self.current))

    def handle_endtag(self, tag: str) -> None:
        node: Node | None = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        assert node is not None and node.parent is not None, f"stray </{tag}>"
        assert node is self.current, f"</{tag}> closes <{self.current.tag}> too"
        self.current = node.parent

    def handle_data(self, data: str) -> None:
        self.current.children.append(data)


def parse(html: str) -> Node:
    """The document tree of `html`; fails on mismatched end tags so broken markup is caught."""
    builder = _Builder()
    builder.feed(html)
    builder.close()
    assert builder.current is builder.root, f"unclosed <{builder.current.tag}>"
    return builder.root
