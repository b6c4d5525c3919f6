"""ColBERT token pooling: keep about ``n / pool_factor`` vectors per document instead of ``n``.

Late-interaction indexes store one vector per document token. Pooling groups similar tokens of a
document and stores each group's mean, which shrinks the index by the pool factor while MaxSim
scores barely move (Clavié et al., 2024, "Reducing the Footprint of Multi-Vector Retrieval with
Minimal Performance Impact via Token Pooling"; PyLate's ``pool_embeddings_hierarchical``).

Conventions (shared by every method):

- **Cluster count.** The first ``protected_tokens`` tokens (e.g. ``[CLS]``) are copied unchanged;
  the ``m`` others are pooled into ``max(1, m // pool_factor)`` vectors: PyLate's floor, so a
  document shorter than the pool factor still yields one vector, and ``pool_factor=1`` returns a
  copy. A document of ``n`` tokens thus becomes ``min(n, protected_tokens) + max(1, m // pool_factor)``
  vectors, or stays as it is when every token is protected (``"ward"`` can return fewer, below).
- **Geometry.** Tokens are grouped by direction: on unit-normalised copies, with the squared
  Euclidean distance ``2 - 2 cos`` (Ward's and k-means' objective alike), so the result does not
  depend on the tokens' norms. ColBERT tokens are unit vectors already.
- **Pooled vector.** The plain mean of the members' vectors as given (accumulated in float64),
  *not* re-normalised, as in PyLate: a mean's dot product with a query is the mean of its members'
  dot products, so MaxSim cannot be inflated by pooling. Normalise the result yourself for a
  cosine-only store.
- **Order.** Protected tokens first, in order, then one vector per cluster in the order of each
  cluster's first token (PyLate appends the protected tokens after the clusters; the order does
  not change MaxSim).
- **Dtypes.** float64 input gives float64, anything else (float16, float32, integers) float32,
  the package's rule.

Methods:

- ``"ward"``: agglomerative clustering with Ward's linkage (``scipy.cluster.hierarchy.linkage``
  on the condensed distances ``sqrt(2 - 2 cos)``, i.e. exact Ward on the unit vectors), cut with
  ``fcluster(criterion="maxclust")``, like PyLate. PyLate passes the square matrix ``1 - cos``,
  which scipy reads as ``n`` observations of ``n`` features (Ward on the tokens' distance
  profiles, an O(n^3) distance step); exact Ward retained more MaxSim at every pool factor
  measured (the README's "Performance: token pooling"). When merge heights tie (duplicate
  tokens), ``fcluster`` may return fewer clusters than asked for.
- ``"kmeans"``: Lloyd's k-means, compiled, on the same objective: farthest-first initialisation
  from token 0, at most :data:`KMEANS_MAX_ITERATIONS` rounds, stopping when no label changes; an
  empty cluster takes the token farthest from its cluster's mean. Deterministic, always exactly
  the target count.
- ``"sequential"``: the fastest: the ``m`` tokens are cut into ``k`` runs of consecutive tokens
  (run ``r`` is ``[r m // k, (r + 1) m // k)``), each replaced by its mean.
"""

from __future__ import annotations

import contextlib
import itertools
from typing import Any, Literal, NamedTuple, cast, get_args

import numpy as np
from numpy.typing import NDArray
from scipy.cluster.hierarchy import fcluster, linkage

from rank_core.errors import NonFiniteInputError
from rank_core.jit import threads as numba_threads
from rank_core.progress import progress_bar
from rank_core.validation import check_choice, check_k
from rank_rerank._inputs import as_token_matrix, as_token_sets, check_positive_int, compute_dtype
from rank_rerank._kernels.pooling import (
    cluster_means,
    condensed_distances,
    kmeans_pool_batch,
    non_finite_rows,
    pooled_offsets,
    sequential_pool_batch,
    unit_rows,
)
from rank_rerank._parallel import blas_threads

__all__ = ["KMEANS_MAX_ITERATIONS", "PooledTokens", "PoolingMethod", "pool_tokens", "pool_tokens_batch"]

