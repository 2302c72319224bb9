"""Reports: HTML and Markdown rendered with sandboxed Jinja2 templates, or JSON.

Three kinds, one function each: `render` (one evaluation; the template gets exactly the result dict
of the JSON contract), `render_portfolio` (a batch's index; the portfolio view model) and
`render_comparison` (two rule sets side by side; the comparison view model). View models are plain
dicts, documented in templates/README.md. Jinja2 is imported only when HTML or Markdown is rendered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from .. import _json
from ..errors import UsageError, did_you_mean

__all__ = [
    "FORMATS",
    "RENDERERS",
    "SUFFIXES",
    "HasToDict",
    "render",
    "render_comparison",
    "render_portfolio",
    "write_portfolio",
]


@runtime_checkable
class HasToDict(Protocol):
    """Anything that turns into the result dict, such as the engine's `Evaluation`."""

    def to_dict(self) -> Mapping[str, Any]:
        """The result dict of the JSON contract."""
        ...


def _html(result: Mapping[str, Any], template: Path | None) -> str:
    from ._render import render_template

    return render_template(result, "html", template)


def _md(result: Mapping[str, Any], template: Path | None) -> str:
    from ._render import render_template

    return render_template(result, "md", template)


def _json_report(result: Mapping[str, Any], template: Path | None) -> str:
    if template is not None:
        raise UsageError("a template applies to html and md reports, not to json")
    return _json.dumps(result)


RENDERERS: dict[str, Callable[[Mapping[str, Any], Path | None], str]] = {
    "html": _html,
    "md": _md,
    "json": _json_report,
}
"""Report format name -> renderer(result dict, template or None)."""

FORMATS: tuple[str, ...] = tuple(RENDERERS)
"""The report formats, for the CLI's --format choice."""

SUFFIXES: dict[str, str] = {"html": ".html", "md": ".md", "json": ".json"}
"""The file suffix of each format, for naming output files."""


def render(result: Mapping[str, Any] | HasToDict, fmt: str, *, template: Path | None = None) -> str:
    """The report of one evaluation in `fmt` (html, md or json); `template` replaces the bundled one."""
    renderer = RENDERERS.get(fmt)
    if renderer is None:
        known = ", ".join(FORMATS)
        raise UsageError(f"unknown report format {fmt!r}{did_you_mean(fmt, FORMATS)}; choose one of {known}")
    data = result.to_dict() if isinstance(result, HasToDict) else result
    return renderer(data, template)


def _render_view(view: Mapping[str, Any], fmt: str, kind: str) -> str:
    if fmt == "json":
        return _json.dumps(view)
    if fmt not in RENDERERS:
        known = ", ".join(FORMATS)
        raise UsageError(f"unknown report format {fmt!r}{did_you_mean(fmt, FORMATS)}; choose one of {known}")
    from ._render import render_template

    return render_template(view, fmt, None, kind)


def write_portfolio(view: Mapping[str, Any], fmt: str, write: Callable[[str], Any]) -> None:
    """Like `render_portfolio`, piece by piece into `write`, so the index of a long batch is never whole in memory."""
    if fmt == "json":
        _json.dump(view, write)
        write("\n")
        return
    if fmt not in RENDERERS:
        _render_view(view, fmt, "portfolio")  # raises the usage error
    from ._render import generate_template

    for piece in generate_template(view, fmt, "portfolio"):
        write(piece)


def render_portfolio(view: Mapping[str, Any], fmt: str) -> str:
    """The portfolio (index) of a batch in `fmt` from its view model (`batch.Portfolio.view()`)."""
    return _render_view(view, fmt, "portfolio")


def render_comparison(view: Mapping[str, Any], fmt: str) -> str:
    """The comparison of two rule sets in `fmt` from its view model (`compare.compare(...)`)."""
    return _render_view(view, fmt, "compare")
