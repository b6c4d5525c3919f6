"""Turn what a user passes to a fusion function into flat arrays for the kernels.

Two shapes of input, told apart by their items:

- a batch: a list of rank-core ``Run``s (or ``{qid: {doc: score}}`` dicts, or TREC run file
  paths); the result is a ``Run``;
- one query (online hybrid search): a list of rankings, each a ``{doc: score}`` mapping or a list
  of ``(doc, score)`` pairs; the result is a ranked list of ``(doc, score)`` pairs.

Either way a list's order is its scores' order (score descending, ties by doc id descending, as in
a ``Run``), never the order its items were given in.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from itertools import chain
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from rank_core import NonFiniteInputError, RankTypeError, RankValueError, Run, Vocabulary, align
from rank_core.validation import as_array, check_choice
from rank_core.vocabulary import Utf8Ids, utf8_ids

QueryPolicy = Literal["union", "intersection", "strict"]
QUERY_POLICIES = ("union", "intersection", "strict")


class Lists(NamedTuple):
    """The lists to fuse, flat: list ``r`` of query ``q`` is rows ``starts[r, q]`` to
    ``starts[r, q] + lengths[r, q]`` of ``codes``/``scores``, ranked best first."""

    query_ids: NDArray[np.str_]
    doc_vocab: Vocabulary
    codes: NDArray[np.int64]
    scores: NDArray[np.float64]
    starts: NDArray[np.int64]
    lengths: NDArray[np.int64]

    @property
    def n_lists(self) -> int:
        return int(self.starts.shape[0])


def _is_path(item: Any) -> bool:
    return isinstance(item, (str, os.PathLike))


def _is_mapping(item: Any) -> bool:
    return type(item) is dict or isinstance(item, Mapping)  # dict first: ABC checks cost on the online path


def _is_ranking(item: Any) -> bool:
    """A one-query ranking: ``{doc: score}`` or a sequence of ``(doc, score)`` pairs (a mapping
    whose first value is a mapping is a ``{qid: {doc: score}}`` run)."""
    if _is_mapping(item):
        return not isinstance(next(iter(item.values())), Mapping)
    return isinstance(item, Sequence) and not isinstance(item, (str, bytes))


def is_run_sequence(runs: Any) -> bool:
    """A list (or other sequence) of items, not one run, mapping, path or string by mistake."""
    if type(runs) in (list, tuple):  # the usual case, without ABC checks (the online path is hot)
        return True
    return not isinstance(runs, (Run, Mapping, str, bytes, os.PathLike)) and isinstance(runs, Sequence)


def coerce_lists(runs: Any, *, queries: QueryPolicy = "union") -> Lists | OneQuery:
    """Validate ``runs`` and lay them out for the kernels (see the module docstring)."""
    check_choice(queries, name="queries", choices=QUERY_POLICIES)
    if not is_run_sequence(runs):
        raise RankTypeError(
            "runs must be a list of runs (rank-core Runs, {qid: {doc: score}} dicts or TREC files) or, "
            f"for one query, a list of rankings ({{doc: score}} or [(doc, score), ...]); got {type(runs).__name__}"
        )
    if len(runs) == 0:
        raise RankValueError("runs is empty: pass at least one run (fusion usually takes two or more)")
    # an empty mapping could be either (a run without queries, a ranking without docs): it
    # takes the kind of the other items
    kinds = [None if _is_mapping(item) and not item else _is_ranking(item) for item in runs]
    known = [kind for kind in kinds if kind is not None]
    if not known or all(known):
        return _one_query(runs)
    if any(known):
        first = kinds.index(True)
        raise RankTypeError(
            f"runs mixes one-query rankings (item {first}) with whole runs: pass either a list of Runs "
            "or a list of {doc: score} / [(doc, score), ...] rankings for one query"
        )
    return _batch([_as_run(item, i) for i, item in enumerate(runs)], queries)


def _as_run(item: Any, index: int) -> Run:
    if isinstance(item, Run):
        run = item
    elif isinstance(item, Mapping):
        run = Run.from_dict(item)
    elif _is_path(item):
        run = Run.from_trec(item)
    else:
        raise RankTypeError(
            f"runs[{index}] must be a rank-core Run, a {{qid: {{doc: score}}}} dict or a TREC run file path, "
            f"got {type(item).__name__}"
        )
    if len(run) == 0:
        raise RankValueError(f"runs[{index}] is empty: it has no queries, so there is nothing to fuse")
    return run


def _batch(runs: list[Run], policy: QueryPolicy) -> Lists:
    runs = list(align(*runs))
    query_sets = [run.query_ids for run in runs]
    if policy == "strict":
        for i, ids in enumerate(query_sets[1:], start=1):
            if not np.array_equal(ids, query_sets[0]):
                missing = np.setdiff1d(query_sets[0], ids)
                extra = np.setdiff1d(ids, query_sets[0])
                detail = f"{missing.size} missing (e.g. {missing[:3].tolist()})" if missing.size else ""
                detail += ("; " if detail else "") + (
                    f"{extra.size} extra (e.g. {extra[:3].tolist()})" if extra.size else ""
                )
                raise RankValueError(
                    f"runs[{i}] does not have the query set of runs[0]: {detail}. "
                    "Use queries='union' (a missing query is an empty list) or queries='intersection'"
                )
        query_ids = query_sets[0]
    elif policy == "union":
        query_ids = query_sets[0]
        for ids in query_sets[1:]:
            query_ids = np.union1d(query_ids, ids)
    else:
        query_ids = query_sets[0]
        for ids in query_sets[1:]:
            query_ids = np.intersect1d(query_ids, ids)
    n_queries = query_ids.size
    starts = np.zeros((len(runs), n_queries), dtype=np.int64)
    lengths = np.zeros((len(runs), n_queries), dtype=np.int64)
    base = 0
    for r, run in enumerate(runs):
        position = run.query_positions(query_ids)
        held = position >= 0
        starts[r, held] = base + run.offsets[position[held]]
        lengths[r, held] = np.diff(run.offsets)[position[held]]
        base += run.n_rows
    codes = np.concatenate([run.doc_codes for run in runs])
    scores = np.concatenate([run.scores for run in runs])
    return Lists(query_ids, runs[0].doc_vocab, codes, scores, starts, lengths)


class OneQuery(NamedTuple):
    """One query's rankings, concatenated: ranking ``r`` is the next ``lengths[r]`` rows.

    ``doc_ids`` are the ids as given (returned as given); ``ids`` their UTF-8 bytes."""

    doc_ids: list[Any]
    ids: Utf8Ids  # empty starts/ends: ``data`` is the ids joined by NUL bytes
    lengths: NDArray[np.int64]
    scores: NDArray[np.float64]

    def with_checked_ids(self) -> OneQuery:
        """The ids through rank-core's general path, which converts ints and rejects bad ids."""
        return self._replace(ids=utf8_ids(self.doc_ids, name="doc ids"))

    @property
    def n_lists(self) -> int:
        return int(self.lengths.size)


