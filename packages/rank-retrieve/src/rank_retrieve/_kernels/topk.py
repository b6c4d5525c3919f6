"""Top-k selection with one tie rule for every index: score descending, then position ascending.

A bounded min-heap keeps the ``k`` best (score, position) pairs seen so far; its root is the worst
kept pair, so a candidate enters only when it beats the root. "Better" is a strict total order
(higher score, or equal score and lower position), so the result does not depend on the order in
which candidates are offered, nor on the thread count.
"""

from __future__ import annotations

import numpy as np

from rank_retrieve._jit import kernel


@kernel
def _worse(score_a, position_a, score_b, position_b):
    """True when (score_a, position_a) ranks below (score_b, position_b)."""
    return score_a < score_b or (score_a == score_b and position_a > position_b)


@kernel
def _sift_down(heap_scores, heap_positions, size, start):
    """Restore the min-heap (worst at the root) below ``start``."""
    node = start
    while True:
        child = 2 * node + 1
        if child >= size:
            return
        right = child + 1
        if right < size and _worse(
            heap_scores[right], heap_positions[right], heap_scores[child], heap_positions[child]
        ):
            child = right
        if _worse(heap_scores[child], heap_positions[child], heap_scores[node], heap_positions[node]):
            heap_scores[node], heap_scores[child] = heap_scores[child], heap_scores[node]
            heap_positions[node], heap_positions[child] = heap_positions[child], heap_positions[node]
            node = child
        else:
            return


@kernel
def heap_offer(heap_scores, heap_positions, size, k, score, position):
    """Offer one candidate to a heap holding ``size`` of at most ``k`` pairs; return the new size."""
    if size < k:
        node = size
        heap_scores[node] = score
        heap_positions[node] = position
        while node > 0:  # sift up
            parent = (node - 1) // 2
            if _worse(heap_scores[node], heap_positions[node], heap_scores[parent], heap_positions[parent]):
                heap_scores[node], heap_scores[parent] = heap_scores[parent], heap_scores[node]
                heap_positions[node], heap_positions[parent] = heap_positions[parent], heap_positions[node]
                node = parent
            else:
                break
        return size + 1
    if _worse(heap_scores[0], heap_positions[0], score, position):
        heap_scores[0] = score
        heap_positions[0] = position
        _sift_down(heap_scores, heap_positions, size, 0)
    return size


@kernel
def heap_drain(heap_scores, heap_positions, size, out_scores, out_positions):
    """Write the heap's pairs best first into ``out_*[:size]`` (the heap is consumed)."""
    for slot in range(size - 1, -1, -1):
        out_scores[slot] = heap_scores[0]
        out_positions[slot] = heap_positions[0]
        last = slot
        heap_scores[0] = heap_scores[last]
        heap_positions[0] = heap_positions[last]
        _sift_down(heap_scores, heap_positions, last, 0)


@kernel
def select_top_k(scores, positions, count, k, out_scores, out_positions):
    """Top ``k`` of ``count`` candidate pairs into ``out_*``, best first; returns how many.

    For large ``k`` (a bounded heap would replace its root for most candidates): the ``k``-th
    largest score by introselect, the candidates above it, the lowest-position ones equal to it,
    then one stable sort of the ``k`` chosen. O(count + k log k). ``positions`` may come in any
    order; the scratch ``scores`` prefix is left intact.
    """
    if count > k:
        threshold = np.partition(scores[:count].copy(), count - k)[count - k]
        size = 0
        n_equal = 0
        equal = np.empty(count, dtype=np.int64)
        for i in range(count):
            if scores[i] > threshold:
                out_scores[size] = scores[i]
                out_positions[size] = positions[i]
                size += 1
            elif scores[i] == threshold:
                equal[n_equal] = positions[i]
                n_equal += 1
        lowest = np.sort(equal[:n_equal])
        for i in range(k - size):
            out_scores[size + i] = threshold
            out_positions[size + i] = lowest[i]
        size = k
    else:
        size = count
        out_scores[:size] = scores[:size]
        out_positions[:size] = positions[:size]
    by_position = np.argsort(out_positions[:size], kind="mergesort")
    ranked_scores = out_scores[:size][by_position]
    ranked_positions = out_positions[:size][by_position]
    order = np.argsort(-ranked_scores, kind="mergesort")  # stable: equal scores keep position order
    out_scores[:size] = ranked_scores[order]
    out_positions[:size] = ranked_positions[order]
    return size
