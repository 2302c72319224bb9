"""Any form written as YAML loads back equal: texts YAML could misread, and Decimals with their digits."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from perfeval_rules._yaml import load_text
from perfeval_rules.forms import Form, FundsRow, ImportNote, Indicator, Provenance, form_from_document, form_to_yaml

TRICKY = [
    "3125",
    "yes",
    "no",
    "null",
    "~",
    "=100.00(%)",
    "≥90.00%",
    "- x",
    "#1",
    "a: b",
    "'q'",
    '"q"',
    "1e5",
    "0x1F",
    "2023-01-01",
    "@x",
    "*a",
    "&a",
    "!t",
    "%",
    "|",
    ">",
    "  lead",
    "trail  ",
    "a\nb",
    "行一\n行二\n",
    "\t",
    "",
]
texts = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))
decimals = st.decimals(allow_nan=False, allow_infinity=False, min_value=-(10**9), max_value=10**9, places=None).map(
    lambda d: d.quantize(Decimal(1).scaleb(-2)) if abs(d.as_tuple().exponent) > 6 else d  # type: ignore[arg-type]
)
maybe = st.one_of(st.none(), decimals)
provenance = st.builds(
    Provenance,
    file=st.just("src.tsv"),
    sheet=st.one_of(st.none(), st.sampled_from(["表1", "Sheet 2"])),
    row=st.integers(1, 999),
    cell=st.sampled_from(["A1", "C14", "AB999"]),
)
indicator = st.builds(
    Indicator,
    level1=texts,
    level2=texts,
    name=texts.filter(bool),
    target_text=texts,
    actual_text=texts,
    weight=maybe,
    reported_score=maybe,
    reason=texts,
    provenance=provenance,
)
funds_row = st.builds(
    FundsRow,
    label=texts,
    initial_budget=maybe,
    budget=maybe,
    executed=maybe,
    weight=maybe,
    rate=maybe,
    score=maybe,
    provenance=provenance,
)
note = st.builds(
    ImportNote,
    code=st.sampled_from(["label-joined", "row-skipped"]),
    message=texts,
    row=st.one_of(st.none(), st.integers(1, 99)),
    sheet=st.one_of(st.none(), st.just("表1")),
)
forms = st.builds(
    Form,
    project=texts,
    department=texts,
    implementer=texts,
    year=st.one_of(st.none(), st.integers(1990, 2100)),
    amount_unit=st.sampled_from(["元", "万元"]),
    funds=st.lists(funds_row, max_size=3).map(tuple),
    goal_expected=texts,
    goal_achieved=texts,
    indicators=st.lists(indicator, max_size=4).map(tuple),
    reported_total=maybe,
    reported_total_weight=maybe,
    reported_grade=st.one_of(st.none(), texts),
    import_notes=st.lists(note, max_size=3).map(tuple),
)


@settings(max_examples=150, deadline=None)
@given(forms)
def test_any_form_round_trips_through_yaml(form: Form) -> None:
    text = form_to_yaml(form)
    loaded = form_from_document(load_text(text, "form.yaml"))
    assert dataclasses.replace(loaded, source=None) == form
    for before, after in zip(form.indicators, loaded.indicators, strict=True):
        assert (str(before.weight), str(before.reported_score)) == (str(after.weight), str(after.reported_score))
