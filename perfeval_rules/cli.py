"""The `perfeval` command line: parses arguments, calls the public API, maps errors to exit codes.

Exit codes: 0 done; 1 a --fail-on threshold was hit, a text came out unparsed, or some forms in a
batch failed; 2 bad usage or invalid input (the message names file, line and column).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__, _json, _yaml
from ._io import write_atomically
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


def _validate_form(path: str) -> bool:
    """Check `path` if it is a form (a table, or YAML/JSON with `indicators`); False when it is not a form."""
    from .forms import is_form_file, validate_form_file

    if not is_form_file(path):
        return False
    validate_form_file(path)
    return True


def _validate_ruleset(path: str) -> bool:
    """Load `path` as a rule set if it looks like one (id, policies or extends); False when it does not."""
    from .ruleset import load_ruleset

    data = _yaml.load_file(path).data
    if not isinstance(data, dict) or not {"id", "policies", "extends"} & set(data):
        return False
    load_ruleset(path)
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
            if not _validate_form(path) and not _validate_ruleset(path):
                raise UsageError(
                    "neither a form (no 'indicators' key), a table, nor a rule set (no 'id', 'policies' or 'extends')",
                    Location(file=path),
                )
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


def _ruleset_schema() -> dict[str, Any]:
    from .ruleset._schema import ruleset_schema

    return ruleset_schema()


SCHEMAS: dict[str, Callable[[], dict[str, Any]]] = {"form": _form_schema, "ruleset": _ruleset_schema}


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
    from .ruleset import bundled_ids, load_ruleset

    path = Path(rules)
    if not path.is_file() and rules in bundled_ids():
        vocabulary: Vocabulary = load_ruleset(rules).vocabulary
        return vocabulary
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        document = _yaml.load_file(path)
        data = document.data
        if isinstance(data, dict) and ("policies" in data or "extends" in data):
            # A whole rule set: its vocabulary may be inherited through `extends`.
            vocabulary = load_ruleset(path).vocabulary
            return vocabulary
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


# --- rule sets ---------------------------------------------------------------------------------------


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


# --- evaluation -----------------------------------------------------------------------------------

_SEVERITY_RANK = {"error": 0, "warning": 1, "info": 2}
_SUFFIX_FORMATS = {".html": "html", ".htm": "html", ".md": "md"}


@cli.command()
@click.argument("forms", nargs=-1, required=True)
@click.option("--rules", "rules", required=True, metavar="RULESET", help="Rule-set file or bundled id.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "html", "md"]),
    help="Output format (default: from the -o file's suffix, .html or .md, else json).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (atomically) instead of stdout.")
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="never",
    show_default=True,
    help="Exit 1 when a finding of this severity (or worse) is found.",
)
@click.option(
    "--template",
    type=click.Path(dir_okay=False),
    help="Render html or md with this Jinja2 template instead of the bundled one (it runs sandboxed).",
)
@click.pass_context
def evaluate(
    ctx: click.Context,
    forms: tuple[str, ...],
    rules: str,
    fmt: str | None,
    output: str | None,
    fail_on: str,
    template: str | None,
) -> None:
    """Evaluate forms (FORM files or folders of them) under a rule set and write the result.

    JSON is one object for one form, an array for several (a folder, several files, a workbook with
    several sheets). Tables are imported on the fly with the rule set's vocabulary. A form that
    cannot be read is reported on stderr and the others are still evaluated (exit 1).
    """
    from .engine import evaluate as run_evaluation
    from .ruleset import load_ruleset

    if fmt is None:
        # From the -o suffix, else from a template's name (report.html.j2), else json.
        suffixes = [Path(output).suffix.lower()] if output else []
        suffixes += [s.lower() for s in Path(template).suffixes] if template else []
        fmt = next((_SUFFIX_FORMATS[s] for s in suffixes if s in _SUFFIX_FORMATS), "json")
    ruleset = load_ruleset(rules)
    paths = _form_paths(forms)
    results: list[dict[str, Any]] = []
    failed = False
    worst = len(_SEVERITY_RANK)
    for path in paths:
        try:
            loaded = _load_forms(path, ruleset)
        except PerfevalError as exc:
            if len(paths) == 1 and paths[0] == forms[0]:
                raise
            click.echo(f"perfeval: {exc}", err=True)
            failed = True
            continue
        for form in loaded:
            evaluation = run_evaluation(ruleset, form)
            results.append(evaluation.to_dict())
            worst = min([worst, *(_SEVERITY_RANK[f.severity] for f in evaluation.findings)])
    single = len(forms) == 1 and paths == [forms[0]] and len(results) == 1
    if fmt != "json" and not single:
        raise UsageError(f"--format {fmt} renders one form; give one FORM or use --format json")
    payload: Any = results[0] if single else results
    if fmt == "json" and template is None:
        text = _json.dumps(payload) + "\n"
    else:
        text = _render(results[0], fmt, Path(template) if template else None)
    if output:
        write_atomically(Path(output), text)
    else:
        click.echo(text, nl=False)
    if failed or (fail_on != "never" and worst <= _SEVERITY_RANK[fail_on]):
        ctx.exit(1)


def _form_paths(arguments: tuple[str, ...]) -> list[str]:
    """The files to evaluate: each file as given; a folder's form files (tables, or YAML/JSON forms) sorted."""
    from .forms import READERS, is_form_file

    paths: list[str] = []
    for argument in arguments:
        folder = Path(argument)
        if not folder.is_dir():
            paths.append(argument)
            continue
        for file in sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in READERS):
            try:
                if is_form_file(file):
                    paths.append(str(file))
            except PerfevalError:
                paths.append(str(file))  # unreadable: evaluating it reports the error
    return paths


