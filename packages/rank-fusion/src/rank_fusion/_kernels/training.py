"""Estimate the trained fusions' per-run models from hit lists.

A run's *hit list* for a training query has one entry per ranked doc: ``hit[p] = 1`` when the doc
at 0-based position ``p`` has qrels relevance >= 1, else 0. Hit lists are stored flat:
``hits[offsets[q]:offsets[q + 1]]`` is training query ``q``'s. Every estimator below reads them
(and nothing else, except MAP's count of relevant docs), so it follows ranx 0.3.21's formulas,
including the order of its floating-point sums.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from rank_fusion._jit import kernel
from rank_fusion._kernels.fuse import SEGFUSE_BOUNDS

#: bayesfuse's cut-offs: positions [c_i, c_{i+1}) share one log odds (Aslam & Montague, 2001).
BAYES_CUTOFFS = np.array([0, 5, 10, 15, 20, 30, 100, 200, 500, 1000], dtype=np.int64)
#: bayesfuse's floor for a mean precision of 0 (and for its complement).
BAYES_FLOOR = 0.001
#: the relevance label from which a judged doc counts as relevant.
RELEVANT = 1


@kernel
def _find(codes, first, stop, code):
    """The row of ``code`` in ``codes[first:stop]`` (ascending), or -1: a binary search."""
    low = first
    high = stop
    while low < high:
        middle = (low + high) // 2
        if codes[middle] < code:
            low = middle + 1
        else:
            high = middle
    return low if low < stop and codes[low] == code else -1


@kernel(parallel=True)
def hit_lists(run_codes, run_starts, run_lengths, qrels_codes, qrels_relevance, qrels_starts, qrels_lengths):
    """``(hits, offsets, n_relevant)`` for the training queries ``q`` (one per entry of the inputs).

    The run's list of query ``q`` is rows ``run_starts[q]`` to ``+ run_lengths[q]`` of
    ``run_codes``, its judgments rows ``qrels_starts[q]`` to ``+ qrels_lengths[q]``, doc codes of
    one shared vocabulary, judgments ascending by code (a ``Qrels``'s order). ``n_relevant[q]``
    counts the judgments with relevance >= 1.

    No ``np.sort`` here: with numba 0.68's cache, a parallel kernel sorting int64 and another
    arg-sorting int64 (the candidates kernel) can load each other's cached sort.
    """
    n_queries = run_starts.size
    offsets = np.zeros(n_queries + 1, dtype=np.int64)
    for q in range(n_queries):
        offsets[q + 1] = offsets[q] + run_lengths[q]
    hits = np.zeros(offsets[n_queries])
    n_relevant = np.zeros(n_queries, dtype=np.int64)
    for q in prange(n_queries):
        first = qrels_starts[q]
        stop = first + qrels_lengths[q]
        count = 0
        for row in range(first, stop):
            if qrels_relevance[row] >= RELEVANT:
                count += 1
        n_relevant[q] = count
        for p in range(run_lengths[q]):
            row = _find(qrels_codes, first, stop, run_codes[run_starts[q] + p])
            if row >= 0 and qrels_relevance[row] >= RELEVANT:
                hits[offsets[q] + p] = 1.0
    return hits, offsets, n_relevant


@kernel
def _slice_sum(hits, offsets, q, start, end):
    """``sum(hit_list_q[start:end])`` (a slice past the list's end is shorter, as in numpy)."""
    first = offsets[q]
    stop = min(first + end, offsets[q + 1])
    total = 0.0
    for i in range(first + start, stop):
        total += hits[i]
    return total


@kernel
def position_probs(hits, offsets):
    """posfuse / slidefuse: ``P(p) = sum_q hit_q[p] / #{q : len(hit_q) > p}``, for ``p`` below the
    longest hit list."""
    n_queries = offsets.size - 1
    longest = 0
    for q in range(n_queries):
        longest = max(longest, offsets[q + 1] - offsets[q])
    numerators = np.zeros(longest)
    denominators = np.zeros(longest)
    for q in range(n_queries):
        for p in range(offsets[q + 1] - offsets[q]):
            denominators[p] += 1.0
            numerators[p] += hits[offsets[q] + p]
    return numerators / denominators


@kernel
def segment_probs(hits, offsets, n_segments):
    """probfuse: ``P(k) = (1 / Q) sum_q mean(hit_q[k s_q : (k + 1) s_q])`` with
    ``s_q = ceil(len(hit_q) / n_segments)``; an empty segment adds 0 but its query still counts in
    ``Q``, the number of training queries."""
    n_queries = offsets.size - 1
    probs = np.zeros(n_segments)
    for q in range(n_queries):
        length = offsets[q + 1] - offsets[q]
        size = math.ceil(length / n_segments)
        for k in range(n_segments):
            start = min(k * size, length)
            end = min((k + 1) * size, length)
            if end > start:
                probs[k] += _slice_sum(hits, offsets, q, start, end) / (end - start)
    return probs / n_queries


@kernel
def segfuse_probs(hits, offsets):
    """segfuse: ``P(k) = (1 / Q) sum_q sum(hit_q[b_k : b_{k+1}]) / (b_{k+1} - b_k)`` over the fixed
    boundaries ``b = 0, 5, 15, 35, ..., 5115`` (segment ``k`` holds ``10 * 2 ** k - 5`` positions,
    ``k`` 0-based), dividing by the full segment size even where a hit list is shorter."""
    n_queries = offsets.size - 1
    n_segments = SEGFUSE_BOUNDS.size - 1
    probs = np.zeros(n_segments)
    for q in range(n_queries):
        for k in range(n_segments):
            start = SEGFUSE_BOUNDS[k]
            end = SEGFUSE_BOUNDS[k + 1]
            probs[k] += _slice_sum(hits, offsets, q, start, end) / (end - start)
    return probs / n_queries


@kernel
def log_odds(hits, offsets):
    """bayesfuse: for positions in ``[c_i, c_{i+1})`` of the cut-offs ``0, 5, 10, 15, 20, 30, 100,
    200, 500, 1000``, ``log(P / (1 - P))`` with ``P`` the mean over training queries of the
    precision of the hit list's slice (hits / full slice size); ``P = 0`` and ``1 - P = 0`` are
    floored to 0.001. One value per position below 1000."""
    n_queries = offsets.size - 1
    odds = np.zeros(BAYES_CUTOFFS[-1])
    for i in range(BAYES_CUTOFFS.size - 1):
        start = BAYES_CUTOFFS[i]
        end = BAYES_CUTOFFS[i + 1]
        mean_precision = 0.0
        for q in range(n_queries):
            mean_precision += _slice_sum(hits, offsets, q, start, end) / (end - start) / n_queries
        if mean_precision == 0.0:
            mean_precision += BAYES_FLOOR
        complement = 1.0 - mean_precision
        if complement == 0.0:
            complement += BAYES_FLOOR
        odds[start:end] = math.log(mean_precision / complement)
    return odds


@kernel
def mean_average_precision(hits, offsets, n_relevant):
    """mapfuse: ``MAP = (1 / Q) sum_q AP_q``, ``AP_q = sum_{p : hit_q[p] = 1} precision@(p + 1) /
    n_relevant_q`` (trec_eval's AP over the whole list; 0 for a query with no relevant doc)."""
    n_queries = offsets.size - 1
    total = 0.0
    for q in range(n_queries):
        if n_relevant[q] == 0:
            continue
        found = 0.0
        precision_sum = 0.0
        for p in range(offsets[q + 1] - offsets[q]):
            if hits[offsets[q] + p] > 0.0:
                found += 1.0
                precision_sum += found / (p + 1.0)
        total += precision_sum / n_relevant[q]
    return total / n_queries
