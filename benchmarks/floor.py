"""The practical floor: the cn-mof-2020 scoring rule hand-written in plain Python with regex parsing.

No rule set, no findings, no traces: parse `=100.00(%)`, `≥3500.00(人)`, `≤90.00(万元)`, `100%`, tier
words and echoes; score proportional (B/A), reverse (A/B), tiers with the reported score kept inside
the tier's band, the budget rate, and the total, half-up at 2 places. Only what the generated forms use.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal(0)
ONE = Decimal(1)
NUMBER = re.compile(r"^([=≥>≤<])?(\d+(?:\.\d+)?)\(?([^\d()]*)\)?$")
TIERS = {"达成指标": 1, "达成年度指标": 1, "部分达成指标并具有一定效果": 2, "未达成指标且效果较差": 3}
TREND_UP = ("提高", "提升", "增加", "增长", "上升", "改善", "加强", "增强")
# tier: (low, high, high inclusive, default) as fractions of the weight
BANDS = {1: (Decimal("0.8"), ONE, True, ONE), 2: (Decimal("0.6"), Decimal("0.8"), False, Decimal("0.6")),
         3: (ZERO, Decimal("0.6"), False, ZERO)}  # fmt: skip


def read(text: str) -> tuple[str, Decimal] | None:
    """(operator, number) of `=100.00(%)`, `≥90.00%`, `3125`, `85.50万元`; None for words."""
    m = NUMBER.match(text)
    if m is None:
        return None
    return m.group(1) or "", Decimal(m.group(2))


def tier_of(target: str, actual: str) -> int | None:
    """The tier of a qualitative row: an outcome phrase, or an echo of the target word (健全/健全, 及时/及时)."""
    tier = TIERS.get(actual)
    if tier is not None:
        return tier
    if actual == target or (actual in TREND_UP and target.endswith(TREND_UP)):
        return 1
    return None


def tier_score(tier: int, weight: Decimal, reported: Decimal | None) -> Decimal:
    """The reported score inside the tier's band, else the nearest edge; the default share when none."""
    low, high, high_inclusive, default = BANDS[tier]
    lo, hi = low * weight, high * weight
    if reported is None:
        return (default * weight).quantize(CENT, ROUND_HALF_UP)
    if lo <= reported and (reported < hi or (high_inclusive and reported == hi)):
        return reported
    if reported <= lo:
        return lo.quantize(CENT, ROUND_CEILING)
    edge = hi.quantize(CENT, ROUND_FLOOR)
    return edge if high_inclusive or edge < hi else edge - CENT


def score_row(target: str, actual: str, weight: Decimal, reported: Decimal | None) -> Decimal:
    """One indicator's score, rounded half-up to 2 places."""
    t = read(target)
    if t is None:
        tier = tier_of(target, actual)
        return tier_score(tier, weight, reported) if tier is not None else ZERO
    op, a = t
    b_read = read(actual)
    if b_read is None:
        tier = TIERS.get(actual)
        return tier_score(tier, weight, reported) if tier is not None else ZERO
    b = b_read[1]
    if op in ("≤", "<"):
        score = weight if b <= a else min(max(a / b * weight, ZERO), weight)
    else:
        score = weight if b >= a else min(max(b / a * weight, ZERO), weight)
    return score.quantize(CENT, ROUND_HALF_UP)


def score_form(rows: list[tuple[str, str, Decimal, Decimal | None]], budget: Decimal, executed: Decimal) -> Decimal:
    """The form's total: budget rate × 10 (at most 10) plus every row's score, half-up at 2 places."""
    total = (min(executed / budget, ONE) * 10).quantize(CENT, ROUND_HALF_UP)
    for target, actual, weight, reported in rows:
        total += score_row(target, actual, weight, reported)
    return total.quantize(CENT, ROUND_HALF_UP)
