"""MaxSim throughput: rank_rerank.maxsim against padded PyTorch (the PyLate way) and a NumPy loop.

One ColBERT-sized query (32 tokens x 128 dims, float32) against 1,000 documents of 20-300 tokens
(ragged, mean ~180), each contender at 1 and 2 threads, in the same process on the same data:

- ``rank_rerank flat``: ``maxsim(query, tokens, offsets=offsets)`` (documents laid end to end);
- ``rank_rerank list``: ``maxsim(query, [doc_0, doc_1, ...])``;
- ``rank_rerank flat float16``: the flat layout stored as float16 (half the bytes to read);
- ``torch padded``: documents padded to 300 tokens, ``einsum`` + masked max + sum, the way PyLate
  scores (with the mask applied correctly: padding filled with -inf before the max);
- ``numpy loop``: ``(doc @ query.T).max(axis=0).sum()`` per document.

It also times a plain ``np.dot`` GEMM of the same size ((total tokens x 128) @ (128 x 32)) and
prints the GFLOP/s every contender achieves on the ``2 * tokens * 32 * 128`` useful flops, and
the single-pair latency (32 x 128 query, 128 x 128 document). Medians of ``--repeats`` runs.

    python packages/rank-rerank/benchmarks/bench_maxsim.py --repeats 30
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from threadpoolctl import ThreadpoolController

import rank_rerank

BLAS = ThreadpoolController()

N_DOCS = 1_000
QUERY_TOKENS = 32
DIM = 128
MIN_TOKENS, MAX_TOKENS, MEAN_TOKENS = 20, 300, 180


def median_seconds(run: Callable[[], Any], repeats: int) -> float:
    run()  # warm-up: compilation, caches, allocator
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def unit_rows(rng: np.random.Generator, n: int) -> np.ndarray:
    rows = rng.standard_normal((n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def make_data(seed: int) -> tuple[np.ndarray, list[np.ndarray]]:
    rng = np.random.default_rng(seed)
    lengths = np.clip(rng.normal(MEAN_TOKENS, 70, N_DOCS), MIN_TOKENS, MAX_TOKENS).astype(int)
    return unit_rows(rng, QUERY_TOKENS), [unit_rows(rng, n) for n in lengths]


def torch_contender(query: np.ndarray, docs: list[np.ndarray]) -> Callable[[], Any] | None:
    try:
        import torch
    except ImportError:
        return None
    width = max(len(d) for d in docs)
    padded = np.zeros((len(docs), width, DIM), dtype=np.float32)
    mask = np.zeros((len(docs), width), dtype=bool)
    for i, doc in enumerate(docs):
        padded[i, : len(doc)] = doc
        mask[i, : len(doc)] = True
    q, d, m = torch.from_numpy(query), torch.from_numpy(padded), torch.from_numpy(mask)

    def score() -> Any:
        with torch.inference_mode():
            sims = torch.einsum("qh,nth->ntq", q, d)
            sims = sims.masked_fill(~m[:, :, None], float("-inf"))
            return sims.max(dim=1).values.sum(dim=1)

    return score


def set_threads(n: int) -> None:
    """``n`` threads for every contender: numba's (rank_rerank's workers), BLAS's (the NumPy
    contenders) and PyTorch's intra-op pool."""
    numba.set_num_threads(n)
    BLAS.limit(limits=n, user_api="blas")
    try:
        import torch

        torch.set_num_threads(n)
    except ImportError:
        pass


def cold_start_seconds() -> float:
    """First ``maxsim`` call in a fresh process (numba's on-disk cache loads, or compiles)."""
    code = (
        "import time, numpy as np; t = time.perf_counter(); import rank_rerank; "
        "rank_rerank.maxsim(np.ones((2, 4), np.float32), [np.ones((3, 4), np.float32)]); "
        "print(time.perf_counter() - t)"
    )
    return float(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    query, docs = make_data(args.seed)
    flat = np.concatenate(docs)
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(d) for d in docs], out=offsets[1:])
    total = int(offsets[-1])
    flops = 2.0 * total * QUERY_TOKENS * DIM
    print(f"{N_DOCS} documents, {total} tokens (mean {total / N_DOCS:.1f}), query {QUERY_TOKENS}x{DIM}, float32")
    print(f"cold start (fresh process, import + first call): {cold_start_seconds():.2f} s")

    expected = rank_rerank.maxsim(query, flat, offsets=offsets)
    numpy_loop = lambda: np.array([(d @ query.T).max(axis=0).sum() for d in docs])  # noqa: E731
    assert np.allclose(numpy_loop(), expected, atol=1e-4)
    torch_score = torch_contender(query, docs)
    if torch_score is not None:
        assert np.allclose(torch_score().numpy(), expected, atol=1e-4)
    query_t = np.ascontiguousarray(query.T)
    flat16 = flat.astype(np.float16)
    contenders: dict[str, Callable[[], Any] | None] = {
        "np.dot GEMM, same size": lambda: flat @ query_t,
        "rank_rerank flat": lambda: rank_rerank.maxsim(query, flat, offsets=offsets),
        "rank_rerank list": lambda: rank_rerank.maxsim(query, docs),
        "rank_rerank flat float16": lambda: rank_rerank.maxsim(query, flat16, offsets=offsets),
        "torch padded": torch_score,
        "numpy loop": numpy_loop,
    }
    print(f"\n{'contender':<24}{'threads':>8}{'median ms':>11}{'GFLOP/s':>9}{'vs flat':>9}")
    for threads in (1, 2):
        set_threads(threads)
        timings = {name: median_seconds(run, args.repeats) for name, run in contenders.items() if run is not None}
        for name, seconds in timings.items():
            ratio = seconds / timings["rank_rerank flat"]
            print(f"{name:<24}{threads:>8}{seconds * 1e3:>11.2f}{flops / seconds / 1e9:>9.1f}{ratio:>8.2f}x")

    rng = np.random.default_rng(args.seed + 1)
    pair_query, pair_doc = unit_rows(rng, QUERY_TOKENS), unit_rows(rng, 128)
    pair_t = np.ascontiguousarray(pair_query.T)
    set_threads(1)
    pair = {
        "rank_rerank.maxsim": lambda: rank_rerank.maxsim(pair_query, pair_doc),
        "numpy (d @ q.T).max.sum": lambda: float((pair_doc @ pair_t).max(axis=0).sum()),
    }
    print(f"\nsingle pair {QUERY_TOKENS}x{DIM} query, 128x{DIM} document, 1 thread")
    for name, run in pair.items():
        print(f"{name:<26}{median_seconds(run, args.repeats * 50) * 1e6:>9.1f} us")


if __name__ == "__main__":
    main()
