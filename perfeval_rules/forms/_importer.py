"""The layout of a published form, read from a grid of cells into a `Form`.

Real tables come from PDF text extraction and spreadsheets: merged-cell labels land in the middle of
their block or in the wrong column, labels break over two lines, rows lose their leading cells. The
importer repairs what it can and records every repair as an `ImportNote`; what it cannot read is a
located `FormError`.
"""

from __future__ import annotations

import bisect
import html
import itertools
import operator
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache, lru_cache
from typing import TypeVar

from .._slots import slots_draft
from ..errors import FormError, Location
from ._tables import Grid, Row, cell_name, column_letters
from .model import Form, FundsRow, ImportNote, Indicator, Provenance

LEVEL1 = ("产出指标", "效益指标", "满意度指标")
# The 一级 category a 二级 category belongs to, by a word of its name; checked in this order.
_LEVEL1_OF = (
    ("满意度", "满意度指标"),
    ("效益", "效益指标"),
    ("可持续", "效益指标"),
    ("数量", "产出指标"),
    ("质量", "产出指标"),
    ("时效", "产出指标"),
    ("成本", "产出指标"),
)
_GRADES = ("优秀", "良好", "优", "良", "中", "差", "合格", "不合格")
_TOTAL_WORDS = ("总分", "合计", "总计", "总得分", "综合得分")
_GRADE_WORDS = ("评分等级", "自评等级", "绩效等级", "评价等级", "等级")
_OPERATOR_START = tuple("=≥≤<>＞＜≧≦")

# Indicator-table columns and the header words that name them, checked in this order.
_INDICATOR_COLUMNS = (
    ("level1", ("一级指标",)),
    ("level2", ("二级指标",)),
    ("name", ("三级指标", "指标名称")),
    ("op", ("指标性质",)),
    ("unit", ("度量单位", "计量单位")),
    ("target", ("年度指标值", "预期指标值", "目标值", "指标值")),
    ("actual", ("实际完成值", "实际值", "完成值", "实际完成情况")),
    ("weight", ("分值", "分数", "权重")),
    ("score", ("得分",)),
    ("reason", ("偏差原因", "原因分析", "未完成原因")),
)
_FUNDS_COLUMNS = (
    ("initial_budget", ("年初预算数", "年初预算")),
    ("budget", ("全年预算数", "全年预算", "调整后预算")),
    ("executed", ("全年执行数", "执行数", "实际执行")),
    ("weight", ("分值", "分数", "权重")),
    ("rate", ("执行率",)),
    ("score", ("得分",)),
)
_FUNDS_LABELS = {
    "initial_budget": "年初预算数",
    "budget": "全年预算数",
    "executed": "全年执行数",
    "weight": "分值",
    "rate": "执行率",
    "score": "得分",
}
_HEAD_FIELDS = (
    ("project", ("项目名称",)),
    ("department", ("主管部门", "主管单位")),
    ("implementer", ("项目实施单位", "实施单位")),
)
_HEAD_WORDS = tuple(w for _, ws in _HEAD_FIELDS for w in ws)
_FUNDS_ROW = re.compile(r"资金|拨款|结转|其中")
_UNIT = re.compile(r"[(（]\s*(万元|千元|亿元|元)\s*[)）]|单位\s*[:：]\s*(万元|千元|亿元|元)")
_NUMBER = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[+-]?\.\d+")
_POINTS_SUFFIX = re.compile(r"[(（]\s*\d+(?:\.\d+)?\s*分?\s*[)）]$")
_HTML_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][^>]*>")
_BEST_FIT = 7  # the most points `_Importer.fit` gives: a weight (4), a score (2) and a name (1)
_PLACEHOLDER_NAME = re.compile(r"指标\s*\d+|[.…。·]+")
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
_BREAKDOWN = re.compile(r"^其中\s*[:：]?\s*")


@cache
def default_vocabulary() -> tuple[tuple[str, ...], tuple[tuple[str, tuple[str, ...]], ...]]:
    """The placeholders and 二级 keywords of the default vocabulary (the bundled cn-mof-2020 rule set)."""
    from ..notation.vocabulary import bundled_vocabulary_mapping

    data = bundled_vocabulary_mapping()
    keywords = tuple((str(k), tuple(str(w) for w in v)) for k, v in data["level2_keywords"].items())
    return tuple(str(p) for p in data["placeholders"]), keywords


_IndicatorDraft = slots_draft(Indicator)
_ProvenanceDraft = slots_draft(Provenance)


def _indicator(
    level1: str,
    level2: str,
    name: str,
    target_text: str,
    actual_text: str,
    weight: Decimal | None,
    reported_score: Decimal | None,
    reason: str,
    provenance: Provenance,
) -> Indicator:
    """Indicator(level1, …, provenance), made through its draft: one per indicator row."""
    made = _IndicatorDraft()
    made.level1 = level1
    made.level2 = level2
    made.name = name
    made.target_text = target_text
    made.actual_text = actual_text
    made.weight = weight
    made.reported_score = reported_score
    made.reason = reason
    made.provenance = provenance
    made.__class__ = Indicator
    return made  # type: ignore[no-any-return]


def _provenance(file: str, sheet: str | None, row: int, cell: str) -> Provenance:
    """Provenance(file, sheet, row, cell), made through its draft: one per indicator row."""
    made = _ProvenanceDraft()
    made.file = file
    made.sheet = sheet
    made.row = row
    made.cell = cell
    made.__class__ = Provenance
    return made  # type: ignore[no-any-return]


@lru_cache(maxsize=2048)  # the same cells and keywords are folded many times per table
def nfkc(text: str) -> str:
    """Text folded for matching: NFKC (full-width to half-width), no whitespace."""
    return _BLANKS.sub("", unicodedata.normalize("NFKC", text))


_BLANKS = re.compile(r"\s+")


@lru_cache(maxsize=1024)  # asked once per indicator row, of a handful of names
def level1_of(level2: str) -> str | None:
    """The 一级 category of a 二级 one (数量指标 -> 产出指标), or None when the name does not say."""
    for word, level1 in _LEVEL1_OF:
        if word in level2:
            return level1
    return None


