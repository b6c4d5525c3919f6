"""Dense rescoring: inner products and cosines of queries with candidate vectors (BLAS products).

``dot(query, candidates)`` and ``cosine(query, candidates)`` take a query ``(dim,)`` or a batch
``(n_queries, dim)`` and candidates ``(dim,)`` or ``(n, dim)``, and return a float, an ``(n,)`` row
or an ``(n_queries, n)`` matrix accordingly. Cosine divides each vector by its norm; a zero vector
has cosine 0 with everything (sentence-transformers' ``cos_sim`` clamps the norm instead: same 0).
float16 storage is computed in float32, float64 in float64, everything else in float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from rank_core import NonFiniteInputError, RankValueError, ShapeMismatchError
from rank_core.validation import check_choice, check_k
from rank_rerank._inputs import SIMILARITIES, Similarity, compute_dtype, float_array
from rank_rerank.results import RerankResult, ranked

__all__ = ["cosine", "dot", "norm", "rerank_dense"]


def _vectors(values: Any, *, name: str) -> NDArray[np.floating[Any]]:
    array = float_array(values, name=name, ndim=None)
    if array.ndim not in (1, 2):
        raise ShapeMismatchError(
            f"{name} must be one vector (dim,) or a matrix (n, dim), got shape {array.shape}"
        )
    if array.shape[-1] == 0:
        raise RankValueError(f"{name} has dimension 0")
    return array


def _unit(rows: NDArray[np.floating[Any]], name: str) -> NDArray[np.floating[Any]]:
    with np.errstate(all="ignore"):
        norms = np.sqrt(np.einsum("...i,...i->...", rows, rows))[..., None]
    if not np.isfinite(norms).all():  # NaN/inf inside, or a norm beyond the precision
        _raise_non_finite(rows, name)
        raise NonFiniteInputError(
            f"the norm of a vector of {name} overflowed {rows.dtype.name}; scale the vectors down"
        )
    return np.divide(rows, norms, out=np.zeros_like(rows), where=norms > 0)


def _scores(query: Any, candidates: Any, *, unit: bool) -> Any:
    q = _vectors(query, name="query")
    c = _vectors(candidates, name="candidates")
    if q.shape[-1] != c.shape[-1]:
        raise ShapeMismatchError(
            f"query has dimension {q.shape[-1]}, candidates have {c.shape[-1]}"
        )
    dtype = compute_dtype(np.result_type(q.dtype, c.dtype))
    q, c = q.astype(dtype, copy=False), c.astype(dtype, copy=False)
    if unit:
        q, c = _unit(q, "query"), _unit(c, "candidates")
    with np.errstate(all="ignore"):  # NaN/inf/overflow are located and reported below
        scores = q @ c.T
    if not np.isfinite(scores).all():
        _raise_non_finite(q, "query")
        _raise_non_finite(c, "candidates")
        raise NonFiniteInputError(
            f"scores overflowed {dtype.name}; scale the vectors down or use float64"
        )
    return float(scores) if scores.ndim == 0 else scores


def _raise_non_finite(values: NDArray[np.floating[Any]], name: str) -> None:
    bad = ~np.isfinite(values)
    if bad.any():
        at = tuple(int(i) for i in np.argwhere(bad)[0])
        raise NonFiniteInputError(
            f"{name} must be finite; found {values[at]} at index {at if len(at) > 1 else at[0]}"
        )


def dot(query: Any, candidates: Any) -> Any:
    """Inner products ``query . candidate`` (a float, an ``(n,)`` row or an ``(n_queries, n)`` matrix).

    >>> dot([1.0, 2.0], [[1.0, 0.0], [0.5, 0.5]]).tolist()
    [1.0, 1.5]
    """
    return _scores(query, candidates, unit=False)


def cosine(query: Any, candidates: Any) -> Any:
    """Cosine similarities (0 with a zero vector), shaped as :func:`dot`.

    >>> cosine([1.0, 0.0], [2.0, 0.0])
    1.0
    """
    return _scores(query, candidates, unit=True)


def norm(vectors: Any) -> Any:
    """Euclidean norm of one vector (a float) or of each row of a matrix (an ``(n,)`` array)."""
    array = _vectors(vectors, name="vectors")
    array = array.astype(compute_dtype(array.dtype), copy=False)
    with np.errstate(all="ignore"):
        norms = np.sqrt(np.einsum("...i,...i->...", array, array))
    if not np.isfinite(norms).all():
        _raise_non_finite(array, "vectors")
        raise NonFiniteInputError(
            f"a norm overflowed {array.dtype.name}; scale the vectors down or use float64"
        )
    return float(norms) if norms.ndim == 0 else norms


def rerank_dense(
    query: Any,
    candidates: Any,
    ids: Any = None,
    top_k: int | None = None,
    *,
    similarity: Similarity = "cosine",
) -> RerankResult:
    """Candidates ``(n, dim)`` ranked by similarity with one ``query`` ``(dim,)``, best first
    (ties: earlier position first), cut to ``top_k``; ``ids`` label the result."""
    check_choice(similarity, name="similarity", choices=SIMILARITIES)
    top_k = check_k(top_k, name="top_k", allow_none=True)
    if np.ndim(query) != 1 or np.ndim(candidates) != 2:
        raise ShapeMismatchError(
            f"rerank_dense takes one query (dim,) and candidates (n, dim); got shapes "
            f"{np.shape(query)} and {np.shape(candidates)}"
        )
    scores = _scores(query, candidates, unit=similarity == "cosine")
    return ranked(scores, ids, top_k)
