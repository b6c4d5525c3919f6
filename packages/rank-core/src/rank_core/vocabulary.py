"""Sorted string vocabularies: string ids at the edges, integer codes inside.

A :class:`Vocabulary` is an immutable sorted set of unique ids; an id's code is its position.
Because it is sorted, comparing codes is comparing ids (Unicode code point order, which is also
the byte order of their UTF-8 text and so trec_eval's ``strcmp`` order).

Internally the ids are kept as UTF-8 bytes (one buffer, a start and end per id): a quarter of
the memory of a numpy unicode array, and what a file parser produces anyway. The numpy unicode
array (:attr:`Vocabulary.ids`) is built on first use. Merging, remapping and lookups run on the
bytes in compiled code, so aligning a run with its qrels never loops in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal, NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray

from rank_core._kernels.strings import (
    all_slices_equal,
    locate_sorted_slices,
    merge_sorted_slices,
)
from rank_core._text import (
    factorize_utf8,
    unicode_from_utf8,
    utf8_from_joined,
    utf8_from_strings,
    utf8_from_unicode,
)
from rank_core.errors import RankValueError
from rank_core.validation import as_id_array, check_choice

__all__ = ["Utf8Ids", "Vocabulary", "utf8_ids", "utf8_ids_from_joined"]


class Utf8Ids(NamedTuple):
    """Ids as UTF-8 byte slices of one buffer: id ``i`` is ``data[starts[i]:ends[i]]``.

    ``data`` may hold other bytes between the slices (separators, the rest of a file's line).
    """

    data: NDArray[np.uint8]
    starts: NDArray[np.int64]
    ends: NDArray[np.int64]


def utf8_ids(values: Iterable[Any] | NDArray[Any], *, name: str = "ids") -> Utf8Ids:
    """The UTF-8 bytes of identifiers, with :func:`~rank_core.validation.as_id_array`'s checks.

    The same ids and errors as ``as_id_array(values)`` encoded to UTF-8, but a list of ``str``
    (what ``list(mapping)`` gives) takes a fast path: one join and one encode, with no numpy
    unicode array in between. (A ``str`` subclass is read by its text there, not by ``str()``.)
    """
    if isinstance(values, np.ndarray):
        items = values.tolist() if values.dtype.kind == "O" and values.ndim == 1 else None
    else:
        items = values = values if isinstance(values, list) else list(values)
    if items is not None:
        fast = utf8_from_strings(items)
        if fast is not None:
            return Utf8Ids(*fast)
    data, offsets = utf8_from_unicode(as_id_array(values, name=name))
    return Utf8Ids(data, offsets[:-1], offsets[1:])


def utf8_ids_from_joined(text: str, count: int) -> Utf8Ids | None:
    """The ``count`` ids joined in ``text`` (``"\\x00".join(ids)``), or None if they need the general path.

    For callers that join ids themselves (one join per dict of a ``{qid: {doc: value}}``
    mapping is cheaper than listing every id first). None when an id is empty, holds a NUL or a
    lone surrogate, or ``count`` is 0: pass the ids to :func:`utf8_ids` then, which converts or
    raises as it always does.
    """
    fast = utf8_from_joined(text, count)
    return None if fast is None else Utf8Ids(*fast)


def _readonly(array: NDArray[Any]) -> NDArray[Any]:
    array.flags.writeable = False
    return array


class Vocabulary:
    """An immutable sorted set of string ids; codes index into :attr:`ids`.

    >>> vocab, codes = Vocabulary.factorize(["b", "a", "b"])
    >>> vocab.ids.tolist(), codes.tolist()
    (['a', 'b'], [1, 0, 1])
    """

    __slots__ = ("_ascii", "_data", "_ends", "_ids", "_starts")

    def __init__(self, ids: Iterable[str] | NDArray[np.str_] = ()) -> None:
        vocab = Vocabulary.factorize(ids)[0]
        for name in Vocabulary.__slots__:
            setattr(self, name, getattr(vocab, name))

    @classmethod
    def _from_utf8(
        cls,
        data: NDArray[np.uint8],
        starts: NDArray[np.int64],
        ends: NDArray[np.int64],
        ids: NDArray[np.str_] | None = None,
        *,
        ascii: bool | None = None,
    ) -> Vocabulary:
        """From sorted distinct UTF-8 ids ``data[starts[i]:ends[i]]``, trusted as valid.

        ``data`` may hold more than the ids (a parsed file's whole buffer): nothing is copied.
        """
        vocab = cls.__new__(cls)
        vocab._data = _readonly(data)
        vocab._starts = _readonly(starts)
        vocab._ends = _readonly(ends)
        vocab._ascii = bool(data.max(initial=0) < 0x80) if ascii is None else ascii
        vocab._ids = None if ids is None else _readonly(ids)
        return vocab

    @classmethod
    def _from_sorted_ids(cls, ids: NDArray[np.str_]) -> Vocabulary:
        """From a numpy unicode array already sorted and unique."""
        data, offsets = utf8_from_unicode(ids)
        return cls._from_utf8(data, offsets[:-1], offsets[1:], ids)

    @classmethod
    def factorize(
        cls, values: Iterable[Any] | NDArray[Any], *, name: str = "ids"
    ) -> tuple[Vocabulary, NDArray[np.int64]]:
        """The vocabulary of ``values`` and each value's code (``vocab.decode(codes) == values``)."""
        return cls._factorize_utf8(utf8_ids(values, name=name))

    @classmethod
    def _factorize_utf8(cls, ids: Utf8Ids, *, runs: bool = False) -> tuple[Vocabulary, NDArray[np.int64]]:
        """:meth:`factorize` of ids already in UTF-8 (``runs``: see ``factorize_utf8``)."""
        codes, first = factorize_utf8(ids.data, ids.starts, ids.ends, runs=runs)
        return cls._from_utf8(ids.data, ids.starts[first], ids.ends[first]), codes

    @property
    def ids(self) -> NDArray[np.str_]:
        """The sorted ids as a read-only numpy unicode array (built once, on first use)."""
        if self._ids is None:
            self._ids = _readonly(self._decode_rows(np.arange(len(self))))
        return self._ids

    def utf8(self, codes: NDArray[np.integer[Any]] | None = None) -> Utf8Ids:
        """The ids of ``codes`` (default: all, in code order) as UTF-8 slices of the vocabulary's buffer."""
        if codes is None:
            return Utf8Ids(self._data, self._starts, self._ends)
        codes = np.asarray(codes, dtype=np.int64)
        return Utf8Ids(self._data, self._starts[codes], self._ends[codes])

    def _decode_rows(self, codes: NDArray[np.int64]) -> NDArray[np.str_]:
        return unicode_from_utf8(self._data, self._starts[codes], self._ends[codes], ascii=self._ascii)

    def __len__(self) -> int:
        return int(self._starts.size)

    def __iter__(self) -> Iterator[str]:
        return iter(self.ids.tolist())

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and bool(item) and self.encode([item], missing="ignore")[0] >= 0

    def __getitem__(self, code: int) -> str:
        return self._data[self._starts[code] : self._ends[code]].tobytes().decode("utf-8")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self is other or (
            len(self) == len(other)
            and all_slices_equal(self._data, self._starts, self._ends, other._data, other._starts, other._ends)
        )

    def __hash__(self) -> int:
        return hash((len(self), self[0] if len(self) else "", self[len(self) - 1] if len(self) else ""))

    def __repr__(self) -> str:
        head = ", ".join(repr(self[c]) for c in range(min(3, len(self))))
        more = ", ..." if len(self) > 3 else ""
        return f"Vocabulary([{head}{more}], size={len(self)})"

    def encode(
        self, values: Iterable[Any] | NDArray[Any], *, missing: Literal["error", "ignore"] = "error"
    ) -> NDArray[np.int64]:
        """Codes of ``values``; unknown ids raise, or become ``-1`` with ``missing="ignore"``."""
        check_choice(missing, name="missing", choices=("error", "ignore"))
        ids = utf8_ids(values, name="values")
        position, found = locate_sorted_slices(self._data, self._starts, self._ends, ids.data, ids.starts, ids.ends)
        codes = np.where(found, position, -1)
        if missing == "error" and (codes < 0).any():
            unknown = np.flatnonzero(codes < 0)
            first = ids.data[ids.starts[unknown[0]] : ids.ends[unknown[0]]].tobytes().decode("utf-8", "surrogatepass")
            raise RankValueError(
                f"{unknown.size} id(s) are not in the vocabulary, e.g. {first!r}; "
                "use missing='ignore' to map them to -1"
            )
        return codes

    def decode(self, codes: NDArray[np.integer[Any]]) -> NDArray[np.str_]:
        """The ids of ``codes``."""
        codes = np.asarray(codes, dtype=np.int64)
        if self._ids is not None or codes.size >= len(self):
            return self.ids[codes]
        return self._decode_rows(codes)

    @staticmethod
    def merge(*vocabularies: Vocabulary) -> tuple[Vocabulary, list[NDArray[np.int64]]]:
        """The union of ``vocabularies`` and, for each, the map from its codes to union codes.

        The maps preserve order. The union is the first vocabulary itself when the others add
        nothing; otherwise it references the inputs' byte buffers (concatenated, not re-sorted).
        """
        union = vocabularies[0]
        maps = [np.arange(len(union), dtype=np.int64)]
        for other in vocabularies[1:]:
            if other is union:
                maps.append(np.arange(len(other), dtype=np.int64))
                continue
            to_union, other_to_union, size = union._merge_maps(other)
            if size > len(union):
                union = union._with_insertions(other, to_union, other_to_union, size)
                maps = [to_union[m] for m in maps]
            maps.append(other_to_union)
        return union, maps

    def _merge_maps(self, other: Vocabulary) -> tuple[NDArray[np.int64], NDArray[np.int64], int]:
        """``(self_to_union, other_to_union, union_size)`` of the sorted union of two vocabularies."""
        n, m = len(self), len(other)
        if m * max(1, n.bit_length()) >= n + m:  # comparable sizes: one linear merge
            return merge_sorted_slices(
                self._data, self._starts, self._ends, other._data, other._starts, other._ends,
                4 * numba.get_num_threads(),
            )
        # a few ids into many: binary search each of them
        position, found = locate_sorted_slices(self._data, self._starts, self._ends, other._data, other._starts, other._ends)
        inserted_at = position[~found]  # non-decreasing, since ``other`` is sorted
        self_to_union = np.arange(n, dtype=np.int64) + np.searchsorted(inserted_at, np.arange(n), side="right")
        other_to_union = np.empty(m, dtype=np.int64)
        other_to_union[~found] = inserted_at + np.arange(inserted_at.size)
        other_to_union[found] = self_to_union[position[found]]
        return self_to_union, other_to_union, n + inserted_at.size

    def _with_insertions(
        self, other: Vocabulary, self_to_union: NDArray[np.int64], other_to_union: NDArray[np.int64], size: int
    ) -> Vocabulary:
        """The union vocabulary laid out by the two maps, over the two byte buffers side by side."""
        new = np.ones(size, dtype=np.bool_)
        new[self_to_union] = False
        from_other = new[other_to_union]
        starts = np.empty(size, dtype=np.int64)
        ends = np.empty(size, dtype=np.int64)
        starts[self_to_union], ends[self_to_union] = self._starts, self._ends
        shift = self._data.size
        starts[other_to_union[from_other]] = other._starts[from_other] + shift
        ends[other_to_union[from_other]] = other._ends[from_other] + shift
        return Vocabulary._from_utf8(np.concatenate([self._data, other._data]), starts, ends)

    def union(self, *others: Vocabulary) -> Vocabulary:
        """The vocabulary holding every id of ``self`` and ``others`` (``self`` if nothing is new)."""
        return Vocabulary.merge(self, *others)[0]

    def remap_to(self, superset: Vocabulary) -> NDArray[np.int64]:
        """Array ``m`` with ``superset.ids[m[c]] == self.ids[c]``; raises if an id is missing.

        Order is preserved (``c1 < c2`` implies ``m[c1] < m[c2]``), so arrays sorted by code stay
        sorted after remapping.
        """
        if superset is self:
            return np.arange(len(self), dtype=np.int64)
        union, maps = Vocabulary.merge(superset, self)
        if len(union) != len(superset):
            raise RankValueError(f"{len(union) - len(superset)} id(s) are not in the target vocabulary")
        return maps[1]