def _ranking_columns(item: Any, index: int) -> tuple[list[Any], list[Any]]:
    if _is_mapping(item):
        return list(item), list(item.values())
    try:
        docs, scores = zip(*item, strict=True) if item else ((), ())
    except (TypeError, ValueError):
        raise RankTypeError(
            f"runs[{index}] must be a {{doc: score}} mapping or a list of (doc, score) pairs"
        ) from None
    return list(docs), list(scores)


def _one_query(rankings: Sequence[Any]) -> OneQuery:
    doc_lists: list[list[Any]] = []
    score_lists: list[list[Any]] = []
    for i, item in enumerate(rankings):
        docs, scores = _ranking_columns(item, i)
        doc_lists.append(docs)
        score_lists.append(scores)
    all_docs = list(chain.from_iterable(doc_lists))
    try:  # the usual case: str ids, one join and one encode; the kernel splits them
        data = np.frombuffer("\x00".join(all_docs).encode(), dtype=np.uint8)
        unsplit = np.empty(0, dtype=np.int64)
        ids = Utf8Ids(data, unsplit, unsplit)
        if "" in all_docs:
            raise TypeError
    except (TypeError, UnicodeEncodeError):  # ints, empty ids, lone surrogates: the general path
        ids = utf8_ids(all_docs, name="doc ids")
    try:
        scores = np.array(list(chain.from_iterable(score_lists)), dtype=np.float64)
    except (TypeError, ValueError):
        scores = None
    if scores is None or np.isnan(scores).any():  # let the shared check name the culprit
        for i, values in enumerate(score_lists):
            as_array(values, name=f"runs[{i}] scores", ndim=1, finite="allow_inf")
    lengths = np.fromiter(map(len, doc_lists), dtype=np.int64, count=len(doc_lists))
    return OneQuery(all_docs, ids, lengths, scores)


def check_finite_scores(lists: Lists | OneQuery, method: str) -> None:
    """Score-based methods cannot add or normalise infinite scores (a Run may hold them)."""
    if isinstance(lists, OneQuery):
        bad = np.flatnonzero(~np.isfinite(lists.scores))
        if bad.size:
            r = int(np.searchsorted(np.cumsum(lists.lengths), bad[0], side="right"))
            raise _infinite(method, f"runs[{r}]", lists.scores[bad[0]])
        return
    for row in np.flatnonzero(~np.isfinite(lists.scores)).tolist():
        held = np.argwhere((lists.starts <= row) & (row < lists.starts + lists.lengths))
        if held.size:  # rows of queries left out by queries="intersection" do not count
            break
    else:
        return
    r, q = held[0]
    raise _infinite(method, f"runs[{r}], query {str(lists.query_ids[q])!r}", lists.scores[row])


def _infinite(method: str, where: str, score: float) -> NonFiniteInputError:
    return NonFiniteInputError(
        f"{method} combines scores, which must be finite; {where} has score {score}. "
        "Use a rank-based method (rrf, bordafuse...) or replace infinite scores first"
    )
