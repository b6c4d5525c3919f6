"""Compile (or load from numba's cache) every rank-soft kernel ahead of first use."""

from __future__ import annotations

import time


def warmup() -> float:
    """Run tiny inputs through every kernel (soft rank, soft sort and the top-k mask, "l2" and
    "kl", their VJPs and JVPs, the hard limits) in float32 and float64, and return the seconds it
    took. The first call in a fresh environment compiles; later processes load numba's on-disk
    cache. Call it at start-up to keep that cost off the first training step."""
    import numpy as np

    import rank_core
    import rank_soft as rs

    start = time.perf_counter()
    rank_core.warmup()
    for dtype in (np.float32, np.float64):
        x = np.array([[0.5, -1.0, 2.0]], dtype=dtype)
        for strength in (1.0, 0.0):
            for regularization in ("l2", "kl"):
                for operator in (rs.SoftRank, rs.SoftSort):
                    projected = operator(x, strength, regularization)
                    projected.vjp(np.ones_like(x))
                    projected.jvp(np.ones_like(x))
            rs.SoftTopKMask(x, 2, strength).vjp(np.ones_like(x))
    return time.perf_counter() - start
