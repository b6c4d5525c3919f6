"""Validation shared by the estimators: features, labels, query structure, gains, parameters."""

from __future__ import annotations

import inspect
import numbers
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core.errors import RankTypeError, RankValueError, ShapeMismatchError
from rank_core.validation import as_array
from rank_eval import group_offsets

__all__ = ["EstimatorParams", "check_features", "check_int", "check_labels", "query_layout", "row_gains"]


def check_features(X: ArrayLike, *, name: str = "X", n_features: int | None = None) -> NDArray[np.float64]:
    """A 2-D float64 C-contiguous copy-or-view of ``X``; NaN (missing) and +-inf are allowed."""
    features = as_array(X, name=name, ndim=2, finite=False)
    if n_features is not None and features.shape[1] != n_features:
        raise ShapeMismatchError(
            f"{name} has {features.shape[1]} features, but the model was fitted on {n_features}"
        )
    return features


def check_int(value: Any, *, name: str, low: int) -> int:
    """An integer parameter (not a bool) that is at least ``low``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RankTypeError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    if value < low:
        raise RankValueError(f"{name} must be >= {low}, got {value}")
    return int(value)


def check_labels(y: ArrayLike, n_rows: int, *, name: str = "y") -> NDArray[np.int64]:
    """Relevance labels as int64: one per row, finite, integral and >= 0 (the first bad row is named)."""
    values = np.asarray(y)
    if values.dtype.kind not in "iuf" or values.dtype == np.bool_:
        raise RankTypeError(f"{name} must hold integer relevance labels, got dtype {values.dtype}")
    if values.ndim != 1 or values.shape[0] != n_rows:
        raise ShapeMismatchError(f"{name} must have one label per row ({n_rows}), got shape {values.shape}")
    as_float = values.astype(np.float64)
    bad = ~np.isfinite(as_float) | (as_float != np.round(as_float)) | (as_float < 0)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise RankValueError(
            f"{name} must hold integer relevance labels >= 0; row {row} is {values[row]!r}"
        )
    return as_float.astype(np.int64)


def query_layout(
    n_rows: int, qid: ArrayLike | None, group: ArrayLike | None
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(order, offsets)``: rows query by query, see :func:`rank_eval.group_offsets`."""
    if qid is None and group is None:
        raise RankValueError("ranking needs the query of every row: pass qid= or group=")
    return group_offsets(n_rows, qid=qid, group=group)


#: the largest label whose exponential gain 2^label - 1 is a finite float64.
MAX_EXPONENTIAL_LABEL = 1023


def row_gains(
    labels: NDArray[np.int64], gain: str, label_gain: ArrayLike | None = None
) -> NDArray[np.float64]:
    """Each row's gain: ``2^label - 1``, ``label``, or ``label_gain[label]`` from a given table."""
    top = int(labels.max(initial=0))
    if label_gain is not None:
        table = as_array(label_gain, name="label_gain", ndim=1)
        if table.size <= top:
            raise RankValueError(
                f"label_gain has {table.size} entries but labels go up to {top}: give one gain per "
                "label 0..max"
            )
        return table[labels]
    if gain == "exponential":
        if top > MAX_EXPONENTIAL_LABEL:
            raise RankValueError(
                f"label {top} has no finite exponential gain 2^label - 1 (labels up to "
                f"{MAX_EXPONENTIAL_LABEL}): use gain='linear' or a label_gain table"
            )
        return np.exp2(labels.astype(np.float64)) - 1.0
    if gain == "linear":
        return labels.astype(np.float64)
    raise RankValueError(f"gain must be 'exponential' or 'linear', got {gain!r}")


class EstimatorParams:
    """``get_params`` / ``set_params`` from the constructor's keyword arguments, so that
    ``sklearn.base.clone`` and grid searches work without sklearn being a dependency."""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p.name for p in signature.parameters.values() if p.name != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params: Any) -> EstimatorParams:
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise RankValueError(
                    f"{type(self).__name__} has no parameter {name!r}; parameters: {', '.join(valid)}"
                )
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = inspect.signature(type(self).__init__).parameters
        changed = [
            f"{name}={value!r}"
            for name, value in self.get_params().items()
            if not _is_default(value, defaults[name].default)
        ]
        return f"{type(self).__name__}({', '.join(changed)})"


def _is_default(value: Any, default: Any) -> bool:
    try:
        return bool(value == default)
    except (TypeError, ValueError):  # arrays compare elementwise
        return False
