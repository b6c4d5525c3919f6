"""Linear rankers: RankSVM and linear LambdaRank / RankNet, scikit-learn style.

Both learn a linear scoring function ``score(x) = x . coef_ + intercept_`` from rows ``X``
(n_samples x n_features), integer relevance labels ``y`` and query ids ``qid``; only rows of the
same query are compared. ``predict(X)`` returns the scores (higher ranks first).

Conventions shared by both:

- **Queries.** ``fit(X, y, qid=...)`` takes one query id per row (any integers or strings; rows
  need not be sorted or contiguous by query: they are grouped with a stable sort, queries in
  ascending id order, rows of a query in their input order), or ``group=`` the sizes of
  consecutive queries (LightGBM's ``group``), as :class:`rank_learn.LambdaMART` does. ``X`` is
  never copied or reordered (float32 and float64 are used as given, other numbers become
  float64) and must be finite; the kernels read it through the sorted row order.
- **Labels.** Integers (floats with integral values are accepted; the first other row is named
  in the error). RankSVM only compares them, so any integers work; LambdaRank's gains need
  labels >= 0.
- **Intercept.** Both losses depend only on score differences inside a query, so an intercept
  cannot be learned and the ranking never depends on it. ``fit_intercept=True`` sets
  ``intercept_ = -mean(X) . coef_`` (the training scores then have mean 0); ``False`` sets 0.0.
  Likewise adding a constant vector to every row of ``X`` does not change the optimum.
- **Uninformative queries.** A query whose rows all have the same label has no pair to learn
  from and is skipped by the updates (it still counts in the training nDCG of
  :class:`LinearLambdaRank`). A training set without any such pair raises ``RankValueError``.
- **Determinism.** Every update loop is serial and compiled; the only randomness is the pair or
  query order drawn from ``numpy.random.default_rng(random_state)``, so a fixed
  ``random_state`` gives bit-identical ``coef_`` whatever ``threads`` is. Threads speed up the
  evaluation after each epoch and the per-query gradients of a LambdaRank mini-batch (summed in
  a fixed order), on inputs large enough for it (over 2^21 feature values; the choice of the
  parallel or serial kernel depends on the sizes only).
- **Stopping.** After each epoch the model is evaluated on the training set (RankSVM: its primal
  objective; LambdaRank: mean nDCG@``truncation_level``), recorded in ``loss_curve_`` /
  ``ndcg_curve_``; with ``tol`` set, training stops once ``n_iter_no_change`` consecutive epochs
  fail to improve the best value by ``tol`` (relative for the objective, absolute for nDCG), as
  in scikit-learn's ``SGDClassifier``. ``n_iter_`` is the number of epochs run.
- **scikit-learn.** Parameters are plain attributes set by ``__init__`` and checked by ``fit``,
  so ``get_params`` / ``set_params`` / ``sklearn.base.clone`` work; scikit-learn is not needed.
  Scipy sparse matrices are not accepted (``X.toarray()`` them first).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator
from typing import Any, ClassVar, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core.errors import (
    NonFiniteInputError,
    NotFittedError,
    RankTypeError,
    RankValueError,
    ShapeMismatchError,
)
from rank_core.jit import threads as numba_threads
from rank_core.progress import progress_bar
from rank_core.validation import check_choice, check_finite, check_in_range
from rank_eval import ndcg_per_query
from rank_learn._inputs import EstimatorParams, check_int, query_layout
from rank_learn._kernels.linear import (
    batch_pairwise_hinge,
    batch_pairwise_hinge_serial,
    batch_scores,
    batch_scores_serial,
    lambdarank_epoch,
    lambdarank_epoch_parallel,
    mean_pair_distance,
    ranksvm_epoch,
)

__all__ = ["LinearLambdaRank", "LinearObjective", "PairSampling", "RankGain", "RankSVM"]

LinearObjective = Literal["lambdarank", "ranknet"]
RankGain = Literal["exponential", "linear"]
PairSampling = Literal["all"]

#: Weight of the recent iterates in RankSVM's running average (Shamir & Zhang's ``eta``).
_AVERAGE_POWER = 3.0
#: Pairs drawn to estimate the mean squared pair distance that sets RankSVM's first step.
_STEP_SAMPLE = 4096
#: RankSVM's first step, in units of 1 / mean ||x_i - x_j||^2: how far it moves a violated
#: pair's margin. 0.3 reached the lowest objectives on average over the LightGBM example and
#: two synthetic sets at C = 0.01, 0.1, 1 (1.0 and 0.1 were 2x worse after 10 to 40 epochs).
_FIRST_STEP = 0.3
#: ``show_progress=None`` shows the bar when one epoch touches at least this many feature values
#: (pair steps x features for RankSVM, rows x features for LambdaRank).
_PROGRESS_WORK = 20_000_000
#: Feature values touched by one evaluation (or one LambdaRank mini-batch) from which the
#: parallel kernels are used; below it a parallel launch costs more than it saves (and idle
#: OpenMP workers spinning after it slow the serial update loop on a busy machine). The choice
#: depends on the input's size only, so the result never depends on the thread count.
_PARALLEL_WORK = 1 << 21
#: Largest label the exponential gain ``2^label - 1`` can take without overflowing float64.
_MAX_EXPONENTIAL_LABEL = 1023


# --- input validation ----------------------------------------------------------------------------


def _as_features(X: Any, *, name: str = "X") -> NDArray[np.floating[Any]]:
    """``X`` as a C-contiguous 2-D float32 / float64 array of finite values."""
    if hasattr(X, "toarray") and hasattr(X, "tocsr"):
        raise RankTypeError(
            f"{name} is a scipy sparse matrix; the linear rankers take dense arrays: "
            f"pass {name}.toarray()"
        )
    try:
        array = np.asarray(X)
    except (TypeError, ValueError) as exc:
        raise RankTypeError(f"{name} could not be read as an array: {exc}") from exc
    if array.dtype.kind not in "iuf":
        raise RankTypeError(f"{name} must hold real numbers, got an array of dtype {array.dtype}")
    if array.ndim != 2:
        raise ShapeMismatchError(
            f"{name} must be 2-dimensional (n_samples, n_features), got shape {array.shape}"
        )
    if array.dtype not in (np.float32, np.float64):
        array = array.astype(np.float64)
    check_finite(array, name=name)
    return np.ascontiguousarray(array)


def _as_labels(y: Any, n_samples: int) -> NDArray[np.int64]:
    """``y`` as int64 relevance labels, one per row; the first non-integer row is named."""
    try:
        array = np.asarray(y)
    except (TypeError, ValueError) as exc:
        raise RankTypeError(f"y could not be read as an array: {exc}") from exc
    if array.ndim != 1:
        raise ShapeMismatchError(f"y must be 1-dimensional, got shape {array.shape}")
    if array.size != n_samples:
        raise ShapeMismatchError(f"y has {array.size} labels but X has {n_samples} rows")
    if array.dtype.kind == "O":
        try:
            array = array.astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise RankTypeError(f"y must hold integer labels: {exc}") from exc
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if not finite.all():
            row = int(np.flatnonzero(~finite)[0])
            raise NonFiniteInputError(f"y must hold integer labels; row {row} is {array[row].item()}")
        fractional = array != np.round(array)
        if fractional.any():
            row = int(np.flatnonzero(fractional)[0])
            raise RankValueError(f"y must hold integer labels; row {row} is {array[row].item()!r}")
        if array.size and np.abs(array).max() >= 2.0**63:
            raise RankValueError("y holds labels too large for int64")
    elif array.dtype.kind not in "iu":
        raise RankTypeError(f"y must hold integer labels, got an array of dtype {array.dtype}")
    elif array.dtype == np.uint64 and array.size and array.max() > np.iinfo(np.int64).max:
        raise RankValueError("y holds labels too large for int64")
    return np.ascontiguousarray(array, dtype=np.int64)


def _check_flag(value: Any, *, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise RankTypeError(f"{name} must be True or False, got {type(value).__name__} {value!r}")
    return bool(value)


def _check_tol(value: Any) -> float | None:
    return None if value is None else check_in_range(value, name="tol", low=0.0)


def _check_show_progress(value: Any) -> bool | None:
    return None if value is None else _check_flag(value, name="show_progress")


def _make_rng(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, bool):
        raise RankTypeError("random_state must be None, an int or a numpy Generator, got a bool")
    try:
        return np.random.default_rng(random_state)
    except (TypeError, ValueError) as exc:
        raise RankValueError(
            f"random_state must be None, a non-negative int or a numpy Generator: {exc}"
        ) from exc


class _QuietBar:
    """Stand-in for a hidden tqdm bar, so tqdm is imported only when a bar is shown."""

    def update(self, n: int = 1) -> None:
        pass

    def set_postfix_str(self, text: str) -> None:
        pass


@contextlib.contextmanager
def _epoch_bar(show: bool | None, *, work: int, total: int, desc: str) -> Iterator[Any]:
    visible = work >= _PROGRESS_WORK if show is None else show
    if not visible:
        yield _QuietBar()
        return
    with progress_bar(True, total=total, size=work, threshold=0, desc=desc, unit="epoch") as bar:
        yield bar


class _Stopper:
    """scikit-learn's rule: stop after ``patience`` epochs without beating the best by ``tol``."""

    def __init__(self, tol: float | None, patience: int, *, minimise: bool, relative: bool) -> None:
        self.tol = tol
        self.patience = patience
        self.sign = 1.0 if minimise else -1.0
        self.relative = relative
        self.best = math.inf
        self.stale = 0

    def should_stop(self, value: float) -> bool:
        if self.tol is None:
            return False
        value = self.sign * value
        margin = self.tol * abs(self.best) if self.relative else self.tol
        if math.isfinite(self.best) and value > self.best - margin:
            self.stale += 1
        else:
            self.stale = 0
        self.best = min(self.best, value)
        return self.stale >= self.patience


