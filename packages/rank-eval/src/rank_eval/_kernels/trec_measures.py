"""trec_eval's default measures for one ranked list of labels, and their batch over queries.

Per query, ``labels`` are the retrieved docs' labels in rank order (see ``judgments``), ``level``
is the relevance level (``-l``: labels >= level are relevant), ``num_rel`` the query's relevant
judgments and ``num_nonrel`` its judged non-relevant ones (labels 0 .. level-1).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from rank_eval._jit import kernel

#: trec_eval floors AP at this value before taking logs for gm_map (MIN_GEO_MEAN).
MIN_GEO_MEAN = 0.00001

# Column layout of the per-query output; the cutoff measures follow these fixed columns.
NUM_RET, NUM_REL, NUM_REL_RET, AP, LOG_AP, R_PREC, BPREF, RECIP_RANK = range(8)
N_FIXED = 8


@kernel
def default_measures_one(labels, level, num_rel, num_nonrel, recall_points, p_cutoffs, out):
    """Fill ``out`` (length ``N_FIXED + len(recall_points) + len(p_cutoffs)``) for one query."""
    n = labels.size
    out[:] = 0.0
    out[NUM_RET] = n
    out[NUM_REL] = num_rel
    rel_so_far = 0
    nonrel_so_far = 0
    precision_sum = 0.0
    bpref = 0.0
    first_rel_rank = 0
    rel_at_r = 0
    for i in range(n):
        label = labels[i]
        if label >= level:
            rel_so_far += 1
            precision_sum += rel_so_far / (i + 1)
            if first_rel_rank == 0:
                first_rel_rank = i + 1
            if nonrel_so_far > 0:
                bpref += 1.0 - min(nonrel_so_far, num_rel) / min(num_nonrel, num_rel)
            else:
                bpref += 1.0
        elif label >= 0:
            nonrel_so_far += 1  # judged non-relevant; docs outside the pool or unjudged are skipped
        if i + 1 == num_rel:
            rel_at_r = rel_so_far
    if n < num_rel:
        rel_at_r = rel_so_far
    out[NUM_REL_RET] = rel_so_far
    ap = precision_sum / num_rel if num_rel > 0 else 0.0
    out[AP] = ap
    out[LOG_AP] = math.log(max(ap, MIN_GEO_MEAN))
    if num_rel > 0:
        out[R_PREC] = rel_at_r / num_rel
        out[BPREF] = bpref / num_rel
    if first_rel_rank > 0:
        out[RECIP_RANK] = 1.0 / first_rel_rank
    _interpolated_precision(labels, level, num_rel, rel_so_far, recall_points, out[N_FIXED : N_FIXED + recall_points.size])
    base = N_FIXED + recall_points.size
    for c in range(p_cutoffs.size):
        k = p_cutoffs[c]
        hits = 0
        for i in range(min(k, n)):
            hits += labels[i] >= level
        out[base + c] = hits / k


@kernel
def _interpolated_precision(labels, level, num_rel, num_rel_ret, recall_points, out):
    """trec_eval's iprec_at_recall: max precision at any rank reaching each recall point.

    Recall points become numbers of relevant docs by rounding half away from zero (as ``lround``);
    points no ranking reaches keep the interpolated precision at the last relevant doc, which is
    0 when nothing relevant was retrieved.
    """
    n = labels.size
    cutoffs = np.empty(recall_points.size, dtype=np.int64)
    for c in range(recall_points.size):
        cutoffs[c] = np.int64(math.floor(recall_points[c] * num_rel + 0.5))
    current = recall_points.size - 1
    while current >= 0 and cutoffs[current] > num_rel_ret:
        current -= 1
    if n == 0:
        out[: current + 1] = 0.0
        return
    best = num_rel_ret / n
    rel_so_far = num_rel_ret
    i = n
    while i > 0 and rel_so_far > 0:
        best = max(best, rel_so_far / i)
        if labels[i - 1] >= level:
            while current >= 0 and rel_so_far == cutoffs[current]:
                out[current] = best
                current -= 1
            rel_so_far -= 1
        i -= 1
    while current >= 0:
        out[current] = best
        current -= 1


@kernel(parallel=True)
def default_measures(offsets, labels, level, num_rel, num_nonrel, recall_points, p_cutoffs):
    """:func:`default_measures_one` for every query: a ``(n_queries, n_columns)`` array."""
    n_queries = offsets.size - 1
    out = np.empty((n_queries, N_FIXED + recall_points.size + p_cutoffs.size))
    for q in prange(n_queries):
        default_measures_one(
            labels[offsets[q] : offsets[q + 1]], level, num_rel[q], num_nonrel[q],
            recall_points, p_cutoffs, out[q],
        )
    return out
