"""The original Rust bindings' names (``rank-relax``), on top of the projection operators.

``soft_rank(values, regularization_strength)`` and ``soft_sort(values, regularization_strength)``
are :func:`rank_soft.soft_rank` / :func:`rank_soft.soft_sort` themselves. What changed, and why
(see the package README, "Coming from the Rust bindings"):

- ranks are on the ``1..n`` scale (the original's sigmoid sums were near ``0..n-1``, then
  ``[0, 1]``), and ``regularization_strength`` is the paper's epsilon: *larger is smoother*, ``0``
  is the hard rank (the original's was a sharpness, larger was harder);
- the gradients are exact (the original's was the sigmoid relaxation's O(n^2) Jacobian), and
  the losses' targets are ranked hard (average ranks for ties), so the loss at epsilon -> 0 is
  ``1 - `` Spearman's rho exactly;
- NaN/inf raise :class:`rank_core.errors.NonFiniteInputError` (the original skipped them).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core.errors import RankValueError, ShapeMismatchError
from rank_soft._inputs import Direction, Regularization, _real_array, as_rows
from rank_soft.soft import SoftRank

__all__ = ["soft_rank_gradient", "spearman_loss", "spearman_loss_gradient"]


def _centred_ranks(
    predictions: ArrayLike,
    targets: ArrayLike,
    regularization_strength: float,
    regularization: Regularization,
    axis: int,
) -> tuple[SoftRank, NDArray[np.float64], NDArray[np.float64]]:
    """The soft ranks of ``predictions`` (kept for their VJP) and the centred soft and hard
    (average) ranks of both, as float64 ``(rows, n)``."""
    # read both as arrays first: np.shape of a ragged list raises a bare ValueError
    prediction_shape = _real_array(predictions, name="predictions").shape
    target_shape = _real_array(targets, name="targets").shape
    if prediction_shape != target_shape:
        raise ShapeMismatchError(
            f"predictions and targets must have the same shape, got {prediction_shape} "
            f"and {target_shape}"
        )
    soft = SoftRank(predictions, regularization_strength, regularization, axis=axis)
    target_rows = as_rows(targets, axis=axis, name="targets")
    ranks = soft._values.astype(np.float64)
    hard = SoftRank(target_rows.array, 0.0)._values.astype(np.float64)
    centred = ranks - ranks.mean(axis=1, keepdims=True)
    target_centred = hard - hard.mean(axis=1, keepdims=True)
    return soft, centred, target_centred


def _loss_and_rank_gradient(
    centred: NDArray[np.float64], target_centred: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``1 - cos(a, b)`` per row and its gradient with respect to the soft ranks; a row whose
    ranks are constant (n = 1, all ties) has no correlation: loss 1, gradient 0."""
    norm_a = np.linalg.norm(centred, axis=1)
    norm_b = np.linalg.norm(target_centred, axis=1)
    defined = (norm_a > 0) & (norm_b > 0)
    safe_a = np.where(defined, norm_a, 1.0)[:, None]
    safe_b = np.where(defined, norm_b, 1.0)[:, None]
    cosine = np.where(defined, np.sum(centred * target_centred, axis=1), 0.0) / (
        safe_a[:, 0] * safe_b[:, 0]
    )
    # d(-cos)/da for centred a, b; already centred, so it is also the gradient w.r.t. the ranks
    gradient = -(target_centred / (safe_a * safe_b) - cosine[:, None] * centred / safe_a**2)
    gradient[~defined] = 0.0
    return 1.0 - cosine, gradient


def _per_row(values: NDArray[np.float64], like: ArrayLike, axis: int) -> Any:
    """A float for one row (1-D input), else the losses in the input's shape without ``axis``."""
    shape = list(np.shape(like))
    del shape[axis % len(shape)]
    return float(values[0]) if not shape else values.reshape(shape)


def spearman_loss(
    predictions: ArrayLike,
    targets: ArrayLike,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    *,
    axis: int = -1,
) -> Any:
    """``1 - rho``: rho the Pearson correlation of the soft ranks of ``predictions`` and the hard
    (average) ranks of ``targets`` along ``axis``; in ``[0, 2]``, and ``1 -`` Spearman's rho at
    ``regularization_strength = 0``. A float for 1-D input, else one loss per row.

    The NumPy counterpart of :func:`rank_soft.torch.spearman_loss` (which autograd
    differentiates); :func:`spearman_loss_gradient` is its exact gradient.
    """
    _, centred, target_centred = _centred_ranks(
        predictions, targets, regularization_strength, regularization, axis
    )
    loss, _ = _loss_and_rank_gradient(centred, target_centred)
    return _per_row(loss, predictions, axis)


def spearman_loss_gradient(
    predictions: ArrayLike,
    targets: ArrayLike,
    pred_ranks: ArrayLike | None = None,
    target_ranks: ArrayLike | None = None,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    *,
    axis: int = -1,
) -> NDArray[np.floating[Any]]:
    """The exact gradient of :func:`spearman_loss` with respect to ``predictions`` (its shape).

    ``pred_ranks`` / ``target_ranks`` keep the original's positional signature and are not read:
    the exact Jacobian needs the projection's block structure, which the ranks alone do not carry,
    so both are recomputed from ``predictions`` and ``targets`` (O(n log n)).
    """
    del pred_ranks, target_ranks
    soft, centred, target_centred = _centred_ranks(
        predictions, targets, regularization_strength, regularization, axis
    )
    _, rank_gradient = _loss_and_rank_gradient(centred, target_centred)
    return soft.vjp(soft._rows.restore(rank_gradient))


def soft_rank_gradient(
    values: ArrayLike,
    ranks: ArrayLike | None = None,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    direction: Direction = "ascending",
) -> NDArray[np.float64]:
    """The Jacobian ``J[i, j] = d soft_rank(values)[i] / d values[j]`` of one 1-D list, ``(n, n)``.

    ``ranks`` keeps the original's positional signature and is not read (see
    :func:`spearman_loss_gradient`). For training, prefer :meth:`rank_soft.SoftRank.vjp`: O(n)
    instead of the O(n^2) matrix.
    """
    del ranks
    if np.ndim(values) != 1:
        raise RankValueError(
            f"values must be one list (1-D), got shape {np.shape(values)}; "
            "use rank_soft.SoftRank(...).vjp / .jvp for batches"
        )
    soft = SoftRank(values, regularization_strength, regularization, direction)
    n = soft._rows.n
    basis = np.eye(n)
    columns = [soft.jvp(basis[j]).astype(np.float64) for j in range(n)]
    return np.stack(columns, axis=1)
