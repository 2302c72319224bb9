"""Jinja2 rendering of a result dict in a sandbox; the only report module that imports jinja2."""

from __future__ import annotations

import contextvars
import os
import re
import signal
import threading
import traceback
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, nullcontext
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from ..errors import InputError, Location, TemplateError
from ..resources import templates_dir
from . import _format

_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def render_template(result: Mapping[str, Any], fmt: str, template: Path | None, kind: str = "report") -> str:
    """Render `result` (the whole template context) with the bundled `kind` template for `fmt`, or `template`."""
    if template is None:
        env = _environment(fmt, None)
        name = f"{kind}.{fmt}.j2"
    else:
        if not template.is_file():
            raise InputError("template file not found", Location(file=str(template)))
        env = _environment(fmt, str(template.parent))
        name = template.name
    with _template_errors(env), nullcontext() if template is None else _deadline(template):
        text = env.get_template(name).render(dict(result))
    return text


def generate_template(context: Mapping[str, Any], fmt: str, kind: str) -> Iterator[str]:
    """The bundled `kind` template for `fmt` rendered piece by piece, so a long report is never whole in memory."""
    env = _environment(fmt, None)
    with _template_errors(env):
        yield from env.get_template(f"{kind}.{fmt}.j2").generate(dict(context))


@contextmanager
def _template_errors(env: SandboxedEnvironment) -> Iterator[None]:
    """Turn what goes wrong while a template loads or renders into a located TemplateError.

    Each render starts with a fresh range() budget (left set afterwards: a generator may end in another context).
    """
    _STEPS.set(_Steps())
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        where = Location(file=exc.filename or exc.name, line=exc.lineno, source_line=_line(exc.filename, exc.lineno))
        raise TemplateError(f"template syntax error: {exc.message}", where) from None
    except (
        jinja2.TemplateError,
        TypeError,
        ValueError,
        ArithmeticError,
        LookupError,
        AttributeError,
        RecursionError,
    ) as exc:
        raise _template_error(exc, env) from None


def _template_error(exc: Exception, env: SandboxedEnvironment) -> TemplateError:
    """A located TemplateError for something that went wrong while a template was loaded or rendered."""
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"template {exc.name!r} not found"
    elif isinstance(exc, jinja2.exceptions.SecurityError):
        message = f"template tried something the sandbox forbids: {exc}"
    elif isinstance(exc, jinja2.UndefinedError):
        message = f"undefined in template: {exc}"
    else:
        message = f"template failed: {type(exc).__name__}: {exc}"
    return TemplateError(message, _where(exc, message, env))


MAX_RANGE_STEPS = 1_000_000
"""range() in a template yields at most this many values in one render, nested loops together."""

MAX_SIZE = 10_000_000
"""`*` and `**` in a template may not build a text, list or number larger than this (characters, items, digits)."""


class _Sandbox(SandboxedEnvironment):
    """Jinja2's sandbox (no private attributes, no unsafe calls) that also bounds the work a template asks for."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        """Refuse `*` and `**` whose result would be huge ('x' * 10**9, 10 ** 10 ** 9) before computing it."""
        if operator == "**":
            if isinstance(left, int | Decimal) and isinstance(right, int | Decimal):
                digits, exponent = len(str(abs(int(left)))), abs(int(right))
                if exponent > 1 and digits * exponent > MAX_SIZE:
                    raise jinja2.exceptions.SecurityError(f"{left} ** {right} would be larger than {MAX_SIZE} digits")
            return left**right
        seq, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
        if isinstance(seq, str | list | tuple) and isinstance(count, int) and len(seq) * count > MAX_SIZE:
            raise jinja2.exceptions.SecurityError(f"repeating a {type(seq).__name__} {count} times is too large")
        return left * right


MAX_SECONDS = 10.0
"""A user's template may render one report for at most this long (where a timer can stop it: not in threads)."""


class _Overtime(BaseException):
    """Raised by the timer into a render that ran out of time (not an Exception: nothing in Jinja2 catches it)."""


