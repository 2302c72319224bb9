"""`perfeval evaluate` over many forms: one report per form, the portfolio index, streaming, --jobs and --resume."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from htmldom import parse
from portfolio_inputs import SEED, build

from perfeval_rules import _json
from perfeval_rules.batch import MANIFEST, form_names, input_names
from perfeval_rules.cli import cli

BROKEN_REASON = "d-broken.csv:2:6 (B2): 分值 is not a number: '两分' [E005]\n    培训人数,两分\n             ^"


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"), parse_float=Decimal)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    return build(tmp_path / "in")


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_portfolio_summary_counts_every_input(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, stdout, err = _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{out}/", "--format", "json")
    assert code == 1  # one input failed; the others were evaluated
    assert stdout == ""
    assert err == (
        f"perfeval: {inputs}/{BROKEN_REASON}\n"
        f"perfeval: 5 inputs: 4 evaluated, 1 failed, 0 skipped (up to date); index: {out}/index.json\n"
    )
    assert sorted(p.name for p in out.iterdir()) == [
        MANIFEST, "a-original.json", "b-low-actuals.json", "c-half-spent.json", "e-form.json", "index.json",
    ]  # fmt: skip
    index = _load(out / "index.json")
    assert index["counts"] == {"inputs": 5, "forms": 4, "failed": 1}
    assert index["failed"] == [{"source": str(inputs / "d-broken.csv"), "reason": f"{inputs}/{BROKEN_REASON}"}]
    assert [(g["grade"], g["computed"], g["reported"]) for g in index["grades"]] == [
        ("优", 3, 4), ("良", 1, 0), ("中", 0, 0), ("差", 0, 0),
    ]  # fmt: skip
    rows = [(r["name"], r["href"], r["total"], r["reported_total"], r["delta"], r["grade"]) for r in index["forms"]]
    assert rows == [
        ("a-original", "a-original.json", Decimal("94.09"), 97, Decimal("-2.91"), "优"),
        ("b-low-actuals", "b-low-actuals.json", Decimal("93.7"), 97, Decimal("-3.3"), "优"),
        ("c-half-spent", "c-half-spent.json", Decimal("89.09"), 97, Decimal("-7.91"), "良"),
        ("e-form", "e-form.json", Decimal("94.09"), 97, Decimal("-2.91"), "优"),
    ]
    assert index["totals"] == {
        "computed": Decimal("370.97"), "reported": 388, "computed_mean": Decimal("92.74"), "reported_mean": 97,
        "reported_forms": 4, "total_differs": 4, "grade_differs": 1,
    }  # fmt: skip
    # largest discrepancy first; equal ones keep input order
    assert [r["name"] for r in index["discrepancies"]] == ["c-half-spent", "b-low-actuals", "a-original", "e-form"]
    top = {f["code"]: (f["severity"], f["forms"], f["count"]) for f in index["findings"]}
    assert top["actual-bound"] == ("info", 4, 48)
    assert top["score-mismatch"] == ("error", 4, 4)
    assert top["missing-reason"] == ("warning", 1, 1)
    assert top["rate-mismatch"] == ("warning", 1, 1)
    assert top["budget-score-mismatch"] == ("error", 1, 1)
    assert index["findings"][0]["code"] == "actual-bound"
    assert [(x["name"], x["points"], x["forms"]) for x in index["lost"]] == [
        ("预算执行率", 5, 1),
        ("社区党校教训培训活动开展及时率", 4, 4),
        ("“两新”党组织覆盖情况", Decimal("3.2"), 4),
        ("“两新”党建服务覆盖党员人数", Decimal("0.83"), 4),  # 0.11 × 3 forms + 0.5
    ]
    # each per-form file is exactly what `perfeval evaluate FORM --format json` writes
    code, single, _ = _run("evaluate", str(inputs / "c-half-spent.tsv"), "--rules", "cn-mof-2020")
    assert code == 0 and (out / "c-half-spent.json").read_text(encoding="utf-8") == single


def test_html_folder_links_every_report(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, _ = _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", str(out), "--format", "html")
    assert code == 1
    names = ["a-original.html", "b-low-actuals.html", "c-half-spent.html", "e-form.html"]
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, *names, "index.html"]
    for name in names:
        text = (out / name).read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>\n") and text.endswith("</html>\n")
    dom = parse((out / "index.html").read_text(encoding="utf-8"))
    rows = dom.by_id("forms").find("tbody").find_all("tr")
    assert [r.find("a").attrs["href"] for r in rows] == names
    assert dom.by_id("computed-mean").text == "92.74"
    assert dom.by_id("failed").find("td").text == str(inputs / "d-broken.csv")
    assert len(dom.by_id("grades").find_all("svg")) == 1


def test_markdown_index(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", str(out), "--format", "md")[0] == 1
    lines = (out / "index.md").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# 绩效自评复核汇总 (4 张表)"
    assert "| 良 | 1 | 0 |" in lines
    assert "| [c-half-spent](c-half-spent.md) | 社区党建专项 | 89.09 | 97.00 | -7.91 | 良 / 优 |" in lines
    assert "| missing-reason | 警告 | 1 | 1 |" in lines


def test_jobs_2_is_byte_identical_to_jobs_1(inputs: Path, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    assert _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{one}/", "--jobs", "1")[0] == 1
    assert _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{two}/", "--jobs", "2")[0] == 1
    assert _files(one) == _files(two)
    first = _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-j", "2")
    assert first == _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-j", "1")


@pytest.mark.parametrize(("chunk", "window"), [(1, 1), (2, 1), (3, 2), (8, 0)])
def test_workers_take_tasks_in_chunks_and_results_keep_input_order(inputs: Path, chunk: int, window: int) -> None:
    from perfeval_rules.batch import EvaluateWork, ProcessExecutor, SerialExecutor, tasks_for

    tasks = tasks_for([str(p) for p in sorted(inputs.iterdir())] * 3)  # 15 tasks: chunks of 1, 2, 3 and 8
    work = EvaluateWork("cn-mof-2020", "json", trace=False)
    serial = list(SerialExecutor().map(work, tasks))
    parallel = list(ProcessExecutor(2, window=window, chunk=chunk).map(work, tasks))
    assert [r.task.index for r in parallel] == list(range(15))
    assert parallel == serial


def test_json_array_is_streamed_exactly_as_before(inputs: Path, tmp_path: Path) -> None:
    from perfeval_rules import evaluate, load_ruleset
    from perfeval_rules.forms import load_form

    ruleset = load_ruleset("cn-mof-2020")
    files = [inputs / "a-original.tsv", inputs / "e-form.yaml"]
    expected = _json.dumps([evaluate(ruleset, load_form(f)).to_dict() for f in files]) + "\n"
    code, out, err = _run("evaluate", *map(str, files), "--rules", "cn-mof-2020")
    assert (code, out, err) == (0, expected, "")
    target = tmp_path / "all.json"
    assert _run("evaluate", *map(str, files), "--rules", "cn-mof-2020", "-o", str(target)) == (0, "", "")
    assert target.read_text(encoding="utf-8") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["all.json", "in"]  # no temporary file left


def test_one_form_to_a_file_is_unchanged(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    assert _run("evaluate", str(SEED), "--rules", "cn-mof-2020", "-o", str(report)) == (0, "", "")
    from perfeval_rules import evaluate, load_ruleset, render
    from perfeval_rules.forms import load_form

    expected = render(evaluate(load_ruleset("cn-mof-2020"), load_form(SEED)), "html")
    assert report.read_text(encoding="utf-8") == expected
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


def test_output_mode_errors(inputs: Path, tmp_path: Path) -> None:
    a, b = str(inputs / "a-original.tsv"), str(inputs / "b-low-actuals.tsv")
    code, _, err = _run("evaluate", a, b, "--rules", "cn-mof-2020", "--format", "html")
    assert (code, err) == (2, "perfeval: --format html with several forms writes a folder: give -o DIR [E006]\n")
    file = tmp_path / "taken"
    file.write_text("x", encoding="utf-8")
    code, _, err = _run("evaluate", a, b, "--rules", "cn-mof-2020", "--format", "md", "-o", str(file))
    assert code == 2
    assert err == f"perfeval: {file} is a file; a batch of html or md reports needs a folder (give -o DIR) [E006]\n"
    code, _, err = _run("evaluate", a, "--rules", "cn-mof-2020", "--resume")
    assert (code, err) == (2, "perfeval: --resume continues a batch written to a folder: give -o DIR [E006]\n")
    # an existing folder gets one JSON per form and index.json even for one form
    folder = tmp_path / "reports"
    folder.mkdir()
    assert _run("evaluate", a, "--rules", "cn-mof-2020", "-o", str(folder))[0] == 0
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST, "a-original.html", "index.html"]


def test_names_are_deterministic_and_collision_free() -> None:
    paths = ["a/x.tsv", "b/x.tsv", "x.csv", "index.tsv", "x-tsv.yaml", "我的 表(1).xlsx", "Y.tsv", "y.csv"]
    assert input_names(paths) == ["x-tsv", "x-tsv-2", "x-csv", "index-2", "x-tsv-3", "我的_表_1", "Y-tsv", "y-csv"]
    assert form_names("book", ["Sheet 1", "sheet@2", None]) == ["book@Sheet_1", "book@sheet_2", "book@sheet"]
    assert form_names("book", ["Sheet1"]) == ["book"]
    assert form_names("b", ["s", "s"]) == ["b@s", "b@s-2"]


def test_resume_skips_current_reports_and_rebuilds_the_index(inputs: Path, tmp_path: Path) -> None:
    out, fresh = tmp_path / "out", tmp_path / "fresh"
    assert _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{out}/")[0] == 1
    before = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    # one input changes, one report is damaged: both are redone; the rest are kept as they are
    changed = inputs / "b-low-actuals.tsv"
    changed.write_text(changed.read_text(encoding="utf-8").replace("\t1750\t", "\t3500\t"), encoding="utf-8")
    (out / "e-form.html").write_text("<!DOCTYPE html>\n<html>", encoding="utf-8")
    code, _, err = _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{out}/", "--resume")
    assert code == 1
    assert err.endswith(f"perfeval: 5 inputs: 2 evaluated, 1 failed, 2 skipped (up to date); index: {out}/index.html\n")
    after = {p.name: p.stat().st_mtime_ns for p in out.iterdir()}
    assert after["a-original.html"] == before["a-original.html"]
    assert after["c-half-spent.html"] == before["c-half-spent.html"]
    assert after["b-low-actuals.html"] != before["b-low-actuals.html"]
    # the resumed folder is exactly what a fresh run gives
    assert _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{fresh}/")[0] == 1
    assert _files(out) == _files(fresh)
    # another rule set, engine or format makes every report stale
    code, _, err = _run("evaluate", str(inputs), "--rules", "cn-hubei-2020", "-o", f"{out}/", "--resume")
    assert err.endswith("4 evaluated, 1 failed, 0 skipped (up to date); index: " + f"{out}/index.html\n")


def test_no_trace_leaves_out_only_the_traces(inputs: Path, tmp_path: Path) -> None:
    full, lean = tmp_path / "full.json", tmp_path / "lean.json"
    for out, extra in ((full, ()), (lean, ("--no-trace",))):
        code, _, err = _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", str(out), *extra)
        assert (code, err) == (1, f"perfeval: {inputs}/{BROKEN_REASON}\n")
    with_traces, without = _load(full), _load(lean)
    assert [r["total"] for r in without] == [Decimal("94.09"), Decimal("93.7"), Decimal("89.09"), Decimal("94.09")]
    assert sum(len(i["trace"]) for r in with_traces for i in r["indicators"]) == 1645
    for result in with_traces:  # what --no-trace gives is the full result with every trace emptied
        result["budget"]["trace"] = []
        for indicator in result["indicators"]:
            indicator["trace"] = []
    assert without == with_traces


@pytest.mark.parametrize(("fmt", "explained"), [("html", "<summary>计算说明"), ("md", "## 计算说明")])
def test_reports_without_traces_have_no_empty_explanations(fmt: str, explained: str) -> None:
    seed = str(SEED)
    traced = _run("evaluate", seed, "--rules", "cn-mof-2020", "--format", fmt)[1]
    lean = _run("evaluate", seed, "--rules", "cn-mof-2020", "--format", fmt, "--no-trace")[1]
    assert traced.count(explained) == (57 if fmt == "html" else 1)  # the budget and each of the 56 indicators
    assert explained not in lean
    assert "94.09" in lean


def test_resume_redoes_reports_made_with_other_trace_settings(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{out}/", "--no-trace")[0] == 1
    entries = [json.loads(line) for line in (out / MANIFEST).read_text(encoding="utf-8").splitlines()]
    assert [e["trace"] for e in entries] == [False] * 4
    code, _, err = _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{out}/", "--no-trace", "--resume")
    assert code == 1
    assert err.endswith("0 evaluated, 1 failed, 4 skipped (up to date); index: " + f"{out}/index.html\n")
    code, _, err = _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{out}/", "--resume")
    assert code == 1
    assert err.endswith("4 evaluated, 1 failed, 0 skipped (up to date); index: " + f"{out}/index.html\n")


def test_manifest_lines_record_what_each_report_was_made_from(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run("evaluate", str(inputs / "a-original.tsv"), str(inputs / "c-half-spent.tsv"), "--rules", "cn-mof-2020",
         "-o", f"{out}/")  # fmt: skip
    lines = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    entries = [json.loads(line, parse_float=Decimal) for line in lines]
    assert [e["name"] for e in entries] == ["a-original", "c-half-spent"]
    import hashlib

    first = entries[0]
    assert first["input_sha256"] == hashlib.sha256((inputs / "a-original.tsv").read_bytes()).hexdigest()
    assert first["forms"][0]["sha256"] == hashlib.sha256((out / "a-original.html").read_bytes()).hexdigest()
    assert (first["engine"], first["format"]) == ("0.1.0", "html")
    assert first["forms"][0]["summary"]["total"] == Decimal("94.09")


def test_a_workbook_gives_one_report_per_sheet(tmp_path: Path) -> None:
    from test_forms_layouts import build_workbook

    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    build_workbook(inputs / "book.xlsx")
    assert _run("evaluate", str(inputs), "--rules", "cn-mof-2020", "-o", f"{out}/")[0] == 0
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "book@第二个项目.html", "book@自评表.html", "index.html"]
    rows = parse((out / "index.html").read_text(encoding="utf-8")).by_id("forms").find("tbody").find_all("tr")
    assert [r.find("a").attrs["href"] for r in rows] == ["book@自评表.html", "book@第二个项目.html"]
    code, _, err = _run("evaluate", str(inputs / "book.xlsx"), "--rules", "cn-mof-2020", "-o", str(tmp_path / "r.html"))
    assert (code, err) == (
        2,
        f"perfeval: {inputs / 'book.xlsx'} holds 2 forms; --format html writes them to a folder: give -o DIR/ [E006]\n",
    )
    code, out_json, _ = _run("evaluate", str(inputs / "book.xlsx"), "--rules", "cn-mof-2020")
    assert code == 0 and [r["form"]["project"] for r in json.loads(out_json)] == ["图书馆数字化", "阅读推广"]


def test_fail_on_in_a_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ("evaluate", str(SEED), "--rules", "cn-mof-2020", "-o", f"{out}/")
    assert _run(*args, "--fail-on", "never")[0] == 0
    assert _run(*args, "--fail-on", "error")[0] == 1  # the example has score mismatches


def test_an_empty_folder_gives_an_empty_portfolio(tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    code, _, err = _run("evaluate", str(tmp_path / "in"), "--rules", "cn-mof-2020", "-o", f"{tmp_path}/out/")
    assert code == 0 and err.startswith("perfeval: 0 inputs: 0 evaluated, 0 failed, 0 skipped (up to date);")
    dom = parse((tmp_path / "out" / "index.html").read_text(encoding="utf-8"))
    assert dom.by_id("computed-mean").text == "—"
    assert _run("evaluate", str(tmp_path / "in"), "--rules", "cn-mof-2020") == (0, "[]\n", "")


def test_progress_bar_on_a_terminal_only(tmp_path: Path) -> None:
    import os
    import pty
    import subprocess
    import sys

    inputs = build(tmp_path / "in")
    primary, secondary = pty.openpty()
    cmd = [
        sys.executable,
        "-m",
        "perfeval_rules",
        "evaluate",
        str(inputs),
        "--rules",
        "cn-mof-2020",
        "-o",
        f"{tmp_path}/out/",
    ]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]), "COLUMNS": "100"}
    proc = subprocess.Popen(cmd, stderr=secondary, stdout=subprocess.DEVNULL, env=env)
    os.close(secondary)
    seen = b""
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the terminal closes when the process ends
            break
        if not chunk:
            break
        seen += chunk
    assert proc.wait(timeout=60) == 1
    text = seen.decode("utf-8")
    assert "━" in text and "5/5" in text  # rich's bar and its count
    assert "perfeval: 5 inputs: 4 evaluated, 1 failed, 0 skipped (up to date);" in text


def test_a_changed_user_template_makes_reports_stale(tmp_path: Path) -> None:
    from perfeval_rules import batch

    template, out = tmp_path / "mine.md.j2", tmp_path / "out"
    template.write_text("{{ form.project }}: {{ total }}\n", encoding="utf-8")
    quiet: list[str] = []
    first = batch.to_folder([str(SEED)], "cn-mof-2020", out, "md", template=str(template), echo=quiet.append)
    assert (out / "xinhong-community-party-building.md").read_text(encoding="utf-8") == "社区党建专项: 94.09\n"
    assert (first.stats.evaluated, first.index.name) == (1, "index.md")
    again = batch.to_folder([str(SEED)], "cn-mof-2020", out, "md", template=str(template), resume=True)
    assert (again.stats.evaluated, again.stats.skipped) == (0, 1)
    template.write_text("{{ total }}\n", encoding="utf-8")
    changed = batch.to_folder([str(SEED)], "cn-mof-2020", out, "md", template=str(template), resume=True)
    assert (changed.stats.evaluated, changed.stats.skipped) == (1, 0)
    assert (out / "xinhong-community-party-building.md").read_text(encoding="utf-8") == "94.09\n"
    assert quiet == []


def test_a_torn_manifest_line_only_costs_that_form_again(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    files = [str(inputs / "a-original.tsv"), str(inputs / "c-half-spent.tsv")]
    assert _run("evaluate", *files, "--rules", "cn-mof-2020", "-o", f"{out}/")[0] == 0
    manifest = out / MANIFEST
    lines = manifest.read_text(encoding="utf-8").splitlines(keepends=True)
    manifest.write_text(lines[0] + lines[1][: len(lines[1]) // 2], encoding="utf-8")  # a crash mid-write
    code, _, err = _run("evaluate", *files, "--rules", "cn-mof-2020", "-o", f"{out}/", "--resume")
    assert code == 0
    assert err.startswith("perfeval: 2 inputs: 1 evaluated, 0 failed, 1 skipped (up to date);")
    assert manifest.read_text(encoding="utf-8").splitlines(keepends=True) == lines
