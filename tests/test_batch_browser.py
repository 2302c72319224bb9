"""The portfolio index and the comparison report in headless Chromium: the DOM holds the numbers, the page paints."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import Chromium
from htmldom import parse
from portfolio_inputs import build
from test_report_browser import decode_png

from perfeval_rules.cli import cli

pytestmark = pytest.mark.browser


def _painted(png: Path) -> None:
    width, height, rows = decode_png(png.read_bytes())
    assert (width, height) == (1400, 1800)
    colours = Counter(pixel for row in rows[::10] for pixel in row[::5])
    total = sum(colours.values())
    assert len(colours) > 50, "too few colours: the page looks blank"
    assert 1 - colours.get((255, 255, 255), 0) / total > 0.02, "almost nothing painted on the page"
    assert sum(n for (r, g, b), n in colours.items() if r + g + b < 200) / total > 0.005, "no dark text pixels"


def test_portfolio_index_in_the_browser(chromium: Chromium, tmp_path: Path) -> None:
    inputs, out = build(tmp_path / "in"), tmp_path / "out"
    assert CliRunner().invoke(cli, ["evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{out}/"]).exit_code == 1
    page = out / "index.html"
    dom = parse(chromium.dump_dom(page))
    assert dom.find("h1").text == "绩效自评复核汇总 (4 张表)"
    assert (dom.by_id("computed-mean").text, dom.by_id("reported-mean").text) == ("92.74", "97.00")
    counts = (dom.by_id("total-differs").text, dom.by_id("grade-differs").text, dom.by_id("failed-count").text)
    assert counts == ("4", "1", "1")
    cells = [[td.text for td in tr.find_all("td")] for tr in dom.by_id("discrepancies").find("tbody").find_all("tr")]
    assert [(c[0], c[2], c[4]) for c in cells] == [
        ("c-half-spent", "89.09", "-7.91"),
        ("b-low-actuals", "93.70", "-3.30"),
        ("a-original", "94.09", "-2.91"),
        ("e-form", "94.09", "-2.91"),
    ]
    assert not dom.find_all("script")
    _painted(chromium.screenshot(page, tmp_path / "index.png", 1400, 1800))


def test_comparison_in_the_browser(chromium: Chromium, tmp_path: Path) -> None:
    inputs, page = build(tmp_path / "in"), tmp_path / "compare.html"
    args = ["compare", str(inputs), "--base", "cn-mof-2020", "--candidate", "cn-hubei-2020", "-o", str(page)]
    assert CliRunner().invoke(cli, args).exit_code == 1
    dom = parse(chromium.dump_dom(page))
    assert dom.find("h1").text == "cn-mof-2020 → cn-hubei-2020"
    assert (dom.by_id("grade-changes").text, dom.by_id("dir-up").text, dom.by_id("dir-other").text) == ("4", "1", "3")
    assert dom.by_id("total-changes").text == "4"
    first = [td.text for td in dom.by_id("form-1").find_all("td")]
    assert first[:3] == ["94.09", "103.89", "+9.80"]
    assert len(dom.by_id("rules").find("tbody").find_all("tr")) == 12
    _painted(chromium.screenshot(page, tmp_path / "compare.png", 1400, 1800))
