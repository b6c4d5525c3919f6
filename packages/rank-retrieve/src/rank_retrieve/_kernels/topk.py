"""Top-k selection with one tie rule for every index: score descending, then position ascending.

A bounded min-heap keeps the ``k`` best (score, position) pairs seen so far; its root is the worst
kept pair, so a candidate enters only when it beats the root. "Better" is a strict total order
(higher score, or equal score and lower position), so the result does not depend on the order in
which candidates are offered, nor on the thread count.
"""

from __future__ import annotations

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
