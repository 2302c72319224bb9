"""The `perfeval` command line: parses arguments, calls the public API, maps errors to exit codes.

Exit codes: 0 done; 1 a --fail-on threshold was hit, a text came out unparsed, or some forms in a
batch failed; 2 bad usage or invalid input (the message names file, line and column); 130 stopped by
Ctrl-C (every report already written is whole).
"""

from __future__ import annotations

import io
import os
import sys
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
        except BrokenPipeError:
            # Whoever read the output stopped (`perfeval evaluate … | head`): stop quietly, with the status
            # of a command ended by SIGPIPE, and send what is still buffered nowhere instead of failing again.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(141)
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


_EVALUATE_HELP = """Evaluate forms (FORM files or folders of them) under a rule set and write the reports.

\b
Where the output goes:
  no -o                      stdout: JSON (one object for one form, an array for several),
                             or the HTML/Markdown report of one form
  -o FILE                    that file, written atomically: one form's report, or the JSON array
  -o DIR                     a folder with one report per form and a portfolio index (index.html,
                             index.md or index.json), when DIR exists, ends with "/", or the
                             format is html or md and several forms are given (several FORMs or a
                             folder). A workbook with several sheets gives one report per sheet.
\b
The format is --format, else the -o suffix (.html, .md, .json), else html for a folder and json
otherwise. Report names come from the input names (x.tsv -> x.html; a workbook's sheets
book@Sheet1.html; clashing names get -tsv/-csv, then -2, -3 ...). Tables are imported on the fly
with the rule set's vocabulary. A form that cannot be read is listed with its reason (in the index
and on stderr) and the others are still evaluated (exit 1). Ctrl-C stops after the reports already
finished (exit 130); --resume then skips every report that is complete and current (same input,
rule set, engine version and format, as recorded in the folder's .perfeval-manifest.jsonl).
"""


def _executor_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--jobs, --executor and --scheduler: where a batch runs (local processes or a Dask cluster)."""
    command = click.option(
        "--scheduler",
        metavar="ADDRESS",
        help="The Dask scheduler for --executor dask, e.g. tcp://10.0.0.5:8786.",
    )(command)
    command = click.option(
        "--executor",
        type=click.Choice(["local", "dask"]),
        default="local",
        show_default=True,
        help="Run here (in --jobs processes) or on an existing Dask distributed cluster (needs the dask extra).",
    )(command)
    return click.option(
        "--jobs",
        "-j",
        type=click.IntRange(min=1),
        default=1,
        show_default=True,
        help="Evaluate in this many processes (one per core); the output is the same as with 1.",
    )(command)


def _executor(jobs: int, executor: str, scheduler: str | None) -> Any:
    """The batch executor the options ask for."""
    from . import batch

    if executor == "dask":
        if not scheduler:
            raise UsageError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
        if jobs != 1:
            raise UsageError("--jobs is for --executor local; a Dask cluster runs as many tasks as it has workers")
        return batch.DaskExecutor(scheduler)
    if scheduler:
        raise UsageError("--scheduler goes with --executor dask")
    return batch.executor_for(jobs)


@cli.command(help=_EVALUATE_HELP)
@click.argument("forms", nargs=-1, required=True)
@click.option("--rules", "rules", required=True, metavar="RULESET", help="Rule-set file or bundled id.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "html", "md"]),
    help="Output format (default: from the -o suffix, .html, .md or .json; html for a folder; else json).",
)
@click.option("-o", "--output", type=click.Path(), help="Write to this file or folder (atomically) instead of stdout.")
@_executor_options
@click.option("--resume", is_flag=True, help="Into an output folder: skip the forms whose reports are current.")
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
@click.option(
    "--no-trace",
    is_flag=True,
    help="Leave out the step-by-step trace of every score: scores and findings are the same, the output"
    " about half the size and quicker to write (for analytics over large portfolios).",
)
@click.pass_context
def evaluate(
    ctx: click.Context,
    forms: tuple[str, ...],
    rules: str,
    fmt: str | None,
    output: str | None,
    jobs: int,
    executor: str,
    scheduler: str | None,
    resume: bool,
    fail_on: str,
    template: str | None,
    no_trace: bool,
) -> None:
    """Evaluate forms under a rule set: one report, a JSON stream, or a folder of reports with an index."""
    from . import batch
    from .ruleset import load_ruleset

    load_ruleset(rules)  # a bad rule set stops here, before any form is read
    runner = _executor(jobs, executor, scheduler)
    paths = batch.input_files(forms)
    several = len(paths) > 1 or any(Path(f).is_dir() for f in forms)
    folder = output is not None and (Path(output).is_dir() or output.endswith(("/", os.sep)))
    fmt = fmt or _format_for(output, folder, template)
    if template is not None and fmt == "json":
        raise UsageError("a template applies to html and md reports, not to json")
    folder = folder or (output is not None and fmt != "json" and several)
    if resume and not folder:
        raise UsageError("--resume continues a batch written to a folder: give -o DIR")
    threshold = _SEVERITY_RANK[fail_on] if fail_on != "never" else -1
    trace = not no_trace
    if folder:
        assert output is not None
        code = _evaluate_to_folder(paths, rules, Path(output), fmt, runner, resume, threshold, template, trace)
    elif not several:
        code = _evaluate_one(batch.EvaluateWork(rules, fmt, template, trace), paths[0], output, threshold)
    elif fmt != "json":
        raise UsageError(f"--format {fmt} with several forms writes a folder: give -o DIR")
    else:
        code = _evaluate_to_stream(paths, rules, output, runner, threshold, trace)
    if code:
        ctx.exit(code)


def _format_for(output: str | None, folder: bool, template: str | None = None) -> str:
    """The format from the -o suffix, else from a --template's name (my.md.j2); html for a folder; json otherwise."""
    suffixes = [Path(output).suffix.lower()] if output and not folder else []
    suffixes += [x.lower() for x in Path(template).suffixes] if template else []
    formats = {".html": "html", ".htm": "html", ".md": "md", ".json": "json"}
    return next((formats[x] for x in suffixes if x in formats), "html" if folder else "json")


