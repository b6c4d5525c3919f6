"""Trained (probabilistic) fusion: each run's model is estimated from relevance judgments.

Each function estimates, for every input run, how likely a doc at a given rank is relevant (or
the run's MAP), from ``qrels`` and a training run, then fuses ``runs`` by summing each list's
per-rank values (a doc missing from a list gets nothing from it, except in :func:`bayesfuse`).
Formulas follow ranx 0.3.21 (``ranx.fusion.*_train`` then the fusion itself).

Training, for run ``r``:

- the training run is ``train_runs[r]`` (default: ``runs[r]`` itself, i.e. ranx's setting,
  where the model is fitted on the runs it then fuses); ``train_runs`` must hold one run per run;
- the training queries are those present in both ``qrels`` and that training run (trec_eval's
  default set; ranx requires the two query sets to be equal and silently misaligns queries
  otherwise). No shared query raises :class:`rank_core.RankValueError`;
- a doc is relevant when its qrels label is >= 1; its *hit list* marks, position by position,
  whether the run's doc there is relevant.

``runs`` may be anything :mod:`rank_fusion.methods` fuses (a batch of runs, or one query's
rankings when ``train_runs`` is given); ``top_k``, ``depth``, ``queries`` and ``name`` mean the
same as there. ``depth`` and ``queries`` only select what is fused: training always reads the
whole training lists of every training query.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from rank_core import Qrels, RankTypeError, RankValueError, Run, align
from rank_core.validation import check_choice, check_k
from rank_fusion._engine import Norm, Spec, run_method
from rank_fusion._inputs import (
    OneQuery,
    QueryPolicy,
    _as_run,
    _is_ranking,
    coerce_lists,
    is_run_sequence,
)
from rank_fusion._kernels import fuse as K
from rank_fusion._kernels import training as T

__all__ = ["TRAINED_SPECS", "bayesfuse", "mapfuse", "posfuse", "probfuse", "segfuse", "slidefuse", "train_fusion"]

Fused = Run | list[tuple[str, float]]
TrainedMethod = Literal["mapfuse", "posfuse", "probfuse", "segfuse", "slidefuse", "bayesfuse"]

TRAINED_SPECS: dict[str, Spec] = {
    "mapfuse": Spec(K.FROM_MAP, K.COMBINE_SUM, uses_scores=False, weighted=False),
    "posfuse": Spec(K.FROM_POSITION_PROBS, K.COMBINE_SUM, uses_scores=False, weighted=False),
    "probfuse": Spec(K.FROM_SEGMENT_PROBS, K.COMBINE_SUM, uses_scores=False, weighted=False),
    "segfuse": Spec(K.FROM_SEGFUSE, K.COMBINE_SUM, uses_scores=True, weighted=False),
    "slidefuse": Spec(K.FROM_SLIDING_PROBS, K.COMBINE_SUM, uses_scores=False, weighted=False),
    "bayesfuse": Spec(K.FROM_LOG_ODDS, K.COMBINE_SUM, uses_scores=False, weighted=False),
}


# ---------------------------------------------------------------------------------------- inputs


def _as_qrels(qrels: Any) -> Qrels:
    """A rank-core ``Qrels`` from a ``Qrels``, a ``{qid: {doc: label}}`` dict or a TREC qrels path."""
    if isinstance(qrels, Qrels):
        table = qrels
    elif isinstance(qrels, Mapping):
        table = Qrels.from_dict(qrels)
    elif isinstance(qrels, (str, os.PathLike)):
        table = Qrels.from_trec(qrels)
    else:
        raise RankTypeError(
            "trained fusion needs qrels (a rank-core Qrels, a {qid: {doc: relevance}} dict or a TREC qrels path), "
            f"got {type(qrels).__name__}"
        )
    if len(table) == 0:
        raise RankValueError("qrels is empty: trained fusion estimates its model from relevance judgments")
    return table


def _run_list(runs: Any, what: str) -> list[Run]:
    """A batch of runs (Runs, dicts or TREC paths) as rank-core ``Run``s."""
    if not is_run_sequence(runs):
        raise RankTypeError(f"{what} must be a list of runs (rank-core Runs, dicts or TREC paths), got {type(runs).__name__}")
    if len(runs) == 0:
        raise RankValueError(f"{what} is empty: pass one training run per run to fuse")
    if any(_is_ranking(item) for item in runs):
        raise RankTypeError(f"{what} must hold whole runs: one-query rankings have no query ids to match qrels")
    return [_as_run(item, i) for i, item in enumerate(runs)]


def _is_batch(runs: Any) -> bool:
    return is_run_sequence(runs) and len(runs) > 0 and not any(_is_ranking(item) for item in runs)


# -------------------------------------------------------------------------------------- training


def _hits(qrels: Qrels, run: Run, index: int) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]:
    """Hit lists of ``run`` (``runs[index]``) on the queries it shares with ``qrels`` (same vocabulary)."""
    shared = np.intersect1d(run.query_ids, qrels.query_ids)
    if shared.size == 0:
        raise RankValueError(
            f"training run {index} shares no query with qrels (e.g. run has {run.query_ids[:3].tolist()}, "
            f"qrels has {qrels.query_ids[:3].tolist()}): nothing to estimate its model from"
        )
    at_run = run.query_positions(shared)
    at_qrels = qrels.query_positions(shared)
    return T.hit_lists(
        run.doc_codes, run.offsets[at_run], np.diff(run.offsets)[at_run],
        qrels.doc_codes, qrels.relevance, qrels.offsets[at_qrels], np.diff(qrels.offsets)[at_qrels],
    )


def _estimate(method: str, hits: NDArray[np.float64], offsets: NDArray[np.int64], n_relevant: NDArray[np.int64],
              n_segments: int) -> NDArray[np.float64]:
    """One run's model from its hit lists (formulas in :func:`train_fusion`)."""
    if method == "mapfuse":
        return np.array([T.mean_average_precision(hits, offsets, n_relevant)])
    if method in ("posfuse", "slidefuse"):
        return T.position_probs(hits, offsets)
    if method == "probfuse":
        return T.segment_probs(hits, offsets, n_segments)
    if method == "segfuse":
        return T.segfuse_probs(hits, offsets)
    return T.log_odds(hits, offsets)