PoolingMethod = Literal["ward", "kmeans", "sequential"]
POOLING_METHODS: tuple[str, ...] = get_args(PoolingMethod)

#: Most Lloyd rounds for ``method="kmeans"``; it stops earlier as soon as no label changes.
KMEANS_MAX_ITERATIONS = 20

#: Documents per compiled call, so that a progress bar advances during long batches.
_CHUNK_DOCS = 1024
#: ``show_progress=None`` shows a bar from this many documents (about a second of work or more).
_PROGRESS_FROM_DOCS = {"ward": 1_000, "kmeans": 2_000, "sequential": 20_000}



class PooledTokens(NamedTuple):
    """Pooled documents, flat: document ``d`` is ``tokens[offsets[d]:offsets[d + 1]]``."""

    #: ``(total_pooled_tokens, dim)``, float32 (float16/float32 input) or float64.
    tokens: NDArray[np.floating[Any]]
    #: ``(n_docs + 1,)`` int64, starting at 0.
    offsets: NDArray[np.int64]

    def split(self) -> list[NDArray[np.floating[Any]]]:
        """One ``(n_pooled, dim)`` view per document."""
        return [self.tokens[start:stop] for start, stop in itertools.pairwise(self.offsets.tolist())]


def pool_tokens(
    tokens: Any,
    pool_factor: int = 2,
    *,
    method: PoolingMethod = "ward",
    protected_tokens: int = 0,
) -> NDArray[np.floating[Any]]:
    """Pool one document's ``(n_tokens, dim)`` token vectors into about ``n_tokens / pool_factor``.

    See the module documentation for the conventions (cluster count, geometry, order, dtypes).
    Returns a new ``(n_pooled, dim)`` array.

    Raises :class:`~rank_core.RankTypeError` / :class:`~rank_core.RankValueError` for a
    ``pool_factor`` that is not an int >= 1, a bad ``method`` or ``protected_tokens``, an empty
    document; :class:`~rank_core.ShapeMismatchError` for a non-2-D ``tokens`` or zero columns;
    :class:`~rank_core.NonFiniteInputError` for NaN or infinity.
    """
    pool_factor, method, protected_tokens = _check_options(pool_factor, method, protected_tokens)
    document = as_token_matrix(tokens, name="tokens")
    document = document.astype(compute_dtype(document.dtype), copy=False)
    offsets = np.array([0, document.shape[0]], dtype=np.int64)
    return _pool(document, offsets, pool_factor, method, protected_tokens, show_progress=False).tokens


def pool_tokens_batch(
    docs: Any,
    pool_factor: int = 2,
    *,
    method: PoolingMethod = "ward",
    offsets: Any = None,
    protected_tokens: int = 0,
    show_progress: bool | None = None,
    threads: int | None = None,
) -> PooledTokens:
    """Pool many documents; equal to :func:`pool_tokens` on each, whatever the thread count.

    ``docs`` is a list of ``(n_i, dim)`` arrays, or a flat ``(total_tokens, dim)`` array with
    ``offsets`` (``n_docs + 1`` int boundaries: 0, non-decreasing, ending at ``total_tokens``).
    ``"kmeans"`` and ``"sequential"`` run as compiled kernels over the documents in parallel on
    ``threads`` numba threads (``None``: the current count); ``"ward"`` calls scipy per document.
    ``show_progress`` shows a tqdm bar (``None``: only for long jobs).

    Returns :class:`PooledTokens` ``(tokens, offsets)``. Every document needs at least one token
    (an empty one raises :class:`~rank_core.RankValueError` naming it); documents of different
    dimensions raise :class:`~rank_core.ShapeMismatchError`; NaN or infinity raise
    :class:`~rank_core.NonFiniteInputError` naming the document and position.
    """
    pool_factor, method, protected_tokens = _check_options(pool_factor, method, protected_tokens)
    sets = as_token_sets(docs, offsets=offsets, name="docs")
    if len(sets) == 0:
        return PooledTokens(np.empty((0, sets.dim), dtype=compute_dtype(sets.dtype)), sets.offsets)
    flat = sets.rows(0, len(sets))
    _check_finite_documents(flat, sets.offsets)
    with numba_threads(threads):
        return _pool(flat, sets.offsets, pool_factor, method, protected_tokens, show_progress)


