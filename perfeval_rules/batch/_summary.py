"""The small per-form summary a portfolio needs, and the portfolio built from a stream of them.

A summary is plain JSON-able data (it is also kept in the output folder's manifest, so a resumed
batch rebuilds the full index without evaluating again). The portfolio folds findings and lost
points into counters as summaries arrive, keeps the largest discrepancies in a small heap, and
spills the one row per form the index lists to a temporary file, so memory stays flat however many
forms a batch holds.
"""

from __future__ import annotations

import heapq
import json
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import IO, Any, overload

from .. import _json
from ..engine.model import SEVERITIES

BUDGET = "预算执行率"
TOP = 15  # rows in each "most …" table of the portfolio


def summarize(result: Mapping[str, Any], name: str, file: str, sheet: str | None) -> dict[str, Any]:
    """The summary of one result dict: identity, totals, grades, finding counts and points lost per indicator."""
    findings: dict[tuple[str, str], int] = {}
    for f in result["findings"]:
        findings[f["code"], f["severity"]] = findings.get((f["code"], f["severity"]), 0) + 1
    lost: list[list[Any]] = []
    budget = result["budget"]
    if budget["weight"] is not None and budget["weight"] - (budget["score"] or 0) > 0:
        lost.append([BUDGET, "", budget["weight"] - (budget["score"] or 0)])
    for i in result["indicators"]:
        if i["weight"] is not None and i["weight"] - (i["score"] or 0) > 0:
            lost.append([i["name"], i["level2"], i["weight"] - (i["score"] or 0)])
    summary = {
        "name": name,
        "file": file,
        "source": result["form"]["source"],
        "sheet": sheet,
        "sha256": result["form"]["sha256"],
        "project": result["form"]["project"],
        "department": result["form"]["department"],
        "total": result["total"],
        "reported_total": result["reported_total"],
        "grade": result["grade"],
        "reported_grade": result["reported_grade"],
        "counts": dict(result["summary"]),
        "findings": [[code, sev, n] for (code, sev), n in findings.items()],
        "lost": lost,
    }
    # Through JSON and back, so a summary read from the manifest on --resume is exactly the same data.
    same: dict[str, Any] = loads(_json.dumpb(summary))
    return same


def loads(text: str | bytes) -> Any:
    """JSON with every non-integer number as an exact Decimal."""
    return json.loads(text, parse_float=Decimal)


def _delta(total: Any, reported: Any) -> Decimal | None:
    return None if total is None or reported is None else Decimal(total) - Decimal(reported)


class Rows(Sequence[dict[str, Any]]):
    """The per-form rows of a portfolio, read back one at a time from the file they were spilled to."""

    def __init__(self, spill: IO[bytes], size: int) -> None:
        self.spill = spill
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[dict[str, Any]]:
        self.spill.flush()
        self.spill.seek(0)
        for _ in range(self.size):
            row: dict[str, Any] = loads(self.spill.readline())
            yield row

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...
    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...
    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        """A row by position (read through the file: meant for tests, not loops)."""
        rows = list(self)
        return rows[index]


