"""`extends:` resolved as a pure function over validated documents, keeping where every entry came from.

A child replaces scalars (title, over_achievement …), merges mapping sections one level deep
(rounding, tolerances, budget, vocabulary, effective), and edits the id-keyed lists (policies,
checks, tiers, grades, direction): an entry with an inherited id replaces it in place, a new id is
appended (or inserted `before:` an inherited id), and `remove:` drops inherited ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .._yaml import Document
from ..errors import Location, RuleSetError, did_you_mean

LIST_SECTIONS = ("direction", "policies", "tiers", "grades", "checks")
MAP_SECTIONS = ("effective", "rounding", "tolerances", "budget", "vocabulary")
MAX_CHAIN = 10

PathKey = tuple[str | int, ...]
Origin = tuple[Document, PathKey]


@dataclass(frozen=True)
class Resolved:
    """Merged rule-set data, the lineage (this id first) and the source of every part."""

    data: dict[str, Any]
    origins: dict[PathKey, Origin]
    lineage: tuple[str, ...]
    files: tuple[str, ...]

    def origin(self, path: PathKey) -> Origin:
        """The document and its path that `path` of the merged data came from."""
        for n in range(len(path), -1, -1):
            hit = self.origins.get(tuple(path[:n]))
            if hit is not None:
                doc, base = hit
                return doc, (*base, *path[n:])
        raise KeyError(path)  # pragma: no cover - () is always present

    def locate(self, path: PathKey) -> Location:
        """Where `path` of the merged data stands in its source file."""
        doc, p = self.origin(path)
        return doc.locate(p)


def single(doc: Document) -> Resolved:
    """A rule set without `extends`."""
    data = dict(doc.data)
    return Resolved(data, {(): (doc, ())}, (str(data["id"]),), (doc.filename,))


def merge(parent: Resolved, child: Document) -> Resolved:
    """`child` applied over `parent`."""
    cdata: dict[str, Any] = child.data
    data: dict[str, Any] = {k: v for k, v in parent.data.items()}
    origins: dict[PathKey, Origin] = dict(parent.origins)
    origins[()] = parent.origin(())

    def drop(prefix: PathKey) -> None:
        for key in [k for k in origins if k[: len(prefix)] == prefix and k != ()]:
            del origins[key]

    def pin_parent(prefix: PathKey) -> None:
        # Pin the parent's origin of `prefix` before finer entries are dropped.
        origins[prefix] = parent.origin(prefix)

    removals: dict[str, Any] = cdata.get("remove", {})
    for section in LIST_SECTIONS:
        if section not in cdata and section not in removals:
            continue
        data[section], placed = _merge_list(parent, child, section, removals.get(section, []))
        drop((section,))
        origins[(section,)] = (child, (section,)) if section in cdata else parent.origin((section,))
        for index, origin in enumerate(placed):
            origins[(section, index)] = origin
    for key, value in cdata.items():
        if key in ("extends", "remove") or key in LIST_SECTIONS:
            continue
        if key in MAP_SECTIONS and isinstance(data.get(key), dict):
            pin_parent((key,))
            merged = dict(data[key])
            for sub, subvalue in value.items():
                merged[sub] = subvalue
                drop((key, sub))
                origins[(key, sub)] = (child, (key, sub))
            data[key] = merged
        else:
            data[key] = value
            drop((key,))
            origins[(key,)] = (child, (key,))
    lineage = (str(cdata["id"]), *parent.lineage)
    return Resolved(data, origins, lineage, (child.filename, *parent.files))


def _merge_list(parent: Resolved, child: Document, section: str, removed: list[Any]) -> tuple[list[Any], list[Origin]]:
    items: list[Any] = list(parent.data.get(section, []))
    placed: list[Origin] = [parent.origin((section, i)) for i in range(len(items))]
    ids = [item.get("id") for item in items]
    for n, rid in enumerate(removed):
        if rid not in ids:
            raise _unknown(child, ("remove", section, n), rid, ids, f"cannot remove {section} id")
        k = ids.index(rid)
        del items[k], placed[k], ids[k]
    own: set[Any] = set()
    for n, item in enumerate(child.data.get(section, [])):
        if item["id"] in own:
            raise RuleSetError(f"duplicate {section} id {item['id']!r}", child.locate((section, n, "id")))
        own.add(item["id"])
        entry = {k: v for k, v in item.items() if k != "before"}
        origin: Origin = (child, (section, n))
        if entry["id"] in ids:
            k = ids.index(entry["id"])
            items[k], placed[k] = entry, origin
        elif "before" in item:
            if item["before"] not in ids:
                raise _unknown(child, (section, n, "before"), item["before"], ids, f"no inherited {section} id")
            k = ids.index(item["before"])
            items.insert(k, entry)
            placed.insert(k, origin)
            ids.insert(k, entry["id"])
        else:
            items.append(entry)
            placed.append(origin)
            ids.append(entry["id"])
    return items, placed


def _unknown(doc: Document, path: PathKey, value: Any, ids: list[Any], what: str) -> RuleSetError:
    names = [str(i) for i in ids]
    return RuleSetError(f"{what} {value!r}{did_you_mean(str(value), names)}", value_location(doc, path))


def value_location(doc: Document, path: tuple[str | int, ...]) -> Location:
    """Where the value of the key at `path` starts (the key's position, moved past `key:`)."""
    loc = doc.locate(path)
    if loc.line is None or loc.source_line is None or not path or not isinstance(path[-1], str):
        return loc
    line = loc.source_line
    start = (loc.column or 1) - 1
    colon = line.find(":", start)
    if colon < 0:
        return loc
    col = colon + 1
    while col < len(line) and line[col] == " ":
        col += 1
    rest = line[col:]
    if not rest or rest[0] in "|>":
        lines = doc.text.splitlines()
        for n in range(loc.line, len(lines)):
            if lines[n].strip():
                text = lines[n]
                return Location(loc.file, n + 1, len(text) - len(text.lstrip()) + 1, source_line=text)
        return loc
    if rest[0] in "\"'":
        col += 1
    return Location(loc.file, loc.line, col + 1, source_line=line)


def extends_target(value: str, child_file: str, rules_dir: Path) -> Path:
    """The file `extends:` names: a bundled id, or a path relative to the extending file."""
    if value.endswith((".yaml", ".yml")) or "/" in value or "\\" in value:
        return Path(child_file).parent / value
    return rules_dir / f"{value}.yaml"