# ------------------------------------------------------------------------------------ pooling


def _pool(
    flat: NDArray[np.floating[Any]],
    offsets: NDArray[np.int64],
    pool_factor: int,
    method: str,
    protected_tokens: int,
    show_progress: bool | None,
) -> PooledTokens:
    n_docs = offsets.shape[0] - 1
    out_offsets = pooled_offsets(offsets, protected_tokens, pool_factor)
    progress = progress_bar(
        show_progress, total=n_docs, size=n_docs, threshold=_PROGRESS_FROM_DOCS[method],
        desc=f"Pooling tokens ({method})", unit="doc",
    )
    # one BLAS thread: the Gram products are per document and small (tokens x tokens), and idle
    # OpenBLAS threads spinning beside numba's workers slowed the batch down (kmeans at 2 numba
    # threads was slower than at 1 without this, 1.8x faster with it, on 2 cores)
    blas = contextlib.nullcontext() if method == "sequential" else blas_threads(1)
    with progress as bar, blas:
        if method == "ward":
            return _ward_pool(flat, offsets, out_offsets, protected_tokens, bar)
        out = np.empty((out_offsets[-1], flat.shape[1]), dtype=flat.dtype)
        for first in range(0, n_docs, _CHUNK_DOCS):
            stop = min(first + _CHUNK_DOCS, n_docs)
            if method == "kmeans":
                kmeans_pool_batch(
                    flat, offsets, out_offsets, protected_tokens, KMEANS_MAX_ITERATIONS, first, stop, out
                )
            else:
                sequential_pool_batch(flat, offsets, out_offsets, protected_tokens, first, stop, out)
            bar.update(stop - first)
    return PooledTokens(out, out_offsets)


def _ward_pool(
    flat: NDArray[np.floating[Any]],
    offsets: NDArray[np.int64],
    out_offsets: NDArray[np.int64],
    protected_tokens: int,
    bar: Any,
) -> PooledTokens:
    pieces = []
    lengths = np.zeros(offsets.shape[0], dtype=np.int64)
    for doc in range(offsets.shape[0] - 1):
        document = flat[offsets[doc] : offsets[doc + 1]]
        kept = min(protected_tokens, document.shape[0])
        rest = document[kept:]
        n_clusters = int(out_offsets[doc + 1] - out_offsets[doc]) - kept
        if n_clusters < rest.shape[0]:
            unit = unit_rows(rest)
            tree = linkage(condensed_distances(unit @ unit.T), method="ward")
            rest = cluster_means(rest, fcluster(tree, t=n_clusters, criterion="maxclust"))
        pieces += [document[:kept], rest]
        lengths[doc + 1] = kept + rest.shape[0]
        bar.update(1)
    if not pieces:
        return PooledTokens(flat[:0].copy(), lengths)
    return PooledTokens(np.concatenate(pieces), np.cumsum(lengths))


# --------------------------------------------------------------------------------- validation


def _check_options(pool_factor: Any, method: Any, protected_tokens: Any) -> tuple[int, str, int]:
    factor = check_positive_int(pool_factor, name="pool_factor")
    method = check_choice(method, name="method", choices=POOLING_METHODS)
    protected = cast(int, check_k(protected_tokens, name="protected_tokens"))
    return factor, method, protected


def _check_finite_documents(flat: NDArray[np.floating[Any]], offsets: NDArray[np.int64]) -> None:
    """Raise NonFiniteInputError at the first NaN or infinity, naming its document and place."""
    bad_rows = np.flatnonzero(non_finite_rows(flat))
    if bad_rows.size == 0:
        return
    row = int(bad_rows[0])
    column = int(np.flatnonzero(~np.isfinite(flat[row]))[0])
    doc = int(np.searchsorted(offsets, row, side="right")) - 1
    raise NonFiniteInputError(
        f"docs[{doc}] holds {flat[row, column]} at token {row - int(offsets[doc])}, component {column}; "
        "embeddings must be finite"
    )
