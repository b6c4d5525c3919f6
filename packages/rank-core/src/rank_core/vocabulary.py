"""Sorted string vocabularies: string ids at the edges, integer codes inside.

A :class:`Vocabulary` is an immutable, sorted array of unique ids; an id's code is its position.
Because the array is sorted, comparing codes is comparing ids (Unicode code point order, which is
also the byte order of their UTF-8 text and so trec_eval's ``strcmp`` order). Two vocabularies
merge with :meth:`Vocabulary.union` and codes move between them with :meth:`Vocabulary.remap_to`,
all vectorised: aligning a run with its qrels never loops in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from rank_core._text import factorize_unicode
from rank_core.errors import RankValueError
from rank_core.validation import as_id_array, check_choice

__all__ = ["Vocabulary"]


def _readonly(array: NDArray[Any]) -> NDArray[Any]:
    array.flags.writeable = False
    return array


class Vocabulary:
    """An immutable sorted set of string ids; ``codes`` index into :attr:`ids`."""

    __slots__ = ("_ids",)

    def __init__(self, ids: Iterable[str] | NDArray[np.str_] = ()) -> None:
        self._ids = _readonly(factorize_unicode(as_id_array(ids, name="ids"))[0])

    @classmethod
    def _from_sorted_unique(cls, ids: NDArray[np.str_]) -> Vocabulary:
        vocab = cls.__new__(cls)
        vocab._ids = _readonly(ids)
        return vocab

    @classmethod
    def factorize(cls, values: Iterable[Any] | NDArray[Any], *, name: str = "ids") -> tuple[Vocabulary, NDArray[np.int64]]:
        """Return the vocabulary of ``values`` and each value's code (``vocab.ids[codes] == values``)."""
        unique, codes = factorize_unicode(as_id_array(values, name=name))
        return cls._from_sorted_unique(unique), codes

    @property
    def ids(self) -> NDArray[np.str_]:
        """The sorted ids (read-only)."""
        return self._ids

    def __len__(self) -> int:
        return int(self._ids.size)

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids.tolist())

    def __contains__(self, item: object) -> bool:
        if not isinstance(item, str) or not self._ids.size:
            return False
        i = int(np.searchsorted(self._ids, item))
        return i < self._ids.size and self._ids[i] == item

    def __getitem__(self, code: int) -> str:
        return str(self._ids[code])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Vocabulary):
            return NotImplemented
        return self is other or np.array_equal(self._ids, other._ids)

    def __hash__(self) -> int:
        return hash((len(self), self._ids[:1].tobytes(), self._ids[-1:].tobytes()))

    def __repr__(self) -> str:
        head = ", ".join(repr(s) for s in self._ids[:3].tolist())
        more = ", ..." if len(self) > 3 else ""
        return f"Vocabulary([{head}{more}], size={len(self)})"

    def encode(
        self, values: Iterable[Any] | NDArray[Any], *, missing: Literal["error", "ignore"] = "error"
    ) -> NDArray[np.int64]:
        """Codes of ``values``; unknown ids raise, or become ``-1`` with ``missing="ignore"``."""
        check_choice(missing, name="missing", choices=("error", "ignore"))
        array = as_id_array(values, name="values")
        if not self._ids.size:
            codes = np.full(array.size, -1, dtype=np.int64)
        else:
            positions = np.searchsorted(self._ids, array)
            clipped = np.minimum(positions, self._ids.size - 1)
            found = self._ids[clipped] == array
            codes = np.where(found, clipped, -1).astype(np.int64)
        if missing == "error" and (codes < 0).any():
            unknown = array[codes < 0]
            raise RankValueError(
                f"{unknown.size} id(s) are not in the vocabulary, e.g. {unknown[0]!r}; "
                "use missing='ignore' to map them to -1"
            )
        return codes

    def decode(self, codes: NDArray[np.integer[Any]]) -> NDArray[np.str_]:
        """The ids of ``codes``."""
        return self._ids[np.asarray(codes)]

    def union(self, *others: Vocabulary) -> Vocabulary:
        """The vocabulary holding every id of ``self`` and ``others`` (``self`` if nothing is new)."""
        parts = [self._ids, *(o._ids for o in others if o is not self and len(o))]
        if len(parts) == 1:
            return self
        merged = factorize_unicode(np.concatenate(parts))[0]
        if merged.size == self._ids.size:
            return self
        return Vocabulary._from_sorted_unique(merged)

    def remap_to(self, superset: Vocabulary) -> NDArray[np.int64]:
        """Array ``m`` with ``superset.ids[m[c]] == self.ids[c]``; raises if an id is missing.

        Order is preserved (``c1 < c2`` implies ``m[c1] < m[c2]``), so arrays sorted by code stay
        sorted after remapping.
        """
        if superset is self:
            return np.arange(len(self), dtype=np.int64)
        return superset.encode(self._ids)
