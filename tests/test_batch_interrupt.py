"""No lost work: Ctrl-C in the middle of a batch leaves every finished report whole, and --resume finishes it."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from htmldom import parse
from portfolio_inputs import ROOT, SEED

from perfeval_rules.batch import MANIFEST

FORMS = 150  # enough that the batch is still running when the first report appears (about 30 ms a form)
STREAM_FORMS = 3000  # a JSON stream of these takes far longer than the 1.5 s before the interrupt (a few ms a form)


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "perfeval_rules", "evaluate", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_sigint_leaves_whole_reports_and_resume_finishes(tmp_path: Path, jobs: str) -> None:
    inputs, out = tmp_path / "in", tmp_path / "out"
    inputs.mkdir()
    for n in range(FORMS):
        shutil.copy(SEED, inputs / f"form-{n:03}.tsv")
    proc = _start(str(inputs), "--rules", "cn-mof-2020", "-o", f"{out}/", "--jobs", jobs)
    deadline = time.monotonic() + 60
    while not (out.is_dir() and any(p.suffix == ".html" for p in out.iterdir())):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no report appeared within 60 s"
        time.sleep(0.01)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err

    reports = sorted(p for p in out.iterdir() if p.suffix == ".html")
    done = len(reports)
    assert 0 < done < FORMS
    counted = f"({done} evaluated, 0 skipped, 0 failed)"
    assert err.startswith(f"perfeval: interrupted: {done} of {FORMS} inputs done {counted};"), err
    assert err.endswith(
        " every report written is complete. Run the same command with --resume to evaluate the rest.\n"
    ), err
    assert [p.name for p in reports] == [f"form-{n:03}.html" for n in range(done)]  # in input order, no gaps
    for report in reports:
        assert report.read_text(encoding="utf-8").endswith("</html>\n"), report
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [MANIFEST]  # no temporary files
    assert not (out / "index.html").exists()  # no index of a half-finished batch
    assert len((out / MANIFEST).read_text(encoding="utf-8").splitlines()) == done
    finished = {p.name: p.stat().st_mtime_ns for p in reports}

    proc = _start(str(inputs), "--rules", "cn-mof-2020", "-o", f"{out}/", "--resume", "--jobs", jobs)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert err == (
        f"perfeval: {FORMS} inputs: {FORMS - done} evaluated, 0 failed, {done} skipped (up to date);"
        f" index: {out}/index.html\n"
    )
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir() if p.name in finished} == finished
    assert len([p for p in out.iterdir() if p.suffix == ".html"]) == FORMS + 1
    rows = parse((out / "index.html").read_text(encoding="utf-8")).by_id("forms").find("tbody").find_all("tr")
    assert [r.find("a").attrs["href"] for r in rows] == [f"form-{n:03}.html" for n in range(FORMS)]


def test_sigint_during_a_json_stream_leaves_no_file(tmp_path: Path) -> None:
    inputs, target = tmp_path / "in", tmp_path / "all.json"
    inputs.mkdir()
    for n in range(STREAM_FORMS):
        shutil.copy(SEED, inputs / f"form-{n:04}.tsv")
    proc = _start(str(inputs), "--rules", "cn-mof-2020", "-o", str(target))
    time.sleep(1.5)  # the array is written only when the last form is done, many seconds later
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.startswith("perfeval: interrupted")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]  # neither the array nor a temporary file


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_reader_that_stops_early_ends_the_batch_quietly(tmp_path: Path, jobs: str) -> None:
    """`perfeval evaluate … | head`: the closed pipe stops the batch with SIGPIPE's status and no message."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for n in range(20):
        shutil.copy(SEED, inputs / f"form-{n:03}.tsv")
    proc = _start(str(inputs), "--rules", "cn-mof-2020", "--format", "json", "--jobs", jobs)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.read(100).startswith("[\n  {")
    proc.stdout.close()
    err = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=60) == 141
    assert err == ""