def _check_segments(n_segments: Any) -> int:
    n_segments = check_k(n_segments, name="n_segments")
    if n_segments < 1:
        raise RankValueError(f"n_segments must be >= 1, got {n_segments}")
    return n_segments


def train_fusion(qrels: Any, runs: Any, method: TrainedMethod, *, n_segments: int = 10) -> list[NDArray[np.float64]]:
    """Estimate a trained fusion's model: one array per run of ``runs`` (ranx's ``*_train``).

    Per run, over its training queries (those shared with ``qrels``; labels >= 1 are relevant):

    - ``"mapfuse"``: ``[MAP]``, trec_eval's mean average precision over the whole list;
    - ``"posfuse"`` / ``"slidefuse"``: ``P(p)``, the fraction of the training queries whose list
      reaches 0-based position ``p`` that have a relevant doc there, for ``p`` below the longest list;
    - ``"probfuse"``: ``n_segments`` values ``P(k)``, the mean over training queries of the fraction
      of relevant docs in segment ``k`` of the list (segments of ``ceil(len / n_segments)`` docs);
    - ``"segfuse"``: 10 values, the mean fraction of relevant docs in the fixed segments
      ``[0, 5), [5, 15), [15, 35), ..., [2555, 5115)``;
    - ``"bayesfuse"``: 1000 log odds ``log(P / (1 - P))``, ``P`` the mean precision within the
      position bands ``[0, 5), [5, 10), [10, 15), [15, 20), [20, 30), [30, 100), [100, 200),
      [200, 500), [500, 1000)`` (``P`` or ``1 - P`` equal to 0 become 0.001).
    """
    check_choice(method, name="method", choices=tuple(TRAINED_SPECS))
    n_segments = _check_segments(n_segments)
    judgments = _as_qrels(qrels)
    aligned = align(judgments, *_run_list(runs, "runs"))
    judgments = aligned[0]
    models = []
    for index, run in enumerate(aligned[1:]):
        hits, offsets, n_relevant = _hits(judgments, run, index)
        models.append(_estimate(method, hits, offsets, n_relevant, n_segments))
    return models


# ---------------------------------------------------------------------------------------- fusion


def _fuse_trained(
    method: str,
    runs: Any,
    qrels: Any,
    train_runs: Any,
    *,
    queries: QueryPolicy,
    top_k: int | None,
    depth: int | None,
    name: str | None,
    norm: str | None = None,
    n_segments: int = 10,
    params: dict[str, float] | None = None,
) -> Fused:
    """Train ``method`` on ``train_runs`` (default: ``runs``) with ``qrels``, then fuse ``runs``."""
    judgments = _as_qrels(qrels)
    if train_runs is None and _is_batch(runs):
        runs = [_as_run(item, i) for i, item in enumerate(runs)]  # parse TREC paths once
    lists = coerce_lists(runs, queries=queries)
    if train_runs is None:
        if isinstance(lists, OneQuery):
            raise RankValueError(
                f"{method} on one query's rankings needs train_runs: rankings carry no query id to match the qrels"
            )
        train_runs = runs
    training = _run_list(train_runs, "train_runs")
    if len(training) != lists.n_lists:
        raise RankValueError(
            f"{method} got {len(training)} train_runs for {lists.n_lists} runs: pass one training run per run, "
            "in the same order"
        )
    tables = train_fusion(judgments, training, method, n_segments=n_segments)  # type: ignore[arg-type]
    return run_method(
        lists, method, TRAINED_SPECS[method], norm=norm, params=params, tables=tables, top_k=top_k, depth=depth,
        name=name,
    )


