"""The user's private cache folder: built parsers, syntax trees and rule-set documents kept between runs.

Only a folder this user owns and nobody else may write is used (anything in it can run as this user
when it is loaded); otherwise nothing is cached. PERFEVAL_CACHE_DIR chooses the folder, and an empty
PERFEVAL_CACHE_DIR turns caching off.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import pickle
import stat
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Generic, TypeVar

_V = TypeVar("_V")


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


class Kept(Generic[_V]):
    """Values kept in a file of the cache folder between runs, tied to the code that makes them.

    `get` answers from the file the last run left; `put` adds a value made now. At exit, a process that
    put anything new writes what it asked for (at most `limit` values), so the file stays as small as
    one run needs. The file is used only when its stamp (`stamp()`: a hash of that code) is current.
    """

    def __init__(self, name: str, stamp: Callable[[], str], limit: int = 4096) -> None:
        self.name, self.stamp, self.limit = name, stamp, limit
        self.used: dict[str, _V] = {}  # what this process asked for, in order
        self.new = False  # whether this process made a value the file did not have
        self._kept: dict[str, _V] | None = None
        self._stamp_text: str | None = None

    def get(self, key: str) -> _V | None:
        """The value kept for `key` by the last run, or None."""
        value = self.kept().get(key)
        if value is not None:
            self._use(key, value)
        return value

    def put(self, key: str, value: _V) -> None:
        """A value made in this process, for the next run."""
        self.new = True
        self._use(key, value)

    def _use(self, key: str, value: _V) -> None:
        if len(self.used) < self.limit:
            self.used[key] = value

    def kept(self) -> dict[str, _V]:
        """What the last run left (empty without a cache folder, or when the file is not current or not ours)."""
        if self._kept is None:
            self._kept = {}
            path = cache_file(self.name)
            if isinstance(path, str):
                atexit.register(self._save, path)
                self._kept = self._load(path)
        return self._kept

    def _load(self, path: str) -> dict[str, _V]:
        try:
            with open(path, "rb") as stream:
                stamp, values = pickle.load(stream)  # a private folder: nobody else can have written it
        except Exception:  # missing, cut short or not ours: whatever it is, start afresh
            return {}
        return values if stamp == self._stamp() and isinstance(values, dict) else {}

    def _stamp(self) -> str:
        if self._stamp_text is None:
            self._stamp_text = self.stamp()
        return self._stamp_text

    def _save(self, path: str) -> None:
        if self.new and len(self.used) < self.limit:
            from ._io import write_atomically

            with contextlib.suppress(OSError):  # a cache that cannot be written costs time next run, nothing else
                data = pickle.dumps((self._stamp(), self.used), protocol=pickle.HIGHEST_PROTOCOL)
                write_atomically(Path(path), data)


def sources_stamp(folder: Path, names: Iterable[str], *extra: str) -> str:
    """A hash of these source files (and `extra` texts, such as a library's version): a `Kept` stamp."""
    digest = hashlib.sha256(b"".join((folder / name).read_bytes() for name in names))
    digest.update("\0".join(extra).encode())
    return digest.hexdigest()
