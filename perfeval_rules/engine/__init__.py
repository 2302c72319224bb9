"""Evaluation: a form scored under a rule set, with traces and findings."""

from __future__ import annotations

from .evaluate import evaluate
from .model import BudgetResult, Evaluation, Finding, IndicatorResult, Subtotal, TraceStep

__all__ = ["BudgetResult", "Evaluation", "Finding", "IndicatorResult", "Subtotal", "TraceStep", "evaluate"]
