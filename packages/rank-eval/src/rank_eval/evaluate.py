"""Evaluate a run against qrels with trec_eval's semantics.

Conventions (trec_eval 10.0): a run's docs are ranked by score descending, ties broken by doc id
descending (rank-core keeps runs in that order; the file's rank column is ignored); a doc absent
from the qrels is "not in the pool", one with a negative label is "unjudged", and labels
``>= relevance_level`` are relevant. Only queries that are in both the run and the qrels are
evaluated, unless ``complete=True`` (``-c``): then every qrels query counts, with an empty
ranking where the run has none. ``max_docs`` (``-M``) keeps the first docs of each ranking.
"""

from __future__ import annotations

import difflib
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

__all__ = ["ALL_TREC_MEASURES", "DEFAULT_MEASURES", "Evaluation", "evaluate"]

RECALL_POINTS = np.array([0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0])
R_MULTIPLES = np.array([0.2, 0.4, 0.6, 0.8, 1.0, 1.2, 1.4, 1.6, 1.8, 2.0])
RANK_CUTOFFS = (5, 10, 15, 20, 30, 100, 200, 500, 1000)
SUCCESS_CUTOFFS = (1, 5, 10)
UNJUDGED_CUTOFFS = (5, 10, 20)
RELSTRING_LENGTH = 10
# the kernel computes every rank-cutoff family at the union of the cutoffs
_CUTOFFS = np.array(sorted({*RANK_CUTOFFS, *SUCCESS_CUTOFFS, *UNJUDGED_CUTOFFS}), dtype=np.int64)
_CUTOFFS_OF = {"success": SUCCESS_CUTOFFS, "unj": UNJUDGED_CUTOFFS}


def _columns() -> dict[str, int]:
    """Column of each measure in the kernel's per-query matrix (see ``trec_measures``)."""
    columns = {
        "num_ret": tm.NUM_RET, "num_rel": tm.NUM_REL, "num_rel_ret": tm.NUM_REL_RET, "map": tm.AP,
        "gm_map": tm.LOG_AP, "Rprec": tm.R_PREC, "bpref": tm.BPREF, "recip_rank": tm.RECIP_RANK,
        "num_nonrel_judged_ret": tm.NUM_NONREL_JUDGED_RET, "ndcg": tm.NDCG, "11pt_avg": tm.ELEVEN_PT_AVG,
        "set_P": tm.SET_P, "set_recall": tm.SET_RECALL, "set_relative_P": tm.SET_RELATIVE_P,
        "set_map": tm.SET_MAP, "set_F": tm.SET_F, "gm_bpref": tm.LOG_BPREF, "utility": tm.UTILITY,
        "rbp": tm.RBP, "rbp_resid": tm.RBP_RESID, "infAP": tm.INF_AP, "binG": tm.BIN_G, "G": tm.G,
        "ndcg_rel": tm.NDCG_REL, "Rndcg": tm.R_NDCG,
    }
    base = tm.N_FIXED
    families: dict[str, list[tuple[str, int]]] = {
        "iprec_at_recall": [(f"{p:.2f}", i) for i, p in enumerate(RECALL_POINTS)],
        "Rprec_mult": [(f"{m:.2f}", i) for i, m in enumerate(R_MULTIPLES)],
    }
    by_cutoff = {int(k): i for i, k in enumerate(_CUTOFFS)}
    for family in tm.FAMILIES:
        wanted = _CUTOFFS_OF.get(family, RANK_CUTOFFS)
        params = families.get(family, [(str(k), by_cutoff[k]) for k in wanted])
        width = len(families[family]) if family in families else _CUTOFFS.size
        columns.update({f"{family}_{label}": base + offset for label, offset in params})
        base += width
    return columns


_COLUMN_OF = _columns()
#: Counts: summed over queries in the summary and printed as integers.
COUNT_MEASURES = frozenset({"num_q", "num_ret", "num_rel", "num_rel_ret", "num_nonrel_judged_ret"})
#: Only meaningful over all queries (trec_eval prints them in the summary only).
SUMMARY_ONLY = frozenset({"num_q", "gm_map", "gm_bpref"})
#: Geometric means over queries of a per-query value floored at 1e-5 (logs in the matrix).
GEOMETRIC = frozenset({"gm_map", "gm_bpref"})
#: Printed per query only: the first labels of the ranking as text.
QUERY_ONLY = frozenset({"relstring"})


def _family(name: str, params) -> list[str]:
    return [f"{name}_{p}" for p in params]


#: trec_eval's default measure set (what it prints without ``-m``), in its order.
DEFAULT_MEASURES: tuple[str, ...] = (
    "num_q", "num_ret", "num_rel", "num_rel_ret", "map", "gm_map", "Rprec", "bpref", "recip_rank",
    *_family("iprec_at_recall", [f"{p:.2f}" for p in RECALL_POINTS]),
    *_family("P", RANK_CUTOFFS),
)
#: The measures of trec_eval's ``all_trec`` set implemented so far, in trec_eval's print order.
ALL_TREC_MEASURES: tuple[str, ...] = (
    *DEFAULT_MEASURES,
    "relstring",
    *_family("recall", RANK_CUTOFFS),
    "infAP",
    "gm_bpref",
    *_family("Rprec_mult", [f"{m:.2f}" for m in R_MULTIPLES]),
    "utility",
    "11pt_avg",
    "binG",
    "G",
    "ndcg",
    "ndcg_rel",
    "Rndcg",
    *_family("ndcg_cut", RANK_CUTOFFS),
    *_family("map_cut", RANK_CUTOFFS),
    *_family("relative_P", RANK_CUTOFFS),
    *_family("success", SUCCESS_CUTOFFS),
    "set_P", "set_relative_P", "set_recall", "set_map", "set_F", "num_nonrel_judged_ret",
    "rbp", "rbp_resid",
    *_family("unj", UNJUDGED_CUTOFFS),
)


