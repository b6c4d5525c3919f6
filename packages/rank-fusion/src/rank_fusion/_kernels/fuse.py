"""Per-query fusion: normalise each list, turn each (rank, score) into a contribution, combine.

Every method is one point in (normalisation, contribution, combination); the codes below select
them inside one compiled loop, so adding a method adds a branch, not a kernel. Per query the
kernel fills a dense ``lists x candidates`` table of contributions (NaN = the doc is absent from
that list and the method gives absent docs nothing), combines each candidate's column, and
writes the candidates ranked by fused score descending, ties by doc code (= doc id) descending.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from rank_fusion._jit import kernel

# ---- normalisations (applied to each list's scores within a query)
NORM_NONE = 0
NORM_MIN_MAX = 1
NORM_MIN_MAX_INVERTED = 2
NORM_MAX = 3
NORM_SUM = 4
NORM_ZMUV = 5
NORM_RANK = 6
NORM_BORDA = 7
NORM_L2 = 8
NORM_DBSF = 9
NORM_OPENSEARCH_MIN_MAX = 10
NORM_ZSCORE = 11  # z-score clipped to [P_CLIP_LOW, P_CLIP_HIGH]; 0 when sd <= EPSILON
NORM_L1 = 12

# ---- contributions of one list to one candidate
FROM_SCORE = 0
FROM_RRF = 1
FROM_ISR = 2
FROM_BORDA = 3
FROM_RBC = 4
FROM_MAP = 5
FROM_POSITION_PROBS = 6
FROM_SEGMENT_PROBS = 7
FROM_SEGFUSE = 8
FROM_SLIDING_PROBS = 9
FROM_LOG_ODDS = 10

# ---- combinations of a candidate's contributions across lists
COMBINE_SUM = 0  # sum of weight * contribution (weights are 1 for unweighted methods)
COMBINE_MNZ = 1  # sum * number of lists holding the doc
COMBINE_LOG_MNZ = 2  # sum * log(count)
COMBINE_LOGN_MNZ = 3  # sum * log(count + sigma)
COMBINE_GMNZ = 4  # sum * count ** gamma
COMBINE_ANZ = 5  # sum / count
COMBINE_MIN = 6
COMBINE_MAX = 7
COMBINE_MED = 8
COMBINE_WMNZ = 9  # (sum of contributions) * (sum of the weights of the lists holding the doc)
COMBINE_MIXED = 10  # sum * sqrt(count)
COMBINE_ARITHMETIC_MEAN = 11  # OpenSearch: sum(w * s) / sum(w) over lists whose score is >= 0 (missing = 0)
COMBINE_GEOMETRIC_MEAN = 12  # OpenSearch: exp(sum(w * ln s) / sum(w)) over lists whose score is > 0
COMBINE_HARMONIC_MEAN = 13  # OpenSearch: sum(w) / sum(w / s) over lists whose score is > 0

# ---- indices into the float parameter vector
P_K = 0  # rrf's k
P_PHI = 1  # rbc's persistence
P_GAMMA = 2  # gmnz's exponent
P_SIGMA = 3  # logn_isr's sigma
P_WINDOW = 4  # slidefuse's half window
P_SEGMENTS = 5  # probfuse's number of segments
P_CLIP_LOW = 6  # the zscore normalisation's clipping range
P_CLIP_HIGH = 7
N_PARAMS = 8
#: the zscore normalisation's default clipping range (``standardized``'s ``clip_range``)
ZSCORE_CLIP = (-3.0, 3.0)

#: ranx's floor for max / sum / zmuv denominators.
EPSILON = 1e-9
#: OpenSearch's min-max maps the list's minimum to this instead of 0.
OPENSEARCH_MIN_SCORE = 0.001
#: bayesfuse's log-odds of a doc a list does not hold: log(0.001 / 0.999).
LOG_ODDS_FLOOR = math.log(0.001 / 0.999)
#: segfuse's segment boundaries: segment k (1-based) has 10 * 2 ** (k - 1) - 5 docs before its end.
SEGFUSE_BOUNDS = np.array([0, 5, 15, 35, 75, 155, 315, 635, 1275, 2555, 5115], dtype=np.int64)


@kernel
def _segfuse_segment(position):
    for k in range(SEGFUSE_BOUNDS.size - 1):
        if position < SEGFUSE_BOUNDS[k + 1]:
            return k
    return -1


@kernel
def _normalizer(norm, scores, first, n):
    """``(shift, scale, invert, degenerate)``: a score ``s`` normalises to ``(s - shift) / scale``
    (``(shift - s) / scale`` when ``invert``), or to ``degenerate`` when ``scale`` is 0."""
    if n == 0 or norm in (NORM_NONE, NORM_RANK, NORM_BORDA):
        return 0.0, 1.0, False, 0.0
    low = scores[first]
    high = scores[first]
    total = 0.0
    squares = 0.0
    for row in range(first, first + n):
        s = scores[row]
        low = min(low, s)
        high = max(high, s)
        total += s
        squares += s * s
    if norm in (NORM_MIN_MAX, NORM_OPENSEARCH_MIN_MAX):
        return low, high - low, False, 1.0
    if norm == NORM_MIN_MAX_INVERTED:
        return high, high - low, True, 1.0
    if norm == NORM_MAX:
        return 0.0, max(high, EPSILON), False, 0.0
    if norm == NORM_SUM:
        return low, max(total - low * n, EPSILON), False, 0.0
    if norm == NORM_L2:
        norm_2 = math.sqrt(squares)
        return 0.0, norm_2 if norm_2 > 0.0 else 1.0, False, 0.0  # all-zero scores stay 0
    if norm == NORM_L1:
        norm_1 = 0.0
        for row in range(first, first + n):
            norm_1 += abs(scores[row])
        return 0.0, norm_1 if norm_1 > 0.0 else 1.0, False, 0.0  # all-zero scores stay 0
    mean = total / n
    deviation = 0.0
    for row in range(first, first + n):
        deviation += (scores[row] - mean) ** 2
    if norm == NORM_ZMUV:
        return mean, max(math.sqrt(deviation / n), EPSILON), False, 0.0
    if norm == NORM_ZSCORE:  # population sd; a list whose sd is <= EPSILON gives 0 (not clipped)
        std = math.sqrt(deviation / n)
        return mean, std if std > EPSILON else 0.0, False, 0.0
    # NORM_DBSF (Qdrant): sample sd; [mean - 3 sd, mean + 3 sd] maps to [0, 1], no clipping;
    # a single score or equal scores give 0.5
    if n == 1:
        return 0.0, 0.0, False, 0.5
    std = math.sqrt(deviation / (n - 1))
    return mean - 3.0 * std, 6.0 * std, False, 0.5


@kernel
def _contribution(kind, position, score, n, n_candidates, list_index, params, tables, table_sizes):
    if kind == FROM_SCORE:
        return score
    if kind == FROM_RRF:
        return 1.0 / (params[P_K] + position + 1.0)
    if kind == FROM_ISR:
        return 1.0 / (position + 1.0) ** 2
    if kind == FROM_BORDA:
        return n_candidates - position
    if kind == FROM_RBC:
        phi = params[P_PHI]
        return (1.0 - phi) * phi**position
    if kind == FROM_MAP:
        return tables[list_index, 0] / (position + 1.0)
    at = int(position)
    size = table_sizes[list_index]
    if kind == FROM_POSITION_PROBS:
        return tables[list_index, at] if at < size else 0.0
    if kind == FROM_SEGMENT_PROBS:
        segment_size = math.ceil(n / params[P_SEGMENTS])
        segment = at // segment_size
        return tables[list_index, segment] / (segment + 1.0)
    if kind == FROM_SEGFUSE:
        segment = _segfuse_segment(at)
        return tables[list_index, segment] * (score + 1.0) if 0 <= segment < size else 0.0
    if kind == FROM_SLIDING_PROBS:
        window = int(params[P_WINDOW])
        low = max(at - window, 0)
        high = min(at + window, n - 1)
        total = 0.0
        for i in range(low, min(high + 1, size)):
            total += tables[list_index, i]
        return total / (high - low + 1)
    # FROM_LOG_ODDS
    return tables[list_index, at] if at < size else LOG_ODDS_FLOOR


@kernel
def _absent_value(kind, norm, n, n_candidates):
    """What a list gives a candidate it does not hold (NaN: nothing, the doc is absent)."""
    if kind == FROM_BORDA:
        return (n_candidates - n + 1) / 2.0
    if kind == FROM_LOG_ODDS:
        return LOG_ODDS_FLOOR
    if kind == FROM_SCORE and norm == NORM_BORDA:
        return 0.5 - (n - 1) / (2.0 * n_candidates)
    return np.nan


@kernel
def _engine_mean(combination, values, present, weights):
    """OpenSearch's weighted means; a list without the doc counts as score 0."""
    numerator = 0.0
    denominator = 0.0
    for r in range(values.size):
        v = values[r] if present[r] else 0.0
        if combination == COMBINE_ARITHMETIC_MEAN and v >= 0.0:
            numerator += weights[r] * v
            denominator += weights[r]
        elif combination == COMBINE_GEOMETRIC_MEAN and v > 0.0:
            numerator += weights[r] * math.log(v)
            denominator += weights[r]
        elif combination == COMBINE_HARMONIC_MEAN and v > 0.0:
            numerator += weights[r] / v
            denominator += weights[r]
    if denominator == 0.0 or (numerator == 0.0 and combination == COMBINE_HARMONIC_MEAN):
        return 0.0
    if combination == COMBINE_ARITHMETIC_MEAN:
        return numerator / denominator
    if combination == COMBINE_GEOMETRIC_MEAN:
        return math.exp(numerator / denominator)
    return denominator / numerator


