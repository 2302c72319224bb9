"""The user's private cache folder: built parsers and compiled rule sets kept between runs.

Only a folder this user owns and nobody else may write is used (anything in it can run as this user
when it is loaded); otherwise nothing is cached. PERFEVAL_CACHE_DIR chooses the folder, and an empty
PERFEVAL_CACHE_DIR turns caching off.
"""

from __future__ import annotations

import contextlib
import os
import stat
from functools import cache
from pathlib import Path


@cache
def cache_dir() -> Path | None:
    """The cache folder (created private), or None when it cannot be used safely."""
    chosen = os.environ.get("PERFEVAL_CACHE_DIR")
    if chosen == "":
        return None
    if chosen:
        folder = Path(chosen)
    else:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = Path(base) / "perfeval"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    private = stat.S_ISDIR(info.st_mode) and info.st_mode & (stat.S_IWGRP | stat.S_IWOTH) == 0
    if not private or (hasattr(os, "getuid") and info.st_uid != os.getuid()):
        return None
    return folder


def known(name: str) -> bool:
    """True when `remember(name)` was called before, in this run or an earlier one."""
    folder = cache_dir()
    return folder is not None and (folder / name).is_file()


def remember(name: str) -> None:
    """Leave the empty marker `name` in the cache folder (nothing happens without one)."""
    folder = cache_dir()
    if folder is not None:
        with contextlib.suppress(OSError):  # a cache that cannot be written costs time next run, nothing else
            (folder / name).touch()


def cache_file(name: str) -> str | bool:
    """A file in the cache folder as lark's `cache` option wants it; False when there is no safe folder."""
    folder = cache_dir()
    return str(folder / name) if folder is not None else False
