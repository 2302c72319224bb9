"""The public API: explicit names, and a light import."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import perfeval_rules


def test_public_names() -> None:
    assert perfeval_rules.__all__ == [
        "Evaluation",
        "Finding",
        "Form",
        "IndicatorResult",
        "RuleSet",
        "__version__",
        "evaluate",
        "load_form",
        "load_ruleset",
        "render",
    ]
    for name in perfeval_rules.__all__:
        assert getattr(perfeval_rules, name) is not None


def test_import_is_light() -> None:
    code = (
        "import sys, perfeval_rules; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'lark', 'jsonschema', 'jinja2', 'openpyxl'}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parents[1]
    )
    assert out.stdout == "[]\n"
