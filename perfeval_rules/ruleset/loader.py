"""Load a rule set: YAML syntax → JSON Schema → `extends` → semantic checks → compiled, immutable RuleSet."""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from .. import __version__, _cache, _json
from .._yaml import load_kept
from ..errors import ErrorList, Location, PerfevalError, RuleSetError, SchemaError, UsageError, did_you_mean
from ..resources import rules_dir
from . import _resolve
from ._compile import Compiler, scope_names
from ._schema import schema_text, validate_schema
from .model import Band, BudgetPolicy, Check, DirectionRule, Grade, Policy, Rounding, RuleSet, Tier, freeze

_CACHE: dict[str, tuple[tuple[tuple[str, int], ...], RuleSet]] = {}
# The same entries by the name a caller gave and the folder it was given in (see `load_ruleset`).
_ASKED: dict[tuple[str, str], tuple[tuple[tuple[str, int], ...], RuleSet]] = {}
_PLACEHOLDER = re.compile(r"\{([^{}\s]+)\}")


def bundled_ids() -> list[str]:
    """Ids of the rule sets shipped in `rules/`."""
    return sorted(p.stem for p in rules_dir().glob("*.yaml") if p.stem != "vocabulary")


def find_ruleset(name_or_path: str | Path) -> Path:
    """The file for a bundled id or a path."""
    path = Path(name_or_path)
    if path.is_file():
        return path
    text = str(name_or_path)
    bundled = rules_dir() / f"{text}.yaml"
    if re.fullmatch(r"[a-z0-9][a-z0-9-]*", text) and bundled.is_file():
        return bundled
    ids = bundled_ids()
    raise UsageError(
        f"no rule set {text!r}: not a file and not a bundled id{did_you_mean(text, ids)}",
        hint=f"bundled rule sets: {', '.join(ids)}",
    )


def load_ruleset(name_or_path: str | Path) -> RuleSet:
    """A bundled rule set by id (cn-mof-2020) or a rule-set YAML file, validated and compiled (cached)."""
    # A batch asks for the same rule set by the same name once per input file: what that name found
    # from this folder, as long as none of its files changed, is answered without resolving it again.
    asked = (str(name_or_path), os.getcwd())
    hit = _ASKED.get(asked)
    if hit is not None and _current(hit[0]):
        return hit[1]
    path = find_ruleset(name_or_path)
    key = str(path.resolve())
    hit = _CACHE.get(key)
    if hit is None or not _current(hit[0]):
        resolved = resolve_file(path, ())
        ruleset = build(resolved, str(path))
        hit = _CACHE[key] = (tuple((str(Path(f).resolve()), _mtime(f)) for f in resolved.files), ruleset)
    if len(_ASKED) >= 64:
        _ASKED.clear()
    _ASKED[asked] = hit
    return hit[1]


def _current(stamps: tuple[tuple[str, int], ...]) -> bool:
    """Whether every file still has the modification time it had when the rule set was loaded."""
    return all(_mtime(f) == m for f, m in stamps)


def _mtime(file: str) -> int:
    try:
        return os.stat(file).st_mtime_ns
    except OSError:
        return -1


def _raise(errors: list[PerfevalError]) -> None:
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ErrorList(errors)


def resolve_file(path: Path, chain: tuple[Path, ...]) -> _resolve.Resolved:
    """Load, schema-check and merge `path` over what it extends."""
    doc = load_kept(path)
    if not isinstance(doc.data, dict):
        raise SchemaError("a rule set must be a mapping of keys (id, title, policies …)", doc.locate(()))
    marker = _marker("file", _digest(doc.data))
    if not _check_schema(doc.data, doc.locate, marker):
        _cache.remember(marker)
    parent_name = doc.data.get("extends")
    if parent_name is None:
        return _resolve.single(doc)
    where = _resolve.value_location(doc, ("extends",))
    target = _resolve.extends_target(str(parent_name), doc.filename, rules_dir())
    here = path.resolve()
    if target.resolve() in (*chain, here):
        names = " → ".join(p.name for p in (*chain, here, target))
        raise RuleSetError(f"extends cycle: {names}", where)
    if len(chain) >= _resolve.MAX_CHAIN:
        raise RuleSetError(f"extends chain longer than {_resolve.MAX_CHAIN}", where)
    if not target.is_file():
        raise RuleSetError(
            f"extends {parent_name!r}: no such rule set{did_you_mean(str(parent_name), bundled_ids())}", where
        )
    parent = resolve_file(target, (*chain, here))
    return _resolve.merge(parent, doc)


