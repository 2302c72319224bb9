"""The batch runner: evaluate these inputs with this rule set using this executor, streaming each result to a sink.

The seam for other executors: an `Executor` is anything with an ordered, lazy `map(work, tasks)`;
`work` is a picklable callable (`EvaluateWork`) that turns one `Task` (an input file) into a
`TaskResult` (its forms' summaries and rendered reports, or the located reason it failed). The
runner feeds results to a `Sink` in input order, so every executor gives byte-identical output.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import itertools
import multiprocessing
import os
import signal
import sys
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .. import __version__, _json
from .._io import write_atomically
from ..errors import PerfevalError
from ._naming import form_names
from ._summary import summarize

ENGINE = {"name": "perfeval-rules", "version": __version__}
"""The engine block of the portfolio and comparison view models."""


@dataclass(frozen=True, slots=True)
class Task:
    """One input file of a batch; `index` is its position in input order, `name` its unique base output name."""

    index: int
    path: str
    name: str

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt through the constructor: a slotted dataclass's own pickling runs Python code per field,
        # several times slower, and the main process unpickles every result of a --jobs batch.
        return Task, (self.index, self.path, self.name)


@dataclass(frozen=True, slots=True)
class FormResult:
    """One form of an input, evaluated: its small summary (see `summarize`) and its rendered report.

    The report is UTF-8 bytes: it crosses from a worker process as it is, and is written as it is.
    Or a worker already wrote the report file, whole and synced, to `staged` (see `EvaluateWork.stage`):
    then the report is empty and `sha256` is the file's checksum.
    """

    summary: dict[str, Any]
    report: bytes
    staged: str | None = None
    sha256: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return FormResult, (self.summary, self.report, self.staged, self.sha256)  # see Task.__reduce__

    def with_report(self, report: bytes) -> FormResult:
        """`dataclasses.replace(self, report=report)`, without its work per field (once per form of a --jobs batch)."""
        return FormResult(self.summary, report, self.staged, self.sha256)


@dataclass(frozen=True, slots=True)
class TaskResult:
    """What became of one input: its forms, or the located error message that stopped it."""

    task: Task
    forms: tuple[FormResult, ...] = ()
    error: str | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        return TaskResult, (self.task, self.forms, self.error)  # see Task.__reduce__


Work = Callable[[Task], TaskResult]


def report_file(report: bytes, fmt: str) -> bytes:
    """A rendered report as written to its file (JSON ends with a newline like every text file)."""
    return report + b"\n" if fmt == "json" else report


class Executor(Protocol):
    """Runs `work` over tasks; yields the results lazily and in the order of `tasks`."""

    def map(self, work: Work, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        """One result per task, in task order; stops its workers when the iterator is closed."""
        ...


class Sink(Protocol):
    """Where results go as they are produced (report files, a JSON stream, a portfolio)."""

    def current(self, task: Task) -> bool:
        """True when the task's outputs from an earlier run are complete and current (it is skipped)."""
        ...

    def reuse(self, task: Task) -> None:
        """Take a current task's earlier outputs as they are (called in input order instead of `add`)."""
        ...

    def add(self, result: TaskResult) -> None:
        """Take one task's result (called in input order)."""
        ...


Progress = Callable[[int, int], None]
"""Called with (tasks done, tasks in the batch) after each task."""


@dataclass
class Stats:
    """How a batch went: tasks done so far, tasks evaluated, reused (skipped as up to date) and failed."""

    total: int
    done: int = 0
    evaluated: int = 0
    skipped: int = 0
    failed: int = 0
    forms: int = 0


class Interrupted(Exception):
    """The batch stopped on Ctrl-C; `stats` says how far it got (every finished output is whole)."""

    def __init__(self, stats: Stats) -> None:
        super().__init__(f"interrupted after {stats.done} of {stats.total} inputs")
        self.stats = stats


class _Hold:
    """The SIGINT handler of a batch: Ctrl-C stops the wait for a result at once, but is held while a sink
    takes one whole (reports, manifest line) and the stats count it, and raised when that is done.

    Installed once for the batch: a handler swapped in and out around every result costs more than
    the main process of a --jobs batch spends on a small form.
    """

    def __init__(self) -> None:
        self.holding = False
        self.caught = False

    def __call__(self, signum: int, frame: Any) -> None:
        if not self.holding:
            raise KeyboardInterrupt
        self.caught = True


