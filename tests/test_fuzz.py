"""Fuzzing with hypothesis: whatever the input, each stage answers with its value or its own error, never
another exception. Sized for CI (a few seconds); PERFEVAL_FUZZ=long runs thousands of examples each
(docs/fuzzing.md). The token-level and arithmetic properties live in test_expr.py and test_notation.py.
"""

from __future__ import annotations

import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from fuzzing import fuzz
from hypothesis import given
from hypothesis import strategies as st

from perfeval_rules import _json, _yaml
from perfeval_rules.engine import evaluate
from perfeval_rules.errors import FormError, PerfevalError, YamlError
from perfeval_rules.expr import ExprError, Scope, Type, Variable, compile_expression
from perfeval_rules.forms import Form
from perfeval_rules.forms._importer import import_grid
from perfeval_rules.forms._tables import text_grid
from perfeval_rules.forms.document import form_from_document
from perfeval_rules.notation import Notation, Unparsed, parse
from perfeval_rules.report import render
from perfeval_rules.ruleset import RuleSet, load_ruleset

ROOT = Path(__file__).parents[1]
SEED_TEXT = (ROOT / "examples" / "xinhong-community-party-building.tsv").read_text(encoding="utf-8")
MOF_TEXT = (ROOT / "rules" / "cn-mof-2020.yaml").read_text(encoding="utf-8")
RULES = load_ruleset("cn-mof-2020")
FORM = form_from_document(_yaml.load_file(ROOT / "tests" / "data" / "hostile" / "form.yaml"))

# ---- grammars: any text --------------------------------------------------------------------------

_ANY_TEXT = st.text(max_size=200)
_SOUP = st.lists(
    st.sampled_from(
        [*"()（）[]+-*/=<>≥≤,，'\"\\ \n\t.", "if", "then", "else", "and", "not", "分值", "1", "0.5", "min("]
    ),
    max_size=400,
).map("".join)


@fuzz(300)
@given(text=st.one_of(_ANY_TEXT, _SOUP), as_=st.sampled_from(["target", "actual"]))
def test_notation_reads_any_text_as_a_value(text: str, as_: str) -> None:
    value = parse(text, as_="actual" if as_ == "actual" else "target")
    assert isinstance(value, Notation)
    if isinstance(value, Unparsed):
        assert value.error.endswith("^")
    _json.dumps(value.to_dict())


_SCOPE = Scope((Variable("分值", Type.NUMBER, aliases=("weight",)), Variable("kind", Type.TEXT)))


@fuzz(300)
@given(text=st.one_of(_ANY_TEXT, _SOUP))
def test_expression_compiles_or_is_an_expr_error(text: str) -> None:
    try:
        expression = compile_expression(text, _SCOPE)
    except ExprError as exc:
        assert exc.location is not None
        assert str(exc).endswith("^") or "hint:" in str(exc) or exc.message == "empty expression"
        return
    expression.evaluate({"分值": Decimal(2), "kind": "定量"})  # evaluation never raises: Undefined instead


# ---- YAML: any YAML-ish text ---------------------------------------------------------------------

_YAML_PIECES = st.sampled_from(
    [
        "project: ", "indicators:", "- ", "  ", "    ", "\n", "name: ", "weight: ", "target: ≥100人", "{", "}", "[",
        "]", ",", ": ", "? ", "&a ", "*a", "!!str ", "!!python/name:os.system ", "!x ", "<<: *a", "|", ">", "'",
        '"', "#", "\t", "---", "...", "%YAML 1.1", "~", ".inf", "1.0e+5", "0x1F", "2020-01-01", "yes", "1.50",
        '"\\ud800"', '"\\ud83d\\ude00"', "级", "\x00", "\ufeff",
    ]
)  # fmt: skip
_YAML_TEXT = st.one_of(st.lists(_YAML_PIECES, max_size=60).map("".join), _ANY_TEXT)


@fuzz(300)
@given(text=_YAML_TEXT)
def test_yaml_loader_gives_a_document_or_a_yaml_error(text: str) -> None:
    try:
        document = _yaml.load_text(text, "fuzz.yaml")
    except YamlError as exc:
        assert exc.location is not None and exc.location.file == "fuzz.yaml"
        return
    try:
        form = form_from_document(document)
    except PerfevalError:
        return
    assert isinstance(form, Form)


# ---- tables: random grids and mutations of the example form --------------------------------------

_CELLS = st.one_of(
    st.sampled_from(
        [
            "", "项目名称", "主管部门", "实施单位", "项目资金(万元)", "年初预算数", "全年预算数", "全年执行数", "分值",
            "执行率", "得分", "年度资金总额", "当年财政拨款", "一级指标", "二级指标", "三级指标", "年度指标值",
            "实际完成值", "偏差原因分析", "产出指标", "效益指标", "数量指标", "质量指标", "时效指标", "成本指标",
            "满意度指标", "总分", "评分等级", "优", "≥3500.00(人)", "=100.00(%)", "3125", "100%", "≥90.00%",
            "达成指标", "部分达成年度指标并具有一定效果", "1.00", "2.00", "0.00", "-", "—", "10", "97.0",
            "<p>x</p>", "&lt;b&gt;", "1e5", "-1", "１２", "可持续影响指", "标", "年度总体目标",
        ]
    ),
    st.text(max_size=12),
)  # fmt: skip
_GRIDS = st.lists(st.lists(_CELLS, max_size=10), max_size=30).map(lambda rows: "\n".join("\t".join(r) for r in rows))