@lru_cache(maxsize=2048)  # the placeholders are one rule set's (a frozenset hashes once); cells repeat
def _is_placeholder(placeholders: frozenset[str], text: str) -> bool:
    # a run of ellipses or dots (……) is blank, as the notation's normaliser reads it
    return text in placeholders or nfkc(text) in placeholders or not nfkc(text).strip("….。·")


def _is_level2(level2_names: frozenset[str], label: str) -> bool:
    return label in level2_names or (label.endswith("指标") and level1_of(label) is not None)


@lru_cache(maxsize=4096)  # the labels of merged cells repeat on every row of their block
def _is_known(level2_names: frozenset[str], label: str) -> bool:
    return label in LEVEL1 or _is_level2(level2_names, label)


@lru_cache(maxsize=2048)  # weights and scores repeat within and across tables
def _value_digits(placeholders: frozenset[str], text: str, suffix: str) -> str | None:
    """The digits of a value cell without its `suffix` (% or 分); None for a placeholder, '' for other text."""
    if _is_placeholder(placeholders, text):
        return None
    return _digits(nfkc(text).removesuffix(suffix)) or ""


@lru_cache(maxsize=2048)
def _is_skipped(placeholders: frozenset[str], name: str) -> bool:
    folded = nfkc(name)
    return folded.startswith("其中") or _is_placeholder(placeholders, name) or bool(_PLACEHOLDER_NAME.fullmatch(folded))


def number(text: str) -> Decimal | None:
    """A cell's number (thousands separators and full-width digits allowed), or None when it is not one."""
    digits = _digits(text)
    # A new Decimal each time: a shared object would show as a YAML alias where the form is written out.
    return None if digits is None else Decimal(digits)


@lru_cache(maxsize=2048)  # a table asks about the same cells many times (aligning, totals, weights)
def _digits(text: str) -> str | None:
    folded = nfkc(text)
    if not _NUMBER.fullmatch(folded):
        return None
    return folded.replace(",", "")


@lru_cache(maxsize=2048)  # most questions about a cell only ask whether it is a number: no Decimal for those
def is_number(text: str) -> bool:
    """True when the cell holds a number, as `number` reads it."""
    return _digits(text) is not None


# What `_Importer.read_in_place` takes from a row, in this order; `target` is 指标值 when the target is split.
_IN_PLACE = ("name", "weight", "score", "level1", "level2", "target", "actual", "reason", "op", "unit")


@dataclass
class _Columns:
    index: dict[str, int]
    keys: tuple[str, ...] = field(init=False)
    pick: Callable[[tuple[str, ...]], tuple[str, ...]] = field(init=False)  # the cells of `keys`, in order
    width: int = field(init=False)  # the cells a row needs for `pick`
    # The cells of _IN_PLACE from a row's cells followed by `blanks`: a column the table lacks takes the last
    # blank, a column beyond the row one of the blanks (they are as many as a row needs, and one more).
    in_place: Callable[[tuple[str, ...]], tuple[str, ...]] = field(init=False)
    blanks: tuple[str, ...] = field(init=False)
    split: bool = field(init=False)  # the target comes in 指标性质, 指标值 and 度量单位
    scored: bool = field(init=False)  # the table has a 得分 column
    name: int = field(init=False)  # the 三级指标 column
    name_letters: str = field(init=False)  # its letters in a cell's name

    def __post_init__(self) -> None:
        self.keys = tuple(self.index)
        self.pick = operator.itemgetter(*self.index.values())
        self.width = max(self.index.values()) + 1
        self.split = "value" in self.index
        self.scored = "score" in self.index
        self.name = self.index.get("name", self.width)  # an indicator header names it; a bare test may not
        self.name_letters = column_letters(self.name)
        names = [("value" if key == "target" and self.split else key) for key in _IN_PLACE]
        self.in_place = operator.itemgetter(*(self.index.get(name, -1) for name in names))
        self.blanks = ("",) * (self.width + 1)

    def get(self, key: str) -> int | None:
        return self.index.get(key)


_T = TypeVar("_T")
_MEMO_SIZE = 4096
_GOALS = ("年度总体目标", "总体目标")  # the words that start the goals row


class _Memo(dict[str, _T]):
    """The answers of `ask` about texts, kept until there are `_MEMO_SIZE` (then forgotten at once).

    A lookup of a kept answer costs much less than a call of an `lru_cache` function: no call is made.
    """

    __slots__ = ("ask",)

    def __init__(self, ask: Callable[[str], _T]) -> None:
        super().__init__()
        self.ask = ask

    def __missing__(self, text: str) -> _T:
        if len(self) >= _MEMO_SIZE:
            self.clear()
        answer = self[text] = self.ask(text)
        return answer


_LEVEL1_BY_LEVEL2 = _Memo(level1_of)  # asked of every row's 二级: a lookup, no call
_FOLD = _Memo(nfkc)  # a cell's `nfkc`, looked up without a call: the rows above the table fold each of their cells


def _year(folded: Sequence[Sequence[str]]) -> int | None:
    """The year the first cell that names one names (2023年), from the folded cells of the rows above the goals."""
    for keys in folded:
        for key in keys:
            match = _YEAR.search(key) if "年" in key else None  # the pattern ends in 年
            if match:
                return int(match.group(1))
    return None


@dataclass(frozen=True, slots=True)
class _InPlace:
    """The questions `_Importer.read_in_place` asks about a row's cells, memoised for one vocabulary."""

    number: _Memo[str]  # a 分值 or 得分 cell: its digits when it is a number and no placeholder, else ''
    name: _Memo[str]  # a 三级指标 cell: its one-line name when it is no number, placeholder, breakdown or category
    label: _Memo[str]  # a category cell: its label (`_label`)
    line: _Memo[str]  # a target or actual cell: its text on one line (`_one_line`)
    reason: _Memo[str]  # a reason cell: '' for a placeholder, else the cell


