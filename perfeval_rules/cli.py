"""The `perfeval` command line: parses arguments, calls the public API, maps errors to exit codes.

Exit codes: 0 done; 1 a --fail-on threshold was hit, a text came out unparsed, or some forms in a
batch failed; 2 bad usage or invalid input (the message names file, line and column).
"""

from __future__ import annotations

import os
from typing import Any

import click

from . import __version__
from .errors import InputError, PerfevalError, UsageError


class _Group(click.Group):
    """Turns the project's errors into a located message and exit 2, never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except PerfevalError as exc:
            click.echo(f"perfeval: {exc}", err=True)
            ctx.exit(2)
        except KeyboardInterrupt:
            click.echo("perfeval: interrupted", err=True)
            ctx.exit(130)
        except Exception as exc:
            if os.environ.get("PERFEVAL_DEBUG"):
                raise
            click.echo(
                f"perfeval: internal error: {type(exc).__name__}: {exc}\n"
                "    This is a bug in perfeval; run again with PERFEVAL_DEBUG=1 to see where.",
                err=True,
            )
            ctx.exit(3)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="perfeval")
def cli() -> None:
    """Check 项目支出绩效自评表 (performance self-evaluation forms) against YAML rule sets.

    RULESET is a path to a rule-set YAML file or the id of a bundled one (e.g. cn-mof-2020).
    """


# --- rule sets ---------------------------------------------------------------------------------------


@cli.command()
@click.argument("files", nargs=-1, required=True)
@click.pass_context
def validate(ctx: click.Context, files: tuple[str, ...]) -> None:
    """Validate rule-set files: YAML syntax, the JSON Schema, then semantic checks.

    Every error names file, line and column and shows the line with a caret. Prints "OK FILE" for each
    valid file; exits 2 when any file has an error.
    """
    failed = False
    for file in files:
        try:
            _validate_file(file)
        except PerfevalError as exc:
            click.echo(f"perfeval: {exc}", err=True)
            failed = True
        else:
            click.echo(f"OK {file}")
    if failed:
        ctx.exit(2)


def _validate_file(file: str) -> None:
    """Validate one file by what it holds: a rule set (id, policies, extends)."""
    from .ruleset import load_ruleset

    load_ruleset(file)


@cli.command("test")
@click.argument("rules_path", required=False)
@click.option("--rules", "rules", metavar="RULESET", help="Run the cases against this rule set instead.")
@click.pass_context
def test_command(ctx: click.Context, rules_path: str | None, rules: str | None) -> None:
    """Run rule sets' own test cases (default: the bundled ones).

    RULES_PATH is a test file (rules/tests/<id>.yaml), a folder of them, a rules folder with a tests/
    subfolder, or a rule-set file whose tests/<id>.yaml lies beside it. Prints each failure with
    expected and got values, then coverage (policies, tiers, grades and checks never exercised), and
    ends with "N passed, N failed". Exits 1 when a case fails.
    """
    from .ruleset.testing import case_files, run

    report = run(case_files(rules_path), rules)
    for failure in report.failures:
        click.echo(failure)
    for cov in report.coverage.values():
        for line in cov.lines():
            click.echo(line)
    click.echo(report.summary)
    if report.failed:
        ctx.exit(1)


@cli.command()
@click.argument("kind", type=click.Choice(["ruleset"]))
def schema(kind: str) -> None:
    """Print the JSON Schema (Draft 2020-12) of a rule set."""
    from .ruleset import schema_text

    click.echo(schema_text(), nl=False)


# --- evaluation -----------------------------------------------------------------------------------

_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}


@cli.command()
@click.argument("forms", nargs=-1, required=True)
@click.option("--rules", "rules", required=True, metavar="RULESET", help="Rule-set file or bundled id.")
@click.option("--format", "fmt", type=click.Choice(["json", "html", "md"]), default="json", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (atomically) instead of stdout.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="never",
    show_default=True,
    help="Exit 1 when a finding of this severity (or worse) is found.",
)
@click.pass_context
def evaluate(
    ctx: click.Context, forms: tuple[str, ...], rules: str, fmt: str, output: str | None, fail_on: str
) -> None:
    """Evaluate forms under a rule set and write the result (JSON: one object, or an array for several).

    A form that cannot be read is reported on stderr and the others are still evaluated (exit 1).
    """
    from . import _json
    from .engine import evaluate as run_evaluation
    from .ruleset import load_ruleset

    ruleset = load_ruleset(rules)
    if fmt != "json" and len(forms) > 1:
        raise UsageError(f"--format {fmt} renders one form; give one FORM or use --format json")
    results: list[dict[str, Any]] = []
    failed = False
    worst = len(_SEVERITY_RANK)
    for path in forms:
        try:
            evaluation = run_evaluation(ruleset, _load_form(path))
        except PerfevalError as exc:
            if len(forms) == 1:
                raise
            click.echo(f"perfeval: {exc}", err=True)
            failed = True
            continue
        results.append(evaluation.to_dict())
        worst = min([worst, *(_SEVERITY_RANK[f.severity] for f in evaluation.findings)])
    payload: Any = results[0] if len(forms) == 1 else results
    text = _json.dumps(payload) + "\n" if fmt == "json" else _render(results[0], fmt)
    if output:
        _write_atomic(output, text)
    else:
        click.echo(text, nl=False)
    if failed or (fail_on != "never" and worst <= _SEVERITY_RANK[fail_on]):
        ctx.exit(1)


def _load_form(path: str) -> Any:
    try:
        from . import forms
    except ImportError:  # pragma: no cover - the package always has forms
        raise UsageError("reading forms is not available in this installation") from None
    loader = getattr(forms, "load_form", None)
    if loader is None:
        raise UsageError("reading forms is not available in this installation")
    return loader(path)


def _render(result: dict[str, Any], fmt: str) -> str:
    import importlib

    try:
        report = importlib.import_module("perfeval_rules.report")
    except ImportError:
        raise UsageError(f"--format {fmt} needs the report module, which is not installed; use --format json") from None
    text: str = report.render(result, fmt)
    return text


def _write_atomic(path: str, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder, then rename over it."""
    import tempfile

    folder = os.path.dirname(os.path.abspath(path))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".perfeval-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise InputError(f"cannot write {path}: {exc.strerror or exc}") from None


@cli.command()
@click.argument("form")
@click.option("--rules", "rules", required=True, metavar="RULESET", help="Rule-set file or bundled id.")
@click.option("--indicator", "name", required=True, help="The indicator's name, or an unambiguous part of it.")
def explain(form: str, rules: str, name: str) -> None:
    """Show how one indicator was scored: parsed values, policy, expression, rounding and findings."""
    from .engine import evaluate as run_evaluation
    from .engine.explain import find_indicator, render_explanation
    from .ruleset import load_ruleset

    evaluation = run_evaluation(load_ruleset(rules), _load_form(form))
    click.echo(render_explanation(find_indicator(evaluation, name)))


def main() -> None:
    """Console entry point."""
    cli.main(prog_name="perfeval")


if __name__ == "__main__":  # pragma: no cover
    main()
