"""Benchmark: exact dense search (DenseIndex) against numpy and faiss, and ANN search (ANNIndex).

DESIGN.md section 8: every method runs in the same process, on the same data, on the same
machine; the script prints medians of ``--repeats`` timed rounds and ratios. It is a script, not
a test: nothing here asserts a speed.

Run from the repository root (needs ``faiss-cpu``)::

    python packages/rank-retrieve/benchmarks/bench_dense.py           # 200,000 x 384, 1,000 queries
    python packages/rank-retrieve/benchmarks/bench_dense.py --docs 50000 --repeats 5

Data (``--seed``): ``--docs`` document and ``--queries`` query embeddings, float32, ``--dim``
dimensions, drawn around ``--clusters`` random centres (each vector is its centre plus Gaussian
noise of the same scale), since real embeddings are clustered and that is what ANN indexes are
built for; ``--clusters 0`` draws plain Gaussian vectors. The metric is cosine.

Methods, each asked for the top ``k`` (``--k``, default 10 and 100) of every query:

- ``DenseIndex``: ``DenseIndex(docs).search(queries, k)``: float32 matrix products over
  cache-sized tiles of documents (BLAS threads), each fed to the compiled top-k (one numba
  thread, the default); at more than one thread, also ``DenseIndex top-k threads=N``:
  ``search(..., threads=N)``, the top-k on N numba threads between the products;
- ``numpy``: the plain baseline on the same normalised vectors: normalise the queries, then per
  batch of queries (a score block of at most 256 MiB) ``q @ D.T``, ``np.argpartition`` and a
  sort of the ``k`` kept;
- ``faiss flat``: faiss's exact ``IndexFlatIP`` over the normalised vectors
  (``faiss.normalize_L2`` on a copy of the queries, then ``search``);
- ``ANNIndex``: ``ANNIndex(docs, m=--m, ef_construction=--ef-construction)``, searched with each
  ``--ef-search``; its build time and its recall@10 against DenseIndex are printed too.

Threads (``--threads``, default 1 and 2): each count runs in a fresh interpreter with
``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``NUMBA_NUM_THREADS`` set
to it, so BLAS, faiss's OpenMP and numba all use that many. In each, the first DenseIndex search
(numba's cached kernels loaded or compiled) is timed on its own; then every method runs once
untimed and ``--repeats`` times, the methods interleaved within each round. Results are checked
before timing: DenseIndex's ids against numpy's and faiss's (rows that differ only where
float32 scores tie are counted apart).
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
from importlib.metadata import version
from typing import Any

import numpy as np

SCORE_BLOCK_BYTES = 256 * 2**20  # the numpy baseline's bound on one batch's score block
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=200_000, help="documents in the index")
    parser.add_argument("--dim", type=int, default=384, help="embedding dimension")
    parser.add_argument("--queries", type=int, default=1_000, help="queries per search call")
    parser.add_argument("--k", type=int, nargs="+", default=[10, 100], help="result depths")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="thread counts")
    parser.add_argument("--repeats", type=int, default=5, help="timed rounds (medians reported)")
    parser.add_argument("--clusters", type=int, default=1_000, help="data centres (0: Gaussian)")
    parser.add_argument("--m", type=int, default=32, help="ANNIndex graph degree")
    parser.add_argument("--ef-construction", type=int, default=200)
    parser.add_argument("--ef-search", type=int, nargs="+", default=[128])
    parser.add_argument("--no-ann", action="store_true", help="skip ANNIndex (its build is slow)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--worker", type=int, metavar="THREADS", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [args.docs, args.dim, args.queries, args.repeats, args.m, args.ef_construction]
    if min(sizes + args.k + args.threads + args.ef_search) < 1 or args.clusters < 0:
        parser.error("sizes, k, threads, ef and repeats must be positive")
    return args


# ---------------------------------------------------------------------------------------- data


def make_data(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(args.seed)

    def draw(n: int) -> np.ndarray:
        noise = rng.standard_normal((n, args.dim), dtype=np.float32)
        if args.clusters == 0:
            return noise
        return centres[rng.integers(0, args.clusters, n)] + noise

    centres = rng.standard_normal((max(args.clusters, 1), args.dim), dtype=np.float32)
    return draw(args.docs), draw(args.queries)


def normalised(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


# ------------------------------------------------------------------------------------- methods


def numpy_search(doc_unit: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """The plain numpy baseline: per batch a product, ``argpartition`` and a sort of the top k."""
    n_docs = doc_unit.shape[0]
    query_unit = normalised(queries)
    rows = max(1, SCORE_BLOCK_BYTES // (n_docs * doc_unit.itemsize))
    out = np.empty((len(queries), k), dtype=np.int64)
    for start in range(0, len(queries), rows):
        scores = query_unit[start : start + rows] @ doc_unit.T
        kept = np.argpartition(scores, n_docs - k, axis=1)[:, n_docs - k :]
        kept_scores = np.take_along_axis(scores, kept, axis=1)
        order = np.argsort(-kept_scores, axis=1, kind="stable")
        out[start : start + rows] = np.take_along_axis(kept, order, axis=1)
    return out


def faiss_flat_search(faiss: Any, flat: Any, queries: np.ndarray, k: int) -> np.ndarray:
    query_unit = queries.copy()
    faiss.normalize_L2(query_unit)
    return flat.search(query_unit, k)[1]


def timed(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def tie_aware_agreement(
    ours: np.ndarray, theirs: np.ndarray, doc_unit: np.ndarray, query_unit: np.ndarray
) -> tuple[int, int]:
    """(rows with identical ids, rows that differ only among equal float32 scores)."""
    identical = tied = 0
    for row, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        if np.array_equal(a, b):
            identical += 1
            continue
        scores_a = doc_unit[a] @ query_unit[row]
        scores_b = doc_unit[b] @ query_unit[row]
        tied += int(np.allclose(np.sort(scores_a), np.sort(scores_b), rtol=0, atol=1e-6))
    return identical, tied


# -------------------------------------------------------------------------------------- worker


def worker(args: argparse.Namespace, threads: int) -> dict[str, Any]:
    """Every measurement at one thread count (this process's BLAS/OpenMP/numba threads)."""
    import faiss

    from rank_retrieve.ann import ANNIndex
    from rank_retrieve.dense import DenseIndex

    faiss.omp_set_num_threads(threads)
    docs, queries = make_data(args)
    report: dict[str, Any] = {"threads": threads, "build": {}, "first_call": {}, "search": []}

    start = time.perf_counter()
    dense = DenseIndex(docs)
    report["build"]["DenseIndex"] = time.perf_counter() - start
    doc_unit = normalised(docs)
    query_unit = normalised(queries)
    start = time.perf_counter()
    flat = faiss.IndexFlatIP(args.dim)
    flat.add(doc_unit)
    report["build"]["faiss flat"] = time.perf_counter() - start
    report["first_call"]["DenseIndex"] = timed(lambda: dense.search(queries[:10], 10))

    ann = None
    if not args.no_ann:
        start = time.perf_counter()
        ann = ANNIndex(docs, m=args.m, ef_construction=args.ef_construction, threads=threads)
        report["build"]["ANNIndex"] = time.perf_counter() - start

    for k in args.k:
        methods: dict[str, Callable[[], Any]] = {
            "DenseIndex": lambda k=k: dense.search(queries, k),
            "numpy": lambda k=k: numpy_search(doc_unit, queries, k),
            "faiss flat": lambda k=k: faiss_flat_search(faiss, flat, queries, k),
        }
        if threads > 1:
            methods[f"DenseIndex top-k threads={threads}"] = lambda k=k: dense.search(
                queries, k, threads=threads
            )
        ours = dense.search(queries, k).positions
        checks = {
            "numpy": tie_aware_agreement(
                ours, numpy_search(doc_unit, queries, k), doc_unit, query_unit
            ),
            "faiss flat": tie_aware_agreement(
                ours, faiss_flat_search(faiss, flat, queries, k), doc_unit, query_unit
            ),
        }
        recalls = {}
        if ann is not None:
            for ef in args.ef_search:
                name = f"ANNIndex ef={ef}"

                def ann_search(k: int = k, ef: int = ef) -> Any:
                    ann.ef_search = ef
                    return ann.search(queries, k, threads=threads)

                methods[name] = ann_search
                found = ann_search()
                recalls[name] = float(
                    np.mean(
                        [np.isin(f, t).mean() for f, t in zip(found.positions, ours, strict=True)]
                    )
                )
        for call in methods.values():
            call()  # untimed warm-up round
        times: dict[str, list[float]] = {name: [] for name in methods}
        for _ in range(args.repeats):
            for name, call in methods.items():
                times[name].append(timed(call))
        report["search"].append(
            {
                "k": k,
                "median": {name: statistics.median(values) for name, values in times.items()},
                "checks": checks,
                "recall": recalls,
            }
        )
    return report


# --------------------------------------------------------------------------------------- report


def machine_line() -> str:
    import rank_retrieve

    names = ("numpy", "numba", "faiss-cpu")
    versions = ", ".join(f"{name} {version(name)}" for name in names)
    return (
        f"machine: {platform.machine()}, {os.cpu_count()} cpus, python {platform.python_version()}, "
        f"{versions}, rank-retrieve {rank_retrieve.__version__}"
    )


def print_report(args: argparse.Namespace, reports: list[dict[str, Any]]) -> None:
    data = f"{args.clusters:,} clusters" if args.clusters else "Gaussian"
    print(
        f"dense search: {args.docs:,} docs x {args.dim} dims float32 ({data}), "
        f"{args.queries:,} queries, cosine; medians of {args.repeats} rounds"
    )
    print(machine_line())
    for report in reports:
        threads = report["threads"]
        builds = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in report["build"].items())
        print(f"\n[{threads} thread{'s' if threads > 1 else ''}] build: {builds}")
        print(
            f"  first DenseIndex search (10 queries, numba cache load or compile): {report['first_call']['DenseIndex']:.3f} s"
        )
        for entry in report["search"]:
            k, median = entry["k"], entry["median"]
            ours = median["DenseIndex"]
            print(f"  k={k}")
            print(
                f"    {'method':<30} {'median s':>9} {'QPS':>9} {'time / DenseIndex':>18} {'recall@k':>9}"
            )
            for name, seconds in median.items():
                recall = entry["recall"].get(name)
                print(
                    f"    {name:<30} {seconds:>9.3f} {args.queries / seconds:>9,.0f} "
                    f"{seconds / ours:>17.2f}x {'' if recall is None else f'{recall:.4f}':>9}"
                )
            for name, (identical, tied) in entry["checks"].items():
                differ = args.queries - identical - tied
                print(
                    f"    ids vs {name}: {identical} rows identical, {tied} differ only among tied scores, "
                    f"{differ} differ"
                )


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.worker is not None:
        print(json.dumps(worker(args, args.worker)))
        return
    reports = []
    passthrough = sys.argv[1:] if argv is None else argv
    for threads in args.threads:
        env = dict(os.environ, **dict.fromkeys(THREAD_ENV, str(threads)))
        command = [sys.executable, __file__, *passthrough, "--worker", str(threads)]
        output = subprocess.run(command, env=env, check=True, capture_output=True, text=True).stdout
        reports.append(json.loads(output.strip().splitlines()[-1]))
    print_report(args, reports)


if __name__ == "__main__":
    main()