@lru_cache(maxsize=64)
def _in_place(placeholders: frozenset[str], known_labels: frozenset[str]) -> _InPlace:
    def number(text: str) -> str:
        return (_value_digits(placeholders, text, "分") or "") if is_number(text) else ""

    def name(text: str) -> str:
        if is_number(text):
            return ""
        one_line = _one_line(text)
        return "" if _is_skipped(placeholders, one_line) or _label(one_line) in known_labels else one_line

    def reason(text: str) -> str:
        return "" if _is_placeholder(placeholders, text) else text

    return _InPlace(_Memo(number), _Memo(name), _Memo(_label), _Memo(_one_line), _Memo(reason))


@dataclass(slots=True)
class _Line:
    """An indicator-table row after its cells were aligned to the header."""

    row: Row
    offset: int
    label1: str
    label2: str
    name: str
    name_column: int
    weight_text: str
    texts: dict[str, str]  # each column's text, read at `offset`; none for a line whose `values` are made
    # The indicator's fields after its name (target_text … provenance), made by `read_in_place`
    values: tuple[str, str, Decimal, Decimal | None, str, Provenance] | None = None
    level1: str = ""
    level2: str = ""


@dataclass(slots=True)
class _ReadRows:
    """The rows `read_in_place` read, column by column: each list holds one field of each row, in row order."""

    rows: list[Row]
    labels1: list[str]
    labels2: list[str]
    names: list[str]
    weight_texts: Sequence[str]
    # The indicators' fields after their names
    targets: list[str]
    actuals: list[str]
    weights: list[Decimal]
    scores: list[Decimal | None]
    reasons: list[str]
    provenances: list[Provenance]

    def lines(self, columns: _Columns) -> Iterator[_Line]:
        """Each row as the line `align` makes of it, with its values made."""
        values = zip(self.targets, self.actuals, self.weights, self.scores, self.reasons, self.provenances, strict=True)
        parts = zip(self.rows, self.labels1, self.labels2, self.names, self.weight_texts, values, strict=True)
        for row, label1, label2, name, weight_text, made in parts:
            yield _Line(row, 0, label1, label2, name, columns.name, weight_text, {}, made)