def run(tasks: list[Task], work: Work, executor: Executor, sink: Sink, progress: Progress | None = None) -> Stats:
    """Evaluate `tasks` with `work` through `executor`, streaming each result to `sink` in input order."""
    with _collector_for_batch():
        return _run(tasks, work, executor, sink, progress)


BATCH_GC_THRESHOLD = 10_000
"""Allocations between the cyclic collector's youngest-generation passes during a batch (Python's default: 700)."""


@contextlib.contextmanager
def _collector_for_batch() -> Iterator[None]:
    """The cyclic garbage collector tuned for a batch, restored after it.

    A form makes thousands of short-lived containers (rows, cells, result dicts) and hardly any cycles:
    at the default threshold the collector runs every few rows and, now and then, walks every object
    loaded so far. What is loaded before the batch (modules, the rule set) lives as long as it, so it is
    frozen out of the collector's sight, and the youngest generation is collected less often.
    """
    threshold = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(BATCH_GC_THRESHOLD, *threshold[1:])
    try:
        yield
    finally:
        gc.set_threshold(*threshold)
        gc.unfreeze()  # this process goes on (tests run many batches): let the collector see it again


def _run(tasks: list[Task], work: Work, executor: Executor, sink: Sink, progress: Progress | None) -> Stats:
    stats = Stats(total=len(tasks))
    skip = [sink.current(t) for t in tasks]
    hold = _Hold()
    # only the main thread receives signals (and may set their handlers)
    previous = signal.signal(signal.SIGINT, hold) if threading.current_thread() is threading.main_thread() else None
    results = executor.map(work, [t for t, s in zip(tasks, skip, strict=True) if not s])
    try:
        for task, skipped in zip(tasks, skip, strict=True):
            result = None if skipped else next(results)  # Ctrl-C while waiting for a result stops here
            hold.holding = True
            if result is None:
                sink.reuse(task)
                stats.skipped += 1
            else:
                sink.add(result)
                stats.forms += len(result.forms)
                if result.error is None:
                    stats.evaluated += 1
                else:
                    stats.failed += 1
            stats.done += 1
            hold.holding = False
            if hold.caught:
                raise KeyboardInterrupt
            if progress is not None:
                progress(stats.done, stats.total)
    except KeyboardInterrupt:
        raise Interrupted(stats) from None
    finally:
        hold.holding = False
        close = getattr(results, "close", None)
        if close is not None:
            close()
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return stats


# --- executors --------------------------------------------------------------------------------------


