"""The earlier Rust project's Python functions, as thin wrappers over this package's engine.

Code written against those bindings keeps running: ``rank_fusion.rrf(bm25, dense, k=60)``,
``rank_fusion.combsum_multi([a, b, c], top_k=10)``... Each takes one query's rankings, lists of
``(id, score)`` pairs best first (``{id: score}`` mappings work too), and returns a list of
``(id, score)`` pairs, best first. ``rrf``, ``isr``, ``dbsf`` and ``standardized`` share their
name with a function of ours: the top-level function takes both calls (``rrf([a, b], k=60)`` is
ours, ``rrf(a, b, k=60)`` the original's, told apart by the second positional argument), and
this module holds the original's alone.

Each function is one call of the engine every method of :mod:`rank_fusion.methods` uses, with
the original's formula expressed in it:

- ranks are 0-based and taken from a ranking's positions as given (the original's; scores of
  rank-based methods are ignored, so placeholder scores work): ``rrf``'s ``1 / (k + rank)`` is
  our ``rrf`` with ``k - 1``; ``isr`` is ``sum 1 / sqrt(k + rank)`` and ``borda`` is
  ``sum (len - rank)``, each list's per-rank values read by the engine (posfuse's contribution);
- ``combsum`` / ``combmnz`` / ``weighted`` min-max normalise each list (our ``min-max``);
  ``dbsf`` and ``standardized`` sum clipped z-scores (our :func:`~rank_fusion.standardized`,
  ``norm="zscore"``); ``additive_multi_task`` is a weighted sum of normalised scores.

Fixed rather than copied (the package README's "Coming from the Rust bindings" lists each):
fused ties are broken by doc id descending (the original's order came from a hash map);
a list of equal scores (or of one doc) min-max normalises to 1.0 like every engine's (the
original passed its raw scores through); ``"sum"`` normalisation divides by the sum of
absolute scores (the original's signed sum reversed lists of negative scores); NaN scores, a doc
listed twice in one ranking, no rankings, negative weights, ``k < 1`` and bad ``clip_range``
raise rank-core errors (the original summed duplicates, returned ``[]`` or garbage, or panicked);
scores are float64 (the original's float32).
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from rank_core import RankTypeError, RankValueError
from rank_core.validation import check_choice, check_in_range
from rank_fusion._engine import Spec, run_method
from rank_fusion._inputs import OneQuery, coerce_lists, is_run_sequence
from rank_fusion._kernels import fuse as K
from rank_fusion.methods import SPECS, check_clip_range

__all__ = [
    "additive_multi_task",
    "borda",
    "borda_multi",
    "combmnz",
    "combmnz_multi",
    "combsum",
    "combsum_multi",
    "dbsf",
    "dbsf_multi",
    "isr",
    "isr_multi",
    "rrf",
    "rrf_multi",
    "standardized",
    "standardized_multi",
    "weighted",
]

Ranking = Sequence[tuple[Any, float]] | Mapping[Any, float]
Fused = list[tuple[Any, float]]

#: ``sum_r table_r[rank_r(d)]`` (0-based ranks; a list without the doc gives nothing): the
#: engine's per-rank contribution (posfuse's), with tables of our choosing.
PER_RANK = Spec(K.FROM_POSITION_PROBS, K.COMBINE_SUM, uses_scores=False, weighted=False)

NORMALIZATIONS = ("zscore", "minmax", "sum", "rank", "none")


def _rankings(lists: Any, function: str) -> OneQuery:
    """``lists`` validated and laid out as rank-fusion's own one-query rankings are."""
    if is_run_sequence(lists) and len(lists) == 0:
        raise RankValueError(
            f"{function} got no rankings: pass at least one list of (id, score) pairs"
        )
    coerced = coerce_lists(lists)
    if not isinstance(coerced, OneQuery):
        raise RankTypeError(
            f"{function} fuses one query's rankings ([(id, score), ...] lists or {{id: score}} dicts), not "
            f"whole runs: for Runs use rank_fusion's own functions, e.g. rank_fusion.rrf([run_a, run_b])"
        )
    return coerced


def _by_position(lists: OneQuery) -> OneQuery:
    """Each ranking ranked by its positions as given: scores replaced by negated 1-based
    positions (-1, -2, ...; read back by the engine's ``ranks="negated_scores"``)."""
    positions = [np.arange(-1.0, -n - 1.0, -1.0) for n in lists.lengths.tolist()]
    return lists._replace(scores=np.concatenate(positions) if positions else lists.scores)


def _check_k(k: Any) -> float:
    return check_in_range(k, name="k", low=1)


# ----------------------------------------------------------------------------- rank-based