def _echo_err(message: str) -> None:
    click.echo(message, err=True)


def _exit_code(failed: bool, worst: int | None, threshold: int) -> int:
    return 1 if failed or (worst is not None and worst <= threshold) else 0


def _evaluate_one(work: Any, path: str, output: str | None, threshold: int) -> int:
    """One input file: its form's report (or the JSON array of a workbook's forms) to stdout or a file."""
    from . import batch

    fmt = work.fmt
    result = work(batch.tasks_for([path])[0])
    if result.error is not None:
        _echo_err(f"perfeval: {result.error}")
        return 2
    if len(result.forms) > 1 and fmt != "json":
        raise UsageError(
            f"{path} holds {len(result.forms)} forms; --format {fmt} writes them to a folder: give -o DIR/"
        )
    if len(result.forms) == 1:
        report = batch.report_file(result.forms[0].report, fmt)
    else:
        buffer = io.BytesIO()
        sink = batch.JsonArraySink(buffer)
        sink.add(result)
        sink.close()
        report = buffer.getvalue()
    if output:
        write_atomically(Path(output), report)
    else:
        click.echo(report.decode("utf-8"), nl=False)
    worst = min((n for f in result.forms for n, s in enumerate(_SEVERITY_RANK) if f.summary["counts"][s]), default=None)
    return _exit_code(False, worst, threshold)


def _progress() -> Any:
    """A rich progress bar on stderr when it is a terminal; None (quiet) otherwise."""

    if not sys.stderr.isatty():
        return None
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn("perfeval"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
    )


def _run_with_progress(start: Callable[[Any], Any]) -> Any:
    """Run `start(progress_callback)` with a progress bar on a terminal."""
    bar = _progress()
    if bar is None:
        return start(None)
    with bar:
        task = bar.add_task("evaluate", total=None)
        return start(lambda done, total: bar.update(task, completed=done, total=total))


def _interrupted(exc: Any, after: str) -> int:
    stats = exc.stats
    _echo_err(
        f"perfeval: interrupted: {stats.done} of {stats.total} inputs done"
        f" ({stats.evaluated} evaluated, {stats.skipped} skipped, {stats.failed} failed);{after}"
    )
    return 130


