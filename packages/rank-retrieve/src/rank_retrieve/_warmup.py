"""Compile (or load from numba's cache) every rank-retrieve kernel ahead of first use."""

from __future__ import annotations

import time


def warmup() -> float:
    """Index and search tiny inputs through every kernel (tokenizer, BM25 build/search/changes,
    dense and learned-sparse search); return the seconds it took. The first call in a fresh
    environment compiles; later processes load numba's on-disk cache. Call it at service start-up
    to keep that cost off the first request."""
    import numpy as np

    import rank_core
    from rank_retrieve import BM25, DenseIndex, SparseIndex

    start = time.perf_counter()
    rank_core.warmup()
    for dtype in ("float32", "float64"):
        bm25 = BM25(dtype=dtype).index(["warm up the index", "and its search"], ids=["a", "b"])
        bm25.add(["one more"], ids=["c"]).delete(["c"])
        bm25.search(["warm search", "index"], k=2, filter=["a"])
        SparseIndex([{"warm": 1.0}, {"up": 2.0}], dtype=dtype).search([{"up": 1.0}], k=1)
        DenseIndex(np.eye(3, dtype=dtype), dtype=dtype).search(np.ones((2, 3), dtype=dtype), k=2)
    return time.perf_counter() - start