def _rrf(rankings: OneQuery, k: Any, top_k: int | None) -> Fused:
    k = _check_k(k)
    return run_method(
        _by_position(rankings),
        "rrf",
        SPECS["rrf"],
        params={"k": k - 1.0},
        ranks="negated_scores",
        top_k=top_k,
    )


def rrf(a: Ranking, b: Ranking, k: float = 60, top_k: int | None = None) -> Fused:
    """Reciprocal rank fusion with 0-based ranks: ``sum_r 1 / (k + rank_r(d))``, ``k >= 1``.

    ``rank_r(d)`` is the doc's position in list ``r`` as given (0 for the first; scores are not
    used). The same as ``rank_fusion.rrf([a, b], k=k - 1)`` (1-based ranks) on lists ordered by
    score."""
    return _rrf(_rankings([a, b], "rrf"), k, top_k)


def rrf_multi(lists: Sequence[Ranking], k: float = 60, top_k: int | None = None) -> Fused:
    """:func:`rrf` of any number of lists."""
    return _rrf(_rankings(lists, "rrf_multi"), k, top_k)


def _isr(rankings: OneQuery, k: Any, top_k: int | None) -> Fused:
    k = _check_k(k)
    table = 1.0 / np.sqrt(k + np.arange(int(rankings.lengths.max(initial=0)), dtype=np.float64))
    return run_method(
        _by_position(rankings),
        "isr",
        PER_RANK,
        tables=[table] * rankings.n_lists,
        ranks="negated_scores",
        top_k=top_k,
    )


def isr(a: Ranking, b: Ranking, k: float = 1, top_k: int | None = None) -> Fused:
    """Inverse square root rank fusion: ``sum_r 1 / sqrt(k + rank_r(d))``, 0-based positions as
    given, ``k >= 1``. Not ranx's ISR (inverse *square* rank, ``rank_fusion.isr([a, b])``)."""
    return _isr(_rankings([a, b], "isr"), k, top_k)


def isr_multi(lists: Sequence[Ranking], k: float = 1, top_k: int | None = None) -> Fused:
    """:func:`isr` of any number of lists."""
    return _isr(_rankings(lists, "isr_multi"), k, top_k)


def _borda(rankings: OneQuery, top_k: int | None) -> Fused:
    tables = [np.arange(n, 0, -1, dtype=np.float64) for n in rankings.lengths.tolist()]
    return run_method(
        _by_position(rankings),
        "borda",
        PER_RANK,
        tables=tables,
        ranks="negated_scores",
        top_k=top_k,
    )


def borda(a: Ranking, b: Ranking, top_k: int | None = None) -> Fused:
    """Borda count over each list's own length: ``sum_r (len_r - rank_r(d))``, 0-based positions
    as given; a list without the doc gives it nothing. Not ranx's ``bordafuse`` (points over all
    candidates, the mean of the points left for a missing doc)."""
    return _borda(_rankings([a, b], "borda"), top_k)


def borda_multi(lists: Sequence[Ranking], top_k: int | None = None) -> Fused:
    """:func:`borda` of any number of lists."""
    return _borda(_rankings(lists, "borda_multi"), top_k)


# ----------------------------------------------------------------------------- score-based


def combsum(a: Ranking, b: Ranking, top_k: int | None = None) -> Fused:
    """CombSUM of min-max normalised scores: ``rank_fusion.comb_sum([a, b], norm="min-max")``
    (a list of equal scores, or of one doc, gives 1.0)."""
    return combsum_multi([a, b], top_k)


def combsum_multi(lists: Sequence[Ranking], top_k: int | None = None) -> Fused:
    """:func:`combsum` of any number of lists."""
    return run_method(_rankings(lists, "combsum"), "sum", SPECS["sum"], norm="min-max", top_k=top_k)


def combmnz(a: Ranking, b: Ranking, top_k: int | None = None) -> Fused:
    """CombMNZ of min-max normalised scores: ``rank_fusion.comb_mnz([a, b], norm="min-max")``."""
    return combmnz_multi([a, b], top_k)


def combmnz_multi(lists: Sequence[Ranking], top_k: int | None = None) -> Fused:
    """:func:`combmnz` of any number of lists."""
    return run_method(_rankings(lists, "combmnz"), "mnz", SPECS["mnz"], norm="min-max", top_k=top_k)


def standardized(
    a: Ranking, b: Ranking, clip_range: tuple[float, float] = (-3.0, 3.0), top_k: int | None = None
) -> Fused:
    """Sum of z-scores (population sd) clipped to ``clip_range``; a list whose sd is at most 1e-9
    gives 0: ``rank_fusion.standardized([a, b], clip_range=clip_range)``."""
    return standardized_multi([a, b], clip_range, top_k)


