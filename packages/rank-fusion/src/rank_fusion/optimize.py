"""Fusion weights tuned on judged queries (the ``[optimize]`` extra: needs rank-eval).

:func:`optimize_weights` fuses the runs with each candidate weight vector, evaluates the fused run
with :func:`rank_eval.evaluate` and keeps the best vector. Candidates lie on the simplex (weights
``>= 0`` summing to 1) at multiples of ``step``:

- ``search="grid"`` tries every such point: the integer compositions of ``m = round(1 / step)``
  into one part per run, ``C(m + n - 1, n - 1)`` of them for ``n`` runs, enumerated exactly
  (ranx builds its grid from floats and keeps the points whose float sum equals 1.0, which drops
  some: with ``step=0.1`` and three runs it keeps 62 of the 66);
- ``search="coordinate"`` (for many runs, where the grid grows as ``m ** (n - 1)``) climbs from
  equal weights: each pass visits the runs in a seeded random order and, for each, tries moving
  weight in multiples of ``step`` to it from another run or from it to another run, and takes the
  best move if it improves the metric; it stops after a pass that improves nothing, or after
  ``n_iter`` passes. Deterministic for a given ``seed``; a local optimum, not always the grid's.

Ties: of weight vectors with the same metric value, the first tried wins (the grid tries points in
lexicographic order of the weights, first run's weight ascending; ranx keeps the last).
"""

from __future__ import annotations

import inspect
import math
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from rank_core import Qrels, RankTypeError, RankValueError, Run
from rank_core.optional import require
from rank_core.validation import check_choice, check_in_range, check_k
from rank_fusion._inputs import _as_run, is_run_sequence

__all__ = ["OptimizationResult", "grid_size", "optimize_weights", "simplex_grid"]

Search = Literal["grid", "coordinate"]
Trial = tuple[tuple[float, ...], float]

_STEP_TOLERANCE = 1e-9


@dataclass(frozen=True)
class OptimizationResult:
    """The outcome of :func:`optimize_weights`.

    ``weights``: the best weight vector (one float per run, summing to 1); ``score``: its metric
    value; ``table``: every weight vector tried with its metric value, best first (ties in the
    order they were tried); ``method`` and ``metric`` as requested.
    """

    weights: tuple[float, ...]
    score: float
    table: tuple[Trial, ...] = field(repr=False)
    method: str = "wsum"
    metric: str = "ndcg@10"

    def to_pandas(self) -> Any:
        """``table`` as a ``pandas.DataFrame``: columns ``weight_0``, ``weight_1``, ... and ``score``."""
        pandas = require("pandas", feature="OptimizationResult.to_pandas", distribution="rank-core", extra="pandas")
        n_runs = len(self.weights)
        columns: dict[str, Any] = {
            f"weight_{r}": [weights[r] for weights, _ in self.table] for r in range(n_runs)
        }
        columns["score"] = [score for _, score in self.table]
        return pandas.DataFrame(columns)


def grid_size(n_runs: int, step: float = 0.1) -> int:
    """How many weight vectors ``search="grid"`` tries: ``C(m + n_runs - 1, n_runs - 1)``, ``m = 1 / step``."""
    n_runs = _check_n_runs(n_runs)
    return math.comb(_steps(step) + n_runs - 1, n_runs - 1)


def simplex_grid(n_runs: int, step: float = 0.1) -> Iterator[tuple[float, ...]]:
    """Every weight vector of ``n_runs`` multiples of ``step`` summing to 1, in lexicographic order.

    Built from integer compositions (``count / m``), so no point is lost to floating-point sums.
    """
    n_runs = _check_n_runs(n_runs)
    m = _steps(step)
    return (tuple(c / m for c in counts) for counts in _compositions(m, n_runs))


def _check_n_runs(n_runs: Any) -> int:
    value = check_k(n_runs, name="n_runs")
    if value is None or value < 1:
        raise RankValueError(f"n_runs must be >= 1, got {n_runs}")
    return value


def _steps(step: Any) -> int:
    """``m = 1 / step``, which must be a whole number."""
    step = check_in_range(step, name="step", low=0, high=1, low_inclusive=False)
    m = round(1 / step)
    if abs(1 / step - m) > _STEP_TOLERANCE * max(1.0, m):
        raise RankValueError(
            f"step must divide 1 (1 / step a whole number, e.g. 0.1, 0.05, 0.2, 0.25), got {step}: "
            f"1 / step = {1 / step!r}"
        )
    return m


