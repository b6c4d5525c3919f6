"""Diversity reranking: pick ``k`` of ``n`` candidates that are relevant *and* not redundant.

- :func:`mmr`: Maximal Marginal Relevance (Carbonell & Goldstein, SIGIR 1998). Each step takes
  the candidate with the best ``(1 - diversity) * relevance - diversity * (largest similarity to
  an already selected candidate)``.
- :func:`dpp`: greedy MAP inference for a determinantal point process whose kernel weighs the
  candidates' similarities by their relevance (Chen, Zhang & Zhou, NeurIPS 2018, "Fast Greedy
  MAP Inference for Determinantal Point Process to Improve Recommendation Diversity"). Each step
  takes the candidate that most increases ``log det`` of the selected kernel: it rewards being
  far from the *span* of the selected vectors, not just from each of them.

Both take ``query_scores`` (the relevance of each candidate, higher is better) and the
candidates' embeddings, and return candidate indices in selection order. Similarities are
``"cosine"`` (rows normalised; a zero vector has similarity 0 with everything) or ``"dot"``.
Each step costs one matrix-vector product over the embeddings (BLAS), so ``mmr`` is O(k n dim)
and ``dpp`` O(k n dim + k^2 n); neither forms the n x n similarity matrix.

Precision: ``mmr`` computes in float64 for float64 embeddings and in float32 otherwise (float16,
float32, integers); ``dpp`` always computes in float64, because its incremental Cholesky
factorisation must tell a duplicate (residual 0) from a new direction to within ``epsilon``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core import RankValueError, ShapeMismatchError
from rank_core.validation import as_array, check_choice, check_in_range, check_k
from rank_rerank._inputs import SIMILARITIES, Similarity
from rank_rerank._kernels.diversity import (
    dpp_extend,
    dpp_pick,
    mmr_fold,
    mmr_pick,
    squared_norms,
    unit_rows,
)

__all__ = ["dpp", "mmr"]

_DOT_OVERFLOW = (
    "doc_embeddings are too large for inner products in float64 (a squared norm overflows); "
    'use similarity="cosine" or rescale them'
)


def mmr(
    query_scores: ArrayLike,
    doc_embeddings: ArrayLike | None = None,
    k: int = 10,
    *,
    diversity: float = 0.3,
    similarity: Similarity = "cosine",
    similarity_matrix: ArrayLike | None = None,
) -> NDArray[np.int64]:
    """Maximal Marginal Relevance: ``min(k, n)`` candidate indices in selection order.

    Each step selects the remaining candidate ``i`` maximising::

        (1 - diversity) * query_scores[i] - diversity * max_{j selected} sim(i, j)

    where the max term is 0 while nothing is selected (so the first pick is the most relevant
    candidate) and may be negative afterwards (a candidate dissimilar to everything selected gains).

    ``query_scores`` (n,): relevance of each candidate, higher is better. It is combined with the
    similarities on its own scale: rescale it (e.g. min-max to [0, 1]) when its range is not
    comparable to the similarities'.

    The similarities come from exactly one of:

    - ``doc_embeddings`` (n, dim): ``sim(i, j)`` is the cosine (``similarity="cosine"``; a zero
      vector has similarity 0 with every candidate) or the inner product (``similarity="dot"``) of
      rows ``i`` and ``j``;
    - ``similarity_matrix`` (n, n): ``sim(i, j) = similarity_matrix[i, j]`` (``similarity`` is not
      used). Only the columns of selected candidates are read.

    ``diversity`` in [0, 1] sets the trade-off: 0 returns the top ``k`` by relevance, higher
    values favour candidates unlike those already selected, and 1 ignores relevance after the
    first pick. (It is ``1 - lambda`` in Carbonell & Goldstein's notation.) Ties go to the higher
    relevance, then to the lower index.

    Embeddings in float64 are used in float64, anything else in float32.

    >>> mmr([0.9, 0.85, 0.3], [[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]], k=2, diversity=0.5)
    array([0, 2])
    """
    relevance = as_array(query_scores, name="query_scores", ndim=1)
    diversity = check_in_range(diversity, name="diversity", low=0.0, high=1.0)
    k = check_k(k)
    metric = check_choice(similarity, name="similarity", choices=SIMILARITIES)
    if (doc_embeddings is None) == (similarity_matrix is None):
        raise RankValueError(
            "give exactly one of doc_embeddings and similarity_matrix, got "
            + ("both" if doc_embeddings is not None else "neither")
        )
    n = relevance.size
    if similarity_matrix is not None:
        similarity = _as_float_matrix(similarity_matrix, name="similarity_matrix")
        if similarity.shape != (n, n):
            raise ShapeMismatchError(
                f"similarity_matrix must have shape ({n}, {n}) to match the {n} query_scores, "
                f"got {similarity.shape}"
            )
        if n == 0 or k == 0:
            return np.empty(0, dtype=np.int64)
        return _mmr_order(relevance, lambda pick: similarity[:, pick], min(k, n), diversity)
    vectors = _as_embeddings(doc_embeddings, n)
    if n == 0 or k == 0:
        return np.empty(0, dtype=np.int64)
    vectors = _unit_rows(vectors, vectors.dtype)[0] if metric == "cosine" else _dot_safe(vectors)
    return _mmr_order(relevance, lambda pick: vectors @ vectors[pick], min(k, n), diversity)


def dpp(
    query_scores: ArrayLike,
    doc_embeddings: ArrayLike,
    k: int = 10,
    *,
    alpha: float = 1.0,
    similarity: Similarity = "cosine",
    epsilon: float = 1e-10,
) -> NDArray[np.int64]:
    """Greedy DPP MAP inference: at most ``min(k, n, dim)`` candidate indices in selection order.

    The kernel is ``L = diag(q) S diag(q)`` with ``S[i, j] = sim(i, j)`` the cosine
    (``similarity="cosine"``) or inner product (``similarity="dot"``) of ``doc_embeddings`` rows ``i``
    and ``j``, and the quality of candidate ``i`` is ``q_i = exp(alpha * query_scores[i])``. The
    log-probability of a set ``Y`` is then, up to a constant::

        log det L_Y = 2 * alpha * sum_{i in Y} query_scores[i] + log det S_Y

    relevance plus the log squared volume spanned by the selected vectors. Each step adds the
    candidate ``j`` with the largest gain ``2 * alpha * query_scores[j] + log d_j^2``, ``d_j^2``
    being the squared distance from ``j``'s vector to the span of those already selected (Chen
    et al.'s incremental Cholesky updates, O(k^2 n) plus one matrix-vector product per step).
    Ties go to the lower index.

    ``alpha`` >= 0 sets the trade-off: 0 ignores relevance (pure diversity: the largest volume),
    larger values weigh relevance more, and a large ``alpha`` gives the top ``k`` by relevance
    among candidates not in the span of those already selected. It multiplies the scores as they
    are, so its effect depends on their scale. Chen et al.'s ``theta`` in [0, 1)
    (``q_i = exp(theta * r_i / (2 * (1 - theta)))``) is ``alpha = theta / (2 * (1 - theta))``.
    ``q_i = exp(alpha * r_i)`` is also the quality of rank-refine's ``dpp`` (which used raw inner
    products: ``similarity="dot"``).

    ``epsilon`` in [0, 1): a candidate is eligible while the part of its vector outside the span
    of the selected ones keeps more than ``epsilon`` of its squared norm
    (``d_j^2 > epsilon * S[j, j]``). Zero vectors and vectors in the span of the selected ones
    (duplicates, multiples) are therefore never selected, and the selection stops early,
    returning fewer than ``k`` indices, when the eligible candidates run out: at most the rank of
    ``doc_embeddings`` are returned.

    Computed in float64 whatever the embeddings' dtype; ``alpha * query_scores`` must be finite.

    >>> dpp([0.9, 0.85, 0.3], [[1.0, 0.0], [0.99, 0.1], [0.0, 1.0]], k=2)
    array([0, 2])
    """
    relevance = as_array(query_scores, name="query_scores", ndim=1)
    alpha = check_in_range(alpha, name="alpha", low=0.0)
    epsilon = check_in_range(epsilon, name="epsilon", low=0.0, high=1.0, high_inclusive=False)
    k = check_k(k)
    metric = check_choice(similarity, name="similarity", choices=SIMILARITIES)
    n = relevance.size
    vectors = _as_embeddings(doc_embeddings, n)
    with np.errstate(over="ignore"):  # reported below
        log_weight = 2.0 * alpha * relevance
    if not np.isfinite(log_weight).all():
        raise RankValueError(
            f"alpha * query_scores must be finite; alpha={alpha} and the largest |query_scores| "
            f"{np.abs(relevance).max()} overflow float64"
        )
    k = min(k, n, vectors.shape[1])
    if k == 0:
        return np.empty(0, dtype=np.int64)
    if metric == "cosine":
        vectors, nonzero = _unit_rows(vectors, np.float64)
        # S[j, j] is exactly 1 (0 for a zero vector), not a rounded squared norm, so that equally
        # relevant candidates tie exactly on the first step and go to the lower index
        diagonal = nonzero.astype(np.float64)
    else:
        vectors = vectors.astype(np.float64, copy=False)
        diagonal = squared_norms(vectors)
        if not np.isfinite(diagonal).all():
            raise RankValueError(_DOT_OVERFLOW)
    return _dpp_order(log_weight, vectors, diagonal, k, epsilon)


def _mmr_order(
    relevance: NDArray[np.float64],
    similarity_row: Callable[[int], NDArray[np.floating[Any]]],
    k: int,
    diversity: float,
) -> NDArray[np.int64]:
    """The MMR loop: each pick's similarities to every candidate (none at ``diversity == 0``,
    where they cannot change the order) are folded into the running maxima."""
    selected = np.empty(k, dtype=np.int64)
    chosen = np.zeros(relevance.size, dtype=np.bool_)
    max_similarity = np.zeros(relevance.size, dtype=np.float64)
    for step in range(k):
        pick = mmr_pick(relevance, max_similarity, chosen, diversity)
        selected[step] = pick
        if diversity > 0.0 and step + 1 < k:
            mmr_fold(max_similarity, similarity_row(pick), step == 0)
    return selected


def _dpp_order(
    log_weight: NDArray[np.float64],
    vectors: NDArray[np.float64],
    diagonal: NDArray[np.float64],
    k: int,
    epsilon: float,
) -> NDArray[np.int64]:
    """Chen et al.'s greedy on ``S = vectors @ vectors.T`` with incremental Cholesky rows
    (``cholesky[t]`` belongs to the t-th pick) and squared residuals; one kernel row per pick."""
    n = vectors.shape[0]
    residual = diagonal.copy()
    cholesky = np.empty((k, n), dtype=np.float64)
    chosen = np.zeros(n, dtype=np.bool_)
    selected: list[int] = []
    for step in range(k):
        pick = dpp_pick(log_weight, residual, diagonal, chosen, epsilon)
        if pick < 0:
            break
        selected.append(pick)
        if step + 1 < k:
            projected = vectors @ vectors[pick]
            if step > 0:
                projected -= cholesky[:step, pick] @ cholesky[:step]
            dpp_extend(cholesky[step], residual, projected, pick)
    return np.array(selected, dtype=np.int64)


def _as_float_matrix(values: Any, *, name: str) -> NDArray[np.floating[Any]]:
    """A finite 2-D float array: float64 stays float64, anything else becomes float32. An empty
    1-D input (``[]``) reads as a (0, 0) matrix."""
    array = values
    if not isinstance(array, np.ndarray):
        try:
            array = np.asarray(values)
        except (TypeError, ValueError):  # ragged rows: as_array raises RankTypeError naming them
            return as_array(values, name=name, ndim=2)
    if array.ndim == 1 and array.size == 0:
        array = array.reshape(0, 0)
    dtype = np.float64 if array.dtype == np.float64 else np.float32
    return as_array(array, name=name, dtype=dtype, ndim=2)


def _as_embeddings(values: Any, n: int) -> NDArray[np.floating[Any]]:
    vectors = _as_float_matrix(values, name="doc_embeddings")
    if vectors.shape[0] != n:
        raise ShapeMismatchError(
            f"doc_embeddings must have one row per query score: {n} query_scores but "
            f"{vectors.shape[0]} rows (shape {vectors.shape})"
        )
    if n > 0 and vectors.shape[1] == 0:
        raise RankValueError(
            f"doc_embeddings must have at least one column, got shape {vectors.shape}"
        )
    return vectors


def _unit_rows(
    vectors: NDArray[np.floating[Any]], dtype: Any
) -> tuple[NDArray[np.floating[Any]], NDArray[np.bool_]]:
    """The rows normalised to unit length in ``dtype`` (zero rows stay zero), and which are nonzero."""
    unit = np.empty(vectors.shape, dtype=dtype)
    return unit, unit_rows(vectors, unit)


def _dot_safe(vectors: NDArray[np.floating[Any]]) -> NDArray[np.floating[Any]]:
    """``vectors`` in a precision whose inner products cannot overflow.

    ``|x . y| <= max(||x||^2, ||y||^2)``, so float32 vectors whose largest squared norm exceeds
    float32's range are used in float64; beyond float64's range there is no such precision.
    """
    largest = float(squared_norms(vectors).max())
    if largest <= float(np.finfo(vectors.dtype).max):
        return vectors
    if vectors.dtype == np.float32 and np.isfinite(largest):
        return vectors.astype(np.float64)
    raise RankValueError(_DOT_OVERFLOW)
