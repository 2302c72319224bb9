"""The importer's fast paths give exactly what the general path gives.

Four shortcuts keep the import of a table fast: a TSV text in which `clean` would change no cell is split
without it (`_tidy`); a row whose first text can start no grade, total or stray-number row skips those
three tests (`_plain_head`); a row `align` would read where it stands and keep as it is has its indicator
made at once (`read_in_place`, column by column over the table), and a table of such rows skips the
passes that could not change them (`made_in_place` when each row has its own known labels); a row read
in place picks its columns' cells at once (`_texts`). Each case of tests/data/forms/fast-paths.yaml, every
text table of the other form cases, the seed and generated forms are imported with the first three on and
off, and with rows read in place taken through the label passes; the properties below check the
shortcuts' conditions on generated text.
"""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import FrozenInstanceError, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fuzzing import fuzz
from hypothesis import given
from hypothesis import strategies as st

from perfeval_rules._slots import slots_draft
from perfeval_rules._yaml import load_file
from perfeval_rules.errors import FormError
from perfeval_rules.forms import _importer, _tables, load_forms
from perfeval_rules.forms._importer import (
    _Columns,
    _Importer,
    _indicator,
    _Memo,
    _plain_head,
    _provenance,
    _texts,
    import_grid,
    is_number,
)
from perfeval_rules.forms._tables import _CONTROL, Grid, Row, _looks_binary, _row, _tidy, clean, text_grid
from perfeval_rules.forms.model import Indicator, Provenance

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import generate

DATA = Path(__file__).parent / "data" / "forms"
CASES = load_file(DATA / "fast-paths.yaml").data
SEED = Path(__file__).resolve().parent.parent / "examples" / "xinhong-community-party-building.tsv"


def table(case: dict[str, Any]) -> bytes:
    """The case's rows as TSV bytes."""
    newline = case.get("newline", "\n")
    return "".join("\t".join(row) + newline for row in case["rows"]).encode("utf-8")


_DELIMITERS = {".tsv": "\t", ".csv": ",", ".txt": None}


_READ_IN_PLACE = _Importer.read_in_place


def _read_none_in_place(self: _Importer, rows: list[Row], columns: _Columns) -> Any:
    return [False] * len(rows), _READ_IN_PLACE(self, [], columns)[1]