@dataclass
class _Importer:
    grid: Grid
    placeholders: frozenset[str]
    keywords: tuple[tuple[str, tuple[str, ...]], ...]
    source_sha256: str | None = None
    notes: list[ImportNote] = field(default_factory=list)
    folded_keywords: tuple[tuple[str, str, str], ...] = field(init=False)  # (二级, keyword, folded keyword)
    level2_names: frozenset[str] = field(init=False)
    known_labels: frozenset[str] = field(init=False)  # the 一级 and 二级 names a category label may be
    in_place: _InPlace = field(init=False)

    def __post_init__(self) -> None:
        self.folded_keywords, self.level2_names, self.known_labels = _keyword_sets(self.keywords)
        self.in_place = _in_place(self.placeholders, self.known_labels)

    # -- helpers ---------------------------------------------------------------------------------

    def note(self, code: str, message: str, row: int) -> None:
        self.notes.append(ImportNote(code, message, row, self.grid.sheet))

    def is_placeholder(self, text: str) -> bool:
        return _is_placeholder(self.placeholders, text)

    def value(self, text: str, what: str, row: Row, column: int, *, percent: bool = False) -> Decimal | None:
        """The number in `text`, cell `column` of `row`; None for a blank or placeholder; a located error else."""
        suffix = "%" if percent else "分" if what in ("分值", "得分", "总分") else ""
        digits = _value_digits(self.placeholders, text, suffix)
        if digits is None:
            return None
        if not digits:
            raise FormError(f"{what} is not a number: {text!r}", self.grid.location(row, column))
        # A new Decimal each time: a shared object would show as a YAML alias where the form is written out.
        return Decimal(digits)

    def provenance(self, row: Row, column: int) -> Provenance:
        return _provenance(self.grid.file, self.grid.sheet, row.number, cell_name(column, row.number))

    # -- the whole form --------------------------------------------------------------------------

    def run(self) -> Form:
        rows = list(itertools.compress(self.grid.rows, map(any, map(_CELLS, self.grid.rows))))  # not r.blank, in C
        if not rows:
            raise FormError("empty table: no rows to import", _file_location(self.grid))
        head_at, columns = next(
            ((i, found) for i, r in enumerate(rows) if (found := self.indicator_columns(r)) is not None), (None, None)
        )
        if head_at is None or columns is None:
            raise FormError(
                "no indicator table: no row names the columns 三级指标 and 分值",
                self.grid.location(rows[0]) if len(rows) == 1 else _file_location(self.grid),
                hint="the header row of the indicator table must name 三级指标 and 分值 (or 分数, 权重)",
            )
        head_rows, table_rows = rows[:head_at], rows[head_at:]
        # The four readers of the rows above the table look at each cell folded: fold each once, for all four
        folded = [[_FOLD[c] for c in r.cells] for r in head_rows]
        goals_at = next((i for i, keys in enumerate(folded) if any(k.startswith(_GOALS) for k in keys)), None)
        fields = self.head_fields(head_rows, folded)
        unit, funds = self.funds(head_rows, folded)
        expected, achieved = self.goals(head_rows, folded, goals_at)
        indicators, total_weight, total, grade = self.indicators(table_rows, columns)
        if not fields.get("project"):
            self.note("project-missing", "no 项目名称 found; the project is left empty", rows[0].number)
        return Form(
            project=fields.get("project", ""),
            department=fields.get("department", ""),
            implementer=fields.get("implementer", ""),
            year=_year(folded[:goals_at]),
            amount_unit=unit,
            funds=tuple(funds),
            goal_expected=expected,
            goal_achieved=achieved,
            indicators=tuple(indicators),
            reported_total=total,
            reported_total_weight=total_weight,
            reported_grade=grade,
            source=self.grid.file,
            source_sha256=self.source_sha256,
            import_notes=tuple(sorted(self.notes, key=lambda n: n.row or 0)),
        )

    # -- header, funds, goals --------------------------------------------------------------------

    def head_fields(self, rows: Sequence[Row], folded: Sequence[Sequence[str]]) -> dict[str, str]:
        """项目名称, 主管部门 and 实施单位, from the rows above the table (`folded`: their cells folded)."""
        found: dict[str, str] = {}
        for row, keys in zip(rows, folded, strict=True):
            for i, key in enumerate(keys):
                if not key.startswith(_HEAD_WORDS):
                    continue  # names no field: the search below would find no word
                for name, names in _HEAD_FIELDS:
                    word = next((w for w in names if key.startswith(w)), None)
                    if word is None or name in found:
                        continue
                    rest = re.sub(r"^[:：]", "", key[len(word) :])
                    if rest:
                        found[name] = row.cells[i].split("：", 1)[-1].split(":", 1)[-1].strip()
                        break
                    for later, later_key in zip(row.cells[i + 1 :], keys[i + 1 :], strict=True):
                        if later and later_key != key:
                            if not later_key.startswith(_HEAD_WORDS):
                                found[name] = later
                            break
                    break
        return found

    def funds(self, rows: Sequence[Row], folded: Sequence[Sequence[str]]) -> tuple[str, list[FundsRow]]:
        """The amounts' unit and the funds rows, from the rows above the table (`folded`: their cells folded)."""
        at, columns = next(
            ((i, found) for i, r in enumerate(rows) if (found := _columns(r, _FUNDS_COLUMNS, {"budget", "executed"}))),
            (None, None),
        )
        unit = None
        for i in range(at, at + 1) if at is not None else range(len(rows)):
            row = rows[i]
            for cell, key in zip(row.cells, folded[i], strict=True):
                match = _UNIT.search(key) if "元" in key else None  # each unit ends in 元
                if match and unit is None:
                    unit = match.group(1) or match.group(2)
                    self.note("unit-from-header", f"amounts in {unit}, from the header 「{cell}」", row.number)
        if unit is None:
            unit = "万元"
            if at is not None:
                self.note("unit-assumed", "the funds header names no unit; amounts read as 万元", rows[at].number)
        if at is None or columns is None:
            return unit, []
        first = min(columns.values())
        result = []
        for row in rows[at + 1 :]:
            labels = [c for c in row.cells[:first] if c and not _FOLD[c].startswith("项目资金")]
            if not labels or _FOLD[labels[0]].startswith(_GOALS):
                break
            amounts = any(is_number(_FOLD[row.cell(col)].removesuffix("%")) for col in columns.values())
            if not amounts and not _FUNDS_ROW.search(_FOLD[labels[-1]]):
                break  # the funds block has ended: this row is no funds row and holds no amounts
            values = {
                key: self.value(row.cell(col), _FUNDS_LABELS[key], row, col, percent=key == "rate")
                for key, col in columns.items()
            }
            label = _BREAKDOWN.sub("", labels[-1])
            result.append(FundsRow(label=label, provenance=self.provenance(row, row.cells.index(labels[-1])), **values))
        return unit, result

    def goals(self, rows: Sequence[Row], folded: Sequence[Sequence[str]], at: int | None) -> tuple[str, str]:
        """The 预期目标 and 实际完成情况 texts, from the 年度总体目标 row `at` (`folded`: the cells folded)."""
        if at is None:
            return "", ""
        row = rows[at]
        keys = folded[at]
        exp_col = next((i for i, k in enumerate(keys) if k.startswith("预期目标")), None)
        ach_col = next((i for i, k in enumerate(keys) if k.startswith(("实际完成情况", "实际完成"))), None)
        if exp_col is not None and ach_col is not None and at + 1 < len(rows):
            row = rows[at + 1]
            lo, hi = sorted((exp_col, ach_col))
            first = next((c for c in row.cells[lo:hi] if c), "")
            second = next((c for c in row.cells[hi:] if c), "")
            expected, achieved = (first, second) if exp_col < ach_col else (second, first)
        else:
            label = next(c for c, k in zip(row.cells, keys, strict=True) if k.startswith(_GOALS))
            texts = [c for c in row.cells if c and c != label]
            expected, achieved = ([*texts, "", ""])[:2]
        if _HTML_TAG.search(expected + achieved) or re.search(r"&#?\w+;", expected + achieved):
            self.note("html-stripped", "HTML tags and entities removed from the 年度总体目标 texts", row.number)
        return strip_html(expected), strip_html(achieved)

    # -- the indicator table ---------------------------------------------------------------------

    def indicator_columns(self, row: Row) -> _Columns | None:
        index = _columns(row, _INDICATOR_COLUMNS, {"name", "weight"})
        if index is None:
            return None
        if "op" in index and "target" in index:
            index["value"] = index.pop("target")
        return _Columns(index)

    def indicators(
        self, rows: Sequence[Row], columns: _Columns
    ) -> tuple[list[Indicator], Decimal | None, Decimal | None, str | None]:
        """The indicators below the header row `rows[0]` (whose `columns` they are), the total and the grade."""
        header = rows[0]
        body = list(rows[1:])
        if body and {"指标性质", "度量单位"} & {nfkc(c) for c in body[0].cells}:
            merged = [nfkc(b) or nfkc(a) for a, b in itertools.zip_longest(header.cells, body[0].cells, fillvalue="")]
            columns = self.indicator_columns(Row(header.number, tuple(merged), header.text)) or columns
            body = body[1:]
        # Most rows can be no grade, total or stray-number row (`_plain_head`): those before the first that can
        # be one are left as they are by the loop below (asked of each row, in C)
        firsts = map(next, map(filter, itertools.repeat(None), map(_CELLS, body)), itertools.repeat(""))
        plain_heads = list(map(_PLAIN_HEAD.__getitem__, firsts))
        at = plain_heads.index(False) if False in plain_heads else len(body)
        rows_left = body[:at]  # the rows that are no grade, total or stray-number row
        total_weight = total = grade = None
        done = False
        for row, plain in zip(body[at:], plain_heads[at:], strict=True):
            if not plain and (found := self.grade(row)) is not None:
                grade = found or grade
                continue
            if done:
                self.note("row-skipped", f"text after the total row skipped: 「{_first_text(row)}」", row.number)
                continue
            if not plain and self.is_total(row):
                total_weight, total, found = self.total(row)
                grade = found or grade
                done = True
                continue
            if not plain and all(is_number(c) for c in row.cells if c):
                self.note("row-skipped", f"stray number 「{_first_text(row)}」 skipped (a page number?)", row.number)
                continue
            rows_left.append(row)
        # read after the loop, all at once: the loop's rows raise no error and note nothing that reading would
        read_in, read = self.read_in_place(rows_left, columns)
        indicators = self.made_in_place(read) if read_in is None else None
        if indicators is None:
            indicators = self.made(self.lines(rows_left, read_in, read, columns), columns)
        if "value" in columns.index and indicators:
            self.note(
                "split-target-joined",
                "年度指标值 is split over 指标性质, 指标值 and 度量单位; each target is joined into one text, "
                f"e.g. 「{indicators[0].target_text}」",
                header.number,
            )
        return indicators, total_weight, total, grade

    def made_in_place(self, read: _ReadRows) -> list[Indicator] | None:
        """The indicators of rows all read in place, when their labels need no pass but `assign_level1`; else None.

        Each label stands in its own column (一级 names, if any, in the 一级 column), every row has its 二级 label
        and each is a known one: `assign_labels` would move, join and infer none, and take each row's 二级 label.
        """
        label1s, label2s = set(read.labels1), set(read.labels2)
        if not (label1s <= _LEVEL1_OR_BLANK and "" not in label2s and label2s.isdisjoint(LEVEL1)):
            return None
        if not _all_known(self.level2_names, label2s):
            return None
        levels1 = self.level1s(zip(read.rows, read.labels1, read.labels2, strict=True))
        made = (read.names, read.targets, read.actuals, read.weights, read.scores, read.reasons, read.provenances)
        return list(map(_indicator, levels1, read.labels2, *made))

    def lines(
        self, rows: Sequence[Row], read_in: Sequence[bool] | None, read: _ReadRows, columns: _Columns
    ) -> list[_Line]:
        """The line of each row: as read in place (`read_in`: None for all), else as `align` reads it, if kept."""
        in_place = read.lines(columns)
        lines = []
        for row, readable in zip(rows, read_in or [True] * len(rows), strict=True):
            line = next(in_place) if readable else self.align(row, columns)
            if line is not None:
                lines.append(line)
        return lines

    def made(self, general: list[_Line], columns: _Columns) -> list[Indicator]:
        """The indicators of the lines, through the passes that skip rows, note shifts and assign the categories."""
        if not _all_read_in_place(general):  # a line read in place is neither skipped nor shifted
            general = self.skip_rows(general, columns)
            self.note_shifts(general)
        self.assign_labels(general)
        return [self.indicator(line, columns) for line in general if line.name]

    def grade(self, row: Row) -> str | None:
        """The grade on a 评分等级 row ('' when the row names none); None for other rows."""
        head = nfkc(_first_text(row))
        if not head.startswith(_GRADE_WORDS):
            return None
        texts = [c for c in row.cells if c]
        word = next((w for w in _GRADE_WORDS if head.startswith(w)), None)
        if word is None or len(texts) > 3:  # more cells: an indicator whose name starts so (等级公路…)
            return None
        rest = re.sub(r"^[:：]", "", head[len(word) :])
        if rest:
            return rest
        return next((t for t in texts[1:] if nfkc(t) != head), "")

    def is_total(self, row: Row) -> bool:
        texts = [nfkc(c) for c in row.cells if c]
        if texts[0].startswith(_TOTAL_WORDS):
            return True
        if any(not is_number(t) and t not in _GRADES for t in texts):
            return False  # text other than numbers and a grade: an indicator row
        numbers = [t for t in texts if is_number(t)]
        if not numbers:
            return False
        # a lone number at the start of a row is a stray (a page number in extracted PDF text)
        first = next(i for i, c in enumerate(row.cells) if c)
        return len(numbers) > 1 or first >= 2

    def total(self, row: Row) -> tuple[Decimal | None, Decimal | None, str | None]:
        numbers = [n for c in row.cells if (n := number(nfkc(c).removesuffix("分"))) is not None]
        grade = next((c for c in row.cells if nfkc(c) in _GRADES), None)
        if not numbers:
            return None, None, grade
        if len(numbers) == 1:
            return None, numbers[0], grade
        return numbers[-2], numbers[-1], grade

    def align(self, row: Row, columns: _Columns) -> _Line | None:
        """The row's cells aligned to the header: rows of extracted PDF text lose or gain leading cells."""
        name_col = columns.index["name"]
        weight_col = columns.index["weight"]
        texts = _texts(row, columns, 0)
        best, best_points = 0, self.fit(row, texts, 0)
        for offset in (-1, -2, 1) if best_points != _BEST_FIT else ():  # a shift can only tie the best fit
            shifted = _texts(row, columns, offset)
            points = self.fit(row, shifted, offset)
            if points is not None and (best_points is None or points > best_points):
                best, best_points, texts = offset, points, shifted
        name = _one_line(texts["name"])
        label1 = texts.get("level1", "")
        label1 = _label(label1) if label1 else ""  # most rows leave the merged category cells blank
        label2 = texts.get("level2", "")
        label2 = _label(label2) if label2 else ""
        if name and not (label1 or label2) and _label(name) in self.known_labels:
            # a category on its own row, in the 三级 column: it labels the rows below, it is no indicator
            label1, label2 = (_label(name), "") if _label(name) in LEVEL1 else ("", _label(name))
            message = f"category 「{name}」 stands in the 三级指标 column; read as a label"
            self.note("label-shifted", message, row.number)
            name = ""
        if name and len(row.cells) <= weight_col + best and not _is_skipped(self.placeholders, name):
            raise FormError(
                f"too few cells: the row has {len(row.cells)}, an indicator row needs {weight_col + 1} (up to 分值)",
                self.grid.location(row),
            )
        if not name and (is_number(texts["weight"]) or not (label1 or label2)):
            self.note("row-skipped", f"row without an indicator name skipped: 「{_first_text(row)}」", row.number)
            if not (label1 or label2):
                return None
        return _Line(row, best, label1, label2, name, name_col + best, texts["weight"], texts)

    def read_in_place(self, rows: Sequence[Row], columns: _Columns) -> tuple[list[bool] | None, _ReadRows]:
        """The rows that `align` reads where they stand and keeps as they are, read column by column.

        Most rows: a name, a number in 分值 and one in 得分 (if the table has 得分) are the best fit `align` can
        find, so it tries no shift; the name is no category, no placeholder and no breakdown, so no later pass
        drops it; its 分值 and 得分 are no placeholders, so `indicator` would read them without an error.
        Returns which rows are read so (None: all, the common case) and what was read of them. A column at a
        time, each cell's question is a memo lookup in a `map`: no call of Python code but one per indicator.
        """
        ask = self.in_place
        padded = map(operator.add, map(_CELLS, rows), itertools.repeat(columns.blanks))  # each row's cells + blanks
        picked = zip(*map(columns.in_place, padded), strict=True)
        cells_of = list(picked) if rows else [()] * len(_IN_PLACE)  # the cells of each of _IN_PLACE, by row
        names = list(map(ask.name.__getitem__, cells_of[0]))
        weights = list(map(ask.number.__getitem__, cells_of[1]))
        scores: list[str | None] = (
            list(map(ask.number.__getitem__, cells_of[2])) if columns.scored else [None] * len(rows)
        )
        read_in = None
        if not all(names) or not all(weights) or "" in scores:
            read_in = [bool(n) and bool(w) and s != "" for n, w, s in zip(names, weights, scores, strict=True)]
            rows = list(itertools.compress(rows, read_in))
            names = list(itertools.compress(names, read_in))
            weights = list(itertools.compress(weights, read_in))
            scores = list(itertools.compress(scores, read_in))
            cells_of = [tuple(itertools.compress(cells, read_in)) for cells in cells_of]
        _, weight_texts, _, labels1, labels2, targets, actuals, reasons, ops, units = cells_of
        numbers = [row.number for row in rows]
        cells = map(columns.name_letters.__add__, map(str, numbers))  # f"{letters}{number}"
        file, sheet = self.grid.file, self.grid.sheet
        read = _ReadRows(
            list(rows),
            list(map(ask.label.__getitem__, labels1)),
            list(map(ask.label.__getitem__, labels2)),
            names,
            weight_texts,
            list(map(ask.line.__getitem__, map(join_target, ops, targets, units) if columns.split else targets)),
            list(map(ask.line.__getitem__, actuals)),
            list(map(Decimal, weights)),
            list(map(Decimal, scores)) if columns.scored else scores,  # type: ignore[arg-type]  # all None
            list(map(ask.reason.__getitem__, reasons)),
            list(map(_provenance, itertools.repeat(file), itertools.repeat(sheet), numbers, cells)),
        )
        return read_in, read

    def fit(self, row: Row, texts: dict[str, str], offset: int) -> int | None:  # at most _BEST_FIT points
        """How well the row reads with its cells moved by `offset` (`texts`); None when it cannot read that way."""
        name = texts["name"]
        weight = is_number(texts["weight"])
        score = texts.get("score", "")
        if offset:
            if not weight or not name or is_number(name) or name.startswith(_OPERATOR_START):
                return None
            if _label(name) in self.known_labels or (offset > 0 and any(row.cells[:offset])):
                return None
        points = 4 if weight else 0
        points += 2 if is_number(score) else 1 if not score else 0
        return points + (1 if name and not is_number(name) else 0)

    def is_level2(self, label: str) -> bool:
        return _is_level2(self.level2_names, label)

    def is_skipped(self, name: str) -> bool:
        return _is_skipped(self.placeholders, name)

    def note_shifts(self, lines: Sequence[_Line]) -> None:
        run: list[_Line] = []
        for line in [*lines, None]:
            if run and (line is None or line.offset != run[0].offset):
                shift = run[0].offset
                side = "left" if shift < 0 else "right"
                rows = f"rows {run[0].row.number}–{run[-1].row.number}: " if len(run) > 1 else ""
                self.note(
                    "cells-shifted",
                    f"{rows}cells stand {abs(shift)} column{'s' if abs(shift) > 1 else ''} {side} of the header; "
                    "read from the 三级指标 name",
                    run[0].row.number,
                )
                run = []
            if line is not None and line.offset:
                run.append(line)

    # -- categories ------------------------------------------------------------------------------

    def assign_labels(self, lines: list[_Line]) -> None:
        """Fill each row's 一级 and 二级 from the labels of merged cells, the keywords and the rows around."""
        self.shift_labels(lines)
        self.join_fragments(lines, "label1")
        self.join_fragments(lines, "label2")
        self.assign_level2(lines)
        self.assign_level1(lines)

    def shift_labels(self, lines: list[_Line]) -> None:
        """Move a 二级 label that stands in the 一级 column, and a 一级 label in the 二级 column, where it belongs."""
        if _labels_in_their_columns(lines):
            return  # the loop below would move none
        for line in lines:
            if line.label1 and line.label1 not in LEVEL1 and self.is_level2(line.label1) and not line.label2:
                self.note(
                    "label-shifted",
                    f"「{line.label1}」 stands in the 一级指标 column; it is a 二级 category",
                    line.row.number,
                )
                line.label1, line.label2 = "", line.label1
            elif line.label2 in LEVEL1 and not self.is_level2(line.label2) and not line.label1:
                self.note(
                    "label-shifted",
                    f"「{line.label2}」 stands in the 二级指标 column; it is a 一级 category",
                    line.row.number,
                )
                line.label1, line.label2 = line.label2, ""

    def join_fragments(self, lines: list[_Line], attr: str) -> None:
        names = self.level2_names
        if _all_known(names, {label for label in map(operator.attrgetter(attr), lines) if label}):
            return  # a join needs two unknown fragments; labels repeat, so asking once for each is cheaper
        labelled = [line for line in lines if getattr(line, attr)]
        for here, there in itertools.pairwise(labelled):
            head, tail = getattr(here, attr), getattr(there, attr)
            if _is_known(names, head) or _is_known(names, tail) or not _is_known(names, head + tail):
                continue
            if there.row.number - here.row.number > 4:
                continue
            setattr(here, attr, head + tail)
            setattr(there, attr, head + tail)
            self.note(
                "label-joined",
                f"label 「{head}」 and 「{tail}」 (row {there.row.number}) joined into 「{head + tail}」",
                here.row.number,
            )

    def keyword(self, name: str) -> tuple[str, str] | None:
        folded = nfkc(name)
        return next(((category, word) for category, word, key in self.folded_keywords if key in folded), None)

    def assign_level2(self, lines: list[_Line]) -> None:
        if _all_labelled(lines):  # each row its own label: the loop below would take each
            for line in lines:
                line.level2 = line.label2
            return
        explicit = [i for i, line in enumerate(lines) if line.label2]
        if not explicit:
            self.infer_level2(lines)
            return
        current = ""
        moved_to: str | None = None
        for i, line in enumerate(lines):
            if line.label2:
                current, moved_to = line.label2, None
                line.level2 = current
                continue
            after = bisect.bisect_right(explicit, i)
            following = lines[explicit[after]] if after < len(explicit) else None
            if not current:
                if following is not None and line.name:
                    line.level2 = following.label2
                    self.note(
                        "level2-inferred",
                        f"「{line.name}」 put under {following.label2} (the label below it, on row "
                        f"{following.row.number}: a merged cell's label printed mid-block)",
                        line.row.number,
                    )
                continue
            found = self.keyword(line.name) if line.name else None
            if following is not None and line.name:
                fits_next = found is not None and _same(found[0], following.label2)
                if moved_to is not None or (fits_next and found is not None and not _same(found[0], current)):
                    moved_to = following.label2
                    why = f"the name contains 「{found[1]}」" if fits_next and found else "it follows rows moved there"
                    self.note(
                        "level2-inferred",
                        f"「{line.name}」 put under {moved_to} (the label on row {following.row.number}), "
                        f"not {current}: {why}",
                        line.row.number,
                    )
                    line.level2 = moved_to
                    continue
            line.level2 = current

    def infer_level2(self, lines: list[_Line]) -> None:
        previous = ""
        for line in lines:
            if not line.name:
                continue
            found = self.keyword(line.name)
            if found:
                line.level2 = found[0]
                message = f"二级 {found[0]} inferred from the name 「{line.name}」, which contains 「{found[1]}」"
            elif previous:
                line.level2 = previous
                message = f"二级 {previous} of the row above taken for 「{line.name}」"
            else:
                message = f"no 二级 category for 「{line.name}」: no label and no keyword"
            self.note("level2-inferred" if line.level2 else "level2-missing", message, line.row.number)
            previous = line.level2

    def assign_level1(self, lines: list[_Line]) -> None:
        levels = self.level1s([(line.row, line.label1, line.level2) for line in lines])
        for line, level1 in zip(lines, levels, strict=True):
            line.level1 = level1

    def level1s(self, rows: Iterable[tuple[Row, str, str]]) -> list[str]:
        """The 一级 of each (row, 一级 label, 二级): its label, else the one above, else its 二级's (noted)."""
        levels = []
        current = ""
        for row, label1, level2 in rows:
            if label1:
                current = label1
            elif level2 and (inferred := _LEVEL1_BY_LEVEL2[level2]) and inferred != current:
                current = inferred
                self.note("level1-inferred", f"一级 {inferred} inferred from the 二级 {level2}", row.number)
            levels.append(current)
        return levels

    def indicator(self, line: _Line, columns: _Columns) -> Indicator:
        if line.values is not None:
            return _indicator(line.level1, line.level2, line.name, *line.values)
        row, offset, texts = line.row, line.offset, line.texts
        if "value" in texts:
            target = join_target(texts.get("op", ""), texts["value"], texts.get("unit", ""))
        else:
            target = texts.get("target", "")
        # `value` for 分值 and 得分, its number read here: the call only for the error of a text that is none
        weight_text = texts["weight"]
        digits = _value_digits(self.placeholders, weight_text, "分")
        if digits:
            weight: Decimal | None = Decimal(digits)
        else:
            weight = None if digits is None else self.value(weight_text, "分值", row, columns.index["weight"] + offset)
        score_col = columns.get("score")
        score = None
        if score_col is not None:
            score_text = texts["score"]
            digits = _value_digits(self.placeholders, score_text, "分")
            if digits:
                score = Decimal(digits)
            elif digits is not None:
                score = self.value(score_text, "得分", row, score_col + offset)
        reason = texts.get("reason", "")
        return _indicator(
            line.level1,
            line.level2,
            line.name,
            _one_line(target),  # target_text
            _one_line(texts.get("actual", "")),  # actual_text
            weight,
            score,  # reported_score
            "" if _is_placeholder(self.placeholders, reason) else reason,
            self.provenance(row, line.name_column),
        )

    def skip_rows(self, lines: list[_Line], columns: _Columns) -> list[_Line]:
        """Lines without the placeholder and breakdown rows, each skipped with a note."""
        kept = []
        for line in lines:
            if line.name and self.is_skipped(line.name):
                weight = number(line.weight_text)
                if nfkc(line.name).startswith("其中") or not weight:
                    if nfkc(line.name).startswith("其中"):
                        message = f"breakdown row 「{line.name}」 skipped: the row above it carries the weight"
                    else:
                        message = f"placeholder row 「{line.name}」 skipped: it carries no weight"
                    self.note("row-skipped", message, line.row.number)
                    line.name = ""
            kept.append(line)
        return kept


