"""LambdaMART: gradient-boosted histogram trees on a ranking objective.

Each round computes the objective's gradients and hessians of the current scores per query, grows
one leaf-wise histogram tree on them (``_kernels/trees.py``) and adds it, shrunk by
``learning_rate``. The defaults are LightGBM's ``lambdarank`` defaults.

Missing values: NaN in a feature is "missing". Each split learns the side its missing values go
to (the one with the larger gain, right on ties); at prediction, NaN follows that side, and a
feature that had no NaN in training sends NaN to the right. +-inf are ordinary (extreme) values.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from rank_core.errors import NotFittedError, RankTypeError, RankValueError
from rank_core.jit import threads as numba_threads
from rank_core.progress import progress_bar
from rank_core.validation import check_choice, check_in_range
from rank_eval import ndcg_per_query
from rank_learn._inputs import (
    EstimatorParams,
    check_features,
    check_int,
    check_labels,
    query_layout,
    row_gains,
)
from rank_learn._kernels.binning import apply_bins, bin_edges
from rank_learn._kernels.lambdarank import batch_lambdas, batch_xendcg
from rank_learn._kernels.trees import (
    binned_leaves,
    grow_tree,
    histogram_inputs,
    histogram_layout,
    predict_forest,
)

__all__ = ["LambdaMART"]

Objective = Literal["lambdarank", "rank_xendcg", "ranknet"]
EvalSet = tuple[ArrayLike, ArrayLike, ArrayLike]

#: rows x trees above which the progress bar shows by default.
_PROGRESS_THRESHOLD = 5_000_000
#: LightGBM's min_data_in_bin.
_MIN_DATA_IN_BIN = 3
_MODEL_FORMAT = "rank-learn.LambdaMART"
_TREE_FIELDS = ("feature", "threshold", "missing_left", "left", "right", "gain", "leaf_value")
_TREE_DTYPES = {"feature": np.int32, "threshold": np.float64, "missing_left": np.bool_, "left": np.int32,
                    "right": np.int32, "gain": np.float64, "leaf_value": np.float64}


class LambdaMART(EstimatorParams):
    """Gradient-boosted trees for ranking, scikit-learn style.

    ``objective``: ``"lambdarank"`` (LightGBM's, with ``sigma``, ``truncation_level``,
    ``normalize`` and the gains), ``"rank_xendcg"`` (XE-NDCG) or ``"ranknet"`` (pairwise
    logistic over every pair of different labels). ``sigmoid``: the pairs' logistic is read from
    LightGBM's 2^20-entry table (``"table"``, the default: LightGBM's trees, split for split) or
    computed (``"exact"``). ``gain``: ``2^label - 1`` or ``label`` (or
    a ``label_gain`` table, one gain per label). Trees: ``num_leaves``, ``max_depth`` (<= 0:
    unlimited), ``min_data_in_leaf``, ``min_sum_hessian_in_leaf``, ``lambda_l2``,
    ``min_gain_to_split``, ``max_bin``; each round uses a ``subsample`` share of the rows and each
    tree a ``colsample`` share of the features, drawn from ``random_state``. With an ``eval_set``
    and ``early_stopping_rounds``, training stops when the first eval set's nDCG@``eval_at``
    has not improved for that many rounds and ``predict`` uses the best round.

    >>> model = LambdaMART(n_estimators=100).fit(X, y, qid=qid)
    >>> scores = model.predict(X_test)
    """

    def __init__(
        self,
        n_estimators: int = 100,
        learning_rate: float = 0.1,
        num_leaves: int = 31,
        max_depth: int = -1,
        min_data_in_leaf: int = 20,
        min_sum_hessian_in_leaf: float = 1e-3,
        lambda_l2: float = 0.0,
        min_gain_to_split: float = 0.0,
        subsample: float = 1.0,
        colsample: float = 1.0,
        max_bin: int = 255,
        objective: Objective = "lambdarank",
        sigma: float = 1.0,
        truncation_level: int = 30,
        normalize: bool = True,
        gain: Literal["exponential", "linear"] = "exponential",
        label_gain: Sequence[float] | None = None,
        sigmoid: Literal["table", "exact"] = "table",
        eval_at: int = 10,
        early_stopping_rounds: int | None = None,
        random_state: int | None = None,
        threads: int | None = None,
        show_progress: bool | None = None,
    ) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.max_depth = max_depth
        self.min_data_in_leaf = min_data_in_leaf
        self.min_sum_hessian_in_leaf = min_sum_hessian_in_leaf
        self.lambda_l2 = lambda_l2
        self.min_gain_to_split = min_gain_to_split
        self.subsample = subsample
        self.colsample = colsample
        self.max_bin = max_bin
        self.objective = objective
        self.sigma = sigma
        self.truncation_level = truncation_level
        self.normalize = normalize
        self.gain = gain
        self.label_gain = label_gain
        self.sigmoid = sigmoid
        self.eval_at = eval_at
        self.early_stopping_rounds = early_stopping_rounds
        self.random_state = random_state
        self.threads = threads
        self.show_progress = show_progress

    # ------------------------------------------------------------------ fitting

    def _checked_params(self) -> dict[str, Any]:
        return {
            "n_estimators": check_int(self.n_estimators, name="n_estimators", low=1),
            "learning_rate": check_in_range(self.learning_rate, name="learning_rate", low=0.0, low_inclusive=False),
            "num_leaves": check_int(self.num_leaves, name="num_leaves", low=2),
            "max_depth": check_int(self.max_depth, name="max_depth", low=-(2**31)),
            "min_data_in_leaf": check_int(self.min_data_in_leaf, name="min_data_in_leaf", low=1),
            "min_sum_hessian_in_leaf": check_in_range(self.min_sum_hessian_in_leaf, name="min_sum_hessian_in_leaf", low=0.0),
            "lambda_l2": check_in_range(self.lambda_l2, name="lambda_l2", low=0.0),
            "min_gain_to_split": check_in_range(self.min_gain_to_split, name="min_gain_to_split", low=0.0),
            "subsample": check_in_range(self.subsample, name="subsample", low=0.0, high=1.0, low_inclusive=False),
            "colsample": check_in_range(self.colsample, name="colsample", low=0.0, high=1.0, low_inclusive=False),
            "max_bin": check_int(self.max_bin, name="max_bin", low=2),
            "objective": check_choice(self.objective, name="objective", choices=("lambdarank", "rank_xendcg", "ranknet")),
            "sigma": check_in_range(self.sigma, name="sigma", low=0.0, low_inclusive=False),
            "truncation_level": check_int(self.truncation_level, name="truncation_level", low=1),
            "gain": check_choice(self.gain, name="gain", choices=("exponential", "linear")),
            "sigmoid": check_choice(self.sigmoid, name="sigmoid", choices=("exact", "table")),
            "eval_at": check_int(self.eval_at, name="eval_at", low=1),
            "early_stopping_rounds": None if self.early_stopping_rounds is None
            else check_int(self.early_stopping_rounds, name="early_stopping_rounds", low=1),
        }

    def fit(
        self,
        X: ArrayLike,
        y: ArrayLike,
        *,
        qid: ArrayLike | None = None,
        group: ArrayLike | None = None,
        eval_set: Sequence[EvalSet] | None = None,
    ) -> LambdaMART:
        """Train on ``X`` (rows x features; NaN = missing), integer labels ``y`` >= 0 and the
        queries: ``qid`` (an id per row, rows in any order) or ``group`` (sizes of consecutive
        rows). ``eval_set``: ``[(X_val, y_val, qid_val), ...]``, scored every round into
        ``evals_result_`` (nDCG@``eval_at``, exponential gain, queries without relevant rows 0)."""
        params = self._checked_params()
        if params["max_bin"] > 255:
            raise RankValueError(f"max_bin must be <= 255 (bins are stored as bytes), got {params['max_bin']}")
        features = check_features(X)
        labels = check_labels(y, features.shape[0])
        order, offsets = query_layout(features.shape[0], qid, group)
        features, labels = features[order], labels[order]
        gains = row_gains(labels, params["gain"], self.label_gain)
        evals = [self._eval_data(i, entry, features.shape[1]) for i, entry in enumerate(eval_set or ())]
        if params["early_stopping_rounds"] is not None and not evals:
            raise RankValueError("early_stopping_rounds needs an eval_set to watch")
        rng = np.random.default_rng(self.random_state)
        with numba_threads(self.threads):
            self._train(features, labels, offsets, gains, evals, params, rng)
        return self

    def _eval_data(self, index: int, entry: EvalSet, n_features: int) -> dict[str, Any]:
        if not isinstance(entry, (tuple, list)) or len(entry) != 3:
            raise RankTypeError(f"eval_set[{index}] must be a tuple (X, y, qid)")
        features = check_features(entry[0], name=f"eval_set[{index}] X", n_features=n_features)
        labels = check_labels(entry[1], features.shape[0], name=f"eval_set[{index}] y")
        order, offsets = query_layout(features.shape[0], entry[2], None)
        return {"X": features[order], "y": labels[order], "sizes": np.diff(offsets),
                    "scores": np.zeros(features.shape[0])}

    def _train(self, features: NDArray[np.float64], labels: NDArray[np.int64], offsets: NDArray[np.int64],
               gains: NDArray[np.float64], evals: list[dict[str, Any]], params: dict[str, Any],
               rng: np.random.Generator) -> None:
        n_rows, n_features = features.shape
        # NumPy's sort is vectorised; NaN sorts last
        edges, edge_offsets = bin_edges(np.sort(features.T, axis=1), params["max_bin"], _MIN_DATA_IN_BIN)
        codes, has_missing = apply_bins(features, edges, edge_offsets)
        # each feature's histogram rows: its value bins and its missing bin
        bin_start = np.concatenate(([0], np.cumsum(np.diff(edge_offsets) + 1))).astype(np.int64)
        layout = histogram_layout(codes, bin_start)
        splittable = np.zeros(n_features, dtype=np.bool_)
        splittable[layout[0]] = True  # dense
        splittable[layout[1]] = True  # sparse
        every_feature = histogram_inputs(codes, bin_start, layout, splittable)
        hist = np.empty((params["num_leaves"], bin_start[-1], 2))
        grades = labels.astype(np.float64)
        scores = np.zeros(n_rows)
        all_rows = np.arange(n_rows, dtype=np.int64)
        trees: list[dict[str, NDArray[Any]]] = []
        history: list[list[float]] = [[] for _ in evals]
        best_score, best_round = -np.inf, 0
        n_rounds = params["n_estimators"]
        with progress_bar(self.show_progress, total=n_rounds, size=n_rows * n_rounds,
                          threshold=_PROGRESS_THRESHOLD, desc="LambdaMART", unit="tree") as bar:
            for round_ in range(n_rounds):
                grad, hess = self._gradients(scores, grades, offsets, gains, params, rng)
                rows = all_rows
                if params["subsample"] < 1.0:
                    take = max(1, round(params["subsample"] * n_rows))
                    rows = np.sort(rng.choice(n_rows, size=take, replace=False)).astype(np.int64)
                used, inputs = splittable, every_feature
                if params["colsample"] < 1.0:
                    used = np.zeros(n_features, dtype=np.bool_)
                    take = max(1, round(params["colsample"] * n_features))
                    used[rng.choice(n_features, size=take, replace=False)] = True
                    used &= splittable
                    inputs = histogram_inputs(codes, bin_start, layout, used)
                feature, split_bin, missing_left, left, right, gain, leaf_value = grow_tree(
                    codes, bin_start, has_missing, inputs, used, rows, grad, hess, hist,
                    params["num_leaves"],
                    params["max_depth"], params["min_data_in_leaf"], params["min_sum_hessian_in_leaf"],
                    params["lambda_l2"], params["min_gain_to_split"],
                )
                if feature.size == 0:
                    break  # no leaf can be split any more (LightGBM stops here too)
                leaf_value *= params["learning_rate"]
                scores += leaf_value[binned_leaves(codes, bin_start, feature, split_bin, missing_left, left, right)]
                threshold = edges[edge_offsets[feature] + split_bin]
                trees.append({"feature": feature, "threshold": threshold, "missing_left": missing_left,
                                  "left": left, "right": right, "gain": gain, "leaf_value": leaf_value})
                bar.update(1)
                if evals:
                    forest = _pack([trees[-1]])
                    for data, curve in zip(evals, history, strict=True):
                        data["scores"] += _predict(forest, data["X"], 1)
                        curve.append(float(np.mean(ndcg_per_query(
                            data["y"], data["scores"], group=data["sizes"], k=params["eval_at"]))))
                    if history[0][-1] > best_score:
                        best_score, best_round = history[0][-1], round_ + 1
                    stop = params["early_stopping_rounds"]
                    if stop is not None and round_ + 1 - best_round >= stop:
                        break
        self.trees_ = _pack(trees)
        self.n_features_in_ = n_features
        self.evals_result_ = [np.asarray(curve) for curve in history]
        self.best_iteration_ = best_round if params["early_stopping_rounds"] is not None else len(trees)

    def _gradients(self, scores: NDArray[np.float64], grades: NDArray[np.float64], offsets: NDArray[np.int64],
                   gains: NDArray[np.float64], params: dict[str, Any], rng: np.random.Generator
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        if params["objective"] == "rank_xendcg":
            return batch_xendcg(scores, grades, offsets, rng.random(scores.size))
        return batch_lambdas(scores, grades, offsets, gains, params["sigma"], params["truncation_level"],
                             params["objective"] == "lambdarank", bool(self.normalize),
                             params["sigmoid"] == "table")

    # --------------------------------------------------------------- prediction

    def _check_fitted(self) -> None:
        if not hasattr(self, "trees_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit() first")

    @property
    def n_trees_(self) -> int:
        self._check_fitted()
        return int(self.trees_["node_offsets"].size - 1)

    def predict(self, X: ArrayLike, *, num_iteration: int | None = None) -> NDArray[np.float64]:
        """Scores of the rows of ``X`` from the first ``num_iteration`` trees (default: all, or
        the best round when early stopping was on)."""
        self._check_fitted()
        features = check_features(X, n_features=self.n_features_in_)
        n_trees = (self.best_iteration_ if num_iteration is None
                   else check_int(num_iteration, name="num_iteration", low=1))
        with numba_threads(self.threads):
            return _predict(self.trees_, features, min(n_trees, self.n_trees_))

    def feature_importance(self, importance_type: Literal["split", "gain"] = "split") -> NDArray[np.float64]:
        """Per feature: how many splits use it, or the total gain of those splits."""
        self._check_fitted()
        check_choice(importance_type, name="importance_type", choices=("split", "gain"))
        weights = None if importance_type == "split" else self.trees_["gain"]
        return np.bincount(self.trees_["feature"], weights=weights, minlength=self.n_features_in_).astype(np.float64)

    @property
    def feature_importances_(self) -> NDArray[np.float64]:
        """Split counts per feature (LightGBM's default importance)."""
        return self.feature_importance("split")

    # -------------------------------------------------------------- persistence

    def save_model(self, path: str | os.PathLike[str]) -> None:
        """Write the model as JSON (parameters and trees; floats round-trip exactly), atomically."""
        self._check_fitted()
        document = {
            "format": _MODEL_FORMAT, "version": 1, "params": self.get_params(), "n_features": self.n_features_in_,
            "best_iteration": self.best_iteration_,
            "trees": {name: self.trees_[name].tolist() for name in (*_TREE_FIELDS, "node_offsets", "leaf_offsets")},
        }
        target = Path(path)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(document, out)
            Path(temporary).replace(target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    @classmethod
    def load_model(cls, path: str | os.PathLike[str]) -> LambdaMART:
        """A model saved by :meth:`save_model`."""
        try:
            document = json.loads(Path(path).read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise RankValueError(f"{path}: not a LambdaMART model file ({exc})") from exc
        if not isinstance(document, dict) or document.get("format") != _MODEL_FORMAT:
            raise RankValueError(f"{path}: not a LambdaMART model file (no format {_MODEL_FORMAT!r})")
        model = cls(**document["params"])
        trees = document["trees"]
        model.trees_ = {name: np.asarray(trees[name], dtype=_TREE_DTYPES.get(name, np.int64))
                        for name in (*_TREE_FIELDS, "node_offsets", "leaf_offsets")}
        model.n_features_in_ = int(document["n_features"])
        model.best_iteration_ = int(document["best_iteration"])
        model.evals_result_ = []
        return model


def _pack(trees: list[dict[str, NDArray[Any]]]) -> dict[str, NDArray[Any]]:
    """Concatenate trees into flat arrays with per-tree node and leaf offsets."""
    packed = {name: np.concatenate([t[name] for t in trees]) if trees else np.empty(0, dtype=_TREE_DTYPES[name])
              for name in _TREE_FIELDS}
    for name, dtype in _TREE_DTYPES.items():
        packed[name] = packed[name].astype(dtype, copy=False)
    packed["node_offsets"] = np.concatenate(([0], np.cumsum([t["feature"].size for t in trees]))).astype(np.int64)
    packed["leaf_offsets"] = np.concatenate(([0], np.cumsum([t["leaf_value"].size for t in trees]))).astype(np.int64)
    return packed


def _predict(forest: dict[str, NDArray[Any]], features: NDArray[np.float64], n_trees: int) -> NDArray[np.float64]:
    return predict_forest(
        features, forest["node_offsets"], forest["leaf_offsets"], forest["feature"], forest["threshold"],
        forest["missing_left"], forest["left"], forest["right"], forest["leaf_value"], n_trees,
    )