def imported(
    raw: bytes,
    monkeypatch: pytest.MonkeyPatch,
    *,
    fast: bool,
    file: str = "form.tsv",
    labels_in_place: bool = True,
    **vocabulary: Any,
) -> str:
    """The form read from `raw` (its repr: Decimals with their digits), or the error it raises.

    `labels_in_place=False` keeps the other shortcuts but takes the rows read in place through the passes.
    """
    with monkeypatch.context() as patch:
        if not labels_in_place:
            patch.setattr(_Importer, "made_in_place", lambda self, read: None)
        if not fast:
            patch.setattr(_tables, "_tidy", lambda text: False)
            patch.setattr(_importer, "_plain_head", lambda text: False)
            patch.setattr(_importer, "_PLAIN_HEAD", _Memo(lambda text: False))
            patch.setattr(_Importer, "read_in_place", _read_none_in_place)
            for shortcut in ("_all_read_in_place", "_labels_in_their_columns", "_all_known", "_all_labelled"):
                patch.setattr(_importer, shortcut, lambda *args: False)
        try:
            return repr(import_grid(text_grid(raw, file, _DELIMITERS[Path(file).suffix]), **vocabulary))
        except FormError as exc:
            return f"{exc} {exc.location!r}"


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_each_case_imports_as_through_the_general_path(case: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    raw = table(case)
    general = imported(raw, monkeypatch, fast=False)
    assert imported(raw, monkeypatch, fast=True) == general
    assert imported(raw, monkeypatch, fast=True, labels_in_place=False) == general


def test_the_seed_imports_as_through_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = SEED.read_bytes()
    assert _tidy(raw.decode("utf-8-sig"))  # the seed takes the fast path
    general = imported(raw, monkeypatch, fast=False)
    assert imported(raw, monkeypatch, fast=True) == general
    assert imported(raw, monkeypatch, fast=True, labels_in_place=False) == general


def _text_tables() -> list[Any]:
    """The text tables of the other form cases: layouts and broken sources, as their tests write them."""
    tables = []
    for name in ("layouts.yaml", "bad-sources.yaml"):
        for case in load_file(DATA / name).data:
            if Path(case["file"]).suffix not in _DELIMITERS:
                continue
            if "hex" in case:
                raw = bytes.fromhex(case["hex"])
            else:
                text = case["text"]
                if Path(case["file"]).suffix in (".tsv", ".txt"):
                    text = "\n".join(re.sub(r"\s*\|\s*", "\t", line) for line in text.splitlines()) + "\n"
                raw = text.encode("utf-8")
            tables.append(pytest.param(raw, case["file"], id=case["name"]))
    return tables


@pytest.mark.parametrize(("raw", "file"), _text_tables())
def test_each_text_table_of_the_form_cases_imports_as_through_the_general_path(
    raw: bytes, file: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    general = imported(raw, monkeypatch, fast=False, file=file)
    assert imported(raw, monkeypatch, fast=True, file=file) == general
    assert imported(raw, monkeypatch, fast=True, file=file, labels_in_place=False) == general


def test_cells_of_several_lines_import_as_through_the_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    text = (
        "一级指标,二级指标,三级指标,年度指标值,实际完成值,分值,得分,偏差原因分析\n"
        '产出指标,数量指标,"活动\n场次","≥12\n场","12\n场",2,2,"场地\n维修"\n'
        ',"质量\n指标",合格率,=100%,100%,2,2\n'
        ',,"\n",=100%,100%,2,2\n'
    )
    raw = text.encode("utf-8")
    fast = imported(raw, monkeypatch, fast=True, file="form.csv")
    assert "场次" in fast and fast == imported(raw, monkeypatch, fast=False, file="form.csv")


@pytest.mark.parametrize("seed", [2020, 7])
def test_generated_forms_import_as_through_the_general_path(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    for spec in generate.specs(12, seed=seed):
        raw = generate.to_tsv(spec).encode("utf-8")
        general = imported(raw, monkeypatch, fast=False)
        assert imported(raw, monkeypatch, fast=True) == general
        assert imported(raw, monkeypatch, fast=True, labels_in_place=False) == general


def test_every_row_of_a_generated_form_is_read_in_place() -> None:
    # the benchmark's forms take the fast path on each indicator row, and skip the passes after it
    raw = generate.to_tsv(generate.spec(3)).encode("utf-8")
    read = []

    def counted(self: _Importer, rows: list[Row], columns: _Columns) -> Any:
        read_in, rows_read = _READ_IN_PLACE(self, rows, columns)
        read.append((read_in, len(rows_read.rows)))
        return read_in, rows_read

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(_Importer, "read_in_place", counted)
        for general in ("skip_rows", "lines", "made", "assign_labels"):
            patch.setattr(_Importer, general, None)  # called, it would fail
        form = import_grid(text_grid(raw, "form.tsv", "\t"))
    assert read == [(None, generate.ROWS)] and len(form.indicators) == generate.ROWS


@pytest.mark.parametrize(
    "placeholders",
    [["", "0"], ["", "2.00"], ["", "—", "-", "/"], ["", "指标2"], ["", "社区活动"]],
    ids=["zero", "weight", "dashes", "placeholder-name", "name"],
)
def test_numbers_and_names_a_vocabulary_calls_placeholders_take_the_general_path(
    placeholders: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = [
        ["三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析"],
        ["社区活动", "≥12场", "12场", "2.00", "0", "—"],
        ["指标2", "", "", "0", "0"],
        ["读者满意度", "≥90%", "95%", "0", "2.00", "/"],
    ]
    raw = table({"rows": rows})
    fast = imported(raw, monkeypatch, fast=True, placeholders=placeholders)
    assert fast == imported(raw, monkeypatch, fast=False, placeholders=placeholders)


@pytest.mark.parametrize(
    ("text", "tidy"),
    [
        ("项目名称\t社区养老\n", True),
        ("a b\tc\n", True),
        ("a  b\n", False),
        (" a\tb\n", False),
        ("a \tb\n", False),
        ("a\t b\n", False),
        ("a\u3000b\n", False),
        ("a\u00a0b\n", False),
        ("a\u2003b\n", False),
        ("a\u2028b\n", False),
        ("a\r\nb\r\n", False),
        ("a\x1f\tb\n", False),
        ("a\n b\n", False),
        ("a \nb\n", False),
    ],
)
def test_tidy_takes_only_texts_that_clean_leaves_as_they_are(text: str, tidy: bool) -> None:
    assert _tidy(text) is tidy


_CHARS = st.sampled_from(["a", "优", " ", "\t", "\n", "\r", "\u3000", "\u00a0", "\u2003", "\u2028", "\x1f", "\x85"])


@fuzz(500)
@given(text=st.lists(_CHARS, max_size=40).map("".join))
def test_a_tidy_text_has_only_cells_clean_leaves_alone(text: str) -> None:
    if _tidy(text):
        for line in text.splitlines():
            for cell in line.split("\t"):
                assert clean(cell) == cell


_FIRST_CELLS = [
    *("评分等级", "等级：优", "自评等级", "等级公路里程", "总分", "合计", "总计完成率", "综合得分"),
    *("优", "良好", "不合格", "合格率", "12", "１２", "1,234", "3分", "- 2 -", "100%", "产出指标", "活动场次", ""),
]
_CELLS = st.sampled_from([*_FIRST_CELLS, "50", "98", "优", "≥90%", "说明"])


@fuzz(500)
@given(first=st.sampled_from(_FIRST_CELLS), rest=st.lists(_CELLS, max_size=6))
def test_a_plain_head_starts_no_grade_total_or_stray_row(first: str, rest: list[str]) -> None:
    cells = (first, *rest)
    if not any(cells):
        return
    row = Row(1, cells, "\t".join(cells))
    importer = _Importer(Grid("form.tsv", (row,)), frozenset({""}), ())
    if _plain_head(next(c for c in cells if c)):
        assert importer.grade(row) is None
        assert not importer.is_total(row)
        assert not all(is_number(c) for c in cells if c)


@fuzz(300)
@given(
    cells=st.lists(st.sampled_from(["", "a", "50"]), max_size=12).map(tuple),
    columns=st.lists(st.integers(0, 11), min_size=2, max_size=10, unique=True),
    offset=st.sampled_from([-2, -1, 0, 1]),
)
def test_a_row_s_texts_are_its_cells_at_the_columns(cells: tuple[str, ...], columns: list[int], offset: int) -> None:
    row = Row(1, cells, "\t".join(cells))
    index = {f"c{i}": col for i, col in enumerate(columns)}
    assert _texts(row, _Columns(index), offset) == {key: row.cell(col + offset) for key, col in index.items()}


def test_every_blank_but_the_space_and_every_control_is_unprintable() -> None:
    # what `_tidy` and `_looks_binary` rely on when a text is printable
    chars = map(chr, range(0x110000))
    assert [c for c in chars if c.isprintable() and ((c.isspace() and c != " ") or _CONTROL.match(c))] == []


@fuzz(300)
@given(text=st.lists(st.sampled_from([*"a优\t\n\r\x00\x1f\x85\u200b"]), max_size=300).map("".join))
def test_binary_text_is_told_by_its_count_of_controls(text: str) -> None:
    assert _looks_binary(text) is (len(_CONTROL.findall(text)) > max(2, len(text) // 100))


@pytest.mark.parametrize("title", ["2023年度绩效自评表", "2023\uf98e度绩效自评表", "２０２３ 年度", "项目\t2023年"])
def test_the_year_is_found_however_its_year_sign_is_written(title: str) -> None:
    # `year` looks for the pattern only in folded texts that hold 年; U+F98E folds to 年
    raw = f"{title}\n项目名称\t社区服务\n三级指标\t分值\n活动场次\t10\n".encode()
    assert import_grid(text_grid(raw, "form.tsv", "\t")).year == 2023


def test_a_row_of_too_many_cells_is_refused_in_tidy_text_too() -> None:
    raw = ("项目名称\t社区养老\n" + "三级指标\t分值" + "\t" * 255 + "\n").encode()
    assert _tidy(raw.decode())
    with pytest.raises(FormError, match="row has more than 256 cells") as caught:
        text_grid(raw, "form.tsv", "\t")
    assert caught.value.location is not None and caught.value.location.line == 2


def test_the_draft_makers_make_what_the_constructors_make() -> None:
    provenance = Provenance("form.tsv", None, 12, "C12")
    assert _provenance("form.tsv", None, 12, "C12") == provenance
    values = ("产出指标", "数量指标", "活动场次", "≥3(场)", "4", Decimal("2.00"), None, "", provenance)
    made = _indicator(*values)
    assert type(made) is Indicator and made == Indicator(*values) and hash(made) == hash(Indicator(*values))
    with pytest.raises(FrozenInstanceError):
        made.name = "other"  # type: ignore[misc]
    assert _row(3, ("a", ""), "a\t") == Row(3, ("a", ""), "a\t")


def test_a_draft_becomes_only_a_class_of_its_slots() -> None:
    draft = slots_draft(Provenance)()
    with pytest.raises(TypeError, match="layout differs"):
        draft.__class__ = Indicator


def test_a_memo_asks_once_and_forgets_all_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_importer, "_MEMO_SIZE", 2)
    asked: list[str] = []
    memo = _Memo(lambda text: asked.append(text) or text.upper())
    assert [memo["a"], memo["b"], memo["a"], memo["c"]] == ["A", "B", "A", "C"]
    assert asked == ["a", "b", "c"] and dict(memo) == {"c": "C"}


@pytest.mark.parametrize("seed", [2020, 7])
def test_a_loaded_table_is_what_the_importer_makes_with_its_source_and_digest(seed: int, tmp_path: Path) -> None:
    # load_forms hands the digest to the importer instead of copying each form with it
    spec = generate.spec(0, seed=seed)
    path = tmp_path / "form.tsv"
    path.write_text(generate.to_tsv(spec), encoding="utf-8")
    raw = path.read_bytes()
    made = import_grid(text_grid(raw, str(path), "\t"))
    expected = replace(made, source=str(path), source_sha256=hashlib.sha256(raw).hexdigest())
    assert repr(load_forms(path)) == repr([expected])


_HEADER_WORDS = [w for _, words in _importer._INDICATOR_COLUMNS for w in words]


@fuzz(300)
@given(parts=st.lists(st.sampled_from([*_HEADER_WORDS, "项目", "年度", "100", "(", "）", "指标", "值"]), max_size=4))
def test_a_header_text_names_the_column_the_search_over_every_name_finds(parts: list[str]) -> None:
    # `_column_name` answers 'none' after one search for any word: the same as trying each name and word
    key = "".join(parts)
    spec = _importer._INDICATOR_COLUMNS
    expected = next((name for name, words in spec if any(w in key for w in words)), None)
    assert _importer._column_name(spec)[key] == expected
