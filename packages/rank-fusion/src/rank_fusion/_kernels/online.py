"""One query's rankings fused in one compiled call (the online hybrid-search case).

Python hands over the doc ids as UTF-8 byte slices (``data[starts[i]:ends[i]]``, row ``i`` of
the concatenated rankings), the scores and each ranking's length. The kernel numbers the distinct
ids in byte order (= code point order, the doc id order ties are broken by), ranks each
ranking (score desc, ties doc id desc), and runs the batch kernels' per-query code on the result.
Per-call overhead matters here (two 100-doc lists take microseconds), hence one dispatch.
"""

from __future__ import annotations

import numpy as np

from rank_fusion._jit import kernel
from rank_fusion._kernels.condorcet import condorcet_order
from rank_fusion._kernels.fuse import fuse_query, ranked_order

DUPLICATE = -1
#: the joined ids did not split into one slice per row (an id holds a NUL): use explicit slices
NOT_SPLIT = -2


@kernel
def _less(data, starts, ends, a, b):
    """Is id ``a`` before id ``b`` in byte order?"""
    la = ends[a] - starts[a]
    lb = ends[b] - starts[b]
    for i in range(min(la, lb)):
        x = data[starts[a] + i]
        y = data[starts[b] + i]
        if x != y:
            return x < y
    return la < lb


@kernel
def _merge_sort_by_bytes(order, data, starts, ends):
    """``order`` (row indices) stably merge-sorted by the rows' id bytes."""
    n = order.size
    buffer = np.empty(n, dtype=np.int64)
    width = 1
    while width < n:
        for left in range(0, n, 2 * width):
            middle = min(left + width, n)
            right = min(left + 2 * width, n)
            i, j, k = left, middle, left
            while i < middle and j < right:
                if _less(data, starts, ends, order[j], order[i]):
                    buffer[k] = order[j]
                    j += 1
                else:
                    buffer[k] = order[i]
                    i += 1
                k += 1
            buffer[k:right] = order[i:middle] if i < middle else order[j:right]
        order, buffer = buffer, order
        width *= 2
    return order


@kernel
def _all_same_id(data, starts, ends, rows):
    """Do ``rows`` all hold the same id (the usual reason for a shared 8-byte prefix)?"""
    for row in rows[1:]:
        if _less(data, starts, ends, rows[0], row) or _less(data, starts, ends, row, rows[0]):
            return False
    return True


@kernel
def _id_order(data, starts, ends):
    """Rows sorted by id: by the big-endian integer of their first 8 bytes, then, among rows
    sharing those, by all their bytes."""
    n = starts.size
    prefixes = np.empty(n, dtype=np.uint64)
    for row in range(n):
        key = np.uint64(0)
        for i in range(8):
            byte = data[starts[row] + i] if starts[row] + i < ends[row] else 0
            key = (key << np.uint64(8)) | np.uint64(byte)
        prefixes[row] = key
    order = np.argsort(prefixes, kind="mergesort")
    first = 0
    for j in range(1, n + 1):
        if j == n or prefixes[order[j]] != prefixes[order[first]]:
            if j - first > 1 and not _all_same_id(data, starts, ends, order[first:j]):
                order[first:j] = _merge_sort_by_bytes(order[first:j].copy(), data, starts, ends)
            first = j
    return order


@kernel
def _order_ties_by_code(scores, codes, first, end):
    """Within rows ``first:end`` (scores descending), order each run of equal scores by code
    descending (insertion sort: ties are short)."""
    for i in range(first + 1, end):
        score = scores[i]
        code = codes[i]
        j = i - 1
        while j >= first and scores[j] == score and codes[j] < code:
            codes[j + 1] = codes[j]
            j -= 1
        codes[j + 1] = code


@kernel
def _split_joined(data, n_rows):
    """Slices of ``n_rows`` ids joined by NUL bytes, or empty arrays if the count is off."""
    starts = np.empty(n_rows, dtype=np.int64)
    ends = np.empty(n_rows, dtype=np.int64)
    row = 0
    starts[0] = 0
    for i in range(data.size):
        if data[i] == 0:
            if row + 1 >= n_rows:
                return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
            ends[row] = i
            row += 1
            starts[row] = i + 1
    if row != n_rows - 1:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    ends[row] = data.size
    return starts, ends


#: positions in ``fuse_one_query``'s ``options`` (scalars packed in one array: numba checks the
#: type of every argument on each call, and at this size that costs as much as the fusion)
OPT_DEPTH, OPT_NEGATED_RANKS, OPT_CONDORCET, OPT_NORM, OPT_KIND, OPT_COMBINATION, OPT_TOP_K = range(7)


