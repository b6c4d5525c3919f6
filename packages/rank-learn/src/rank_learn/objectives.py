"""Ranking objectives as gradients and hessians of the scores, for our trees or anyone's.

:func:`lambdarank_gradients` is the LambdaRank objective of :class:`rank_learn.LambdaMART`
(LightGBM's ``lambdarank``, exactly, in float64; see ``_kernels/lambdarank.py``);
:func:`lambdarank_objective` wraps it as a custom objective for LightGBM or XGBoost that knows the
query structure (their own custom-objective hooks pass none).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core.errors import RankTypeError, RankValueError
from rank_core.validation import as_array, check_choice, check_in_range
from rank_learn._inputs import check_labels, query_layout, row_gains
from rank_learn._kernels.lambdarank import batch_lambdas, batch_xendcg

__all__ = ["LambdaRankObjective", "lambdarank_gradients", "lambdarank_objective", "xendcg_gradients"]

Gain = Literal["exponential", "linear"]


def _checked_scores(scores: ArrayLike) -> NDArray[np.float64]:
    return as_array(scores, name="scores", ndim=1)


def _scatter(order: NDArray[np.int64], *arrays: NDArray[np.float64]) -> tuple[NDArray[np.float64], ...]:
    """Per-query results back to the caller's row order."""
    out = []
    for values in arrays:
        back = np.empty_like(values)
        back[order] = values
        out.append(back)
    return tuple(out)


def lambdarank_gradients(
    scores: ArrayLike,
    y: ArrayLike,
    *,
    qid: ArrayLike | None = None,
    group: ArrayLike | None = None,
    sigma: float = 1.0,
    truncation_level: int = 30,
    normalize: bool = True,
    gain: Gain = "exponential",
    label_gain: ArrayLike | None = None,
    weighting: Literal["ndcg", "none"] = "ndcg",
    sigmoid: Literal["exact", "table"] = "exact",
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gradients and hessians of the LambdaRank loss with respect to ``scores`` (one per row).

    Each pair of rows of one query with different labels pulls the better one up with
    ``sigma / (1 + exp(sigma (s_high - s_low)))``, weighted by the pair's ``|delta nDCG|`` when
    ``weighting="ndcg"`` (LambdaRank) or by 1 when ``"none"`` (RankNet, over every pair).
    ``truncation_level``, ``normalize`` and the gains are LightGBM's ``lambdarank_truncation_level``
    (30), ``lambdarank_norm`` (True) and ``label_gain`` (``2^label - 1``), without LightGBM's limit of
    31 labels: exponential gains up to label 1023 (the largest finite one), any label otherwise.
    Queries: ``qid`` (an id per row, any order) or ``group`` (sizes of consecutive rows).
    ``sigmoid="table"`` reads the logistic from LightGBM's lookup table instead of computing it.

    Where LightGBM's own values differ: it reads the logistic from a 2^20-entry table over
    ``[-25/sigma, 25/sigma]`` (``p`` off by up to ~5e-5 x ``sigma``), stores gradients and hessians
    as float32 and adds the constant ``0.01`` as a float32 (0.009999999776...)."""
    values = _checked_scores(scores)
    labels = check_labels(y, values.size)
    sigma = check_in_range(sigma, name="sigma", low=0.0, low_inclusive=False)
    if isinstance(truncation_level, bool) or not isinstance(truncation_level, (int, np.integer)) or truncation_level < 1:
        raise RankValueError(f"truncation_level must be a positive integer, got {truncation_level!r}")
    check_choice(weighting, name="weighting", choices=("ndcg", "none"))
    check_choice(sigmoid, name="sigmoid", choices=("exact", "table"))
    order, offsets = query_layout(labels.size, qid, group)
    gains = row_gains(labels, gain, label_gain)
    ordered = labels[order]
    grad, hess = batch_lambdas(
        values[order], ordered.astype(np.float64), offsets, gains[order], float(sigma),
        int(truncation_level), weighting == "ndcg", bool(normalize), sigmoid == "table",
    )
    return _scatter(order, grad, hess)  # type: ignore[return-value]


def xendcg_gradients(
    scores: ArrayLike,
    y: ArrayLike,
    *,
    qid: ArrayLike | None = None,
    group: ArrayLike | None = None,
    random_state: int | np.random.Generator | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Gradients and hessians of XE-NDCG (Bruch et al. 2019; LightGBM's ``rank_xendcg``), whose
    target distribution draws a uniform number per row from ``random_state``."""
    values = _checked_scores(scores)
    labels = check_labels(y, values.size)
    order, offsets = query_layout(labels.size, qid, group)
    noise = np.random.default_rng(random_state).random(labels.size)
    grad, hess = batch_xendcg(values[order], labels[order].astype(np.float64), offsets, noise)
    return _scatter(order, grad, hess)  # type: ignore[return-value]


class LambdaRankObjective:
    """A LambdaRank custom objective bound to a query structure; see :func:`lambdarank_objective`."""

    def __init__(self, group: NDArray[np.int64] | None, qid: NDArray[Any] | None, options: dict[str, Any]):
        self.group = group
        self.qid = qid
        self.options = options

    def __call__(self, first: Any, second: Any) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``(preds, dataset)`` (LightGBM's ``train``, XGBoost's ``train``; labels from the dataset's
        ``get_label()``) or ``(y_true, y_pred)`` (LightGBM's and XGBoost's scikit-learn API)."""
        if hasattr(second, "get_label"):
            preds, labels = first, second.get_label()
        elif hasattr(first, "get_label"):
            labels, preds = first.get_label(), second
        else:
            labels, preds = first, second
        return lambdarank_gradients(
            np.asarray(preds, dtype=np.float64).ravel(), labels, qid=self.qid, group=self.group,
            **self.options,
        )


def lambdarank_objective(
    *,
    group: ArrayLike | None = None,
    qid: ArrayLike | None = None,
    sigma: float = 1.0,
    truncation_level: int = 30,
    normalize: bool = True,
    gain: Gain = "exponential",
    label_gain: ArrayLike | None = None,
) -> LambdaRankObjective:
    """LambdaRank as a custom objective for LightGBM or XGBoost, with the query structure bound.

    >>> booster = lightgbm.train({"objective": lambdarank_objective(group=sizes)}, train_set)
    >>> booster = xgboost.train({}, dtrain, obj=lambdarank_objective(qid=qid))

    The objective is called with ``(preds, dataset)`` or ``(y_true, y_pred)`` and returns
    ``(grad, hess)`` per row: the libraries' custom-objective hooks receive no query information
    (LightGBM's ``group`` is not passed to the callable), so it is given here once."""
    if (group is None) == (qid is None):
        raise RankValueError("give exactly one of group= (query sizes) or qid= (a query id per row)")
    if group is not None and np.ndim(group) != 1:
        raise RankTypeError("group must be a 1-D sequence of query sizes")
    options = {
        "sigma": sigma, "truncation_level": truncation_level, "normalize": normalize, "gain": gain,
        "label_gain": label_gain,
    }
    return LambdaRankObjective(
        None if group is None else np.asarray(group, dtype=np.int64),
        None if qid is None else np.asarray(qid),
        options,
    )
