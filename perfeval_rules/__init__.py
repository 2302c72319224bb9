"""perfeval-rules: a rules-as-configuration engine for performance self-evaluation forms."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
