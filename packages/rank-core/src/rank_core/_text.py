"""Fast factorisation of string ids into (sorted vocabulary, codes), from numpy arrays or file bytes.

numpy's string sort and ``np.unique`` take seconds on millions of ids. Here ids are packed into
order-preserving uint64 words (numba), sorted with numpy's SIMD integer argsort on the first
word that varies, ties finished in numba, and equal neighbours collapsed into one code.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from rank_core._kernels.strings import (
    ascii_to_code_points,
    common_prefix_length,
    distinct_runs,
    pack_slices,
    refine_ties,
    utf8_to_code_points,
)

EMPTY_IDS = np.empty(0, dtype="U1")
_BYTE_BITS = 8
_CODE_POINT_BITS = 21  # Unicode code points are < 2**21


def code_points_to_unicode(matrix: NDArray[np.uint32]) -> NDArray[np.str_]:
    """View a ``(n, width)`` code-point matrix as a length-``n`` numpy unicode array (no copy)."""
    n, width = matrix.shape
    if n == 0:
        return EMPTY_IDS.copy()
    return np.ascontiguousarray(matrix).view(np.dtype(("U", width))).reshape(n)


def unicode_to_code_points(ids: NDArray[np.str_]) -> NDArray[np.uint32]:
    """View a numpy unicode array as its ``(n, width)`` uint32 code-point matrix."""
    ids = np.ascontiguousarray(ids)
    return ids.view(np.uint32).reshape(ids.size, ids.dtype.itemsize // 4)


def _factorize_slices(
    data: NDArray[np.integer], starts: NDArray[np.int64], ends: NDArray[np.int64], bits: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(codes, first)`` of the slices ``data[starts[i]:ends[i]]``; codes follow sorted order.

    The prefix shared by all slices orders nothing and is skipped before packing, which keeps
    ids such as ``msmarco_passage_123`` to a single word.
    """
    skip = common_prefix_length(data, starts, ends)
    words = pack_slices(data, starts + skip, ends, bits)
    order = np.argsort(words[:, 0])  # numpy's SIMD integer sort
    if words.shape[1] > 1:
        refine_ties(words, order)
    return distinct_runs(words, order)


def factorize_unicode(ids: NDArray[np.str_]) -> tuple[NDArray[np.str_], NDArray[np.int64]]:
    """``(vocab, codes)`` with ``vocab`` sorted and unique and ``vocab[codes] == ids``."""
    if ids.size == 0:
        return EMPTY_IDS.copy(), np.empty(0, dtype=np.int64)
    ids = np.ascontiguousarray(ids)
    points = unicode_to_code_points(ids)
    starts = np.arange(0, points.size, points.shape[1], dtype=np.int64)
    # zero padding packs as zero elements, which order like "shorter first": no trimming needed
    codes, first = _factorize_slices(points.reshape(-1), starts, starts + points.shape[1], _CODE_POINT_BITS)
    return ids[first], codes


def factorize_byte_tokens(
    buf: NDArray[np.uint8], starts: NDArray[np.int64], ends: NDArray[np.int64]
) -> tuple[NDArray[np.str_], NDArray[np.int64], int]:
    """Factorise the UTF-8 tokens ``buf[starts[i]:ends[i]]``.

    Returns ``(vocab, codes, bad_row)``; ``bad_row`` is a row whose token is not valid UTF-8
    (then ``vocab`` and ``codes`` are meaningless), or -1.
    """
    if starts.size == 0:
        return EMPTY_IDS.copy(), np.empty(0, dtype=np.int64), -1
    codes, first = _factorize_slices(buf, starts, ends, _BYTE_BITS)
    token_starts, token_ends = starts[first], ends[first]
    width = int((token_ends - token_starts).max())
    if buf.size == 0 or buf.max() < 0x80:
        matrix = ascii_to_code_points(buf, token_starts, token_ends, width)
    else:
        matrix, valid = utf8_to_code_points(buf, token_starts, token_ends, width)
        if not valid.all():
            return EMPTY_IDS.copy(), codes, int(first[np.argmin(valid)])
        matrix = matrix[:, : max(1, int(np.count_nonzero(matrix, axis=1).max()))]
    return code_points_to_unicode(matrix), codes, -1
