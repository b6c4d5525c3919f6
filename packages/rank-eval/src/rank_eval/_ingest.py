"""evaluate()'s inputs: a run and qrels in any accepted form -> the evaluated queries' labelled rankings.

Two paths give the same :class:`Rankings`, label for label:

- the straightforward one (:func:`_rankings_of_tables`): rank-core ``Run`` and ``Qrels`` objects,
  their doc vocabularies merged (:func:`rank_core.align`), each retrieved doc labelled by a
  binary search of its code among the query's judgments. It serves runs given as ``Run``
  objects or DataFrames, and every input the fast path declines.
- the fast one (:func:`_fast_rankings`), for runs given as ``{qid: {doc: score}}`` dicts or TREC
  files: no ``Run`` is built, so the run's doc ids are never sorted, neither over the whole run
  (a vocabulary) nor inside a query (the ranking). The doc ids are read as UTF-8 bytes (one join
  and one encode for a dict; the file's own bytes for a file), matched with the query's
  judgments by hashing, and only the judged docs are ranked (see ``_kernels/ingest.py``): the
  others all carry the same label.

The fast path takes only inputs that rank-core accepts as they are: anything it would convert
(integer ids), merge (query ids ``1`` and ``"1"``) or reject (an empty id, a NaN score, a
duplicate doc, a malformed line) makes it step aside, and the straightforward path then does
exactly what it always did, errors included.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rank_core import Qrels, RankError, RankTypeError, RankValueError, Run, Vocabulary, align
from rank_core.io_trec import parse_run_rows
from rank_core.validation import as_array
from rank_core.vocabulary import Utf8Ids, utf8_ids_from_joined
from rank_eval._kernels import ingest
from rank_eval._kernels.judgments import label_runs


def coerce(value: Any, kind: type[Run] | type[Qrels], what: str) -> Any:
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
class Rankings:
    """The evaluated queries' labelled rankings, one after the other, and their judgments."""

    query_ids: NDArray[np.str_]
    offsets: NDArray[np.int64]
    labels: NDArray[np.int64]
    qrels: Qrels
    qrels_of_query: NDArray[np.int64]
    run_name: str | None


_NOTHING_TO_EVALUATE = "no query is in both the run and the qrels: nothing to evaluate"


def labelled_rankings(qrels: Any, run: Any, complete: bool, max_docs: int | None, judged_only: bool) -> Rankings:
    """The labelled rankings of the evaluated queries (see the module docstring)."""
    fast = _fast_rankings(qrels, run, complete, max_docs, judged_only)
    if fast is not None:
        return fast
    return _rankings_of_tables(qrels, run, complete, max_docs, judged_only)


def _rankings_of_tables(qrels: Any, run: Any, complete: bool, max_docs: int | None, judged_only: bool) -> Rankings:
    """The straightforward path: rank-core tables in one doc vocabulary, labels joined by code."""
    run, qrels = coerce(run, Run, "run"), coerce(qrels, Qrels, "qrels")
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
        raise RankValueError(_NOTHING_TO_EVALUATE)
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
    return Rankings(query_ids, offsets, labels, qrels, qrels_of_query, run.name)


# ------------------------------------------------------------------------------ the fast path


_NO_BYTES = np.empty(0, dtype=np.uint8)
_NO_ROWS = np.empty(0, dtype=np.int64)


@dataclass(frozen=True)
class _RunRows:
    """A run's rows grouped by query, doc ids as UTF-8 slices, before any ranking.

    Rows ``lo[i]:hi[i]`` (in any order) are those of ``query_ids[i]`` (sorted, distinct).
    ``checked``: no query holds a doc twice (always true of a dict).
    """

    query_ids: NDArray[np.str_]
    lo: NDArray[np.int64]
    hi: NDArray[np.int64]
    docs: Utf8Ids
    scores: NDArray[np.float64]
    name: str | None
    checked: bool