# Shortcuts past the passes over the lines that would change nothing (tests turn them off to compare).
_LEVEL1_OR_BLANK = frozenset({*LEVEL1, ""})
_LABEL1 = operator.attrgetter("label1")
_LABEL2 = operator.attrgetter("label2")
_CELLS = operator.attrgetter("cells")
_VALUES = operator.attrgetter("values")  # a tuple of six, true, for a line read in place


def _all_read_in_place(lines: Sequence[_Line]) -> bool:
    return all(map(_VALUES, lines))


def _labels_in_their_columns(lines: Sequence[_Line]) -> bool:
    """True when no 一级 column holds other than a 一级 name, and no 二级 column a 一级 name."""
    return set(map(_LABEL1, lines)) <= _LEVEL1_OR_BLANK and set(map(_LABEL2, lines)).isdisjoint(LEVEL1)


def _all_known(level2_names: frozenset[str], labels: set[str]) -> bool:
    return all(_is_known(level2_names, label) for label in labels)


def _all_labelled(lines: Sequence[_Line]) -> bool:
    """True when every line has its own 二级 label."""
    return all(map(_LABEL2, lines))


def import_grid(
    grid: Grid,
    *,
    placeholders: Sequence[str] | None = None,
    level2_keywords: Mapping[str, Sequence[str]] | None = None,
    source_sha256: str | None = None,
) -> Form:
    """Read one table into a Form; every repair is an import note, every unreadable cell a FormError.

    The form's source is the grid's file; `source_sha256` is that file's digest, when the caller has it.
    """
    # The default vocabulary is read only when a caller leaves something to it (a rule set gives both).
    words = placeholders if placeholders is not None else default_vocabulary()[0]
    keywords = (
        tuple((k, tuple(v)) for k, v in level2_keywords.items())
        if level2_keywords is not None
        else default_vocabulary()[1]
    )
    return _Importer(grid, _placeholder_set(tuple(words)), keywords, source_sha256).run()


