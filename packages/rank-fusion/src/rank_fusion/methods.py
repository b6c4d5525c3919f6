"""One function per fusion method, and :func:`fuse` to pick one by name.

Every function takes ``runs``: a list of rank-core ``Run``s (or ``{qid: {doc: score}}`` dicts,
or TREC run file paths) to fuse query by query into a ``Run``; or, for one query (online hybrid
search), a list of rankings (``{doc: score}`` or ``[(doc, score), ...]``) fused into a ranked
list of ``(doc, score)`` pairs. Common keywords:

- ``top_k``: keep the best ``top_k`` docs of each query (default: every candidate);
- ``depth``: fuse only the first ``depth`` docs of each list (pyserini's ``--depth``,
  Elasticsearch's ``rank_window_size``; default: whole lists);
- ``queries``: which queries a batch fuses when the runs' query sets differ: ``"union"`` (default;
  a run without the query contributes an empty list), ``"intersection"``, or ``"strict"`` (raise);
- ``name``: the fused run's name (default: the method's).

The fused order never depends on the order of the inputs: each list is ranked by its scores
(descending, ties by doc id descending, as in a ``Run``) and fused scores tie-break by doc id
descending. Formulas, and what each method does with a doc missing from a list, are in the
package README.

``rrf``, ``isr``, ``dbsf`` and ``standardized`` also take the earlier Rust project's two-list call
``rrf(a, b, k=60, top_k=None)``: when the second positional argument is a ranking (a list, tuple
or mapping) rather than ``k``, the call goes to :mod:`rank_fusion.compat`, which has that
project's semantics (0-based ranks, positions as given).
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from rank_core import RankTypeError, RankValueError, Run
from rank_core.validation import check_in_range, check_k
from rank_fusion._engine import (
    Norm,
    Ranks,
    Spec,
    check_applicable,
    check_engine_weights,
    run_method,
)
from rank_fusion._inputs import QueryPolicy, coerce_lists
from rank_fusion._kernels import fuse as K
from rank_fusion.trained import (
    TRAINED_SPECS,
    bayesfuse,
    mapfuse,
    posfuse,
    probfuse,
    segfuse,
    slidefuse,
)

Fused = Run | list[tuple[str, float]]

SPECS: dict[str, Spec] = {
    # rank-based
    "rrf": Spec(K.FROM_RRF, K.COMBINE_SUM, uses_scores=False, weighted=True),
    "isr": Spec(K.FROM_ISR, K.COMBINE_MNZ, uses_scores=False, weighted=False),
    "log_isr": Spec(K.FROM_ISR, K.COMBINE_LOG_MNZ, uses_scores=False, weighted=False),
    "logn_isr": Spec(K.FROM_ISR, K.COMBINE_LOGN_MNZ, uses_scores=False, weighted=False),
    "bordafuse": Spec(K.FROM_BORDA, K.COMBINE_SUM, uses_scores=False, weighted=False),
    "w_bordafuse": Spec(K.FROM_BORDA, K.COMBINE_SUM, uses_scores=False, weighted=True),
    "condorcet": Spec(-1, -1, uses_scores=False, weighted=False, condorcet=True),
    "w_condorcet": Spec(-1, -1, uses_scores=False, weighted=True, condorcet=True),
    "rbc": Spec(K.FROM_RBC, K.COMBINE_SUM, uses_scores=False, weighted=False),
    # score-based
    "sum": Spec(K.FROM_SCORE, K.COMBINE_SUM, uses_scores=True, weighted=False),
    "min": Spec(K.FROM_SCORE, K.COMBINE_MIN, uses_scores=True, weighted=False),
    "max": Spec(K.FROM_SCORE, K.COMBINE_MAX, uses_scores=True, weighted=False),
    "med": Spec(K.FROM_SCORE, K.COMBINE_MED, uses_scores=True, weighted=False),
    "anz": Spec(K.FROM_SCORE, K.COMBINE_ANZ, uses_scores=True, weighted=False),
    "mnz": Spec(K.FROM_SCORE, K.COMBINE_MNZ, uses_scores=True, weighted=False),
    "gmnz": Spec(K.FROM_SCORE, K.COMBINE_GMNZ, uses_scores=True, weighted=False),
    "wsum": Spec(K.FROM_SCORE, K.COMBINE_SUM, uses_scores=True, weighted=True),
    "wmnz": Spec(K.FROM_SCORE, K.COMBINE_WMNZ, uses_scores=True, weighted=True),
    "mixed": Spec(K.FROM_SCORE, K.COMBINE_MIXED, uses_scores=True, weighted=True),
    "dbsf": Spec(K.FROM_SCORE, K.COMBINE_SUM, uses_scores=True, weighted=True),
    "standardized": Spec(K.FROM_SCORE, K.COMBINE_SUM, uses_scores=True, weighted=True),
    "relative_score": Spec(K.FROM_SCORE, K.COMBINE_SUM, uses_scores=True, weighted=True),
    "arithmetic_mean": Spec(K.FROM_SCORE, K.COMBINE_ARITHMETIC_MEAN, uses_scores=True, weighted=True),
    "geometric_mean": Spec(K.FROM_SCORE, K.COMBINE_GEOMETRIC_MEAN, uses_scores=True, weighted=True),
    "harmonic_mean": Spec(K.FROM_SCORE, K.COMBINE_HARMONIC_MEAN, uses_scores=True, weighted=True),
    **TRAINED_SPECS,
}


def _fuse(runs: Any, method: str, *, queries: QueryPolicy, **options: Any) -> Fused:
    return run_method(coerce_lists(runs, queries=queries), method, SPECS[method], **options)


F = TypeVar("F", bound=Callable[..., Any])


def is_ranking_argument(value: Any) -> bool:
    """Is ``value``, found where the original's ``b`` would be, a ranking (list, tuple, mapping)?"""
    return isinstance(value, (list, tuple, Mapping))