def _fast_rankings(qrels: Any, run: Any, complete: bool, max_docs: int | None, judged_only: bool) -> Rankings | None:
    """The fast path's rankings, or None where the straightforward path must take over."""
    try:
        if isinstance(run, dict):
            rows = _rows_of_dict(run)
        elif isinstance(run, (str, os.PathLike)):
            rows = _rows_of_file(run)
        else:
            return None  # Run objects are ranked already; DataFrames go through Run.from_pandas
        if rows is None:
            return None
        if not rows.checked and ingest.duplicate_queries(*rows.docs, rows.lo, rows.hi).any():
            return None  # Run.from_trec names the duplicate, with its lines
        qrels = coerce(qrels, Qrels, "qrels")
    except RankError:
        return None  # the straightforward path raises it again, after the errors it checks first
    if complete:  # every judged query, in the order of the qrels (sorted, as the run's)
        query_ids = qrels.query_ids
        qrels_of_query = np.arange(len(qrels), dtype=np.int64)
        run_of_query = _positions(rows.query_ids, query_ids)
    else:
        qrels_of_run_query = _positions(qrels.query_ids, rows.query_ids)
        run_of_query = np.flatnonzero(qrels_of_run_query >= 0)
        query_ids = rows.query_ids[run_of_query]
        qrels_of_query = qrels_of_run_query[run_of_query]
    if query_ids.size == 0:
        raise RankValueError(_NOTHING_TO_EVALUATE)
    present = run_of_query >= 0
    lo = np.where(present, rows.lo[run_of_query], 0)
    hi = np.where(present, rows.hi[run_of_query], 0)
    qlo, qhi = qrels.offsets[qrels_of_query], qrels.offsets[qrels_of_query + 1]
    judged_docs = qrels.doc_vocab.utf8(qrels.doc_codes)
    rank = ingest.rank_judged_docs(*rows.docs, rows.scores, lo, hi, *judged_docs, qlo, qhi, qrels.n_rows)
    offsets, labels = ingest.label_rankings(
        rank, qrels.relevance, qlo, qhi, hi - lo, -1 if max_docs is None else max_docs, judged_only
    )
    return Rankings(query_ids, offsets, labels, qrels, qrels_of_query, rows.name)


def _positions(sorted_ids: NDArray[np.str_], ids: NDArray[np.str_]) -> NDArray[np.int64]:
    """Index of each of ``ids`` in ``sorted_ids`` (sorted, distinct), or -1 where absent."""
    position = np.searchsorted(sorted_ids, ids).astype(np.int64)
    inside = position < sorted_ids.size
    found = np.zeros(ids.size, dtype=np.bool_)
    found[inside] = sorted_ids[position[inside]] == ids[inside]
    return np.where(found, position, -1)


def _rows_of_dict(run: dict[Any, Any]) -> _RunRows | None:
    """The rows of ``{qid: {doc: score}}`` as Run.from_dict reads them, or None where it would
    convert doc ids (not all ``str``) or merge queries (ids equal as text); what it rejects raises
    here too (a RankError, for the caller to hand over)."""
    inner = list(run.values())
    if not all(isinstance(docs, dict) for docs in inner):
        return None
    queries, codes = Vocabulary.factorize(list(run), name="query_ids")
    if len(queries) != len(inner):
        return None  # ids such as 1 and "1" are one query to Run.from_dict
    counts = np.fromiter(map(len, inner), dtype=np.int64, count=len(inner))
    try:  # one join per query (a C loop over the dict's keys), then one over the queries
        text = "\x00".join(["\x00".join(docs) for docs in inner if docs])
    except TypeError:
        return None  # a doc id that is not a str: Run.from_dict converts or rejects it
    n_rows = int(counts.sum())
    docs = utf8_ids_from_joined(text, n_rows) if n_rows else Utf8Ids(_NO_BYTES, _NO_ROWS, _NO_ROWS)
    if docs is None:
        return None  # an empty id, a NUL inside one, a lone surrogate
    scores = as_array(  # exactly Run.from_dict's reading: one list, then numpy's conversion
        list(chain.from_iterable(map(dict.values, inner))), name="scores", dtype=np.float64, ndim=1, finite="allow_inf"
    )
    bounds = np.concatenate([[0], np.cumsum(counts)])
    lo = np.empty(len(queries), dtype=np.int64)
    hi = np.empty(len(queries), dtype=np.int64)
    lo[codes], hi[codes] = bounds[:-1], bounds[1:]
    return _RunRows(queries.ids, lo, hi, docs, scores, None, checked=True)


def _rows_of_file(path: str | os.PathLike[str]) -> _RunRows:
    """The rows of a TREC run file, parsed with Run.from_trec's checks except duplicates."""
    parsed = parse_run_rows(path)
    docs, scores = parsed.docs, parsed.scores
    n_queries = parsed.query_ids.size
    if parsed.block_codes.size == n_queries:  # one block per query: rows are grouped already
        lo = np.empty(n_queries, dtype=np.int64)
        hi = np.empty(n_queries, dtype=np.int64)
        lo[parsed.block_codes], hi[parsed.block_codes] = parsed.block_starts[:-1], parsed.block_starts[1:]
    else:  # a query's lines in several places: gather the rows query by query
        lo, hi, order = ingest.group_rows(parsed.query_codes, n_queries)
        docs = Utf8Ids(docs.data, docs.starts[order], docs.ends[order])
        scores = scores[order]
    return _RunRows(parsed.query_ids, lo, hi, docs, scores, parsed.tag, checked=False)
