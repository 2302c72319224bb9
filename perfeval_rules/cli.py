"""The `perfeval` command line: parses arguments, calls the public API, maps errors to exit codes.

Exit codes: 0 done; 1 a --fail-on threshold was hit, a text came out unparsed, or some forms in a
batch failed; 2 bad usage or invalid input (the message names file, line and column).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__, _json, _yaml
from .errors import Location, PerfevalError, UsageError
from .notation import Notation, Unparsed, Vocabulary, default_vocabulary, normalize, parse


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


@cli.command("import")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the form YAML here (default: stdout).")
@click.option("--sheet", metavar="NAME", help="The sheet of an XLSX workbook that holds several forms.")
def import_(source: str, output: str | None, sheet: str | None) -> None:
    """Turn a published form (TSV/CSV text extracted from PDF, or XLSX) into form YAML.

    Every repair the importer makes (a category inferred, a shifted cell, a joined label, a skipped
    row) is printed to stderr as an import note and kept in the YAML. Inputs are never modified;
    the output file is written atomically.
    """
    from .forms import form_to_yaml, load_form

    form = load_form(source, sheet=sheet)
    for note in form.import_notes:
        where = f"{source}:sheet {note.sheet}" if note.sheet else source
        click.echo(f"{where}:row {note.row}: {note.message} [{note.code}]", err=True)
    text = form_to_yaml(form)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_atomically(Path(output), text)


def write_atomically(path: Path, text: str) -> None:
    """Write text to a temporary file beside `path`, then rename it over `path`."""
    fd, tmp = tempfile.mkstemp(dir=path.parent or Path("."), prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _validate_form(path: str) -> bool:
    """Check `path` if it is a form (a table, or YAML/JSON with `indicators`); False when it is not a form."""
    from .forms import is_form_file, validate_form_file

    if not is_form_file(path):
        return False
    validate_form_file(path)
    return True


@cli.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
def validate(files: tuple[str, ...]) -> None:
    """Check rule sets and forms: JSON Schema, then semantic checks.

    Prints "OK FILE" for each valid file and every error, located, for the others; exits 2 when
    any file is invalid.
    """
    failed = False
    for path in files:
        try:
            if not _validate_form(path):
                raise UsageError("neither a form (no 'indicators' key) nor a table", Location(file=path))
        except PerfevalError as exc:
            failed = True
            click.echo(str(exc), err=True)
            continue
        click.echo(f"OK {path}")
    if failed:
        click.get_current_context().exit(2)


def _form_schema() -> dict[str, Any]:
    from .forms import FORM_SCHEMA

    return FORM_SCHEMA


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {"form": _form_schema}


@cli.command()
@click.argument("kind", type=click.Choice(sorted(SCHEMAS)))
def schema(kind: str) -> None:
    """Print the JSON Schema (Draft 2020-12) of a form or a rule set."""
    click.echo(_json.dumps(SCHEMAS[kind]()))


_PARSE_HELP = """Show how a target (年度指标值) or actual (实际完成值) TEXT is read.

\b
Targets:
  ≥3500.00(人)  =100.00(%)  ≤90万元    comparison: operator, number, unit (brackets optional)
  12个月  38508人  43.2               no operator: implied ≥ (a rule set may flip it for costs)
  不少于12种  98%以上  至少…2次         word operators, before or after the number
  全年不少于2次  全年                  a period word scopes the target
  80%-100%  1-12月  ±10%             range or tolerance
  9月前  12月底之前完成  2021年12月31日  及时   deadline
  较上一年度提高  逐步提高  降低        trend against a baseline
  健全  有效  严格执行相关制度规定       anything else in words: qualitative
\b
Actuals:
  3125  97.30%  37442人              a number (unit from the target when absent)
  ≥90.00%  =100.00(%)               a bound claim or echo of the target
  达成指标  部分达成指标并具有一定效果   an outcome tier (1 达成, 2 部分达成…, 3 未达成…)
  完成  已完成  是                   completion without a number
  7月  2021年10月15日                a month or date
\b
Blank and placeholder cells (— - / ……) are missing. Text that cannot be read is shown with a
caret under where reading stopped, and the exit code is 1. The words (tiers, units, trends, word
operators …) come from the rule set's vocabulary, cn-mof-2020 by default.
"""


@cli.command("parse", help=_PARSE_HELP)
@click.argument("text")
@click.option(
    "--as",
    "as_",
    type=click.Choice(["target", "actual"]),
    default="target",
    show_default=True,
    help="Read TEXT as a target or as an actual.",
)
@click.option(
    "--rules",
    metavar="RULESET",
    default=None,
    help="Rule set whose vocabulary to use: a bundled id (cn-mof-2020) or a YAML file with `vocabulary:`.",
)
@click.option(
    "--format",
    "format_",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Readable view or the JSON value.",
)
def parse_command(text: str, as_: str, rules: str | None, format_: str) -> None:
    value = parse(text, _vocabulary_for(rules), as_="actual" if as_ == "actual" else "target")
    if format_ == "json":
        click.echo(_json.dumps(value.to_dict(), indent=None))
    else:
        click.echo(_describe(text, value))
    if isinstance(value, Unparsed):
        click.get_current_context().exit(1)


def _vocabulary_for(rules: str | None) -> Vocabulary:
    """The notation vocabulary of a rule set named on the command line."""
    if rules is None or rules == "cn-mof-2020":
        return default_vocabulary()
    path = Path(rules)
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        document = _yaml.load_file(path)
        data = document.data
        if not isinstance(data, dict) or not isinstance(data.get("vocabulary"), dict):
            raise UsageError(f"{rules}: no top-level `vocabulary:` mapping in this file")
        return Vocabulary.from_mapping(data["vocabulary"], document, path=("vocabulary",))
    raise UsageError(
        f"unknown rule set {rules!r}: give a bundled id (cn-mof-2020) or the path of a YAML file with `vocabulary:`"
    )


def _describe(text: str, value: Notation) -> str:
    lines = [f"text:  {normalize(text)}", f"kind:  {value.kind}"]
    if isinstance(value, Unparsed):
        lines.append(value.error)
        return "\n".join(lines)
    for key, item in value.to_dict().items():
        if key != "kind":
            shown = _json.dumps(item, indent=None) if not isinstance(item, str) else item
            lines.append(f"{key + ':':<6} {shown}")
    return "\n".join(lines)


def main() -> None:
    """Console entry point."""
    cli.main(prog_name="perfeval")


if __name__ == "__main__":  # pragma: no cover
    main()
