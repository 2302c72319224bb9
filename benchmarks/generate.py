"""Synthetic 项目支出绩效自评表 for benchmarks: deterministic (seeded), in the seed example's layout.

Each form has about 60 indicator rows with the mix of real portfolios: ~60 % rates (=100.00(%)),
~20 % counts with units (≥3500.00(人)), ~5 % cost targets in 万元 under 成本指标 (≤90.00(万元)), ~15 %
qualitative rows (tiers, echoes of the target word); some rows are unmet, and the target strings come
from a small pool, so the same strings repeat across forms as they do in a province's portfolio.

    python3 benchmarks/generate.py OUTDIR --count 1000 [--format tsv|yaml] [--seed 2020]
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfeval_rules.forms.document import form_to_yaml
from perfeval_rules.forms.model import Form, FundsRow, Indicator

ROWS = 60
_CENT = Decimal("0.01")

RATE_TARGETS = ["=100.00(%)"] * 6 + ["≥90.00(%)", "≥95.00(%)", ">90.00(%)", "=100(%)"]
COUNT_TARGETS = [("≥3500.00(人)", "人"), ("=2.00(项)", "项"), ("≥36.00(次)", "次"), ("=70.00(人)", "人"),
                 ("≥600.00(人)", "人"), ("=12.00(个)", "个"), ("≥4.00(场)", "场"), ("=1.00(项)", "项")]  # fmt: skip
COST_TARGETS = ["≤90.00(万元)", "≤35.00(万元)", "≤120.00(万元)", "≤8.50(万元)"]
QUALITATIVE = [("及时", "达成指标"), ("提高", "达成指标"), ("健全", "健全"), ("较上一年度提高", "达成指标"),
               ("有效", "达成指标"), ("提升", "部分达成指标并具有一定效果"), ("及时", "及时")]  # fmt: skip
NAMES = ["活动完成率", "项目实施完成率", "服务覆盖人数", "设备维护完成数", "培训质量达标率", "经费发放及时率",
         "宣传展示完成数", "平台维护完成数", "群众满意度", "制度健全性", "工作整体水平", "运行成本"]  # fmt: skip
SECTIONS = (  # 一级, 二级, share of the rows
    ("产出指标", "数量指标", 17),
    ("产出指标", "质量指标", 13),
    ("产出指标", "时效指标", 8),
    ("产出指标", "成本指标", 3),
    ("效益指标", "社会效益指标", 10),
    ("效益指标", "可持续影响指标", 3),
    ("满意度指标", "服务对象满意度指标", 6),
)


@dataclass(frozen=True, slots=True)
class Row:
    """One generated indicator row, as filed."""

    level1: str
    level2: str
    name: str
    target: str
    actual: str
    weight: Decimal
    score: Decimal
    reason: str


@dataclass(frozen=True, slots=True)
class Spec:
    """One generated form: header, funds and rows."""

    project: str
    department: str
    implementer: str
    initial: Decimal
    budget: Decimal
    executed: Decimal
    budget_score: Decimal
    rows: tuple[Row, ...]
    total: Decimal
    grade: str


def _q(value: Decimal) -> Decimal:
    return value.quantize(_CENT, rounding=ROUND_HALF_UP)


def _row(rng: random.Random, level1: str, level2: str, n: int, weight: Decimal) -> Row:
    name = f"{rng.choice(NAMES)}{n}"
    if level2 == "成本指标":  # reverse: at most the budgeted cost
        target = rng.choice(COST_TARGETS)
        limit = Decimal(target[1:].split("(")[0])
        actual_value = _q(limit * Decimal(rng.choice(["0.8", "0.95", "1", "1", "1.1"])))
        actual = f"{actual_value}万元"
        score = weight if actual_value <= limit else _q(limit / actual_value * weight)
        return Row(level1, level2, name, target, actual, weight, score, "成本超支" if score < weight else "")
    roll = rng.random()
    if level1 == "满意度指标" or roll < 0.63:  # rates
        target = rng.choice(RATE_TARGETS)
        bound = Decimal(target.lstrip("=≥>").split("(")[0])
        actual_roll = rng.random()
        if actual_roll < 0.55:
            actual, value = "100%", Decimal(100)
        elif actual_roll < 0.8:
            actual, value = target.replace("(", "").replace(")", ""), bound
        elif actual_roll < 0.9:
            actual, value = target, bound
        else:
            value = Decimal(rng.randint(50, 99))
            actual = f"{value}%"
        met = value >= bound if not target.startswith(">") else value > bound or actual == target.replace("(", "")
        score = weight if met else _q(value / bound * weight)
        if actual in (target, target.replace("(", "").replace(")", "")):
            score = weight
        return Row(level1, level2, name, target, actual, weight, score, "" if score == weight else "部分未完成")
    if roll < 0.83 and level2 not in ("时效指标",):  # counts with units
        target, unit = rng.choice(COUNT_TARGETS)
        bound = Decimal(target.lstrip("=≥").split("(")[0])
        value = bound if rng.random() < 0.6 else _q(bound * Decimal(rng.randint(60, 115)) / 100)
        value = value.quantize(Decimal(1)) if value == value.to_integral_value() else value
        actual = f"{value}" if rng.random() < 0.5 else f"{value}{unit}"
        score = weight if value >= bound else _q(value / bound * weight)
        reason = "" if score == weight and value < bound * Decimal("1.2") else "受疫情影响"
        return Row(level1, level2, name, target, actual, weight, score, reason)
    target, actual = rng.choice(QUALITATIVE)  # qualitative: tier 1 full marks, tier 2 the band's bottom
    score = weight if actual != "部分达成指标并具有一定效果" else _q(weight * Decimal("0.6"))
    return Row(level1, level2, name, target, actual, weight, score, "" if score == weight else "提升幅度小")


def spec(index: int, seed: int = 2020) -> Spec:
    """The form number `index` of the seeded portfolio."""
    rng = random.Random(seed * 1_000_003 + index)
    rows: list[Row] = []
    n = 0
    for level1, level2, count in SECTIONS:
        for _ in range(count):
            n += 1
            # 30 rows of 1 point and 30 of 2: the indicators weigh 90, the budget 10.
            weight = Decimal("2.00") if n % 2 == 0 else Decimal("1.00")
            rows.append(_row(rng, level1, level2, n, weight))
    budget = Decimal(rng.randint(5000, 90000)) / 100
    executed = budget if rng.random() < 0.7 else _q(budget * Decimal(rng.randint(80, 99)) / 100)
    budget_score = _q(min(executed / budget, Decimal(1)) * 10)
    total = _q(budget_score + sum((r.score for r in rows), Decimal(0)))
    grade = "优" if total >= 90 else "良" if total >= 80 else "中" if total >= 60 else "差"
    return Spec(
        project=f"专项项目{index:05d}",
        department=f"第{index % 37}街道办事处",
        implementer=f"第{index % 37}街道社区服务中心",
        initial=budget,
        budget=budget,
        executed=executed,
        budget_score=budget_score,
        rows=tuple(rows),
        total=total,
        grade=grade,
    )


def to_tsv(s: Spec) -> str:
    """The form as the seed example's table (TSV text extracted from a published PDF)."""
    blank = "\t" * 7
    rate = _q(s.executed / s.budget * 100)
    lines = [
        blank,
        "财政项目支出绩效自评价" + "\t" * 8,
        f"项目名称\t{s.project}" + "\t" * 7,
        f"主管部门\t{s.department}\t\t实施单位\t{s.implementer}\t\t\t\t",
        "项目资金(万元)\t\t\t年初预算数\t全年预算数\t全年执行数\t分数\t执行率\t得分",
        f"\t年度资金总额\t\t{s.initial}\t{s.budget}\t{s.executed}\t10.00\t{rate}%\t{s.budget_score}",
        f"\t其中:当年财政拨款\t\t{s.initial}\t{s.budget}\t{s.executed}\t-\t{rate}%\t-",
        "\t上年结转资金\t\t0.00\t0.00\t0.00\t-\t0.00\t-",
        "年度总体目标\t预期目标\t\t\t实际完成情况\t\t\t\t",
        "\t<p>按计划完成年度各项工作任务。</p>\t\t\t<p>完成年度各项工作任务。</p>\t\t\t\t",
        "一级指标\t二级指标\t三级指标\t年度指标值\t实际完成值\t分值\t得分\t偏差原因分析\t",
    ]
    last1 = ""
    for r in s.rows:
        # 一级 as a merged cell (first row of its block only); 二级 repeated, as PDF extraction often gives it.
        l1 = r.level1 if r.level1 != last1 else ""
        last1 = r.level1
        lines.append(f"{l1}\t{r.level2}\t{r.name}\t{r.target}\t{r.actual}\t{r.weight}\t{r.score}\t{r.reason}\t")
    lines.append(f"\t\t\t\t\t100.00\t{s.total}\t\t")
    lines.append(f"评分等级\t\t{s.grade}\t\t\t\t\t\t")
    return "\n".join(lines) + "\n"


