"""Fast factorisation of UTF-8 ids, and conversions between numpy unicode arrays and UTF-8 bytes.

numpy's string sort and ``np.unique`` take seconds on millions of ids. Here ids are UTF-8 byte
slices packed into order-preserving uint64 words (numba), sorted with numpy's SIMD integer
argsort on the first word, ties finished in numba, and equal neighbours collapsed into one code.

Byte order of UTF-8 text is code-point order, which is also numpy's unicode order and
trec_eval's ``strcmp`` order: every representation here sorts the same way.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rank_core._kernels.strings import (
    ascii_to_code_points,
    common_prefix_length,
    decode_utf8,
    distinct_runs,
    encode_utf8,
    expand_runs,
    pack_slices,
    refine_ties,
    run_heads,
    split_separated,
    utf8_lengths,
)

EMPTY_IDS = np.empty(0, dtype="U1")


def code_points_to_unicode(matrix: NDArray[np.uint32]) -> NDArray[np.str_]:
    """View a ``(n, width)`` code-point matrix as a length-``n`` numpy unicode array (no copy)."""
    n, width = matrix.shape
    if n == 0:
        return EMPTY_IDS.copy()
    return np.ascontiguousarray(matrix).view(np.dtype(("U", max(width, 1)))).reshape(n)


def unicode_to_code_points(ids: NDArray[np.str_]) -> NDArray[np.uint32]:
    """View a numpy unicode array as its ``(n, width)`` uint32 code-point matrix."""
    ids = np.ascontiguousarray(ids)
    return ids.view(np.uint32).reshape(ids.size, ids.dtype.itemsize // 4)


def factorize_utf8(
    data: NDArray[np.uint8], starts: NDArray[np.int64], ends: NDArray[np.int64], *, runs: bool = False
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(codes, first)`` of the UTF-8 slices ``data[starts[i]:ends[i]]``, codes in sorted order.

    ``first[c]`` is a slice holding distinct value ``c``. The prefix shared by all slices orders
    nothing and is skipped before packing, which keeps ids such as ``msmarco_passage_123`` to a
    single word. ``runs``: the slices are expected to come in runs
    of equal values (the query column of a run file); then, when there are at least two slices
    per run on average, only the first slice of each run is sorted.
    """
    if runs and starts.size > 1:
        heads = run_heads(data, starts, ends)
        head_rows = np.flatnonzero(heads)
        if 2 * head_rows.size <= starts.size:
            head_codes, first = _factorize_distinct(data, starts[head_rows], ends[head_rows])
            return expand_runs(heads, head_codes), head_rows[first]
    return _factorize_distinct(data, starts, ends)


def _factorize_distinct(
    data: NDArray[np.uint8], starts: NDArray[np.int64], ends: NDArray[np.int64]
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    if starts.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    skip = common_prefix_length(data, starts, ends)
    words = pack_slices(data, starts + skip, ends)
    order = np.argsort(words[:, 0])  # numpy's SIMD integer sort
    if words.shape[1] > 1:
        refine_ties(words, order)
    return distinct_runs(words, order)


def first_invalid_utf8(data: NDArray[np.uint8], starts: NDArray[np.int64], ends: NDArray[np.int64]) -> int:
    """Index of the first slice that is not valid UTF-8 (or holds a NUL), or -1."""
    if starts.size == 0:
        return -1
    bad = np.flatnonzero(utf8_lengths(data, starts, ends) < 0)
    return int(bad[0]) if bad.size else -1


def unicode_from_utf8(
    data: NDArray[np.uint8], starts: NDArray[np.int64], ends: NDArray[np.int64], *, ascii: bool
) -> NDArray[np.str_]:
    """Decode valid UTF-8 slices into a numpy unicode array (``ascii``: no byte is >= 0x80)."""
    if starts.size == 0:
        return EMPTY_IDS.copy()
    if ascii:
        width = int((ends - starts).max())
        return code_points_to_unicode(ascii_to_code_points(data, starts, ends, width))
    width = int(utf8_lengths(data, starts, ends).max())
    return code_points_to_unicode(decode_utf8(data, starts, ends, width))


def utf8_from_joined(text: str, count: int) -> tuple[NDArray[np.uint8], NDArray[np.int64], NDArray[np.int64]] | None:
    """``(data, starts, ends)`` of the ``count`` ids in ``text == "\\x00".join(ids)``, or None.

    None when ``text`` cannot be read back that way, or when the ids are not what every id path
    accepts: an id holding a NUL (then the text holds more than ``count - 1`` of them), an empty
    id, or a lone surrogate (not encodable as UTF-8). The caller then takes its general path,
    which raises or converts exactly as before. One encode and one parallel scan: no per-id
    Python object is created.
    """
    if count == 0:
        return None
    try:
        encoded = text.encode("utf-8")  # a plain copy when the text is ASCII
    except UnicodeEncodeError:
        return None
    data = np.frombuffer(encoded, dtype=np.uint8)
    starts, ends, ok = split_separated(data, count, 0)
    return (data, starts, ends) if ok else None


def utf8_from_strings(items: list[object]) -> tuple[NDArray[np.uint8], NDArray[np.int64], NDArray[np.int64]] | None:
    """:func:`utf8_from_joined` of a list that holds only ``str`` (else None)."""
    try:
        text = "\x00".join(items)  # type: ignore[arg-type]
    except TypeError:  # something else than a str
        return None
    return utf8_from_joined(text, len(items))


def utf8_from_unicode(ids: NDArray[np.str_]) -> tuple[NDArray[np.uint8], NDArray[np.int64]]:
    """UTF-8 encode a numpy unicode array: ``(data, offsets)``."""
    if ids.size == 0:
        return np.empty(0, dtype=np.uint8), np.zeros(1, dtype=np.int64)
    return encode_utf8(unicode_to_code_points(ids))
