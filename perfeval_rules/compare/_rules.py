"""What differs between two resolved rule sets, section by section, as plain entries with a readable line."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from .. import _json

Entry = dict[str, Any]

SCALARS = (("title", "title"), ("version", "version"), ("over_achievement", "over_achievement"))
MAPS = ("effective", "rounding", "tolerances", "budget")
LISTS = {  # id-keyed sections and the fields compared, in order
    "direction": ("when", "is"),
    "policies": ("when", "score"),
    "tiers": ("label", "band", "default"),
    "grades": ("band",),
    "checks": ("severity", "scope", "when", "assert", "message"),
}


def _text(value: Any) -> str | None:
    """A value as one line of text: numbers with their exact digits, lists joined, null as None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return _json.number(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return " ".join(value.split())  # folded YAML keeps its line breaks; a diff line is one line
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, Sequence):
        return "、".join(str(_text(v)) for v in value)
    return str(value)


def _band(item: Mapping[str, Any]) -> str:
    low, high = _text(item.get("low")), _text(item.get("high"))
    return f"{'[' if item.get('low_inclusive') else '('}{low}, {high}{']' if item.get('high_inclusive') else ')'}"


def _field(item: Mapping[str, Any], name: str) -> str | None:
    return _band(item) if name == "band" else _text(item.get(name))


def _entry(section: str, item: str | None, field: str | None, change: str, base: Any, candidate: Any) -> Entry:
    where = section + (f" {item}" if item is not None else "") + (f".{field}" if field else "")
    if change == "changed":
        line = f"{where}: {base} → {candidate}"
    elif change == "added":
        line = f"{where}: + {candidate}"
    else:
        line = f"{where}: − {base}"
    return {
        "section": section,
        "item": item,
        "field": field,
        "change": change,
        "base": base,
        "candidate": candidate,
        "line": line,
    }


def _summary(section: str, item: Mapping[str, Any]) -> str:
    return "; ".join(f"{f}: {_field(item, f)}" for f in LISTS[section] if _field(item, f) is not None)


def _list_section(section: str, base: Sequence[Any], candidate: Sequence[Any]) -> list[Entry]:
    a = {str(i["id"]): i for i in base}
    b = {str(i["id"]): i for i in candidate}
    out: list[Entry] = []
    for key in [*a, *(k for k in b if k not in a)]:
        if key not in b:
            out.append(_entry(section, key, None, "removed", _summary(section, a[key]), None))
        elif key not in a:
            out.append(_entry(section, key, None, "added", None, _summary(section, b[key])))
        else:
            for name in LISTS[section]:
                x, y = _field(a[key], name), _field(b[key], name)
                if x != y:
                    out.append(_entry(section, key, name, "changed", x, y))
    order_a = [k for k in a if k in b]
    order_b = [k for k in b if k in a]
    if order_a != order_b and section in ("policies", "direction"):  # first match wins: order matters
        out.append(_entry(section, None, "order", "changed", " → ".join(order_a), " → ".join(order_b)))
    return out


def _words(value: Any, path: str) -> dict[str, set[str]]:
    """Every word list under a vocabulary section, by its dotted path."""
    if isinstance(value, Mapping):
        found: dict[str, set[str]] = {}
        for k, v in value.items():
            found.update(_words(v, f"{path}.{k}"))
        return found
    if isinstance(value, Sequence) and not isinstance(value, str):
        return {path: {str(_text(v)) for v in value}}
    return {path: {str(_text(value))}}


def _vocabulary(base: Mapping[str, Any], candidate: Mapping[str, Any]) -> list[Entry]:
    a, b = _words(base, "vocabulary"), _words(candidate, "vocabulary")
    out: list[Entry] = []
    for path in [*a, *(p for p in b if p not in a)]:
        old, new = a.get(path, set()), b.get(path, set())
        section = path.split(".", 2)
        item = ".".join(section[1:])
        if new - old:
            out.append(_entry("vocabulary", item, None, "added", None, "、".join(sorted(new - old))))
        if old - new:
            out.append(_entry("vocabulary", item, None, "removed", "、".join(sorted(old - new)), None))
    return out


def diff_rulesets(base: Any, candidate: Any) -> list[Entry]:
    """Every difference between two loaded rule sets' resolved data, in a fixed section order."""
    a, b = base.data, candidate.data
    out: list[Entry] = []
    for key, label in SCALARS:
        x, y = _text(a.get(key)), _text(b.get(key))
        if x != y:
            out.append(_entry(label, None, None, "changed", x, y))
    old_basis, new_basis = set(map(str, a.get("legal_basis", ()))), set(map(str, b.get("legal_basis", ())))
    out += [_entry("legal_basis", None, None, "added", None, t) for t in b.get("legal_basis", ()) if t not in old_basis]
    out += [
        _entry("legal_basis", None, None, "removed", t, None) for t in a.get("legal_basis", ()) if t not in new_basis
    ]
    for section in MAPS:
        sa, sb = a.get(section) or {}, b.get(section) or {}
        for key in [*sa, *(k for k in sb if k not in sa)]:
            x, y = _text(sa.get(key)), _text(sb.get(key))
            if x != y:
                change = "added" if x is None else "removed" if y is None else "changed"
                out.append(_entry(section, None, key, change, x, y))
    for section in LISTS:
        out += _list_section(section, a.get(section, ()), b.get(section, ()))
    out += _vocabulary(a.get("vocabulary") or {}, b.get("vocabulary") or {})
    return out