@kernel
def _combine(combination, values, present, weights, params):
    count = 0
    total = 0.0
    plain_total = 0.0
    weight_total = 0.0
    low = np.inf
    high = -np.inf
    for r in range(values.size):
        if present[r]:
            v = values[r]
            count += 1
            total += weights[r] * v
            plain_total += v
            weight_total += weights[r]
            low = min(low, v)
            high = max(high, v)
    if combination == COMBINE_SUM:
        return total
    if combination == COMBINE_MNZ:
        return total * count
    if combination == COMBINE_LOG_MNZ:
        return total * math.log(count)
    if combination == COMBINE_LOGN_MNZ:
        return total * math.log(count + params[P_SIGMA])
    if combination == COMBINE_GMNZ:
        return total * count ** params[P_GAMMA]
    if combination == COMBINE_ANZ:
        return total / count
    if combination == COMBINE_MIN:
        return low
    if combination == COMBINE_MAX:
        return high
    if combination == COMBINE_WMNZ:
        return plain_total * weight_total
    if combination == COMBINE_MIXED:
        return total * math.sqrt(count)
    if combination >= COMBINE_ARITHMETIC_MEAN:
        return _engine_mean(combination, values, present, weights)
    # COMBINE_MED: the median of the contributions present (mean of the middle two when even)
    held = np.empty(count)
    i = 0
    for r in range(values.size):
        if present[r]:
            held[i] = values[r]
            i += 1
    held.sort()
    middle = count // 2
    return held[middle] if count % 2 == 1 else (held[middle - 1] + held[middle]) / 2.0


