"""The batch's fast paths give what the general path gives: array elements made in the worker, and the like."""

from __future__ import annotations

import gc
import io
import pickle
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from portfolio_inputs import build

from perfeval_rules import _json
from perfeval_rules.batch import EvaluateWork, Interrupted, JsonArraySink, SerialExecutor, run, tasks_for
from perfeval_rules.batch._runner import BATCH_GC_THRESHOLD

VALUES: list[Any] = [
    {},
    [],
    "text with a\nnewline",
    None,
    {"a": [1, {"b": Decimal("1.50"), "c": []}], "d": {"e": {}}, "f": "x\ny"},
    {"beyond 64 bits": 2**70},  # orjson refuses it: the plain writer takes over
]


@pytest.mark.parametrize("value", VALUES)
def test_an_element_is_the_document_indented_one_level_deeper(value: Any) -> None:
    assert _json.element(value) == b"\n  " + _json.dumpb(value).replace(b"\n", b"\n  ")


@pytest.mark.parametrize("value", VALUES)
def test_elements_make_the_array_the_plain_writer_prints(value: Any) -> None:
    array = b"[" + _json.element(value) + b"," + _json.element(value) + b"\n]"
    assert array.decode("utf-8") == _json.dumps([value, value])


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("batch") / "in")


def _stream(paths: list[str], elements: bool) -> tuple[bytes, list[str], int | None]:
    out, said = io.BytesIO(), []
    sink = JsonArraySink(out, said.append, elements=elements)
    work = EvaluateWork("cn-mof-2020", "json", trace=False, elements=elements)
    for result in SerialExecutor().map(work, tasks_for(paths)):
        sink.add(result)
    sink.close()
    return out.getvalue(), said, sink.worst


def test_a_stream_of_elements_is_the_stream_of_whole_reports(inputs: Path) -> None:
    paths = [str(p) for p in sorted(inputs.iterdir())]
    general = _stream(paths, elements=False)
    assert _stream(paths, elements=True) == general
    text, said, worst = general
    assert len(said) == 1 and said[0].startswith(f"perfeval: {inputs / 'd-broken.csv'}:2:6 (B2)")
    assert worst == 0
    assert text.startswith(b"[\n  {\n    ") and text.endswith(b"\n  }\n]\n")


def test_the_elements_work_counts_findings_like_the_summary(inputs: Path) -> None:
    task = tasks_for([str(inputs / "b-low-actuals.tsv")])[0]
    whole = EvaluateWork("cn-mof-2020", "json", trace=False)(task).forms[0]
    lean = EvaluateWork("cn-mof-2020", "json", trace=False, elements=True)(task).forms[0]
    assert lean.summary == {"counts": whole.summary["counts"]}
    assert lean.report == b"\n  " + whole.report.replace(b"\n", b"\n  ")


def test_work_travels_to_a_worker_as_it_is() -> None:
    work = EvaluateWork("cn-mof-2020", "json", trace=False, elements=True)
    assert pickle.loads(pickle.dumps(work)) == work


