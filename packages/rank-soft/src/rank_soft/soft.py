"""Soft sort, soft rank and the soft top-k mask, with exact VJPs and JVPs.

Conventions (those of Blondel et al., ICML 2020, and of their reference code
``google-research/fast-soft-sort``):

- ``soft_rank`` is on the rank scale ``1..n``: ``direction="ascending"`` gives the smallest value
  rank 1, ``"descending"`` gives the largest value rank 1. "l2" is ``P_Q(x / eps, rho)``, "kl" is
  ``exp(P_E(x / eps, log rho))`` with ``rho = (n, ..., 1)`` (sign flipped for descending).
- ``soft_sort`` returns the soft order statistics in the requested order: "l2" is
  ``P_Q(rho / eps, sort(x))``, "kl" is ``P_E(rho / eps, sort(x))``.
- ``regularization_strength`` (epsilon) ``-> 0`` gives the hard operator, and ``0`` *is* the hard
  operator: sorted values, and average ranks for ties (the limit of the soft rank). For
  ``eps -> inf`` every rank tends to ``(n + 1) / 2`` and every sorted value to the mean ("l2").
- Ties in the input give tied outputs (the projection is symmetric), whatever the input order.
"""

from __future__ import annotations

import abc
from typing import Any

import numba
import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core.validation import check_k
from rank_soft._inputs import (
    Direction,
    Regularization,
    Rows,
    as_rows,
    check_options,
    inverse_strength,
)
from rank_soft._kernels import projection

__all__ = [
    "SoftRank",
    "SoftSort",
    "SoftTopKMask",
    "soft_rank",
    "soft_rank_jvp",
    "soft_rank_vjp",
    "soft_sort",
    "soft_sort_jvp",
    "soft_sort_vjp",
    "soft_topk_mask",
]


# Below this many values a batch runs serially: waking numba's threads costs more than the rows
# (2 idle cores, soft rank + VJP: (16, 100) 150 us serial vs 190 us on 2 threads; (64, 100)
# 337 vs 296 us), and far more on a loaded machine, where a parallel region waits for its workers.
_PARALLEL_MIN_VALUES = 1 << 12


def _chunks(rows: Rows) -> int:
    """A few row chunks per thread (balances uneven rows; each chunk allocates its scratch once),
    or 1 -- one serial call, no thread pool -- for a small batch or a single row."""
    count = rows.array.shape[0]
    if count == 1 or rows.array.size < _PARALLEL_MIN_VALUES:
        return 1
    return min(count, 4 * numba.get_num_threads())


def _sorted_keys(rows: Rows, multiplier: float) -> tuple[NDArray[np.uint64], int]:
    """The descending order of ``multiplier * x`` per row as sorted packed keys (value bits and
    position in one uint64, see ``projection._sort_keys_range``): NumPy's vectorised integer sort is
    several times faster than any argsort, and the kernels unpack the permutation exactly."""
    index_bits = max(1, (rows.n - 1).bit_length())
    keys = np.empty(rows.array.shape, dtype=np.uint64)
    projection.run("sort_keys", _chunks(rows), rows.array, multiplier, index_bits, keys)
    keys.sort(axis=1)
    return keys, index_bits


class _Projection(abc.ABC):
    """A computed projection and its linearisation (saved permutation, blocks and, for "kl",
    weights). Outputs, VJPs and JVPs are stored in the input's (float32/float64) dtype."""

    _rows: Rows
    _values: NDArray[np.floating[Any]]
    _perm: NDArray[np.int32]
    _block_end: NDArray[np.int32]
    _weights: NDArray[np.float64]
    _kl: bool  # the block weights are "kl" softmaxes, stored in _weights (else 1/|B|)
    _vjp_reads_values: bool  # the VJP/JVP read _values ("kl" ranks: the chain rule through exp)

    def _allocate(self, rows: Rows, kl: bool) -> None:
        # Fresh large arrays cost page faults comparable to the projection itself: the
        # permutation and block ends are int32, and "l2" stores no weights (one scratch row).
        shape = rows.array.shape
        self._rows = rows
        self._kl = kl
        self._vjp_reads_values = False
        self._values = np.empty(shape, dtype=rows.array.dtype)
        self._perm = np.empty(shape, dtype=np.int32)
        self._block_end = np.empty(shape, dtype=np.int32)
        self._weights = np.empty(shape if kl else (1, shape[1]))

    @property
    def values(self) -> NDArray[np.floating[Any]]:
        """The operator's output, in the input's shape and (float32/float64) dtype: the computed
        array itself, or a copy where the VJP reads it (so changing it cannot change a gradient)."""
        values = self._values.copy() if self._vjp_reads_values else self._values
        return self._rows.restore(values)

    def vjp(self, cotangent: ArrayLike) -> NDArray[np.floating[Any]]:
        """``J^T cotangent`` (the gradient of ``<cotangent, output>``), O(n) per row."""
        grad = np.empty_like(self._rows.array)
        self._vjp(self._rows.like(cotangent, name="cotangent"), grad)
        return self._rows.restore(grad)

    def jvp(self, tangent: ArrayLike) -> NDArray[np.floating[Any]]:
        """``J tangent`` (the directional derivative of the output), O(n) per row."""
        out = np.empty_like(self._rows.array)
        self._jvp(self._rows.like(tangent, name="tangent"), out)
        return self._rows.restore(out)

    @abc.abstractmethod
    def _vjp(
        self, cotangent: NDArray[np.floating[Any]], grad: NDArray[np.floating[Any]]
    ) -> None: ...

    @abc.abstractmethod
    def _jvp(self, tangent: NDArray[np.floating[Any]], out: NDArray[np.floating[Any]]) -> None: ...


