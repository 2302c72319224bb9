"""The form model: what a 项目支出绩效自评表 holds, with every value's provenance.

Amounts, weights, rates and scores are Decimal (rates are percentages as printed: 100.00 means 100%).
A value the form leaves blank is None, never zero.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a row came from: file, sheet (XLSX), 1-based row and, where known, the cell (e.g. 'E24')."""

    file: str | None = None
    sheet: str | None = None
    row: int | None = None
    cell: str | None = None

    def __str__(self) -> str:
        parts = [self.file or "<form>"]
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.cell:
            parts.append(f"cell {self.cell}")
        elif self.row is not None:
            parts.append(f"row {self.row}")
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class ImportNote:
    """Something the importer inferred, shifted, joined or skipped, with its source row."""

    code: str
    message: str
    row: int | None = None
    sheet: str | None = None


@dataclass(frozen=True, slots=True)
class FundsRow:
    """One row of the funds block (年度资金总额, 当年财政拨款, 上年结转资金, 其他资金 …), in `Form.amount_unit`."""

    label: str
    initial_budget: Decimal | None = None  # 年初预算数
    budget: Decimal | None = None  # 全年预算数
    executed: Decimal | None = None  # 全年执行数
    weight: Decimal | None = None  # 分值 (total row only)
    rate: Decimal | None = None  # 执行率 as printed, in percent
    score: Decimal | None = None  # 得分 (total row only)
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class Indicator:
    """One 三级 indicator row."""

    level1: str  # 一级指标: 产出指标 / 效益指标 / 满意度指标
    level2: str  # 二级指标: 数量指标, 质量指标, …
    name: str  # 三级指标
    target_text: str  # 年度指标值, joined when it came in split columns
    actual_text: str  # 实际完成值
    weight: Decimal | None  # 分值
    reported_score: Decimal | None  # 得分 as filed
    reason: str = ""  # 偏差原因分析
    provenance: Provenance | None = None


@dataclass(frozen=True, slots=True)
class Form:
    """A whole self-evaluation form."""

    project: str
    department: str = ""
    implementer: str = ""
    year: int | None = None
    amount_unit: str = "万元"
    funds: tuple[FundsRow, ...] = ()  # the total row (年度资金总额) first, then its parts
    goal_expected: str = ""  # 预期目标, HTML reduced to text
    goal_achieved: str = ""  # 实际完成情况, HTML reduced to text
    indicators: tuple[Indicator, ...] = ()
    reported_total: Decimal | None = None
    reported_total_weight: Decimal | None = None  # the 分值 printed on the 总分 row (usually 100)
    reported_grade: str | None = None
    source: str | None = None  # the file it was read or imported from
    source_sha256: str | None = None
    import_notes: tuple[ImportNote, ...] = field(default=())

    @property
    def funds_total(self) -> FundsRow | None:
        """The 年度资金总额 row, if the form has a funds block."""
        return self.funds[0] if self.funds else None