def standardized_multi(
    lists: Sequence[Ranking],
    clip_range: tuple[float, float] = (-3.0, 3.0),
    top_k: int | None = None,
) -> Fused:
    """:func:`standardized` of any number of lists."""
    params = check_clip_range(clip_range)
    return run_method(
        _rankings(lists, "standardized"),
        "standardized",
        SPECS["standardized"],
        norm="zscore",
        params=params,
        top_k=top_k,
    )


def dbsf(a: Ranking, b: Ranking, top_k: int | None = None) -> Fused:
    """The original's DBSF: z-scores clipped to [-3, 3], summed (:func:`standardized`). Not
    Qdrant's DBSF (``rank_fusion.dbsf([a, b])``), which maps mean +- 3 sd to [0, 1]."""
    return standardized_multi([a, b], (-3.0, 3.0), top_k)


def dbsf_multi(lists: Sequence[Ranking], top_k: int | None = None) -> Fused:
    """:func:`dbsf` of any number of lists."""
    return standardized_multi(lists, (-3.0, 3.0), top_k)


def weighted(
    a: Ranking,
    b: Ranking,
    weight_a: float,
    weight_b: float,
    normalize: bool = True,
    top_k: int | None = None,
) -> Fused:
    """``w_a * s_a(d) + w_b * s_b(d)`` with the weights scaled to sum to 1 and, when
    ``normalize``, min-max normalised scores: ``rank_fusion.wsum([a, b], [w_a / t, w_b / t],
    norm="min-max")``, ``t = w_a + w_b``. Weights must be >= 0, not both 0."""
    weight_a = check_in_range(weight_a, name="weight_a", low=0)
    weight_b = check_in_range(weight_b, name="weight_b", low=0)
    total = weight_a + weight_b
    if total <= 0.0:
        raise RankValueError("weight_a and weight_b are both 0: every list would be ignored")
    if not isinstance(normalize, (bool, np.bool_)):
        raise RankTypeError(
            f"normalize must be True or False, got {type(normalize).__name__} {normalize!r}"
        )
    return run_method(
        _rankings([a, b], "weighted"),
        "wsum",
        SPECS["wsum"],
        norm="min-max" if normalize else None,
        weights=[weight_a / total, weight_b / total],
        top_k=top_k,
    )


def additive_multi_task(
    a: Ranking,
    b: Ranking,
    weights: tuple[float, float] = (1.0, 1.0),
    normalization: str = "zscore",
    top_k: int | None = None,
) -> Fused:
    """Additive multi-task fusion (ResFlow): ``weights[0] * n_a(d) + weights[1] * n_b(d)``, each
    list normalised by ``normalization`` (case-insensitive); a doc missing from a list adds 0.

    ``"zscore"``: z-scores clipped to [-3, 3] (:func:`rank_fusion.standardized`); ``"minmax"``:
    ``min-max``; ``"sum"``: ``s / sum(|s|)`` (``l1``); ``"rank"``: ``1 - rank / len``, 0-based
    positions as given; ``"none"``: raw scores. The weights are used as given (>= 0, not both 0)."""
    if not isinstance(normalization, str):
        raise RankTypeError(f"normalization must be a string, got {type(normalization).__name__}")
    normalization = check_choice(
        normalization.lower(), name="normalization", choices=NORMALIZATIONS
    )
    if not isinstance(weights, (list, tuple)) or len(weights) != 2:
        raise RankTypeError(f"weights must be a (weight_a, weight_b) pair, got {weights!r}")
    rankings = _rankings([a, b], "additive_multi_task")
    if normalization == "zscore":
        params = check_clip_range(K.ZSCORE_CLIP)
        return run_method(
            rankings,
            "standardized",
            SPECS["standardized"],
            norm="zscore",
            params=params,
            weights=weights,
            top_k=top_k,
        )
    if normalization == "rank":
        rankings = _by_position(rankings)
    norm = {"minmax": "min-max", "sum": "l1", "rank": "rank", "none": None}[normalization]
    return run_method(rankings, "wsum", SPECS["wsum"], norm=norm, weights=weights, top_k=top_k)


# ----------------------------------------------------------------------------- dispatch

_ORIGINALS = {"rrf": rrf, "isr": isr, "dbsf": dbsf, "standardized": standardized}
_SIGNATURES = {name: inspect.signature(function) for name, function in _ORIGINALS.items()}


def call_original(name: str, *args: Any, **kwargs: Any) -> Fused:
    """``rank_fusion.<name>(a, b, ...)``: the original's two-list call of a name we share."""
    signature = _SIGNATURES[name]
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise RankTypeError(
            f"{name}(a, b, ...) is the original bindings' two-list call, "
            f"{name}({', '.join(signature.parameters)}): {exc}. For rank_fusion's own options "
            f"pass the rankings as one list: {name}([a, b], ...)"
        ) from None
    return _ORIGINALS[name](*args, **kwargs)
