"""The candidates of each query: the union of the docs its input lists hold.

Input lists are flat rows (``codes``, doc codes of one shared vocabulary, so comparing codes
compares doc ids); list ``r`` of query ``q`` is rows ``starts[r, q]`` to
``starts[r, q] + lengths[r, q]``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_fusion._jit import kernel


@kernel
def _query_union(codes, starts, lengths, q, row_candidate, scratch, base):
    """Sort query ``q``'s rows by doc code; write its distinct codes (ascending) to
    ``scratch[base:]`` and each row's candidate number to ``row_candidate``; return the count."""
    n_lists = starts.shape[0]
    total = 0
    for r in range(n_lists):
        total += lengths[r, q]
    rows = np.empty(total, dtype=np.int64)
    keys = np.empty(total, dtype=np.int64)
    filled = 0
    for r in range(n_lists):
        for row in range(starts[r, q], starts[r, q] + lengths[r, q]):
            rows[filled] = row
            keys[filled] = codes[row]
            filled += 1
    order = np.argsort(keys, kind="mergesort")  # see rank_core.jit: never the default kind
    n_candidates = 0
    previous = -1
    for i in range(total):
        row = rows[order[i]]
        code = keys[order[i]]
        if i == 0 or code != previous:
            scratch[base + n_candidates] = code
            n_candidates += 1
            previous = code
        row_candidate[row] = n_candidates - 1
    return n_candidates


@kernel(parallel=True)
def union_candidates(codes, starts, lengths, query_bases):
    """``(candidate_offsets, candidate_codes, row_candidate)`` for every query.

    ``query_bases[q]`` is the number of rows of all lists of the queries before ``q`` (an upper
    bound on their candidates), so each query writes a disjoint slice of the scratch array.
    """
    n_queries = starts.shape[1]
    row_candidate = np.empty(codes.size, dtype=np.int64)
    scratch = np.empty(max(query_bases[n_queries], 1), dtype=np.int64)
    counts = np.empty(n_queries, dtype=np.int64)
    for q in prange(n_queries):
        counts[q] = _query_union(codes, starts, lengths, q, row_candidate, scratch, query_bases[q])
    offsets = np.zeros(n_queries + 1, dtype=np.int64)
    for q in range(n_queries):
        offsets[q + 1] = offsets[q] + counts[q]
    candidate_codes = np.empty(offsets[n_queries], dtype=np.int64)
    for q in prange(n_queries):
        for i in range(counts[q]):
            candidate_codes[offsets[q] + i] = scratch[query_bases[q] + i]
    return offsets, candidate_codes, row_candidate
