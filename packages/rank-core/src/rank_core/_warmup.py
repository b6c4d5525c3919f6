"""Compile (or load from cache) every rank-core kernel ahead of first use."""

from __future__ import annotations

import time


def warmup() -> float:
    """Run every kernel once on tiny inputs; return the seconds it took.

    The first call in a fresh environment compiles (seconds); later processes load the on-disk
    cache (milliseconds). Call it at service start-up to keep compile latency off the first request.
    """
    from rank_core import Qrels, Run, align

    start = time.perf_counter()
    run = Run.from_trec(b"q1 Q0 d1 1 1.5 t\nq1 Q0 d2 2 0.123456789012345678 t\nq2 Q0 d\xc3\xa9 1 1 t\n")
    qrels = Qrels.from_trec(b"q1 0 d1 1\nq2 0 d3 0\n")
    Qrels.groups_from_trec(b"q1 0 d1 1\nq1 1 d1 0\n")
    run.top_k(1)
    align(Run.from_dict({"q": {"a": 1.0}}), qrels)
    return time.perf_counter() - start