# The same vocabulary gives the same set objects, form after form: the memoised questions about cells take
# them as keys, and a key compares fast with the one that was stored only when it is the same object.
@lru_cache(maxsize=64)
def _placeholder_set(words: tuple[str, ...]) -> frozenset[str]:
    return frozenset([*words, *(nfkc(w) for w in words), ""])


@lru_cache(maxsize=64)
def _keyword_sets(
    keywords: tuple[tuple[str, tuple[str, ...]], ...],
) -> tuple[tuple[tuple[str, str, str], ...], frozenset[str], frozenset[str]]:
    """The (二级, keyword, folded keyword) triples, the 二级 names, and those with the 一级 names."""
    folded = tuple((k, w, nfkc(w)) for k, words in keywords for w in words)
    level2_names = frozenset(k for k, _ in keywords)
    return folded, level2_names, frozenset(LEVEL1) | level2_names


def join_target(op: str, value: str, unit: str) -> str:
    """One target text from the split columns 指标性质, 指标值, 度量单位: ('≥', '3500', '人') -> '≥3500(人)'."""
    prefix = "" if nfkc(op) in ("定性", "定量", "") else op
    unit_text = f"({unit})" if unit and value and is_number(nfkc(value)) else unit if unit else ""
    return f"{prefix}{value}{unit_text}"


