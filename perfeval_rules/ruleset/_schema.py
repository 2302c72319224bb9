"""JSON Schema validation of a rule-set document, every error mapped back to its YAML line."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import Location, PerfevalError, SchemaError, did_you_mean

Locator = Callable[[tuple[str | int, ...]], Location]

SCHEMA_PATH = Path(__file__).with_name("ruleset.schema.json")


@cache
def ruleset_schema() -> dict[str, Any]:
    """The rule-set JSON Schema shipped in the package."""
    schema: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return schema


def schema_text() -> str:
    """The schema as published (`perfeval schema ruleset`)."""
    return SCHEMA_PATH.read_text(encoding="utf-8")


@cache
def _validator() -> Any:
    import jsonschema

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine_many(
        {
            # The YAML loader gives Decimal for every float; an integral Decimal is an integer too.
            "number": lambda _c, v: not isinstance(v, bool) and isinstance(v, int | Decimal),
            "integer": lambda _c, v: (
                not isinstance(v, bool) and (isinstance(v, int) or (isinstance(v, Decimal) and v == v.to_integral()))
            ),
        }
    )
    cls = jsonschema.validators.extend(base, type_checker=checker)
    return cls(ruleset_schema())


def validate_schema(data: Any, locate: Locator) -> list[PerfevalError]:
    """All schema errors of `data`, best first, then in file order; `locate` maps a path to its source."""
    from jsonschema.exceptions import best_match, relevance

    errors = list(_validator().iter_errors(data))
    if not errors:
        return []
    best = best_match(errors, key=relevance)
    errors = _leaves(errors)
    ordered = sorted(errors, key=lambda e: _position(locate, e))
    ordered = [best, *(e for e in ordered if e is not best)] if best in ordered else ordered
    missing: dict[tuple[str | int, ...], list[str]] = {}
    for error in ordered:
        if error.validator == "required":
            missing.setdefault(tuple(error.absolute_path), []).append(_missing_key(error))
    seen: set[str] = set()
    result: list[PerfevalError] = []
    for error in ordered:
        message = _message(error)
        if error.validator == "required":
            keys = missing[tuple(error.absolute_path)]
            if len(keys) > 1:
                where = ".".join(str(p) for p in error.absolute_path) or "the document"
                message = f"missing required keys {', '.join(repr(k) for k in keys)} in {where}"
        located = SchemaError(message, locate(_path(error)))
        key = str(located)
        if key not in seen:
            seen.add(key)
            result.append(located)
    return result


def _leaves(errors: list[Any]) -> list[Any]:
    """Replace a oneOf/anyOf failure by its most telling sub-error."""
    from jsonschema.exceptions import best_match

    out = []
    for e in errors:
        if e.validator in ("oneOf", "anyOf") and e.context:
            out.append(best_match(e.context))
        else:
            out.append(e)
    return out


def _path(error: Any) -> tuple[str | int, ...]:
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = error.schema.get("properties", {})
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            return (*path, extra[0])
    return path


def _position(locate: Locator, error: Any) -> tuple[str, int, int]:
    loc = locate(_path(error))
    return (loc.file or "", loc.line or 0, loc.column or 0)


def _missing_key(error: Any) -> str:
    text: str = error.message
    return text.split("'")[1] if "'" in text else text


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a true/false value"
    if isinstance(value, int | Decimal):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if value is None:
        return "nothing (null)"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


_TYPE_WORDS = {
    "string": "a text",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "null",
}


def _message(error: Any) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "the document"
    v = error.validator
    if v == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        name = extra[0] if extra else "?"
        return f"unknown key {name!r} in {where}{did_you_mean(str(name), allowed)}"
    if v == "required":
        return f"missing required key {_missing_key(error)!r} in {where}"
    if v == "type":
        wanted = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        words = " or ".join(_TYPE_WORDS.get(str(w), str(w)) for w in wanted)
        return f"{where} must be {words}, not {_describe(error.instance)}"
    if v == "enum":
        options = ", ".join(str(o) for o in error.validator_value)
        return f"{where} must be one of {options}, not {_describe(error.instance)}"
    if v == "pattern":
        return f"{where} {_describe(error.instance)} does not match the pattern {error.validator_value}"
    if v in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        word = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than"}.get(v, "less than")
        return f"{where} must be {word} {error.validator_value}, not {error.instance}"
    if v == "minItems":
        return f"{where} must list at least {error.validator_value} item(s)"
    if v == "minLength":
        return f"{where} must not be empty"
    return f"{where}: {error.message}"
