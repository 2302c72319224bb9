"""Coverage-guided fuzzing with atheris (optional; not part of the test suite).

    pip install atheris
    python3 fuzz/atheris_fuzz.py TARGET [libFuzzer options, e.g. -max_total_time=600 corpus/]

TARGET is one of: notation, expression, yaml, table, ruleset. Each feeds the fuzzer's bytes to one stage
and fails only when that stage raises something other than its own error (see docs/fuzzing.md).
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from decimal import Decimal
from pathlib import Path

import atheris

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the source tree, when not installed

with atheris.instrument_imports():
    from perfeval_rules import _yaml
    from perfeval_rules.engine import evaluate
    from perfeval_rules.errors import FormError, PerfevalError
    from perfeval_rules.expr import ExprError, Scope, Type, Variable, compile_expression
    from perfeval_rules.forms._importer import import_grid
    from perfeval_rules.forms._tables import text_grid
    from perfeval_rules.forms.document import form_from_document
    from perfeval_rules.notation import parse
    from perfeval_rules.ruleset import load_ruleset

RULES = load_ruleset("cn-mof-2020")
SCOPE = Scope((Variable("分值", Type.NUMBER), Variable("kind", Type.TEXT)))
FOLDER = Path(tempfile.mkdtemp(prefix="perfeval-fuzz-"))


def _text(data: bytes) -> str:
    return atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(len(data))


def notation(data: bytes) -> None:
    """Any text is a notation value (possibly `unparsed`), never an exception."""
    parse(_text(data), as_="actual" if data[:1] == b"a" else "target")


def expression(data: bytes) -> None:
    """Any text compiles or is an ExprError; a compiled expression evaluates without raising."""
    with contextlib.suppress(ExprError):
        compile_expression(_text(data), SCOPE).evaluate({"分值": Decimal(2), "kind": "定量"})


def yaml(data: bytes) -> None:
    """Any text loads as a document or is a YamlError; a document is a form or a PerfevalError."""
    with contextlib.suppress(PerfevalError):  # YamlError, SchemaError …
        form_from_document(_yaml.load_text(_text(data), "fuzz.yaml"))


def table(data: bytes) -> None:
    """Any bytes import as a form (then evaluate) or are a FormError."""
    try:
        form = import_grid(text_grid(data, "fuzz.tsv", None))
    except FormError:
        return
    evaluate(RULES, form).to_dict()


def ruleset(data: bytes) -> None:
    """Any text is a rule set or a PerfevalError."""
    path = FOLDER / "mutant.yaml"
    path.write_text(_text(data), encoding="utf-8")
    with contextlib.suppress(PerfevalError):
        load_ruleset(path)


TARGETS = {f.__name__: f for f in (notation, expression, yaml, table, ruleset)}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in TARGETS:
        sys.exit(f"usage: {sys.argv[0]} {{{','.join(TARGETS)}}} [libFuzzer options]")
    target = TARGETS[sys.argv.pop(1)]
    atheris.Setup(sys.argv, target)
    atheris.Fuzz()