@kernel
def fuse_one_query(data, starts, ends, lengths, scores, options, params, weights, tables, table_sizes):
    """``(status, rows, fused)``: the fused ranking as one input row per doc (its first
    occurrence) and its score, best first. ``status`` is 0, ``DUPLICATE`` (the list in
    ``rows[0]`` holds a doc twice) or ``NOT_SPLIT``. Empty ``starts``/``ends``: the ids are
    ``data`` split at NUL bytes."""
    depth, top_k = options[OPT_DEPTH], options[OPT_TOP_K]
    norm, kind, combination = options[OPT_NORM], options[OPT_KIND], options[OPT_COMBINATION]
    n_rows = scores.size
    n_lists = lengths.size
    bad = np.zeros(1, dtype=np.int64)
    if starts.size != n_rows:
        starts, ends = _split_joined(data, n_rows)
        if starts.size != n_rows:
            return NOT_SPLIT, bad, np.empty(0)
    # number the distinct ids in byte order; remember the first row holding each
    by_id = _id_order(data, starts, ends)
    code = np.empty(n_rows, dtype=np.int64)
    first_row = np.empty(n_rows, dtype=np.int64)
    n_candidates = 0
    for j in range(n_rows):
        row = by_id[j]
        if j == 0 or _less(data, starts, ends, by_id[j - 1], row):
            first_row[n_candidates] = row
            n_candidates += 1
        code[row] = n_candidates - 1
    # rank each list: score desc, ties by code desc; cut to depth
    list_starts = np.zeros((n_lists, 1), dtype=np.int64)
    list_lengths = np.zeros((n_lists, 1), dtype=np.int64)
    ranked_scores = np.empty(n_rows)
    ranked_codes = np.empty(n_rows, dtype=np.int64)
    seen_in = np.full(n_candidates, -1, dtype=np.int64)  # the last list each doc was seen in
    first = 0
    for r in range(n_lists):
        n = lengths[r]
        for row in range(first, first + n):
            if seen_in[code[row]] == r:
                bad[0] = r
                return DUPLICATE, bad, np.empty(0)
            seen_in[code[row]] = r
        by_score = np.argsort(-scores[first:first + n], kind="mergesort")
        for i in range(n):
            row = first + by_score[i]
            ranked_scores[first + i] = scores[row]
            ranked_codes[first + i] = code[row]
        _order_ties_by_code(ranked_scores, ranked_codes, first, first + n)
        list_starts[r, 0] = first
        list_lengths[r, 0] = n if depth < 0 else min(n, depth)
        first += n
    # candidates: the docs some list holds within depth, renumbered in id order
    held = np.zeros(n_candidates, dtype=np.bool_)
    for r in range(n_lists):
        for i in range(list_lengths[r, 0]):
            held[ranked_codes[list_starts[r, 0] + i]] = True
    renumbered = np.full(n_candidates, -1, dtype=np.int64)
    n_held = 0
    for c in range(n_candidates):
        if held[c]:
            renumbered[c] = n_held
            first_row[n_held] = first_row[c]
            n_held += 1
    n_candidates = n_held
    for row in range(n_rows):
        ranked_codes[row] = renumbered[ranked_codes[row]]
    ranks = np.empty(0)
    if options[OPT_NEGATED_RANKS]:
        ranks = -ranked_scores - 1.0
    if options[OPT_CONDORCET]:
        table = np.full((n_candidates, n_lists), np.inf)
        for r in range(n_lists):
            for i in range(list_lengths[r, 0]):
                row = list_starts[r, 0] + i
                table[ranked_codes[row], r] = float(i) if ranks.size == 0 else ranks[row]
        order = condorcet_order(table, weights)
        fused = np.empty(n_candidates)
        for j in range(n_candidates):
            fused[order[j]] = n_candidates - j
    else:
        fused = fuse_query(0, list_starts, list_lengths, ranked_scores, ranks, ranked_codes, n_candidates, norm,
                           kind, combination, params, weights, tables, table_sizes)
        order = ranked_order(fused)
    m = n_candidates if top_k < 0 else min(top_k, n_candidates)
    out_rows = np.empty(m, dtype=np.int64)
    out_scores = np.empty(m)
    for j in range(m):
        out_rows[j] = first_row[order[j]]
        out_scores[j] = fused[order[j]]
    return 0, out_rows, out_scores