def _relstrings(labels: NDArray[np.int64], offsets: NDArray[np.int64]) -> NDArray[np.str_]:
    """trec_eval's relstring: one character per doc of the first ten (label digit, '>' above 9,
    '-' not in the pool, '.' unjudged)."""

    def char(label: int) -> str:
        if label > 9:
            return ">"
        if label >= 0:
            return str(label)
        return "-" if label == NOT_IN_POOL else "."

    ends = np.minimum(offsets[1:], offsets[:-1] + RELSTRING_LENGTH)
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


def _resolve(measures: Sequence[str] | None) -> tuple[str, ...]:
    if measures is None:
        return DEFAULT_MEASURES
    if isinstance(measures, str):
        measures = [measures]
    for name in measures:
        if name not in ALL_TREC_MEASURES:
            close = difflib.get_close_matches(name, ALL_TREC_MEASURES, n=3, cutoff=0.5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise RankValueError(f"unknown measure {name!r}{hint}")
    return tuple(measures)


def _as_run(run: Any) -> Run:
    if isinstance(run, Run):
        return run
    if isinstance(run, Mapping):
        return Run.from_dict(run)
    if isinstance(run, (str, os.PathLike)):
        return Run.from_trec(run)
    if hasattr(run, "columns"):
        return Run.from_pandas(run)
    raise RankTypeError(f"run must be a Run, a {{qid: {{doc: score}}}} dict, a DataFrame or a TREC file path; got {type(run).__name__}")


def _as_qrels(qrels: Any) -> Qrels:
    if isinstance(qrels, Qrels):
        return qrels
    if isinstance(qrels, Mapping):
        return Qrels.from_dict(qrels)
    if isinstance(qrels, (str, os.PathLike)):
        return Qrels.from_trec(qrels)
    if hasattr(qrels, "columns"):
        return Qrels.from_pandas(qrels)
    raise RankTypeError(f"qrels must be a Qrels, a {{qid: {{doc: relevance}}}} dict, a DataFrame or a TREC file path; got {type(qrels).__name__}")


def evaluate(
    qrels: Any,
    run: Any,
    measures: Sequence[str] | None = None,
    *,
    relevance_level: int = 1,
    complete: bool = False,
    max_docs: int | None = None,
) -> Evaluation:
    """Evaluate ``run`` against ``qrels`` with trec_eval's semantics (see the module docstring).

    ``qrels`` and ``run`` may be rank-core objects, ``{qid: {doc: value}}`` dicts, DataFrames
    or TREC file paths. ``measures`` are trec_eval names from :data:`ALL_TREC_MEASURES`
    (default: trec_eval's default set, :data:`DEFAULT_MEASURES`).
    """
    names = _resolve(measures)
    level = check_k(relevance_level, name="relevance_level")
    limit = check_k(max_docs, name="max_docs", allow_none=True)
    run, qrels = _as_run(run), _as_qrels(qrels)
    if limit is not None:
        run = run.top_k(limit)
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

    # the evaluated queries' rankings, one after the other (empty for -c queries the run lacks)
    counts = np.where(run_of_query >= 0, run.counts()[run_of_query], 0)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    starts = np.where(run_of_query >= 0, run.offsets[:-1][run_of_query], 0)
    rows = np.repeat(starts - offsets[:-1], counts) + np.arange(offsets[-1])
    labels = label_runs(offsets, run.doc_codes[rows], qrels.offsets, qrels.doc_codes, qrels.relevance, qrels_of_query)

    judged_query = np.repeat(np.arange(len(qrels)), qrels.counts())
    relevant = np.bincount(judged_query, weights=qrels.relevance >= level, minlength=len(qrels))
    judged_nonrelevant = np.bincount(
        judged_query, weights=(qrels.relevance >= 0) & (qrels.relevance < level), minlength=len(qrels)
    )
    matrix = tm.trec_measures(
        offsets, labels, level,
        relevant[qrels_of_query].astype(np.int64), judged_nonrelevant[qrels_of_query].astype(np.int64),
        qrels.offsets[qrels_of_query], qrels.offsets[qrels_of_query + 1], qrels.relevance,
        RECALL_POINTS, _CUTOFFS, R_MULTIPLES,
    )

    per_query: dict[str, NDArray[Any]] = {
        name: matrix[:, _COLUMN_OF[name]] for name in names if name not in SUMMARY_ONLY | QUERY_ONLY
    }
    if "relstring" in names:
        per_query["relstring"] = _relstrings(labels, offsets)
    summary: dict[str, float] = {}
    for name in names:
        if name in QUERY_ONLY:
            continue
        if name == "num_q":
            summary[name] = float(query_ids.size)
        elif name in GEOMETRIC:
            summary[name] = float(np.exp(matrix[:, _COLUMN_OF[name]].mean()))
        elif name in COUNT_MEASURES:
            summary[name] = float(matrix[:, _COLUMN_OF[name]].sum())
        else:
            summary[name] = float(matrix[:, _COLUMN_OF[name]].mean())
    return Evaluation(run.name, query_ids, names, per_query, summary)
