"""Compile (or load from numba's cache) every rank-rerank kernel ahead of first use."""

from __future__ import annotations

import time


def warmup() -> float:
    """Run tiny inputs through every kernel (MaxSim and its alignments in float32 and float64,
    MMR, DPP, token pooling) and return the seconds it took. The first call in a fresh
    environment compiles; later processes load numba's on-disk cache. Call it at service start-up
    to keep that cost off the first request."""
    import numpy as np

    import rank_core
    import rank_rerank as rr

    start = time.perf_counter()
    rank_core.warmup()
    for dtype in (np.float32, np.float64):
        query = np.eye(2, 3, dtype=dtype)
        docs = [np.ones((2, 3), dtype=dtype), np.eye(3, dtype=dtype)]
        for similarity in ("dot", "cosine"):
            rr.maxsim(query, docs, similarity=similarity)
            rr.maxsim_alignments(query, docs, similarity=similarity)
        vectors = np.eye(4, 3, dtype=dtype)
        scores = np.arange(4, dtype=dtype)
        for similarity in ("dot", "cosine"):
            rr.mmr(scores, vectors, k=2, similarity=similarity)
            rr.dpp(scores, vectors, k=2, similarity=similarity)
        for method in ("ward", "kmeans", "sequential"):
            rr.pool_tokens(np.eye(4, 3, dtype=dtype), 2, method=method)
    return time.perf_counter() - start
