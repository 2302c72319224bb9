"""How fast targets and actuals are read: texts per second, cold and with the memo cache.

Run on demand from the repository root: `python3 benchmarks/bench_notation.py`. Not a test.
The corpus is the example form's targets and actuals plus generated variants (other numbers,
full-width glyphs, spacing, word operators), repeated the way real batches repeat strings.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from perfeval_rules.notation import default_vocabulary, parse
from perfeval_rules.notation import parser as notation_parser

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "xinhong-community-party-building.tsv"

TEMPLATES = [
    "≥{n}(人)",
    "={n}(%)",
    "＞＝{n}％",
    "不少于{n}种",
    "{n}%以上",
    "全年不少于{n}次",
    "{n}个月",
    "≤{n}万元",
    "{n} 人",
    "{a}%-{b}%",
    "{m}月前",
    "2023年{m}月底前完成",
    "较上年提高{n}%",
]
WORDS = ["及时", "健全", "有效", "提高", "较上一年度提高", "达成指标", "部分达成指标并具有一定效果", "已完成", "—", ""]


def example_texts() -> list[tuple[str, str]]:
    """(text, as) for the target and actual cells of the example form."""
    out: list[tuple[str, str]] = []
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        cells = line.split("\t")
        for i in range(len(cells) - 3):
            if cells[i] and cells[i + 1] and cells[i + 2].replace(".", "").isdigit() and "." in cells[i + 2]:
                out += [(cells[i], "target"), (cells[i + 1], "actual")]
                break
    return out


def corpus(size: int, seed: int = 2020) -> list[tuple[str, str]]:
    """A corpus of `size` texts: the example's cells, generated variants and qualitative words."""
    rng = random.Random(seed)
    base = example_texts()
    texts: list[tuple[str, str]] = []
    while len(texts) < size:
        roll = rng.random()
        if roll < 0.4:
            texts.append(rng.choice(base))
        elif roll < 0.85:
            n = rng.choice(["90", "100.00", "3500", "2.38", "215,457.6", str(rng.randint(1, 99999))])
            a, b = sorted(rng.sample(range(0, 101), 2))
            text = rng.choice(TEMPLATES).format(n=n, a=a, b=b, m=rng.randint(1, 12))
            texts.append((text, rng.choice(["target", "actual"])))
        else:
            texts.append((rng.choice(WORDS), rng.choice(["target", "actual"])))
    return texts


def rate(texts: list[tuple[str, str]], *, clear_each: bool) -> float:
    """Texts parsed per second."""
    vocabulary = default_vocabulary()
    notation_parser.clear_cache()
    start = time.perf_counter()
    for text, as_ in texts:
        if clear_each:
            notation_parser.clear_cache()
        parse(text, vocabulary, as_="actual" if as_ == "actual" else "target")
    return len(texts) / (time.perf_counter() - start)


def main() -> None:
    """Print the rates."""
    texts = corpus(20000)
    parse("≥1", default_vocabulary())  # build the parser once, outside the timings
    distinct = len(set(texts))
    print(f"corpus: {len(texts)} texts, {distinct} distinct")
    print(f"cold (cache cleared before every text): {rate(texts, clear_each=True):>10,.0f} texts/s")
    print(f"memoised (cache kept across the batch):  {rate(texts, clear_each=False):>10,.0f} texts/s")
    info = notation_parser.cache_info()
    print(f"cache: {info.hits} hits, {info.misses} misses, {info.currsize}/{info.maxsize} entries")


if __name__ == "__main__":
    main()
