"""Golden files: compared byte for byte; PERFEVAL_UPDATE_GOLDENS=1 rewrites them instead."""

from __future__ import annotations

import os
from pathlib import Path


def check_golden(text: str, golden: Path) -> None:
    """Assert `text` equals the golden file, or rewrite the file when asked to."""
    if os.environ.get("PERFEVAL_UPDATE_GOLDENS") == "1":
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(text, encoding="utf-8", newline="\n")
        return
    expected = golden.read_bytes()
    assert text.encode("utf-8") == expected, f"{golden.name} differs; rerun with PERFEVAL_UPDATE_GOLDENS=1 if intended"
