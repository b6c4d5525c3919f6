"""Benchmark: tokenizing a corpus with rank-retrieve's Tokenizer and with bm25s.tokenize.

DESIGN.md section 8: bm25s is timed in the same run, on the same texts, on the same machine, and
the script prints medians and ratios (bm25s median / rank-retrieve median). It is a script, not a
test: nothing here asserts a speed.

Run from the repository root (needs ``bm25s`` and ``PyStemmer``)::

    python packages/rank-retrieve/benchmarks/bench_tokenize.py
    python packages/rank-retrieve/benchmarks/bench_tokenize.py --repeats 9 --scale 4

The corpus is SciFact's (``scifact/corpus.jsonl`` in ``shared/data`` beside the checkout or in
``$RANK_SHARED_DATA``; or ``--corpus``), one text per
document: ``title + " " + text``; ``--scale N`` repeats it N times (a bigger corpus with the
same vocabulary).

What is timed (``time.perf_counter``), for each setting (stopwords: English or none; stemmer:
Snowball English or none), from the list of texts to term ids and a vocabulary:

- rank-retrieve: ``Tokenizer(stopwords="english" | None, stemmer="english" | None).encode(texts)``;
- bm25s: ``bm25s.tokenize(texts, stopwords="en" | None, stemmer=Stemmer.Stemmer("english") |
  None, return_ids=True, show_progress=False)``.

Both split with ``(?u)\\b\\w\\w+\\b`` after lowercasing and use the same 33 English stopwords;
before timing, the script checks that they give the same tokens for every document.

- first call: rank-retrieve's first ``encode`` in this process (numba kernels loaded from the
  on-disk cache or compiled, and the ``\\w`` table built) is reported on its own;
- warm: ``--repeats`` rounds, the two libraries interleaved within each round; medians;
- cold start (``--no-cold`` to skip): ``--cold-repeats`` fresh interpreters, each timing
  ``import rank_retrieve`` and the first ``Tokenizer().encode(texts)``, with numba's cache warm.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHARED_DATA = Path(
    os.environ.get("RANK_SHARED_DATA") or Path(__file__).resolve().parents[4] / "shared" / "data"
)
DEFAULT_CORPUS = SHARED_DATA / "scifact" / "corpus.jsonl"


def read_texts(path: Path) -> list[str]:
    with path.open(encoding="utf-8") as lines:
        return [record["title"] + " " + record["text"] for record in map(json.loads, lines)]


def seconds(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def cold_start(corpus: Path, scale: int) -> float:
    """Seconds for ``import rank_retrieve`` and the first encode, in a fresh interpreter."""
    script = f"""
import json, sys, time
texts = [r["title"] + " " + r["text"] for r in map(json.loads, open({str(corpus)!r}, encoding="utf-8"))] * {scale}
start = time.perf_counter()
from rank_retrieve.tokenize import Tokenizer
Tokenizer().encode(texts, show_progress=False)
print(time.perf_counter() - start)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"the cold-start interpreter failed:\n{result.stderr}")
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS, help="a BEIR corpus.jsonl")
    parser.add_argument("--scale", type=int, default=1, help="repeat the corpus this many times")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--cold-repeats", type=int, default=3)
    parser.add_argument("--no-cold", action="store_true")
    args = parser.parse_args()

    import bm25s
    import numba
    import Stemmer

    from rank_retrieve.tokenize import Tokenizer

    texts = read_texts(args.corpus) * args.scale
    n_chars = sum(map(len, texts))
    print(
        f"corpus: {args.corpus} x{args.scale}: {len(texts):,} documents, {n_chars / 1e6:.1f} M characters"
    )
    print(
        f"python {platform.python_version()}, numba {numba.__version__} ({numba.get_num_threads()} threads), "
        f"bm25s {bm25s.__version__}, {os.cpu_count()} CPUs"
    )

    first = seconds(lambda: Tokenizer().encode(texts, show_progress=False))
    print(f"rank-retrieve's first encode in this process: {first:.3f} s")

    settings = [("english", None), (None, None), ("english", "english"), (None, "english")]
    rows = []
    for stopwords, stemmer in settings:
        ours = Tokenizer(stopwords=stopwords, stemmer=stemmer)

        def run_ours(tokenizer: Tokenizer = ours) -> Any:
            return tokenizer.encode(texts, show_progress=False)

        def run_bm25s(
            stopwords: str | None = stopwords, stemmer: str | None = stemmer, tokens: bool = False
        ) -> Any:
            return bm25s.tokenize(
                texts,
                stopwords="en" if stopwords else None,
                stemmer=Stemmer.Stemmer(stemmer) if stemmer else None,
                return_ids=not tokens,
                show_progress=False,
            )

        if ours.tokenize(texts) != run_bm25s(tokens=True):
            raise SystemExit(f"token streams differ for stopwords={stopwords}, stemmer={stemmer}")
        run_ours()
        ours_times, bm25s_times = [], []
        for _ in range(args.repeats):
            ours_times.append(seconds(run_ours))
            bm25s_times.append(seconds(run_bm25s))
        rows.append(
            (stopwords, stemmer, statistics.median(ours_times), statistics.median(bm25s_times))
        )

    print(f"\nwarm, median of {args.repeats} (same tokens checked first)")
    print(f"{'stopwords':<10} {'stemmer':<8} {'rank-retrieve':>14} {'bm25s':>9} {'ratio':>7}")
    for stopwords, stemmer, ours_median, bm25s_median in rows:
        print(
            f"{stopwords or '-':<10} {stemmer or '-':<8} {ours_median * 1e3:>11.1f} ms "
            f"{bm25s_median * 1e3:>6.0f} ms {bm25s_median / ours_median:>6.1f}x"
        )

    if not args.no_cold:
        cold = [cold_start(args.corpus, args.scale) for _ in range(args.cold_repeats)]
        print(
            f"\ncold start (fresh interpreter: import + first encode, numba cache warm), "
            f"median of {args.cold_repeats}: {statistics.median(cold):.3f} s"
        )


if __name__ == "__main__":
    main()
