"""perfeval-rules against the plain-Python floor and zen-engine, and the CLI batch path; prints one table.

    python3 benchmarks/run.py [--forms 500] [--rounds 7] [--cli-forms 1000] [--memory-forms 10000]
                              [--runs 5] [--large-runs 5] [--quick]

The CLI rows time `perfeval evaluate DIR --rules cn-mof-2020 -o OUT.json --no-trace` (every form's scores
and findings in one JSON array) against a minimal script that writes the totals of the same files.

Run on demand from the repository root, never as a timed test. Needs `pip install '.[bench]'` for
zen-engine (the row is skipped without it). Throughput rounds alternate between the engines, so that
machine noise hits all of them alike, and the median is reported. Every engine's totals are checked to
be equal, exactly, as Decimal strings at 2 places, before any figure is printed.

(a) perfeval: `evaluate(ruleset, form, trace=False)` over Form objects built from the raw strings. The
    engine's memos start cold in the first round and are kept after it, as in one long batch; the
    first round's figure is printed too.
(b) floor: the same rule hand-written with regexes (benchmarks/floor.py), no findings.
(c) zen-engine: one compiled expression scoring each row from pre-parsed numbers (parsing not timed).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import floor
import generate

from perfeval_rules import evaluate, load_ruleset
from perfeval_rules.engine import scoring
from perfeval_rules.forms.model import Form
from perfeval_rules.notation import parser as notation_parser

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CENT = Decimal("0.01")

# --- (a) perfeval --------------------------------------------------------------------------------


def cold_start() -> None:
    """Forget every memo of the engine and the notation parser (the rule set stays loaded)."""
    scoring._PLANS.clear()
    notation_parser.clear_cache()


def run_perfeval(forms: list[Form]) -> list[Decimal]:
    """Totals of `forms` under cn-mof-2020, findings on, traces off."""
    ruleset = load_ruleset("cn-mof-2020")
    return [evaluate(ruleset, form, trace=False).total for form in forms]


# --- (b) plain Python ----------------------------------------------------------------------------


def floor_input(form: Form) -> tuple[list[tuple[str, str, Decimal, Decimal | None]], Decimal, Decimal]:
    """The raw strings and numbers the floor reads, taken from the form as filed."""
    rows = [(i.target_text, i.actual_text, i.weight, i.reported_score) for i in form.indicators]
    total = form.funds[0]
    assert total.budget is not None and total.executed is not None
    assert all(w is not None for _, _, w, _ in rows)
    return rows, total.budget, total.executed  # type: ignore[return-value]


def run_floor(inputs: list[Any]) -> list[Decimal]:
    """Totals by the hand-written rule."""
    return [floor.score_form(rows, budget, executed) for rows, budget, executed in inputs]


# --- (c) zen-engine ------------------------------------------------------------------------------

ZEN_ROW = (
    "tier != null ? (r == null ? round(dflt * w, 2) : "
    "(r >= lo * w and (r < hi * w or (hinc and r == hi * w)) ? r : "
    "(r <= lo * w ? ceil(lo * w * 100) / 100 : "
    "(hinc ? floor(hi * w * 100) / 100 : ceil(hi * w * 100) / 100 - 0.01)))) : "
    "((rev ? b <= a : b >= a) ? w : round(max([0, min([(rev ? a / b : b / a) * w, w])]), 2))"
)
ZEN_BUDGET = "round(min([e / bud, 1]) * 10, 2)"


def zen_input(form: Form) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Pre-parsed numbers for zen-engine (done before timing): one context per row, one for the budget."""
    rows = []
    for target, actual, weight, reported in floor_input(form)[0]:
        context: dict[str, Any] = {"w": float(weight), "r": None if reported is None else float(reported)}
        context.update(tier=None, lo=0, hi=0, hinc=False, dflt=0, a=None, b=None, rev=False)
        t, b = floor.read(target), floor.read(actual)
        tier = floor.tier_of(target, actual) if t is None else None if b is not None else floor.TIERS.get(actual)
        if tier is not None:
            lo, hi, hinc, dflt = floor.BANDS[tier]
            context.update(tier=tier, lo=float(lo), hi=float(hi), hinc=hinc, dflt=float(dflt))
        else:
            assert t is not None and b is not None
            context.update(a=float(t[1]), b=float(b[1]), rev=t[0] in ("≤", "<"))
        rows.append(context)
    total = form.funds[0]
    assert total.budget is not None and total.executed is not None
    return rows, {"e": float(total.executed), "bud": float(total.budget)}