_SEED_ROWS = [line.split("\t") for line in SEED_TEXT.split("\n")]
_MUTATIONS = st.lists(
    st.tuples(
        st.sampled_from(["delete-row", "duplicate-row", "swap-rows", "delete-cell", "insert-cell", "replace-cell"]),
        st.integers(0, 200),
        st.integers(0, 12),
        _CELLS,
    ),
    min_size=1,
    max_size=8,
)


def _mutated_seed(mutations: list[tuple[str, int, int, str]]) -> str:
    rows = [list(r) for r in _SEED_ROWS]
    for op, i, j, cell in mutations:
        r = i % len(rows) if rows else 0
        if op == "delete-row" and rows:
            del rows[r]
        elif op == "duplicate-row" and rows:
            rows.insert(r, list(rows[r]))
        elif op == "swap-rows" and rows:
            k = j % len(rows)
            rows[r], rows[k] = rows[k], rows[r]
        elif rows and op == "delete-cell" and rows[r]:
            del rows[r][j % len(rows[r])]
        elif rows and op == "insert-cell":
            rows[r].insert(j % (len(rows[r]) + 1), cell)
        elif rows and op == "replace-cell" and rows[r]:
            rows[r][j % len(rows[r])] = cell
    return "\n".join("\t".join(r) for r in rows)


def _import_and_evaluate(text: str, delimiter: str = "\t") -> None:
    try:
        form = import_grid(text_grid(text.encode("utf-8"), "fuzz.tsv", delimiter))
    except FormError:
        return
    result = evaluate(RULES, form).to_dict()
    _json.dumps(result)
    render(result, "md")


@fuzz(80)
@given(text=_GRIDS, delimiter=st.sampled_from(["\t", ","]))
def test_random_grids_import_to_a_form_or_a_form_error(text: str, delimiter: str) -> None:
    _import_and_evaluate(text.replace("\t", delimiter), delimiter)


@fuzz(60)
@given(mutations=_MUTATIONS)
def test_mutations_of_the_example_form_import_and_evaluate(mutations: list[tuple[str, int, int, str]]) -> None:
    _import_and_evaluate(_mutated_seed(mutations))


# ---- rule sets: mutated copies of cn-mof-2020 ---------------------------------------------------


class _Dumper(yaml.SafeDumper):
    """Writes the Decimals the loader made back as YAML numbers."""


_Dumper.add_representer(Decimal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:float", format(v, "f")))

_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 200),
    st.decimals(-2, 200, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["分值 / 0", "完成值 / 指标值", "(((分值)))", "unknown_name", "min(1)", "true", "1 +", "优", ""]),
    st.text(max_size=10),
    st.just([]),
    st.just({}),
)


def _paths(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _paths(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _paths(value, (*path, index))
    return found


def _mutate_data(data: Any, choices: list[tuple[int, str, Any]]) -> Any:
    for pick, op, value in choices:
        paths = [p for p in _paths(data) if p]
        if not paths:
            break
        *parent_path, last = paths[pick % len(paths)]
        parent = data
        for key in parent_path:
            parent = parent[key]
        if op == "set":
            parent[last] = value
        elif op == "delete":
            del parent[last]
        elif op == "duplicate" and isinstance(parent, list):
            parent.insert(last, parent[last])
        elif op == "add-key" and isinstance(parent, dict):
            parent[str(value)] = value
    return data


_DATA_MUTATIONS = st.lists(
    st.tuples(st.integers(0, 10_000), st.sampled_from(["set", "delete", "duplicate", "add-key"]), _VALUES),
    min_size=1,
    max_size=4,
)
_TEXT_MUTATIONS = st.lists(
    st.tuples(st.integers(0, len(MOF_TEXT)), st.sampled_from(["cut", "insert", "dup-line"]), st.text(max_size=6)),
    min_size=1,
    max_size=4,
)


def _mutate_text(text: str, edits: list[tuple[int, str, str]]) -> str:
    for at, op, piece in edits:
        at %= len(text) + 1
        if op == "cut":
            text = text[:at] + text[at + 1 + len(piece) :]
        elif op == "insert":
            text = text[:at] + piece + text[at:]
        else:
            start = text.rfind("\n", 0, at) + 1
            end = text.find("\n", at)
            line = text[start : end if end >= 0 else len(text)]
            text = text[:start] + line + "\n" + text[start:]
    return text


def _load(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "mutant.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            ruleset = load_ruleset(path)
        except PerfevalError:
            return
    assert isinstance(ruleset, RuleSet)
    _json.dumps(
        evaluate(
            ruleset, form_from_document(_yaml.load_file(ROOT / "tests" / "data" / "hostile" / "form.yaml"))
        ).to_dict()
    )


@fuzz(40)
@given(choices=_DATA_MUTATIONS)
def test_mutated_rule_set_data_loads_or_is_a_perfeval_error(choices: list[tuple[int, str, Any]]) -> None:
    data = _mutate_data(_yaml.load_text(MOF_TEXT).data, choices)
    _load(yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False))


@fuzz(40)
@given(edits=_TEXT_MUTATIONS)
def test_mutated_rule_set_text_loads_or_is_a_perfeval_error(edits: list[tuple[int, str, str]]) -> None:
    _load(_mutate_text(MOF_TEXT, edits))
