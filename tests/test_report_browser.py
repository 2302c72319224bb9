"""The HTML report in a real browser: headless Chromium loads it, the DOM holds the data, it paints a page."""

from __future__ import annotations

import re
import struct
import zlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from conftest import Chromium
from htmldom import parse

from perfeval_rules._yaml import load_file
from perfeval_rules.report import render

ROOT = Path(__file__).parent.parent
DATA = ROOT / "tests" / "data" / "report"

pytestmark = pytest.mark.browser


def engine_result() -> dict[str, Any]:
    """The seed example evaluated under cn-mof-2020 by the engine."""
    from perfeval_rules import evaluate, load_ruleset
    from perfeval_rules.forms import load_form

    form = load_form(ROOT / "examples" / "xinhong-community-party-building.tsv")
    return evaluate(load_ruleset("cn-mof-2020"), form).to_dict()


@pytest.fixture(params=["fixture", "engine"])
def sample_page(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    result = load_file(DATA / "sample_result.json").data if request.param == "fixture" else engine_result()
    page = tmp_path / "report.html"
    page.write_text(render(result, "html"), encoding="utf-8")
    return result, page


def test_browser_dom_holds_the_report(chromium: Chromium, sample_page: tuple[dict[str, Any], Path]) -> None:
    result, page = sample_page
    dom = parse(chromium.dump_dom(page))
    assert dom.find("h1").text == "社区党建专项"
    assert dom.find("div", "computed").find("div", "value").text == f"{result['total']:.2f}"
    codes = [li.find("code").text for li in dom.by_id("findings").find_all("li")]
    assert codes == [f["code"] for f in result["findings"]]
    assert len(dom.find("table", "indicators").find("tbody").find_all("tr")) == len(result["indicators"])
    assert not dom.find_all("script")


def test_browser_screenshot_is_a_painted_page(chromium: Chromium, sample_page: tuple[dict[str, Any], Path]) -> None:
    _, page = sample_page
    png = chromium.screenshot(page, page.with_suffix(".png"), 1400, 2000)
    assert png.stat().st_size > 100_000  # a blank or single-colour page compresses to a few kilobytes
    width, height, rows = decode_png(png.read_bytes())
    assert (width, height) == (1400, 2000)
    colours = Counter(pixel for row in rows[::10] for pixel in row[::5])
    white = colours.get((255, 255, 255), 0)
    total = sum(colours.values())
    assert len(colours) > 50, "too few colours: the page looks blank"
    assert 1 - white / total > 0.02, "almost nothing painted on the page"
    dark = sum(n for (r, g, b), n in colours.items() if r + g + b < 200)
    assert dark / total > 0.005, "no dark text pixels"


def decode_png(data: bytes) -> tuple[int, int, list[list[tuple[int, int, int]]]]:
    """Width, height and RGB rows of an 8-bit RGB or RGBA, non-interlaced PNG, with the standard library."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, bytearray(), b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header)
    assert depth == 8 and colour in (2, 6) and interlace == 0, f"unsupported PNG: depth {depth}, colour type {colour}"
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(bytes(idat))
    stride = width * bpp
    prev = bytearray(stride)
    rows: list[list[tuple[int, int, int]]] = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev, strict=True))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append([(line[i], line[i + 1], line[i + 2]) for i in range(0, stride, bpp)])
        prev = line
    return width, height, rows


def test_browser_prints_on_a4_landscape(chromium: Chromium, sample_page: tuple[dict[str, Any], Path]) -> None:
    _, page = sample_page
    pdf = page.with_suffix(".pdf")
    chromium.run("--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.resolve().as_uri())
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf.read_bytes())
    assert boxes, "no pages in the PDF"
    for width, height in boxes:  # A4 landscape is 842 x 595 points
        assert (round(float(width)), round(float(height))) == (842, 595)
