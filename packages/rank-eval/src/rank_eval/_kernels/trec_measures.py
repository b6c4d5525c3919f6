"""trec_eval's measures for one ranked list of labels, and their batch over queries.

Per query, ``labels`` are the retrieved docs' labels in rank order (see ``judgments``), ``level``
is the relevance level (``-l``: labels >= level are relevant), ``num_rel`` the query's relevant
judgments, ``num_nonrel`` its judged non-relevant ones (labels 0 .. level-1) and ``judged`` the
labels of all its judgments (for the ideal ranking of nDCG, which uses labels as gains and
ignores ``level``, as trec_eval does).

Every sum runs in trec_eval's order: these kernels are compiled without fastmath.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from rank_eval._jit import kernel

#: trec_eval floors AP at this value before taking logs for gm_map (MIN_GEO_MEAN).
MIN_GEO_MEAN = 0.00001

# Fixed columns of the per-query output; the parameterised families follow (see ``layout``).
NUM_RET, NUM_REL, NUM_REL_RET, AP, LOG_AP, R_PREC, BPREF, RECIP_RANK = range(8)
NUM_NONREL_JUDGED_RET, NDCG, ELEVEN_PT_AVG, SET_P, SET_RECALL, SET_RELATIVE_P, SET_MAP, SET_F = range(8, 16)
LOG_BPREF, UTILITY, RBP, RBP_RESID, INF_AP, BIN_G, G, NDCG_REL, R_NDCG = range(16, 25)
N_FIXED = 25
#: Families computed at every rank cutoff, in output order after the recall points.
CUTOFF_FAMILIES = ("P", "recall", "ndcg_cut", "map_cut", "relative_P", "success", "unj")


def layout(n_points: int, n_cutoffs: int, n_multiples: int) -> dict[str, int]:
    """First column of each parameterised family in the per-query output, and the width."""
    starts = {"iprec_at_recall": N_FIXED}
    column = N_FIXED + n_points
    for family in CUTOFF_FAMILIES:
        starts[family] = column
        column += n_cutoffs
    starts["Rprec_mult"] = column
    starts["width"] = column + n_multiples
    return starts
#: trec_eval's infAP smoothing constant (INFAP_EPSILON).
INFAP_EPSILON = 0.00001
#: trec_eval's rbp persistence.
RBP_PERSISTENCE = 0.9


@kernel
def _rounded_cutoffs(points, total):
    """Recall points as numbers of relevant docs, rounded half away from zero (``lround``)."""
    cutoffs = np.empty(points.size, dtype=np.int64)
    for c in range(points.size):
        cutoffs[c] = np.int64(math.floor(points[c] * total + 0.5))
    return cutoffs


@kernel
def _interpolated_precision(labels, level, num_rel, num_rel_ret, points, out):
    """trec_eval's iprec_at_recall: the best precision at any rank reaching each recall point.

    Points no ranking reaches keep the interpolated precision at the last relevant doc (0 when
    nothing relevant was retrieved).
    """
    n = labels.size
    cutoffs = _rounded_cutoffs(points, num_rel)
    current = points.size - 1
    while current >= 0 and cutoffs[current] > num_rel_ret:
        current -= 1
    if n == 0:
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


@kernel
def _precision_at_multiples_of_r(labels, level, num_rel, num_rel_ret, multiples, out):
    """trec_eval's Rprec_mult: precision at rank ``int(m * R + 0.9)`` for each multiple ``m``.

    Ranks past the ranking count the missing docs as non-relevant.
    """
    n = labels.size
    cutoffs = np.empty(multiples.size, dtype=np.int64)
    for c in range(multiples.size):
        cutoffs[c] = np.int64(multiples[c] * num_rel + 0.9)
    current = multiples.size - 1
    while current >= 0 and cutoffs[current] > n:
        out[current] = num_rel_ret / cutoffs[current]
        current -= 1
    rel_so_far = num_rel_ret
    i = n
    while i > 0 and rel_so_far > 0:
        precision = rel_so_far / i
        while current >= 0 and i == cutoffs[current]:
            out[current] = precision
            current -= 1
        if labels[i - 1] >= level:
            rel_so_far -= 1
        i -= 1


@kernel
def _ndcg_at_cutoffs(labels, ideal, cutoffs, out):
    """nDCG at each cutoff: labels as gains (negative: 0), discount log2(rank + 1), the ideal
    ranking every judged doc of the query by label (``ideal``: its labels, descending)."""
    dcg = 0.0
    c = 0
    for i in range(labels.size):
        while c < cutoffs.size and i == cutoffs[c]:
            out[c] = dcg
            c += 1
        if labels[i] > 0:
            dcg += labels[i] / math.log2(i + 2.0)
    while c < cutoffs.size:
        out[c] = dcg
        c += 1
    ideal_dcg = 0.0
    c = 0
    i = 0
    while i < ideal.size and ideal[i] > 0:
        while c < cutoffs.size and i == cutoffs[c]:
            if ideal_dcg > 0.0:
                out[c] /= ideal_dcg
            c += 1
        ideal_dcg += ideal[i] / math.log2(i + 2.0)
        i += 1
    while c < cutoffs.size:
        if ideal_dcg > 0.0:
            out[c] /= ideal_dcg
        c += 1


@kernel
def _gain(label, gains):
    """A label's gain: ``gains[label]`` where given (NaN: not given), else the label itself;
    negative labels (outside the pool, unjudged) have no gain."""
    if label < 0:
        return 0.0
    if label < gains.size and not np.isnan(gains[label]):
        return gains[label]
    return float(label)


@kernel
def _ndcg(labels, judged, gains):
    """trec_eval's ndcg: DCG with the level gains over the ideal DCG of the judged docs' gains."""
    dcg = 0.0
    for i in range(labels.size):
        gain = _gain(labels[i], gains)
        if gain != 0:
            dcg += gain / math.log2(i + 2.0)
    ideal = np.empty(judged.size)
    for j in range(judged.size):
        ideal[j] = _gain(judged[j], gains)
    ideal = np.sort(ideal)[::-1]
    ideal_dcg = 0.0
    i = 0
    while i < ideal.size and ideal[i] > 0.0:
        ideal_dcg += ideal[i] / math.log2(i + 2.0)
        i += 1
    return dcg / ideal_dcg if ideal_dcg > 0.0 else 0.0


@kernel
def _rank_biased_precision(labels, top_label, persistence):
    """``(rbp, rbp_resid)`` as trec_eval computes them.

    Gains are the labels (negative: 0), scaled to [0, 1] by the query's highest label when that
    exceeds 1. The residual is only set when the ranking holds docs outside the pool or
    unjudged: the weight of the unseen tail plus that of those docs.
    """
    scale = float(top_label) if top_label > 1 else 1.0
    total = 0.0
    unjudged_weight = 0.0
    unjudged = 0
    weight = 1.0
    for label in labels:
        if label > 0:
            total += label / scale * weight
        elif label < 0:
            unjudged += 1
            unjudged_weight += weight
        weight = weight * persistence
    resid = weight + (1 - persistence) * unjudged_weight if unjudged > 0 else 0.0
    return (1.0 - persistence) * total, resid


@kernel
def _inferred_ap(labels, level, num_rel):
    """trec_eval's infAP (Yilmaz & Aslam): precision at each relevant doc estimated from the
    judged docs above it; docs outside the pool count as non-relevant, pooled-but-unjudged ones
    are assumed relevant in the judged proportion."""
    total = 0.0
    rel = nonrel = unjudged = 0
    for j in range(labels.size):
        label = labels[j]
        if label == -1:  # not in the pool
            continue
        if label < 0:
            unjudged += 1
            continue
        if label < level:
            nonrel += 1
            continue
        rel += 1
        if j == 0:
            total += 1.0
        else:
            fj = float(j)
            total += 1.0 / (fj + 1.0) + (fj / (fj + 1.0)) * ((rel - 1 + nonrel + unjudged) / fj) * (
                (rel - 1 + INFAP_EPSILON) / (rel - 1 + nonrel + 2 * INFAP_EPSILON)
            )
    return total / num_rel if num_rel > 0 else total


@kernel
def _add_ndcg_point(dcg, ideal_dcg, total, points):
    """Add nDCG at the current rank to a running ``(total, points)`` (skipped while ideal DCG is 0)."""
    if ideal_dcg > 0.0:
        return total + dcg / ideal_dcg, points + 1
    return total, points


@kernel
def _gain_measures(labels, ideal_labels):
    """trec_eval's gain-based experimental measures: ``(G, ndcg_rel, Rndcg)``.

    Gains are labels (negative: 0); the ideal ranking orders the judged docs by label, and its
    positive part is "live" until the first ideal gain of 0. The loops follow trec_eval's:
    while the ideal is live, then the rest of the ranking, then the rest of the ideal.
    ``ideal_labels`` are the query's judgment labels, descending.
    """
    n = labels.size
    n_judged = 0  # the non-negative labels: a prefix, since they are sorted descending
    while n_judged < ideal_labels.size and ideal_labels[n_judged] >= 0:
        n_judged += 1
    ideal = ideal_labels[:n_judged]
    n_pos = 0
    while n_pos < ideal.size and ideal[n_pos] > 0:
        n_pos += 1
    ideal_total = 0.0
    for k in range(n_pos):
        ideal_total += ideal[k]

    # G: gain / log2(2 + cost so far - gain so far), cost = ideal gains floored at 1
    g_sum = 0.0
    gained = 0.0
    cost = 0.0
    for i in range(n):
        gain = max(labels[i], 0)
        gained += gain
        ideal_gain = ideal[i] if i < n_pos else 0
        cost += ideal_gain if ideal_gain >= 1 else 1.0
        if gain != 0:
            g_sum += gain / math.log2(2 + cost - gained)
    g_value = g_sum / ideal_total if ideal_total > 0.0 else 0.0

    # ndcg_rel: nDCG averaged over the relevant docs (unretrieved ones: nDCG at the end)
    dcg = 0.0
    ideal_dcg = 0.0
    total = 0.0
    rel_ret = 0
    for i in range(n):
        gain = max(labels[i], 0)
        if gain != 0:
            dcg += gain / math.log2(i + 2.0)
        if i < n_pos:
            ideal_dcg += ideal[i] / math.log2(i + 2.0)
        if gain > 0 and ideal_dcg > 0.0:
            total += dcg / ideal_dcg
            rel_ret += 1
    for i in range(n, n_pos):
        ideal_dcg += ideal[i] / math.log2(i + 2.0)
    if ideal_dcg > 0.0:
        total += (n_pos - rel_ret) * dcg / ideal_dcg
    ndcg_rel = total / n_pos if total > 0.0 else 0.0

    # Rndcg: nDCG averaged at each change of ideal gain level (and at the ranking's end)
    dcg = 0.0
    ideal_dcg = 0.0
    total = 0.0
    changes = 0
    previous = ideal[0] if ideal.size else 0
    live = previous > 0
    i = 0
    while live:  # along the live ideal, with the ranking's docs while there are some
        current = ideal[i] if i < ideal.size else 0
        if current != previous:
            total, changes = _add_ndcg_point(dcg, ideal_dcg, total, changes)
            previous = current
        if i < n and labels[i] > 0:
            dcg += labels[i] / math.log2(i + 2.0)
        if current > 0:
            ideal_dcg += current / math.log2(i + 2.0)
        live = current > 0
        i += 1
    if i < n:  # the ideal died first: the rest of the ranking, then one last point
        for j in range(i, n):
            if labels[j] > 0:
                dcg += labels[j] / math.log2(j + 2.0)
        total, changes = _add_ndcg_point(dcg, ideal_dcg, total, changes)
    r_ndcg = total / changes if changes > 0 else 0.0
    return g_value, ndcg_rel, r_ndcg


@kernel
def measures_one(labels, judged, level, num_rel, num_nonrel, recall_points, cutoffs, multiples,
                 average_points, utility, gains, collection_size, out):
    """Fill one query's row: the fixed columns, then the families laid out by :func:`layout`."""
    n = labels.size
    out[:] = 0.0
    rel_so_far = 0
    nonrel_so_far = 0
    precision_sum = 0.0
    bpref = 0.0
    first_rel_rank = 0
    rel_at_r = 0
    # per-cutoff accumulators: relevant docs, AP sum and unjudged docs within the first k docs
    n_cut = cutoffs.size
    rel_at_cut = np.zeros(n_cut, dtype=np.int64)
    ap_at_cut = np.zeros(n_cut)
    unj_at_cut = np.zeros(n_cut, dtype=np.int64)
    unjudged_so_far = 0
    c = 0
    for i in range(n):
        while c < n_cut and i == cutoffs[c]:
            rel_at_cut[c] = rel_so_far
            ap_at_cut[c] = precision_sum
            unj_at_cut[c] = unjudged_so_far
            c += 1
        label = labels[i]
        unjudged_so_far += label < 0
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
    while c < n_cut:
        rel_at_cut[c] = rel_so_far
        ap_at_cut[c] = precision_sum
        unj_at_cut[c] = unjudged_so_far
        c += 1
    if n < num_rel:
        rel_at_r = rel_so_far

    out[NUM_RET] = n
    out[NUM_REL] = num_rel
    out[NUM_REL_RET] = rel_so_far
    out[NUM_NONREL_JUDGED_RET] = nonrel_so_far
    ap = precision_sum / num_rel if num_rel > 0 else 0.0
    out[AP] = ap
    out[LOG_AP] = math.log(max(ap, MIN_GEO_MEAN))
    if first_rel_rank > 0:
        out[RECIP_RANK] = 1.0 / first_rel_rank
    if n > 0:
        out[SET_P] = rel_so_far / n
    if num_rel > 0:
        out[R_PREC] = rel_at_r / num_rel
        out[BPREF] = bpref / num_rel
        out[SET_RECALL] = rel_so_far / num_rel
        if n > 0:
            out[SET_RELATIVE_P] = rel_so_far / min(n, num_rel)
            out[SET_MAP] = out[SET_P] * out[SET_RECALL]
    if out[SET_P] + out[SET_RECALL] > 0.0:
        out[SET_F] = 2.0 * out[SET_P] * out[SET_RECALL] / (out[SET_P] + out[SET_RECALL])
    out[LOG_BPREF] = math.log(max(out[BPREF], MIN_GEO_MEAN))
    # contingency-table utility; non-relevant docs not retrieved need the collection size (-N)
    out[UTILITY] = (utility[0] * rel_so_far + utility[1] * (n - rel_so_far) + utility[2] * (num_rel - rel_so_far)
                    + utility[3] * (collection_size + rel_so_far - n - num_rel))
    ideal = np.sort(judged)[::-1]  # the ideal ranking's labels, shared by the gain measures
    top_label = ideal[0] if ideal.size else 0
    out[RBP], out[RBP_RESID] = _rank_biased_precision(labels, top_label, RBP_PERSISTENCE)
    out[INF_AP] = _inferred_ap(labels, level, num_rel)
    bin_g = 0.0
    rel_seen = 0
    for i in range(n):
        if labels[i] >= level:
            rel_seen += 1
            bin_g += 1.0 / math.log2(3 + i - rel_seen)
    if rel_seen > 0:
        out[BIN_G] = bin_g / num_rel
    if num_rel > 0:
        out[G], out[NDCG_REL], out[R_NDCG] = _gain_measures(labels, ideal)
    else:
        out[G], out[NDCG_REL], _ = _gain_measures(labels, ideal)

    _interpolated_precision(labels, level, num_rel, rel_so_far, recall_points, out[N_FIXED : N_FIXED + recall_points.size])
    averaged = np.zeros(average_points.size)
    _interpolated_precision(labels, level, num_rel, rel_so_far, average_points, averaged)
    total = 0.0
    for p in range(average_points.size - 1, -1, -1):  # trec_eval sums from the last point
        total += averaged[p]
    out[ELEVEN_PT_AVG] = total / average_points.size
    out[NDCG] = _ndcg(labels, judged, gains)

    base = N_FIXED + recall_points.size  # the cutoff families, in CUTOFF_FAMILIES order
    for k in range(n_cut):
        out[base + k] = rel_at_cut[k] / cutoffs[k]  # P
    base += n_cut
    if num_rel > 0:
        for k in range(n_cut):
            out[base + k] = rel_at_cut[k] / num_rel  # recall
    base += n_cut
    _ndcg_at_cutoffs(labels, ideal, cutoffs, out[base : base + n_cut])
    base += n_cut
    if num_rel > 0:
        for k in range(n_cut):
            out[base + k] = ap_at_cut[k] / num_rel  # map_cut
    base += n_cut
    if num_rel > 0:
        for k in range(n_cut):
            out[base + k] = rel_at_cut[k] / min(cutoffs[k], num_rel)  # relative_P
    base += n_cut
    for k in range(n_cut):
        out[base + k] = 1.0 if rel_at_cut[k] > 0 else 0.0  # success
    base += n_cut
    for k in range(n_cut):
        out[base + k] = unj_at_cut[k] / cutoffs[k]  # unj
    base += n_cut
    _precision_at_multiples_of_r(labels, level, num_rel, rel_so_far, multiples, out[base : base + multiples.size])


@kernel(parallel=True)
def trec_measures(offsets, labels, level, num_rel, num_nonrel, judged_starts, judged_ends, judged,
                  recall_points, cutoffs, multiples, average_points, utility, gains, collection_size):
    """:func:`measures_one` for every query: a ``(n_queries, width)`` array (see :func:`layout`).

    ``judged[judged_starts[q]:judged_ends[q]]`` are query ``q``'s judgment labels; ``gains[l]``
    is ndcg's gain for label ``l`` (NaN: the label itself); ``collection_size`` is trec_eval's -N.
    """
    n_queries = offsets.size - 1
    width = N_FIXED + recall_points.size + len(CUTOFF_FAMILIES) * cutoffs.size + multiples.size
    out = np.empty((n_queries, width))
    for q in prange(n_queries):
        measures_one(
            labels[offsets[q] : offsets[q + 1]], judged[judged_starts[q] : judged_ends[q]],
            level, num_rel[q], num_nonrel[q], recall_points, cutoffs, multiples,
            average_points, utility, gains, collection_size, out[q],
        )
    return out
