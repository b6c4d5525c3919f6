"""BM25 against bm25s on the same tokens: the demo's numbers are the reference library's numbers.

Each first-stage BM25 variant's tokens (rank-retrieve's tokenizer) are given to bm25s as token
lists, with the same method, k1, b and delta; bm25s's top-``depth`` becomes a rank-core Run and is
evaluated by rank-eval like the demo's own run. bm25s is optional: without it the check is listed
as skipped with the command that installs it.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

import rank_eval
from rank_core import RankValueError, Run
from rank_retrieve import BM25

if TYPE_CHECKING:
    from demo.cranfield import Collection
    from demo.pipeline import Bm25Variant, Skipped

__all__ = ["ParityRow", "bm25s_parity"]

#: rank-retrieve method -> bm25s method (the same formulas, Kamphuis et al.)
BM25S_METHODS = {"lucene": "lucene", "bm25l": "bm25l", "bm25+": "bm25+", "robertson": "robertson", "atire": "atire"}


class ParityRow(NamedTuple):
    """One variant: nDCG@10 of both libraries, how far their scores are apart (top ``depth`` of
    every query, rank by rank), how many queries have the same top-10 set, and each library's
    index + search time (one run: not a benchmark)."""

    system: str
    ndcg_rank_retrieve: float
    ndcg_bm25s: float
    max_score_difference: float
    same_top10: int
    queries: int
    seconds_rank_retrieve: float
    seconds_bm25s: float


def bm25s_parity(
    collection: Collection, variants: Sequence[Bm25Variant], *, depth: int = 1000
) -> tuple[list[ParityRow], Skipped | None]:
    """``(rows, None)``, or ``([], Skipped)`` when bm25s is not installed."""
    from demo.pipeline import K1, B, Skipped

    try:
        import bm25s
    except ImportError:
        return [], Skipped("bm25s parity check", "bm25s is not installed", 'pip install "bm25s>=0.2.6"')

    rows = []
    for variant in variants:
        tokenizer = variant.tokenizer()
        doc_tokens = tokenizer.tokenize(collection.doc_texts)
        query_tokens = tokenizer.tokenize(collection.query_texts)

        start = time.perf_counter()
        ours = BM25(variant.method, k1=K1, b=B).index(doc_tokens, ids=collection.doc_ids, show_progress=False)
        our_result = ours.search(query_tokens, k=depth, show_progress=False)
        ours_seconds = time.perf_counter() - start
        our_run = our_result.to_run(collection.query_ids)

        start = time.perf_counter()
        reference = bm25s.BM25(method=BM25S_METHODS[variant.method], k1=K1, b=B)
        reference.index(doc_tokens, show_progress=False)
        positions, scores = reference.retrieve(query_tokens, k=min(depth, len(doc_tokens)), show_progress=False, n_threads=1)
        reference_seconds = time.perf_counter() - start
        their_run = Run.from_arrays(
            np.repeat(np.asarray(collection.query_ids), positions.shape[1]),
            np.asarray(collection.doc_ids)[positions].ravel(),
            scores.astype(np.float64).ravel(),
        )

        measures = ["ndcg_cut_10"]
        ndcg_ours = rank_eval.evaluate(collection.qrels, our_run, measures)["ndcg_cut_10"]
        ndcg_theirs = rank_eval.evaluate(collection.qrels, their_run, measures)["ndcg_cut_10"]
        if not (np.array_equal(our_run.query_ids, their_run.query_ids)
                and np.array_equal(our_run.counts(), their_run.counts())):
            raise RankValueError("bm25s and rank-retrieve returned different queries or list lengths")
        # both Runs hold each query's scores best first under the same tie rule, row for row
        difference = float(np.abs(our_run.scores - their_run.scores).max())
        top = min(10, int(our_run.counts().min()))
        ours_top = np.sort(our_run.top_k(top).doc_ids.reshape(len(our_run), top), axis=1)
        theirs_top = np.sort(their_run.top_k(top).doc_ids.reshape(len(their_run), top), axis=1)
        same = int((ours_top == theirs_top).all(axis=1).sum())
        rows.append(ParityRow(
            variant.name, float(ndcg_ours), float(ndcg_theirs), difference, same, len(our_run),
            ours_seconds, reference_seconds,
        ))
    return rows, None
