"""The notation vocabulary: which words are tiers, completion words, trends, periods, word operators
and units. It is data (the `vocabulary:` section of a rule set), so staff add a word without a code
change; the parser reaches every word through `Vocabulary.lexicon`.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from types import MappingProxyType
from typing import Any

from .. import _yaml, resources
from ..errors import Location, RuleSetError, SchemaError, did_you_mean
from .normalize import normalize
from .values import OPS

_WORD = {"type": "string", "minLength": 1, "maxLength": 64}
_WORDS = {"type": "array", "items": _WORD, "maxItems": 2000}
_OP_WORDS = {
    "type": "object",
    "propertyNames": {"enum": list(OPS)},
    "additionalProperties": _WORDS,
}

# A JSON Schema 2020-12 fragment (no "$schema"), so the rule-set schema can embed it as is.
VOCABULARY_SCHEMA: dict[str, Any] = {
    "title": "Notation vocabulary",
    "description": "Words of the target and actual notations; matching is on NFKC text, longest word first.",
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "outcome_tiers": {
            "description": "Tier number (1 is best) to the words naming it; the first word is the tier's label.",
            "type": "object",
            "propertyNames": {"pattern": "^[1-9]$"},
            "additionalProperties": {**_WORDS, "minItems": 1},
        },
        "completion": {**_WORDS, "description": "Words saying the work was done (完成, 是)."},
        "timely": {**_WORDS, "description": "Words of timeliness (及时, 按时): a deadline target."},
        "trends": {
            "description": "Trend words by direction.",
            "type": "object",
            "propertyNames": {"enum": ["up", "down"]},
            "additionalProperties": _WORDS,
        },
        "trend_baselines": {
            "description": "Baseline name (e.g. previous_year) to the words naming it (较上年).",
            "type": "object",
            "propertyNames": {"pattern": "^[a-z][a-z0-9_]*$"},
            "additionalProperties": _WORDS,
        },
        "trend_modifiers": {**_WORDS, "description": "Words that may stand before a trend word (逐步, 不断)."},
        "periods": {**_WORDS, "description": "Period words that scope a target (全年, 每月)."},
        "word_operators": {
            "description": "Words standing for an operator, before the number (prefix) or after it (suffix).",
            "type": "object",
            "additionalProperties": False,
            "properties": {"prefix": _OP_WORDS, "suffix": _OP_WORDS},
        },
        "deadlines": {
            "description": "Words after a month or date: `by` (前, 之前) and `month_end` (底, 末).",
            "type": "object",
            "additionalProperties": False,
            "properties": {"by": _WORDS, "month_end": _WORDS},
        },
        "units": {**_WORDS, "description": "Units written after a number (人, 万元); % is built in."},
        "unit_aliases": {
            "description": "Another spelling of a unit to the unit it stands for (百分比: '%').",
            "type": "object",
            "additionalProperties": _WORD,
        },
        "unit_conversions": {
            "description": "Amounts in this unit are converted to `to` by multiplying by `factor`.",
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["to", "factor"],
                "properties": {"to": _WORD, "factor": {"type": "number", "exclusiveMinimum": 0}},
            },
        },
        "placeholders": {
            "description": "Cells that mean 'no value' (blank, —, /).",
            "type": "array",
            "items": {"type": "string", "maxLength": 64},
            "maxItems": 2000,
        },
        "level2_keywords": {
            "description": "二级 category to keywords that infer it from an indicator's name; first match wins.",
            "type": "object",
            "additionalProperties": _WORDS,
        },
    },
}

# Characters and words the grammar owns; a vocabulary word may not be one of them.
STRUCTURAL = frozenset({"=", "≥", ">", "≤", "<", "(", ")", "%", "‰", "±", "-", "~", "—", "至", "/", "年", "月", "日"})
_DATE_MARKS = frozenset({"年", "月", "日"})
BUILTIN_UNITS = ("%", "‰")

# Lexicon kinds are the grammar's terminal names.
_KIND_NAMES = {
    "TIER": "an outcome tier",
    "COMPLETION": "a completion word",
    "TIMELY": "a timeliness word",
    "TREND": "a trend word",
    "BASELINE": "a trend baseline",
    "MODIFIER": "a trend modifier",
    "PERIOD": "a period word",
    "PREFIX_OP": "a word operator",
    "SUFFIX_OP": "a word operator",
    "BY": "a deadline word",
    "MONTH_END": "a month-end word",
    "UNIT": "a unit",
}

Words = tuple[str, ...]
Groups = tuple[tuple[str, Words], ...]


@dataclass(frozen=True)
class Vocabulary:
    """The notation words of one rule set, normalised; frozen and hashable so parses can be memoised."""

    outcome_tiers: tuple[tuple[int, Words], ...] = ()
    completion: Words = ()
    timely: Words = ()
    trends: Groups = ()
    trend_baselines: Groups = ()
    trend_modifiers: Words = ()
    periods: Words = ()
    prefix_operators: Groups = ()
    suffix_operators: Groups = ()
    deadline_by: Words = ()
    deadline_month_end: Words = ()
    units: Words = ()
    unit_aliases: tuple[tuple[str, str], ...] = ()
    unit_conversions: tuple[tuple[str, str, Decimal], ...] = ()
    placeholders: Words = ()
    level2_keywords: Groups = ()
    lexicon: Mapping[str, tuple[str, str]] = field(init=False, compare=False, repr=False)
    lengths: Mapping[str, tuple[int, ...]] = field(init=False, compare=False, repr=False)
    _hash: int = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        entries: dict[str, tuple[str, str]] = {}
        for word, entry, _ in self._entries():
            entries.setdefault(word, entry)
        lengths: dict[str, set[int]] = {}
        for word in entries:
            lengths.setdefault(word[0], set()).add(len(word))
        object.__setattr__(self, "lexicon", MappingProxyType(entries))
        # For each first character, the word lengths to try, longest first: longest match wins.
        object.__setattr__(self, "lengths", {ch: tuple(sorted(ns, reverse=True)) for ch, ns in lengths.items()})
        object.__setattr__(self, "_hash", hash(tuple(getattr(self, f) for f in _FIELDS)))

    def __hash__(self) -> int:
        return self._hash

    def _entries(self) -> Iterable[tuple[str, tuple[str, str], tuple[str | int, ...]]]:
        """Every lexicon word with its (terminal, payload) and its path in the source mapping."""
        for tier, words in self.outcome_tiers:
            for i, w in enumerate(words):
                yield w, ("TIER", str(tier)), ("outcome_tiers", str(tier), i)
        yield from _plain(self.completion, "COMPLETION", ("completion",))
        yield from _plain(self.timely, "TIMELY", ("timely",))
        yield from _grouped(self.trends, "TREND", ("trends",))
        yield from _grouped(self.trend_baselines, "BASELINE", ("trend_baselines",))
        yield from _plain(self.trend_modifiers, "MODIFIER", ("trend_modifiers",))
        yield from _plain(self.periods, "PERIOD", ("periods",))
        yield from _grouped(self.prefix_operators, "PREFIX_OP", ("word_operators", "prefix"))
        yield from _grouped(self.suffix_operators, "SUFFIX_OP", ("word_operators", "suffix"))
        yield from _plain(self.deadline_by, "BY", ("deadlines", "by"))
        yield from _plain(self.deadline_month_end, "MONTH_END", ("deadlines", "month_end"))
        for i, unit in enumerate(self.units):
            if unit not in _DATE_MARKS:  # the grammar reads 年 月 日 itself, as units and in dates
                yield unit, ("UNIT", unit), ("units", i)
        for alias, unit in self.unit_aliases:
            yield alias, ("UNIT", unit), ("unit_aliases", alias)

    @classmethod
    def from_mapping(
        cls,
        mapping: Mapping[str, Any],
        document: _yaml.Document | None = None,
        *,
        path: tuple[str | int, ...] = (),
        checked: bool = False,
    ) -> Vocabulary:
        """Validate `mapping` (a rule set's `vocabulary:` section) and build a vocabulary from it.

        `document` and `path` (where the mapping sits in it) let errors name the file, line and column;
        `checked` says the same mapping passed the schema before (the rule-set loader remembers it).
        """

        def locate(where: Iterable[str | int]) -> Location | None:
            return document.locate((*path, *where)) if document is not None else None

        if not checked:
            import jsonschema  # only here: importing it costs a noticeable part of start-up

            errors = list(jsonschema.Draft202012Validator(VOCABULARY_SCHEMA).iter_errors(mapping))
            if errors:
                raise _schema_error(jsonschema.exceptions.best_match(errors), locate)

        def words(values: Iterable[str]) -> Words:
            return tuple(normalize(v) for v in values)

        def groups(section: Mapping[str, Any] | None) -> Groups:
            return tuple((key, words(ws)) for key, ws in (section or {}).items())

        ops = mapping.get("word_operators") or {}
        deadlines = mapping.get("deadlines") or {}
        vocabulary = cls(
            outcome_tiers=tuple(sorted((int(t), words(ws)) for t, ws in (mapping.get("outcome_tiers") or {}).items())),
            completion=words(mapping.get("completion") or ()),
            timely=words(mapping.get("timely") or ()),
            trends=groups(mapping.get("trends")),
            trend_baselines=groups(mapping.get("trend_baselines")),
            trend_modifiers=words(mapping.get("trend_modifiers") or ()),
            periods=words(mapping.get("periods") or ()),
            prefix_operators=groups(ops.get("prefix")),
            suffix_operators=groups(ops.get("suffix")),
            deadline_by=words(deadlines.get("by") or ()),
            deadline_month_end=words(deadlines.get("month_end") or ()),
            units=words(mapping.get("units") or ()),
            unit_aliases=tuple((normalize(a), normalize(u)) for a, u in (mapping.get("unit_aliases") or {}).items()),
            unit_conversions=tuple(
                (normalize(u), normalize(c["to"]), Decimal(c["factor"]))
                for u, c in (mapping.get("unit_conversions") or {}).items()
            ),
            placeholders=tuple(dict.fromkeys(normalize(p) for p in mapping.get("placeholders") or ())),
            level2_keywords=groups(mapping.get("level2_keywords")),
        )
        vocabulary._check(locate)
        return vocabulary

    def _check(self, locate: Any) -> None:
        seen: dict[str, tuple[str, str]] = {}
        for word, entry, where in self._entries():
            if not word:
                raise RuleSetError("a vocabulary word is empty after normalisation", locate(where))
            if word[0].isdigit() or word in STRUCTURAL:
                raise RuleSetError(
                    f"vocabulary word {word!r} clashes with the notation's own numbers and symbols", locate(where)
                )
            other = seen.setdefault(word, entry)
            if other != entry:
                raise RuleSetError(
                    f"vocabulary word {word!r} is {_describe(entry)} here but already {_describe(other)}",
                    locate(where),
                )

    def is_placeholder(self, text: str) -> bool:
        """Whether a cell text means 'no value' (blank always does; — and ——, … and …… are alike)."""
        text = normalize(text)
        return text == "" or text in self.placeholders

    def tier_label(self, tier: int) -> str:
        """The label of an outcome tier: the first word listed for it."""
        for number, words in self.outcome_tiers:
            if number == tier and words:
                return words[0]
        return ""

    def unit(self, text: str) -> str:
        """The unit a spelling stands for (百分比 -> %); unknown spellings come back normalised."""
        text = normalize(text)
        entry = self.lexicon.get(text)
        return entry[1] if entry is not None and entry[0] == "UNIT" else text

    def conversion(self, unit: str) -> tuple[str, Decimal] | None:
        """(target unit, factor) when amounts in `unit` convert to another unit, else None."""
        for source, to, factor in self.unit_conversions:
            if source == unit:
                return to, factor
        return None

    def level2_category(self, name: str) -> str | None:
        """The 二级 category a keyword in an indicator's name implies (first match wins), or None."""
        text = normalize(name)
        for category, words in self.level2_keywords:
            if any(w in text for w in words):
                return category
        return None


_FIELDS = tuple(f for f in Vocabulary.__dataclass_fields__ if f not in ("lexicon", "lengths", "_hash"))


def _plain(
    words: Words, kind: str, where: tuple[str, ...]
) -> Iterable[tuple[str, tuple[str, str], tuple[str | int, ...]]]:
    for i, w in enumerate(words):
        yield w, (kind, w), (*where, i)


def _grouped(
    groups: Groups, kind: str, where: tuple[str, ...]
) -> Iterable[tuple[str, tuple[str, str], tuple[str | int, ...]]]:
    for key, words in groups:
        for i, w in enumerate(words):
            yield w, (kind, key), (*where, key, i)


def _schema_error(error: Any, locate: Any) -> SchemaError:
    where = list(error.absolute_path)
    message = error.message
    if error.validator == "additionalProperties" and isinstance(error.instance, Mapping):
        known = set(error.schema.get("properties", {}))
        unknown = [k for k in error.instance if k not in known]
        if unknown:
            where.append(unknown[0])
            message = f"unknown key {unknown[0]!r}{did_you_mean(str(unknown[0]), sorted(known))}"
    name = "/".join(["vocabulary", *(str(p) for p in where)])
    return SchemaError(f"{name}: {message}", locate(where))


def _describe(entry: tuple[str, str]) -> str:
    kind, payload = entry
    name = _KIND_NAMES.get(kind, kind)
    return f"{name} ({payload})" if payload and kind not in ("COMPLETION", "TIMELY", "MODIFIER", "PERIOD") else name


DEFAULT_RULESET = "cn-mof-2020"


@cache
def bundled_vocabulary_document() -> _yaml.Document:
    """The rule set whose `vocabulary:` section is the default vocabulary (cn-mof-2020), loaded once."""
    return _yaml.load_file(resources.rules_dir() / f"{DEFAULT_RULESET}.yaml")


def bundled_vocabulary_mapping() -> dict[str, Any]:
    """A fresh copy of the default vocabulary's mapping, as written in the bundled rule set."""
    return copy.deepcopy(bundled_vocabulary_document().data["vocabulary"])


@cache
def default_vocabulary() -> Vocabulary:
    """The vocabulary of the bundled national rule set (cn-mof-2020), loaded once."""
    document = bundled_vocabulary_document()
    return Vocabulary.from_mapping(document.data["vocabulary"], document, path=("vocabulary",))
