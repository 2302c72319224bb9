"""Broken and hostile form files: empty, random bytes, zip bombs, truncated workbooks, odd encodings and
line ends, 1 MB cells, thousands of rows. Each either evaluates or exits 2 with a located message; never
a traceback, never unbounded time or memory.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
import time
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from perfeval_rules import _yaml
from perfeval_rules.cli import cli
from perfeval_rules.forms._tables import MAX_ROWS, MAX_XLSX_ENTRIES, MAX_XLSX_EXPANDED, MAX_XLSX_RATIO

ROOT = Path(__file__).parents[1]
SEED = ROOT / "examples" / "xinhong-community-party-building.tsv"
SEED_TEXT = SEED.read_text(encoding="utf-8")
CASES = _yaml.load_file(Path(__file__).parent / "data" / "hostile" / "forms.yaml").data
MiB = 1024 * 1024


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _evaluate(path: Path) -> dict[str, Any]:
    code, out, err = _run("evaluate", str(path), "--rules", "cn-mof-2020")
    assert (code, err) == (0, "")
    result: dict[str, Any] = json.loads(out, parse_float=Decimal)
    return result


def _refused(path: Path) -> str:
    """The one-line message evaluating `path` gives, after checking it exits 2 with no traceback."""
    code, out, err = _run("evaluate", str(path), "--rules", "cn-mof-2020")
    assert (code, out) == (2, "")
    assert "Traceback" not in err and err.startswith(f"perfeval: {path}")
    return err.removeprefix("perfeval: ").rstrip("\n")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_broken_file_is_refused_with_its_message(case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / case["file"]
    path.write_bytes(bytes.fromhex(case["hex"]) if "hex" in case else case["text"].encode("utf-8"))
    assert _refused(path) == case["message"].replace("{path}", str(path))


# --- workbooks ---------------------------------------------------------------------------------------


def _workbook(path: Path, text: str = SEED_TEXT) -> Path:
    """The seed form as a real XLSX workbook, every cell text (a leading '=' is no formula)."""
    book = openpyxl.Workbook()
    sheet = book.active
    for r, line in enumerate(text.split("\n"), start=1):
        for c, value in enumerate(line.split("\t"), start=1):
            if value:
                cell = sheet.cell(row=r, column=c, value=value)
                cell.data_type = "s"
    book.save(path)
    return path


def _with_part(source: Path, target: Path, name: str, chunks: int, chunk: bytes = b"\0" * MiB) -> Path:
    """`source` with one more part `name` of `chunks` copies of `chunk`, streamed so memory stays small."""
    with zipfile.ZipFile(source) as src, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info.filename))
        with out.open(name, "w") as part:
            for _ in range(chunks):
                part.write(chunk)
    return target


def test_seed_workbook_evaluates_like_the_seed_table(tmp_path: Path) -> None:
    result = _evaluate(_workbook(tmp_path / "seed.xlsx"))
    assert (result["total"], len(result["indicators"])) == (Decimal("94.09"), 56)


def test_zip_bomb_expanding_beyond_the_total_is_refused_before_opening(tmp_path: Path) -> None:
    seed = _workbook(tmp_path / "seed.xlsx")
    bomb = _with_part(seed, tmp_path / "bomb.xlsx", "xl/media/image1.png", 2 * MAX_XLSX_EXPANDED // MiB)
    assert bomb.stat().st_size < MiB  # small on disk
    start = time.monotonic()
    message = _refused(bomb)
    assert time.monotonic() - start < 5
    expanded = sum(i.file_size for i in zipfile.ZipFile(bomb).infolist()) // MiB
    assert (
        message
        == f"{bomb}: refused: the workbook would expand to {expanded} MiB, more than 100 MiB (a zip bomb?) [E005]"
    )


def test_zip_part_expanding_too_many_times_is_refused(tmp_path: Path) -> None:
    seed = _workbook(tmp_path / "seed.xlsx")
    bomb = _with_part(seed, tmp_path / "bomb.xlsx", "xl/sharedStrings2.xml", 4)
    info = zipfile.ZipFile(bomb).getinfo("xl/sharedStrings2.xml")
    ratio = info.file_size // info.compress_size
    assert ratio > MAX_XLSX_RATIO
    assert _refused(bomb) == (
        f"{bomb}: refused: part 'xl/sharedStrings2.xml' would expand {ratio} times"
        f" ({info.compress_size} to {4 * MiB} bytes, at most 100 times; a zip bomb?) [E005]"
    )


def test_zip_with_too_many_parts_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "many.xlsx")
    with zipfile.ZipFile(path, "a") as out:
        for n in range(MAX_XLSX_ENTRIES):
            out.writestr(f"xl/extra/{n}.xml", "<x/>")
    parts = len(zipfile.ZipFile(path).infolist())
    assert _refused(path) == f"{path}: refused: the workbook has {parts} parts, more than 1000 (a zip bomb?) [E005]"


def test_zip_that_lies_about_a_part_size_cannot_expand_further(tmp_path: Path) -> None:
    """A directory that declares a small size: zipfile stops there and the CRC check fails."""
    raw = bytearray(_workbook(tmp_path / "seed.xlsx").read_bytes())
    name = b"xl/worksheets/sheet1.xml"
    entry = raw.find(b"PK\x01\x02")
    while entry >= 0:
        size = struct.unpack_from("<H", raw, entry + 28)[0]
        if raw[entry + 46 : entry + 46 + size] == name:
            struct.pack_into("<I", raw, entry + 24, 100)  # declared uncompressed size
            break
        entry = raw.find(b"PK\x01\x02", entry + 4)
    assert entry >= 0
    path = tmp_path / "liar.xlsx"
    path.write_bytes(bytes(raw))
    assert _refused(path) == (
        f"{path}: not a readable XLSX workbook (part 'xl/worksheets/sheet1.xml':"
        " Bad CRC-32 for file 'xl/worksheets/sheet1.xml') [E005]"
    )


def test_xml_entity_bomb_in_a_workbook_is_refused(tmp_path: Path) -> None:
    seed = _workbook(tmp_path / "seed.xlsx")
    entities = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    dtd = f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY l0 "lol">{entities}]>'
    path = tmp_path / "laughs.xlsx"
    with zipfile.ZipFile(seed) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                body = data[data.index(b"?>") + 2 :] if data.startswith(b"<?xml") else data
                data = dtd.encode() + body.replace(b"<t>", b"<t>&l9;", 1)
            out.writestr(info, data)
    assert _refused(path) == (
        f"{path}: refused: part 'xl/worksheets/sheet1.xml' declares a DTD (<!DOCTYPE or <!ENTITY);"
        " workbooks never do [E005]"
    )


@pytest.mark.parametrize("keep", [0.5, 0.9, 0.99])
def test_truncated_workbook_is_refused(keep: float, tmp_path: Path) -> None:
    raw = _workbook(tmp_path / "seed.xlsx").read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(raw[: int(len(raw) * keep)])
    assert _refused(path) == f"{path}: not a readable XLSX workbook (BadZipFile: File is not a zip file) [E005]"


# --- text tables: encodings, line ends, sizes ---------------------------------------------------------


VARIANTS = {
    "crlf": SEED_TEXT.replace("\n", "\r\n").encode("utf-8"),
    "mixed-line-ends": "".join(
        line + ("\r\n", "\r", "\n")[n % 3] for n, line in enumerate(SEED_TEXT.split("\n"))
    ).encode("utf-8"),
    "utf-8-bom": b"\xef\xbb\xbf" + SEED_TEXT.encode("utf-8"),
    "utf-16-bom": SEED_TEXT.encode("utf-16"),
    "gb18030": SEED_TEXT.encode("gb18030"),
    "gb18030-crlf": SEED_TEXT.replace("\n", "\r\n").encode("gb18030"),
}


@pytest.mark.parametrize("variant", VARIANTS)
def test_encodings_and_line_ends_give_the_seed_result(variant: str, tmp_path: Path) -> None:
    path = tmp_path / "form.tsv"
    path.write_bytes(VARIANTS[variant])
    result = _evaluate(path)
    assert (result["total"], result["grade"], len(result["indicators"])) == (Decimal("94.09"), "优", 56)
    names = [i["name"] for i in result["indicators"]]
    assert names[8] == "“两新”党建服务覆盖党员人数" and all("\r" not in n for n in names)


LONG = 1024 * 1024  # characters in one cell


@pytest.mark.parametrize(
    ("original", "field"),
    [("两新党员人数未达到3500人", "reason"), ("“两新”党建服务覆盖党员人数", "name")],
    ids=["reason", "name"],
)
def test_a_one_megabyte_cell_is_kept_whole(original: str, field: str, tmp_path: Path) -> None:
    path = tmp_path / "form.tsv"
    path.write_text(SEED_TEXT.replace(original, "长" * LONG), encoding="utf-8")
    result = _evaluate(path)
    indicator = result["indicators"][8]
    assert indicator[field] == "长" * LONG
    assert (indicator["score"], result["total"]) == (Decimal("0.89"), Decimal("94.09"))


def test_a_one_megabyte_target_is_an_unreadable_target_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "form.tsv"
    path.write_text(SEED_TEXT.replace("≥3500.00(人)", "≥" + "9" * LONG + "人"), encoding="utf-8")
    result = _evaluate(path)
    indicator = result["indicators"][8]
    assert (indicator["target"]["kind"], indicator["score"]) == ("unparsed", None)
    assert indicator["findings"][0]["code"] == "target-unparsed"
    assert result["total"] == Decimal("93.20")


def test_thousands_of_indicator_rows(tmp_path: Path) -> None:
    rows = "".join(f"\t\t培训完成率{n}\t=100.00(%)\t100%\t0.01\t0.01\t\n" for n in range(5000))
    at = SEED_TEXT.index("\t\t社区党校党课项目实施完成率")
    path = tmp_path / "form.tsv"
    path.write_text(SEED_TEXT[:at] + rows + SEED_TEXT[at:], encoding="utf-8")
    result = _evaluate(path)
    assert (len(result["indicators"]), result["total"]) == (5056, Decimal("144.09"))


def test_more_rows_than_the_limit_are_refused_before_importing(tmp_path: Path) -> None:
    path = tmp_path / "form.tsv"
    path.write_text(SEED_TEXT + "\t\t多余\n" * MAX_ROWS, encoding="utf-8")
    assert _refused(path) == f"{path}: table has more than {MAX_ROWS} rows [E005]"


def test_real_process_prints_no_traceback(tmp_path: Path) -> None:
    """Through a real interpreter: the messages reach stderr as they are, exit 2, nothing on stdout."""
    bomb = _with_part(_workbook(tmp_path / "seed.xlsx"), tmp_path / "bomb.xlsx", "xl/big.xml", 4)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    for path, head in [(bomb, "refused: part 'xl/big.xml' would expand"), (empty, "1:1: a form must be a mapping")]:
        proc = subprocess.run(
            [sys.executable, "-m", "perfeval_rules", "evaluate", str(path), "--rules", "cn-mof-2020"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=60,
        )
        assert (proc.returncode, proc.stdout) == (2, "")
        assert proc.stderr.startswith(f"perfeval: {path}") and head in proc.stderr
        assert "Traceback" not in proc.stderr


def test_a_batch_lists_hostile_files_as_failed_and_evaluates_the_rest(tmp_path: Path) -> None:
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "a.tsv").write_text(SEED_TEXT, encoding="utf-8")
    _with_part(_workbook(tmp_path / "seed.xlsx"), folder / "b.xlsx", "xl/big.xml", 4)
    random_bytes = next(c for c in CASES if c["name"] == "random-bytes-as-yaml")["hex"]
    (folder / "c.yaml").write_bytes(bytes.fromhex(random_bytes))
    (folder / "d.yaml").write_text("project: !!python/name:os.system\nindicators: []\n", encoding="utf-8")
    code, out, err = _run("evaluate", str(folder), "--rules", "cn-mof-2020")
    assert code == 1 and "Traceback" not in err
    assert [r["form"]["source"] for r in json.loads(out)] == [str(folder / "a.tsv")]
    for name, message in [
        ("b.xlsx", "refused: part 'xl/big.xml' would expand"),
        ("c.yaml", "not UTF-8 text (byte 0xe5 at offset 4) [E001]"),
        ("d.yaml", ":1:10: tag 'tag:yaml.org,2002:python/name:os.system' is not allowed"),
    ]:
        assert f"{folder / name}" in err and message in err, name


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_an_endless_device_is_read_only_up_to_the_limit() -> None:
    start = time.monotonic()
    assert _refused(Path("/dev/zero")) == "/dev/zero: file is larger than 20 MiB [E001]"
    assert time.monotonic() - start < 5
