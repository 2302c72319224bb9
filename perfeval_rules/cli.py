"""The `perfeval` command line: parses arguments, calls the public API, maps errors to exit codes.

Exit codes: 0 done; 1 a --fail-on threshold was hit, a text came out unparsed, or some forms in a
batch failed; 2 bad usage or invalid input (the message names file, line and column).
"""

from __future__ import annotations

import os
from typing import Any

import click

from . import __version__
from .errors import PerfevalError


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


def main() -> None:
    """Console entry point."""
    cli.main(prog_name="perfeval")


if __name__ == "__main__":  # pragma: no cover
    main()
