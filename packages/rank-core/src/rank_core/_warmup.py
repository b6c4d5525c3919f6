"""Compile (or load from cache) every rank-core kernel ahead of first use."""

from __future__ import annotations

import time


def warmup() -> float:
    """Run every kernel once on tiny inputs; return the seconds it took.

    The first call in a fresh environment compiles (seconds); later processes load the on-disk
    cache (a fraction of a second). Call it at service start-up to keep compile latency off the
    first request.
    """
    from rank_core import Qrels, Run, align
    from rank_core.io_trec import parse_run_rows

    start = time.perf_counter()
    ascii_run = Run.from_trec(b"q1 Q0 d1 1 1.5 t\nq1 Q0 d2 2 0.12345678901234567 t\nq1 Q0 d3 3 1e300 t\n")
    utf8_run = Run.from_trec("q2 Q0 d\u00e9 1 1 t\nq2 Q0 d\u4e2d 2 2 t\n".encode())
    qrels = Qrels.from_trec(b"q1 0 d1 1\nq2 0 d3 0\n")
    Qrels.groups_from_trec(b"q1 0 d1 1\nq1 1 d1 0\n")
    # ids longer than one packed word after their shared prefix exercise the tie-breaking sort
    from_python = Run.from_dict({"q": {"alpha-0000000001": 1.0, "beta-00000000002": 2.0, "b": 0.0}})
    Run.from_trec(b"q Q0 alpha-0000000001 1 1 t\nq Q0 beta-00000000002 2 1 t\n")
    for run in (ascii_run, utf8_run, from_python):
        run.top_k(1).doc_ids  # noqa: B018 - decoding ids is part of the warm-up
        run.doc_vocab.encode(["d1"], missing="ignore")
    align(ascii_run, utf8_run, qrels)
    parse_run_rows(b"q1 Q0 d1 1 1.5 t\n\nq1 Q0 d2 2 0.5 t\nq2 Q0 d1 1 1 t\n")
    parse_run_rows("q\u00e9 Q0 d\u00e9 1 1e300 t\n".encode())
    return time.perf_counter() - start
