"""Validation and reshaping shared by the NumPy and torch front ends.

Every operator works on the last axis of a C-contiguous ``(rows, n)`` array; :class:`Rows`
remembers how to put a result back into the caller's shape and axis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from rank_core.errors import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.validation import check_choice, check_in_range

Regularization = Literal["l2", "kl"]
Direction = Literal["ascending", "descending"]

REGULARIZATIONS: tuple[Regularization, ...] = ("l2", "kl")
DIRECTIONS: tuple[Direction, ...] = ("ascending", "descending")

# Above this, 1/epsilon times the inputs' scale no longer fits a float64 sum: the soft operator
# equals its epsilon -> 0 limit to every representable digit, so the hard kernel computes it.
_LARGEST_SAFE_SCALE = 1e300


@dataclass(frozen=True)
class Rows:
    """An input as a C-contiguous ``(rows, n)`` array, and the way back to the caller's layout."""

    array: NDArray[Any]
    moved_shape: tuple[int, ...]
    axis: int
    largest: float  # max |value|, from the finiteness check

    @property
    def n(self) -> int:
        return self.array.shape[1]

    @property
    def _axis_is_last(self) -> bool:
        return self.axis == len(self.moved_shape) - 1

    def restore(self, rows: NDArray[Any]) -> NDArray[Any]:
        """A ``(rows, n)`` result in the caller's shape, the operator axis back in place."""
        shaped = rows.reshape(self.moved_shape)
        return shaped if self._axis_is_last else np.moveaxis(shaped, -1, self.axis)

    def like(self, other: Any, *, name: str) -> NDArray[np.floating[Any]]:
        """A cotangent/tangent of the same shape as the input, as ``(rows, n)`` in its own
        working dtype (float32 stays float32: no copy for the common case)."""
        array = _working_array(other, name=name)
        expected = list(self.moved_shape)
        expected.insert(self.axis, expected.pop())
        if array.shape != tuple(expected):
            raise ShapeMismatchError(
                f"{name} must have the input's shape {tuple(expected)}, got {array.shape}"
            )
        moved = array if self._axis_is_last else np.moveaxis(array, self.axis, -1)
        rows = np.ascontiguousarray(moved.reshape(self.array.shape))
        _check_finite(rows, name=name)
        return rows


def working_dtype(dtype: np.dtype[Any]) -> type[np.floating[Any]]:
    """float32 stays float32 (float16 is computed in float32); everything else is float64."""
    return np.float32 if dtype in (np.float16, np.float32) else np.float64


_WORKING_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))


def _working_array(values: Any, *, name: str) -> NDArray[np.floating[Any]]:
    """``values`` as an array of real numbers in its working dtype (float32 or float64); a float32
    or float64 array is returned as it is (the per-call cost matters for small torch batches)."""
    if isinstance(values, np.ndarray) and values.dtype in _WORKING_DTYPES:
        return values
    array = _real_array(values, name=name)
    return array.astype(working_dtype(array.dtype), copy=False)


def _real_array(values: Any, *, name: str, dtype: Any = None) -> NDArray[Any]:
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as error:
        raise RankTypeError(f"{name} must be an array of real numbers: {error}") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.floating)
        or np.issubdtype(array.dtype, np.integer)
        or array.dtype == np.bool_
    ):
        raise RankTypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array if dtype is None else array.astype(dtype, copy=False)


def _check_finite(rows: NDArray[Any], *, name: str) -> float:
    """Raise on the first NaN/inf, naming its row and position; return max |value|.

    Two reductions and no temporary array: NaN propagates through min/max and infinities are
    extremes, so the element-wise scan only runs to locate a value already known to be bad."""
    low, high = float(rows.min()), float(rows.max())
    if not (math.isfinite(low) and math.isfinite(high)):
        flat = int(np.flatnonzero(~np.isfinite(rows))[0])
        row, col = divmod(flat, rows.shape[1])
        raise NonFiniteInputError(
            f"{name} must be finite, found {rows[row, col]} at row {row}, position {col} "
            "of the operator axis; drop or impute non-finite values first"
        )
    return max(-low, high)


def as_rows(values: Any, *, axis: int, name: str = "x") -> Rows:
    """Validate ``values`` (non-empty, real, finite) and view it as ``(rows, n)`` along ``axis``."""
    array = _working_array(values, name=name)
    if array.ndim == 0:
        raise RankValueError(f"{name} must have at least one dimension, got a scalar")
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise RankTypeError(f"axis must be an int, got {type(axis).__name__} {axis!r}")
    if not -array.ndim <= axis < array.ndim:
        raise RankValueError(f"axis {axis} is out of range for an array of {array.ndim} dimensions")
    if array.size == 0:
        raise RankValueError(f"{name} is empty (shape {array.shape}): nothing to sort or rank")
    axis = int(axis) % array.ndim
    moved = array if axis == array.ndim - 1 else np.moveaxis(array, axis, -1)
    rows = np.ascontiguousarray(moved.reshape(-1, moved.shape[-1]))
    largest = _check_finite(rows, name=name)
    return Rows(rows, moved.shape, axis, largest)


def check_dim(dim: Any, ndim: int) -> None:
    """The torch functions' ``dim``, checked with torch's word for it (``as_rows`` says "axis");
    a 0-d input is left to ``as_rows``, which says what is wrong with it."""
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise RankTypeError(f"dim must be an int, got {type(dim).__name__} {dim!r}")
    if ndim > 0 and not -ndim <= dim < ndim:
        raise RankValueError(f"dim {dim} is out of range for a tensor of {ndim} dimensions")


def check_options(
    regularization_strength: Any, regularization: Any, direction: Any
) -> tuple[float, Regularization, Direction]:
    strength = check_in_range(regularization_strength, name="regularization_strength", low=0.0)
    check_choice(regularization, name="regularization", choices=REGULARIZATIONS)
    check_choice(direction, name="direction", choices=DIRECTIONS)
    return strength, regularization, direction


def inverse_strength(strength: float, rows: Rows) -> float:
    """``1 / epsilon``, or 0.0 where the operator is (numerically) its hard limit."""
    if strength == 0.0:
        return 0.0
    inverse = 1.0 / strength
    largest = rows.largest + rows.n
    scale = largest * rows.n * inverse
    return inverse if math.isfinite(scale) and scale < _LARGEST_SAFE_SCALE else 0.0