def _also_two_lists(function: F) -> F:
    """Let ``function(runs, ...)`` also take the original bindings' ``function(a, b, ...)``.

    A second positional argument that is a ranking (:func:`is_ranking_argument`) cannot be one
    of ours (``k`` is a number; the others are keyword-only), so such a call goes to the
    same-named function of :mod:`rank_fusion.compat` with all its arguments."""
    name = function.__name__

    @functools.wraps(function)
    def method(runs: Any, *args: Any, **kwargs: Any) -> Any:
        if args and is_ranking_argument(args[0]):
            from rank_fusion import compat  # compat builds on this module

            return compat.call_original(name, runs, *args, **kwargs)
        return function(runs, *args, **kwargs)

    method.__doc__ = inspect.cleandoc(function.__doc__ or "") + (
        f"\n\nAlso takes the original Rust bindings' two-list call (``{name}(a, b, ...)``, one query's "
        f"rankings): see :func:`rank_fusion.compat.{name}`."
    )
    return method  # type: ignore[return-value]


@_also_two_lists
def rrf(
    runs: Any,
    k: float = 60,
    *,
    weights: Any = None,
    ranks: Ranks = "position",
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """Reciprocal rank fusion (Cormack et al., 2009): ``sum_r w_r / (k + rank_r(d))``, ranks 1-based.

    ``k=60`` is the paper's, Elasticsearch's, OpenSearch's and Weaviate's default. A doc missing
    from a list gets nothing from it. ``weights`` (default 1 each) give weighted RRF.
    ``ranks="negated_scores"`` takes each row's 1-based rank as ``-score`` instead of its
    position (pyserini reads a file's rank column this way: ``Run.from_trec(path,
    scores="negated_rank")``).
    """
    k = check_in_range(k, name="k", low=0)
    return _fuse(runs, "rrf", queries=queries, weights=weights, params={"k": k}, ranks=ranks, top_k=top_k, depth=depth, name=name)


@_also_two_lists
def isr(runs: Any, *, top_k: int | None = None,
    depth: int | None = None, queries: QueryPolicy = "union", name: str | None = None) -> Fused:
    """Inverse square rank (Mourão et al., 2014): ``count(d) * sum_r 1 / rank_r(d) ** 2``."""
    return _fuse(runs, "isr", queries=queries, top_k=top_k, depth=depth, name=name)


def log_isr(runs: Any, *, top_k: int | None = None,
    depth: int | None = None, queries: QueryPolicy = "union", name: str | None = None) -> Fused:
    """Log-ISR: ``log(count(d)) * sum_r 1 / rank_r(d) ** 2`` (a doc in one list scores 0)."""
    return _fuse(runs, "log_isr", queries=queries, top_k=top_k, depth=depth, name=name)


def logn_isr(
    runs: Any, sigma: float = 0.01, *, top_k: int | None = None,
    depth: int | None = None, queries: QueryPolicy = "union", name: str | None = None
) -> Fused:
    """LogN-ISR: ``log(count(d) + sigma) * sum_r 1 / rank_r(d) ** 2``, ``sigma`` in [0, 1]."""
    sigma = check_in_range(sigma, name="sigma", low=0, high=1)
    return _fuse(runs, "logn_isr", queries=queries, params={"sigma": sigma}, top_k=top_k, depth=depth, name=name)


def bordafuse(
    runs: Any, *, top_k: int | None = None,
    depth: int | None = None, queries: QueryPolicy = "union", name: str | None = None
) -> Fused:
    """Borda count (Aslam & Montague, 2001) over the ``n`` candidates of a query.

    A list gives its doc at rank ``i`` (1-based) ``n - i + 1`` points, and each doc it does not
    hold the mean of the points left, ``(n - len(list) + 1) / 2``; points are summed.
    """
    return _fuse(runs, "bordafuse", queries=queries, top_k=top_k, depth=depth, name=name)


def w_bordafuse(
    runs: Any, weights: Any, *, top_k: int | None = None,
    depth: int | None = None, queries: QueryPolicy = "union", name: str | None = None
) -> Fused:
    """Weighted Borda: :func:`bordafuse`'s points times each list's weight."""
    return _fuse(runs, "w_bordafuse", queries=queries, weights=weights, top_k=top_k, depth=depth, name=name)


def condorcet(
    runs: Any, *, top_k: int | None = None,
    depth: int | None = None, queries: QueryPolicy = "union", name: str | None = None
) -> Fused:
    """Condorcet fusion (Montague & Aslam, 2002): candidates merge-sorted by pairwise majority.

    A list ranks its docs above the docs it does not hold and abstains on two docs it holds
    neither of; a tied vote keeps doc id order (descending). Score: ``n - position``.
    """
    return _fuse(runs, "condorcet", queries=queries, top_k=top_k, depth=depth, name=name)


def w_condorcet(
    runs: Any, weights: Any, *, top_k: int | None = None,
    depth: int | None = None, queries: QueryPolicy = "union", name: str | None = None
) -> Fused:
    """Weighted Condorcet: each list's vote counts its weight."""
    return _fuse(runs, "w_condorcet", queries=queries, weights=weights, top_k=top_k, depth=depth, name=name)


def rbc(
    runs: Any, phi: float = 0.8, *, top_k: int | None = None,
    depth: int | None = None, queries: QueryPolicy = "union", name: str | None = None
) -> Fused:
    """Rank-biased centroids (Bailey et al., 2017): ``sum_r (1 - phi) * phi ** (rank_r(d) - 1)``."""
    phi = check_in_range(phi, name="phi", low=0, high=1, low_inclusive=False, high_inclusive=False)
    return _fuse(runs, "rbc", queries=queries, params={"phi": phi}, top_k=top_k, depth=depth, name=name)


def _score_method(method: str, doc: str) -> Any:
    def fuse_scores(
        runs: Any,
        *,
        norm: Norm | None = None,
        top_k: int | None = None,
        depth: int | None = None,
        queries: QueryPolicy = "union",
        name: str | None = None,
    ) -> Fused:
        return _fuse(runs, method, queries=queries, norm=norm, top_k=top_k, depth=depth, name=name)

    fuse_scores.__name__ = fuse_scores.__qualname__ = f"comb_{method}"
    fuse_scores.__doc__ = doc + "\n\n``norm`` normalises each list's scores first (see :func:`normalize`)."
    return fuse_scores


comb_sum = _score_method("sum", "CombSUM (Fox & Shaw, 1994): the sum of a doc's scores (a missing doc adds 0).")
comb_min = _score_method("min", "CombMIN: the smallest score of the lists holding the doc.")
comb_max = _score_method("max", "CombMAX: the largest score of the lists holding the doc.")
comb_med = _score_method("med", "CombMED: the median score of the lists holding the doc.")
comb_anz = _score_method("anz", "CombANZ: CombSUM divided by the number of lists holding the doc.")
comb_mnz = _score_method("mnz", "CombMNZ: CombSUM times the number of lists holding the doc.")


def comb_gmnz(
    runs: Any,
    gamma: float = 1.0,
    *,
    norm: Norm | None = None,
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """CombGMNZ (Joon Ho Lee, 1997): CombSUM times ``count(d) ** gamma``."""
    gamma = check_in_range(gamma, name="gamma")
    return _fuse(runs, "gmnz", queries=queries, norm=norm, params={"gamma": gamma}, top_k=top_k, depth=depth, name=name)


def _weighted_score_method(method: str, doc: str) -> Any:
    def fuse_weighted(
        runs: Any,
        weights: Any,
        *,
        norm: Norm | None = None,
        top_k: int | None = None,
        depth: int | None = None,
        queries: QueryPolicy = "union",
        name: str | None = None,
    ) -> Fused:
        return _fuse(runs, method, queries=queries, norm=norm, weights=weights, top_k=top_k, depth=depth, name=name)

    fuse_weighted.__name__ = fuse_weighted.__qualname__ = method
    fuse_weighted.__doc__ = doc + "\n\n``norm`` normalises each list's scores first (see :func:`normalize`)."
    return fuse_weighted


wsum = _weighted_score_method("wsum", "Weighted sum: ``sum_r w_r * s_r(d)`` (a missing doc adds 0; pyserini's interpolation).")
wmnz = _weighted_score_method("wmnz", "Weighted MNZ: ``(sum_r s_r(d)) * (sum of the weights of the lists holding d)``.")
mixed = _weighted_score_method("mixed", "Mixed: ``(sum_r w_r * s_r(d)) * sqrt(count(d))``.")


@_also_two_lists
def dbsf(
    runs: Any,
    *,
    weights: Any = None,
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """Distribution-based score fusion (Qdrant): each list's scores mapped linearly from
    ``[mean - 3 sd, mean + 3 sd]`` (sample sd) to [0, 1], not clipped, then summed; a list of
    one score or of equal scores gives 0.5. ``weights`` multiply the normalised scores."""
    return _fuse(runs, "dbsf", queries=queries, norm="dbsf", weights=weights, top_k=top_k, depth=depth, name=name)


def check_clip_range(clip_range: Any) -> dict[str, float]:
    """``clip_range`` as the kernel's parameters: two finite reals, low <= high."""
    if not isinstance(clip_range, (list, tuple)) or len(clip_range) != 2:
        raise RankTypeError(f"clip_range must be a (low, high) pair of numbers, got {clip_range!r}")
    low = check_in_range(clip_range[0], name="clip_range[0]")
    high = check_in_range(clip_range[1], name="clip_range[1]")
    if low > high:
        raise RankValueError(f"clip_range must be (low, high) with low <= high, got {tuple(clip_range)!r}")
    return {"clip_low": low, "clip_high": high}


@_also_two_lists
def standardized(
    runs: Any,
    *,
    clip_range: tuple[float, float] = (-3.0, 3.0),
    weights: Any = None,
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """Standardised (z-score) fusion: ``sum_r w_r * clip((s_r(d) - mean_r) / sd_r, *clip_range)``.

    CombSUM over z-scores (Montague & Aslam's ZMUV normalisation, population sd) clipped to
    ``clip_range``: the normalisation ``norm="zscore"``, with its range. A list whose sd is at
    most 1e-9 (one doc, equal scores) gives its docs 0; a doc missing from a list adds 0.
    ``weights`` (default 1 each) multiply the clipped z-scores. With the default range this is
    the earlier Rust project's ``dbsf`` (:func:`rank_fusion.compat.dbsf`), not Qdrant's DBSF
    (:func:`dbsf`)."""
    params = check_clip_range(clip_range)
    return _fuse(
        runs, "standardized", queries=queries, norm="zscore", weights=weights, params=params, top_k=top_k,
        depth=depth, name=name,
    )


def relative_score(
    runs: Any,
    weights: Any = None,
    *,
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """Weaviate's relativeScoreFusion: ``sum_r w_r * minmax_r(d)``; a list whose scores are all
    equal gives its docs 1.0. Weaviate's ``alpha`` is ``weights=(1 - alpha, alpha)`` for
    (keyword, vector) lists."""
    return _fuse(runs, "relative_score", queries=queries, norm="min-max", weights=weights, top_k=top_k, depth=depth, name=name)


def _mean_method(method: str, doc: str) -> Any:
    def fuse_mean(
        runs: Any,
        weights: Any = None,
        *,
        norm: Norm | None = "opensearch-min-max",
        top_k: int | None = None,
        depth: int | None = None,
        queries: QueryPolicy = "union",
        name: str | None = None,
    ) -> Fused:
        if weights is not None:
            check_engine_weights(weights, method)
        return _fuse(runs, method, queries=queries, norm=norm, weights=weights, top_k=top_k, depth=depth, name=name)

    fuse_mean.__name__ = fuse_mean.__qualname__ = method
    fuse_mean.__doc__ = (
        doc
        + "\n\nOpenSearch's normalization-processor combination, on its default ``min_max`` "
        "normalisation (``norm='opensearch-min-max'``: a list's minimum maps to 0.001, a list of equal "
        "scores to 1.0). ``weights`` (default 1 each) must be in [0, 1] and sum to 1 within 0.01, as "
        "OpenSearch requires."
    )
    return fuse_mean


arithmetic_mean = _mean_method(
    "arithmetic_mean",
    "Weighted arithmetic mean ``sum_r w_r s_r(d) / sum_r w_r`` over the lists whose score is >= 0, "
    "a list without the doc counting as score 0.",
)
geometric_mean = _mean_method(
    "geometric_mean",
    "Weighted geometric mean ``exp(sum_r w_r ln s_r(d) / sum_r w_r)`` over the lists whose score is > 0 "
    "(lists without the doc are skipped); 0 if there are none.",
)
harmonic_mean = _mean_method(
    "harmonic_mean",
    "Weighted harmonic mean ``sum_r w_r / sum_r (w_r / s_r(d))`` over the lists whose score is > 0 "
    "(lists without the doc are skipped); 0 if there are none.",
)


METHODS = {
    "rrf": rrf, "isr": isr, "log_isr": log_isr, "logn_isr": logn_isr, "bordafuse": bordafuse,
    "w_bordafuse": w_bordafuse, "condorcet": condorcet, "w_condorcet": w_condorcet, "rbc": rbc,
    "sum": comb_sum, "min": comb_min, "max": comb_max, "med": comb_med, "anz": comb_anz,
    "mnz": comb_mnz, "gmnz": comb_gmnz, "wsum": wsum, "wmnz": wmnz, "mixed": mixed, "dbsf": dbsf,
    "standardized": standardized, "relative_score": relative_score, "arithmetic_mean": arithmetic_mean,
    "geometric_mean": geometric_mean, "harmonic_mean": harmonic_mean, "mapfuse": mapfuse, "posfuse": posfuse,
    "probfuse": probfuse, "segfuse": segfuse, "slidefuse": slidefuse, "bayesfuse": bayesfuse,
}


def fuse(
    runs: Any,
    method: str = "rrf",
    *,
    norm: Norm | None = None,
    weights: Any = None,
    top_k: int | None = None,
    depth: int | None = None,
    **params: Any,
) -> Fused:
    """Fuse ``runs`` with the method named ``method`` (ranx's names: ``rrf``, ``mnz``, ``wsum``...).

    ``norm`` and ``weights`` are passed to methods that take them; other keywords are the
    method's own (``k``, ``phi``, ``gamma``, ``qrels`` for the trained methods, ``queries``,
    ``name``...).
    """
    check_k(top_k, name="top_k", allow_none=True)
    check_applicable(method, check_method(method), norm=norm, weights=weights)
    options: dict[str, Any] = dict(params, top_k=top_k, depth=depth)
    if norm is not None:
        options["norm"] = norm
    if weights is not None:
        options["weights"] = weights
    function = METHODS[method]
    try:
        inspect.signature(function).bind(runs, **options)
    except TypeError as exc:  # a keyword the method does not take, or a missing one
        raise RankTypeError(f"{method}: {exc}") from None
    return function(runs, **options)


def check_method(method: Any) -> Spec:
    """The spec of the method named ``method``; an unknown name raises, listing close matches."""
    if method not in METHODS:
        close = difflib.get_close_matches(str(method), METHODS, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise RankValueError(f"unknown fusion method {method!r}{hint} (known: {', '.join(METHODS)})")
    return SPECS[method]


def normalize(
    run: Any,
    method: Norm = "min-max",
    *,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """One run's (or one ranking's) scores normalised per query, re-ranked by the new scores.

    ``method``: ``min-max`` (``(s - min) / (max - min)``, equal scores give 1.0),
    ``min-max-inverted`` (``(max - s) / (max - min)``, for distances), ``max`` (``s / max``),
    ``sum`` (``(s - min) / sum(s - min)``), ``zmuv`` (``(s - mean) / sd``), ``zscore``
    (``(s - mean) / sd`` clipped to [-3, 3], 0 when sd <= 1e-9), ``rank`` (``1 - (rank - 1) / n``),
    ``borda`` (same as rank for one list), ``l1`` (``s / sum(|s|)``), ``l2`` (``s / ||s||``),
    ``dbsf`` (Qdrant's mean +- 3 sd) or ``opensearch-min-max``; see the README for the floors.
    """
    return _fuse([run], "sum", queries=queries, norm=method, name=name or (run.name if isinstance(run, Run) else None))
