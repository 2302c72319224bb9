"""The JSON Schema of the form format, and validation that reports every error at its line and column."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Any

from .._yaml import Document
from ..errors import ErrorList, SchemaError, did_you_mean

_NUMBER = {"type": ["number", "null"]}
_TEXT = {"type": "string"}
_SOURCE = {
    "type": "object",
    "description": "Where the row stands in the imported table.",
    "additionalProperties": False,
    "properties": {
        "row": {"type": "integer", "minimum": 1},
        "cell": {"type": "string", "pattern": "^[A-Z]{1,3}[1-9][0-9]*$"},
        "sheet": _TEXT,
    },
}

FORM_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://perfeval-rules/schemas/form.json",
    "title": "项目支出绩效自评表 (performance self-evaluation form)",
    "type": "object",
    "additionalProperties": False,
    "required": ["project", "indicators"],
    "properties": {
        "project": {"type": "string", "description": "项目名称"},
        "department": {"type": "string", "description": "主管部门"},
        "implementer": {"type": "string", "description": "实施单位"},
        "year": {"type": ["integer", "null"], "minimum": 1900, "maximum": 2200},
        "amount_unit": {"enum": ["元", "千元", "万元", "亿元"], "description": "unit of the funds amounts"},
        "funds": {
            "type": "array",
            "description": "项目资金: the 年度资金总额 row first, then its parts",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["label"],
                "properties": {
                    "label": _TEXT,
                    "initial_budget": _NUMBER,
                    "budget": _NUMBER,
                    "executed": _NUMBER,
                    "weight": _NUMBER,
                    "rate": {**_NUMBER, "description": "执行率 in percent as printed (100.00 means 100%)"},
                    "score": _NUMBER,
                    "source": _SOURCE,
                },
            },
        },
        "goals": {
            "type": "object",
            "description": "年度总体目标",
            "additionalProperties": False,
            "properties": {"expected": _TEXT, "achieved": _TEXT},
        },
        "indicators": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["level1", "level2", "name", "target", "actual", "weight"],
                "properties": {
                    "level1": {**_TEXT, "description": "一级指标"},
                    "level2": {**_TEXT, "description": "二级指标"},
                    "name": {"type": "string", "minLength": 1, "description": "三级指标"},
                    "target": {"type": ["string", "number"], "description": "年度指标值, as written"},
                    "actual": {"type": ["string", "number"], "description": "实际完成值, as written"},
                    "weight": {**_NUMBER, "description": "分值"},
                    "reported_score": {**_NUMBER, "description": "得分 as filed"},
                    "reason": {**_TEXT, "description": "偏差原因分析"},
                    "source": _SOURCE,
                },
            },
        },
        "reported_total": _NUMBER,
        "reported_total_weight": _NUMBER,
        "reported_grade": {"type": ["string", "null"]},
        "imported_from": {"type": "string", "description": "the tabular file the sources' rows refer to"},
        "import_notes": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "pattern": "^[a-z0-9-]+$"},
                    "message": _TEXT,
                    "row": {"type": ["integer", "null"], "minimum": 1},
                    "sheet": {"type": ["string", "null"]},
                },
            },
        },
    },
}


def _is_number(checker: Any, instance: Any) -> bool:
    # YAML floats load as Decimal, never as binary float
    return isinstance(instance, int | Decimal) and not isinstance(instance, bool)


@functools.cache
def _validator_class() -> Any:
    # jsonschema is imported on first use: a batch of tables never needs it, and it is slow to import.
    import jsonschema

    base = jsonschema.Draft202012Validator
    return jsonschema.validators.extend(base, type_checker=base.TYPE_CHECKER.redefine("number", _is_number))


def validate(doc: Document, schema: dict[str, Any] | None = None) -> None:
    """Check a loaded document against a schema (the form's by default); every error located, best first."""
    from jsonschema.exceptions import best_match

    validator = _validator_class()(schema if schema is not None else FORM_SCHEMA)
    errors = list(validator.iter_errors(doc.data))
    if not errors:
        return
    best = best_match(errors)
    ordered = [best, *sorted((e for e in errors if e is not best), key=lambda e: _position(doc, e))]
    located = [_located(doc, error) for error in ordered]
    if len(located) == 1:
        raise located[0]
    raise ErrorList(list(located))


def _position(doc: Document, error: Any) -> tuple[int, int]:
    loc = doc.locate(tuple(error.absolute_path))
    return (loc.line or 0, loc.column or 0)


def _located(doc: Document, error: Any) -> SchemaError:
    while error.context:
        from jsonschema.exceptions import best_match

        error = best_match(error.context) or error
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(error.schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        if extra:
            key = extra[0]
            return SchemaError(
                f"{_dotted((*path, key))}: unknown key {key!r}{did_you_mean(key, allowed)}",
                doc.locate((*path, key)),
            )
    return SchemaError(f"{_dotted(path)}: {_message(error)}", doc.locate(path))


def _message(error: Any) -> str:
    if error.validator == "type":
        return f"{_show(error.instance)} is not of type {' or '.join(_as_list(error.validator_value))}"
    return str(error.message)


def _show(value: Any) -> str:
    return str(value) if isinstance(value, Decimal) else repr(value)


def _as_list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _dotted(path: tuple[Any, ...]) -> str:
    """A JSON path as people read it: indicators[3].weight."""
    text = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)
    return text.lstrip(".") or "(document)"
