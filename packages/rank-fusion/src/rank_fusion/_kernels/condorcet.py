"""Condorcet fusion (Montague & Aslam, 2002): sort the candidates with a majority-vote comparator.

Doc ``x`` beats doc ``y`` when the lists ranking ``x`` above ``y`` outweigh those ranking ``y``
above ``x``. A list ranks every doc it holds above every doc it does not; a list holding neither
abstains. The majority relation may have cycles, so, as in the paper, the order is what a merge
sort with this comparator produces: O(n log n) comparisons instead of the O(n^2) pairwise table.
The sort is stable and starts from doc id descending, so a tied vote (and a cycle) resolves by
doc id, whatever the order of the inputs. Fused score: ``n_candidates - position``.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_fusion._jit import kernel


@kernel
def _beats(ranks, weights, x, y):
    """True when the lists ranking ``y`` above ``x`` outweigh those ranking ``x`` above ``y``."""
    for_y = 0.0
    for_x = 0.0
    for r in range(ranks.shape[1]):
        if ranks[y, r] < ranks[x, r]:
            for_y += weights[r]
        elif ranks[x, r] < ranks[y, r]:
            for_x += weights[r]
    return for_y > for_x


@kernel
def condorcet_order(ranks, weights):
    """Candidate indices in Condorcet order (bottom-up merge sort, stable)."""
    n = ranks.shape[0]
    order = np.empty(n, dtype=np.int64)
    for j in range(n):
        order[j] = n - 1 - j  # doc id descending: candidates come in ascending code order
    buffer = np.empty(n, dtype=np.int64)
    width = 1
    while width < n:
        for left in range(0, n, 2 * width):
            middle = min(left + width, n)
            right = min(left + 2 * width, n)
            i = left
            j = middle
            k = left
            while i < middle and j < right:
                if _beats(ranks, weights, order[i], order[j]):  # the right one wins: it goes first
                    buffer[k] = order[j]
                    j += 1
                else:
                    buffer[k] = order[i]
                    i += 1
                k += 1
            while i < middle:
                buffer[k] = order[i]
                i += 1
                k += 1
            while j < right:
                buffer[k] = order[j]
                j += 1
                k += 1
        order, buffer = buffer, order
        width *= 2
    return order


@kernel(parallel=True)
def condorcet_all(starts, lengths, ranks_in, row_candidate, candidate_offsets, candidate_codes, out_offsets,
                  weights):
    n_lists = starts.shape[0]
    n_queries = starts.shape[1]
    out_codes = np.empty(out_offsets[n_queries], dtype=np.int64)
    out_scores = np.empty(out_offsets[n_queries])
    for q in prange(n_queries):
        first = candidate_offsets[q]
        n_candidates = candidate_offsets[q + 1] - first
        ranks = np.full((n_candidates, n_lists), np.inf)
        for r in range(n_lists):
            for i in range(lengths[r, q]):
                row = starts[r, q] + i
                ranks[row_candidate[row], r] = float(i) if ranks_in.size == 0 else ranks_in[row]
        order = condorcet_order(ranks, weights)
        for j in range(out_offsets[q + 1] - out_offsets[q]):
            out_codes[out_offsets[q] + j] = candidate_codes[first + order[j]]
            out_scores[out_offsets[q] + j] = n_candidates - j
    return out_codes, out_scores
