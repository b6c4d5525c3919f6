"""Exact dense retrieval: BLAS matrix products in cache-sized tiles, each fed to a compiled top-k.

A batch of queries is scored against one tile of documents at a time (``queries @ tile.T``, a
few MiB), and each tile goes straight into per-query heaps while it is in cache; the full
(queries x documents) score matrix is never stored, so memory stays small and the top-k costs
little beyond the matrix products themselves.

The matrix products run on BLAS's threads and the top-k, by default, on one numba thread: the
top-k runs between two products, and a second thread pool waking up there competes with BLAS's
(numba's OpenMP workers and OpenBLAS's both spin while they wait), which cost twice the time of
the single-threaded top-k on a 2-core machine (see the package's dense benchmark).

Metrics (higher score is better for all three, so one top-k rule serves them):

- ``"cosine"``: cosine similarity. Rows are normalised once when indexed and queries when searched,
  so a score is the inner product of unit vectors, in ``[-1, 1]``.
- ``"dot"``: the raw inner product ``q . d``.
- ``"l2"``: the **negative** squared Euclidean distance ``-||q - d||^2`` (so the nearest document
  has the highest score, ``0`` for an exact match). It is computed as
  ``-(||q||^2 + ||d||^2 - 2 q.d)`` from the same matrix product and precomputed document norms;
  for vectors far from the origin relative to their distance the expansion loses relative
  precision (use ``dtype="float64"`` when that matters).

Ties are broken by index position (the order documents were added in), the rule every index of
this package follows. Scores are BLAS products: their last bits may depend on how BLAS blocks a
product, never on the thread count of the top-k.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

from rank_core import RankTypeError, RankValueError, ShapeMismatchError
from rank_core.jit import threads as numba_threads
from rank_core.progress import progress_bar
from rank_core.validation import as_array, check_choice, check_finite
from rank_retrieve._checks import NO_MASK, NO_ROW_MASKS, check_doc_ids, check_search_k, filter_masks
from rank_retrieve._kernels.dense import drain_rows, offer_tile_rows
from rank_retrieve.results import SearchResult

__all__ = ["DenseIndex", "Metric"]

Metric = Literal["cosine", "dot", "l2"]
METRICS: tuple[str, ...] = get_args(Metric)

#: Queries scored together (the default ``batch_size``): wide enough for efficient products.
QUERY_BATCH = 1_024
#: Size of one (queries x documents) tile of scores: small enough to stay in a CPU cache.
TILE_BYTES = 8 * 2**20
#: Narrowest document tile, so that large query batches still get efficient products.
MIN_TILE_DOCS = 256
#: ``show_progress=None`` shows a bar from this many queries on.
PROGRESS_MIN_QUERIES = 10_000
#: Capacity growth on ``add``: amortised O(1) appends with at most 25% unused rows.
GROWTH_FACTOR = 1.25


class DenseIndex:
    """Exact nearest-neighbour search over dense embeddings.

    ``embeddings`` is an ``(n_docs, dim)`` array of finite reals; ``ids`` are ``n_docs`` distinct
    strings (``None`` numbers the rows ``"0"``, ``"1"``, ...). ``metric`` is ``"cosine"``,
    ``"dot"`` or ``"l2"`` (negative squared distance; see the module docstring); ``dtype``
    (``"float32"`` or ``"float64"``) is the precision of the stored vectors and of the matrix
    products. The index keeps its own copy of the vectors (normalised for cosine).

    >>> index = DenseIndex([[1.0, 0.0], [0.0, 1.0]], ["a", "b"])
    >>> index.search([1.0, 0.2], k=1).ids
    array([['a']], dtype='<U1')
    """

    def __init__(
        self,
        embeddings: ArrayLike,
        ids: Iterable[str] | None = None,
        *,
        metric: Metric = "cosine",
        dtype: DTypeLike = "float32",
    ) -> None:
        self._metric: Metric = check_choice(metric, name="metric", choices=METRICS)
        self._dtype = _check_dtype(dtype)
        vectors, sq_norms = prepare_embeddings(embeddings, metric=self._metric, dtype=self._dtype)
        self._id_list: list[str] = check_doc_ids(ids, vectors.shape[0]).tolist()
        self._positions = {doc_id: position for position, doc_id in enumerate(self._id_list)}
        self._ids_cache: NDArray[np.str_] | None = None
        self._dim = vectors.shape[1]
        self._size = vectors.shape[0]
        self._vector_rows = vectors  # capacity rows; the first ``_size`` are in use
        self._sq_norm_rows = sq_norms
        self._max_sq_norm = float(sq_norms.max())  # bounds every score (check_score_range)

    def __len__(self) -> int:
        return self._size

    def __repr__(self) -> str:
        return f"DenseIndex(n_docs={self._size}, dim={self._dim}, metric={self._metric!r}, dtype={self._dtype.name!r})"

    @property
    def ids(self) -> NDArray[np.str_]:
        """The document ids in index order (read-only)."""
        if self._ids_cache is None:
            self._ids_cache = (
                np.array(self._id_list, dtype=np.str_) if self._id_list else np.zeros(0, np.str_)
            )
            self._ids_cache.flags.writeable = False
        return self._ids_cache

    @property
    def dim(self) -> int:
        """The embedding dimension."""
        return self._dim

    @property
    def metric(self) -> Metric:
        """``"cosine"``, ``"dot"`` or ``"l2"``."""
        return self._metric

    @property
    def dtype(self) -> np.dtype[Any]:
        """The precision of the stored vectors, the matrix products and the scores."""
        return self._dtype

    @property
    def _vectors(self) -> NDArray[np.floating[Any]]:
        return self._vector_rows[: self._size]

    @property
    def _sq_norms(self) -> NDArray[np.float64]:
        return self._sq_norm_rows[: self._size]

    def search(
        self,
        queries: ArrayLike,
        k: int = 10,
        *,
        filter: Any = None,
        threads: int | None = None,
        batch_size: int | None = None,
        show_progress: bool | None = None,
    ) -> SearchResult:
        """The exact top ``k`` documents of each query, best first.

        ``queries`` is ``(n_queries, dim)``, or ``(dim,)`` for one query (one result row). Each
        row holds ``min(k, len(self))`` results ranked by score descending, ties broken by index
        position; ``filter`` (a boolean mask over the documents, a collection of allowed ids, or
        one of those per query) keeps excluded documents out, and a row that allows fewer
        documents is padded (id ``""``, score ``-inf``, position ``-1``).

        Queries are scored in batches of ``batch_size`` (default 1,024). The matrix products use
        BLAS's threads (set them with ``OMP_NUM_THREADS`` / ``OPENBLAS_NUM_THREADS``); ``threads``
        is the number of numba threads of the top-k, 1 by default (see the module docstring).
        ``show_progress=None`` shows a bar from 10,000 queries on.
        """
        k = check_search_k(k)
        if batch_size is not None:
            batch_size = check_count(batch_size, name="batch_size", minimum=1)
        queries_2d, query_sq_norms = prepare_queries(
            queries, dim=self._dim, metric=self._metric, dtype=self._dtype
        )
        n_queries = queries_2d.shape[0]
        check_score_range(self._metric, self._dtype, query_sq_norms, self._max_sq_norm)
        shared_mask, row_masks = filter_masks(
            filter, self.ids, n_queries, id_positions=self._positions
        )
        width = min(k, self._size)
        vectors, sq_norms = self._vectors, self._sq_norms
        allowed = None
        if shared_mask.size and np.count_nonzero(shared_mask) < self._size // 2:
            # A selective shared filter: score only the allowed rows (a copy, cheaper than the product).
            allowed = np.flatnonzero(shared_mask)
            vectors, sq_norms, shared_mask = vectors[allowed], sq_norms[allowed], NO_MASK
        with progress_bar(
            show_progress,
            total=n_queries,
            size=n_queries,
            threshold=PROGRESS_MIN_QUERIES,
            desc="DenseIndex.search",
            unit="query",
        ) as bar:
            scores, positions = exact_top_k(
                queries_2d,
                query_sq_norms,
                vectors,
                sq_norms,
                metric=self._metric,
                width=width,
                shared_mask=shared_mask,
                row_masks=row_masks,
                batch_size=batch_size,
                threads=threads,
                on_batch=bar.update,
            )
        if allowed is not None:
            positions = subset_positions_to_index(positions, allowed)
        return SearchResult.from_positions(positions, scores, self.ids)

    def add(self, embeddings: ArrayLike, ids: Iterable[str]) -> None:
        """Append ``(m, dim)`` embeddings under ``m`` new distinct ids (after the existing rows)."""
        if ids is None:
            raise RankTypeError("add needs ids for the new rows (a sequence of distinct strings)")
        vectors, sq_norms = prepare_embeddings(
            embeddings, metric=self._metric, dtype=self._dtype, allow_empty=True
        )
        if vectors.shape[1] != self._dim:
            raise ShapeMismatchError(
                f"embeddings have dimension {vectors.shape[1]} but the index has dimension {self._dim}"
            )
        new_ids = check_doc_ids(ids, vectors.shape[0]).tolist()
        for doc_id in new_ids:
            if doc_id in self._positions:
                raise RankValueError(
                    f"ids: {doc_id!r} is already in the index (delete it first to replace it)"
                )
        added = len(new_ids)
        if self._size + added > self._vector_rows.shape[0]:
            self._grow(self._size + added)
        self._vector_rows[self._size : self._size + added] = vectors
        self._sq_norm_rows[self._size : self._size + added] = sq_norms
        self._positions.update(
            (doc_id, self._size + offset) for offset, doc_id in enumerate(new_ids)
        )
        self._id_list.extend(new_ids)
        self._size += added
        self._ids_cache = None
        if added:
            self._max_sq_norm = max(self._max_sq_norm, float(sq_norms.max()))

    def delete(self, ids: Iterable[str]) -> None:
        """Remove the documents with these ids; the others keep their relative order.

        An id that is not in the index raises :class:`~rank_core.RankValueError` and nothing is
        removed.
        """
        if isinstance(ids, (str, bytes)):
            raise RankTypeError(
                f"ids must be a sequence of strings, got a single {type(ids).__name__}"
            )
        try:
            id_values = ids if isinstance(ids, np.ndarray) else list(ids)
        except TypeError as exc:
            raise RankTypeError(
                f"ids must be a sequence of strings, got {type(ids).__name__}"
            ) from exc
        doomed = []
        for doc_id in check_doc_ids(id_values, len(id_values)).tolist():
            position = self._positions.get(doc_id)
            if position is None:
                raise RankValueError(f"ids: {doc_id!r} is not in the index; nothing was deleted")
            doomed.append(position)
        if not doomed:
            return
        keep = np.ones(self._size, dtype=np.bool_)
        keep[doomed] = False
        kept = int(keep.sum())
        self._vector_rows[:kept] = self._vectors[keep]
        self._sq_norm_rows[:kept] = self._sq_norms[keep]
        self._id_list = [
            doc_id for doc_id, kept_id in zip(self._id_list, keep.tolist(), strict=True) if kept_id
        ]
        self._positions = {doc_id: position for position, doc_id in enumerate(self._id_list)}
        self._size = kept
        self._ids_cache = None
        self._max_sq_norm = float(self._sq_norms.max()) if kept else 0.0

    def _grow(self, needed: int) -> None:
        capacity = max(needed, math.ceil(self._vector_rows.shape[0] * GROWTH_FACTOR))
        vector_rows = np.empty((capacity, self._dim), dtype=self._dtype)
        vector_rows[: self._size] = self._vectors
        sq_norm_rows = np.empty(capacity, dtype=np.float64)
        sq_norm_rows[: self._size] = self._sq_norms
        self._vector_rows, self._sq_norm_rows = vector_rows, sq_norm_rows


def exact_top_k(
    queries: NDArray[np.floating[Any]],
    query_sq_norms: NDArray[np.float64],
    vectors: NDArray[np.floating[Any]],
    sq_norms: NDArray[np.float64],
    *,
    metric: Metric,
    width: int,
    shared_mask: NDArray[np.bool_] = NO_MASK,
    row_masks: NDArray[np.bool_] = NO_ROW_MASKS,
    batch_size: int | None = None,
    threads: int | None = None,
    on_batch: Any = None,
) -> tuple[NDArray[np.floating[Any]], NDArray[np.int64]]:
    """Top ``min(width, n_vectors)`` of prepared queries against prepared vectors, in ``width`` columns.

    Returns ``(scores, positions)`` of shape ``(n_queries, width)``; unused slots hold ``-inf``
    and ``-1``. ``threads`` numba threads run the top-k (``None``: 1); ``on_batch(n)`` is called
    after each batch of ``n`` queries.
    """
    n_queries, n_vectors = queries.shape[0], vectors.shape[0]
    dtype = vectors.dtype
    scores = np.full((n_queries, width), -np.inf, dtype=dtype)
    positions = np.full((n_queries, width), -1, dtype=np.int64)
    k = min(width, n_vectors)
    if k == 0 or n_queries == 0:
        return scores, positions
    batch_rows = min(batch_size or QUERY_BATCH, n_queries)
    tile_cols = min(n_vectors, max(MIN_TILE_DOCS, TILE_BYTES // (batch_rows * dtype.itemsize)))
    tile_buffer = np.empty(batch_rows * tile_cols, dtype=dtype)
    heap_scores = np.empty((batch_rows, k), dtype=dtype)
    heap_positions = np.empty((batch_rows, k), dtype=np.int64)
    heap_sizes = np.empty(batch_rows, dtype=np.int64)
    no_norms = np.zeros(0, dtype=np.float64)  # the kernel's "inner products are the scores"
    with numba_threads(1 if threads is None else threads):
        for start in range(0, n_queries, batch_rows):
            batch = slice(start, min(start + batch_rows, n_queries))
            rows = batch.stop - start
            heap_sizes[:rows] = 0
            batch_sq_norms = query_sq_norms[batch] if metric == "l2" else no_norms
            for offset in range(0, n_vectors, tile_cols):
                tile_docs = slice(offset, min(offset + tile_cols, n_vectors))
                tile = tile_buffer[: rows * (tile_docs.stop - offset)].reshape(
                    rows, -1
                )  # contiguous
                np.matmul(queries[batch], vectors[tile_docs].T, out=tile)
                offer_tile_rows(
                    tile,
                    offset,
                    batch_sq_norms,
                    sq_norms[tile_docs] if metric == "l2" else no_norms,
                    shared_mask,
                    row_masks[batch],
                    heap_scores[:rows],
                    heap_positions[:rows],
                    heap_sizes[:rows],
                )
            drain_rows(
                heap_scores[:rows],
                heap_positions[:rows],
                heap_sizes[:rows],
                scores[batch],
                positions[batch],
            )
            if on_batch is not None:
                on_batch(rows)
    return scores, positions


def subset_positions_to_index(
    positions: NDArray[np.int64], subset: NDArray[np.int64]
) -> NDArray[np.int64]:
    """Map positions within ``subset`` (index positions) back to index positions; -1 stays -1."""
    mapped = np.full_like(positions, -1)
    found = positions >= 0
    mapped[found] = subset[positions[found]]
    return mapped


def prepare_embeddings(
    embeddings: ArrayLike, *, metric: Metric, dtype: np.dtype[Any], allow_empty: bool = False
) -> tuple[NDArray[np.floating[Any]], NDArray[np.float64]]:
    """Validated ``(n, dim)`` vectors in ``dtype`` (a fresh copy, unit rows for cosine) and their squared norms.

    For cosine the squared norms are reported as exactly 1. Values outside ``dtype``'s range
    become infinite in the conversion and are refused like NaN.
    """
    vectors = _as_float_matrix(embeddings, name="embeddings", dtype=dtype, ndims=(2,))
    if vectors.shape[1] == 0 or (vectors.shape[0] == 0 and not allow_empty):
        raise RankValueError(
            f"embeddings must hold at least one row of at least one value, got shape {vectors.shape}"
        )
    if vectors is embeddings or vectors.base is not None:  # never alias the caller's memory
        vectors = vectors.copy()
    sq_norms = row_sq_norms(vectors)
    if metric == "cosine":
        _check_normalisable(sq_norms, name="embeddings")
        np.divide(vectors, np.sqrt(sq_norms)[:, None], out=vectors, casting="same_kind")
        sq_norms = np.ones_like(sq_norms)
    return vectors, sq_norms


def prepare_queries(
    queries: ArrayLike, *, dim: int, metric: Metric, dtype: np.dtype[Any]
) -> tuple[NDArray[np.floating[Any]], NDArray[np.float64]]:
    """Validated ``(n_queries, dim)`` queries in ``dtype`` (unit rows for cosine) and their squared norms."""
    matrix = _as_float_matrix(queries, name="queries", dtype=dtype, ndims=(1, 2))
    if matrix.ndim == 1:
        matrix = matrix[None, :]
    if matrix.shape[1] != dim:
        raise ShapeMismatchError(
            f"queries have dimension {matrix.shape[1]} but the index has dimension {dim}"
        )
    sq_norms = row_sq_norms(matrix)
    if metric == "cosine":
        _check_normalisable(sq_norms, name="queries")
        matrix = (matrix / np.sqrt(sq_norms)[:, None]).astype(dtype, copy=False)
        sq_norms = np.ones_like(sq_norms)
    return matrix, sq_norms


def check_score_range(
    metric: Metric,
    dtype: np.dtype[Any],
    query_sq_norms: NDArray[np.float64],
    max_doc_sq_norm: float,
) -> None:
    """Refuse queries whose scores (or the partial sums behind them) could overflow ``dtype``.

    By Cauchy-Schwarz ``|q.d| <= ||q|| ||d||`` and ``||q - d||^2 <= (||q|| + ||d||)^2``, so the
    largest norms bound every score; cosine scores are within ``[-1, 1]``.
    """
    if metric == "cosine" or query_sq_norms.size == 0:
        return
    query_norm, doc_norm = math.sqrt(query_sq_norms.max()), math.sqrt(max_doc_sq_norm)
    bound = query_norm * doc_norm if metric == "dot" else (query_norm + doc_norm) ** 2
    if not bound <= float(np.finfo(dtype).max):
        raise RankValueError(
            f"queries with norm up to {query_norm:.3g} against documents with norm up to {doc_norm:.3g} can "
            f"give {metric} scores beyond the {dtype.name} range; rescale the vectors or use dtype='float64'"
        )


def _check_dtype(dtype: DTypeLike) -> np.dtype[Any]:
    try:
        resolved = np.dtype(dtype)
    except TypeError as exc:
        raise RankTypeError(f"dtype must be 'float32' or 'float64', got {dtype!r}") from exc
    if resolved not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise RankValueError(f"dtype must be 'float32' or 'float64', got {resolved.name}")
    return resolved


def check_count(value: Any, *, name: str, minimum: int) -> int:
    """``value`` as an int ``>= minimum`` (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise RankTypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise RankValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _as_float_matrix(
    values: ArrayLike, *, name: str, dtype: np.dtype[Any], ndims: tuple[int, ...]
) -> NDArray[np.floating[Any]]:
    with np.errstate(over="ignore"):  # values beyond dtype's range become inf, refused below
        array = as_array(values, name=name, dtype=dtype, finite=False)
    if array.ndim not in ndims:
        expected = " or ".join(f"{n}-D" for n in ndims)
        raise ShapeMismatchError(
            f"{name} must be {expected}, got shape {array.shape} ({array.ndim}-D)"
        )
    check_finite(array, name=name)
    return array


def row_sq_norms(matrix: NDArray[np.floating[Any]]) -> NDArray[np.float64]:
    """Squared row norms accumulated in float64 (a float32 sum of squares overflows early)."""
    return np.einsum("ij,ij->i", matrix, matrix, dtype=np.float64)


def _check_normalisable(sq_norms: NDArray[np.float64], *, name: str) -> None:
    zero = np.flatnonzero(sq_norms == 0)
    if zero.size:
        raise RankValueError(
            f"{name} row {int(zero[0])} is all zeros: cosine similarity is undefined for it "
            "(drop the row, or use metric='dot')"
        )
    overflow = np.flatnonzero(~np.isfinite(sq_norms))
    if overflow.size:
        raise RankValueError(
            f"{name} row {int(overflow[0])} is too large to normalise in float64; rescale it"
        )
