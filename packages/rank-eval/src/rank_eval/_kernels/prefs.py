"""trec_eval's preference measures (``-R prefs``, ``-R qrels_prefs``) for one query and a batch.

Inputs of one query (built by :mod:`rank_eval.prefs`):

- ``run_docs``: doc codes of the ranking in trec_eval's *preference* order (score descending,
  ties by doc id **ascending**, unlike the other measures), already cut to ``-M`` docs;
- the query's judgment lines, sorted by judgment group (JG), subgroup (JSG) and rel_level
  descending: ``groups``/``subgroups`` codes (their order is the labels' ``strcmp`` order),
  ``levels`` and ``docs`` (doc codes whose order is the doc ids' order). No doc occurs twice in
  one subgroup (the readers reject that).

As in trec_eval's ``form_prefs_counts``, every judged doc gets a *docid rank*: the retrieved
judged docs are ranked ``0 .. njr-1`` in retrieval order, the unretrieved ones follow in doc id
order. A preference ``a > b`` (ranks) is *fulfilled among retrieved* when ``a < b < njr``,
*fulfilled implied* when ``a < njr <= b``, *possible* (not fulfilled) among retrieved when
``b < a < njr``, possible implied when ``b < njr <= a``, and *not occurring* when neither doc was
retrieved. A JG with one subgroup prefers every doc to each doc of a lower level (equivalence
classes, "EC"); a JG with several subgroups takes the union of its subgroups' preferences and
closes it transitively (preference array, "PA"), and is an error if that makes ``a > b`` and
``b > a``, or if a doc has level 0 in one subgroup and a positive level in another.

Counting is exact integer arithmetic in O(n log n) per EC group (a Fenwick tree over retrieved
ranks) instead of trec_eval's pair loops; every ratio is one double division of two counts, and
sums of ratios run in trec_eval's order, so the results are bit-identical. Compiled without
fastmath (see ``rank_eval._jit``).
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_eval._jit import kernel

# Output columns, in trec_eval's measure-table order.
(
    NUM_PREFS_POSS, NUM_PREFS_FUL, NUM_PREFS_FUL_RET, SIMP, PAIR, AVGJG, AVGJG_RNONREL,
    SIMP_RET, PAIR_RET, AVGJG_RET, AVGJG_RNONREL_RET, SIMP_IMP, PAIR_IMP, AVGJG_IMP,
) = range(14)
N_VALUES = 14

# Per-query status (column 0 of the status row; then the JG code and two doc codes).
OK = 0
#: After transitive closure a JG prefers a to b and b to a (trec_eval aborts).
CONFLICT = 1
#: In a JG with several subgroups a doc has rel_level 0 in one place and > 0 in another.
ZERO_AND_POSITIVE = 2

# Per-JG counts filled by the group kernels. POSS_* are totals (fulfilled included), as
# trec_eval's num_prefs_possible_* after form_prefs_counts.
(
    FUL_RET, POSS_RET, FUL_IMP, POSS_IMP, NOT_OCCUR, REL, REL_RET, NONREL, NONREL_RET,
    RN_FUL, RN_POSS, RNR_FUL, RNR_POSS,
) = range(13)
N_GROUP_COUNTS = 13


@kernel
def _fenwick_add(tree, position, delta):
    i = position + 1
    while i < tree.size:
        tree[i] += delta
        i += i & (-i)


@kernel
def _fenwick_count_below(tree, position):
    """How many stored positions are ``< position``."""
    total = 0
    i = position
    while i > 0:
        total += tree[i]
        i -= i & (-i)
    return total


@kernel
def _reserve(pairs, n_pairs, extra):
    """``pairs`` with room for ``extra`` more entries after the first ``n_pairs``."""
    if n_pairs + extra <= pairs.size:
        return pairs
    grown = np.empty(max(2 * pairs.size, n_pairs + extra), dtype=np.int64)
    grown[:n_pairs] = pairs[:n_pairs]
    return grown


@kernel
def _docid_ranks(run_docs, line_docs):
    """trec_eval's docid rank of each line's doc, the number of judged docs retrieved, and the
    doc code of each docid rank."""
    judged = np.unique(line_docs)
    n_judged = judged.size
    judged_at = np.full(run_docs.size, -1, dtype=np.int64)
    for r in range(run_docs.size):
        k = np.searchsorted(judged, run_docs[r])
        if k < n_judged and judged[k] == run_docs[r]:
            judged_at[r] = k
    rank_of = np.full(n_judged, -1, dtype=np.int64)
    n_judged_ret = 0
    for r in range(run_docs.size):
        if judged_at[r] >= 0:
            rank_of[judged_at[r]] = n_judged_ret
            n_judged_ret += 1
    next_rank = n_judged_ret
    for k in range(n_judged):  # unretrieved judged docs, in doc id order
        if rank_of[k] < 0:
            rank_of[k] = next_rank
            next_rank += 1
    doc_of_rank = np.empty(n_judged, dtype=np.int64)
    for k in range(n_judged):
        doc_of_rank[rank_of[k]] = judged[k]
    return rank_of[np.searchsorted(judged, line_docs)], n_judged_ret, doc_of_rank


@kernel
def _equivalence_class_group(ranks, levels, njr, nj, tree, counts, collect, pairs, n_pairs):
    """Counts of a JG with one subgroup: ``levels`` descending, ``ranks`` ascending in a level.

    One sweep down the classes counts the preferences a > b each class receives from the classes
    above: into a retrieved b, fulfilled when a is retrieved with a smaller rank (a Fenwick tree
    over the ranks seen so far); into an unretrieved b, when a is retrieved at all. With
    ``collect`` the directed pairs ``a * nj + b`` are appended to ``pairs`` (for the pair measures).
    """
    n = ranks.size
    starts = np.empty(n + 1, dtype=np.int64)
    n_classes = 0
    for i in range(n):
        if i == 0 or levels[i] != levels[i - 1]:
            starts[n_classes] = i
            n_classes += 1
    starts[n_classes] = n

    above_ret = 0  # retrieved docs in the classes above the current one
    above_all = 0
    all_pairs = 0
    into_last_ful = 0  # fulfilled preferences whose lower doc is in the last class
    into_last_ful_ret = 0
    above_last_ret = 0
    above_last_all = 0
    last_ret = 0
    for c in range(n_classes):
        s, e = starts[c], starts[c + 1]
        size = e - s
        ret = 0
        while s + ret < e and ranks[s + ret] < njr:
            ret += 1
        into_ful = 0
        into_ful_ret = 0
        for i in range(s, e):
            if ranks[i] < njr:
                below = _fenwick_count_below(tree, ranks[i])
                into_ful_ret += below
                into_ful += below
            else:
                into_ful += above_ret
        counts[FUL_RET] += into_ful_ret
        counts[FUL_IMP] += into_ful - into_ful_ret
        counts[POSS_RET] += above_ret * ret
        counts[POSS_IMP] += above_ret * (size - ret) + (above_all - above_ret) * ret
        counts[NOT_OCCUR] += (above_all - above_ret) * (size - ret)
        all_pairs += above_all * size
        if levels[s] > 0.0:  # trec_eval: rel_level > 0 is relevant, anything else non-relevant
            counts[REL] += size
            counts[REL_RET] += ret
        else:
            counts[NONREL] += size
            counts[NONREL_RET] += ret
        if c == n_classes - 1:
            into_last_ful, into_last_ful_ret = into_ful, into_ful_ret
            above_last_ret, above_last_all, last_ret = above_ret, above_all, ret
        for i in range(s, s + ret):
            _fenwick_add(tree, ranks[i], 1)
        above_ret += ret
        above_all += size
    for i in range(n):  # leave the tree empty for the next JG
        if ranks[i] < njr:
            _fenwick_add(tree, ranks[i], -1)

    # prefs_avgjg_Rnonrel[_ret] when non-relevant docs outnumber relevant ones: trec_eval's
    # recalculation keeps the first K docs (rank order) of the LAST class as the non-relevant
    # class, counts the pairs among the other classes (upper class first) and then every doc of
    # every class, the last one included (a trec_eval quirk kept for bit-compatibility), against
    # those K docs. A pair (a, b) is fulfilled when a < b and a was retrieved.
    last_start = starts[n_classes - 1]
    last_size = n - last_start
    sorted_ranks = np.sort(ranks)
    if counts[NONREL] > counts[REL]:
        keep = min(counts[REL], last_size)  # min: trec_eval reads past the class otherwise
        ful = counts[FUL_RET] + counts[FUL_IMP] - into_last_ful
        for i in range(last_start, last_start + keep):
            ful += np.searchsorted(sorted_ranks, min(ranks[i], njr))
        counts[RN_FUL] = ful
        counts[RN_POSS] = all_pairs - above_last_all * last_size + n * keep
    if counts[NONREL_RET] > counts[REL_RET]:
        # the same over retrieved docs only; K = the relevant retrieved docs
        keep = min(counts[REL_RET], last_ret)  # trec_eval stops at the first unretrieved doc
        ful = counts[FUL_RET] - into_last_ful_ret
        for i in range(last_start, last_start + keep):
            ful += np.searchsorted(sorted_ranks, ranks[i])
        counts[RNR_FUL] = ful
        counts[RNR_POSS] = counts[POSS_RET] - above_last_ret * last_ret + above_ret * keep

    if collect:
        pairs = _reserve(pairs, n_pairs, all_pairs)
        for c in range(n_classes):
            for i in range(starts[c], starts[c + 1]):
                for j in range(starts[c + 1], n):
                    pairs[n_pairs] = ranks[i] * nj + ranks[j]
                    n_pairs += 1
    return pairs, n_pairs


@kernel
def _has(bits, i, j):
    return ((bits[i, j >> 6] >> np.uint64(j & 63)) & np.uint64(1)) != np.uint64(0)


@kernel
def _preference_array_group(ranks, subgroups, levels, njr, nj, counts, status, collect, pairs, n_pairs):
    """Counts of a JG with several subgroups; ``status`` gets ``(code, rank a, rank b)`` on error.

    Docs are indexed locally in docid-rank order (the first ``m_ret`` retrieved), so comparing
    local indices compares ranks. Preferences are a bit matrix closed transitively (Warshall).
    """
    n = ranks.size
    local = np.unique(ranks)
    m = local.size
    index = np.searchsorted(local, ranks)
    m_ret = np.searchsorted(local, njr)

    # each doc's rel_level is the last one met in (subgroup, level desc, rank) order, as in
    # trec_eval's rel_array; -1 marks "not judged here" and counts as neither kind
    rel = np.full(m, -1.0)
    for i in range(n):
        current, level = rel[index[i]], levels[i]
        if (current > 0.0 and level == 0.0) or (current == 0.0 and level > 0.0):
            status[0], status[1], status[2] = ZERO_AND_POSITIVE, ranks[i], -1
            return pairs, n_pairs
        rel[index[i]] = level

    words = (m + 63) // 64
    bits = np.zeros((m, words), dtype=np.uint64)
    s = 0
    while s < n:
        e = s + 1
        while e < n and subgroups[e] == subgroups[s]:
            e += 1
        i = s
        while i < e:  # every doc of a level run is preferred to every doc below it
            j = i + 1
            while j < e and levels[j] == levels[i]:
                j += 1
            for x in range(i, j):
                for y in range(j, e):
                    bits[index[x], index[y] >> 6] |= np.uint64(1) << np.uint64(index[y] & 63)
            i = j
        s = e
    for k in range(m):
        for i in range(m):
            if _has(bits, i, k):
                for w in range(words):
                    bits[i, w] |= bits[k, w]
    for i in range(m):
        for j in range(i + 1, m):
            if _has(bits, i, j) and _has(bits, j, i):
                status[0], status[1], status[2] = CONFLICT, local[i], local[j]
                return pairs, n_pairs
    for i in range(m):  # a cycle would have been a conflict; clear the closure's diagonal
        bits[i, i >> 6] &= ~(np.uint64(1) << np.uint64(i & 63))

    n_prefs = 0
    for i in range(m):
        for j in range(m):
            if _has(bits, i, j):
                n_prefs += 1
                if i < m_ret:
                    if j < i:
                        counts[POSS_RET] += 1
                    elif j < m_ret:
                        counts[FUL_RET] += 1
                        counts[POSS_RET] += 1
                    else:
                        counts[FUL_IMP] += 1
                        counts[POSS_IMP] += 1
                elif j < m_ret:
                    counts[POSS_IMP] += 1
                else:
                    counts[NOT_OCCUR] += 1
    for i in range(m):
        if rel[i] > 0.0:
            counts[REL] += 1
            if i < m_ret:
                counts[REL_RET] += 1
        elif rel[i] == 0.0:
            counts[NONREL] += 1
            if i < m_ret:
                counts[NONREL_RET] += 1

    # prefs_avgjg_Rnonrel[_ret] recalculation: drop the non-relevant docs after the first
    # num_rel of them (rank order; for _ret among retrieved docs, still num_rel, as trec_eval)
    if counts[NONREL] > counts[REL]:
        first_dropped = _first_dropped_nonrel(rel, m, counts[REL])
        counts[RN_FUL], counts[RN_POSS] = _recount_kept(bits, rel, m, m_ret, first_dropped)
    if counts[NONREL_RET] > counts[REL_RET]:
        first_dropped = _first_dropped_nonrel(rel, m_ret, counts[REL])
        counts[RNR_FUL], counts[RNR_POSS] = _recount_kept(bits, rel, m_ret, m_ret, first_dropped)

    if collect:
        pairs = _reserve(pairs, n_pairs, n_prefs)
        for i in range(m):
            for j in range(m):
                if _has(bits, i, j):
                    pairs[n_pairs] = local[i] * nj + local[j]
                    n_pairs += 1
    return pairs, n_pairs


@kernel
def _recount_kept(bits, rel, limit, m_ret, first_dropped):
    """``(fulfilled, possible)`` preferences among the first ``limit`` docs, leaving out the docs
    with level 0 from ``first_dropped`` on; fulfilled: the preferred doc retrieved and above."""
    ful = 0
    poss = 0
    for i in range(limit):
        if i >= first_dropped and rel[i] == 0.0:
            continue
        for j in range(limit):
            if j >= first_dropped and rel[j] == 0.0:
                continue
            if _has(bits, i, j):
                poss += 1
                if i < m_ret and j > i:
                    ful += 1
    return ful, poss


@kernel
def _first_dropped_nonrel(rel, limit, num_rel):
    """Local index of the (num_rel + 1)-th doc with level 0 among the first ``limit``, else ``limit``."""
    seen = 0
    for i in range(limit):
        if rel[i] == 0.0:
            seen += 1
            if seen == num_rel + 1:
                return i
    return limit


@kernel
def _pair_measures(pairs, n_pairs, njr, nj, out):
    """prefs_pair[_ret, _imp] from the directed preferences of every JG (``a * nj + b``).

    Each unordered doc pair scores (JGs preferring the higher-ranked doc) / (JGs preferring
    either); sums run over pairs in trec_eval's loop order: both retrieved, then one retrieved
    (each by (higher rank, lower rank)); pairs of unretrieved docs only count in the denominator.
    """
    keys = np.empty(n_pairs, dtype=np.int64)  # unordered pair, times 2, plus 1 if backwards
    for p in range(n_pairs):
        a, b = pairs[p] // nj, pairs[p] % nj
        keys[p] = (min(a, b) * nj + max(a, b)) * 2 + (1 if a > b else 0)
    keys = np.sort(keys)
    sum_ret = 0.0
    n_ret = 0
    n_imp = 0
    n_none = 0
    for passing in range(2):  # pass 0: both retrieved; pass 1: exactly one retrieved
        p = 0
        while p < n_pairs:
            pair = keys[p] // 2
            forward = 0
            backward = 0
            while p < n_pairs and keys[p] // 2 == pair:
                if keys[p] % 2 == 0:
                    forward += 1
                else:
                    backward += 1
                p += 1
            high, low = pair // nj, pair % nj
            if low < njr:
                if passing == 0:
                    sum_ret += forward / (forward + backward)
                    n_ret += 1
            elif high < njr:
                if passing == 1:
                    sum_ret += forward / (forward + backward)
                    n_imp += 1
            elif passing == 0:
                n_none += 1
        if passing == 0 and n_ret:
            out[PAIR_RET] = sum_ret / n_ret
    if n_ret + n_imp:
        out[PAIR_IMP] = sum_ret / (n_ret + n_imp)
    if n_ret + n_imp + n_none:
        out[PAIR] = sum_ret / (n_ret + n_imp + n_none)


@kernel
def prefs_one_query(run_docs, groups, subgroups, levels, docs, out, status):
    """Every all_prefs measure of one query into ``out`` (see the column constants).

    ``status`` gets ``(code, JG code, doc code, doc code)`` when a JG is inconsistent; ``out`` is
    then unspecified.
    """
    n = docs.size
    if n == 0:
        return
    ranks, njr, doc_of_rank = _docid_ranks(run_docs, docs)
    nj = doc_of_rank.size
    s = 0
    while s < n:  # ranks ascending inside each (group, subgroup, level) class
        e = s + 1
        while e < n and groups[e] == groups[s] and subgroups[e] == subgroups[s] and levels[e] == levels[s]:
            e += 1
        ranks[s:e] = np.sort(ranks[s:e])
        s = e

    n_groups = 1
    for i in range(1, n):
        if groups[i] != groups[i - 1]:
            n_groups += 1
    collect = n_groups > 1  # with one JG every pair ratio is 0 or 1: pair measures = simp ones
    pairs = np.empty(64 if collect else 0, dtype=np.int64)
    n_pairs = 0
    tree = np.zeros(njr + 1, dtype=np.int64)
    totals = np.zeros(N_GROUP_COUNTS, dtype=np.int64)
    sum_avgjg = 0.0
    sum_avgjg_ret = 0.0
    sum_avgjg_imp = 0.0
    sum_rnonrel = 0.0
    sum_rnonrel_ret = 0.0
    nan_rnonrel = False  # trec_eval adds 0/0 = NaN, and NaN > 0 is false: the query scores 0
    nan_rnonrel_ret = False
    a = 0
    while a < n:
        b = a + 1
        several_subgroups = False
        while b < n and groups[b] == groups[a]:
            if subgroups[b] != subgroups[a]:
                several_subgroups = True
            b += 1
        counts = np.zeros(N_GROUP_COUNTS, dtype=np.int64)
        if several_subgroups:
            group_status = np.zeros(3, dtype=np.int64)
            pairs, n_pairs = _preference_array_group(
                ranks[a:b], subgroups[a:b], levels[a:b], njr, nj, counts, group_status, collect, pairs, n_pairs
            )
            if group_status[0] != OK:
                status[0], status[1] = group_status[0], groups[a]
                status[2] = doc_of_rank[group_status[1]]
                status[3] = doc_of_rank[group_status[2]] if group_status[2] >= 0 else -1
                return
        else:
            pairs, n_pairs = _equivalence_class_group(
                ranks[a:b], levels[a:b], njr, nj, tree, counts, collect, pairs, n_pairs
            )
        totals += counts

        ful = counts[FUL_RET] + counts[FUL_IMP]
        poss = counts[POSS_RET] + counts[POSS_IMP] + counts[NOT_OCCUR]
        if poss:
            sum_avgjg += ful / poss
        if counts[POSS_RET]:
            sum_avgjg_ret += counts[FUL_RET] / counts[POSS_RET]
        if counts[POSS_RET] + counts[POSS_IMP]:
            sum_avgjg_imp += ful / (counts[POSS_RET] + counts[POSS_IMP])

        # R >= N: every pref counts, plus R - N fulfilled (if retrieved) non-relevant docs per
        # relevant doc; else the recalculated counts
        excess = counts[REL] - counts[NONREL]
        if excess >= 0:
            rn_ful = ful + counts[REL_RET] * excess
            rn_poss = poss + counts[REL] * excess
        else:
            rn_ful, rn_poss = counts[RN_FUL], counts[RN_POSS]
        if rn_poss:
            sum_rnonrel += rn_ful / rn_poss
        else:
            nan_rnonrel = True
        excess = counts[REL_RET] - counts[NONREL_RET]
        if excess >= 0:  # trec_eval multiplies by num_rel here, not num_rel_ret
            rn_ful = counts[FUL_RET] + counts[REL_RET] * excess
            rn_poss = counts[POSS_RET] + counts[REL] * excess
        else:
            rn_ful, rn_poss = counts[RNR_FUL], counts[RNR_POSS]
        if rn_poss:
            sum_rnonrel_ret += rn_ful / rn_poss
        else:
            nan_rnonrel_ret = True
        a = b

    ful = totals[FUL_RET] + totals[FUL_IMP]
    poss = totals[POSS_RET] + totals[POSS_IMP] + totals[NOT_OCCUR]
    out[NUM_PREFS_POSS] = poss
    out[NUM_PREFS_FUL] = ful
    out[NUM_PREFS_FUL_RET] = totals[FUL_RET]
    if poss:
        out[SIMP] = ful / poss
    if totals[POSS_RET]:
        out[SIMP_RET] = totals[FUL_RET] / totals[POSS_RET]
    if totals[POSS_RET] + totals[POSS_IMP]:
        out[SIMP_IMP] = ful / (totals[POSS_RET] + totals[POSS_IMP])
    if collect:
        _pair_measures(pairs, n_pairs, njr, nj, out)
    else:
        out[PAIR], out[PAIR_RET], out[PAIR_IMP] = out[SIMP], out[SIMP_RET], out[SIMP_IMP]
    if sum_avgjg > 0.0:
        out[AVGJG] = sum_avgjg / n_groups
    if sum_avgjg_ret > 0.0:
        out[AVGJG_RET] = sum_avgjg_ret / n_groups
    if sum_avgjg_imp > 0.0:
        out[AVGJG_IMP] = sum_avgjg_imp / n_groups
    if not nan_rnonrel and sum_rnonrel > 0.0:
        out[AVGJG_RNONREL] = sum_rnonrel / n_groups
    if not nan_rnonrel_ret and sum_rnonrel_ret > 0.0:
        out[AVGJG_RNONREL_RET] = sum_rnonrel_ret / n_groups


@kernel(parallel=True)
def prefs_measures(run_offsets, run_docs, line_offsets, groups, subgroups, levels, docs):
    """:func:`prefs_one_query` for every query: ``(values (n_queries, N_VALUES), status (n_queries, 4))``."""
    n_queries = run_offsets.size - 1
    values = np.zeros((n_queries, N_VALUES))
    status = np.zeros((n_queries, 4), dtype=np.int64)
    for q in prange(n_queries):
        s, e = line_offsets[q], line_offsets[q + 1]
        prefs_one_query(
            run_docs[run_offsets[q] : run_offsets[q + 1]], groups[s:e], subgroups[s:e], levels[s:e], docs[s:e],
            values[q], status[q],
        )
    return values, status
