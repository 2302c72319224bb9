"""Sinks: where a batch's results go as they are produced.

`FolderSink` writes one report per form into a folder, atomically, keeps a manifest there for
`--resume`, and writes the portfolio index at the end. `JsonArraySink` streams the JSON array of the
per-form result objects (today's `--format json` output) to a text stream.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from .. import _json
from .._io import open_atomically, write_atomically
from ..engine.model import SEVERITIES
from ._runner import Task, TaskResult, report_file
from ._summary import Portfolio, loads

MANIFEST = ".perfeval-manifest.jsonl"
"""One JSON line per finished input: what it was made from (input, rule set, engine, format) and its outputs."""

Echo = Callable[[str], None]

SYNC_BYTES = 64 << 20
"""A synced JSON stream is synced after each this many bytes (see `JsonArraySink`)."""


def _sha256_file(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


class FolderSink:
    """Writes each form's report to `folder/<name><suffix>` and the portfolio index at `close()`.

    The manifest is a journal: a line is appended (in one write) only after an input's reports are
    all in place, so an interrupted batch leaves no entry for unfinished work; a torn last line (a
    crash, not Ctrl-C) is ignored on reading. `close()` rewrites it atomically, one line per input
    in input order. Earlier lines are found by their offset and read one at a time, never all at once.
    """

    def __init__(
        self,
        folder: Path,
        fmt: str,
        ruleset: Mapping[str, Any],
        portfolio: Portfolio,
        *,
        resume: bool = False,
        template: str | None = None,
        trace: bool = True,
        echo: Echo = print,
    ) -> None:
        self.folder = folder
        self.fmt = fmt
        self.trace = trace
        self.ruleset_sha256 = ruleset["sha256"]
        self.engine = portfolio.engine["version"]
        self.template_sha256 = None if template is None else _sha256_file(Path(template))
        self.portfolio = portfolio
        self.echo = echo
        folder.mkdir(parents=True, exist_ok=True)
        self.manifest = folder / MANIFEST
        self.earlier = self._offsets() if resume else {}
        if not resume:
            write_atomically(self.manifest, "")
        elif self._torn():
            self._append("\n")  # end the torn line, so the next entry starts a line of its own
        self.names: list[str] = []

    def _lines(self) -> Iterator[tuple[int, bytes]]:
        """(offset, line) of every complete line of the manifest."""
        try:
            with self.manifest.open("rb") as journal:
                offset = 0
                for line in journal:
                    if line.endswith(b"\n"):
                        yield offset, line
                    offset += len(line)
        except OSError:
            return

    def _torn(self) -> bool:
        """True when the manifest's last line lacks its newline (a crash in the middle of a write)."""
        try:
            with self.manifest.open("rb") as journal:
                journal.seek(0, os.SEEK_END)
                if journal.tell() == 0:
                    return False
                journal.seek(-1, os.SEEK_END)
                return journal.read(1) != b"\n"
        except OSError:
            return False

    def _offsets(self) -> dict[str, int]:
        """The offset of the last manifest line of each input name."""
        offsets: dict[str, int] = {}
        for offset, line in self._lines():
            entry = _entry(line)
            if entry is not None:
                offsets[entry["name"]] = offset
        return offsets

    def _read(self, offset: int) -> dict[str, Any] | None:
        with self.manifest.open("rb") as journal:
            journal.seek(offset)
            return _entry(journal.readline())

    def current(self, task: Task) -> bool:
        """True when the manifest holds this input, made from the same bytes, rule set, engine, format and trace,
        and every report it lists is on disk with the recorded checksum."""
        offset = self.earlier.get(task.name)
        entry = None if offset is None else self._read(offset)
        if entry is None or entry.get("source") != task.path:
            return False
        made = (
            entry.get("ruleset_sha256"),
            entry.get("engine"),
            entry.get("format"),
            entry.get("template_sha256"),
            entry.get("trace", True),  # entries written before --no-trace existed had traces
        )
        if made != (self.ruleset_sha256, self.engine, self.fmt, self.template_sha256, self.trace):
            return False
        if entry.get("input_sha256") != _sha256_file(Path(task.path)):
            return False
        return all(_sha256_file(self.folder / f["file"]) == f["sha256"] for f in entry["forms"])

    def reuse(self, task: Task) -> None:
        """Count a current input's earlier reports in the portfolio without touching them."""
        entry = self._read(self.earlier[task.name])
        assert entry is not None  # current() read it a moment ago
        self.portfolio.add_input()
        for form in entry["forms"]:
            self.portfolio.add(form["summary"])
        self.names.append(task.name)

    def add(self, result: TaskResult) -> None:
        """Write the input's reports atomically, then record them in the manifest and the portfolio."""
        task = result.task
        self.portfolio.add_input()
        if result.error is not None:
            self.portfolio.fail(task.path, result.error)
            self.echo(f"perfeval: {result.error}")
            return
        forms = []
        for form in result.forms:
            if form.staged is not None:  # a worker wrote it: only its name is left to give
                os.replace(form.staged, self.folder / form.summary["file"])
                digest = form.sha256
            else:
                data = report_file(form.report, self.fmt)
                write_atomically(self.folder / form.summary["file"], data)
                digest = hashlib.sha256(data).hexdigest()
            forms.append({"file": form.summary["file"], "sha256": digest, "summary": form.summary})
            self.portfolio.add(form.summary)
        entry = {
            "name": task.name,
            "source": task.path,
            "input_sha256": forms[0]["summary"]["sha256"] if forms else None,
            "ruleset_sha256": self.ruleset_sha256,
            "engine": self.engine,
            "format": self.fmt,
            "template_sha256": self.template_sha256,
            "trace": self.trace,
            "forms": forms,
        }
        self._append(_json.dumps(entry, indent=None) + "\n")
        self.names.append(task.name)

    def _append(self, line: str) -> None:
        fd = os.open(self.manifest, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        try:
            os.write(fd, line.encode("utf-8"))
        finally:
            os.close(fd)

    def close(self) -> Path:
        """Write the portfolio index (streamed, atomically) and compact the manifest to this batch's inputs."""
        from ..report import SUFFIXES, write_portfolio

        path = self.folder / f"index{SUFFIXES[self.fmt]}"
        with open_atomically(path) as out:
            write_portfolio(self.portfolio.view(), self.fmt, out.write)
        self.portfolio.close()
        offsets = self._offsets()
        with open_atomically(self.manifest) as out, self.manifest.open("rb") as journal:
            for name in self.names:
                if name in offsets:
                    journal.seek(offsets[name])
                    out.write(journal.readline().decode("utf-8"))
        return path


def _entry(line: bytes) -> dict[str, Any] | None:
    """A manifest line's entry, or None for a line that does not parse (a torn write)."""
    try:
        entry = loads(line.decode("utf-8"))
    except ValueError:
        return None
    return entry if isinstance(entry, dict) and isinstance(entry.get("name"), str) else None


class JsonArraySink:
    """Streams the result objects as one JSON array, exactly as `_json.dumps(list_of_results)` would print it.

    `elements`: the reports come as array elements already (`EvaluateWork(elements=True)`), so
    each is written as it is; otherwise each report is indented here. `sync`: `out` is a file that is
    synced when it is done (written atomically): it is synced every `SYNC_BYTES` on the way as well,
    so the disk writes while the batch still evaluates instead of all of it at the end.
    """

    def __init__(self, out: BinaryIO, echo: Echo = print, *, elements: bool = False, sync: bool = False) -> None:
        self.out = out
        self.echo = echo
        self.elements = elements
        self.sync = sync
        self.unsynced = 0
        self.count = 0
        self.failed = 0
        self.worst: int | None = None  # rank of the worst finding: 0 error, 1 warning, 2 info

    def current(self, task: Task) -> bool:
        """Never: a stream is always written whole."""
        return False

    def reuse(self, task: Task) -> None:  # pragma: no cover - current() is never true
        """Nothing to reuse in a stream."""

    def add(self, result: TaskResult) -> None:
        """Write the input's result objects as array elements; report a failed input on stderr."""
        if result.error is not None:
            self.failed += 1
            self.echo(f"perfeval: {result.error}")
            return
        for form in result.forms:
            self.out.write(b"[" if self.count == 0 else b",")
            # An element of an indented array is a newline and the object's text indented one level deeper.
            self.unsynced += self.out.write(
                form.report if self.elements else b"\n  " + form.report.replace(b"\n", b"\n  ")
            )
            self.count += 1
            ranks = [n for n, sev in enumerate(SEVERITIES) if form.summary["counts"][sev]]
            if ranks and (self.worst is None or ranks[0] < self.worst):
                self.worst = ranks[0]
        if self.sync and self.unsynced >= SYNC_BYTES:
            self.out.flush()
            os.fdatasync(self.out.fileno())
            self.unsynced = 0

    def close(self) -> None:
        """End the array."""
        self.out.write(b"[]\n" if self.count == 0 else b"\n]\n")