class _RankLike(_Projection):
    """``P(scale * x, w)`` (``exp`` of it for "kl"): soft ranks and the soft top-k mask."""

    def _project(self, rows: Rows, scale: float, w: NDArray[np.float64], kl: bool) -> None:
        """``w`` is the vertex (linear scale); its log is taken for "kl". ``scale = 0`` is the
        hard limit, whose Jacobian is 0 (uniform weights, never read)."""
        hard = scale == 0.0
        self._allocate(rows, kl and not hard)
        self._vjp_reads_values = self._kl
        self._scale = scale
        chunks = _chunks(rows)
        if hard:
            keys, bits = _sorted_keys(rows, self._sign)
            outputs = (self._values, self._perm, self._block_end)
            projection.run("hard", chunks, rows.array, keys, bits, self._sign, w, True, *outputs)
        else:
            keys, bits = _sorted_keys(rows, scale)
            log_w = np.log(w) if kl else w
            outputs = (self._values, self._perm, self._block_end, self._weights)
            projection.run("project", chunks, rows.array, keys, bits, scale, log_w, kl, *outputs)

    def _vjp(self, cotangent: NDArray[np.floating[Any]], grad: NDArray[np.floating[Any]]) -> None:
        projection.run(
            "rank_vjp",
            _chunks(self._rows),
            cotangent,
            self._values,
            self._kl,
            self._scale,
            self._perm,
            self._block_end,
            self._weights,
            grad,
        )

    def _jvp(self, tangent: NDArray[np.floating[Any]], out: NDArray[np.floating[Any]]) -> None:
        projection.run(
            "rank_jvp",
            _chunks(self._rows),
            tangent,
            self._values,
            self._kl,
            self._scale,
            self._perm,
            self._block_end,
            self._weights,
            out,
        )


class SoftRank(_RankLike):
    """Soft ranks of ``x`` along ``axis``, with :meth:`vjp` and :meth:`jvp`.

    ``SoftRank(x, ...).values`` equals :func:`soft_rank`; keep the object to differentiate
    without recomputing the forward (the torch functions do).
    """

    def __init__(
        self,
        x: ArrayLike,
        regularization_strength: float = 1.0,
        regularization: Regularization = "l2",
        direction: Direction = "ascending",
        *,
        axis: int = -1,
    ) -> None:
        strength, regularization, direction = check_options(
            regularization_strength, regularization, direction
        )
        rows = as_rows(x, axis=axis)
        self._sign = 1.0 if direction == "ascending" else -1.0
        rho = np.arange(rows.n, 0, -1, dtype=np.float64)
        self._project(
            rows, self._sign * inverse_strength(strength, rows), rho, regularization == "kl"
        )


class SoftTopKMask(_RankLike):
    """A soft mask of the ``k`` largest values along ``axis`` (``1`` in, ``0`` out), summing to ``k``.

    The projection of ``x / eps`` onto the hypersimplex ``{m : 0 <= m <= 1, sum(m) = k}`` -- the
    permutahedron of ``(1, ..., 1, 0, ..., 0)`` -- with the "l2" regulariser; ``eps = 0`` is the
    hard top-k mask (a tie across the boundary shares the remaining mass). ``k >= n`` keeps all.
    """

    def __init__(
        self, x: ArrayLike, k: int, regularization_strength: float = 1.0, *, axis: int = -1
    ) -> None:
        strength, _, _ = check_options(regularization_strength, "l2", "descending")
        count = check_k(k)
        rows = as_rows(x, axis=axis)
        vertex = (np.arange(rows.n) < count).astype(np.float64)
        self._sign = 1.0
        self._project(rows, inverse_strength(strength, rows), vertex, False)