def run_zen(inputs: list[Any], row: Any, budget: Any) -> list[Decimal]:
    """Totals from zen-engine's per-row scores (floats back to 2-place Decimals, summed exactly)."""
    totals = []
    for rows, money in inputs:
        total = Decimal(repr(budget.evaluate(money))).quantize(CENT)
        for context in rows:
            total += Decimal(repr(row.evaluate(context))).quantize(CENT)
        totals.append(total.quantize(CENT, ROUND_HALF_UP))
    return totals


# --- CLI -----------------------------------------------------------------------------------------

MINIMAL = '''\
"""Read TSV forms, score them with the hand-written rule, write one JSON array of totals."""
import json, sys
from decimal import Decimal
from pathlib import Path
sys.path.insert(0, {here!r})
import floor
out = []
for path in sorted(Path(sys.argv[1]).glob("*.tsv")):
    rows, budget, executed, inside = [], None, None, False
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = line.split("\\t")
        if "年度资金总额" in cells:
            budget, executed = Decimal(cells[4]), Decimal(cells[5])
        elif "年度指标值" in cells:
            inside = True
        elif inside and len(cells) > 6 and cells[2] and cells[3]:
            rows.append((cells[3], cells[4], Decimal(cells[5]), Decimal(cells[6]) if cells[6] else None))
    total = floor.score_form(rows, budget, executed)
    out.append({{"file": path.name, "total": str(total)}})
Path(sys.argv[2]).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
'''


CLI_OK = (0, 1)  # 1: findings reached --fail-on or some forms failed; still a complete run


# A small launcher process runs each command and reports its wall time and peak RSS. Started straight
# from this (large) benchmark process, a child's ru_maxrss would count the pages it shares with it
# between fork and exec.
LAUNCHER = """
import os, subprocess, sys, time
start = time.perf_counter()
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
_, status, usage = os.wait4(child.pid, 0)
seconds = time.perf_counter() - start
sys.stderr.write(child.stderr.read().decode())
print(seconds, usage.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


# Commands run as they do once installed, from compiled bytecode (pip compiles it at install time): an
# environment that asks Python never to write bytecode would have every run compile perfeval anew.
CHILD_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def timed_child(argv: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, int]:
    """Wall seconds and peak RSS (KiB) of one command run by the launcher; it must succeed."""
    done = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *argv], cwd=ROOT, env=CHILD_ENV, capture_output=True, text=True
    )
    if done.returncode not in ok:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
    seconds, rss = done.stdout.split()
    return float(seconds), int(rss)


def perfeval_cli(folder: Path, out: Path, extra: tuple[str, ...] = ("--no-trace",)) -> list[str]:
    """The command line of a batch run: every form's scores and findings as one JSON array, by default lean."""
    return [sys.executable, "-m", "perfeval_rules", "evaluate", str(folder), "--rules", "cn-mof-2020",
            "-o", str(out), "--format", "json", *extra]  # fmt: skip


def cli_totals(out: Path) -> list[str]:
    """Totals in the order of the forms from a perfeval batch output (a JSON array, or a folder of them)."""
    data = json.loads(out.read_text(encoding="utf-8"))
    return [str(Decimal(str(item["total"])).quantize(CENT)) for item in data]


# --- the table -----------------------------------------------------------------------------------


