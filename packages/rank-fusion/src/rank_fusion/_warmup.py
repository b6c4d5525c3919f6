"""Compile (or load from numba's cache) every rank-fusion kernel ahead of first use."""

from __future__ import annotations

import time


def warmup() -> float:
    """Fuse tiny inputs through every kernel (batch, online, Condorcet, training); return the
    seconds it took. The first call in a fresh environment compiles (tens of seconds); later
    processes load the on-disk cache. Call it at service start-up to keep that off a request."""
    import rank_core
    from rank_fusion.methods import comb_mnz, condorcet, rrf
    from rank_fusion.trained import probfuse

    start = time.perf_counter()
    rank_core.warmup()
    runs = [{"q": {"a": 2.0, "b": 1.0}}, {"q": {"b": 3.0, "c": 1.0}}]
    rrf(runs)
    comb_mnz(runs, norm="min-max")
    condorcet(runs)
    probfuse(runs, {"q": {"b": 1}}, n_segments=2)
    rankings = [{"a": 2.0, "b": 1.0}, [("b", 3.0), ("c", 1.0)]]
    rrf(rankings)
    condorcet(rankings)
    return time.perf_counter() - start