def _compositions(total: int, parts: int) -> Iterator[tuple[int, ...]]:
    """Tuples of ``parts`` non-negative ints summing to ``total``, lexicographically ascending."""
    if parts == 1:
        yield (total,)
        return
    for first in range(total + 1):
        for rest in _compositions(total - first, parts - 1):
            yield (first, *rest)


def _as_runs(runs: Any) -> list[Run]:
    if not is_run_sequence(runs):
        raise RankTypeError(
            "runs must be a list of runs (rank-core Runs, {qid: {doc: score}} dicts or TREC run files), "
            f"got {type(runs).__name__}"
        )
    coerced = [_as_run(item, i) for i, item in enumerate(runs)]
    if len(coerced) < 2:
        raise RankValueError(f"optimising fusion weights needs at least two runs, got {len(coerced)}")
    return coerced


def _as_qrels(qrels: Any) -> Any:
    """Read a qrels file or dict once, not at every evaluation (rank-eval takes anything else as is)."""
    if isinstance(qrels, (str, os.PathLike)):
        return Qrels.from_trec(qrels)
    if isinstance(qrels, Mapping):
        return Qrels.from_dict(qrels)
    return qrels


def _check_method(method: Any) -> Callable[..., Any]:
    from rank_fusion.methods import METHODS, SPECS, check_method

    if not check_method(method).weighted:
        weighted = ", ".join(name for name, spec in SPECS.items() if spec.weighted)
        raise RankValueError(f"{method} takes no weights, so there is nothing to optimise; methods with weights: {weighted}")
    return METHODS[method]


def _default_norm(method: str, function: Callable[..., Any]) -> str | None:
    """min-max for score-based methods that take a ``norm`` (as ranx), none for the others."""
    from rank_fusion.methods import SPECS

    takes_norm = "norm" in inspect.signature(function).parameters
    return "min-max" if SPECS[method].uses_scores and takes_norm else None


def _progress(show: bool, total: int | None, description: str) -> Any:
    """A tqdm bar when asked for and tqdm is installed (rank-fusion does not depend on it), else None."""
    if not show:
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=description, unit="trial")


