"""Rule sets as configuration: YAML validated by a JSON Schema and semantic checks, then compiled."""

from __future__ import annotations

from ._schema import schema_text
from .loader import bundled_ids, load_ruleset
from .model import Band, BudgetPolicy, Check, DirectionRule, Grade, Policy, Rounding, RuleSet, Tier

__all__ = [
    "Band",
    "BudgetPolicy",
    "Check",
    "DirectionRule",
    "Grade",
    "Policy",
    "Rounding",
    "RuleSet",
    "Tier",
    "bundled_ids",
    "load_ruleset",
    "schema_text",
]
