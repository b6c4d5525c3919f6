"""Kernels that group rows by query, order them, and find duplicate (query, doc) pairs.

A Run's rows are ranked by score desc with ties broken by doc code desc (doc codes follow string
order, so this is trec_eval's docno-descending tie-break); a Qrels' rows are ordered by doc code.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_core.jit import kernel


@kernel
def group_by_query(query_codes, n_queries):
    """Counting sort by query code: ``(offsets, rows)`` with rows stable inside each query."""
    offsets = np.zeros(n_queries + 1, dtype=np.int64)
    for q in query_codes:
        offsets[q + 1] += 1
    for q in range(n_queries):
        offsets[q + 1] += offsets[q]
    fill = offsets[:-1].copy()
    rows = np.empty(query_codes.size, dtype=np.int64)
    for r in range(query_codes.size):
        q = query_codes[r]
        rows[fill[q]] = r
        fill[q] += 1
    return offsets, rows


@kernel
def sort_by_doc(rows, doc_codes):
    """``rows`` ordered by doc code ascending, plus a duplicate pair (smallest row first) or (-1, -1)."""
    ordered = rows[np.argsort(doc_codes[rows], kind="mergesort")]
    for j in range(1, ordered.size):
        a, b = ordered[j - 1], ordered[j]
        if doc_codes[a] == doc_codes[b]:
            return ordered, min(a, b), max(a, b)
    return ordered, -1, -1


@kernel
def _duplicate_pair(rows, doc_codes):
    """Two rows (smallest first) sharing a doc code, or (-1, -1); cheaper than a full sort_by_doc."""
    codes = np.sort(doc_codes[rows])
    for j in range(1, codes.size):
        if codes[j] == codes[j - 1]:
            a = -1
            for r in rows:
                if doc_codes[r] == codes[j]:
                    if a < 0:
                        a = r
                    else:
                        return min(a, r), max(a, r)
    return -1, -1


@kernel
def _is_ranked(rows, doc_codes, scores):
    """Already by score desc, ties by doc code desc? (TREC files usually are, up to ties.)"""
    for j in range(1, rows.size):
        a, b = rows[j - 1], rows[j]
        if scores[a] < scores[b] or (scores[a] == scores[b] and doc_codes[a] <= doc_codes[b]):
            return False
    return True


@kernel(parallel=True)
def first_unranked_query(offsets, doc_codes, scores):
    """The first query whose rows are not ranked (score desc, ties doc code desc), or -1."""
    n_queries = offsets.size - 1
    ranked = np.empty(n_queries, dtype=np.bool_)
    for q in prange(n_queries):
        ranked[q] = _is_ranked(np.arange(offsets[q], offsets[q + 1]), doc_codes, scores)
    for q in range(n_queries):
        if not ranked[q]:
            return q
    return -1


@kernel
def rank_one_query(rows, doc_codes, scores):
    """One query's rows by score desc, ties by doc code desc, plus a duplicate pair or (-1, -1)."""
    if _is_ranked(rows, doc_codes, scores):
        dup_a, dup_b = _duplicate_pair(rows, doc_codes)
        return rows, dup_a, dup_b
    by_doc, dup_a, dup_b = sort_by_doc(rows, doc_codes)
    doc_desc = by_doc[::-1]
    negated = np.empty(doc_desc.size, dtype=np.float64)
    for j in range(doc_desc.size):
        negated[j] = -scores[doc_desc[j]]
    by_score = np.argsort(negated, kind="mergesort")  # stable: keeps doc desc among equal scores
    return doc_desc[by_score], dup_a, dup_b


@kernel(parallel=True)
def rank_rows(query_codes, n_queries, doc_codes, scores):
    """Batch of :func:`rank_one_query`: ``(offsets, order, duplicates)``.

    ``order`` lists the input rows query by query in ranked order; ``duplicates[q]`` is a pair of
    rows repeating a doc in query ``q``, or ``(-1, -1)``.
    """
    offsets, grouped = group_by_query(query_codes, n_queries)
    order = np.empty_like(grouped)
    duplicates = np.full((n_queries, 2), -1, dtype=np.int64)
    for q in prange(n_queries):
        s, e = offsets[q], offsets[q + 1]
        ranked, dup_a, dup_b = rank_one_query(grouped[s:e], doc_codes, scores)
        order[s:e] = ranked
        duplicates[q, 0] = dup_a
        duplicates[q, 1] = dup_b
    return offsets, order, duplicates


@kernel(parallel=True)
def order_judgments(query_codes, n_queries, doc_codes):
    """Like :func:`rank_rows` for judgments: rows ordered by doc code inside each query."""
    offsets, grouped = group_by_query(query_codes, n_queries)
    order = np.empty_like(grouped)
    duplicates = np.full((n_queries, 2), -1, dtype=np.int64)
    for q in prange(n_queries):
        s, e = offsets[q], offsets[q + 1]
        ordered, dup_a, dup_b = sort_by_doc(grouped[s:e], doc_codes)
        order[s:e] = ordered
        duplicates[q, 0] = dup_a
        duplicates[q, 1] = dup_b
    return offsets, order, duplicates


@kernel
def top_k_rows(offsets, k):
    """Row indices keeping the first ``k`` rows of every query, and the new offsets."""
    n_queries = offsets.size - 1
    new_offsets = np.zeros(n_queries + 1, dtype=np.int64)
    for q in range(n_queries):
        new_offsets[q + 1] = new_offsets[q] + min(k, offsets[q + 1] - offsets[q])
    keep = np.empty(new_offsets[n_queries], dtype=np.int64)
    for q in range(n_queries):
        for j in range(new_offsets[q + 1] - new_offsets[q]):
            keep[new_offsets[q] + j] = offsets[q] + j
    return keep, new_offsets
