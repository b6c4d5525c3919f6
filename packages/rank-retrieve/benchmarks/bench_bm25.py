"""rank-retrieve's BM25 against bm25s (numba backend) and rank_bm25, in one run, on one machine.

    python packages/rank-retrieve/benchmarks/bench_bm25.py                 # SciFact, Vaswani, 1M synthetic
    python packages/rank-retrieve/benchmarks/bench_bm25.py --synthetic-docs 200000 --repeats 3

Per corpus and library, each measurement runs in a fresh subprocess (so peak memory is that
library's own):
- index: seconds from raw texts to a searchable index, tokenisation included (both tokenise with
  lowercasing, the ``\\w\\w+`` pattern and the same 33-word English stopword list), and the
  peak memory growth while building (RSS sampled every 2 ms);
- search: queries per second at k=10 and k=1000 with 1 and 2 threads, from query texts (the
  library's own tokeniser included) and from pre-tokenised queries (retrieval alone);
- mmap: RSS of a fresh process after loading the saved index memory-mapped and after one search;
- scores: the largest difference between the two libraries' top-10 scores (same tokens, float32).
rank_bm25 has no index to save and scores every document in Python per query: it is timed on
SciFact and Vaswani only, on a query subset. Medians of ``--repeats`` runs; ratios are
other / rank-retrieve time (above 1: rank-retrieve is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve()
DATA = HERE.parents[3].parent / "shared" / "data"
WORDS = re.compile(r"(?u)\b\w\w+\b")


# ---------------------------------------------------------------------------------- corpora


def load_corpus(name: str, synthetic_docs: int) -> tuple[list[str], list[str]]:
    """(documents, queries) as texts."""
    sys.path.insert(0, str(HERE.parents[1] / "tests"))
    import shared_collections

    if name == "synthetic":
        return synthetic(synthetic_docs)
    collection = shared_collections.load(name)
    return collection.corpus.texts, collection.queries.texts


def synthetic(n_docs: int, vocabulary: int = 200_000, mean_length: int = 60, n_queries: int = 1000):
    """Zipf-distributed words over a fixed vocabulary, document lengths Poisson around 60."""
    rng = np.random.default_rng(42)
    words = np.array([f"w{i}x" for i in range(vocabulary)])
    probabilities = 1.0 / np.arange(1, vocabulary + 1) ** 1.07
    probabilities /= probabilities.sum()
    lengths = np.maximum(1, rng.poisson(mean_length, n_docs))
    tokens = words[rng.choice(vocabulary, size=int(lengths.sum()), p=probabilities)]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    documents = [" ".join(tokens[bounds[i] : bounds[i + 1]]) for i in range(n_docs)]
    query_lengths = rng.integers(2, 8, n_queries)
    queries = [" ".join(words[rng.choice(vocabulary, size=n, p=probabilities)]) for n in query_lengths]
    return documents, queries


# ---------------------------------------------------------------------------------- one measurement


def current_rss_mb() -> float:
    with Path("/proc/self/statm").open() as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


class PeakMemory:
    """The largest RSS growth over the starting RSS while the block runs (sampled every 2 ms):
    the index build's own memory, whatever the process held before."""

    def __enter__(self) -> PeakMemory:
        self.start = current_rss_mb()
        self.peak = self.start
        self.running = True
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()
        return self

    def _sample(self) -> None:
        while self.running:
            self.peak = max(self.peak, current_rss_mb())
            time.sleep(0.002)

    def __exit__(self, *exc: object) -> None:
        self.running = False
        self.sampler.join()
        self.growth_mb = max(self.peak, current_rss_mb()) - self.start


