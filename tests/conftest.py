"""Shared test fixtures: headless Chromium for the browser tests of the HTML reports; hypothesis profiles.

PERFEVAL_FUZZ=long selects the `long` hypothesis profile: the fuzz tests (tests/test_fuzz.py) then run
thousands of examples each instead of the few dozen the normal suite affords (see docs/fuzzing.md).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The suite, and every command it starts, keeps its caches (parser tables, expression trees, rule-set
# markers) in a folder of its own rather than in the user's: thousands of test rule sets would leave a
# marker each there. The folder lives as long as the session.
_CACHE = tempfile.TemporaryDirectory(prefix="perfeval-test-cache-")
os.environ.setdefault("PERFEVAL_CACHE_DIR", os.path.join(_CACHE.name, "cache"))

settings.register_profile(
    "long",
    max_examples=int(os.environ.get("PERFEVAL_FUZZ_EXAMPLES", "20000")),
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
)
if os.environ.get("PERFEVAL_FUZZ") == "long":
    settings.load_profile("long")

BROWSER_TIMEOUT = 60  # seconds; a hung browser fails the test instead of stalling CI
_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--mute-audio",
)


@dataclass
class Chromium:
    """Runs headless Chromium on local files with its own fresh profile; no network is needed."""

    binary: str
    profile: Path

    def run(self, *args: str) -> subprocess.CompletedProcess[bytes]:
        """Run the browser with `args`; kill its whole process group if it outlives the timeout."""
        cmd = [self.binary, *_FLAGS, f"--user-data-dir={self.profile}", *args]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=BROWSER_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            pytest.fail(f"chromium did not finish within {BROWSER_TIMEOUT} s: {' '.join(args)}")
        if proc.returncode != 0:
            pytest.fail(f"chromium exited with {proc.returncode}: {err.decode(errors='replace')[-2000:]}")
        return subprocess.CompletedProcess(cmd, proc.returncode, out, err)

    def dump_dom(self, page: Path) -> str:
        """The DOM of a local HTML file after it has loaded, serialised as HTML."""
        return self.run("--dump-dom", page.resolve().as_uri()).stdout.decode("utf-8")

    def screenshot(self, page: Path, png: Path, width: int = 1400, height: int = 2000) -> Path:
        """A PNG screenshot of a local HTML file at the given window size."""
        self.run(f"--screenshot={png}", f"--window-size={width},{height}", page.resolve().as_uri())
        return png


def _find_chromium() -> str | None:
    for candidate in (os.environ.get("PERFEVAL_CHROMIUM"), "chromium", "chromium-browser", "/usr/bin/chromium"):
        if candidate and (found := shutil.which(candidate)):
            return found
    return None


@pytest.fixture
def chromium(tmp_path: Path) -> Iterator[Chromium]:
    """Headless Chromium with a fresh profile; skipped when missing, except under CI where that fails."""
    binary = _find_chromium()
    if binary is None:
        reason = "headless Chromium not found (install chromium, or set PERFEVAL_CHROMIUM to its path)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI is set, so browser tests must run")
        pytest.skip(reason)
    profile = tmp_path / "chromium-profile"
    profile.mkdir()
    yield Chromium(binary, profile)
