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

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rank_core import Qrels, RankTypeError, RankValueError, Run, align
from rank_core.validation import check_k
from rank_eval._kernels import trec_measures as tm
from rank_eval._kernels.judgments import NOT_IN_POOL, label_runs
from rank_eval.measures import MeasurePlan, from_ir_measures, plan

__all__ = ["Evaluation", "evaluate"]

#: Counts: summed over queries in the summary and printed as integers.
COUNT_MEASURES = frozenset({"num_q", "num_ret", "num_rel", "num_rel_ret", "num_nonrel_judged_ret"})
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


@dataclass(frozen=True)
class Evaluation:
    """Per-query values and the summary of one evaluation.

    ``per_query[name]`` holds one value per evaluated query (``query_ids`` order) for every
    measure except the summary-only ones (``relstring``: strings); ``summary[name]`` is the
    value over all queries, for every measure except the per-query-only ``relstring``.
    """

    run_name: str | None
    query_ids: NDArray[np.str_]
    measures: tuple[str, ...]
    per_query: Mapping[str, NDArray[Any]]
    summary: Mapping[str, float]


def _coerce(value: Any, kind: type[Run] | type[Qrels], what: str) -> Any:
    """A Run or Qrels from itself, a ``{qid: {doc: value}}`` dict, a DataFrame or a TREC file path."""
    if isinstance(value, kind):
        return value
    if isinstance(value, Mapping):
        return kind.from_dict(value)
    if isinstance(value, (str, os.PathLike)):
        return kind.from_trec(value)
    if hasattr(value, "columns"):
        return kind.from_pandas(value)
    raise RankTypeError(
        f"{what} must be a {kind.__name__}, a {{qid: {{doc: value}}}} dict, a DataFrame or a TREC file path; "
        f"got {type(value).__name__}"
    )


@dataclass(frozen=True)
class _Rankings:
    """The evaluated queries' labelled rankings, one after the other, and their judgments."""

    query_ids: NDArray[np.str_]
    offsets: NDArray[np.int64]
    labels: NDArray[np.int64]
    qrels: Qrels
    qrels_of_query: NDArray[np.int64]
    run_name: str | None


def _rankings(qrels: Any, run: Any, complete: bool, max_docs: int | None, judged_only: bool) -> _Rankings:
    run, qrels = _coerce(run, Run, "run"), _coerce(qrels, Qrels, "qrels")
    if max_docs is not None:
        run = run.top_k(max_docs)
    run, qrels = align(run, qrels)
    qrels_of_run_query = qrels.query_positions(run.query_ids)
    if complete:
        query_ids = qrels.query_ids
        run_of_query = run.query_positions(query_ids)
        qrels_of_query = np.arange(len(qrels), dtype=np.int64)
    else:
        run_of_query = np.flatnonzero(qrels_of_run_query >= 0)
        query_ids = run.query_ids[run_of_query]
        qrels_of_query = qrels_of_run_query[run_of_query]
    if query_ids.size == 0:
        raise RankValueError("no query is in both the run and the qrels: nothing to evaluate")
    # rankings of the evaluated queries back to back (empty for -c queries the run lacks)
    counts = np.where(run_of_query >= 0, run.counts()[run_of_query], 0)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    starts = np.where(run_of_query >= 0, run.offsets[:-1][run_of_query], 0)
    rows = np.repeat(starts - offsets[:-1], counts) + np.arange(offsets[-1])
    labels = label_runs(offsets, run.doc_codes[rows], qrels.offsets, qrels.doc_codes, qrels.relevance, qrels_of_query)
    if judged_only:
        judged = labels >= 0
        judged_before = np.concatenate([[0], np.cumsum(judged)])  # judged docs before each position
        offsets = judged_before[offsets].astype(np.int64)
        labels = labels[judged]
    return _Rankings(query_ids, offsets, labels, qrels, qrels_of_query, run.name)


def _measure(
    rankings: _Rankings, measures: MeasurePlan, level: int, collection_size: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(per_query, summary)`` of the planned measures at one relevance level."""
    qrels, wanted = rankings.qrels, rankings.qrels_of_query
    judged_query = np.repeat(np.arange(len(qrels)), qrels.counts())
    relevant = np.bincount(judged_query, weights=qrels.relevance >= level, minlength=len(qrels))
    judged_nonrelevant = np.bincount(
        judged_query, weights=(qrels.relevance >= 0) & (qrels.relevance < level), minlength=len(qrels)
    )
    matrix = tm.trec_measures(
        rankings.offsets, rankings.labels, level,
        relevant[wanted].astype(np.int64), judged_nonrelevant[wanted].astype(np.int64),
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
                summary[name] = float(np.exp(values.mean()))
            elif family in COUNT_MEASURES:
                summary[name] = float(values.sum())
            else:
                summary[name] = float(values.mean())
    return per_query, summary


def evaluate(
    qrels: Any,
    run: Any,
    measures: Sequence[str] | None = None,
    *,
    relevance_level: int = 1,
    complete: bool = False,
    max_docs: int | None = None,
    judged_only: bool = False,
    collection_size: int = 0,
) -> Evaluation:
    """Evaluate ``run`` against ``qrels`` with trec_eval's semantics (see the module docstring).

    ``qrels`` and ``run`` may be rank-core objects, ``{qid: {doc: value}}`` dicts, DataFrames
    or TREC file paths. ``measures`` are trec_eval ``-m`` specs or printed names, or
    ir-measures names (``nDCG@10``, ``P(rel=2)@5``, ``AP``, ``RR``, ``R@100``), which keep
    their own name in the result (see :mod:`rank_eval.measures`). Default: trec_eval's default
    set (``"official"``). Results come in trec_eval's order.
    """
    level = check_k(relevance_level, name="relevance_level")
    limit = check_k(max_docs, name="max_docs", allow_none=True)
    size = check_k(collection_size, name="collection_size")
    requests = ["official"] if measures is None else [measures] if isinstance(measures, str) else list(measures)
    # one plan per relevance level; results of ir-measures names are shown under those names
    direct: dict[int, list[str]] = {}
    translated: dict[int, dict[str, list[str]]] = {}
    for request in requests:
        ir_name = from_ir_measures(request)
        if ir_name is None:
            direct.setdefault(level, []).append(request)
            continue
        trec_name, own_level = ir_name
        at = level if own_level is None else check_k(own_level, name=f"rel in {request}")
        translated.setdefault(at, {}).setdefault(trec_name, []).append(request)
    plans = {  # bad names fail here, before any work
        at: (plan(direct.get(at, []) + list(translated.get(at, {}))), set(plan(direct[at]).names) if at in direct else set())
        for at in dict.fromkeys([*direct, *translated])
    }

    rankings = _rankings(qrels, run, complete, limit, bool(judged_only))
    names: list[str] = []
    per_query: dict[str, Any] = {}
    summary: dict[str, Any] = {}
    for at, (measures_plan, direct_names) in plans.items():
        values, totals = _measure(rankings, measures_plan, at, size)
        for name in measures_plan.names:
            shown_as = ([name] if name in direct_names else []) + translated.get(at, {}).get(name, [])
            for shown in shown_as:
                if shown in names:
                    continue
                names.append(shown)
                if name in values:
                    per_query[shown] = values[name]
                if name in totals:
                    summary[shown] = totals[name]
    return Evaluation(rankings.run_name, rankings.query_ids, tuple(names), per_query, summary)