def median_seconds(function, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def measure(library: str, corpus_name: str, options: dict) -> dict:
    """Runs inside the subprocess: index, search, save; returns the figures."""
    documents, queries = load_corpus(corpus_name, options["synthetic_docs"])
    repeats = options["repeats"]
    index_repeats = options["index_repeats"]
    out: dict = {"docs": len(documents), "queries": len(queries)}
    query_tokens = [WORDS.findall(q.lower()) for q in queries]
    if library == "rank-retrieve":
        from rank_retrieve import BM25, Tokenizer

        BM25().index(documents[:100])  # compile or load the numba cache before timing
        build = lambda: BM25(tokenizer=Tokenizer(stopwords="english")).index(documents, show_progress=False)  # noqa: E731
        with PeakMemory() as memory:  # the first build, before the allocator holds freed pages
            index = build()
        out["peak_rss_mb"] = memory.growth_mb
        out["index_s"] = median_seconds(build, index_repeats)
        query_tokens = [[t for t in q if index.document_frequency(t) > 0] or q for q in query_tokens]
        for k in (10, 1000):
            for threads in (1, 2):
                index.search(queries[:10], k=k, threads=threads)
                out[f"qps_text_k{k}_t{threads}"] = len(queries) / median_seconds(
                    lambda k=k, threads=threads: index.search(queries, k=k, threads=threads, show_progress=False),
                    repeats)
                out[f"qps_tokens_k{k}_t{threads}"] = len(queries) / median_seconds(
                    lambda k=k, threads=threads: index.search(query_tokens, k=k, threads=threads, show_progress=False),
                    repeats)
        scores_index = BM25().index([WORDS.findall(d.lower()) for d in documents])
        out["top10_scores"] = scores_index.search(query_tokens[:200], k=10).scores.tolist()
        with tempfile.TemporaryDirectory() as folder:
            index.save(folder)
            out["mmap"] = run_subprocess("mmap-rank-retrieve", corpus_name, {**options, "folder": folder})
    elif library == "bm25s":
        import bm25s

        def build():
            tokens = bm25s.tokenize(documents, stopwords="en", show_progress=False)
            retriever = bm25s.BM25(backend="numba")
            retriever.index(tokens, show_progress=False)
            return retriever

        build_small = bm25s.BM25(backend="numba")
        build_small.index(bm25s.tokenize(documents[:100], show_progress=False), show_progress=False)
        with PeakMemory() as memory:
            retriever = build()
        out["peak_rss_mb"] = memory.growth_mb
        out["index_s"] = median_seconds(build, index_repeats)
        known = retriever.vocab_dict
        query_tokens = [[t for t in q if t in known] or q for q in query_tokens]
        for k in (10, 1000):
            for threads in (1, 2):
                def from_text(k=k, threads=threads):
                    tokenized = bm25s.tokenize(queries, stopwords="en", show_progress=False)
                    retriever.retrieve(tokenized, k=k, n_threads=threads, show_progress=False)

                from_text()
                out[f"qps_text_k{k}_t{threads}"] = len(queries) / median_seconds(from_text, repeats)
                out[f"qps_tokens_k{k}_t{threads}"] = len(queries) / median_seconds(
                    lambda k=k, threads=threads: retriever.retrieve(
                        query_tokens, k=k, n_threads=threads, show_progress=False), repeats)
        scores_index = bm25s.BM25(backend="numba")
        scores_index.index([WORDS.findall(d.lower()) for d in documents], show_progress=False)
        out["top10_scores"] = scores_index.retrieve(
            query_tokens[:200], k=10, show_progress=False, n_threads=1)[1].tolist()
        with tempfile.TemporaryDirectory() as folder:
            retriever.save(folder)
            out["mmap"] = run_subprocess("mmap-bm25s", corpus_name, {**options, "folder": folder})
    elif library == "rank_bm25":
        import rank_bm25

        tokens = [WORDS.findall(d.lower()) for d in documents]
        with PeakMemory() as memory:
            okapi = rank_bm25.BM25Okapi(tokens)
        out["peak_rss_mb"] = memory.growth_mb
        out["index_s"] = median_seconds(lambda: rank_bm25.BM25Okapi(tokens), 1)
        subset = query_tokens[: options["rank_bm25_queries"]]

        def search_top(k):
            for query in subset:
                np.argsort(-okapi.get_scores(query), kind="stable")[:k]

        for k in (10, 1000):
            out[f"qps_tokens_k{k}_t1"] = len(subset) / median_seconds(lambda k=k: search_top(k), 1)
    elif library == "mmap-rank-retrieve":
        from rank_retrieve import BM25

        before = current_rss_mb()
        index = BM25.load(options["folder"], mmap=True)
        out["rss_after_load_mb"] = current_rss_mb() - before
        index.search(queries, k=10)
        out["rss_after_search_mb"] = current_rss_mb() - before
    elif library == "mmap-bm25s":
        import bm25s

        before = current_rss_mb()
        retriever = bm25s.BM25.load(options["folder"], mmap=True)
        out["rss_after_load_mb"] = current_rss_mb() - before
        retriever.retrieve(bm25s.tokenize(queries, stopwords="en", show_progress=False), k=10, show_progress=False)
        out["rss_after_search_mb"] = current_rss_mb() - before
    return out


def run_subprocess(library: str, corpus_name: str, options: dict) -> dict:
    command = [sys.executable, str(HERE), "--measure", library, corpus_name, json.dumps(options)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{library} on {corpus_name} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------------- report


def report(corpus_name: str, results: dict) -> None:
    ours = results["rank-retrieve"]
    print(f"\n## {corpus_name}: {ours['docs']:,} docs, {ours['queries']:,} queries")
    print(f"{'figure':<28}" + "".join(f"{name:>16}" for name in results) + f"{'bm25s / ours':>16}")

    def row(label, key, better="lower", fmt="{:.3f}"):
        cells = [fmt.format(r[key]) if key in r else "-" for r in results.values()]
        ratio = ""
        if "bm25s" in results and key in results["bm25s"] and ours[key] > 0 and results["bm25s"][key] > 0:
            theirs = results["bm25s"][key]
            ratio = f"{(theirs / ours[key]) if better == 'lower' else (ours[key] / theirs):.2f}x"
        print(f"{label:<28}" + "".join(f"{c:>16}" for c in cells) + f"{ratio:>16}")

    row("index s (incl. tokenising)", "index_s")
    row("peak RSS MB (index)", "peak_rss_mb", fmt="{:.0f}")
    for kind in ("text", "tokens"):
        for k in (10, 1000):
            for threads in (1, 2):
                row(f"QPS {kind} k={k} {threads} thr", f"qps_{kind}_k{k}_t{threads}", better="higher", fmt="{:.0f}")
    for key in ("rss_after_load_mb", "rss_after_search_mb"):
        cells = [f"{r['mmap'][key]:.0f}" if "mmap" in r else "-" for r in results.values()]
        print(f"{'mmap ' + key[:-3].replace('_', ' ') + ' MB':<28}" + "".join(f"{c:>16}" for c in cells))
    if "bm25s" in results:
        difference = np.abs(np.asarray(ours["top10_scores"]) - np.asarray(results["bm25s"]["top10_scores"])).max()
        print(f"top-10 scores, largest |rank-retrieve - bm25s| (float32, 200 queries): {difference:.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpora", nargs="+", default=["scifact", "vaswani", "synthetic"])
    parser.add_argument("--synthetic-docs", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--index-repeats", type=int, default=None, help="default: --repeats (1 on synthetic)")
    parser.add_argument("--rank-bm25-queries", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the raw figures here")
    parser.add_argument("--measure", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        library, corpus_name, options = args.measure
        print(json.dumps(measure(library, corpus_name, json.loads(options))))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores; medians of {args.repeats} runs")
    everything = {}
    for corpus_name in args.corpora:
        libraries = ["rank-retrieve", "bm25s"] + ([] if corpus_name == "synthetic" else ["rank_bm25"])
        index_repeats = args.index_repeats or (1 if corpus_name == "synthetic" else args.repeats)
        options = {"synthetic_docs": args.synthetic_docs, "repeats": args.repeats,
                   "index_repeats": index_repeats, "rank_bm25_queries": args.rank_bm25_queries}
        results = {library: run_subprocess(library, corpus_name, options) for library in libraries}
        everything[corpus_name] = results
        if args.json:
            args.json.write_text(json.dumps(everything))
        report(corpus_name, results)


if __name__ == "__main__":
    main()
