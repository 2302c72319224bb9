"""Target and actual notations of real forms, read into small typed values.

`parse_target` and `parse_actual` never raise: unreadable text is an `Unparsed` value whose message
shows where reading stopped. The words of the notation come from a `Vocabulary` (rule-set data).
"""

from __future__ import annotations

from .canonical import canonical
from .normalize import normalize
from .parser import from_columns, parse, parse_actual, parse_target
from .values import (
    OPS,
    Comparison,
    Completion,
    Date,
    Deadline,
    Missing,
    Notation,
    Outcome,
    Qualitative,
    Quantity,
    Range,
    Span,
    Trend,
    Unparsed,
)
from .vocabulary import VOCABULARY_SCHEMA, Vocabulary, default_vocabulary

__all__ = [
    "OPS",
    "VOCABULARY_SCHEMA",
    "Comparison",
    "Completion",
    "Date",
    "Deadline",
    "Missing",
    "Notation",
    "Outcome",
    "Qualitative",
    "Quantity",
    "Range",
    "Span",
    "Trend",
    "Unparsed",
    "Vocabulary",
    "canonical",
    "default_vocabulary",
    "from_columns",
    "normalize",
    "parse",
    "parse_actual",
    "parse_target",
]
