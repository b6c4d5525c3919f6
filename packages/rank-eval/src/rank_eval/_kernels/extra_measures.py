"""Measures beyond trec_eval (ERR, RBP, DCG / nDCG with exponential gain, Judged, RR@k, Hits, F).

Each requested measure is a row of three arrays: ``codes[m]`` (which measure), ``cutoffs[m]``
(the depth; 0: the whole ranking) and ``params[m]`` (two numbers whose meaning depends on the
code, see the constants). Per query, ``labels`` are the retrieved docs' labels in rank order
(negative: outside the pool or unjudged, see ``judgments``) and ``ideal`` the labels of all its
judgments sorted descending. Graded measures use labels as grades (negative: 0) and ignore the
relevance level, as trec_eval's ndcg does; binary ones count labels ``>= level`` as relevant.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from rank_eval._jit import kernel

#: sum of gain / log2(rank + 1), gain = grade.
DCG = 0
#: the same with gain 2**grade - 1 (Burges et al.).
DCG_EXP = 1
#: DCG_EXP over the DCG_EXP of the ideal ranking of the query's judgments.
NDCG_EXP = 2
#: Expected reciprocal rank (Chapelle et al. 2009); params[0] is the top grade g_max: a doc of
#: grade g stops the user with probability (2**g - 1) / 2**g_max (grades above g_max: g_max).
ERR = 3
#: Rank-biased precision (Moffat & Zobel 2008), params[0] the persistence p; params[1] 0 for
#: binary gains (label >= level), else the grade g_max of graded gains min(grade, g_max) / g_max.
RBP = 4
#: RBP's residual: the weight of unjudged docs within the depth plus p**depth (the unseen tail).
RBP_RESIDUAL = 5
#: share of the first k docs (fewer if the ranking is shorter) that are judged (label >= 0).
JUDGED = 6
#: 1 / rank of the first relevant doc within the depth, 0 if none.
RECIPROCAL_RANK = 7
#: relevant docs within the depth.
HITS = 8
#: F-measure of precision (hits / k) and recall (hits / relevant), params[0] the beta.
F_MEASURE = 9


@kernel
def _discounted(gains, depth):
    total = 0.0
    for i in range(min(depth, gains.size)):
        if gains[i] != 0.0:
            total += gains[i] / math.log2(i + 2.0)
    return total


@kernel
def _grades(labels, exponential):
    gains = np.zeros(labels.size)
    for i in range(labels.size):
        if labels[i] > 0:
            gains[i] = 2.0 ** labels[i] - 1.0 if exponential else float(labels[i])
    return gains


@kernel
def extra_one(labels, ideal, level, num_rel, codes, cutoffs, params, out):
    """Fill ``out[m]`` with measure ``m`` of one query."""
    n = labels.size
    for m in range(codes.size):
        code = codes[m]
        k = cutoffs[m]
        depth = n if k == 0 else min(k, n)
        hits = 0
        first = 0
        judged = 0
        for i in range(depth):
            if labels[i] >= level:
                hits += 1
                if first == 0:
                    first = i + 1
            if labels[i] >= 0:
                judged += 1
        value = 0.0
        if code in (DCG, DCG_EXP, NDCG_EXP):
            exponential = code != DCG
            value = _discounted(_grades(labels, exponential), depth)
            if code == NDCG_EXP:
                ideal_dcg = _discounted(_grades(ideal, True), ideal.size if k == 0 else k)
                value = value / ideal_dcg if ideal_dcg > 0.0 else 0.0
        elif code == ERR:
            top = params[m, 0]
            not_stopped = 1.0
            for i in range(depth):
                grade = min(float(max(labels[i], 0)), top)
                stop = (2.0**grade - 1.0) / 2.0**top
                value += not_stopped * stop / (i + 1)
                not_stopped *= 1.0 - stop
        elif code in (RBP, RBP_RESIDUAL):
            p, top = params[m, 0], params[m, 1]
            weight = 1.0
            unjudged_weight = 0.0
            for i in range(depth):
                if labels[i] < 0:
                    unjudged_weight += weight
                elif top == 0.0:
                    value += weight if labels[i] >= level else 0.0
                else:
                    value += weight * min(float(labels[i]), top) / top
                weight *= p
            value = (1.0 - p) * (unjudged_weight if code == RBP_RESIDUAL else value)
            if code == RBP_RESIDUAL:
                value += weight
        elif code == JUDGED:
            value = judged / depth if depth > 0 else 0.0
        elif code == RECIPROCAL_RANK:
            value = 1.0 / first if first > 0 else 0.0
        elif code == HITS:
            value = float(hits)
        elif code == F_MEASURE:
            beta2 = params[m, 0] * params[m, 0]
            precision = hits / (k if k > 0 else n) if (k > 0 or n > 0) else 0.0
            recall = hits / num_rel if num_rel > 0 else 0.0
            if precision + recall > 0.0:
                value = (1.0 + beta2) * precision * recall / (beta2 * precision + recall)
        out[m] = value


@kernel(parallel=True)
def extra_measures(offsets, labels, level, num_rel, judged_starts, judged_ends, judged, codes, cutoffs, params):
    """:func:`extra_one` for every query: a ``(n_queries, n_measures)`` array.

    ``judged[judged_starts[q]:judged_ends[q]]`` are query ``q``'s judgment labels.
    """
    n_queries = offsets.size - 1
    out = np.empty((n_queries, codes.size))
    for q in prange(n_queries):
        ideal = np.sort(judged[judged_starts[q] : judged_ends[q]])[::-1]
        extra_one(labels[offsets[q] : offsets[q + 1]], ideal, level, num_rel[q], codes, cutoffs, params, out[q])
    return out