def mapfuse(
    runs: Any,
    qrels: Any,
    *,
    train_runs: Any = None,
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """MAPFuse (Lillis et al., 2010): ``sum_r MAP_r / rank_r(d)``, ranks 1-based.

    ``MAP_r`` is run ``r``'s training MAP (see :func:`train_fusion`).
    """
    return _fuse_trained(
        "mapfuse", runs, qrels, train_runs, queries=queries, top_k=top_k, depth=depth, name=name
    )


def posfuse(
    runs: Any,
    qrels: Any,
    *,
    train_runs: Any = None,
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """PosFuse (Lillis et al., 2010): ``sum_r P_r(p_r(d))``, ``p`` the 0-based position.

    ``P_r(p)`` is the fraction of run ``r``'s training lists reaching position ``p`` that hold a
    relevant doc there; positions past the longest training list give 0.
    """
    return _fuse_trained(
        "posfuse", runs, qrels, train_runs, queries=queries, top_k=top_k, depth=depth, name=name
    )


def probfuse(
    runs: Any,
    qrels: Any,
    n_segments: int = 10,
    *,
    train_runs: Any = None,
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """ProbFuse (Lillis et al., 2006): ``sum_r P_r(k) / (k + 1)``, ``k`` the 0-based segment of ``d``.

    Each list (training or fused) is cut into ``n_segments`` segments of ``ceil(len /
    n_segments)`` docs; ``P_r(k)`` is the mean fraction of relevant docs in segment ``k`` of run
    ``r``'s training lists (see :func:`train_fusion`). ``n_segments`` is an int >= 1, 10 by
    default (ranx has no default; its optimiser tries 1 to 100).
    """
    n_segments = _check_segments(n_segments)
    return _fuse_trained(
        "probfuse", runs, qrels, train_runs, queries=queries, top_k=top_k, depth=depth, name=name,
        n_segments=n_segments, params={"segments": n_segments},
    )


def segfuse(
    runs: Any,
    qrels: Any,
    *,
    train_runs: Any = None,
    norm: Norm | None = "min-max",
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """SegFuse (Shokouhi, 2007): ``sum_r P_r(k) * (s_r(d) + 1)``, ``s`` the ``norm``-normalised score.

    ``k`` is the fixed segment of ``d``'s 0-based position: ``[0, 5), [5, 15), [15, 35), ...,
    [2555, 5115)`` (segment ``k`` holds ``10 * 2 ** k - 5`` positions), and ``P_r(k)`` run
    ``r``'s mean fraction of relevant docs in it (see :func:`train_fusion`). A doc at position
    5115 or beyond gets 0 from its list, as in ranx. ``norm`` defaults to min-max, ranx's
    default (``norm=None`` uses the raw scores).
    """
    return _fuse_trained(
        "segfuse", runs, qrels, train_runs, queries=queries, top_k=top_k, depth=depth, name=name, norm=norm
    )


def slidefuse(
    runs: Any,
    qrels: Any,
    w: int,
    *,
    train_runs: Any = None,
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """SlideFuse (Lillis et al., 2008): ``sum_r mean(P_r(a .. b))`` around ``d``'s position ``p``.

    ``a = max(p - w, 0)``, ``b = min(p + w, n - 1)`` with ``n`` the list's length, and ``P_r``
    posfuse's position probabilities (0 past the longest training list). ``w`` (an int >= 0, the
    half window; ``w = 0`` is posfuse) has no default, as in ranx, whose optimiser tries 1 to 100.
    """
    w = check_k(w, name="w")
    return _fuse_trained(
        "slidefuse", runs, qrels, train_runs, queries=queries, top_k=top_k, depth=depth, name=name,
        params={"window": w},
    )


def bayesfuse(
    runs: Any,
    qrels: Any,
    *,
    train_runs: Any = None,
    top_k: int | None = None,
    depth: int | None = None,
    queries: QueryPolicy = "union",
    name: str | None = None,
) -> Fused:
    """BayesFuse (Aslam & Montague, 2001): ``sum_r O_r(p_r(d))``, the log odds of relevance.

    ``O_r`` is run ``r``'s log odds per position band (see :func:`train_fusion`). A list that
    does not hold ``d`` gives ``log(0.001 / 0.999)``, and so does a position of 1000 or more (the
    last band ends at 1000: such a doc counts as not retrieved; ranx reads past its array there).
    """
    return _fuse_trained(
        "bayesfuse", runs, qrels, train_runs, queries=queries, top_k=top_k, depth=depth, name=name
    )
