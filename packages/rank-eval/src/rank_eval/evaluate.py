"""Evaluate a run against qrels with trec_eval's semantics.

Conventions (trec_eval 10.0): a run's docs are ranked by score descending, ties broken by doc id
descending (rank-core keeps runs in that order; the file's rank column is ignored); a doc absent
from the qrels is "not in the pool", one with a negative label is "unjudged", and labels
``>= relevance_level`` are relevant. Only queries that are in both the run and the qrels are
evaluated, unless ``complete=True`` (``-c``): then every qrels query counts, with an empty
ranking where the run has none. ``max_docs`` (``-M``) keeps the first docs of each ranking;
then ``judged_only`` (``-J``) drops the docs outside the pool and the unjudged ones, keeping the
order of the rest. ``collection_size`` (``-N``) only matters to ``utility``'s fourth coefficient.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, overload

import numpy as np
from numpy.typing import NDArray

from rank_core import RankValueError
from rank_core.optional import require
from rank_core.validation import check_k
from rank_eval._ingest import Rankings, labelled_rankings
from rank_eval._kernels import extra_measures as em
from rank_eval._kernels import trec_measures as tm
from rank_eval._kernels.judgments import NOT_IN_POOL
from rank_eval.measures import MeasurePlan, plan
from rank_eval.names import ExtraMeasure, resolve

__all__ = ["Evaluation", "evaluate"]

#: Counts: summed over queries in the summary and printed as integers.
COUNT_MEASURES = frozenset({
    "num_q", "num_ret", "num_rel", "num_rel_ret", "num_nonrel_judged_ret",
    "prefs_num_prefs_poss", "prefs_num_prefs_ful", "prefs_num_prefs_ful_ret",  # rank_eval.prefs
})
# families printed over all queries only, and their summaries: geometric means of logs
_SUMMARY_ONLY = frozenset({"runid", "num_q", "gm_map", "gm_bpref"})
_GEOMETRIC = frozenset({"gm_map", "gm_bpref"})
_FIXED_COLUMN = {
    "num_ret": tm.NUM_RET, "num_rel": tm.NUM_REL, "num_rel_ret": tm.NUM_REL_RET, "map": tm.AP,
    "gm_map": tm.LOG_AP, "Rprec": tm.R_PREC, "bpref": tm.BPREF, "recip_rank": tm.RECIP_RANK,
    "num_nonrel_judged_ret": tm.NUM_NONREL_JUDGED_RET, "ndcg": tm.NDCG, "11pt_avg": tm.ELEVEN_PT_AVG,
    "set_P": tm.SET_P, "set_recall": tm.SET_RECALL, "set_relative_P": tm.SET_RELATIVE_P,
    "set_map": tm.SET_MAP, "set_F": tm.SET_F, "gm_bpref": tm.LOG_BPREF, "utility": tm.UTILITY,
    "rbp": tm.RBP, "rbp_resid": tm.RBP_RESID, "infAP": tm.INF_AP, "binG": tm.BIN_G, "G": tm.G,
    "ndcg_rel": tm.NDCG_REL, "Rndcg": tm.R_NDCG,
}


def mean_in_order(values: NDArray[np.float64], axis: int = -1) -> Any:
    """The mean as trec_eval forms it: summed query by query, then divided (``np.mean`` sums
    pairwise, which can differ in the last bit)."""
    return np.cumsum(values, axis=axis).take(-1, axis=axis) / values.shape[axis]


def _column(measures: MeasurePlan, layout: dict[str, int], name: str) -> int:
    """Column of a printed measure in the kernel output laid out as ``layout``."""
    family = measures.family_of[name]
    if family in _FIXED_COLUMN:
        return _FIXED_COLUMN[family]
    return layout[family] + measures.param_of[name]


def _gain_table(gains: dict[int, float]) -> NDArray[np.float64]:
    """ndcg's gains by label (NaN where the label keeps its own value as gain)."""
    table = np.full(max(gains, default=-1) + 1, np.nan)
    for level, gain in gains.items():
        if level >= 0:
            table[level] = gain
    return table


def _relstrings(labels: NDArray[np.int64], offsets: NDArray[np.int64], length: int) -> NDArray[np.str_]:
    """trec_eval's relstring: one character per doc of the first ``length`` (label digit, '>'
    above 9, '-' not in the pool, '.' unjudged)."""

    def char(label: int) -> str:
        if label > 9:
            return ">"
        if label >= 0:
            return str(label)
        return "-" if label == NOT_IN_POOL else "."

    ends = np.minimum(offsets[1:], offsets[:-1] + length)
    return np.array(
        ["".join(char(v) for v in labels[s:e].tolist()) for s, e in zip(offsets[:-1].tolist(), ends.tolist(), strict=True)],
        dtype=str,
    )


