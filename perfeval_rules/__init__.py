"""perfeval-rules: a rules-as-configuration engine for performance self-evaluation forms."""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .engine import Evaluation, Finding, IndicatorResult, evaluate
    from .forms import Form, load_form
    from .report import render
    from .ruleset import RuleSet, load_ruleset

__all__ = [
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

# The public names are imported on first use, so `import perfeval_rules` (and the CLI's --help) stays
# light: the parsers (lark) and the schema validator (jsonschema) load only when a rule set does.
_LAZY = {
    "Evaluation": ".engine",
    "Finding": ".engine",
    "IndicatorResult": ".engine",
    "evaluate": ".engine",
    "Form": ".forms",
    "load_form": ".forms",
    "render": ".report",
    "RuleSet": ".ruleset",
    "load_ruleset": ".ruleset",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'perfeval_rules' has no attribute {name!r}")
    value = getattr(import_module(module, __name__), name)
    globals()[name] = value
    return value