def optimize_weights(
    qrels: Any,
    runs: Any,
    method: str = "wsum",
    metric: str = "ndcg@10",
    *,
    norm: str | None = "auto",
    search: Search = "grid",
    step: float = 0.1,
    n_iter: int = 100,
    seed: int = 0,
    show_progress: bool = True,
    **params: Any,
) -> OptimizationResult:
    """The fusion weights that maximise ``metric`` of the fused run on ``qrels``.

    ``qrels``: anything :func:`rank_eval.evaluate` reads (rank-core ``Qrels``, dict, TREC file).
    ``runs``: two or more rank-core ``Run``s (or dicts, or TREC run files). ``method``: a fusion
    method with weights (``wsum``, ``wmnz``, ``mixed``, ``rrf``, ``w_bordafuse``, ``w_condorcet``,
    ``dbsf``...). ``metric``: one rank-eval measure name (``ndcg@10``, ``ndcg_cut_10``, ``map``,
    ``nDCG@10``...); its value is the mean over the queries :func:`rank_eval.evaluate` averages.
    ``norm``: ``"auto"`` (default) is ``"min-max"`` for score-based methods that take a ``norm``
    (ranx's default) and none for the others; any :func:`rank_fusion.fuse` norm or ``None``.

    ``search``: ``"grid"`` (every multiple of ``step`` on the simplex) or ``"coordinate"``
    (seeded coordinate ascent in steps of ``step``, at most ``n_iter`` passes; see the module
    docstring). ``step`` must divide 1. Ties keep the first weight vector tried. Other keywords
    (``k``, ``top_k``, ``depth``, ``queries``...) go to :func:`rank_fusion.fuse`. A tqdm progress bar
    is shown if tqdm is installed, unless ``show_progress=False``.
    """
    rank_eval = require("rank_eval", feature="optimize_weights", distribution="rank-fusion", extra="optimize")
    from rank_fusion.methods import fuse

    function = _check_method(method)
    check_choice(search, name="search", choices=("grid", "coordinate"))
    m = _steps(step)
    n_iter_value = check_k(n_iter, name="n_iter")
    if n_iter_value is None or n_iter_value < 1:
        raise RankValueError(f"n_iter must be >= 1, got {n_iter}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise RankTypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    if not isinstance(metric, str):
        raise RankTypeError(f"metric must be one measure name (a str), got {type(metric).__name__} {metric!r}")
    if "weights" in params:
        raise RankTypeError("optimize_weights searches the weights: do not pass weights=")
    if norm == "auto":
        norm = _default_norm(method, function)
    elif norm is not None and "norm" not in inspect.signature(function).parameters:
        from rank_fusion.methods import SPECS

        what = "uses ranks only" if not SPECS[method].uses_scores else "normalises the scores itself"
        raise RankValueError(f"norm does not apply to {method}, which {what}: leave norm=None (or 'auto')")
    run_list = _as_runs(runs)
    judged = _as_qrels(qrels)
    n_runs = len(run_list)

    scores: dict[tuple[int, ...], float] = {}  # insertion order = the order the vectors were tried

    def score_of(counts: tuple[int, ...]) -> float:
        if counts not in scores:
            weights = [c / m for c in counts]
            fused = fuse(run_list, method, norm=norm, weights=weights, **params)
            evaluation = rank_eval.evaluate(judged, fused, [metric])
            if len(evaluation) != 1:
                raise RankValueError(
                    f"metric must name one measure, but {metric!r} gives {len(evaluation)}: {', '.join(evaluation)}"
                )
            scores[counts] = float(next(iter(evaluation.values())))
            if bar is not None:
                bar.update(1)
        return scores[counts]

    total = math.comb(m + n_runs - 1, n_runs - 1) if search == "grid" else None
    bar = _progress(bool(show_progress), total, f"Optimising {method} weights")
    try:
        if search == "grid":
            for counts in _compositions(m, n_runs):
                score_of(counts)
        else:
            _coordinate_ascent(score_of, m, n_runs, n_iter_value, int(seed))
    finally:
        if bar is not None:
            bar.close()

    tried = [(tuple(c / m for c in counts), score) for counts, score in scores.items()]
    table = tuple(sorted(tried, key=_best_first))
    best_weights, best_score = table[0]
    return OptimizationResult(best_weights, best_score, table, method=method, metric=metric)


def _best_first(trial: Trial) -> tuple[int, float]:
    """Sort key: higher scores first, NaN (an undefined metric) last; ``sorted`` is stable, so ties
    stay in the order they were tried."""
    score = trial[1]
    return (1, 0.0) if math.isnan(score) else (0, -score)


def _coordinate_ascent(
    score_of: Callable[[tuple[int, ...]], float], m: int, n_runs: int, n_iter: int, seed: int
) -> tuple[int, ...]:
    """Climb from (nearly) equal weights, one run at a time (``m`` steps of weight in all).

    For run ``r``, every move of ``t`` steps of weight (``t = 1, 2, ...`` as far as the giver
    has) from another run to ``r`` or from ``r`` to another run is tried, and the best is taken if
    it beats the current vector strictly (a line search on ``r``'s weight, which steps over the
    plateaus where a single step changes no ranking); a pass visits every run once, in a seeded
    random order.
    """
    base, extra = divmod(m, n_runs)
    current = tuple(base + (1 if r < extra else 0) for r in range(n_runs))  # the remainder to the first runs
    current_score = score_of(current)
    rng = np.random.default_rng(seed)
    for _ in range(n_iter):
        improved = False
        for r in rng.permutation(n_runs).tolist():
            best_move, best_score = None, current_score
            for other in range(n_runs):
                if other == r:
                    continue
                for giver, taker in ((other, r), (r, other)):
                    for amount in range(1, current[giver] + 1):
                        move = list(current)
                        move[giver] -= amount
                        move[taker] += amount
                        candidate = tuple(move)
                        value = score_of(candidate)
                        if value > best_score:  # strictly better: ties keep the earlier vector
                            best_move, best_score = candidate, value
            if best_move is not None:
                current, current_score = best_move, best_score
                improved = True
        if not improved:
            break
    return current