class _Builder:
    """Semantic checks and compilation over merged data; collects every error."""

    def __init__(self, resolved: _resolve.Resolved) -> None:
        self.r = resolved
        self.data = resolved.data
        self.errors: list[PerfevalError] = []

    def at(self, path: tuple[str | int, ...]) -> Location:
        return self.r.locate(path)

    def value_at(self, path: tuple[str | int, ...]) -> Location:
        doc, p = self.r.origin(path)
        return _resolve.value_location(doc, p)

    def fail(self, message: str, path: tuple[str | int, ...]) -> None:
        self.errors.append(RuleSetError(message, self.at(path)))

    def nearer(self, first: tuple[str | int, ...], second: tuple[str | int, ...]) -> tuple[str | int, ...]:
        """Of two entries, the one the loaded file itself wrote (its edit is what broke), else the second."""
        top = self.r.files[0]
        if self.r.origin(first)[0].filename == top and self.r.origin(second)[0].filename != top:
            return first
        return second

    def unique_ids(self, section: str) -> None:
        seen: set[Any] = set()
        for i, item in enumerate(self.data[section]):
            if item["id"] in seen:
                self.fail(f"duplicate {section} id {item['id']!r}", (section, i, "id"))
            seen.add(item["id"])

    def bands(self, section: str, top: Decimal, what: str) -> list[Band]:
        bands = []
        for item in self.data[section]:
            bands.append(Band(item["low"], item["high"], item["low_inclusive"], item["high_inclusive"]))
        order = sorted(range(len(bands)), key=lambda i: (bands[i].low, not bands[i].low_inclusive))
        for i in order:
            b = bands[i]
            if b.low > b.high or (b.low == b.high and not (b.low_inclusive and b.high_inclusive)):
                self.fail(f"{what} band {b.describe()} is empty", (section, i))
        if not order:
            return bands
        first, last = bands[order[0]], bands[order[-1]]
        if first.low != 0 or not first.low_inclusive:
            self.fail(
                f"{what} bands leave a gap: nothing covers 0 (lowest band {first.describe()})", (section, order[0])
            )
        for a_i, b_i in itertools.pairwise(order):
            a, b = bands[a_i], bands[b_i]
            if a.high < b.low or (a.high == b.low and not a.high_inclusive and not b.low_inclusive):
                where = self.nearer((section, a_i), (section, b_i))
                self.fail(f"{what} bands leave a gap between {a.describe()} and {b.describe()}", where)
            elif a.high > b.low or (a.high == b.low and a.high_inclusive and b.low_inclusive):
                where = self.nearer((section, a_i), (section, b_i))
                self.fail(f"{what} bands overlap: {a.describe()} and {b.describe()}", where)
        top_band = max(bands, key=lambda b: (b.high, b.high_inclusive))
        if top_band.high != top or not top_band.high_inclusive:
            self.fail(
                f"{what} bands leave a gap: nothing covers {_json.number(top)} (highest band {last.describe()})",
                (section, order[-1]),
            )
        return bands

    def expression(
        self, compiler: Compiler, path: tuple[str | int, ...], scope: str, expect: str, default: str | None = None
    ) -> Any:
        section = self._get(path)
        if section is None:
            if default is None:
                return None
            text = default
            where = self.at(path[:-1])
        else:
            text = _expr_text(section)
            where = self.value_at(path)
        try:
            return compiler.compile(text, scope, expect, where)
        except PerfevalError as exc:
            self.errors.append(exc)
            return None

    def _get(self, path: tuple[str | int, ...]) -> Any:
        node: Any = self.data
        for p in path:
            try:
                node = node[p]
            except (KeyError, IndexError, TypeError):
                return None
        return node

    def reachable(self, section: str) -> None:
        for i, item in enumerate(self.data[section][:-1]):
            if _literally_true(item["when"]):
                nxt = self.data[section][i + 1]["id"]
                self.fail(
                    f"{section} entry {nxt!r} is unreachable: {item['id']!r} before it always applies (when: true)",
                    self.nearer((section, i), (section, i + 1)),
                )
                break

    def placeholders(self, path: tuple[str | int, ...], message: str, scope: str) -> None:
        names = scope_names(scope)
        for m in _PLACEHOLDER.finditer(message):
            if m.group(1) not in names:
                self.fail(
                    f"message placeholder {{{m.group(1)}}} is not a variable of this scope"
                    f"{did_you_mean(m.group(1), names)}",
                    path,
                )


def _expr_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _literally_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.strip() == "true")


def _digest(data: Any) -> str:
    """The SHA-256 of data as canonical compact JSON."""
    return hashlib.sha256(_json.dumps(data, indent=None).encode("utf-8")).hexdigest()


@functools.cache
def _schemas_digest() -> str:
    """What a schema check depends on besides the data: this version and both schemas."""
    from ..notation.vocabulary import VOCABULARY_SCHEMA

    both = f"{__version__}\n{schema_text()}\n{_json.dumps(VOCABULARY_SCHEMA, indent=None)}"
    return hashlib.sha256(both.encode("utf-8")).hexdigest()


def _marker(kind: str, digest: str) -> str:
    """The cache marker saying that a rule-set file, or a whole (merged) rule set, with this digest passed."""
    return f"valid-{kind}-{hashlib.sha256((_schemas_digest() + digest).encode()).hexdigest()}"


