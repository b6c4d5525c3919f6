"""Top-k selection with one tie rule for every index: score descending, then position ascending.

A bounded min-heap keeps the ``k`` best (score, position) pairs seen so far; its root is the worst
kept pair, so a candidate enters only when it beats the root. "Better" is a strict total order
(higher score, or equal score and lower position), so the result does not depend on the order in
which candidates are offered, nor on the thread count.
"""

from __future__ import annotations

import numpy as np

from rank_retrieve._jit import kernel

_LOW_32 = np.uint64(0xFFFFFFFF)
_SIGN_32 = np.uint32(0x80000000)


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

    For large ``k``, where a bounded heap would replace its root for most candidates. The scratch
    ``scores`` and ``positions`` may be overwritten.
    """
    if scores.itemsize == 4 and positions.size <= 0xFFFFFFFF:
        return _select_packed(scores, positions, count, k, out_scores, out_positions)
    return _select_general(scores, positions, count, k, out_scores, out_positions)


@kernel
def _select_general(scores, positions, count, k, out_scores, out_positions):
    """:func:`select_top_k` for any float dtype: the ``k``-th largest score by introselect, the
    candidates above it, the lowest-position ones equal to it, then one stable sort of the ``k``
    chosen. O(count + k log k). ``positions`` may come in any order.
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


@kernel
def _select_packed(scores, positions, count, k, out_scores, out_positions):
    """:func:`select_top_k` for float32 scores and positions below 2**32: the same result, faster.

    Each pair becomes one uint64 whose integer order is the ranking order: the score's bits made
    monotone (sign bit flipped for non-negative floats, every bit for negative ones) in the high
    half, ``2**32 - 1 - position`` in the low half. One integer partition and one integer sort then
    replace the float partition, the tie pass and the two stable sorts. ``scores[:count]`` is
    overwritten (``-0.0`` becomes ``0.0``, which compares equal to it).
    """
    bits = scores[:count].view(np.uint32)
    keys = np.empty(count, dtype=np.uint64)
    for i in range(count):
        scores[i] = scores[i] + np.float32(0.0)  # -0.0 + 0.0 is 0.0: one bit pattern per value
        word = bits[i]
        word = word ^ _SIGN_32 if word < _SIGN_32 else ~word
        keys[i] = (np.uint64(word) << np.uint64(32)) | (_LOW_32 - np.uint64(positions[i]))
    size = min(k, count)
    chosen = np.sort(np.partition(keys, count - size)[count - size :]) if count > size else np.sort(keys)
    out_bits = np.empty(size, dtype=np.uint32)
    for slot in range(size):
        key = chosen[size - 1 - slot]
        word = np.uint32(key >> np.uint64(32))
        out_bits[slot] = word ^ _SIGN_32 if word >= _SIGN_32 else ~word
        out_positions[slot] = np.int64(_LOW_32 - (key & _LOW_32))
    out_scores[:size] = out_bits.view(np.float32)
    return size
