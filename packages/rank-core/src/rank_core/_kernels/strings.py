"""String kernels: order-preserving packing of slices into words, sorting helpers, UTF-8 decoding.

Strings reach these kernels as slices of an integer array: byte slices of a file buffer
(``data[starts[i]:ends[i]]``), or rows of a numpy unicode array viewed as a flat ``uint32``
code-point array. One kernel per job serves both.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_core.jit import kernel


@kernel
def common_prefix_length(data, starts, ends):
    """Length of the longest prefix shared by every slice."""
    if starts.size == 0:
        return 0
    shared = ends[0] - starts[0]
    first = starts[0]
    for r in range(1, starts.size):
        s = starts[r]
        shared = min(shared, ends[r] - s)
        for j in range(shared):
            if data[s + j] != data[first + j]:
                shared = j
                break
        if shared == 0:
            break
    return shared


@kernel(parallel=True)
def pack_slices(data, starts, ends, bits):
    """Pack each slice's elements (``bits`` wide) big-endian into uint64 words, zero padded.

    Comparing rows of words lexicographically compares the slices lexicographically, with a
    shorter slice before its extensions (elements are never zero). UTF-8 bytes use ``bits=8``
    (byte order is code-point order); code points use ``bits=21``.
    """
    n = starts.size
    per_word = 64 // bits
    longest = 0
    for r in range(n):
        longest = max(longest, ends[r] - starts[r])
    n_words = max(1, (longest + per_word - 1) // per_word)
    words = np.zeros((n, n_words), dtype=np.uint64)
    for r in prange(n):
        s = starts[r]
        for j in range(ends[r] - s):
            shift = np.uint64(bits * (per_word - 1 - j % per_word))
            words[r, j // per_word] |= np.uint64(data[s + j]) << shift
    return words


@kernel
def refine_ties(words, order):
    """Finish a lexicographic row sort that ``order`` already sorted on column 0.

    Each run of rows tied on column 0 is sorted on the remaining columns (least significant
    first, each pass stable), which is cheap because ties are short for distinct ids.
    """
    n, n_cols = words.shape
    a = 0
    while a < n:
        b = a + 1
        while b < n and words[order[b], 0] == words[order[a], 0]:
            b += 1
        if b - a > 1:
            group = order[a:b].copy()
            keys = np.empty(b - a, dtype=np.uint64)
            for col in range(n_cols - 1, 0, -1):
                for i in range(b - a):
                    keys[i] = words[group[i], col]
                group = group[np.argsort(keys, kind="mergesort")]
            order[a:b] = group
        a = b
    return order


@kernel
def distinct_runs(words, order):
    """Codes for rows sorted by ``order``: equal rows share a code, codes count up from 0.

    Returns ``(codes, first)``: ``codes[r]`` for every row and ``first[c]``, one row holding
    distinct value ``c`` (so distinct values come out in sorted order).
    """
    n, n_cols = words.shape
    codes = np.empty(n, dtype=np.int64)
    first = np.empty(n, dtype=np.int64)
    code = -1
    for i in range(n):
        r = order[i]
        new = i == 0
        if not new:
            p = order[i - 1]
            for col in range(n_cols):
                if words[r, col] != words[p, col]:
                    new = True
                    break
        if new:
            code += 1
            first[code] = r
        codes[r] = code
    return codes, first[: code + 1].copy()


@kernel(parallel=True)
def ascii_to_code_points(data, starts, ends, width):
    """Widen ASCII byte slices into a ``(n, width)`` uint32 matrix (zero padded)."""
    n = starts.size
    out = np.zeros((n, width), dtype=np.uint32)
    for r in prange(n):
        s = starts[r]
        for j in range(ends[r] - s):
            out[r, j] = data[s + j]
    return out


@kernel
def _decode_utf8_row(data, start, end, out_row):
    """Decode one slice into ``out_row``; False on invalid UTF-8 or a NUL byte."""
    j = 0
    i = start
    while i < end:
        b = np.uint32(data[i])
        if b == 0:
            return False
        if b < 0x80:
            cp, extra = b, 0
        elif 0xC2 <= b < 0xE0:
            cp, extra = b & 0x1F, 1
        elif 0xE0 <= b < 0xF0:
            cp, extra = b & 0x0F, 2
        elif 0xF0 <= b < 0xF5:
            cp, extra = b & 0x07, 3
        else:
            return False
        if i + extra >= end:
            return False
        for k in range(1, extra + 1):
            c = np.uint32(data[i + k])
            if c & 0xC0 != 0x80:
                return False
            cp = (cp << 6) | (c & 0x3F)
        overlong = (extra == 2 and cp < 0x800) or (extra == 3 and cp < 0x10000)
        if overlong or cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
            return False
        out_row[j] = cp
        j += 1
        i += extra + 1
    return True


@kernel(parallel=True)
def utf8_to_code_points(data, starts, ends, width):
    """Decode UTF-8 byte slices into a ``(n, width)`` uint32 matrix; ``valid`` flags each row."""
    n = starts.size
    out = np.zeros((n, width), dtype=np.uint32)
    valid = np.empty(n, dtype=np.bool_)
    for r in prange(n):
        valid[r] = _decode_utf8_row(data, starts[r], ends[r], out[r])
    return out, valid
