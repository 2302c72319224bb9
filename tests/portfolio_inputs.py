"""A small portfolio built from the example form: variants written to a folder for batch and compare tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).parents[1]
SEED = ROOT / "examples" / "xinhong-community-party-building.tsv"


def _edit(lines: list[str], row: int, old: str, new: str) -> None:
    """Replace `old` by `new` on 1-based `row`; fails loudly if the example changed under the test."""
    assert old in lines[row - 1], f"row {row} of the example no longer holds {old!r}"
    lines[row - 1] = lines[row - 1].replace(old, new)


def build(folder: Path) -> Path:
    """Five inputs: the example, two changed copies, a broken CSV and the example as form YAML; returns `folder`."""
    from perfeval_rules.forms import form_to_yaml, load_form

    folder.mkdir(parents=True, exist_ok=True)
    text = SEED.read_text(encoding="utf-8")
    (folder / "a-original.tsv").write_text(text, encoding="utf-8")
    lines = text.split("\n")
    low = list(lines)
    _edit(low, 22, "\t3125\t", "\t1750\t")  # “两新”党建服务覆盖党员人数: 1750 of 3500 → 0.5 of 1
    _edit(low, 46, "部分计划晚月余执行", "")  # 及时率 loses a point without a reason: missing-reason
    (folder / "b-low-actuals.tsv").write_text("\n".join(low), encoding="utf-8")
    spent = list(lines)
    _edit(spent, 7, "427.79\t427.79", "427.79\t213.895")  # half the budget executed: 5 of 10 points
    _edit(spent, 8, "427.79\t427.79", "427.79\t213.895")
    (folder / "c-half-spent.tsv").write_text("\n".join(spent), encoding="utf-8")
    (folder / "d-broken.csv").write_text("三级指标,分值\n培训人数,两分\n", encoding="utf-8")
    (folder / "e-form.yaml").write_text(form_to_yaml(load_form(SEED)), encoding="utf-8")
    return folder