def _evaluate_to_folder(
    paths: list[str],
    rules: str,
    folder: Path,
    fmt: str,
    executor: Any,
    resume: bool,
    threshold: int,
    template: str | None,
    trace: bool,
) -> int:
    from . import batch

    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file; a batch of html or md reports needs a folder (give -o DIR)")
    try:
        done = _run_with_progress(
            lambda progress: batch.to_folder(
                paths, rules, folder, fmt, executor=executor, resume=resume, template=template, trace=trace,
                progress=progress, echo=_echo_err,
            )
        )  # fmt: skip
    except batch.Interrupted as exc:
        after = " every report written is complete. Run the same command with --resume to evaluate the rest."
        return _interrupted(exc, after)
    s = done.stats
    _echo_err(
        f"perfeval: {s.total} inputs: {s.evaluated} evaluated, {s.failed} failed, {s.skipped} skipped (up to date);"
        f" index: {done.index}"
    )
    return _exit_code(s.failed > 0, done.worst, threshold)


def _evaluate_to_stream(
    paths: list[str], rules: str, output: str | None, executor: Any, threshold: int, trace: bool
) -> int:

    from . import batch
    from ._io import open_atomically_binary

    def start(progress: Any) -> Any:
        if output is None:
            sys.stdout.flush()
            return batch.to_stream(
                paths, rules, sys.stdout.buffer, executor=executor, trace=trace, progress=progress, echo=_echo_err
            )
        with open_atomically_binary(Path(output)) as out:  # synced when done: synced on the way too
            return batch.to_stream(
                paths, rules, out, executor=executor, trace=trace, sync=True, progress=progress, echo=_echo_err
            )

    try:
        stats, worst = _run_with_progress(start)
    except batch.Interrupted as exc:
        return _interrupted(exc, f" {output} was not written." if output else "")
    return _exit_code(stats.failed > 0, worst, threshold)


@cli.command()
@click.argument("forms", nargs=-1)
@click.option(
    "--base", required=True, metavar="RULESET", help="The rule set in force, or 'reported' (the scores as filed)."
)
@click.option("--candidate", required=True, metavar="RULESET", help="The rule set to try.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "html", "md"]),
    help="Output format (default: from the -o suffix, .html, .md or .json, else md).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write here (atomically) instead of stdout.")
@_executor_options
@click.pass_context
def compare(
    ctx: click.Context,
    forms: tuple[str, ...],
    base: str,
    candidate: str,
    fmt: str | None,
    output: str | None,
    jobs: int,
    executor: str,
    scheduler: str | None,
) -> None:
    """Compare two rule sets: on forms (FORM files or folders), or, with no forms, the rules themselves.

    For every form: total and grade under both and the difference, and each indicator whose score
    changes with the policy on each side; then how many forms change grade and which way, the
    distribution of total changes, the policies behind the change and the findings that appear or
    disappear. The totals are exactly those `perfeval evaluate` gives under each rule set. With
    --base reported the candidate is compared with the scores as filed on the forms; otherwise the
    report also lists what differs between the resolved rule sets (policies, tiers, grades, checks,
    budget, rounding, tolerances, vocabulary). Markdown by default. A form that cannot be read is
    listed with its reason (exit 1).
    """
    from .compare import REPORTED
    from .compare import compare as run_comparison
    from .report import render_comparison

    if base == REPORTED and not forms:
        raise UsageError("--base reported compares the scores filed on forms: give FORM_OR_DIR")
    runner = _executor(jobs, executor, scheduler)
    fmt = fmt or {".html": "html", ".htm": "html", ".md": "md", ".json": "json"}.get(
        Path(output).suffix.lower() if output else "", "md"
    )
    from . import batch

    paths = batch.input_files(forms)
    view = _run_with_progress(
        lambda progress: run_comparison(paths, base, candidate, executor=runner, progress=progress, echo=_echo_err)
    )
    text = render_comparison(view, fmt) + ("\n" if fmt == "json" else "")
    if output:
        write_atomically(Path(output), text)
    else:
        click.echo(text, nl=False)
    if view["failed"]:
        ctx.exit(1)


def _load_form(path: str, ruleset: Any) -> Any:
    """The form in `path`, imported with the rule set's vocabulary."""
    from .batch import import_options
    from .forms import load_form

    return load_form(path, **import_options(ruleset))


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
