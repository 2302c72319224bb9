"""How fast tabular forms are imported: generated TSV forms per second through `load_forms`, and the seed.

Run on demand from the repository root: `python3 benchmarks/bench_import.py [--count 1000] [--passes 5]`.
Not a test. The forms are those of `benchmarks/generate.py` (about 60 indicator rows each), imported with
the cn-mof-2020 vocabulary as the batch does. A machine shared with other work makes single passes noisy:
besides each pass, the script reports the sum over files of each file's fastest import. The first pass
runs with cold memos (as the CLI does, once over its forms; the files are in the page cache, just written).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from generate import write

from perfeval_rules.batch import import_options
from perfeval_rules.forms import load_forms
from perfeval_rules.ruleset import load_ruleset

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "xinhong-community-party-building.tsv"


def main() -> None:
    """Import the generated forms several times over and print forms per second."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="generated forms (default 1000)")
    parser.add_argument("--passes", type=int, default=5, help="passes over all forms (default 5)")
    args = parser.parse_args()
    options = import_options(load_ruleset("cn-mof-2020"))
    with tempfile.TemporaryDirectory() as folder:
        files = write(Path(folder), args.count)
        start = time.perf_counter()
        for path in files:  # one pass with cold memos, as the CLI makes it; it warms them for the passes below
            load_forms(path, **options)
        seconds = time.perf_counter() - start
        print(f"cold pass: {len(files) / seconds:,.0f} forms/s ({seconds / len(files) * 1000:.3f} ms/form)")
        fastest = [float("inf")] * len(files)
        for n in range(args.passes):
            start = time.perf_counter()
            for i, path in enumerate(files):
                began = time.perf_counter()
                load_forms(path, **options)
                fastest[i] = min(fastest[i], time.perf_counter() - began)
            seconds = time.perf_counter() - start
            print(f"pass {n + 1}: {len(files) / seconds:,.0f} forms/s ({seconds / len(files) * 1000:.3f} ms/form)")
        best = sum(fastest)
        print(f"fastest of each: {len(files) / best:,.0f} forms/s ({best / len(files) * 1000:.3f} ms/form)")
    times = []
    for _ in range(300):
        began = time.perf_counter()
        load_forms(EXAMPLE, **options)
        times.append(time.perf_counter() - began)
    times.sort()
    print(f"seed example: {times[0] * 1000:.3f} ms fastest, {times[len(times) // 2] * 1000:.3f} ms median")


if __name__ == "__main__":
    main()
