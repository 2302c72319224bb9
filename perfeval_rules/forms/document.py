"""The form format: a readable YAML (or JSON) layout of `Form` that people can correct by hand.

Numbers are written with the digits the form printed (`weight: 2.00`) and load back as the same
Decimal; strings are quoted only where YAML would misread them; the output is deterministic.
"""

from __future__ import annotations

import functools
import unicodedata
from decimal import Decimal
from typing import Any

from .._yaml import Document
from ..errors import SchemaError
from .model import Form, FundsRow, ImportNote, Indicator, Provenance
from .schema import validate

_FUNDS_KEYS = ("initial_budget", "budget", "executed", "weight", "rate", "score")


class _Flow(dict[str, Any]):
    """A mapping written on one line: `source: {row: 14, cell: C14}`."""


@functools.cache
def _dumper() -> type[Any]:
    """The YAML dumper of the form format (PyYAML is imported only when a form is written)."""
    import yaml

    class Dumper(yaml.SafeDumper):
        """Block style, sequences indented under their key, exact Decimals, literal blocks for long texts."""

        def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
            super().increase_indent(flow, False)

    def decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.ScalarNode:
        text = format(value, "f")
        tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
        return dumper.represent_scalar(tag, text)

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
        style = "|" if "\n" in value and value == value.strip() else None
        if any(_is_special(ch) for ch in value):
            style = '"'  # escaped, so that YAML's extra line breaks (NEL, LS, PS) and controls survive
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    def flow(dumper: yaml.SafeDumper, value: _Flow) -> yaml.MappingNode:
        return dumper.represent_mapping("tag:yaml.org,2002:map", value, flow_style=True)

    Dumper.add_representer(Decimal, decimal)
    Dumper.add_representer(str, text)
    Dumper.add_representer(_Flow, flow)
    return Dumper


def _is_special(ch: str) -> bool:
    return ch in "\x85\u2028\u2029\ufeff\r" or (unicodedata.category(ch) == "Cc" and ch not in "\n\t")


def form_to_dict(form: Form) -> dict[str, Any]:
    """The form as plain data in the layout of the form format (Decimals kept)."""
    data: dict[str, Any] = {
        "project": form.project,
        "department": form.department,
        "implementer": form.implementer,
        "year": form.year,
        "amount_unit": form.amount_unit,
        "funds": [_funds_row(row) for row in form.funds],
        "goals": {"expected": form.goal_expected, "achieved": form.goal_achieved},
        "indicators": [_indicator(ind) for ind in form.indicators],
        "reported_total": form.reported_total,
        "reported_total_weight": form.reported_total_weight,
        "reported_grade": form.reported_grade,
    }
    files = {p.file for p in _provenances(form) if p.file}
    if len(files) == 1:
        data["imported_from"] = files.pop()
    data["import_notes"] = [_note(n) for n in form.import_notes]
    return data


def form_to_yaml(form: Form) -> str:
    """The form as YAML text: a header comment naming its source, then the fields; deterministic."""
    import yaml  # only when a form is written

    header = ["# 项目支出绩效自评表 in the perfeval form format; edit freely, check with `perfeval validate FILE`."]
    if form.source:
        digest = f" (sha256 {form.source_sha256})" if form.source_sha256 else ""
        header.append(f"# Read from {form.source}{digest}.")
    body = yaml.dump(form_to_dict(form), Dumper=_dumper(), allow_unicode=True, sort_keys=False, width=10**6)
    return "\n".join(header) + "\n" + body


def form_from_document(doc: Document) -> Form:
    """A Form from a loaded YAML/JSON document, after checking it against `FORM_SCHEMA`."""
    if not isinstance(doc.data, dict):
        kinds = {type(None): "the file is empty", list: "it holds a list"}
        what = kinds.get(type(doc.data), "it holds a single value")
        raise SchemaError(f"a form must be a mapping of keys (project, indicators …); {what}", doc.locate(()))
    validate(doc)
    data = doc.data
    imported_from = data.get("imported_from")
    goals = data.get("goals", {})

    def where(item: dict[str, Any], path: tuple[str | int, ...]) -> Provenance:
        src = item.get("source")
        if src is None:
            return Provenance(file=doc.filename, row=doc.locate(path).line)
        return Provenance(file=imported_from, sheet=src.get("sheet"), row=src.get("row"), cell=src.get("cell"))

    funds = tuple(
        FundsRow(
            label=row["label"],
            **{k: _number(row.get(k)) for k in _FUNDS_KEYS},
            provenance=where(row, ("funds", i)),
        )
        for i, row in enumerate(data.get("funds", []))
    )
    indicators = tuple(
        Indicator(
            level1=item["level1"],
            level2=item["level2"],
            name=item["name"],
            target_text=_as_text(item["target"]),
            actual_text=_as_text(item["actual"]),
            weight=_number(item["weight"]),
            reported_score=_number(item.get("reported_score")),
            reason=item.get("reason", ""),
            provenance=where(item, ("indicators", i)),
        )
        for i, item in enumerate(data["indicators"])
    )
    notes = tuple(
        ImportNote(n["code"], n["message"], n.get("row"), n.get("sheet")) for n in data.get("import_notes", [])
    )
    return Form(
        project=data["project"],
        department=data.get("department", ""),
        implementer=data.get("implementer", ""),
        year=data.get("year"),
        amount_unit=data.get("amount_unit", "万元"),
        funds=funds,
        goal_expected=goals.get("expected", ""),
        goal_achieved=goals.get("achieved", ""),
        indicators=indicators,
        reported_total=_number(data.get("reported_total")),
        reported_total_weight=_number(data.get("reported_total_weight")),
        reported_grade=data.get("reported_grade"),
        source=doc.filename,
        import_notes=notes,
    )


def _funds_row(row: FundsRow) -> dict[str, Any]:
    data: dict[str, Any] = {"label": row.label}
    data.update({k: getattr(row, k) for k in _FUNDS_KEYS})
    if row.provenance is not None:
        data["source"] = _source(row.provenance)
    return data


def _indicator(ind: Indicator) -> dict[str, Any]:
    data: dict[str, Any] = {
        "level1": ind.level1,
        "level2": ind.level2,
        "name": ind.name,
        "target": ind.target_text,
        "actual": ind.actual_text,
        "weight": ind.weight,
        "reported_score": ind.reported_score,
        "reason": ind.reason,
    }
    if ind.provenance is not None:
        data["source"] = _source(ind.provenance)
    return data


def _source(p: Provenance) -> _Flow:
    return _Flow({k: v for k, v in (("row", p.row), ("cell", p.cell), ("sheet", p.sheet)) if v is not None})


def _note(note: ImportNote) -> dict[str, Any]:
    data: dict[str, Any] = {"code": note.code, "row": note.row}
    if note.sheet is not None:
        data["sheet"] = note.sheet
    data["message"] = note.message
    return data


def _provenances(form: Form) -> list[Provenance]:
    found = [r.provenance for r in form.funds] + [i.provenance for i in form.indicators]
    return [p for p in found if p is not None]


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    return value if isinstance(value, Decimal) else Decimal(value)


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else format(_number(value), "f")
