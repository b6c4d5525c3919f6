"""Kernels of evaluate()'s fast input path: label rankings straight from the doc ids' UTF-8 bytes.

Doc ids arrive as byte slices ``data[starts[r]:ends[r]]`` (see ``rank_core.vocabulary.Utf8Ids``),
rows grouped by query: the rows of query ``q`` are ``lo[q]:hi[q]``, in any order. Nothing here
sorts the doc ids of the whole run, nor even the rows of one query:

- a run doc is matched with its judgment by a per-query hash table of the query's judged docs
  (64-bit hashes, confirmed by comparing the bytes, so the join is exact);
- a judged doc's rank is the number of the query's docs ranked before it (higher score, or the
  same score and a doc id greater in byte order, trec_eval's ``strcmp`` tie-break), counted in
  one pass over the query's scores; docs that are not judged keep no rank, since every one of
  them has the same label (NOT_IN_POOL).

Every loop over queries writes only its query's slots, so results do not depend on the number
of threads.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_core._kernels.strings import compare_slices
from rank_eval._jit import kernel
from rank_eval._kernels.judgments import NOT_IN_POOL, UNJUDGED

# FNV-1a's offset basis and prime, applied to 8-byte words; then a multiply-xorshift finaliser
_BASIS = np.uint64(0xCBF29CE484222325)
_PRIME = np.uint64(0x100000001B3)
_MIX = np.uint64(0xFF51AFD7ED558CCD)
_BYTE = np.uint64(8)
_SHIFT_1 = np.uint64(33)
_SHIFT_2 = np.uint64(29)
#: Above 4 blocks of judged docs retrieved by a query, a run doc's place among them is found
#: block by block: a first count over every BLOCK-th score, then one within a block.
BLOCK = 16


@kernel
def slice_hash(data, start, end):
    """64-bit hash of the bytes ``data[start:end]``, read 8 bytes at a time (big-endian words)."""
    h = _BASIS ^ np.uint64(end - start)
    i = start
    while i + 8 <= end:  # eight independent loads per word, not a dependent chain per byte
        word = (
            (np.uint64(data[i]) << np.uint64(56)) | (np.uint64(data[i + 1]) << np.uint64(48))
            | (np.uint64(data[i + 2]) << np.uint64(40)) | (np.uint64(data[i + 3]) << np.uint64(32))
            | (np.uint64(data[i + 4]) << np.uint64(24)) | (np.uint64(data[i + 5]) << np.uint64(16))
            | (np.uint64(data[i + 6]) << _BYTE) | np.uint64(data[i + 7])
        )
        h = (h ^ word) * _PRIME
        i += 8
    if i < end:
        word = np.uint64(0)
        while i < end:
            word = (word << _BYTE) | np.uint64(data[i])
            i += 1
        h = (h ^ word) * _PRIME
    h ^= h >> _SHIFT_1
    h *= _MIX
    h ^= h >> _SHIFT_2
    return h


@kernel
def _table_size(n, spread):
    """A power of two at least ``spread * n`` (load factor <= 1/spread), and at least 8."""
    size = 8
    while size < spread * n:
        size *= 2
    return size


@kernel
def _has_duplicate(data, starts, ends, lo, hi):
    """Whether two rows of ``lo:hi`` hold the same doc."""
    size = _table_size(hi - lo, 2)
    mask = np.uint64(size - 1)
    slots = np.full(size, -1, dtype=np.int64)
    hashes = np.empty(hi - lo, dtype=np.uint64)
    for r in range(lo, hi):
        h = slice_hash(data, starts[r], ends[r])
        hashes[r - lo] = h
        s = h & mask
        while slots[s] >= 0:
            other = slots[s]
            if hashes[other - lo] == h and compare_slices(
                data, starts[other], ends[other], data, starts[r], ends[r]
            ) == 0:
                return True
            s = (s + np.uint64(1)) & mask
        slots[s] = r
    return False


@kernel(parallel=True)
def duplicate_queries(data, starts, ends, lo, hi):
    """For every query, whether one of its docs appears twice."""
    found = np.zeros(lo.size, dtype=np.bool_)
    for q in prange(lo.size):
        found[q] = _has_duplicate(data, starts, ends, lo[q], hi[q])
    return found


@kernel
def _rank_judged_docs(run_data, run_starts, run_ends, run_scores, lo, hi,
                      qrels_data, qrels_starts, qrels_ends, qlo, qhi, rank):
    """Set ``rank[j]`` for the judgments ``j`` of ``qlo:qhi`` whose doc is in run rows ``lo:hi``:
    the number of those rows ranked before it. Judgments not retrieved keep -1."""
    m = qhi - qlo
    if m == 0 or hi == lo:
        return
    size = _table_size(m, 8)  # mostly empty: most run docs are not judged, and miss at once
    mask = np.uint64(size - 1)
    slots = np.full(size, -1, dtype=np.int64)
    judged_hashes = np.empty(m, dtype=np.uint64)
    for j in range(m):
        h = slice_hash(qrels_data, qrels_starts[qlo + j], qrels_ends[qlo + j])
        judged_hashes[j] = h
        s = h & mask
        while slots[s] >= 0:
            s = (s + np.uint64(1)) & mask
        slots[s] = j
    # the run row of each judged doc (-1: not retrieved)
    row_of = np.full(m, -1, dtype=np.int64)
    for r in range(lo, hi):
        h = slice_hash(run_data, run_starts[r], run_ends[r])
        s = h & mask
        while slots[s] >= 0:
            j = slots[s]
            if judged_hashes[j] == h and compare_slices(
                run_data, run_starts[r], run_ends[r], qrels_data, qrels_starts[qlo + j], qrels_ends[qlo + j]
            ) == 0:
                row_of[j] = r
                break
            s = (s + np.uint64(1)) & mask
    k = 0
    for j in range(m):
        k += row_of[j] >= 0
    if k == 0:
        return
    # the retrieved judged docs by score ascending: ``a`` their scores, ``judged`` their judgment
    judged = np.empty(k, dtype=np.int64)
    a = np.empty(k)
    t = 0
    for j in range(m):
        if row_of[j] >= 0:
            judged[t] = j
            a[t] = run_scores[row_of[j]]
            t += 1
    judged = judged[np.argsort(a, kind="mergesort")]  # see rank_core.jit: never the default kind
    a = np.empty(k)
    for u in range(k):
        a[u] = run_scores[row_of[judged[u]]]
    # with many judged docs, every BLOCK-th score first: the block, then the place within it
    n_coarse = k // BLOCK if k > 4 * BLOCK else 0
    coarse = np.empty(n_coarse)
    for c in range(n_coarse):
        coarse[c] = a[BLOCK * c + BLOCK - 1]
    # ahead[p]: rows with exactly p of the judged scores below theirs (they precede judged 0..p-1);
    # tied[p]: rows with judged p's score and a greater doc id (they precede judged p)
    ahead = np.zeros(k + 1, dtype=np.int64)
    tied = np.zeros(k, dtype=np.int64)
    for r in range(lo, hi):
        x = run_scores[r]
        base = 0
        end = k
        if n_coarse:
            blocks = 0
            for c in range(n_coarse):
                blocks += coarse[c] < x
            base = BLOCK * blocks
            end = min(base + BLOCK, k)
        p = base  # the number of judged scores below x: counted (vectorised), not searched
        block = a[base:end]  # (a loop over a view vectorises where range(base, end) does not)
        for u in range(block.size):
            p += block[u] < x
        ahead[p] += 1
        while p < k and a[p] == x:  # same score: the greater doc id goes first
            other = row_of[judged[p]]
            if other != r and compare_slices(
                run_data, run_starts[r], run_ends[r], run_data, run_starts[other], run_ends[other]
            ) > 0:
                tied[p] += 1
            p += 1
    before = 0
    for p in range(k - 1, -1, -1):
        before += ahead[p + 1]
        rank[qlo + judged[p]] = before + tied[p]


@kernel(parallel=True)
def rank_judged_docs(run_data, run_starts, run_ends, run_scores, lo, hi,
                     qrels_data, qrels_starts, qrels_ends, qlo, qhi, n_judgments):
    """Rank of every judgment's doc in its query's ranking, or -1 where it is not retrieved.

    Query ``q`` is run rows ``lo[q]:hi[q]`` and judgments ``qlo[q]:qhi[q]`` (distinct judgment
    ranges for distinct queries); the result has one slot per judgment (``n_judgments``).
    """
    rank = np.full(n_judgments, -1, dtype=np.int64)
    for q in prange(lo.size):
        _rank_judged_docs(run_data, run_starts, run_ends, run_scores, lo[q], hi[q],
                          qrels_data, qrels_starts, qrels_ends, qlo[q], qhi[q], rank)
    return rank


@kernel
def _kept(rank, label, length, judged_only):
    """Whether a judgment at ``rank`` is in a ranking cut to ``length`` docs (-J: judged ones)."""
    return rank >= 0 and rank < length and (label >= 0 or not judged_only)


@kernel(parallel=True)
def label_rankings(rank, labels, qlo, qhi, retrieved, limit, judged_only):
    """``(offsets, labels)`` of the evaluated queries' rankings, back to back.

    ``retrieved[q]`` docs of query ``q``, the first ``limit`` kept (``-1``: all; trec_eval's -M);
    each doc labelled as ``judgments.label_one_query`` does, from ``rank`` (see
    :func:`rank_judged_docs`) and the judgments' ``labels``. ``judged_only`` (-J) keeps only the
    docs with a label >= 0, in rank order.
    """
    n_queries = qlo.size
    lengths = np.empty(n_queries, dtype=np.int64)
    for q in prange(n_queries):
        length = retrieved[q] if limit < 0 else min(retrieved[q], limit)
        if judged_only:
            kept = 0
            for j in range(qlo[q], qhi[q]):
                kept += _kept(rank[j], labels[j], length, True)
            length = kept
        lengths[q] = length
    offsets = np.zeros(n_queries + 1, dtype=np.int64)
    for q in range(n_queries):
        offsets[q + 1] = offsets[q] + lengths[q]
    out = np.empty(offsets[n_queries], dtype=np.int64)
    for q in prange(n_queries):
        start = offsets[q]
        length = retrieved[q] if limit < 0 else min(retrieved[q], limit)
        if not judged_only:
            out[start : start + length] = NOT_IN_POOL
            for j in range(qlo[q], qhi[q]):
                if _kept(rank[j], labels[j], length, False):
                    out[start + rank[j]] = labels[j] if labels[j] >= 0 else UNJUDGED
            continue
        kept = np.empty(lengths[q], dtype=np.int64)
        t = 0
        for j in range(qlo[q], qhi[q]):
            if _kept(rank[j], labels[j], length, True):
                kept[t] = j
                t += 1
        ranks = np.empty(t, dtype=np.int64)
        for u in range(t):
            ranks[u] = rank[kept[u]]
        by_rank = np.argsort(ranks, kind="mergesort")  # see rank_core.jit: never the default kind
        for u in range(t):
            out[start + u] = labels[kept[by_rank[u]]]
    return offsets, out


@kernel
def group_rows(query_codes, n_queries):
    """``(lo, hi, order)``: ``order`` lists the rows query by query (a stable counting sort), the
    rows of query ``q`` being ``order[lo[q]:hi[q]]``."""
    counts = np.zeros(n_queries, dtype=np.int64)
    for q in query_codes:
        counts[q] += 1
    lo = np.zeros(n_queries, dtype=np.int64)
    for q in range(1, n_queries):
        lo[q] = lo[q - 1] + counts[q - 1]
    fill = lo.copy()
    order = np.empty(query_codes.size, dtype=np.int64)
    for r in range(query_codes.size):
        q = query_codes[r]
        order[fill[q]] = r
        fill[q] += 1
    return lo, lo + counts, order