def interleaved(runs: dict[str, Callable[[int], list[Decimal]]], rounds: int) -> dict[str, list[float]]:
    """CPU seconds per round of each run (given the round), alternating the order every round; checks totals.

    CPU time of this process, not wall time: other work on a shared machine then costs less precision.
    """
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for r in range(rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        reference: list[str] | None = None
        for name in order:
            start = time.process_time()
            totals = runs[name](r)
            seconds[name].append(time.process_time() - start)
            shown = [str(t.quantize(CENT, ROUND_HALF_UP)) for t in totals]
            if reference is None:
                reference = shown
            elif shown != reference:
                bad = next(i for i, (a, b) in enumerate(zip(shown, reference, strict=True)) if a != b)
                raise SystemExit(f"{name}: total of form {bad} is {shown[bad]}, others give {reference[bad]}")
    return seconds


def verdict(ok: bool) -> str:
    """MET or NOT MET."""
    return "MET" if ok else "NOT MET"


def main() -> None:
    """Run everything and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", type=int, default=500, help="forms per API round")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--cli-forms", type=int, default=1000)
    parser.add_argument("--memory-forms", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5, help="interleaved runs of each command on the CLI forms")
    parser.add_argument("--large-runs", type=int, default=5, help="interleaved runs of each command on the large batch")
    parser.add_argument("--quick", action="store_true", help="small sizes, to check the benchmark itself runs")
    parser.add_argument("--api-only", action="store_true", help="only the API rows (no CLI, no memory)")
    args = parser.parse_args()
    if args.quick:
        args.forms, args.rounds, args.cli_forms, args.memory_forms, args.runs, args.large_runs = 40, 3, 40, 80, 1, 1

    # Every round evaluates the next slice of the portfolio (new forms, the same kinds of strings), so
    # perfeval's memos see new rows as a long batch would, not the same forms again.
    specs = list(generate.specs(args.forms * args.rounds))
    slices = [specs[r * args.forms : (r + 1) * args.forms] for r in range(args.rounds)]
    forms = [[generate.to_form(s) for s in part] for part in slices]
    rows = sum(len(f.indicators) for f in forms[0])
    floor_inputs = [[floor_input(f) for f in part] for part in forms]
    runs: dict[str, Callable[[int], list[Decimal]]] = {
        "perfeval evaluate(trace=False)": lambda r: run_perfeval(forms[r]),
        "plain Python + regex (floor)": lambda r: run_floor(floor_inputs[r]),
    }
    try:
        import zen

        zen_inputs = [[zen_input(f) for f in part] for part in forms]
        zen_row, zen_budget = zen.compile_expression(ZEN_ROW), zen.compile_expression(ZEN_BUDGET)
        runs["zen-engine compiled expression"] = lambda r: run_zen(zen_inputs[r], zen_row, zen_budget)
    except ImportError:
        print("zen-engine not installed (pip install '.[bench]'): its row is skipped", file=sys.stderr)
    for r in range(args.rounds):
        expected = [str(s.total) for s in slices[r]]
        assert [str(t) for t in run_floor(floor_inputs[r])] == expected, "the floor disagrees with the generator"
    load_ruleset("cn-mof-2020")
    cold_start()
    seconds = interleaved(runs, args.rounds)
    rate = {name: rows / statistics.median(s) for name, s in seconds.items()}

    lines = [
        f"perfeval-rules benchmark, {datetime.date.today().isoformat()}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores",
        "",
        f"API: {args.forms} new forms x {rows // args.forms} rows per round, {args.rounds} interleaved rounds, median",
        f"  {'engine':<36}{'rows per CPU second':>20}",
    ]
    lines += [f"  {name:<36}{r:>20,.0f}" for name, r in rate.items()]
    cold = rows / seconds["perfeval evaluate(trace=False)"][0]
    lines.append(f"  {'(perfeval, first round: cold memos)':<36}{cold:>20,.0f}")
    ours, flo = rate["perfeval evaluate(trace=False)"], rate["plain Python + regex (floor)"]
    targets = [("floor / perfeval <= 3", flo / ours, flo / ours <= 3)]
    if "zen-engine compiled expression" in rate:
        z = rate["zen-engine compiled expression"]
        targets.insert(0, ("perfeval / zen-engine >= 1", ours / z, ours >= z))

    if not args.api_only:
        lines += cli_rows(args, targets)
    lines += ["", "Targets"]
    lines += [f"  {name:<36}{value:>8.2f}   {verdict(ok)}" for name, value, ok in targets]
    print("\n".join(lines))


def cli_rows(args: argparse.Namespace, targets: list[tuple[str, float, bool]]) -> list[str]:
    """Time the CLI batch against the minimal script, --jobs 2 against 1, and peak memory at two sizes.

    The timed runs use --no-trace: like the minimal script, they write what each form scored, not the
    prose explaining every step. The run with traces is printed beside them. Every timed command runs
    several times, interleaved with the others, and the median counts: one run on a shared machine is
    easily disturbed. --jobs is judged on the large portfolio, where start-up (which no second process
    can share) no longer hides what the workers do; its figure on the small one is printed too.
    """
    lines: list[str] = []
    with tempfile.TemporaryDirectory(prefix="perfeval-bench-") as tmp:
        base = Path(tmp)
        small = base / "forms-small"
        generate.write(small, args.cli_forms)
        script = base / "minimal.py"
        script.write_text(MINIMAL.format(here=str(HERE)), encoding="utf-8")
        timed_child(perfeval_cli(small, base / "warm-up.json"), CLI_OK)  # writes the bytecode, fills the caches
        t_mins, t_clis, t_jobs_smalls, rss_smalls = [], [], [], []
        for _ in range(args.runs):
            t_mins.append(timed_child([sys.executable, str(script), str(small), str(base / "minimal.json")])[0])
            seconds, rss = timed_child(perfeval_cli(small, base / "out-small.json"), CLI_OK)
            t_clis.append(seconds)
            rss_smalls.append(rss)
            t_jobs_smalls.append(jobs_2(small, base / "out-small.json"))
        t_min, t_cli, t_jobs_small = map(statistics.median, (t_mins, t_clis, t_jobs_smalls))
        rss_small = max(rss_smalls)
        minimal_totals = [str(Decimal(d["total"])) for d in json.loads((base / "minimal.json").read_text("utf-8"))]
        if cli_totals(base / "out-small.json") != minimal_totals:
            raise SystemExit("the CLI and the minimal script disagree on some total")
        t_traced, _ = timed_child(perfeval_cli(small, base / "out-traced.json", ()), CLI_OK)
        if cli_totals(base / "out-traced.json") != minimal_totals:
            raise SystemExit("the CLI with traces and the minimal script disagree on some total")
        lines += [
            "",
            f"CLI batch: {args.cli_forms:,} tabular forms, start-up included (median of {_runs(args.runs)})",
            f"  {'perfeval evaluate DIR --no-trace':<36}{t_cli:>10.2f} s",
            f"  {'minimal hand-written script':<36}{t_min:>10.2f} s",
            f"  {'perfeval evaluate DIR (with traces)':<36}{t_traced:>10.2f} s",
            f"  {'--no-trace --jobs 2':<36}{t_jobs_small:>10.2f} s   "
            f"(identical output; {t_cli / t_jobs_small:.2f}x --jobs 1)",
        ]
        targets.append(("CLI / minimal script <= 5", t_cli / t_min, t_cli <= 5 * t_min))
        shutil.rmtree(small)
        large = base / "forms-large"
        generate.write(large, args.memory_forms)
        t_larges, t_jobss, rss_larges = [], [], []
        for _ in range(args.large_runs):
            seconds, rss = timed_child(perfeval_cli(large, base / "out-large.json"), CLI_OK)
            t_larges.append(seconds)
            rss_larges.append(rss)
            t_jobss.append(jobs_2(large, base / "out-large.json"))
        t_large, t_jobs = map(statistics.median, (t_larges, t_jobss))
        rss_large = max(rss_larges)
        lines += [
            "",
            f"CLI batch: {args.memory_forms:,} tabular forms (median of {_runs(args.large_runs)})",
            f"  {'perfeval evaluate DIR --no-trace':<36}{t_large:>10.2f} s",
            f"  {'--no-trace --jobs 2':<36}{t_jobs:>10.2f} s   (identical output)",
            "",
            "Peak memory (ru_maxrss of the CLI process, --jobs 1, the largest of the runs)",
            f"  {args.cli_forms:>7,} forms{rss_small / 1024:>10.1f} MiB",
            f"  {args.memory_forms:>7,} forms{rss_large / 1024:>10.1f} MiB",
        ]
        targets.append((f"--jobs 1 / --jobs 2 >= 1.7 ({args.memory_forms:,})", t_large / t_jobs,
                        t_large >= 1.7 * t_jobs))  # fmt: skip
        targets.append((f"peak {args.memory_forms:,} / {args.cli_forms:,} forms <= 1.3", rss_large / rss_small,
                        rss_large <= 1.3 * rss_small))  # fmt: skip
    return lines


def _runs(count: int) -> str:
    return f"{count} run" if count == 1 else f"{count} runs"


def jobs_2(folder: Path, serial: Path) -> float:
    """Wall seconds of the lean batch over `folder` with --jobs 2; its output must be the bytes of `serial`."""
    parallel = serial.with_name("out-jobs2.json")
    seconds, _ = timed_child(perfeval_cli(folder, parallel, ("--no-trace", "--jobs", "2")), CLI_OK)
    if parallel.read_bytes() != serial.read_bytes():
        raise SystemExit("--jobs 2 wrote other bytes than --jobs 1")
    return seconds


if __name__ == "__main__":
    main()
