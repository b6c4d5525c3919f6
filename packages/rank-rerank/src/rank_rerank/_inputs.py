"""Validation and coercion of embeddings: vectors, token matrices and ragged sets of token matrices.

Storage precision is kept (float16, float32 or float64); arithmetic runs in float32 for float16 and
float32 storage and in float64 for float64 storage (integers are read as float32). Token sets are
read lazily in chunks of whole documents, so a list of per-document arrays or float16 storage is
never copied whole into one float32 array.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterator, Sequence
from typing import Any, Literal, get_args

import numpy as np
from numpy.typing import NDArray

from rank_core import NonFiniteInputError, RankTypeError, RankValueError, ShapeMismatchError
from rank_core.validation import as_array, check_finite

__all__ = [
    "SIMILARITIES",
    "Similarity",
    "TokenSets",
    "as_token_matrix",
    "as_token_sets",
    "check_positive_int",
    "check_weights",
    "compute_dtype",
    "float_array",
    "is_single_matrix",
]

#: How two token vectors or two embeddings are compared: inner product or cosine.
Similarity = Literal["dot", "cosine"]
SIMILARITIES: tuple[str, ...] = get_args(Similarity)


def compute_dtype(storage: np.dtype[Any]) -> np.dtype[Any]:
    """The precision arithmetic runs in for vectors stored as ``storage``."""
    return np.dtype(np.float64) if storage == np.float64 else np.dtype(np.float32)


def float_array(values: Any, *, name: str, ndim: int | None) -> NDArray[np.floating[Any]]:
    """``values`` as a contiguous float16/32/64 array (integers become float32); no finiteness check."""
    if isinstance(values, np.ndarray) and values.dtype.kind == "f":
        array = values
        if ndim is not None and array.ndim != ndim:
            raise ShapeMismatchError(f"{name} must be {ndim}-dimensional, got shape {array.shape}")
        return np.ascontiguousarray(array)
    array = as_array(values, name=name, ndim=ndim, dtype=np.float64, finite=False)
    kept = np.asarray(values).dtype
    return np.ascontiguousarray(array, dtype=kept if kept.kind == "f" else np.float32)


def as_token_matrix(
    values: Any, *, name: str, dim: int | None = None, finite: bool = True
) -> NDArray[np.floating[Any]]:
    """A ``(n_tokens, dim)`` float matrix with at least one token (storage precision kept),
    checked finite unless ``finite=False`` leaves that to a kernel."""
    matrix = float_array(values, name=name, ndim=2)
    if matrix.shape[1] == 0:
        raise ShapeMismatchError(
            f"{name} must have at least one column (the embedding dimension), got shape {matrix.shape}"
        )
    if matrix.shape[0] == 0:
        raise RankValueError(f"{name} has no tokens (shape {matrix.shape}); give at least one vector")
    if dim is not None and matrix.shape[1] != dim:
        raise ShapeMismatchError(f"{name} has dimension {matrix.shape[1]}, expected {dim} (the query's)")
    if finite:
        check_finite(matrix, name=name)
    return matrix


def is_single_matrix(values: Any, offsets: Any) -> bool:
    """Whether ``values`` is one ``(n_tokens, dim)`` matrix rather than a collection of them."""
    if offsets is not None:
        return False
    if isinstance(values, np.ndarray):
        return values.ndim == 2
    if isinstance(values, Sequence) and len(values) > 0:
        return np.ndim(values[0]) == 1
    return False


def _check_offsets(offsets: Any, n_tokens: int, *, name: str) -> NDArray[np.int64]:
    bounds = as_array(offsets, name=name, dtype=np.int64, ndim=1)
    if bounds.size == 0 or bounds[0] != 0 or bounds[-1] != n_tokens:
        first = bounds[0] if bounds.size else None
        last = bounds[-1] if bounds.size else None
        raise ShapeMismatchError(
            f"{name} must start at 0 and end at the number of token rows ({n_tokens}); "
            f"got first={first}, last={last}, length={bounds.size}"
        )
    decreasing = np.flatnonzero(np.diff(bounds) < 0)
    if decreasing.size:
        at = int(decreasing[0])
        raise ShapeMismatchError(
            f"{name} must be non-decreasing; {name}[{at + 1}]={bounds[at + 1]} < {name}[{at}]={bounds[at]}"
        )
    return bounds


class TokenSets:
    """``n`` documents of token vectors: ``(n_tokens_i, dim)`` each, at one storage precision.

    Held either as one flat ``(total_tokens, dim)`` array with ``offsets`` (``n + 1``, from 0) or as
    the list of per-document arrays it was given as; :meth:`rows` reads a range of whole documents
    as one contiguous array in the arithmetic precision. ``positions`` maps each stored token to its
    position in the padded input it came from (``None`` when stored positions are the positions).
    """

    __slots__ = ("_flat", "_parts", "dim", "dtype", "name", "offsets", "positions")

    def __init__(
        self,
        *,
        name: str,
        offsets: NDArray[np.int64],
        dim: int,
        dtype: np.dtype[Any],
        flat: NDArray[np.floating[Any]] | None = None,
        parts: list[NDArray[np.floating[Any]]] | None = None,
        positions: NDArray[np.int64] | None = None,
    ) -> None:
        self.name = name
        self.offsets = offsets
        self.dim = dim
        self.dtype = dtype
        self._flat = flat
        self._parts = parts
        self.positions = positions

    def __len__(self) -> int:
        return self.offsets.size - 1

    @property
    def lengths(self) -> NDArray[np.int64]:
        return np.diff(self.offsets)

    def rows(self, begin: int, end: int) -> NDArray[np.floating[Any]]:
        """Token rows of documents ``begin .. end - 1``, contiguous, in the arithmetic precision."""
        target = compute_dtype(self.dtype)
        if self._flat is not None:
            block = self._flat[self.offsets[begin] : self.offsets[end]]
            return block if block.dtype == target else block.astype(target)
        assert self._parts is not None
        parts = self._parts[begin:end]
        if len(parts) == 1:
            return parts[0] if parts[0].dtype == target else parts[0].astype(target)
        return np.concatenate(parts, axis=0, dtype=target)

    def document(self, index: int) -> NDArray[np.floating[Any]]:
        """One document's token rows, in the arithmetic precision."""
        return self.rows(index, index + 1)

    def chunks(self, max_tokens: int) -> Iterator[tuple[int, int]]:
        """Ranges of whole documents of at most ``max_tokens`` tokens (a longer document alone)."""
        n = len(self)
        begin = 0
        while begin < n:
            limit = self.offsets[begin] + max_tokens
            end = int(np.searchsorted(self.offsets, limit, side="right")) - 1
            end = min(max(end, begin + 1), n)
            yield begin, end
            begin = end

    def subset(self, indices: NDArray[np.int64]) -> TokenSets:
        """The documents at ``indices`` (in that order), as views: nothing is copied until
        :meth:`rows` gathers a chunk of them (cache-sized) for a product. For scoring only: the
        subset has no padded ``positions``."""
        lengths = self.lengths[indices]
        offsets = np.zeros(indices.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if self._flat is None:
            assert self._parts is not None
            parts = [self._parts[i] for i in indices.tolist()]
        else:
            bounds = self.offsets
            parts = [self._flat[bounds[i] : bounds[i + 1]] for i in indices.tolist()]
        return TokenSets(name=self.name, offsets=offsets, dim=self.dim, dtype=self.dtype, parts=parts)

    def raise_first_non_finite(self, doc_indices: NDArray[np.int64] | None = None) -> None:
        """Raise :class:`NonFiniteInputError` at the first document (of ``doc_indices``, by
        default all) holding NaN or infinity; return if there is none."""
        for index in range(len(self)) if doc_indices is None else doc_indices.tolist():
            block = self.document(index)
            bad = ~np.isfinite(block)
            if bad.any():
                token, component = (int(i) for i in np.argwhere(bad)[0])
                raise NonFiniteInputError(
                    f"{self.name}[{index}] holds {block[token, component]} at token {token}, "
                    f"component {component}; embeddings must be finite"
                )


def as_token_sets(
    docs: Any, *, offsets: Any = None, mask: Any = None, name: str = "docs", dim: int | None = None
) -> TokenSets:
    """Read documents of token vectors given in one of three layouts.

    - a list of ``(n_tokens_i, dim)`` arrays;
    - a flat ``(total_tokens, dim)`` array with ``offsets`` (``n_docs + 1`` non-decreasing ints
      from 0 to ``total_tokens``; document ``i`` is rows ``offsets[i]:offsets[i+1]``);
    - a padded ``(n_docs, max_tokens, dim)`` array with a boolean ``mask`` ``(n_docs, max_tokens)``
      marking real tokens (padding rows are dropped, so they can never win a maximum).

    Every document must have at least one token. Finiteness is checked by the kernels (the
    similarities of a NaN or infinite vector are not finite), which then call
    :meth:`TokenSets.raise_first_non_finite` for the message.
    """
    if offsets is not None:
        if mask is not None:
            raise RankValueError(
                f"give {name} either with offsets (flat layout) or with a mask (padded), not both"
            )
        flat = float_array(docs, name=name, ndim=2)
        bounds = _check_offsets(offsets, flat.shape[0], name="offsets")
        sets = TokenSets(name=name, offsets=bounds, dim=flat.shape[1], dtype=flat.dtype, flat=flat)
    elif isinstance(docs, np.ndarray) and docs.ndim == 3:
        sets = _from_padded(docs, mask, name=name)
    elif isinstance(docs, np.ndarray):
        raise ShapeMismatchError(
            f"{name} must be a list of (n_tokens, dim) arrays, a flat (total_tokens, dim) array with "
            f"offsets, or a padded (n_docs, max_tokens, dim) array; got an array of shape {docs.shape}"
        )
    else:
        if mask is not None:
            raise RankValueError(f"mask applies to a padded 3-D {name} array only")
        sets = _from_list(docs, name=name)
    empty = np.flatnonzero(sets.lengths == 0)
    if empty.size:
        raise RankValueError(
            f"{name}[{int(empty[0])}] has no tokens; every document needs at least one token vector"
        )
    if len(sets) and sets.dim == 0:
        raise ShapeMismatchError(f"{name} must have at least one column (the embedding dimension); their dimension is 0")
    if dim is not None and sets.dim != dim and len(sets):
        raise ShapeMismatchError(f"{name} have dimension {sets.dim}, expected {dim} (the query's)")
    return sets


def _from_list(docs: Any, *, name: str) -> TokenSets:
    if isinstance(docs, (str, bytes)) or not isinstance(docs, Sequence):
        raise RankTypeError(
            f"{name} must be a list of (n_tokens, dim) arrays, a flat array with offsets, or a "
            f"padded 3-D array; got {type(docs).__name__}"
        )
    parts = [float_array(doc, name=f"{name}[{i}]", ndim=2) for i, doc in enumerate(docs)]
    if not parts:
        return TokenSets(
            name=name, offsets=np.zeros(1, np.int64), dim=0, dtype=np.dtype(np.float32), parts=[]
        )
    dims = {part.shape[1] for part in parts}
    if len(dims) > 1:
        first = parts[0].shape[1]
        odd = next(i for i, part in enumerate(parts) if part.shape[1] != first)
        raise ShapeMismatchError(
            f"{name}[{odd}] has dimension {parts[odd].shape[1]}, but {name}[0] has {first}"
        )
    dtype = np.result_type(*{part.dtype for part in parts})
    offsets = np.zeros(len(parts) + 1, dtype=np.int64)
    np.cumsum([part.shape[0] for part in parts], out=offsets[1:])
    return TokenSets(name=name, offsets=offsets, dim=parts[0].shape[1], dtype=dtype, parts=parts)


def _from_padded(docs: NDArray[Any], mask: Any, *, name: str) -> TokenSets:
    padded = float_array(docs, name=name, ndim=3)
    n_docs, width, dim = padded.shape
    if mask is None:
        offsets = np.arange(n_docs + 1, dtype=np.int64) * width
        return TokenSets(
            name=name, offsets=offsets, dim=dim, dtype=padded.dtype, flat=padded.reshape(-1, dim)
        )
    keep = np.asarray(mask)
    if keep.dtype != np.bool_:
        if keep.dtype.kind not in "iu" or not np.isin(keep, (0, 1)).all():
            raise RankTypeError(f"mask must be boolean (or 0/1), got dtype {keep.dtype}")
        keep = keep.astype(bool)
    if keep.shape != (n_docs, width):
        raise ShapeMismatchError(
            f"mask must have shape {(n_docs, width)} to match {name}, got {keep.shape}"
        )
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(keep.sum(axis=1), out=offsets[1:])
    positions = np.nonzero(keep)[1].astype(np.int64)
    return TokenSets(
        name=name,
        offsets=offsets,
        dim=dim,
        dtype=padded.dtype,
        flat=padded[keep],
        positions=positions,
    )


def check_weights(weights: Any, n: int, *, name: str) -> NDArray[np.float64]:
    """Per-token weights: ``n`` finite reals (``None`` means all ones)."""
    if weights is None:
        return np.ones(n, dtype=np.float64)
    values = as_array(weights, name=name, dtype=np.float64, ndim=1)
    if values.size != n:
        raise ShapeMismatchError(
            f"{name} has {values.size} values, expected one per query token ({n})"
        )
    return values


def check_positive_int(value: Any, *, name: str) -> int:
    """``value`` as an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise RankTypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise RankValueError(f"{name} must be >= 1, got {value}")
    return int(value)