def strip_html(text: str) -> str:
    """Text without HTML tags or entities; paragraphs and line breaks become new lines.

    Tags are removed again after the entities are decoded, so that escaped markup (`&lt;script&gt;`)
    does not come back as markup.
    """
    text = re.sub(r"(?i)<\s*br\s*/?\s*>|<\s*/\s*p\s*>", "\n", text)
    text = _HTML_TAG.sub("", html.unescape(_HTML_TAG.sub("", text)))
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


_Spec = tuple[tuple[str, tuple[str, ...]], ...]


def _columns(row: Row, spec: _Spec, required: set[str]) -> dict[str, int] | None:
    found = _named_columns(spec)(row.cells)
    return dict(found) if required <= found.keys() and found else None


@cache
def _named_columns(spec: _Spec) -> Callable[[tuple[str, ...]], dict[str, int]]:
    """The first column of the cells that each name of `spec` names, memoised by the cells alone.

    A form's header rows repeat form after form, and every row above the table is asked; a memo whose key
    held `spec` too would hash all of it at each question.
    """
    name_of = _column_name(spec)

    @lru_cache(maxsize=256)
    def named(cells: tuple[str, ...]) -> dict[str, int]:  # kept in the memo: never changed
        found: dict[str, int] = {}
        for i, cell in enumerate(cells):
            name = name_of[_FOLD[cell]] if cell else None
            if name is not None and name not in found:
                found[name] = i
        return found

    return named