def test_results_come_back_from_pickle_the_same() -> None:
    from perfeval_rules.batch import FormResult, Task, TaskResult

    task = Task(3, "in/x.tsv", "x")
    results = [
        TaskResult(task, (FormResult({"counts": {"error": 1}}, b"\n  {}"), FormResult({}, b""))),
        TaskResult(task, error="in/x.tsv: broken"),
        TaskResult(task),
    ]
    for result in results:
        again = pickle.loads(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
        assert again == result and type(again.task) is Task
        assert [type(f) for f in again.forms] == [FormResult] * len(result.forms)


def _reports(results: list[Any]) -> list[tuple[int, str | None, list[bytes]]]:
    return [(r.task.index, r.error, [f.report for f in r.forms]) for r in results]


@pytest.mark.parametrize("elements", [False, True])
def test_reports_through_the_spool_are_the_serial_ones(inputs: Path, elements: bool) -> None:
    from perfeval_rules.batch import ProcessExecutor, _runner

    paths = [str(p) for p in sorted(inputs.iterdir())] * 8  # 40 tasks, a broken one among every five
    work = EvaluateWork("cn-mof-2020", "json", trace=elements, elements=elements)
    serial = list(SerialExecutor().map(work, tasks_for(paths)))
    parallel = list(ProcessExecutor(2, window=2).map(work, tasks_for(paths)))
    assert _reports(parallel) == _reports(serial)
    assert parallel == serial
    assert sum(len(f.report) for r in serial[:8] for f in r.forms) >= _runner.SPOOL_BYTES  # chunks did spool
    assert [r.error is None for r in parallel] == [not p.endswith(".csv") for p in paths]


def test_small_reports_stay_in_the_results(inputs: Path, tmp_path: Path) -> None:
    from perfeval_rules.batch import _runner

    template = tmp_path / "tiny.md.j2"
    template.write_text("{{ total }}\n", encoding="utf-8")
    work = EvaluateWork("cn-mof-2020", "md", template=str(template))
    spool = tmp_path / "spool"
    spool.mkdir()
    chunk = tasks_for([str(inputs / "a-original.tsv"), str(inputs / "d-broken.csv")])
    results, path, sizes = _runner._each(work, chunk, str(spool))
    assert (path, sizes) == (None, [])
    assert [f.report for f in results[0].forms] == [b"94.09\n"] and results[1].error is not None
    assert list(spool.iterdir()) == []
    big = EvaluateWork("cn-mof-2020", "json")
    results, path, sizes = _runner._each(big, chunk, str(spool))
    assert path == str(spool / "0") and [f.report for f in results[0].forms] == [b""]
    whole = _runner._unspooled(results, path, sizes)
    assert whole == [big(t) for t in chunk]
    assert list(spool.iterdir()) == []  # read and removed


@pytest.mark.parametrize(("count", "workers"), [(0, 2), (1, 2), (15, 2), (1000, 2), (10_000, 2), (333, 3)])
def test_chunks_shrink_towards_the_end_and_cover_every_task_once(count: int, workers: int) -> None:
    from perfeval_rules.batch import ProcessExecutor, Task
    from perfeval_rules.batch._runner import MAX_CHUNK

    tasks = [Task(n, f"{n}.tsv", str(n)) for n in range(count)]
    chunks = list(ProcessExecutor(workers)._chunks(tasks))
    assert [t for c in chunks for t in c] == tasks
    sizes = [len(c) for c in chunks]
    assert all(1 <= s <= MAX_CHUNK for s in sizes)
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[-8 * workers :] == [1] * min(len(sizes), 8 * workers)  # the last ones single tasks
    assert [len(c) for c in ProcessExecutor(workers, chunk=3)._chunks(iter(tasks))] == [3] * (count // 3) + (
        [count % 3] if count % 3 else []
    )


def test_a_staged_report_is_the_file_the_sink_would_write(inputs: Path, tmp_path: Path) -> None:
    import hashlib

    from perfeval_rules.batch import report_file

    task = tasks_for([str(inputs / "c-half-spent.tsv")])[0]
    for fmt in ("json", "md"):
        plain = EvaluateWork("cn-mof-2020", fmt)(task).forms[0]
        staged = EvaluateWork("cn-mof-2020", fmt, stage=str(tmp_path))(task).forms[0]
        data = (tmp_path / plain.summary["file"]).read_bytes()
        assert staged == type(staged)(plain.summary, b"", str(tmp_path / plain.summary["file"]), staged.sha256)
        assert data == report_file(plain.report, fmt)
        assert staged.sha256 == hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("fmt", ["json", "md"])
def test_workers_writing_reports_give_the_serial_folder(inputs: Path, tmp_path: Path, fmt: str) -> None:
    from perfeval_rules import batch

    paths = [str(p) for p in sorted(inputs.iterdir())]
    runs = {}
    for name, executor in (("serial", batch.SerialExecutor()), ("workers", batch.ProcessExecutor(2, chunk=1))):
        said: list[str] = []
        done = batch.to_folder(paths, "cn-mof-2020", tmp_path / name, fmt, executor=executor, echo=said.append)
        assert (done.stats.evaluated, done.stats.failed, done.worst) == (4, 1, 0)
        assert said == [f"perfeval: {inputs}/d-broken.csv:2:6 (B2): 分值 is not a number: '两分' [E005]\n"
                        "    培训人数,两分\n             ^"]  # fmt: skip
        runs[name] = {p.name: p.read_bytes() for p in sorted((tmp_path / name).iterdir())}
    assert runs["workers"] == runs["serial"]  # and no staging folder is left
    again = batch.to_folder(paths, "cn-mof-2020", tmp_path / "workers", fmt, executor=batch.ProcessExecutor(2),
                            resume=True, echo=lambda _: None)  # fmt: skip
    assert (again.stats.evaluated, again.stats.skipped, again.stats.failed) == (0, 4, 1)
    assert {p.name: p.read_bytes() for p in sorted((tmp_path / "workers").iterdir())} == runs["serial"]


@pytest.mark.parametrize("value", VALUES)
def test_a_packed_line_reads_back_as_the_same_data(value: Any) -> None:
    from perfeval_rules.batch._summary import loads

    line = _json.packed(value)
    assert b"\n" not in line
    assert loads(line) == loads(_json.dumps(value, indent=None)) == value


def test_a_folder_lists_its_form_files_as_sorted_paths_would(tmp_path: Path) -> None:
    from perfeval_rules.batch import input_files

    folder = tmp_path / "in"
    folder.mkdir()
    names = ["b.tsv", "a.TSV", "B.csv", "..tsv", ".tsv", "c.", "notes.txt.bak", "form.yaml", "other.yaml", "x.xlsx"]
    for name in names:
        (folder / name).write_text("", encoding="utf-8")
    (folder / "form.yaml").write_text("indicators: []\n", encoding="utf-8")
    (folder / "other.yaml").write_text("title: not a form\n", encoding="utf-8")
    (folder / "dir.tsv").mkdir()
    (folder / "link.csv").symlink_to(folder / "b.tsv")
    (folder / "dangling.csv").symlink_to(folder / "gone.csv")
    from perfeval_rules.forms import READERS, is_form_file

    expected = [str(p) for p in sorted(folder.iterdir()) if p.is_file() and p.suffix.lower() in READERS]
    expected = [p for p in expected if is_form_file(p)]
    assert input_files([str(folder), str(tmp_path / "given.tsv")]) == [*expected, str(tmp_path / "given.tsv")]
    assert [Path(p).name for p in expected] == ["..tsv", "B.csv", "a.TSV", "b.tsv", "form.yaml", "link.csv", "x.xlsx"]


def test_a_synced_stream_is_synced_on_the_way_and_unchanged(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perfeval_rules import batch
    from perfeval_rules.batch import _output

    paths = [str(p) for p in sorted(inputs.iterdir())]
    plain = io.BytesIO()
    batch.to_stream(paths, "cn-mof-2020", plain, echo=lambda _: None)
    synced: list[int] = []
    monkeypatch.setattr(_output, "SYNC_BYTES", 1000)
    monkeypatch.setattr(_output.os, "fdatasync", synced.append)
    with (tmp_path / "all.json").open("wb") as out:
        batch.to_stream(paths, "cn-mof-2020", out, sync=True, echo=lambda _: None)
        assert synced == [out.fileno()] * 4  # after each of the four inputs evaluated
    assert (tmp_path / "all.json").read_bytes() == plain.getvalue()


def test_workers_from_a_clean_process_spool_and_stage_alike(inputs: Path, tmp_path: Path) -> None:
    import threading

    from perfeval_rules import batch

    paths = [str(p) for p in sorted(inputs.iterdir())] * 3
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)  # another thread (as a progress bar has): no fork, forkserver
    other.start()
    try:
        streamed = io.BytesIO()
        batch.to_stream(paths, "cn-mof-2020", streamed, executor=batch.ProcessExecutor(2), echo=lambda _: None)
        batch.to_folder(paths[:5], "cn-mof-2020", tmp_path / "two", "md", executor=batch.ProcessExecutor(2),
                        echo=lambda _: None)  # fmt: skip
    finally:
        stop.set()
        other.join()
    serial = io.BytesIO()
    batch.to_stream(paths, "cn-mof-2020", serial, echo=lambda _: None)
    assert streamed.getvalue() == serial.getvalue()
    batch.to_folder(paths[:5], "cn-mof-2020", tmp_path / "one", "md", echo=lambda _: None)
    one, two = ({p.name: p.read_bytes() for p in sorted((tmp_path / d).iterdir())} for d in ("one", "two"))
    assert two == one


class _Watching:
    """A sink that records the collector's threshold and whether it was frozen, for each result it takes."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.seen: list[tuple[int, bool]] = []
        self.stop_after = stop_after

    def current(self, task: Any) -> bool:
        return False

    def reuse(self, task: Any) -> None:
        raise AssertionError("nothing is current")

    def add(self, result: Any) -> None:
        self.seen.append((gc.get_threshold()[0], gc.get_freeze_count() > 0))
        if self.stop_after is not None and len(self.seen) >= self.stop_after:
            raise KeyboardInterrupt


@pytest.mark.parametrize("stop_after", [None, 1])
def test_a_batch_tunes_the_collector_and_gives_it_back(inputs: Path, stop_after: int | None) -> None:
    paths = [str(p) for p in sorted(inputs.iterdir())][:2]
    before = gc.get_threshold()
    sink = _Watching(stop_after)
    work = EvaluateWork("cn-mof-2020", "json", trace=False, elements=True)
    if stop_after is None:
        run(tasks_for(paths), work, SerialExecutor(), sink)
    else:
        with pytest.raises(Interrupted):
            run(tasks_for(paths), work, SerialExecutor(), sink)
    assert sink.seen == [(BATCH_GC_THRESHOLD, True)] * (stop_after or 2)
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


PATH_PARTS = st.sampled_from(["a", "x.tsv", "x.TSV", ".", "..", "", ".tsv", "x.", "表.csv", "a b.xlsx", "x.tar.gz"])


@settings(max_examples=500, deadline=None)
@given(st.lists(PATH_PARTS, min_size=1, max_size=4).map("/".join), st.booleans())
def test_names_come_from_paths_as_pathlib_takes_them(path: str, rooted: bool) -> None:
    from perfeval_rules.batch import _naming

    path = "/" + path if rooted else path
    assert _naming._name(path) == Path(path).name
    assert _naming._stem(_naming._name(path)) == Path(path).stem


@pytest.mark.parametrize("folder", [".", "in", "in/", "./in//", "in/."])
def test_a_folders_files_are_named_as_pathlib_joins_them(
    folder: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from perfeval_rules.batch import input_files

    monkeypatch.chdir(tmp_path)
    Path("in").mkdir()
    for name in ("a.tsv", "b.csv"):
        (tmp_path / "in" / name).write_text("", encoding="utf-8")
        (tmp_path / name).write_text("", encoding="utf-8")
    assert input_files([folder]) == [str(Path(folder) / "a.tsv"), str(Path(folder) / "b.csv")]
