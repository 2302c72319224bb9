"""Evaluation: a form scored under a rule set, with traces and findings."""

from __future__ import annotations

from .model import BudgetResult, Evaluation, Finding, IndicatorResult, Subtotal, TraceStep
from .scoring import evaluate

__all__ = ["BudgetResult", "Evaluation", "Finding", "IndicatorResult", "Subtotal", "TraceStep", "evaluate"]