@kernel
def fuse_query(q, starts, lengths, scores, ranks, row_candidate, n_candidates, norm, kind, combination,
               params, weights, tables, table_sizes):
    """The fused score of each of query ``q``'s candidates (in candidate order)."""
    n_lists = starts.shape[0]
    table = np.full((n_candidates, n_lists), np.nan)
    for r in range(n_lists):
        first = starts[r, q]
        n = lengths[r, q]
        shift, scale, invert, degenerate = _normalizer(norm, scores, first, n)
        for i in range(n):
            row = first + i
            s = scores[row]
            if norm == NORM_RANK:
                s = 1.0 - i / n
            elif norm == NORM_BORDA:
                s = 1.0 - i / n_candidates
            elif norm != NORM_NONE:
                if scale == 0.0:
                    s = degenerate
                else:
                    s = (shift - s) / scale if invert else (s - shift) / scale
                    if norm == NORM_ZSCORE:
                        s = min(max(s, params[P_CLIP_LOW]), params[P_CLIP_HIGH])
                if norm == NORM_OPENSEARCH_MIN_MAX and s == 0.0:
                    s = OPENSEARCH_MIN_SCORE
            position = float(i) if ranks.size == 0 else ranks[row]
            table[row_candidate[row], r] = _contribution(
                kind, position, s, n, n_candidates, r, params, tables, table_sizes
            )
        absent = _absent_value(kind, norm, n, n_candidates) if n_candidates > 0 else np.nan
        if not np.isnan(absent):
            for c in range(n_candidates):
                if np.isnan(table[c, r]):
                    table[c, r] = absent
    fused = np.empty(n_candidates)
    present = np.empty(n_lists, dtype=np.bool_)
    for c in range(n_candidates):
        for r in range(n_lists):
            present[r] = not np.isnan(table[c, r])
        fused[c] = _combine(combination, table[c], present, weights, params)
    return fused


@kernel
def ranked_order(fused):
    """Candidate indices by fused score descending, ties by candidate index (= doc id) descending."""
    n = fused.size
    keys = np.empty(n)
    for j in range(n):
        keys[j] = -fused[n - 1 - j]
    order = np.argsort(keys, kind="mergesort")
    for j in range(n):
        order[j] = n - 1 - order[j]
    return order


@kernel(parallel=True)
def fuse_all(starts, lengths, scores, ranks, row_candidate, candidate_offsets, candidate_codes, out_offsets,
             norm, kind, combination, params, weights, tables, table_sizes):
    """Fuse every query; write the top ``out_offsets[q + 1] - out_offsets[q]`` docs of query ``q``."""
    n_queries = starts.shape[1]
    out_codes = np.empty(out_offsets[n_queries], dtype=np.int64)
    out_scores = np.empty(out_offsets[n_queries])
    for q in prange(n_queries):
        first = candidate_offsets[q]
        n_candidates = candidate_offsets[q + 1] - first
        fused = fuse_query(q, starts, lengths, scores, ranks, row_candidate, n_candidates, norm, kind,
                           combination, params, weights, tables, table_sizes)
        order = ranked_order(fused)
        for j in range(out_offsets[q + 1] - out_offsets[q]):
            out_codes[out_offsets[q] + j] = candidate_codes[first + order[j]]
            out_scores[out_offsets[q] + j] = fused[order[j]]
    return out_codes, out_scores