class _Groups:
    """Training rows grouped by query: ``rows`` (sorted position -> row of ``X``), ``offsets``,
    ``labels`` and ``query_of`` per position. ``by_label`` also sorts each query's rows by
    label descending (ties in input order)."""

    def __init__(
        self, y: NDArray[np.int64], *, qid: ArrayLike | None, group: ArrayLike | None, by_label: bool
    ) -> None:
        order, self.offsets = query_layout(y.size, qid, group)
        sizes = np.diff(self.offsets)
        self.query_of = np.repeat(np.arange(sizes.size, dtype=np.int64), sizes)
        if by_label:
            label_rank = np.unique(y, return_inverse=True)[1].reshape(-1)
            order = order[np.lexsort((-label_rank[order], self.query_of))]
        self.rows = np.ascontiguousarray(order, dtype=np.int64)
        self.labels = np.ascontiguousarray(y[self.rows])

    @property
    def n_queries(self) -> int:
        return self.offsets.size - 1


# --- the shared estimator machinery ------------------------------------------------------------


class _LinearRanker(EstimatorParams):
    """predict and the shared fit plumbing of the linear rankers (``get_params`` /
    ``set_params`` / ``repr`` come from :class:`rank_learn._inputs.EstimatorParams`)."""

    _fitted_attribute: ClassVar[str] = "coef_"

    def _check_fitted(self) -> None:
        if not hasattr(self, self._fitted_attribute):
            raise NotFittedError(
                f"this {type(self).__name__} is not fitted yet; call fit(X, y, qid=...) first"
            )

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Scores ``X . coef_ + intercept_`` (float64, one per row; higher ranks first)."""
        self._check_fitted()
        features = _as_features(X)
        if features.shape[1] != self.n_features_in_:
            raise ShapeMismatchError(
                f"X has {features.shape[1]} features, but {type(self).__name__} was fitted "
                f"with {self.n_features_in_}"
            )
        return np.asarray(features @ self.coef_, dtype=np.float64) + self.intercept_

    def _training_inputs(
        self, X: ArrayLike, y: ArrayLike
    ) -> tuple[NDArray[np.floating[Any]], NDArray[np.int64]]:
        features = _as_features(X)
        n_samples, n_features = features.shape
        if n_samples == 0:
            raise RankValueError("X has no rows: nothing to learn from")
        if n_features == 0:
            raise RankValueError("X has no features (shape (n, 0))")
        return features, _as_labels(y, n_samples)

    def _finish(self, X: NDArray[np.floating[Any]], coef: NDArray[np.float64], fit_intercept: bool) -> None:
        self.coef_ = coef
        self.intercept_ = float(-(X.mean(axis=0, dtype=np.float64) @ coef)) if fit_intercept else 0.0
        self.n_features_in_ = X.shape[1]


def _no_pairs() -> RankValueError:
    return RankValueError(
        "no query has two rows with different labels: there is no pair to learn from"
    )


# --- RankSVM -------------------------------------------------------------------------------------


class RankSVM(_LinearRanker):
    """Linear RankSVM (Herbrich et al. 2000; Joachims 2002), solved by averaged Pegasos SGD.

    Minimises over ``w``

        ||w||^2 / 2  +  C * sum over pairs (i, j) of the same query with y_i > y_j of
                        max(0, 1 - w . (x_i - x_j))

    a **sum** over pairs, as scikit-learn's ``LinearSVC`` sums over samples: ``RankSVM(C=c)``
    has the same optimum as ``LinearSVC(C=c, loss="hinge", fit_intercept=False)`` fitted on one
    difference vector per pair (``x_i - x_j`` labelled +1, or ``x_j - x_i`` labelled -1), and as
    ``LinearSVC(C=c / 2, ...)`` fitted on both signs of every pair. The number of pairs grows
    with the square of the query length, so useful values of ``C`` are often much smaller than
    for a classifier on the same rows.

    Solver: averaged stochastic subgradient descent over the pairs, compiled, with no learning
    rate to tune. Step ``t`` draws a pair and takes the subgradient step of size
    ``1 / (t + t0)`` on the whole objective (the pair's hinge scaled by the number of pairs per
    epoch): Pegasos (Shalev-Shwartz et al. 2011), projection onto the ball of radius
    ``sqrt(C * n_pairs)`` that holds the optimum included, with the offset ``t0`` of Bottou's
    SGD (scikit-learn's ``learning_rate="optimal"``) chosen so that the first steps move a
    violated pair's margin by about 0.3 (``t0 = C * n_pairs * mean ||x_i - x_j||^2 / 0.3``,
    the mean estimated on 4,096 random pairs; 0.3 was the best of 0.1, 0.3 and 1 on the
    benchmark's data): without it, Pegasos' first steps are far too large. The iterates are averaged with polynomial decay (Shamir &
    Zhang 2013, ``eta = 3``); ``coef_`` is the average of the epoch with the lowest objective.
    SGD reaches a looser optimum than ``LinearSVC``'s dual coordinate descent in the same time
    when the pairwise transform fits in memory (see the README's benchmark), but never builds
    that ``n_pairs x n_features`` matrix, and ``pairs=k`` bounds the work on long queries.

    Parameters
    ----------
    C:
        Weight of the summed pairwise hinge losses against ``||w||^2 / 2`` (> 0).
    max_epochs:
        Most passes over the pairs.
    tol:
        Stop once ``n_iter_no_change`` epochs in a row fail to lower the best objective by a
        fraction ``tol`` of it; ``None`` runs ``max_epochs`` epochs.
    n_iter_no_change:
        Patience of the stopping rule, in epochs.
    pairs:
        ``"all"``: every epoch visits every pair once, in a fresh random order. An int ``k``:
        every epoch draws ``k`` pairs per query, uniformly with replacement (a query with at
        most ``k`` pairs contributes each of its pairs once), each weighted by
        ``n_pairs_of_query / k`` so the objective is still the one above; for long queries.
        Such an epoch is shorter and noisier than a full pass: allow more ``max_epochs`` (and
        patience) for the same accuracy.
    fit_intercept:
        See the module notes: ``intercept_`` centres the training scores, or is 0.0.
    random_state:
        Seed (or ``numpy.random.Generator``) of the pair order.
    threads:
        Numba threads for the per-epoch evaluation (``None``: the current setting). The fitted
        model does not depend on it.
    show_progress:
        tqdm bar over the epochs; ``None`` shows it for large inputs only.

    Attributes
    ----------
    coef_: (n_features,) float64 weights. intercept_: float. n_features_in_: int.
    n_iter_: epochs run. n_pairs_: pairs in the training set.
    loss_curve_: the primal objective of the averaged weights after each epoch.
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        max_epochs: int = 100,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 5,
        pairs: PairSampling | int = "all",
        fit_intercept: bool = False,
        random_state: int | np.random.Generator | None = None,
        threads: int | None = None,
        show_progress: bool | None = None,
    ) -> None:
        self.C = C
        self.max_epochs = max_epochs
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.pairs = pairs
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.threads = threads
        self.show_progress = show_progress

    def fit(
        self, X: ArrayLike, y: ArrayLike, *, qid: ArrayLike | None = None, group: ArrayLike | None = None
    ) -> RankSVM:
        """Learn ``coef_`` from rows ``X`` (n_samples x n_features, finite), integer labels ``y``
        and the queries: ``qid`` (an id per row, rows in any order) or ``group`` (sizes of
        consecutive rows, LightGBM's ``group``)."""
        C = check_in_range(self.C, name="C", low=0.0, low_inclusive=False)
        max_epochs = check_int(self.max_epochs, name="max_epochs", low=1)
        tol = _check_tol(self.tol)
        patience = check_int(self.n_iter_no_change, name="n_iter_no_change", low=1)
        if isinstance(self.pairs, str):
            check_choice(self.pairs, name="pairs", choices=get_args(PairSampling))
            per_query = None
        else:
            per_query = check_int(self.pairs, name="pairs", low=1)
        fit_intercept = _check_flag(self.fit_intercept, name="fit_intercept")
        show = _check_show_progress(self.show_progress)
        features, labels = self._training_inputs(X, y)
        groups = _Groups(labels, qid=qid, group=group, by_label=True)
        rng = _make_rng(self.random_state)
        pair_offsets, low_start = _pair_layout(groups)
        n_pairs = int(pair_offsets[-1])
        if n_pairs == 0:
            raise _no_pairs()
        query_pairs = pair_offsets[groups.offsets[1:]] - pair_offsets[groups.offsets[:-1]]
        draw, position_weight, n_steps = _pair_sampler(
            pair_offsets, groups, query_pairs, per_query, rng
        )

        n_features = features.shape[1]
        parallel = features.size >= _PARALLEL_WORK
        scores_of = batch_scores if parallel else batch_scores_serial
        hinge_of = batch_pairwise_hinge if parallel else batch_pairwise_hinge_serial
        w = np.zeros(n_features)
        average = np.zeros(n_features)
        best = average.copy()
        t = 0
        losses: list[float] = []
        stopper = _Stopper(tol, patience, minimise=True, relative=True)
        with numba_threads(self.threads), _epoch_bar(
            show, work=n_steps * n_features, total=max_epochs, desc="RankSVM"
        ) as bar:
            sample = rng.integers(0, n_pairs, size=min(n_pairs, _STEP_SAMPLE))
            spread = mean_pair_distance(features, groups.rows, pair_offsets, low_start, sample)
            # steps carry weight n_pairs / n_steps on average (1 with pairs="all")
            t_offset = C * n_pairs * spread / _FIRST_STEP if spread > 0.0 else 0.0
            for _ in range(max_epochs):
                t = ranksvm_epoch(
                    features, groups.rows, pair_offsets, low_start, position_weight, draw(),
                    C * n_steps, t_offset, math.sqrt(C * n_pairs), _AVERAGE_POWER, w, t, average,
                )
                scores = scores_of(features, groups.rows, average)
                hinge = float(np.sum(hinge_of(scores, groups.labels, groups.offsets)))
                loss = 0.5 * float(average @ average) + C * hinge
                if not losses or loss < min(losses):
                    best[:] = average
                losses.append(loss)
                bar.update(1)
                bar.set_postfix_str(f"objective={loss:.6g}")
                if stopper.should_stop(loss):
                    break
        self._finish(features, best, fit_intercept)
        self.n_iter_ = len(losses)
        self.n_pairs_ = n_pairs
        self.loss_curve_ = losses
        return self


def _pair_layout(groups: _Groups) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``pair_offsets`` (n + 1) and ``low_start`` (n): see ``rank_learn._kernels.linear``."""
    n = groups.rows.size
    labels = groups.labels
    run_start = np.ones(n, dtype=bool)
    run_start[1:] = (groups.query_of[1:] != groups.query_of[:-1]) | (labels[1:] != labels[:-1])
    starts = np.flatnonzero(run_start)
    ends = np.append(starts[1:], n)
    low_start = ends[np.cumsum(run_start) - 1].astype(np.int64)
    query_end = groups.offsets[groups.query_of + 1]
    pair_offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(query_end - low_start, out=pair_offsets[1:])
    return pair_offsets, low_start


def _pair_sampler(
    pair_offsets: NDArray[np.int64],
    groups: _Groups,
    query_pairs: NDArray[np.int64],
    per_query: int | None,
    rng: np.random.Generator,
) -> tuple[Callable[[], NDArray[np.int64]], NDArray[np.float64], int]:
    """A function drawing one epoch's global pair indices, each position's step weight, and
    the number of steps per epoch."""
    n_pairs = int(pair_offsets[-1])
    if per_query is None:
        return (lambda: rng.permutation(n_pairs)), np.ones(groups.rows.size), n_pairs
    first_pair = pair_offsets[groups.offsets[:-1]]
    small = (query_pairs > 0) & (query_pairs <= per_query)
    large = np.flatnonzero(query_pairs > per_query)
    sizes = query_pairs[small]
    # every pair of the small queries: first_pair[q] + 0 .. query_pairs[q] - 1
    fixed = np.repeat(first_pair[small] - np.cumsum(sizes) + sizes, sizes) + np.arange(sizes.sum())
    low = np.repeat(first_pair[large], per_query)
    high = low + np.repeat(query_pairs[large], per_query)
    weight = np.ones(groups.n_queries)
    weight[large] = query_pairs[large] / per_query

    def draw() -> NDArray[np.int64]:
        sampled = rng.integers(low, high) if low.size else low
        return rng.permutation(np.concatenate([fixed, sampled]).astype(np.int64))

    n_steps = fixed.size + low.size
    return draw, np.ascontiguousarray(weight[groups.query_of]), n_steps


# --- linear LambdaRank ---------------------------------------------------------------------------


class LinearLambdaRank(_LinearRanker):
    """Linear LambdaRank (Burges 2010) and RankNet (Burges et al. 2005) by stochastic gradient.

    The scores are ``s = X w``; each step takes the LambdaRank gradients of the scores of a
    mini-batch of queries, exactly LightGBM's ``lambdarank`` objective (``sigma``,
    ``lambdarank_truncation_level``, ``lambdarank_norm``, exponential or linear gain: the kernel
    :func:`rank_learn._kernels.lambdarank.query_lambdas`), maps them to the weights by the chain
    rule ``dLoss/dw = X_q^T lambdas_q``, and does

        w <- w - learning_rate * (mean over the batch's queries of X_q^T lambdas_q + l2 * w)

    so ``l2`` is the weight of ``||w||^2 / 2`` against the mean per-query loss, and the step
    size does not depend on the batch size. ``objective="ranknet"`` drops LambdaRank's
    delta-nDCG weighting (every pair of different labels weighs 1: the gradient of RankNet's
    pairwise logistic loss ``sum log(1 + exp(-sigma (s_i - s_j)))``). Weights start at 0;
    queries are visited in a fresh random order each epoch.

    Parameters
    ----------
    objective:
        ``"lambdarank"`` or ``"ranknet"``.
    learning_rate:
        Step size (> 0), constant.
    max_epochs:
        Most passes over the queries.
    tol, n_iter_no_change:
        Stop once ``n_iter_no_change`` epochs in a row fail to raise the best training
        nDCG@``truncation_level`` by ``tol`` (absolute); ``tol=None`` runs ``max_epochs``.
    sigma:
        Steepness of the pairwise logistic (LightGBM's ``sigmoid``).
    truncation_level:
        Pairs need a member in the top ``truncation_level`` positions (LambdaRank only); also
        the cut-off of the training nDCG recorded in ``ndcg_curve_``.
    gain:
        ``"exponential"`` (``2^label - 1``, LightGBM's default ``label_gain``) or ``"linear"``
        (``label``). Labels must be >= 0.
    normalize:
        LightGBM's ``lambdarank_norm`` (LambdaRank only).
    l2:
        L2 penalty (>= 0).
    batch:
        Queries per step: ``"query"`` (1, plain SGD), an int, or ``"full"`` (all queries: one
        full-batch gradient step per epoch).
    fit_intercept, random_state, threads, show_progress:
        As for :class:`RankSVM`; ``threads`` also parallelises the queries of a mini-batch.

    Attributes
    ----------
    coef_: (n_features,) float64 weights. intercept_: float. n_features_in_: int.
    n_iter_: epochs run. ndcg_curve_: mean training nDCG@``truncation_level`` after each epoch
    (documents ordered by score, ties in input order; a query without a relevant document
    counts 1, as in LightGBM).
    """

    def __init__(
        self,
        *,
        objective: LinearObjective = "lambdarank",
        learning_rate: float = 0.05,
        max_epochs: int = 100,
        tol: float | None = 1e-4,
        n_iter_no_change: int = 10,
        sigma: float = 1.0,
        truncation_level: int = 30,
        gain: RankGain = "exponential",
        normalize: bool = True,
        l2: float = 0.0,
        batch: Literal["query", "full"] | int = "query",
        fit_intercept: bool = False,
        random_state: int | np.random.Generator | None = None,
        threads: int | None = None,
        show_progress: bool | None = None,
    ) -> None:
        self.objective = objective
        self.learning_rate = learning_rate
        self.max_epochs = max_epochs
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.sigma = sigma
        self.truncation_level = truncation_level
        self.gain = gain
        self.normalize = normalize
        self.l2 = l2
        self.batch = batch
        self.fit_intercept = fit_intercept
        self.random_state = random_state
        self.threads = threads
        self.show_progress = show_progress

    def fit(
        self, X: ArrayLike, y: ArrayLike, *, qid: ArrayLike | None = None, group: ArrayLike | None = None
    ) -> LinearLambdaRank:
        """Learn ``coef_`` from rows ``X`` (finite), labels ``y`` (integers >= 0) and the
        queries: ``qid`` (an id per row, rows in any order) or ``group`` (query sizes)."""
        objective = check_choice(self.objective, name="objective", choices=get_args(LinearObjective))
        learning_rate = check_in_range(
            self.learning_rate, name="learning_rate", low=0.0, low_inclusive=False
        )
        max_epochs = check_int(self.max_epochs, name="max_epochs", low=1)
        tol = _check_tol(self.tol)
        patience = check_int(self.n_iter_no_change, name="n_iter_no_change", low=1)
        sigma = check_in_range(self.sigma, name="sigma", low=0.0, low_inclusive=False)
        truncation = check_int(self.truncation_level, name="truncation_level", low=1)
        gain = check_choice(self.gain, name="gain", choices=get_args(RankGain))
        normalize = _check_flag(self.normalize, name="normalize")
        l2 = check_in_range(self.l2, name="l2", low=0.0)
        if isinstance(self.batch, str):
            check_choice(self.batch, name="batch", choices=("query", "full"))
        else:
            check_int(self.batch, name="batch", low=1)
        fit_intercept = _check_flag(self.fit_intercept, name="fit_intercept")
        show = _check_show_progress(self.show_progress)
        features, labels = self._training_inputs(X, y)
        if labels.min() < 0:
            row = int(np.flatnonzero(labels < 0)[0])
            raise RankValueError(
                f"y must hold labels >= 0 for {objective}'s gains; row {row} is {labels[row]}"
            )
        if gain == "exponential" and labels.max() > _MAX_EXPONENTIAL_LABEL:
            raise RankValueError(
                f"gain='exponential' takes labels <= {_MAX_EXPONENTIAL_LABEL} (2^label - 1 "
                f"overflows float64), got {labels.max()}; use gain='linear'"
            )
        groups = _Groups(labels, qid=qid, group=group, by_label=False)
        rng = _make_rng(self.random_state)
        grades = groups.labels.astype(np.float64)  # query_lambdas' labels and gains: per position
        gains = np.exp2(grades) - 1.0 if gain == "exponential" else grades.copy()
        starts = groups.offsets[:-1]
        informative = np.flatnonzero(
            np.minimum.reduceat(groups.labels, starts) != np.maximum.reduceat(groups.labels, starts)
        )
        if informative.size == 0:
            raise _no_pairs()
        if self.batch == "query":
            batch = 1
        elif self.batch == "full":
            batch = informative.size
        else:
            batch = min(int(self.batch), informative.size)
        rows_per_query = groups.rows.size / groups.n_queries
        epoch = lambdarank_epoch
        if batch > 1 and batch * rows_per_query * features.shape[1] >= _PARALLEL_WORK:
            epoch = lambdarank_epoch_parallel
        parallel = features.size >= _PARALLEL_WORK
        scores_of = batch_scores if parallel else batch_scores_serial
        weighting = objective == "lambdarank"
        sizes = np.diff(groups.offsets)

        n_features = features.shape[1]
        w = np.zeros(n_features)
        curve: list[float] = []
        stopper = _Stopper(tol, patience, minimise=False, relative=False)
        with numba_threads(self.threads), _epoch_bar(
            show, work=features.size, total=max_epochs, desc="LinearLambdaRank"
        ) as bar:
            for _ in range(max_epochs):
                epoch(
                    features, groups.rows, grades, groups.offsets, gains,
                    rng.permutation(informative), batch, w, learning_rate, l2, sigma,
                    truncation, weighting, normalize,
                )
                scores = scores_of(features, groups.rows, w)
                ndcg = float(np.mean(ndcg_per_query(grades, scores, group=sizes, k=truncation, gain=gain,
                                                    no_relevant=1.0)))
                curve.append(ndcg)
                bar.update(1)
                bar.set_postfix_str(f"ndcg@{truncation}={ndcg:.4f}")
                if stopper.should_stop(ndcg):
                    break
        self._finish(features, w, fit_intercept)
        self.n_iter_ = len(curve)
        self.ndcg_curve_ = curve
        return self
