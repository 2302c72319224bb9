"""The README's examples work as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_python_api_example_runs_and_prints_what_its_comments_say() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", readme, re.S)
    assert block is not None
    out = subprocess.run(
        [sys.executable, "-c", block.group(1)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["94.09 优", "0.89"]


def test_quick_start_evaluates_the_bundled_example_under_cn_mof_2020() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    shell = re.search(r"```sh\n(.*?)```", quick_start, re.S)
    assert shell is not None
    commands = [line for line in shell.group(1).splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert commands[-1] == "bash .ci/run"
    assert (
        "perfeval evaluate examples/xinhong-community-party-building.tsv --rules cn-mof-2020 -o report.html"
        in (commands[0])
    )
    assert (ROOT / "examples/xinhong-community-party-building.tsv").is_file()