@dataclass(frozen=True, eq=False)
class Evaluation(Mapping[str, Any]):
    """The result of :func:`evaluate`: a mapping of measure name to its value over all queries,
    with each query's values alongside.

    ``evaluation["ndcg@10"]`` is the mean over the evaluated queries (summed for the counts
    ``num_ret``, ``num_rel``, ...; a geometric mean for ``gm_map``/``gm_bpref``; the run's name
    for ``runid``). ``per_query[name]`` holds one value per query (``query_ids`` order) for every
    measure except the summary-only ones (``runid``, ``num_q``, ``gm_*``); ``relstring`` has
    per-query strings only.
    """

    run_name: str | None
    query_ids: NDArray[np.str_]
    measures: tuple[str, ...]
    per_query: Mapping[str, NDArray[Any]]
    summary: Mapping[str, Any]

    def __getitem__(self, name: str) -> Any:
        try:
            return self.summary[name]
        except KeyError:
            raise KeyError(f"{name!r} was not evaluated; evaluated: {', '.join(self.summary)}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self.summary)

    def __len__(self) -> int:
        return len(self.summary)

    def __repr__(self) -> str:
        values = ", ".join(f"{name!r}: {value!r}" for name, value in self.summary.items())
        return f"Evaluation({len(self.query_ids)} queries, {{{values}}})"

    def per_query_dict(self) -> dict[str, dict[str, Any]]:
        """``{measure: {qid: value}}`` for the measures with per-query values."""
        qids = self.query_ids.tolist()
        return {name: dict(zip(qids, values.tolist(), strict=True)) for name, values in self.per_query.items()}

    def to_pandas(self) -> Any:
        """The per-query values as a DataFrame: one row per query (index ``query_id``), one
        column per measure (needs pandas)."""
        pd = require("pandas", feature="Evaluation.to_pandas", distribution="rank-eval", extra="pandas")
        frame = pd.DataFrame({name: self.per_query[name] for name in self.measures if name in self.per_query})
        frame.index = pd.Index(self.query_ids, name="query_id")
        return frame


@dataclass
class _LevelRequests:
    """The requests evaluated at one relevance level: trec_eval specs under their printed
    names, other spellings of trec_eval measures and extra measures under the requested name."""

    trec_direct: list[str] = field(default_factory=list)
    trec_translated: dict[str, list[str]] = field(default_factory=dict)
    extras: dict[ExtraMeasure, list[str]] = field(default_factory=dict)


def _group_by_level(requests: list[str], level: int) -> dict[int, _LevelRequests]:
    """Resolve every request (bad names fail here, before any work) and group them by level."""
    groups: dict[int, _LevelRequests] = {}
    for request in requests:
        resolved = resolve(request)
        at = level if resolved.level is None else check_k(resolved.level, name=f"rel in {request}")
        group = groups.setdefault(at, _LevelRequests())
        if isinstance(resolved.measure, ExtraMeasure):
            group.extras.setdefault(resolved.measure, []).append(request)
        elif resolved.measure == request:
            group.trec_direct.append(request)
        else:
            group.trec_translated.setdefault(resolved.measure, []).append(request)
    for group in groups.values():  # parameters of trec_eval specs are checked here too
        plan(group.trec_direct + list(group.trec_translated))
    return groups


def _judgment_counts(rankings: Rankings, level: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Relevant and judged non-relevant judgments of each evaluated query at ``level``."""
    qrels, wanted = rankings.qrels, rankings.qrels_of_query
    judged_query = np.repeat(np.arange(len(qrels)), qrels.counts())
    relevant = np.bincount(judged_query, weights=qrels.relevance >= level, minlength=len(qrels))
    judged_nonrelevant = np.bincount(
        judged_query, weights=(qrels.relevance >= 0) & (qrels.relevance < level), minlength=len(qrels)
    )
    return relevant[wanted].astype(np.int64), judged_nonrelevant[wanted].astype(np.int64)


def trec_measures_at_level(
    rankings: Rankings, measures: MeasurePlan, level: int, collection_size: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(per_query, summary)`` of the planned trec_eval measures at one relevance level."""
    qrels, wanted = rankings.qrels, rankings.qrels_of_query
    relevant, judged_nonrelevant = _judgment_counts(rankings, level)
    matrix = tm.trec_measures(
        rankings.offsets, rankings.labels, level, relevant, judged_nonrelevant,
        qrels.offsets[wanted], qrels.offsets[wanted + 1], qrels.relevance,
        measures.recall_points, measures.cutoffs, measures.multiples,
        measures.average_points, measures.utility, _gain_table(measures.gains), collection_size,
    )
    layout = tm.layout(measures.recall_points.size, measures.cutoffs.size, measures.multiples.size)
    per_query: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    for name in measures.names:
        family = measures.family_of[name]
        if family == "relstring":  # per query only
            per_query[name] = _relstrings(rankings.labels, rankings.offsets, measures.relstring_length)
        elif family == "runid":
            summary[name] = rankings.run_name or ""
        elif family == "num_q":
            summary[name] = float(rankings.query_ids.size)
        else:
            values = matrix[:, _column(measures, layout, name)]
            if family not in _SUMMARY_ONLY:
                per_query[name] = values
            if family in _GEOMETRIC:
                summary[name] = float(np.exp(mean_in_order(values)))
            elif family in COUNT_MEASURES:
                summary[name] = float(values.sum())
            else:
                summary[name] = float(mean_in_order(values))
    return per_query, summary


def _extra_measures(rankings: Rankings, extras: list[ExtraMeasure], level: int) -> NDArray[np.float64]:
    """The extra measures' per-query values: a ``(n_queries, len(extras))`` array."""
    qrels, wanted = rankings.qrels, rankings.qrels_of_query
    relevant, _ = _judgment_counts(rankings, level)
    return em.extra_measures(
        rankings.offsets, rankings.labels, level, relevant,
        qrels.offsets[wanted], qrels.offsets[wanted + 1], qrels.relevance,
        np.array([m.code for m in extras], dtype=np.int64),
        np.array([m.cutoff for m in extras], dtype=np.int64),
        np.array([m.params for m in extras], dtype=np.float64).reshape(len(extras), 2),
    )


@overload
def evaluate(
    qrels: Any, run: Any, metrics: str | Sequence[str] | None = ..., *, per_query: Literal[False] = ...,
    relevance_level: int = ..., complete: bool = ..., max_docs: int | None = ..., judged_only: bool = ...,
    collection_size: int = ...,
) -> Evaluation: ...
@overload
def evaluate(
    qrels: Any, run: Any, metrics: str | Sequence[str] | None = ..., *, per_query: Literal[True],
    relevance_level: int = ..., complete: bool = ..., max_docs: int | None = ..., judged_only: bool = ...,
    collection_size: int = ...,
) -> dict[str, dict[str, Any]]: ...
def evaluate(
    qrels: Any,
    run: Any,
    metrics: str | Sequence[str] | None = None,
    *,
    per_query: bool = False,
    relevance_level: int = 1,
    complete: bool = False,
    max_docs: int | None = None,
    judged_only: bool = False,
    collection_size: int = 0,
) -> Evaluation | dict[str, dict[str, Any]]:
    """Evaluate ``run`` against ``qrels`` with trec_eval's semantics (see the module docstring).

    ``qrels`` and ``run`` may be rank-core objects, ``{qid: {doc: value}}`` dicts, DataFrames
    or TREC file paths. ``metrics`` are measure names in trec_eval's spelling (``ndcg_cut_10``,
    ``P.5,10``, ``map``, ``recip_rank``, sets ``official``/``all_trec``), ir-measures'
    (``nDCG@10``, ``P(rel=2)@5``, ``AP``, ``RR@10``, ``ERR@20``, ``RBP(p=0.8)``) or ranx's
    (``ndcg@10``, ``precision@10``, ``recall@100``, ``mrr``); see :mod:`rank_eval.names`. Default:
    trec_eval's default set (``"official"``). trec_eval-spelled results come first, in trec_eval's
    order and under its printed names; the others follow in request order under the requested name.

    Returns an :class:`Evaluation` (a mapping of measure to value over all queries, with the
    per-query values in ``.per_query``), or with ``per_query=True`` the ``{measure: {qid: value}}``
    dict of the measures that have per-query values.
    """
    level = check_k(relevance_level, name="relevance_level")
    limit = check_k(max_docs, name="max_docs", allow_none=True)
    size = check_k(collection_size, name="collection_size")
    requests = ["official"] if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
    if not requests:
        raise RankValueError("no measure requested: pass measure names, e.g. ['ndcg@10', 'map']")
    groups = _group_by_level(requests, level)

    rankings = labelled_rankings(qrels, run, complete, limit, bool(judged_only))
    direct: list[str] = []
    shown: dict[str, tuple[Any, Any]] = {}  # requested name -> (per-query values or None, summary)
    for at, group in groups.items():
        trec_plan = plan(group.trec_direct + list(group.trec_translated))
        if trec_plan.names:
            values, totals = trec_measures_at_level(rankings, trec_plan, at, size)
            direct_names = set(plan(group.trec_direct).names) if group.trec_direct else set()
            for name in trec_plan.names:
                for alias in ([name] if name in direct_names else []) + group.trec_translated.get(name, []):
                    if alias in direct_names and alias not in direct:
                        direct.append(alias)
                    shown.setdefault(alias, (values.get(name), totals.get(name)))
        if group.extras:
            extras = list(group.extras)
            matrix = _extra_measures(rankings, extras, at)
            for column, measure in enumerate(extras):
                for alias in group.extras[measure]:
                    shown.setdefault(alias, (matrix[:, column], float(mean_in_order(matrix[:, column]))))
    names = direct + [request for request in dict.fromkeys(requests) if request in shown and request not in direct]
    evaluation = Evaluation(
        rankings.run_name, rankings.query_ids, tuple(names),
        {name: shown[name][0] for name in names if shown[name][0] is not None},
        {name: shown[name][1] for name in names if shown[name][1] is not None},
    )
    return evaluation.per_query_dict() if per_query else evaluation
