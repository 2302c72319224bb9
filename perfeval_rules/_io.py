"""Output files are written whole or not at all: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def open_atomically(path: Path) -> Iterator[TextIO]:
    """A text file (UTF-8, LF) that replaces `path` when the block ends normally and vanishes otherwise."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        # mkstemp creates the file private (0600); a report is an ordinary file, readable as the umask allows.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, text: str) -> None:
    """Write `text` (UTF-8, LF) to `path` so that readers see the old file or the whole new one."""
    with open_atomically(path) as out:
        out.write(text)
