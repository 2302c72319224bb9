"""Engine cost per form, as the CLI batch pays it: evaluate, then to_dict (or the batch's JSON element),
with traces off and on.

    python3 benchmarks/engine.py [--forms 500] [--rounds 7]

Run from the repository root. The forms are generated (benchmarks/generate.py, 60 rows each) and
evaluated once before timing, so the memos are warm as in a long batch; each figure is the best
round's CPU time per form. The CLI budget per form is evaluate + to_dict <= 0.4 ms (docs/scale.md). A JSON
batch (`perfeval evaluate DIR -o out.json`) pays evaluate + json_element, which prints the element itself.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import generate

from perfeval_rules import _json, evaluate, load_ruleset


def best(run: Callable[[], None], rounds: int) -> float:
    """The least CPU seconds of `rounds` runs."""
    seconds = []
    for _ in range(rounds):
        start = time.process_time()
        run()
        seconds.append(time.process_time() - start)
    return min(seconds)


def main() -> None:
    """Time the four combinations and print microseconds per form."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    ruleset = load_ruleset("cn-mof-2020")
    forms = [generate.to_form(s) for s in generate.specs(args.forms)]
    for form in forms:
        evaluate(ruleset, form, trace=False)
        evaluate(ruleset, form, trace=True)

    def each(trace: bool, then: str = "") -> Callable[[], None]:
        def run() -> None:
            for form in forms:  # each result dropped at once, as the batch does once it is written
                result = evaluate(ruleset, form, trace=trace)
                if then == "to_dict":
                    result.to_dict()
                elif then == "element":
                    _json.element(result.to_dict())
                elif then == "json_element":  # the same bytes as "element"
                    result.json_element()

        return run

    runs = {
        "evaluate(trace=False)": each(False),
        "evaluate(trace=False).to_dict()": each(False, "to_dict"),
        "_json.element(evaluate(trace=False).to_dict())": each(False, "element"),
        "evaluate(trace=False).json_element()": each(False, "json_element"),
        "evaluate(trace=True)": each(True),
        "evaluate(trace=True).to_dict()": each(True, "to_dict"),
        "_json.element(evaluate(trace=True).to_dict())": each(True, "element"),
        "evaluate(trace=True).json_element()": each(True, "json_element"),
    }
    rows = sum(len(f.indicators) for f in forms) / len(forms)
    print(f"{args.forms} forms of {rows:.0f} rows, warm memos, best of {args.rounds} rounds")
    for name, run in runs.items():
        per_form = best(run, args.rounds) / len(forms) * 1e6
        print(f"  {name:<48}{per_form:>8.0f} µs per form")


if __name__ == "__main__":
    main()
