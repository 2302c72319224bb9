"""`Evaluation.json_element()`, the batch's fast JSON path, prints exactly `_json.element(evaluation.to_dict())`."""

from __future__ import annotations

import contextlib
import dataclasses
import re
import sys
from collections.abc import Callable, Iterator
from decimal import ROUND_FLOOR, Decimal, localcontext
from pathlib import Path

import orjson
import pytest

from perfeval_rules import _json, evaluate, load_form, load_ruleset
from perfeval_rules._yaml import load_file
from perfeval_rules.engine import model
from perfeval_rules.errors import FormError
from perfeval_rules.forms import Form, load_forms
from perfeval_rules.ruleset import RuleSet

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate
import portfolio_inputs

ROOT = Path(__file__).resolve().parents[1]
LAYOUTS = Path(__file__).parent / "data" / "forms" / "layouts.yaml"


def _general(ruleset: RuleSet, form: Form, trace: bool) -> bytes:
    return _json.element(evaluate(ruleset, form, trace=trace).to_dict())


def _fast(ruleset: RuleSet, form: Form, trace: bool) -> bytes:
    return evaluate(ruleset, form, trace=trace).json_element()


def _repository_forms(tmp_path: Path) -> Iterator[Form]:
    """The example, the test portfolio's variants and the text layouts of the importer's tests."""
    yield load_form(ROOT / "examples" / "xinhong-community-party-building.tsv")
    for path in sorted(portfolio_inputs.build(tmp_path / "portfolio").iterdir()):
        with contextlib.suppress(FormError):  # the portfolio's broken input
            yield from load_forms(path)
    for n, case in enumerate(load_file(LAYOUTS).data):
        if Path(case["file"]).suffix not in (".tsv", ".csv", ".txt") or "text" not in case:
            continue
        text = case["text"]
        if Path(case["file"]).suffix != ".csv":
            text = "\n".join(re.sub(r"\s*\|\s*", "\t", line) for line in text.splitlines()) + "\n"
        path = tmp_path / f"layout-{n}{Path(case['file']).suffix}"
        path.write_text(text, encoding="utf-8")
        yield from load_forms(path)


@pytest.mark.parametrize("trace", [False, True])
def test_generated_portfolio_prints_alike(trace: bool) -> None:
    ruleset = load_ruleset("cn-mof-2020")
    for spec in generate.specs(300):
        form = generate.to_form(spec)
        # twice: the second time every shared outcome's printed parts are remembered
        assert _fast(ruleset, form, trace) == _general(ruleset, form, trace) == _fast(ruleset, form, trace)


@pytest.mark.parametrize("trace", [False, True])
def test_repository_forms_print_alike(tmp_path: Path, trace: bool) -> None:
    ruleset = load_ruleset("cn-mof-2020")
    forms = list(_repository_forms(tmp_path))
    assert len(forms) >= 8
    for form in forms:
        assert _fast(ruleset, form, trace) == _general(ruleset, form, trace)


def test_unusual_decimal_context_prints_alike() -> None:
    ruleset = load_ruleset("cn-mof-2020")
    with localcontext() as context:
        context.prec, context.rounding = 12, ROUND_FLOOR
        for spec in generate.specs(40, seed=11):
            form = generate.to_form(spec)
            for trace in (False, True):
                assert _fast(ruleset, form, trace) == _general(ruleset, form, trace)


def test_results_already_made_print_alike() -> None:
    ruleset = load_ruleset("cn-mof-2020")
    evaluation = evaluate(ruleset, load_form(ROOT / "examples" / "xinhong-community-party-building.tsv"))
    fresh = evaluation.json_element()
    assert evaluation.indicators[0].index == 1  # the results are made now
    assert evaluation.json_element() == fresh == _json.element(evaluation.to_dict())


def _either(ruleset: RuleSet, form: Form, trace: bool, how: Callable[[RuleSet, Form, bool], bytes]) -> object:
    """The bytes, or the error raised."""
    try:
        return how(ruleset, form, trace)
    except Exception as exc:  # the error is the result compared
        return repr(exc)


def test_what_orjson_cannot_print_takes_the_general_path() -> None:
    ruleset = load_ruleset("cn-mof-2020")
    form = load_form(ROOT / "examples" / "xinhong-community-party-building.tsv")
    first = form.indicators[0]
    for changed in (
        dataclasses.replace(first, weight=Decimal("2E+0")),  # an exponent: printed by orjson all the same
        dataclasses.replace(first, name="断\ud800开"),  # a lone surrogate (not UTF-8): the plain writer's error
        dataclasses.replace(first, weight=Decimal("NaN")),  # no JSON form: the plain writer's error
        None,  # no indicators at all
    ):
        rows = () if changed is None else (changed, *form.indicators[1:])
        odd = dataclasses.replace(form, indicators=rows)
        for trace in (False, True):
            assert _either(ruleset, odd, trace, _fast) == _either(ruleset, odd, trace, _general)


def test_nested_pieces_print_where_orjson_would() -> None:
    value = {"text": '两行\n文字 "引号"', "n": Decimal("1.50"), "none": None, "list": [Decimal("0E-3"), True]}
    for depth in range(4):
        document: object = value
        for _ in range(depth):
            document = [document]
        inner: object = orjson.Fragment(_json.printed(value, depth))
        for _ in range(depth):
            inner = [inner]
        assert _json.dumpb(inner) == _json.dumpb(document)
    assert _json.decimal_text("1.50") is _json.decimal_text(str(Decimal("1.50")))


def test_printed_outcomes_stay_within_their_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "_PRINTED_LIMIT", 64 * 1024)
    ruleset = load_ruleset("cn-mof-2020")
    for spec in generate.specs(60, seed=3):
        form = generate.to_form(spec)
        for trace in (False, True):
            assert _fast(ruleset, form, trace) == _general(ruleset, form, trace)
            assert model._PRINTED_SIZE[0] <= 64 * 1024
            assert sum(map(len, model._PRINTED.values())) <= 64


def test_results_without_the_engines_number_texts_print_alike() -> None:
    ruleset = load_ruleset("cn-mof-2020")
    for spec in generate.specs(20, seed=5):
        evaluation = evaluate(ruleset, generate.to_form(spec), trace=False)
        evaluation.indicators._numbers = None  # as IndicatorResults made by a caller other than the engine
        assert evaluation.json_element() == _json.element(evaluation.to_dict())