@contextmanager
def _deadline(template: Path) -> Iterator[None]:
    """Stop the render inside the block after MAX_SECONDS with a TemplateError, on the main thread.

    The range() and size bounds stop most runaway templates early; loops nested over the data (every
    indicator within every indicator within ...) are only stopped by time.
    """
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield  # a thread (a Dask worker) cannot take a signal; the other bounds still hold
        return

    running = [True]  # off before the timer is cancelled: a late tick must not escape the block

    def overtime(signum: int, frame: Any) -> None:
        if running[0]:
            raise _Overtime

    previous = signal.signal(signal.SIGALRM, overtime)
    signal.setitimer(signal.ITIMER_REAL, MAX_SECONDS)
    try:
        yield
    except _Overtime:
        raise TemplateError(
            f"template took longer than {MAX_SECONDS:g} s to render one report (a runaway loop?)",
            Location(file=str(template)),
        ) from None
    finally:
        running[0] = False
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class _Steps:
    """The range() budget of one render; a context variable, so concurrent renders never share one."""

    def __init__(self) -> None:
        self.left = MAX_RANGE_STEPS


_STEPS: contextvars.ContextVar[_Steps] = contextvars.ContextVar("perfeval_template_steps")


def _bounded_range(*args: int) -> Iterator[int]:
    """range() whose values, over every loop of one render, are at most MAX_RANGE_STEPS."""
    values = range(*args)
    steps = _STEPS.get()
    if len(values) > steps.left:
        raise jinja2.exceptions.SecurityError(
            f"range() would loop more than {MAX_RANGE_STEPS} times in this template (a runaway loop?)"
        )
    steps.left -= len(values)
    return iter(values)


@lru_cache(maxsize=16)
def _environment(fmt: str, user_dir: str | None) -> SandboxedEnvironment:
    """One sandboxed environment per format (and user template folder), so compiled templates are reused."""
    paths = [user_dir] if user_dir is not None else []
    paths.append(str(templates_dir()))
    html = fmt == "html"
    env = _Sandbox(
        loader=jinja2.FileSystemLoader(paths),
        autoescape=html,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize_html if html else _finalize_md,
        auto_reload=user_dir is not None,  # a user may edit their template between renders
    )
    env.filters.update(
        num=_format.num,
        pct=_format.pct,
        scale=_format.scale,
        runs=_format.runs,
        md=_format.md_escape,
    )
    env.globals["range"] = _bounded_range
    del env.globals["lipsum"]  # builds text of any size on request; no report needs it
    return env


def _finalize_html(value: Any) -> Any:
    """Null shows as a dash and a Decimal with its exact digits; autoescape does the rest."""
    if value is None:
        return _format.ABSENT
    if isinstance(value, Decimal):
        return format(value, "f")
    return value


def _finalize_md(value: Any) -> Any:
    """Markdown has no autoescape: every printed value is escaped here, so a template cannot forget it."""
    if value is None:
        return _format.ABSENT
    if isinstance(value, Decimal):
        value = format(value, "f")
    return _format.md_escape(value)


def _where(exc: BaseException, message: str, env: SandboxedEnvironment) -> Location | None:
    """The template line that failed, from the traceback Jinja2 rewrites to point into templates."""
    loader = env.loader
    roots = tuple(os.path.normpath(p) + os.sep for p in getattr(loader, "searchpath", ()))
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.startswith(roots) and frame.lineno is not None:
            source = _line(frame.filename, frame.lineno)
            return Location(file=frame.filename, line=frame.lineno, column=_column(message, source), source_line=source)
    return None


def _line(filename: str | None, lineno: int | None) -> str | None:
    if filename is None or lineno is None:
        return None
    try:
        lines = Path(filename).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    return lines[lineno - 1] if 0 < lineno <= len(lines) else None


def _column(message: str, source: str | None) -> int | None:
    """1-based column of the first name quoted in the message that occurs on the line, to place the caret."""
    if source is None:
        return None
    for match in _QUOTED.finditer(message):
        found = source.find(match.group(1) or match.group(2))
        if found >= 0:
            return found + 1
    return None
