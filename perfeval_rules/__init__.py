"""perfeval-rules: a rules-as-configuration engine for performance self-evaluation forms."""

from __future__ import annotations

__version__ = "0.1.0"

from .engine import Evaluation, Finding, IndicatorResult, evaluate
from .ruleset import RuleSet, load_ruleset

__all__ = ["Evaluation", "Finding", "IndicatorResult", "RuleSet", "__version__", "evaluate", "load_ruleset"]
