"""Scoring over an inverted index (term -> postings), shared by BM25 and the learned-sparse index.

A query is a list of (term, weight) pairs; a document's score is the query's ``baseline`` plus
the sum over the query's pairs of ``weight * value(term, doc)``, accumulated in query order.
Weights and values must be non-negative. Documents no query term reaches (or reaches only with
zero contributions) score exactly the baseline.

Every document keeps its exact score and the tie rule of :mod:`rank_retrieve._kernels.topk`
(score descending, position ascending) holds; a query that reads few postings costs
O(postings read + k), not O(corpus) (see ``_search_one``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_core.jit import kernel as _core_kernel
from rank_retrieve._jit import kernel
from rank_retrieve._kernels.topk import heap_drain, heap_offer, select_top_k

#: A heap is used while ``k`` is at most this fraction of the candidates; above, introselect.
_HEAP_FRACTION = 16
#: Documents per block in the dense scan: a block whose maximum cannot make the top k is
#: skipped after one (vectorised) maximum.
_SCAN_BLOCK = 64


@_core_kernel(fastmath=frozenset({"nnan", "ninf", "nsz", "reassoc"}))
def _block_maxima(values, out):
    """``out[b] = max(values[b * _SCAN_BLOCK : (b + 1) * _SCAN_BLOCK])``; the values are finite,
    so the reductions may vectorise (exact: a maximum does not depend on the order it is taken in)."""
    n = values.size
    for block in range(out.size):
        start = block * _SCAN_BLOCK
        best = values[start]
        for i in range(start + 1, min(n, start + _SCAN_BLOCK)):
            best = max(best, values[i])
        out[block] = best


@kernel
def _search_one(
    indptr, postings_docs, postings_values, terms, weights, baseline, k, allowed,
    accumulator, touched, heap_scores, heap_positions, candidate_scores, candidate_positions,
    out_scores, out_positions,
):
    """One query's top ``k`` into ``out_*``; returns the count. The accumulator comes back zeroed.

    Two strategies, chosen by the postings the query will read. Dense (they reach a good part of
    the corpus): a plain scatter-add, then every document is a candidate, in position order (for
    small ``k``, only those in 64-document blocks whose maximum passes a floor). Sparse: remember
    the documents touched; the candidates are those plus the first ``k`` untouched ones by
    position (they tie at the baseline). Contributions are non-negative (the
    callers check), so a document is touched exactly when its accumulator turns positive.
    Candidates go through a bounded heap when ``k`` is small next to their number, else through
    :func:`select_top_k`.
    """
    n_docs = accumulator.size
    use_mask = allowed.size > 0
    postings_read = 0
    for pair in range(terms.size):
        postings_read += indptr[terms[pair] + 1] - indptr[terms[pair]]
    size = 0
    if postings_read * 4 >= n_docs:
        for pair in range(terms.size):
            term = terms[pair]
            weight = weights[pair]
            if weight == 1:  # BM25: no multiply in the hottest loop
                for entry in range(indptr[term], indptr[term + 1]):
                    accumulator[postings_docs[entry]] += postings_values[entry]
            else:
                for entry in range(indptr[term], indptr[term + 1]):
                    accumulator[postings_docs[entry]] += weight * postings_values[entry]
        if k * _HEAP_FRACTION < n_docs:
            n_blocks = (n_docs + _SCAN_BLOCK - 1) // _SCAN_BLOCK
            block_maxima = candidate_scores[:n_blocks]
            _block_maxima(accumulator, block_maxima)
            if not use_mask and n_blocks >= k:
                # The k-th largest block maximum is k distinct documents' score, so only the
                # documents scoring at least that can be in the top k: a few, gathered block by
                # block (blocks below it skipped whole) with a branch-free append, in position
                # order. Compared as final scores (+ baseline), so rounding cannot hide a tie.
                floor = np.partition(block_maxima, n_blocks - k)[n_blocks - k] + baseline
                n_candidates = 0
                for block in range(n_blocks):
                    if block_maxima[block] + baseline >= floor:
                        for doc in range(block * _SCAN_BLOCK, min(n_docs, (block + 1) * _SCAN_BLOCK)):
                            candidate_positions[n_candidates] = doc
                            n_candidates += accumulator[doc] + baseline >= floor
                for i in range(n_candidates):
                    doc = candidate_positions[i]
                    score = accumulator[doc] + baseline
                    if size < k or score > heap_scores[0]:  # position order: ties keep the earlier
                        size = heap_offer(heap_scores, heap_positions, size, k, score, doc)
            else:
                for block in range(n_blocks):
                    # documents come in position order: a full heap takes only strictly higher scores
                    if size == k and block_maxima[block] + baseline <= heap_scores[0]:
                        continue
                    for doc in range(block * _SCAN_BLOCK, min(n_docs, (block + 1) * _SCAN_BLOCK)):
                        if use_mask and not allowed[doc]:
                            continue
                        score = accumulator[doc] + baseline
                        if size < k or score > heap_scores[0]:
                            size = heap_offer(heap_scores, heap_positions, size, k, score, doc)
            accumulator[:] = 0
            heap_drain(heap_scores, heap_positions, size, out_scores, out_positions)
            return size
        n_candidates = 0
        for doc in range(n_docs):
            if not use_mask or allowed[doc]:
                candidate_scores[n_candidates] = accumulator[doc] + baseline
                candidate_positions[n_candidates] = doc
                n_candidates += 1
            accumulator[doc] = 0
        return select_top_k(candidate_scores, candidate_positions, n_candidates, k, out_scores, out_positions)
    n_touched = 0
    for pair in range(terms.size):
        term = terms[pair]
        weight = weights[pair]
        for entry in range(indptr[term], indptr[term + 1]):
            contribution = weight * postings_values[entry]
            if contribution > 0:
                doc = postings_docs[entry]
                if accumulator[doc] == 0:
                    touched[n_touched] = doc
                    n_touched += 1
                accumulator[doc] += contribution
    n_candidates = 0
    for i in range(n_touched):
        doc = touched[i]
        if not use_mask or allowed[doc]:
            candidate_scores[n_candidates] = accumulator[doc] + baseline
            candidate_positions[n_candidates] = doc
            n_candidates += 1
    offered = 0
    for doc in range(n_docs):
        if offered == k:
            break
        if accumulator[doc] == 0 and (not use_mask or allowed[doc]):
            candidate_scores[n_candidates] = baseline
            candidate_positions[n_candidates] = doc
            n_candidates += 1
            offered += 1
    for i in range(n_touched):
        accumulator[touched[i]] = 0
    if k * _HEAP_FRACTION >= n_candidates:
        return select_top_k(candidate_scores, candidate_positions, n_candidates, k, out_scores, out_positions)
    for i in range(n_candidates):
        score = candidate_scores[i]
        doc = candidate_positions[i]
        # the inline rejection against the worst kept pair spares most candidates a call
        if size < k or score > heap_scores[0] or (score == heap_scores[0] and doc < heap_positions[0]):
            size = heap_offer(heap_scores, heap_positions, size, k, score, doc)
    heap_drain(heap_scores, heap_positions, size, out_scores, out_positions)
    return size


@kernel(parallel=True)
def search_postings(
    indptr, postings_docs, postings_values, n_docs, query_terms, query_weights, query_offsets,
    baselines, k, allowed, row_allowed, n_blocks, out_scores, out_positions, counts,
):
    """Top ``k`` of every query; query ``i``'s pairs are ``query_*[query_offsets[i]:query_offsets[i+1]]``.

    Queries are dealt round-robin to ``n_blocks`` blocks run in parallel; each block owns one set
    of corpus-sized scratch arrays, so nothing is allocated per query. ``allowed`` is a mask
    shared by all queries and ``row_allowed`` one mask per query (empty arrays: no filter).
    Results do not depend on ``n_blocks``.
    """
    n_queries = query_offsets.size - 1
    per_row = row_allowed.shape[0] > 0
    for block in prange(n_blocks):
        accumulator = np.zeros(n_docs, dtype=out_scores.dtype)
        touched = np.empty(n_docs, dtype=np.int32)
        heap_scores = np.empty(k, dtype=out_scores.dtype)
        heap_positions = np.empty(k, dtype=np.int64)
        candidate_scores = np.empty(n_docs + k, dtype=out_scores.dtype)
        candidate_positions = np.empty(n_docs + k, dtype=np.int64)
        for query in range(block, n_queries, n_blocks):
            start, end = query_offsets[query], query_offsets[query + 1]
            mask = row_allowed[query] if per_row else allowed
            counts[query] = _search_one(
                indptr, postings_docs, postings_values, query_terms[start:end], query_weights[start:end],
                baselines[query], k, mask, accumulator, touched, heap_scores, heap_positions,
                candidate_scores, candidate_positions,
                out_scores[query], out_positions[query],
            )
