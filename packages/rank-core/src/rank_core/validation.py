"""Input validation shared by every rank-* package.

Each helper raises a rank-core error naming the argument, what was expected and what was given,
and returns the value in canonical form (contiguous array of the canonical dtype, plain int ...),
so public functions follow one pattern: validate -> coerce -> kernel -> wrap.
"""

from __future__ import annotations

import numbers
from collections.abc import Collection, Iterable
from typing import Any, Literal, TypeVar

import numpy as np
from numpy.typing import DTypeLike, NDArray

from rank_core.errors import (
    NonFiniteInputError,
    RankTypeError,
    RankValueError,
    ShapeMismatchError,
)

__all__ = [
    "as_array",
    "as_id_array",
    "check_choice",
    "check_finite",
    "check_in_range",
    "check_k",
    "check_same_length",
]

T = TypeVar("T")


def check_k(k: Any, *, name: str = "k", allow_none: bool = False) -> int | None:
    """Return ``k`` as a non-negative ``int`` (``None`` passes through when ``allow_none``)."""
    if k is None and allow_none:
        return None
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        expected = "a non-negative int or None" if allow_none else "a non-negative int"
        raise RankTypeError(f"{name} must be {expected}, got {type(k).__name__} {k!r}")
    if k < 0:
        raise RankValueError(f"{name} must be >= 0, got {k}")
    return int(k)


def check_in_range(
    value: Any,
    *,
    name: str,
    low: float | None = None,
    high: float | None = None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a float after checking it is a finite real inside the given bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise RankTypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise NonFiniteInputError(f"{name} must be finite, got {value}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        left = "[" if low_inclusive else "("
        right = "]" if high_inclusive else ")"
        interval = f"{left}{'-inf' if low is None else low}, {'inf' if high is None else high}{right}"
        raise RankValueError(f"{name} must be in {interval}, got {value}")
    return value


def check_choice(value: Any, *, name: str, choices: Collection[T]) -> T:
    """Check that ``value`` is one of ``choices`` (typically the values of a ``Literal``)."""
    if value not in choices:
        options = ", ".join(repr(c) for c in choices)
        raise RankValueError(f"{name} must be one of {options}; got {value!r}")
    return value


def check_finite(array: NDArray[Any], *, name: str, allow_inf: bool = False) -> None:
    """Raise :class:`NonFiniteInputError` at the first NaN (or infinity unless ``allow_inf``)."""
    if array.dtype.kind not in "fc":
        return
    bad = np.isnan(array) if allow_inf else ~np.isfinite(array)
    if bad.any():
        position = tuple(int(i) for i in np.argwhere(bad)[0])
        where = position[0] if len(position) == 1 else position
        what = "NaN" if allow_inf else "NaN or infinity"
        raise NonFiniteInputError(
            f"{name} must not contain {what}; found {array[position]} at index {where}"
        )


def as_array(
    values: Any,
    *,
    name: str,
    dtype: DTypeLike = np.float64,
    ndim: int | None = None,
    finite: bool | Literal["allow_inf"] = True,
) -> NDArray[Any]:
    """Coerce ``values`` to a C-contiguous array of ``dtype`` and check its rank and finiteness.

    Integer targets accept integral floats (``1.0``) but reject fractional ones, and bools are
    not numbers here: they raise :class:`RankTypeError`.
    """
    target = np.dtype(dtype)
    try:
        array = np.asarray(values)
    except (TypeError, ValueError) as exc:  # ragged nested sequences
        raise RankTypeError(f"{name} could not be read as an array: {exc}") from exc
    numeric = array.dtype.kind in "iuf" or (array.dtype.kind == "O" and array.size == 0)
    if not numeric:
        raise RankTypeError(f"{name} must hold numbers, got an array of dtype {array.dtype}")
    if ndim is not None and array.ndim != ndim:
        raise ShapeMismatchError(
            f"{name} must be {ndim}-dimensional, got shape {array.shape} ({array.ndim}-D)"
        )
    if target.kind in "iu" and array.dtype.kind == "f":
        check_finite(array, name=name)
        if not np.array_equal(array, np.round(array)):
            raise RankValueError(f"{name} must hold integers, got fractional values")
    if finite and target.kind == "f":
        check_finite(array, name=name, allow_inf=finite == "allow_inf")
    return np.ascontiguousarray(array, dtype=target)


def check_same_length(**arrays: Any) -> int:
    """Check that all keyword arguments have the same length; return it."""
    lengths = {name: len(a) for name, a in arrays.items()}
    if len(set(lengths.values())) > 1:
        detail = ", ".join(f"{name} has {n}" for name, n in lengths.items())
        raise ShapeMismatchError(f"lengths must match: {detail}")
    return next(iter(lengths.values()), 0)


def as_id_array(values: Iterable[Any] | NDArray[Any], *, name: str) -> NDArray[np.str_]:
    """Coerce identifiers to a 1-D numpy unicode array.

    Strings pass through; integers are turned into their decimal text (``7 -> "7"``), because
    query ids read from a TREC file are text. Anything else (floats, None, bytes, bools) is
    rejected: silently turning ``1.0`` into ``"1.0"`` would never match ``"1"`` in a qrels.
    Empty ids are rejected because no file format can hold them.
    """
    if isinstance(values, np.ndarray):
        if values.ndim != 1:
            raise ShapeMismatchError(f"{name} must be 1-dimensional, got shape {values.shape}")
        kind = values.dtype.kind
        if kind == "U":
            ids = values
        elif kind in "iu":
            ids = values.astype(str)
        elif kind == "O" or values.size == 0:
            ids = _ids_from_objects(values.tolist(), name)
        else:
            raise RankTypeError(f"{name} must be strings (or ints), got an array of dtype {values.dtype}")
    else:
        ids = _ids_from_objects(list(values), name)
    empty = ids == ""
    if empty.any():
        position = int(np.flatnonzero(empty)[0])
        raise RankValueError(f"{name} must not contain empty ids; found one at index {position}")
    return ids


def _ids_from_objects(items: list[Any], name: str) -> NDArray[np.str_]:
    if not items:
        return np.empty(0, dtype="U1")
    if set(map(type, items)) <= {str, np.str_}:
        return np.array(items, dtype=str)
    for position, item in enumerate(items):
        if isinstance(item, bool) or not isinstance(item, (str, numbers.Integral)):
            raise RankTypeError(
                f"{name} must be strings (or ints); found {type(item).__name__} {item!r} at index {position}"
            )
    return np.array([str(item) for item in items], dtype=str)
