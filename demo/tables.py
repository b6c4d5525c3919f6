"""Small helpers on rank-core tables that the demo needs: keep some queries, join disjoint runs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TypeVar

import numpy as np

from rank_core import Qrels, RankValueError, Run

__all__ = ["concat_runs", "select_queries"]

Table = TypeVar("Table", Run, Qrels)


def select_queries(table: Table, query_ids: Iterable[str]) -> Table:
    """The rows of ``table`` (a Run or Qrels) whose query is in ``query_ids``; order is kept."""
    wanted = np.asarray(sorted(set(query_ids)), dtype=str)
    counts = table.counts()
    rows = np.repeat(np.isin(table.query_ids, wanted), counts)
    row_queries = np.repeat(table.query_ids, counts)[rows]
    if isinstance(table, Run):
        return Run.from_arrays(row_queries, table.doc_ids[rows], table.scores[rows], name=table.name)
    return Qrels.from_arrays(row_queries, table.doc_ids[rows], table.relevance[rows])


def concat_runs(runs: Sequence[Run], *, name: str | None = None) -> Run:
    """One Run holding the queries of ``runs``, which must not share a query."""
    seen: set[str] = set()
    for run in runs:
        shared = seen.intersection(run.query_ids.tolist())
        if shared:
            raise RankValueError(f"runs to join share queries, e.g. {sorted(shared)[:3]}")
        seen.update(run.query_ids.tolist())
    return Run.from_arrays(
        np.concatenate([np.repeat(run.query_ids, run.counts()) for run in runs]),
        np.concatenate([run.doc_ids for run in runs]),
        np.concatenate([run.scores for run in runs]),
        name=name,
    )
