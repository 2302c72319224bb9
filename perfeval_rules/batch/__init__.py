"""Batches: many forms evaluated under one rule set, each report streamed to disk, and a portfolio index.

The runner (`run`) is the seam: it evaluates `Task`s (input files) with a picklable `work` callable
through an `Executor` (ordered, lazy `map`) and streams every `TaskResult` to a `Sink` in input
order. `SerialExecutor` and `ProcessExecutor` are provided; any other (a cluster, a thread pool)
only has to implement `map`. `to_folder` and `to_stream` are what `perfeval evaluate` calls.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..errors import PerfevalError
from ._dask import DaskExecutor
from ._naming import form_names, input_names
from ._output import MANIFEST, FolderSink, JsonArraySink
from ._runner import (
    ENGINE,
    EvaluateWork,
    Executor,
    FormResult,
    Interrupted,
    ProcessExecutor,
    Progress,
    SerialExecutor,
    Sink,
    Stats,
    Task,
    TaskResult,
    Work,
    executor_for,
    import_options,
    report_file,
    run,
    sheet_of,
)
from ._summary import Portfolio, summarize

__all__ = [
    "ENGINE",
    "MANIFEST",
    "DaskExecutor",
    "EvaluateWork",
    "Executor",
    "FolderOutcome",
    "FolderSink",
    "FormResult",
    "Interrupted",
    "JsonArraySink",
    "Portfolio",
    "ProcessExecutor",
    "Progress",
    "SerialExecutor",
    "Sink",
    "Stats",
    "Task",
    "TaskResult",
    "Work",
    "executor_for",
    "form_names",
    "import_options",
    "input_files",
    "input_names",
    "report_file",
    "run",
    "sheet_of",
    "summarize",
    "tasks_for",
    "to_folder",
    "to_stream",
]


def input_files(arguments: Sequence[str]) -> list[str]:
    """The files to evaluate: each file as given; a folder's form files (tables, or YAML/JSON forms) sorted."""
    from ..forms import READERS, is_form_file
    from ..forms.loading import TABULAR

    paths: list[str] = []
    for argument in arguments:
        folder = Path(argument)
        if not folder.is_dir():
            paths.append(argument)
            continue
        # names, not paths: a folder of many thousand forms is listed without a Path or a stat per file
        # (sorting a folder's paths sorts their names)
        with os.scandir(folder) as entries:
            names = sorted(e.name for e in entries if _suffix(e.name) in READERS and e.is_file())
        prefix = str(folder / "_")[:-1]  # str(folder / name) is prefix + name: "" for ".", "/" for the root
        for name in names:
            file = prefix + name
            if _suffix(name) in TABULAR:  # a table is a form file (is_form_file), whatever it holds
                paths.append(file)
                continue
            try:
                if is_form_file(file):
                    paths.append(file)
            except PerfevalError:
                paths.append(file)  # unreadable: evaluating it reports the error
    return paths


def _suffix(name: str) -> str:
    """`Path(name).suffix.lower()`: from the last dot, unless the name starts or ends with it."""
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def tasks_for(paths: Sequence[str]) -> list[Task]:
    """One task per input file, each with its unique base output name."""
    return [Task(n, p, name) for n, (p, name) in enumerate(zip(paths, input_names(paths), strict=True))]


@dataclass(frozen=True)
class FolderOutcome:
    """What `to_folder` did: the run's stats and where the index is."""

    stats: Stats
    index: Path
    worst: int | None  # rank of the worst finding (0 error, 1 warning, 2 info), None without findings


def to_folder(
    paths: Sequence[str],
    rules: str,
    folder: Path,
    fmt: str,
    *,
    executor: Executor | None = None,
    resume: bool = False,
    template: str | None = None,
    trace: bool = True,
    progress: Progress | None = None,
    echo: Callable[[str], None] = print,
) -> FolderOutcome:
    """One report per form in `folder`, then the portfolio index; `resume` keeps current earlier reports.

    `template` replaces the bundled per-form template (html, md); the index keeps the bundled one.
    `trace=False` leaves the step-by-step trace of every score out of the reports.

    Raises `Interrupted` on Ctrl-C: every report written so far is whole, the index is not written.
    """
    from ..ruleset import load_ruleset
    from ..ruleset.loader import find_ruleset

    path = str(find_ruleset(rules).resolve())
    ruleset = load_ruleset(path)
    info = {"id": ruleset.id, "title": ruleset.title, "version": ruleset.version, "sha256": ruleset.sha256}
    portfolio = Portfolio(info, ENGINE, fmt, [g.id for g in ruleset.grades])
    sink = FolderSink(folder, fmt, info, portfolio, resume=resume, template=template, trace=trace, echo=echo)
    executor = executor or SerialExecutor()
    # Worker processes write the reports themselves, beside the folder; the sink renames each into place
    # in input order, so an interrupted batch still leaves exactly the reports its manifest lists.
    stage = tempfile.mkdtemp(prefix=".perfeval-stage-", dir=folder) if isinstance(executor, ProcessExecutor) else None
    try:
        work = EvaluateWork(path, fmt, template, trace, stage=stage)
        stats = run(tasks_for(paths), work, executor, sink, progress)
        index = sink.close()
    finally:
        portfolio.close()
        if stage is not None:
            shutil.rmtree(stage, ignore_errors=True)
    return FolderOutcome(stats, index, portfolio.worst())


def to_stream(
    paths: Sequence[str],
    rules: str,
    out: BinaryIO,
    *,
    executor: Executor | None = None,
    trace: bool = True,
    sync: bool = False,
    progress: Progress | None = None,
    echo: Callable[[str], None] = print,
) -> tuple[Stats, int | None]:
    """Every form's result object in one JSON array, streamed to `out` as UTF-8; returns the stats and worst rank.

    `trace=False` leaves the step-by-step trace of every score out of the result objects. `sync`: `out`
    is a file to be synced at the end; it is synced as it grows too (see `JsonArraySink`).
    """
    from ..ruleset.loader import find_ruleset

    path = str(find_ruleset(rules).resolve())
    sink = JsonArraySink(out, echo, elements=True, sync=sync)
    work = EvaluateWork(path, "json", trace=trace, elements=True)
    stats = run(tasks_for(paths), work, executor or SerialExecutor(), sink, progress)
    sink.close()
    return stats, sink.worst