class SerialExecutor:
    """Runs every task in this process, one after another."""

    def map(self, work: Work, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        """The results of `work` over `tasks`, lazily."""
        for task in tasks:
            yield work(task)


_PRELOAD = [
    "perfeval_rules.batch._runner",
    "perfeval_rules.engine",
    "perfeval_rules.forms",
    "perfeval_rules.report._render",
]


def _start_worker() -> None:
    # Ctrl-C reaches the whole process group; only the parent decides what to do with it.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # a forked worker inherits the batch's collector setting; one from the forkserver starts with the default
    gc.set_threshold(BATCH_GC_THRESHOLD, *gc.get_threshold()[1:])


@dataclass
class ProcessExecutor:
    """Runs tasks in `workers` processes, at most `window` chunks in flight, so memory stays flat on long batches.

    The main process shares the cores with the workers, so what it spends on each result slows the
    whole batch: tasks travel in chunks (handing one over and taking its results back costs about
    what a small form takes to evaluate), and the reports of a chunk come back through a spool file
    rather than the result pipe (a few hundred kB per chunk would cross the pipe 64 kB at a time,
    the worker stalled until the main process reads).
    """

    workers: int
    window: int = 0  # chunks in flight; 0: four per worker
    chunk: int = 0  # tasks per chunk; 0: large chunks while much is left, smaller ones towards the end

    def map(self, work: Work, tasks: Iterable[Task]) -> Iterator[TaskResult]:
        """The results of `work` over `tasks`, in task order, computed ahead by the workers."""
        # fork while this process has one thread: workers start at once with the rule set, the engine's
        # memos and every module already loaded here. With other threads (a progress bar), forking could
        # copy a lock some thread holds: forkserver, from a clean process; where there is none, spawn.
        from concurrent.futures import ProcessPoolExecutor  # here: a run without --jobs never needs it

        context: multiprocessing.context.BaseContext
        forking = sys.platform == "linux" and threading.active_count() == 1
        if forking:
            context = multiprocessing.get_context("fork")
            for stream in (sys.stdout, sys.stderr):  # a child flushes what it inherits: it would print it twice
                if stream is not None:
                    stream.flush()
            # what is loaded by now lives as long as the batch: out of the collector's sight, a worker's
            # collections neither walk it nor copy its pages (which the fork shares) to mark it
            gc.freeze()
        elif "forkserver" in multiprocessing.get_all_start_methods():
            forkserver = multiprocessing.get_context("forkserver")
            forkserver.set_forkserver_preload(_PRELOAD)
            context = forkserver
        else:  # pragma: no cover - not on Linux
            context = multiprocessing.get_context("spawn")
        spool = tempfile.TemporaryDirectory(prefix="perfeval-")
        try:
            pool = ProcessPoolExecutor(self.workers, mp_context=context, initializer=_start_worker)
            try:
                window = self.window or 4 * self.workers
                chunks = self._chunks(tasks)
                for reply in in_order(lambda chunk: pool.submit(_each, work, chunk, spool.name), chunks, window):
                    yield from _unspooled(*reply)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        finally:
            spool.cleanup()
            if forking:
                gc.unfreeze()  # this process goes on (tests run many batches): let the collector see it again

    def _chunks(self, tasks: Iterable[Task]) -> Iterator[list[Task]]:
        """`tasks` in chunks: of `chunk` tasks, or, for a list, an eighth of each worker's share of what is left.

        Few chunks cost the main process little; small ones at the end keep every worker busy to the end.
        """
        if self.chunk or not isinstance(tasks, list):
            source = iter(tasks)
            yield from iter(lambda: list(itertools.islice(source, self.chunk or 8)), [])  # until one comes back empty
            return
        start = 0
        while start < len(tasks):
            size = min(MAX_CHUNK, max(1, (len(tasks) - start) // (8 * self.workers)))
            yield tasks[start : start + size]
            start += size


MAX_CHUNK = 64
"""Tasks in a chunk at most: a chunk's reports are in memory (a worker's, then the main process's) at once."""

SPOOL_BYTES = 1 << 16
"""A chunk whose reports reach this size (a pipe's buffer) sends them through a spool file."""


def _each(work: Work, chunk: list[Task], spool: str) -> tuple[list[TaskResult], str | None, list[int]]:
    """`work` over a chunk of tasks, in a worker process: the results, with large reports left in a spool file.

    Returns the results, and the spool file with the length of each report taken out of them in order
    (the results then carry empty reports), or None and no lengths.
    """
    results = [work(task) for task in chunk]
    reports = [f.report for r in results for f in r.forms]
    if sum(map(len, reports)) < SPOOL_BYTES:
        return results, None, []
    path = os.path.join(spool, str(chunk[0].index))  # a task's index is unique in the batch
    with open(path, "xb") as out:
        out.writelines(reports)
    light = [TaskResult(r.task, tuple(f.with_report(b"") for f in r.forms), r.error) for r in results]
    return light, path, [len(x) for x in reports]


def _unspooled(results: list[TaskResult], path: str | None, sizes: list[int]) -> list[TaskResult]:
    """The results of a chunk with the reports from its spool file back in place (see `_each`); removes the file."""
    if path is None:
        return results
    whole = []
    reports = iter(sizes)
    with open(path, "rb") as spooled:  # each report read into its own bytes: no copy of the whole chunk
        for result in results:
            forms = tuple(form.with_report(spooled.read(next(reports))) for form in result.forms)
            whole.append(TaskResult(result.task, forms, result.error))
    os.unlink(path)
    return whole


def in_order(submit: Callable[[Any], Any], tasks: Iterable[Any], window: int) -> Iterator[Any]:
    """The futures' results in task order, keeping at most `window` submitted and not yet taken.

    `submit` turns a task into a future (concurrent.futures or Dask); whatever is still pending when
    the caller stops reading is cancelled, so closing the iterator stops the work.
    """
    pending: deque[Any] = deque()
    source = iter(tasks)
    try:
        for task in source:
            pending.append(submit(task))
            if len(pending) >= window:
                break
        while pending:
            result = pending.popleft().result()
            following = next(source, None)
            if following is not None:
                pending.append(submit(following))
            yield result
    finally:
        for future in pending:
            future.cancel()


def executor_for(jobs: int) -> Executor:
    """The executor for `--jobs N`: serial for 1, processes otherwise."""
    return SerialExecutor() if jobs <= 1 else ProcessExecutor(jobs)


# --- the work: one input file evaluated and rendered ------------------------------------------------


def sheet_of(form: Any) -> str | None:
    """The workbook sheet a form was imported from, or None."""
    sheets = [i.provenance.sheet for i in form.indicators if i.provenance and i.provenance.sheet]
    return sheets[0] if sheets else None


def import_options(ruleset: Any) -> dict[str, Any]:
    """Import options from the rule set's vocabulary: placeholders and 二级 keywords."""
    words = ruleset.vocabulary_data
    return {"placeholders": words.get("placeholders"), "level2_keywords": words.get("level2_keywords")}


@dataclass(frozen=True)
class EvaluateWork:
    """Evaluate one input file under a rule set and render each form's report in `fmt` (picklable)."""

    rules: str  # a rule-set file or bundled id; each process loads it once (load_ruleset caches)
    fmt: str  # html, md or json
    template: str | None = None  # a user template for the per-form reports (html, md), else the bundled one
    trace: bool = True  # False: no step-by-step trace of each score (smaller, faster output)
    # json only: each report is its element of the batch's array (`_json.element`) and each summary holds
    # only the finding counts: all a JSON stream needs (`JsonArraySink(elements=True)`), made in the worker.
    elements: bool = False
    # A folder on the output's file system: each report file is written there, whole and synced, for the
    # sink to move into place with a rename (`FormResult.staged`). Workers then write the reports side by
    # side, and the main process of a --jobs batch no longer waits for every file to reach the disk.
    stage: str | None = None

    def __call__(self, task: Task) -> TaskResult:
        """The task's forms evaluated and rendered, or the located reason it failed."""
        from ..engine import evaluate
        from ..forms import load_forms
        from ..report import SUFFIXES, render
        from ..ruleset import load_ruleset

        try:
            ruleset = load_ruleset(self.rules)  # the loader's cache answers the same name in microseconds
            forms = load_forms(task.path, **import_options(ruleset))
            sheets = [sheet_of(f) for f in forms]
            out = []
            for form, sheet, name in zip(forms, sheets, form_names(task.name, sheets), strict=True):
                evaluation = evaluate(ruleset, form, trace=self.trace)
                if self.elements:  # the same bytes as _json.element(evaluation.to_dict()), made faster
                    out.append(FormResult({"counts": evaluation.summary}, evaluation.json_element()))
                    continue
                result = evaluation.to_dict()
                template = None if self.template is None else Path(self.template)
                if self.fmt == "json":
                    report = _json.dumpb(result)
                else:
                    report = render(result, self.fmt, template=template).encode("utf-8")
                file = name + SUFFIXES[self.fmt]
                out.append(FormResult(summarize(result, name, file, sheet), report))
        except PerfevalError as exc:
            return TaskResult(task, error=str(exc))
        except RecursionError:
            return TaskResult(task, error=f"{task.path}: too deeply nested to evaluate")
        except Exception as exc:  # a bug in one form must not cost the rest of the batch
            return TaskResult(
                task, error=f"{task.path}: internal error: {type(exc).__name__}: {exc} (a bug in perfeval)"
            )
        if self.stage is not None:
            out = [self._staged(form) for form in out]  # outside the try: a full disk stops the batch, as in the sink
        return TaskResult(task, tuple(out))

    def _staged(self, form: FormResult) -> FormResult:
        """The form with its report file written to the stage (see `stage`)."""
        assert self.stage is not None
        data = report_file(form.report, self.fmt)
        staged = os.path.join(self.stage, form.summary["file"])
        write_atomically(Path(staged), data)
        return FormResult(form.summary, b"", staged, hashlib.sha256(data).hexdigest())
