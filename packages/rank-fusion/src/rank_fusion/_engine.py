"""Run a fusion method over coerced lists: validate the knobs, call the kernels, wrap the result."""

from __future__ import annotations

import functools
from typing import Any, Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

from rank_core import RankValueError, Run
from rank_core.validation import as_array, check_choice, check_k
from rank_fusion._inputs import Lists, OneQuery, check_finite_scores
from rank_fusion._kernels import fuse as K
from rank_fusion._kernels.candidates import union_candidates
from rank_fusion._kernels.condorcet import condorcet_all
from rank_fusion._kernels.online import DUPLICATE, NOT_SPLIT, fuse_one_query

Norm = Literal[
    "min-max", "min-max-inverted", "max", "sum", "zmuv", "zscore", "rank", "borda", "l1", "l2", "dbsf",
    "opensearch-min-max",
]
NORMS: dict[str | None, int] = {
    None: K.NORM_NONE,
    "min-max": K.NORM_MIN_MAX,
    "min-max-inverted": K.NORM_MIN_MAX_INVERTED,
    "max": K.NORM_MAX,
    "sum": K.NORM_SUM,
    "zmuv": K.NORM_ZMUV,
    "zscore": K.NORM_ZSCORE,
    "rank": K.NORM_RANK,
    "borda": K.NORM_BORDA,
    "l1": K.NORM_L1,
    "l2": K.NORM_L2,
    "dbsf": K.NORM_DBSF,
    "opensearch-min-max": K.NORM_OPENSEARCH_MIN_MAX,
}
#: ranx's spellings of the same normalisations.
NORM_ALIASES = {"min_max": "min-max", "min_max_inverted": "min-max-inverted", "none": None}

Ranks = Literal["position", "negated_scores"]


class Spec(NamedTuple):
    """A fusion method as a point of the kernel's (contribution, combination) grid."""

    kind: int
    combination: int
    uses_scores: bool
    weighted: bool
    condorcet: bool = False


def check_norm(norm: Any) -> str | None:
    norm = NORM_ALIASES.get(norm, norm) if isinstance(norm, str) or norm is None else norm
    return check_choice(norm, name="norm", choices=tuple(NORMS))


def check_weights(weights: Any, n_lists: int, method: str) -> NDArray[np.float64]:
    if weights is None:
        return _unit_weights(n_lists)
    values = as_array(weights, name="weights", ndim=1)
    if values.size != n_lists:
        raise RankValueError(f"{method} got {values.size} weights for {n_lists} runs: pass one weight per run")
    if (values < 0).any():
        raise RankValueError(f"weights must be >= 0, got {values.tolist()}")
    if values.sum() <= 0:
        raise RankValueError(f"weights must not all be 0, got {values.tolist()}: every run would be ignored")
    return values


def check_engine_weights(weights: Any, method: str) -> None:
    """OpenSearch's rule for combination weights: each in [0, 1], summing to 1 within 0.01."""
    values = as_array(weights, name="weights", ndim=1)
    if (values < 0).any() or (values > 1).any() or abs(values.sum() - 1.0) > 0.01:
        raise RankValueError(
            f"{method} weights must each be in [0, 1] and sum to 1 (within 0.01), as OpenSearch "
            f"requires; got {values.tolist()} (sum {values.sum():g})"
        )


def check_applicable(method: str, spec: Spec, *, norm: Any, weights: Any) -> None:
    """``norm`` only for score-based methods, ``weights`` only for weighted ones."""
    if norm is not None and not spec.uses_scores:
        raise RankValueError(
            f"{method} uses ranks only, so norm={norm!r} would have no effect: leave norm=None "
            "(normalisations apply to score-based methods such as wsum, mnz or dbsf)"
        )
    if weights is not None and not spec.weighted:
        raise RankValueError(f"{method} takes no weights; use its weighted variant (e.g. wsum, w_bordafuse)")


def run_method(
    lists: Lists | OneQuery,
    method: str,
    spec: Spec,
    *,
    norm: str | None = None,
    weights: Any = None,
    params: dict[str, float] | None = None,
    tables: list[NDArray[np.float64]] | None = None,
    ranks: Ranks = "position",
    top_k: int | None = None,
    depth: int | None = None,
    name: str | None = None,
) -> Run | list[tuple[Any, float]]:
    """Fuse ``lists`` with one method; a ``Run`` for a batch, ``[(doc, score), ...]`` for one query."""
    norm = check_norm(norm)
    check_applicable(method, spec, norm=norm, weights=weights)
    check_choice(ranks, name="ranks", choices=("position", "negated_scores"))
    if ranks == "negated_scores" and (not np.isfinite(lists.scores).all() or (lists.scores > -1).any()):
        raise RankValueError(
            "ranks='negated_scores' needs every score to be a negated 1-based rank (<= -1), as "
            "Run.from_trec(path, scores='negated_rank') reads them"
        )
    top_k = check_k(top_k, name="top_k", allow_none=True)
    depth = check_k(depth, name="depth", allow_none=True)
    knobs = _Knobs(
        NORMS[norm], spec, check_weights(weights, lists.n_lists, method), *_parameters(params, tables, lists.n_lists)
    )
    if spec.uses_scores:
        check_finite_scores(lists, method)
    if isinstance(lists, OneQuery):
        return _fuse_one_query(lists, knobs, ranks == "negated_scores", top_k, depth)
    if depth is not None:
        lists = lists._replace(lengths=np.minimum(lists.lengths, depth))
    codes, offsets, scores = _fuse_batch(lists, knobs, ranks == "negated_scores", top_k)
    return Run.from_ranked_codes(lists.query_ids, offsets, codes, scores, lists.doc_vocab, name=name or method)


