"""Input checks shared by every index: document ids, ``k`` and ``filter``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from rank_core import RankTypeError, RankValueError, ShapeMismatchError

__all__ = ["NO_MASK", "NO_ROW_MASKS", "check_doc_ids", "check_search_k", "filter_masks", "kept_after_deleting"]

#: Kernel arguments meaning "no filter": an empty shared mask and an empty per-query mask block.
NO_MASK = np.zeros(0, dtype=np.bool_)
NO_ROW_MASKS = np.zeros((0, 0), dtype=np.bool_)


def check_doc_ids(ids: Any, n_docs: int, *, name: str = "ids") -> NDArray[np.str_]:
    """``ids`` as a 1-D unicode array of ``n_docs`` distinct strings; ``None`` numbers them.

    ``None`` gives ``"0", "1", ...`` (offset by nothing: callers that append pass their own).
    Non-string ids are refused rather than converted, so ``1`` and ``"1"`` never collide silently.
    """
    if ids is None:
        return np.array([str(i) for i in range(n_docs)], dtype=np.str_) if n_docs else np.zeros(0, np.str_)
    if isinstance(ids, (str, bytes)):
        raise RankTypeError(f"{name} must be a sequence of strings, got a single {type(ids).__name__}")
    if isinstance(ids, np.ndarray):
        if ids.ndim != 1:
            raise ShapeMismatchError(f"{name} must be 1-dimensional, got shape {ids.shape}")
        if ids.dtype.kind != "U" and not (ids.dtype.kind == "O" and all(isinstance(i, str) for i in ids)):
            raise RankTypeError(f"{name} must hold strings, got an array of dtype {ids.dtype}")
        array = ids.astype(np.str_)
    else:
        items = list(ids)
        for position, item in enumerate(items):
            if not isinstance(item, str):
                raise RankTypeError(
                    f"{name} must hold strings; {name}[{position}] is {type(item).__name__} {item!r} "
                    "(convert with str() if that is what you mean)"
                )
        array = np.array(items, dtype=np.str_) if items else np.zeros(0, np.str_)
    if array.size != n_docs:
        raise ShapeMismatchError(f"{name} has {array.size} ids but there are {n_docs} documents")
    if array.size:
        order = np.argsort(array, kind="stable")
        repeated = np.flatnonzero(array[order][1:] == array[order][:-1])
        if repeated.size:
            raise RankValueError(f"{name} must be distinct; {str(array[order][repeated[0]])!r} appears more than once")
    return array


def check_search_k(k: Any) -> int:
    """``k`` as a positive int (``k`` above the number of documents is capped by the caller)."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise RankTypeError(f"k must be a positive int, got {type(k).__name__} {k!r}")
    if k <= 0:
        raise RankValueError(f"k must be >= 1, got {k}")
    return int(k)


def filter_masks(
    filter: Any, doc_ids: NDArray[np.str_], n_queries: int, *, id_positions: dict[str, int] | None = None
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Turn a search ``filter`` into the kernels' (shared mask, per-query masks) pair.

    Accepted: ``None``; a boolean mask over the index's documents (shared by every query); a
    2-D boolean array with one mask per query; a sequence of allowed doc ids (shared); or a
    sequence with one allow-list of ids per query. Unknown ids raise: a typo in a filter would
    otherwise silently return nothing.
    """
    n_docs = doc_ids.size
    if filter is None:
        return NO_MASK, NO_ROW_MASKS
    if isinstance(filter, np.ndarray) and filter.dtype == np.bool_:
        if filter.ndim == 1:
            if filter.size != n_docs:
                raise ShapeMismatchError(f"filter mask has {filter.size} entries but the index has {n_docs} documents")
            return np.ascontiguousarray(filter), NO_ROW_MASKS
        if filter.ndim == 2:
            if filter.shape != (n_queries, n_docs):
                raise ShapeMismatchError(
                    f"a 2-D filter mask must have shape (n_queries, n_docs) = ({n_queries}, {n_docs}), got {filter.shape}"
                )
            return NO_MASK, np.ascontiguousarray(filter)
        raise ShapeMismatchError(f"filter mask must be 1-D or 2-D, got shape {filter.shape}")
    if isinstance(filter, (str, bytes)) or not isinstance(filter, (Sequence, np.ndarray, set, frozenset)):
        raise RankTypeError(
            "filter must be a boolean mask, a collection of allowed doc ids, or one such collection per "
            f"query; got {type(filter).__name__}"
        )
    items = list(filter)
    positions = id_positions if id_positions is not None else {d: i for i, d in enumerate(doc_ids.tolist())}
    if items and all(not isinstance(item, str) for item in items):
        if len(items) != n_queries:
            raise ShapeMismatchError(f"filter has {len(items)} allow-lists but there are {n_queries} queries")
        rows = np.zeros((n_queries, n_docs), dtype=np.bool_)
        for row, allowed in enumerate(items):
            if isinstance(allowed, (str, bytes)):
                raise RankTypeError(f"filter[{row}] must be a collection of doc ids, got a single string")
            rows[row, _positions_of(allowed, positions, f"filter[{row}]")] = True
        return NO_MASK, rows
    mask = np.zeros(n_docs, dtype=np.bool_)
    mask[_positions_of(items, positions, "filter")] = True
    return mask, NO_ROW_MASKS


def _positions_of(ids: Any, positions: dict[str, int], name: str) -> list[int]:
    found = []
    for doc_id in ids:
        if not isinstance(doc_id, str):
            raise RankTypeError(f"{name} must hold doc id strings, got {type(doc_id).__name__} {doc_id!r}")
        position = positions.get(doc_id)
        if position is None:
            raise RankValueError(f"{name} names doc id {doc_id!r}, which is not in the index")
        found.append(position)
    return found


def kept_after_deleting(ids: Any, positions: dict[str, int], n_docs: int) -> NDArray[np.bool_]:
    """The keep-mask for deleting ``ids``: unknown ids, a bare string, or deleting every document
    raise before anything changes."""
    if isinstance(ids, (str, bytes)):
        raise RankTypeError("ids must be a sequence of doc ids, not a single string (wrap it in a list)")
    keep = np.ones(n_docs, dtype=np.bool_)
    for doc_id in ids:
        if not isinstance(doc_id, str):
            raise RankTypeError(f"ids must hold strings, got {type(doc_id).__name__} {doc_id!r}")
        if doc_id not in positions:
            raise RankValueError(f"cannot delete {doc_id!r}: it is not in the index")
        keep[positions[doc_id]] = False
    if not keep.any():
        raise RankValueError("cannot delete every document: build a new index instead")
    return keep