def _check_schema(data: Any, locate: Callable[[tuple[str | int, ...]], Location], marker: str) -> bool:
    """Raise the schema errors of `data`; True when it passed before (`marker` is known) and was not checked.

    A rule set is loaded by every run and rarely changes: remembering that it passed spares each run
    the schema checks and importing jsonschema, a good part of start-up.
    """
    if _cache.known(marker):
        return True
    _raise(validate_schema(data, locate))
    return False


def build(resolved: _resolve.Resolved, source: str) -> RuleSet:
    """Check the merged data and compile every expression into an immutable RuleSet."""
    d = resolved.data
    sha256 = _digest(d)
    marker = _marker("ruleset", sha256)
    checked = _check_schema(d, resolved.locate, marker)
    b = _Builder(resolved)
    for section in _resolve.LIST_SECTIONS:
        b.unique_ids(section)
    period = d.get("effective", {})
    if period.get("to") is not None and period["to"] < period["from"]:
        b.fail(f"effective period ends ({period['to']}) before it starts ({period['from']})", ("effective", "to"))
    tier_bands = b.bands("tiers", Decimal(1), "tier")
    grade_bands = b.bands("grades", Decimal(100), "grade")
    tiers = []
    for i, (item, band) in enumerate(zip(d["tiers"], tier_bands, strict=True)):
        if not band.contains(item["default"]):
            b.fail(f"tier {item['id']} default {item['default']} lies outside its band {band.describe()}", ("tiers", i))
        tiers.append(Tier(item["id"], item["label"], band, item["default"]))
    ids = sorted(t.id for t in tiers)
    if ids != list(range(1, len(ids) + 1)):
        b.fail(f"tier ids must be 1, 2, … without holes, not {ids}", ("tiers",))
    grades = [Grade(item["id"], band) for item, band in zip(d["grades"], grade_bands, strict=True)]
    rounding = Rounding(d["rounding"]["places"], d["rounding"].get("mode", "half_up"))
    compiler = Compiler(tiers, grades, rounding)
    b.reachable("policies")
    b.reachable("direction")

    def compiled(items: str, make: Callable[[int, dict[str, Any]], Any]) -> list[Any]:
        return [make(i, item) for i, item in enumerate(d[items])]

    direction = compiled(
        "direction",
        lambda i, it: DirectionRule(
            it["id"], b.expression(compiler, ("direction", i, "when"), "indicator", "bool"), it["is"]
        ),
    )
    policies = compiled(
        "policies",
        lambda i, it: Policy(
            it["id"],
            b.expression(compiler, ("policies", i, "when"), "indicator", "bool"),
            None if it["score"] is None else b.expression(compiler, ("policies", i, "score"), "indicator", "number"),
            it.get("doc", ""),
        ),
    )

    def check(i: int, it: dict[str, Any]) -> Check:
        scope = {"indicator": "indicator-check", "budget": "budget-check", "form": "form-check"}[it["scope"]]
        b.placeholders(("checks", i, "message"), it["message"], scope)
        return Check(
            it["id"],
            it["severity"],
            it["scope"],
            b.expression(compiler, ("checks", i, "when"), scope, "bool"),
            b.expression(compiler, ("checks", i, "assert"), scope, "bool"),
            it["message"],
            it.get("doc", ""),
        )

    checks = compiled("checks", check)
    budget_weight = d["budget"].get("weight")
    budget_score = b.expression(compiler, ("budget", "score"), "budget", "number")
    if budget_weight is None:
        b.fail("missing required key 'weight' in budget", ("budget",))
    if "score" not in d["budget"]:
        b.fail("missing required key 'score' in budget", ("budget",))
    vocabulary = None
    try:
        from ..notation import Vocabulary

        doc, path = resolved.origin(("vocabulary",))
        vocabulary = Vocabulary.from_mapping(d["vocabulary"], doc, path=path, checked=checked)
    except PerfevalError as exc:
        b.errors.append(exc)
    _raise(b.errors)
    assert vocabulary is not None  # otherwise an error was raised just above
    tol = d["tolerances"]
    eff = d.get("effective", {})
    ruleset = RuleSet(
        id=str(d["id"]),
        title=str(d["title"]),
        version=str(d["version"]),
        legal_basis=tuple(d["legal_basis"]),
        effective_from=eff.get("from"),
        effective_to=eff.get("to"),
        lineage=resolved.lineage,
        sha256=sha256,
        source=source,
        rounding=rounding,
        score_tolerance=Decimal(tol.get("score", Decimal("0.05"))),
        rate_tolerance=Decimal(tol.get("rate", Decimal("0.01"))),
        over_achievement=Decimal(d["over_achievement"]),
        budget=BudgetPolicy(Decimal(budget_weight), budget_score, d["budget"].get("doc", "")),
        direction=tuple(direction),
        policies=tuple(policies),
        tiers=tuple(tiers),
        grades=tuple(grades),
        checks=tuple(checks),
        vocabulary=vocabulary,
        vocabulary_data=freeze(d["vocabulary"]),
        data=freeze(d),
    )
    if not checked:
        _cache.remember(marker)  # the whole rule set passed, its vocabulary included
    return ruleset