class _Knobs(NamedTuple):
    norm: int
    spec: Spec
    weights: NDArray[np.float64]
    params: NDArray[np.float64]
    tables: NDArray[np.float64]
    table_sizes: NDArray[np.int64]


@functools.lru_cache(maxsize=64)
def _unit_weights(n_lists: int) -> NDArray[np.float64]:
    return np.ones(n_lists)  # shared: the kernels never write to their inputs


@functools.lru_cache(maxsize=256)
def _untabled_parameters(
    params: tuple[tuple[str, float], ...], n_lists: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    return _table_parameters(dict(params), None, n_lists)


def _parameters(
    params: dict[str, float] | None, tables: list[NDArray[np.float64]] | None, n_lists: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """The kernel's parameter vector, and the per-list tables padded into one matrix (memoised
    for methods without tables: the online path calls this for every query)."""
    if tables is None:
        return _untabled_parameters(tuple(sorted((params or {}).items())), n_lists)
    return _table_parameters(params, tables, n_lists)


def _table_parameters(
    params: dict[str, float] | None, tables: list[NDArray[np.float64]] | None, n_lists: int
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    values = np.zeros(K.N_PARAMS)
    values[K.P_CLIP_LOW], values[K.P_CLIP_HIGH] = K.ZSCORE_CLIP
    for key, value in (params or {}).items():
        values[getattr(K, f"P_{key.upper()}")] = value
    sizes = np.array([t.size for t in tables] if tables else [0] * n_lists, dtype=np.int64)
    matrix = np.zeros((n_lists, max(int(sizes.max(initial=0)), 1)))
    for r, table in enumerate(tables or ()):
        matrix[r, : table.size] = table
    return values, matrix, sizes


def _fuse_batch(
    lists: Lists, knobs: _Knobs, negated_ranks: bool, top_k: int | None
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64]]:
    rank_values = -lists.scores - 1.0 if negated_ranks else np.empty(0)  # 0-based ranks
    query_bases = np.zeros(lists.starts.shape[1] + 1, dtype=np.int64)
    np.cumsum(lists.lengths.sum(axis=0), out=query_bases[1:])
    candidate_offsets, candidate_codes, row_candidate = union_candidates(
        lists.codes, lists.starts, lists.lengths, query_bases
    )
    counts = np.diff(candidate_offsets)
    if top_k is not None:
        counts = np.minimum(counts, top_k)
    out_offsets = np.zeros(counts.size + 1, dtype=np.int64)
    np.cumsum(counts, out=out_offsets[1:])
    if knobs.spec.condorcet:
        codes, scores = condorcet_all(
            lists.starts, lists.lengths, rank_values, row_candidate, candidate_offsets, candidate_codes,
            out_offsets, knobs.weights,
        )
    else:
        codes, scores = K.fuse_all(
            lists.starts, lists.lengths, lists.scores, rank_values, row_candidate, candidate_offsets,
            candidate_codes, out_offsets, knobs.norm, knobs.spec.kind, knobs.spec.combination, knobs.params,
            knobs.weights, knobs.tables, knobs.table_sizes,
        )
    return codes, out_offsets, scores


def _fuse_one_query(
    lists: OneQuery, knobs: _Knobs, negated_ranks: bool, top_k: int | None, depth: int | None
) -> list[tuple[Any, float]]:
    if not lists.doc_ids:
        return []
    spec = knobs.spec

    options = np.array([
        -1 if depth is None else depth, negated_ranks, spec.condorcet, knobs.norm, spec.kind, spec.combination,
        -1 if top_k is None else top_k,
    ], dtype=np.int64)  # in the order of online.OPT_*

    def call(ids: Any) -> tuple[int, NDArray[np.int64], NDArray[np.float64]]:
        return fuse_one_query(
            ids.data, ids.starts, ids.ends, lists.lengths, lists.scores, options, knobs.params, knobs.weights,
            knobs.tables, knobs.table_sizes,
        )

    status, rows, scores = call(lists.ids)
    if status == NOT_SPLIT:  # an id holds a NUL byte: rank-core's general path rejects it
        status, rows, scores = call(lists.with_checked_ids().ids)
    if status == DUPLICATE:
        r = int(rows[0])
        raise RankValueError(f"runs[{r}] holds a doc twice: each doc may appear once per ranking")
    return list(zip(map(lists.doc_ids.__getitem__, rows.tolist()), scores.tolist(), strict=True))
