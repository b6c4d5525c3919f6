"""Segmented maxima behind MaxSim: the similarity matrix comes from BLAS, these reduce it.

``sims`` is ``(n_tokens, n_query_tokens)``: row ``t`` holds the similarities of one document token
with every query token (of one or several queries stacked side by side). Documents are runs of
rows given by ``doc_offsets``; queries are runs of columns given by ``query_offsets``.

The kernels are serial: :mod:`rank_rerank.maxsim` runs chunks of documents on worker threads,
each chunk a single-threaded BLAS product followed by one of these kernels (``nogil``).

A NaN or infinite input vector makes its similarities non-finite; a maximum would silently skip
a NaN, so each document also reports whether every similarity satisfied ``|v| < inf`` (false for
NaN and for infinities), a branch-free test that vectorises with the maxima.
"""

from __future__ import annotations

import numpy as np

from rank_rerank._jit import kernel


@kernel
def _column_maxima(sims, begin, end, row_scale, best):
    """``best[j] = max over rows begin..end-1 of sims[t, j] * row_scale[t]``; returns whether
    all those values were finite."""
    finite = True
    n_cols = sims.shape[1]
    for j in range(n_cols):
        best[j] = -np.inf
    for t in range(begin, end):
        scale = row_scale[t]
        for j in range(n_cols):
            value = sims[t, j] * scale
            finite &= abs(value) < np.inf
            best[j] = value if value > best[j] else best[j]
    return finite


@kernel(fastmath=False)
def _weighted_total(weights, maxima, begin, end):
    """``sum_j weights[j] * maxima[j]`` over ``begin <= j < end``, in float64, in index order
    (fastmath off: one summation order, so alignments' scores equal :func:`maxsim_scores`')."""
    total = 0.0
    for j in range(begin, end):
        total += weights[j] * maxima[j]
    return total


@kernel
def maxsim_scores(sims, doc_offsets, row_scale, query_offsets, weights, out, finite):
    """``out[d, q] = sum_j weights[j] * max_t sims[t, j] * row_scale[t]`` over document ``d``'s
    rows and query ``q``'s columns (sums in float64; ``row_scale`` holds the inverse token norms
    for cosine, ones for dot); ``finite[d]`` is False where a similarity was not finite."""
    n_docs = doc_offsets.size - 1
    n_queries = query_offsets.size - 1
    for d in range(n_docs):
        best = np.empty(sims.shape[1], dtype=sims.dtype)
        finite[d] = _column_maxima(sims, doc_offsets[d], doc_offsets[d + 1], row_scale, best)
        for q in range(n_queries):
            out[d, q] = _weighted_total(weights, best, query_offsets[q], query_offsets[q + 1])


@kernel
def maxsim_alignment(sims, doc_offsets, row_scale, weights, scores, matched, matched_sims, finite):
    """One query (all columns) against each document: the score, and per query token the first
    document row reaching the maximum (``matched``, relative to the document) and that maximum."""
    n_docs = doc_offsets.size - 1
    n_cols = sims.shape[1]
    for d in range(n_docs):
        begin = doc_offsets[d]
        all_finite = True
        for j in range(n_cols):
            matched_sims[d, j] = -np.inf
            matched[d, j] = 0
        for t in range(begin, doc_offsets[d + 1]):
            scale = row_scale[t]
            for j in range(n_cols):
                value = sims[t, j] * scale
                all_finite &= abs(value) < np.inf
                if value > matched_sims[d, j]:
                    matched_sims[d, j] = value
                    matched[d, j] = t - begin
        finite[d] = all_finite
        scores[d] = _weighted_total(weights, matched_sims[d], 0, n_cols)