class SoftSort(_Projection):
    """Soft sort of ``x`` along ``axis``, with :meth:`vjp` and :meth:`jvp`.

    ``SoftSort(x, ...).values`` equals :func:`soft_sort`.
    """

    def __init__(
        self,
        x: ArrayLike,
        regularization_strength: float = 1.0,
        regularization: Regularization = "l2",
        direction: Direction = "ascending",
        *,
        axis: int = -1,
    ) -> None:
        strength, regularization, direction = check_options(
            regularization_strength, regularization, direction
        )
        rows = as_rows(x, axis=axis)
        sign = -1.0 if direction == "ascending" else 1.0
        inverse = inverse_strength(strength, rows)
        self._allocate(rows, regularization == "kl" and inverse != 0.0)
        keys, bits = _sorted_keys(rows, sign)
        chunks = _chunks(rows)
        if inverse == 0.0:
            unused = np.empty(rows.n)
            outputs = (self._values, self._perm, self._block_end)
            projection.run("hard", chunks, rows.array, keys, bits, sign, unused, False, *outputs)
        else:
            y = np.arange(rows.n, 0, -1, dtype=np.float64) * inverse
            outputs = (self._values, self._perm, self._block_end, self._weights)
            projection.run("sort", chunks, rows.array, keys, bits, sign, y, self._kl, *outputs)

    def _vjp(self, cotangent: NDArray[np.floating[Any]], grad: NDArray[np.floating[Any]]) -> None:
        arrays = (self._perm, self._block_end, self._weights, grad)
        projection.run("sort_vjp", _chunks(self._rows), cotangent, self._kl, *arrays)

    def _jvp(self, tangent: NDArray[np.floating[Any]], out: NDArray[np.floating[Any]]) -> None:
        arrays = (self._perm, self._block_end, self._weights, out)
        projection.run("sort_jvp", _chunks(self._rows), tangent, self._kl, *arrays)


def soft_rank(
    x: ArrayLike,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    direction: Direction = "ascending",
    *,
    axis: int = -1,
) -> NDArray[np.floating[Any]]:
    """Soft ranks (``1..n`` scale) of ``x`` along ``axis``; float32 in, float32 out, else float64.

    >>> soft_rank([[5.0, 1.0, 2.0], [2.0, 1.0, 5.0]], regularization_strength=2.0)
    array([[3.  , 1.25, 1.75],
           [1.75, 1.25, 3.  ]])
    """
    return SoftRank(x, regularization_strength, regularization, direction, axis=axis).values


def soft_sort(
    x: ArrayLike,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    direction: Direction = "ascending",
    *,
    axis: int = -1,
) -> NDArray[np.floating[Any]]:
    """Soft sort of ``x`` along ``axis`` (ascending: soft order statistics, smallest first).

    >>> soft_sort([[5.0, 1.0, 2.0]]).round(4)
    array([[1.6667, 2.6667, 3.6667]])
    """
    return SoftSort(x, regularization_strength, regularization, direction, axis=axis).values


def soft_topk_mask(
    x: ArrayLike, k: int, regularization_strength: float = 1.0, *, axis: int = -1
) -> NDArray[np.floating[Any]]:
    """Soft mask of the ``k`` largest values along ``axis``; see :class:`SoftTopKMask`."""
    return SoftTopKMask(x, k, regularization_strength, axis=axis).values


def soft_rank_vjp(
    x: ArrayLike,
    cotangent: ArrayLike,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    direction: Direction = "ascending",
    *,
    axis: int = -1,
) -> NDArray[np.floating[Any]]:
    """``J^T cotangent`` of :func:`soft_rank` at ``x`` (recomputes the forward)."""
    return SoftRank(x, regularization_strength, regularization, direction, axis=axis).vjp(cotangent)


def soft_rank_jvp(
    x: ArrayLike,
    tangent: ArrayLike,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    direction: Direction = "ascending",
    *,
    axis: int = -1,
) -> NDArray[np.floating[Any]]:
    """``J tangent`` of :func:`soft_rank` at ``x`` (recomputes the forward)."""
    return SoftRank(x, regularization_strength, regularization, direction, axis=axis).jvp(tangent)


def soft_sort_vjp(
    x: ArrayLike,
    cotangent: ArrayLike,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    direction: Direction = "ascending",
    *,
    axis: int = -1,
) -> NDArray[np.floating[Any]]:
    """``J^T cotangent`` of :func:`soft_sort` at ``x`` (recomputes the forward)."""
    return SoftSort(x, regularization_strength, regularization, direction, axis=axis).vjp(cotangent)


def soft_sort_jvp(
    x: ArrayLike,
    tangent: ArrayLike,
    regularization_strength: float = 1.0,
    regularization: Regularization = "l2",
    direction: Direction = "ascending",
    *,
    axis: int = -1,
) -> NDArray[np.floating[Any]]:
    """``J tangent`` of :func:`soft_sort` at ``x`` (recomputes the forward)."""
    return SoftSort(x, regularization_strength, regularization, direction, axis=axis).jvp(tangent)
