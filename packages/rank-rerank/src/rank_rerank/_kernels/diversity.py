"""The steps of greedy diversity selection (MMR and fast greedy DPP MAP inference).

Both selections pick one candidate per step and keep O(n) running state. The driver in
``rank_rerank.diversity`` loops over the steps: it computes each new row of similarities with a
BLAS matrix-vector product (NumPy's, the pool the rest of a pipeline's products use; numba's
``np.dot`` goes through SciPy's BLAS, whose second thread pool stalls behind NumPy's on a busy
machine), and these kernels fold the row into the running state and choose the next candidate.
Inputs are finite and, for cosine, rows are already normalised by :func:`unit_rows`.
"""

from __future__ import annotations

import numpy as np

from rank_rerank._jit import kernel

#: Smallest positive normal float64: a squared norm below it has lost precision to underflow.
_TINY = np.finfo(np.float64).tiny
_HUGE = np.finfo(np.float64).max


@kernel
def squared_norms(vectors):
    """Squared Euclidean norm of each row, accumulated in float64 (may overflow to inf)."""
    n, dim = vectors.shape
    out = np.empty(n, dtype=np.float64)
    for i in range(n):
        total = 0.0
        for j in range(dim):
            value = np.float64(vectors[i, j])
            total += value * value
        out[i] = total
    return out


@kernel(fastmath=False)
def _unit_row_rescaled(row, out):
    """``out = row / ||row||`` for a row whose squared norm under- or overflows float64; returns
    whether the row is nonzero (a zero row gives zeros).

    Divides by the largest magnitude first so the sum of squares lies in ``[1, dim]``. Exact IEEE
    division (no fastmath): ``x / scale`` must not become ``x * (1 / scale)``, which overflows for
    a subnormal ``scale``.
    """
    scale = 0.0
    for j in range(row.size):
        scale = max(scale, abs(np.float64(row[j])))
    if scale == 0.0:
        for j in range(row.size):
            out[j] = 0.0
        return False
    total = 0.0
    for j in range(row.size):
        value = np.float64(row[j]) / scale
        total += value * value
    norm = np.sqrt(total)
    for j in range(row.size):
        out[j] = (np.float64(row[j]) / scale) / norm
    return True


@kernel
def unit_rows(vectors, out):
    """Write each row of ``vectors`` divided by its Euclidean norm into ``out`` (same shape, any
    float dtype: converting and normalising in one pass); zero rows stay zero. Returns which
    rows are nonzero."""
    n, dim = vectors.shape
    nonzero = np.ones(n, dtype=np.bool_)
    for i in range(n):
        total = 0.0
        for j in range(dim):
            value = np.float64(vectors[i, j])
            total += value * value
        if _TINY <= total <= _HUGE:
            inverse = 1.0 / np.sqrt(total)
            for j in range(dim):
                out[i, j] = vectors[i, j] * inverse
        else:  # zero, underflowed (possibly to 0) or overflowed
            nonzero[i] = _unit_row_rescaled(vectors[i], out[i])
    return nonzero


@kernel
def mmr_pick(relevance, max_similarity, chosen, diversity):
    """Mark and return the unchosen ``i`` maximising
    ``(1 - diversity) * relevance[i] - diversity * max_similarity[i]``.

    Ties go to the higher relevance, then to the lower index (the scan is in index order and only
    a strictly better candidate replaces the current one). There must be an unchosen candidate.
    """
    relevance_weight = 1.0 - diversity
    best = -1
    best_value = 0.0
    for i in range(relevance.size):
        if chosen[i]:
            continue
        value = relevance_weight * relevance[i] - diversity * max_similarity[i]
        if (
            best < 0
            or value > best_value
            or (value == best_value and relevance[i] > relevance[best])
        ):
            best = i
            best_value = value
    chosen[best] = True
    return best


@kernel
def mmr_fold(max_similarity, similarity, first):
    """Fold the similarities of a new pick into each candidate's largest similarity to the
    selected ones. After the first pick they *are* that maximum: it may be negative, so there is
    no 0 or -inf start value."""
    if first:
        for i in range(max_similarity.size):
            max_similarity[i] = similarity[i]
    else:
        for i in range(max_similarity.size):
            max_similarity[i] = max(max_similarity[i], np.float64(similarity[i]))


@kernel
def dpp_pick(log_weight, residual, diagonal, chosen, epsilon):
    """Mark and return the eligible ``j`` maximising ``log_weight[j] + log(residual[j])``, or -1
    when none is eligible. Ties go to the lower index.

    For the DPP kernel ``L = diag(q) S diag(q)`` (``log_weight[j] = log(q_j ** 2)``,
    ``diagonal[j] = S[j, j]``) and the selected set ``Y``,
    ``det L[Y + j] / det L[Y] = q_j ** 2 * residual[j]``, where ``residual[j]`` is the squared
    distance from candidate ``j`` to the span of the selected ones: the greedy step of Chen, Zhang
    & Zhou (NeurIPS 2018) in log space, where no weight can overflow. Candidates with
    ``residual[j] <= epsilon * S[j, j]`` are numerically in that span (duplicates, zero vectors)
    and are not eligible, whatever their weight.
    """
    pick = -1
    best_value = 0.0
    for j in range(residual.size):
        if chosen[j] or not residual[j] > epsilon * diagonal[j]:
            continue
        value = log_weight[j] + np.log(residual[j])
        if pick < 0 or value > best_value:
            pick = j
            best_value = value
    if pick >= 0:
        chosen[pick] = True
    return pick


@kernel
def dpp_extend(cholesky_row, residual, projected_row, pick):
    """Add the Cholesky row of a new pick and remove it from every residual.

    ``projected_row[j] = S[pick, j] - <c_j, c_pick>`` (``c`` the Cholesky rows so far); the new
    entries are ``e_j = projected_row[j] / sqrt(residual[pick])`` and ``residual[j] -= e_j ** 2``.
    """
    inverse = 1.0 / np.sqrt(residual[pick])
    for j in range(residual.size):
        update = projected_row[j] * inverse
        cholesky_row[j] = update
        residual[j] -= update * update