def to_form(s: Spec) -> Form:
    """The form as data, built straight from the raw strings (no importer)."""
    indicators = tuple(
        Indicator(r.level1, r.level2, r.name, r.target, r.actual, r.weight, r.score, r.reason) for r in s.rows
    )
    rate = _q(s.executed / s.budget * 100)
    total_row = FundsRow("年度资金总额", s.initial, s.budget, s.executed, Decimal("10.00"), rate, s.budget_score)
    return Form(
        project=s.project,
        department=s.department,
        implementer=s.implementer,
        funds=(total_row,),
        indicators=indicators,
        reported_total=s.total,
        reported_total_weight=Decimal("100.00"),
        reported_grade=s.grade,
    )


def to_yaml(s: Spec) -> str:
    """The form in the perfeval form format."""
    return form_to_yaml(to_form(s))


def specs(count: int, seed: int = 2020) -> Iterator[Spec]:
    """The first `count` forms of the seeded portfolio."""
    return (spec(i, seed) for i in range(count))


def write(folder: Path, count: int, fmt: str = "tsv", seed: int = 2020) -> list[Path]:
    """Write `count` forms into `folder` (created), named form-00000.tsv …; returns the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i, s in enumerate(specs(count, seed)):
        path = folder / f"form-{i:05d}.{fmt}"
        path.write_text(to_tsv(s) if fmt == "tsv" else to_yaml(s), encoding="utf-8")
        paths.append(path)
    return paths


def main() -> None:
    """Command line: write a generated portfolio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir", type=Path)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--format", choices=["tsv", "yaml"], default="tsv")
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    write(args.outdir, args.count, args.format, args.seed)


if __name__ == "__main__":
    main()