def _vocabulary_options(ruleset: Any) -> dict[str, Any]:
    """Import options from the rule set's vocabulary: placeholders and 二级 keywords."""
    words = ruleset.vocabulary_data
    return {"placeholders": words.get("placeholders"), "level2_keywords": words.get("level2_keywords")}


def _load_forms(path: str, ruleset: Any) -> list[Any]:
    """Every form in `path` (one per sheet of a workbook), imported with the rule set's vocabulary."""
    from .forms import load_forms

    return load_forms(path, **_vocabulary_options(ruleset))


def _load_form(path: str, ruleset: Any) -> Any:
    """The form in `path`, imported with the rule set's vocabulary."""
    from .forms import load_form

    return load_form(path, **_vocabulary_options(ruleset))


def _render(result: dict[str, Any], fmt: str, template: Path | None = None) -> str:
    """The HTML or Markdown report of one result; Jinja2 loads only now, so other commands start fast."""
    from .report import render

    return render(result, fmt, template=template)


@cli.command()
@click.argument("form")
@click.option("--rules", "rules", required=True, metavar="RULESET", help="Rule-set file or bundled id.")
@click.option("--indicator", "name", required=True, help="The indicator's name, or an unambiguous part of it.")
def explain(form: str, rules: str, name: str) -> None:
    """Show how one indicator was scored: parsed values, policy, expression, rounding and findings."""
    from .engine import evaluate as run_evaluation
    from .engine.explain import find_indicator, render_explanation
    from .ruleset import load_ruleset

    ruleset = load_ruleset(rules)
    evaluation = run_evaluation(ruleset, _load_form(form, ruleset))
    click.echo(render_explanation(find_indicator(evaluation, name)))


@cli.command("explain-code")
@click.argument("code")
def explain_code(code: str) -> None:
    """Explain an error code (E001…), finding code (score-mismatch …) or import-note code: cause, example, fix."""
    from .catalogue import describe, lookup

    click.echo(describe(lookup(code)))


def main() -> None:
    """Console entry point."""
    cli.main(prog_name="perfeval")


if __name__ == "__main__":  # pragma: no cover
    main()