@cache
def _column_name(spec: _Spec) -> _Memo[str | None]:
    """The column a folded header text names under `spec` (the first whose word it contains), memoised."""

    any_word = re.compile("|".join(re.escape(w) for _, words in spec for w in words))

    def name_of(key: str) -> str | None:
        if not any_word.search(key):
            return None  # most texts a header row is asked about (names, amounts) hold no word: one search
        return next((name for name, words in spec if any(w in key for w in words)), None)

    return _Memo(name_of)  # every row above the indicator table is tried as its header


def _texts(row: Row, columns: _Columns, offset: int) -> dict[str, str]:
    """Each column's text in a row read with its cells moved by `offset` ('' beyond the row)."""
    cells, n = row.cells, len(row.cells)
    if not offset:  # most rows: every index is a cell's or, after padding, an empty one
        return dict(zip(columns.keys, columns.pick(cells + ("",) * (columns.width - n)), strict=True))
    return {key: cells[i] if 0 <= (i := col + offset) < n else "" for key, col in columns.index.items()}


@lru_cache(maxsize=4096)
def _label(text: str) -> str:
    return _POINTS_SUFFIX.sub("", nfkc(text))


@lru_cache(maxsize=4096)
def _plain_head(text: str) -> bool:
    """True when a row whose first text this is can be no grade, total or stray-number row.

    `grade` needs a grade word first; `is_total` a total word, or only numbers and grades; a stray row
    only numbers.
    """
    head = nfkc(text)
    if head.startswith(_GRADE_WORDS + _TOTAL_WORDS) or head in _GRADES:
        return False
    return not is_number(text) and not is_number(head)  # the stray test reads the cell, is_total its folded text


_PLAIN_HEAD = _Memo(_plain_head)  # asked of every row of the table: a lookup, no call


@lru_cache(maxsize=2048)
def _one_line(text: str) -> str:
    return "".join(part.strip() for part in text.splitlines())


def _same(a: str, b: str) -> bool:
    return a == b or a in b or b in a


def _first_text(row: Row) -> str:
    return next(filter(None, row.cells), "")


def _file_location(grid: Grid) -> Location:
    return Location(file=grid.where)


def has_indicator_table(grid: Grid) -> bool:
    """True when some row of the grid is an indicator-table header (names 三级指标 and 分值)."""
    return any(_columns(row, _INDICATOR_COLUMNS, {"name", "weight"}) is not None for row in grid.rows)
