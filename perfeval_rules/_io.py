"""Output files are written whole or not at all: a temporary file beside the target, then a rename."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def open_atomically(path: Path) -> Iterator[TextIO]:
    """A text file (UTF-8, LF) that replaces `path` when the block ends normally and vanishes otherwise."""
    with _atomic(path, "w", encoding="utf-8", newline="\n") as out:
        yield out


@contextmanager
def open_atomically_binary(path: Path) -> Iterator[BinaryIO]:
    """Like `open_atomically`, for bytes (text already encoded as UTF-8)."""
    with _atomic(path, "wb") as out:
        yield out


@contextmanager
def _atomic(path: Path, mode: str, **options: Any) -> Iterator[Any]:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        out: IO[Any]
        with os.fdopen(fd, mode, **options) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        # mkstemp creates the file private (0600); a report is an ordinary file, readable as the umask allows.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write `text` (UTF-8, LF; bytes as they are) to `path`: readers see the old file or the whole new one."""
    if isinstance(text, bytes):
        with open_atomically_binary(path) as binary:
            binary.write(text)
        return
    with open_atomically(path) as out:
        out.write(text)
