"""Top-k over a score matrix that arrives in tiles of documents, one bounded heap per query.

Dense search computes the (queries x documents) scores one tile of documents at a time (a tile
small enough to stay in cache) and offers each tile to per-query heaps that persist from tile to
tile; the heaps are drained once every tile has been seen. Tiles come in position order and each
is read in position order, so a candidate can only enter a full heap with a score strictly above
the worst kept one (an equal score has a larger position and ranks below it): almost every score
costs one comparison. The tie rule is every index's: score descending, then position ascending.
"""

from __future__ import annotations

from numba import prange as numba_prange

from rank_retrieve._jit import kernel
from rank_retrieve._kernels.topk import heap_drain, heap_offer


@kernel
def offer_scores(scores, offset, allowed, heap_scores, heap_positions, size):
    """Offer one query's tile of scores (positions ``offset + j``) to its heap; return the new size.

    The heap holds ``size`` of at most ``heap_scores.size`` pairs, all at positions below
    ``offset``. ``allowed`` is a boolean mask over every position (length 0: all allowed).
    """
    k = heap_scores.size
    use_mask = allowed.size > 0
    n_scores = scores.size
    col = 0
    while size < k and col < n_scores:
        if not use_mask or allowed[offset + col]:
            size = heap_offer(heap_scores, heap_positions, size, k, scores[col], offset + col)
        col += 1
    if size == k:
        threshold = heap_scores[0]
        for later in range(col, n_scores):
            score = scores[later]
            if score > threshold and (not use_mask or allowed[offset + later]):
                heap_offer(heap_scores, heap_positions, size, k, score, offset + later)
                threshold = heap_scores[0]
    return size


@kernel
def to_negative_squared_l2(dots, query_sq_norm, doc_sq_norms):
    """In place: ``dots[j] = q . d_j`` becomes ``-||q - d_j||^2``.

    The expansion ``||q||^2 + ||d||^2 - 2 q.d`` is evaluated in float64 (the squared norms are
    float64) and rounded once when stored; cancellation can leave a tiny negative distance for
    near-identical vectors, which is clamped to 0 so every score is <= 0.
    """
    for col in range(dots.size):
        distance = query_sq_norm + doc_sq_norms[col] - 2.0 * dots[col]
        dots[col] = -distance if distance > 0.0 else 0.0


@kernel(parallel=True)
def offer_tile_rows(
    tile,
    offset,
    query_sq_norms,
    doc_sq_norms,
    allowed,
    row_allowed,
    heap_scores,
    heap_positions,
    sizes,
):
    """:func:`offer_scores` for each row of a (queries x tile) block, in parallel over rows.

    With non-empty ``query_sq_norms`` the tile holds inner products and each row is first turned
    into l2 scores (``doc_sq_norms`` covers the tile's documents), while it is in cache.
    ``allowed`` is one mask shared by every row (or length 0); ``row_allowed`` is a 2-D mask
    with one row per query (or shape ``(0, 0)``), used instead when given.
    """
    l2 = query_sq_norms.size > 0
    per_row = row_allowed.shape[0] > 0
    for row in numba_prange(tile.shape[0]):
        if l2:
            to_negative_squared_l2(tile[row], query_sq_norms[row], doc_sq_norms)
        mask = row_allowed[row] if per_row else allowed
        sizes[row] = offer_scores(
            tile[row], offset, mask, heap_scores[row], heap_positions[row], sizes[row]
        )


@kernel(parallel=True)
def drain_rows(heap_scores, heap_positions, sizes, out_scores, out_positions):
    """Write each row's heap best first into ``out_*[row, :sizes[row]]`` (the heaps are consumed)."""
    for row in numba_prange(heap_scores.shape[0]):
        heap_drain(
            heap_scores[row], heap_positions[row], sizes[row], out_scores[row], out_positions[row]
        )