class Portfolio:
    """Folds per-form summaries (in input order) and failures into the portfolio view model."""

    def __init__(self, ruleset: Mapping[str, Any], engine: Mapping[str, Any], fmt: str, grades: Sequence[str]) -> None:
        self.ruleset = dict(ruleset)
        self.engine = dict(engine)
        self.fmt = fmt
        self.grade_ids = list(grades)
        # lives as long as the portfolio (close() removes it); the OS removes it even after a crash
        self.spill: IO[bytes] = tempfile.TemporaryFile("w+b")  # noqa: SIM115
        self.count = 0
        self.top: list[tuple[Decimal, int, dict[str, Any]]] = []  # min-heap of the largest discrepancies
        self.total_differs = 0
        self.grade_differs = 0
        self.failed: list[dict[str, Any]] = []
        self.inputs = 0
        self.computed: dict[str | None, int] = {}
        self.reported: dict[str | None, int] = {}
        self.findings: dict[tuple[str, str], list[int]] = {}  # (code, severity) -> [forms, occurrences]
        self.lost: dict[tuple[str, str], list[Any]] = {}  # (name, level2) -> [points, forms]
        self.total = Decimal(0)
        self.reported_total = Decimal(0)
        self.reported_forms = 0

    def add_input(self) -> None:
        """Count one input (file) of the batch, evaluated or not."""
        self.inputs += 1

    def add(self, summary: Mapping[str, Any]) -> None:
        """Take one evaluated form."""
        total, reported = summary["total"], summary["reported_total"]
        row = {
            "name": summary["name"],
            "href": summary["file"],
            "source": summary["source"],
            "sheet": summary["sheet"],
            "project": summary["project"],
            "department": summary["department"],
            "total": total,
            "reported_total": reported,
            "delta": _delta(total, reported),
            "grade": summary["grade"],
            "reported_grade": summary["reported_grade"],
            "counts": summary["counts"],
        }
        self.spill.seek(0, 2)
        self.spill.write(_json.packed(row) + b"\n")
        self.count += 1
        delta = row["delta"]
        if delta is not None and delta != 0:
            self.total_differs += 1
            # ties keep input order: of two equal discrepancies the later one leaves the heap first
            heapq.heappush(self.top, (abs(delta), -self.count, row))
            if len(self.top) > TOP:
                heapq.heappop(self.top)
        if row["grade"] != row["reported_grade"]:
            self.grade_differs += 1
        self.computed[summary["grade"]] = self.computed.get(summary["grade"], 0) + 1
        self.reported[summary["reported_grade"]] = self.reported.get(summary["reported_grade"], 0) + 1
        self.total += Decimal(total)
        if reported is not None:
            self.reported_total += Decimal(reported)
            self.reported_forms += 1
        for code, severity, n in summary["findings"]:
            entry = self.findings.setdefault((code, severity), [0, 0])
            entry[0] += 1
            entry[1] += n
        for name, level2, points in summary["lost"]:
            lost = self.lost.setdefault((name, level2), [Decimal(0), 0])
            lost[0] += Decimal(points)
            lost[1] += 1

    def fail(self, source: str, reason: str) -> None:
        """Take one input that could not be read or evaluated, with its located error message."""
        self.failed.append({"source": source, "reason": reason})

    def worst(self) -> int | None:
        """The rank (0 error, 1 warning, 2 info) of the worst finding in the batch, None without findings."""
        ranks = [SEVERITIES.index(sev) for (_, sev), (forms, _) in self.findings.items() if forms]
        return min(ranks) if ranks else None

    def view(self) -> dict[str, Any]:
        """The portfolio view model: a plain dict (see templates/README.md)."""
        order = {s: n for n, s in enumerate(SEVERITIES)}
        others = sorted(str(g) for g in {*self.computed, *self.reported} - {*self.grade_ids, None})
        grades: list[str | None] = [*self.grade_ids, *others]
        if None in self.computed or None in self.reported:
            grades.append(None)
        ranked = [row for _, _, row in sorted(self.top, key=lambda t: (-t[0], -t[1]))]
        n = self.count
        return {
            "kind": "portfolio",
            "ruleset": self.ruleset,
            "engine": self.engine,
            "format": self.fmt,
            "counts": {"inputs": self.inputs, "forms": n, "failed": len(self.failed)},
            "grades": [
                {"grade": g, "computed": self.computed.get(g, 0), "reported": self.reported.get(g, 0)} for g in grades
            ],
            "totals": {
                "computed": self.total,
                "reported": self.reported_total,
                "computed_mean": (self.total / n).quantize(Decimal("0.01")) if n else None,
                "reported_mean": (self.reported_total / self.reported_forms).quantize(Decimal("0.01"))
                if self.reported_forms
                else None,
                "reported_forms": self.reported_forms,
                "total_differs": self.total_differs,
                "grade_differs": self.grade_differs,
            },
            "discrepancies": ranked,
            "findings": [
                {"code": code, "severity": sev, "forms": forms, "count": count}
                for (code, sev), (forms, count) in sorted(
                    self.findings.items(), key=lambda kv: (-kv[1][0], -kv[1][1], order[kv[0][1]], kv[0][0])
                )[:TOP]
            ],
            "lost": [
                {"name": name, "level2": level2, "points": points, "forms": forms}
                for (name, level2), (points, forms) in sorted(
                    self.lost.items(), key=lambda kv: (-kv[1][0], -kv[1][1], kv[0])
                )[:TOP]
            ],
            "forms": Rows(self.spill, self.count),
            "failed": self.failed,
        }

    def close(self) -> None:
        """Remove the spilled rows."""
        self.spill.close()
