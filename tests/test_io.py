"""Output files are written whole, with ordinary permissions, and never half-written."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from perfeval_rules._io import write_atomically


@pytest.mark.parametrize("content", ["<p>两新</p>\n", "<p>两新</p>\n".encode()])
def test_written_file_has_umask_permissions_and_no_temporary_left(tmp_path: Path, content: str | bytes) -> None:
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "report.html", content)
    finally:
        os.umask(old)
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "<p>两新</p>\n"
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(UnicodeEncodeError):
        write_atomically(target, "new \udcff\n")  # a lone surrogate cannot be encoded
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.md"]
