"""String kernels: order-preserving packing, sorting helpers, UTF-8 coding, sorted-list search/merge.

Strings reach these kernels as UTF-8 byte slices ``data[starts[i]:ends[i]]`` of one buffer: a
file being parsed, or the encoding of a numpy unicode array.
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
def pack_slices(data, starts, ends):
    """Pack each byte slice big-endian into uint64 words, zero padded: ``(n, n_words)``.

    Comparing rows of words lexicographically compares the slices lexicographically, with a
    shorter slice before its extensions (slices hold no zero byte). For UTF-8 text, byte order
    is code-point order.
    """
    n = starts.size
    longest = 0
    for r in range(n):
        longest = max(longest, ends[r] - starts[r])
    n_words = max(1, (longest + 7) // 8)
    words = np.zeros((n, n_words), dtype=np.uint64)
    for r in prange(n):
        s = starts[r]
        for j in range(ends[r] - s):
            shift = np.uint64(8 * (7 - j % 8))
            words[r, j // 8] |= np.uint64(data[s + j]) << shift
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


@kernel(parallel=True)
def distinct_runs(words, order):
    """Codes for rows sorted by ``order``: equal rows share a code, codes count up from 0.

    Returns ``(codes, first)``: ``codes[r]`` for every row and ``first[c]``, the first row (in
    ``order``) holding distinct value ``c`` (so distinct values come out in sorted order).
    Chunks of ``order`` are compared in parallel, then numbered from each chunk's first code.
    """
    n, n_cols = words.shape
    n_chunks = max(1, min(64, n >> 14))
    starts_new = np.zeros(n_chunks, dtype=np.int64)  # distinct values starting in each chunk
    new = np.empty(n, dtype=np.bool_)
    for c in prange(n_chunks):
        count = 0
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            differs = i == 0
            if not differs:
                r, p = order[i], order[i - 1]
                for col in range(n_cols):
                    if words[r, col] != words[p, col]:
                        differs = True
                        break
            new[i] = differs
            count += differs
        starts_new[c] = count
    first_code = np.zeros(n_chunks, dtype=np.int64)
    for c in range(1, n_chunks):
        first_code[c] = first_code[c - 1] + starts_new[c - 1]
    n_distinct = first_code[n_chunks - 1] + starts_new[n_chunks - 1]
    codes = np.empty(n, dtype=np.int64)
    first = np.empty(n_distinct, dtype=np.int64)
    for c in prange(n_chunks):
        code = first_code[c] - 1
        for i in range(c * n // n_chunks, (c + 1) * n // n_chunks):
            r = order[i]
            if new[i]:
                code += 1
                first[code] = r
            codes[r] = code
    return codes, first


@kernel
def _utf8_next(data, i, end):
    """Decode the code point at ``data[i]``: ``(code_point, next_i)``, or ``(-1, i)`` if invalid.

    Invalid means a NUL, a stray continuation byte, a truncated or overlong sequence, a
    surrogate or a value above U+10FFFF.
    """
    b = np.int64(data[i])
    if b == 0:
        return -1, i
    if b < 0x80:
        return b, i + 1
    if 0xC2 <= b < 0xE0:
        cp, extra = b & 0x1F, 1
    elif 0xE0 <= b < 0xF0:
        cp, extra = b & 0x0F, 2
    elif 0xF0 <= b < 0xF5:
        cp, extra = b & 0x07, 3
    else:
        return -1, i
    if i + extra >= end:
        return -1, i
    for k in range(1, extra + 1):
        c = np.int64(data[i + k])
        if c & 0xC0 != 0x80:
            return -1, i
        cp = (cp << 6) | (c & 0x3F)
    overlong = (extra == 2 and cp < 0x800) or (extra == 3 and cp < 0x10000)
    if overlong or cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
        return -1, i
    return cp, i + extra + 1


@kernel(parallel=True)
def utf8_lengths(data, starts, ends):
    """Code points per slice, or -1 where the slice is not valid UTF-8."""
    n = starts.size
    lengths = np.empty(n, dtype=np.int64)
    for r in prange(n):
        i, end, count = starts[r], ends[r], 0
        while i < end:
            cp, i = _utf8_next(data, i, end)
            if cp < 0:
                count = -1
                break
            count += 1
        lengths[r] = count
    return lengths


@kernel(parallel=True)
def decode_utf8(data, starts, ends, width):
    """Decode valid UTF-8 slices into a ``(n, width)`` uint32 code-point matrix (zero padded)."""
    n = starts.size
    out = np.zeros((n, width), dtype=np.uint32)
    for r in prange(n):
        i, end, j = starts[r], ends[r], 0
        while i < end:
            cp, i = _utf8_next(data, i, end)
            out[r, j] = cp
            j += 1
    return out


@kernel(parallel=True)
def encode_utf8(points):
    """UTF-8 encode the rows of a zero-padded code-point matrix: ``(data, offsets)``."""
    n, width = points.shape
    sizes = np.zeros(n + 1, dtype=np.int64)
    for r in prange(n):
        size = 0
        for j in range(width):
            cp = points[r, j]
            if cp == 0:
                break
            size += 1 if cp < 0x80 else 2 if cp < 0x800 else 3 if cp < 0x10000 else 4
        sizes[r + 1] = size
    offsets = np.cumsum(sizes)
    data = np.empty(offsets[n], dtype=np.uint8)
    for r in prange(n):
        o = offsets[r]
        for j in range(width):
            cp = np.int64(points[r, j])
            if cp == 0:
                break
            if cp < 0x80:
                data[o] = cp
                o += 1
            elif cp < 0x800:
                data[o] = 0xC0 | (cp >> 6)
                data[o + 1] = 0x80 | (cp & 0x3F)
                o += 2
            elif cp < 0x10000:
                data[o] = 0xE0 | (cp >> 12)
                data[o + 1] = 0x80 | ((cp >> 6) & 0x3F)
                data[o + 2] = 0x80 | (cp & 0x3F)
                o += 3
            else:
                data[o] = 0xF0 | (cp >> 18)
                data[o + 1] = 0x80 | ((cp >> 12) & 0x3F)
                data[o + 2] = 0x80 | ((cp >> 6) & 0x3F)
                data[o + 3] = 0x80 | (cp & 0x3F)
                o += 4
    return data, offsets


@kernel
def compare_slices(a, a_start, a_end, b, b_start, b_end):
    """Byte-lexicographic comparison (-1, 0, 1); a proper prefix sorts first."""
    n = min(a_end - a_start, b_end - b_start)
    for j in range(n):
        x, y = a[a_start + j], b[b_start + j]
        if x != y:
            return -1 if x < y else 1
    la, lb = a_end - a_start, b_end - b_start
    return 0 if la == lb else (-1 if la < lb else 1)


@kernel(parallel=True)
def locate_sorted_slices(data, starts, ends, query_data, query_starts, query_ends):
    """Binary search of each query slice among sorted distinct slices.

    Returns ``(position, found)``: where the query is, or where it would be inserted.
    """
    n = starts.size
    m = query_starts.size
    position = np.empty(m, dtype=np.int64)
    found = np.zeros(m, dtype=np.bool_)
    for q in prange(m):
        lo, hi = 0, n
        qs, qe = query_starts[q], query_ends[q]
        while lo < hi:
            mid = (lo + hi) // 2
            c = compare_slices(data, starts[mid], ends[mid], query_data, qs, qe)
            if c == 0:
                lo = mid
                found[q] = True
                break
            if c < 0:
                lo = mid + 1
            else:
                hi = mid
        position[q] = lo
    return position, found


@kernel
def _merge_range(a, a_starts, a_ends, i, i_end, b, b_starts, b_ends, j, j_end, a_to_union, b_to_union):
    """Merge ``a[i:i_end]`` with ``b[j:j_end]``, numbering the union from 0; return its size."""
    u = 0
    while i < i_end or j < j_end:
        if j >= j_end:
            c = -1
        elif i >= i_end:
            c = 1
        else:
            c = compare_slices(a, a_starts[i], a_ends[i], b, b_starts[j], b_ends[j])
        if c <= 0:
            a_to_union[i] = u
            i += 1
        if c >= 0:
            b_to_union[j] = u
            j += 1
        u += 1
    return u


@kernel(parallel=True)
def merge_sorted_slices(a, a_starts, a_ends, b, b_starts, b_ends, max_chunks):
    """Merge of two sorted distinct slice lists: ``(a_to_union, b_to_union, n_union)``.

    In parallel: ``a`` is cut into up to ``max_chunks`` chunks, ``b`` at the first slice not below
    each cut (so equal slices land in the same chunk); chunks are merged independently, then
    renumbered.
    """
    na, nb = a_starts.size, b_starts.size
    a_to_union = np.empty(na, dtype=np.int64)
    b_to_union = np.empty(nb, dtype=np.int64)
    n_chunks = max(1, min(max_chunks, na // 4096))
    a_cuts = np.empty(n_chunks + 1, dtype=np.int64)
    b_cuts = np.empty(n_chunks + 1, dtype=np.int64)
    for c in range(n_chunks + 1):
        a_cuts[c] = c * na // n_chunks
    b_cuts[0], b_cuts[n_chunks] = 0, nb
    for c in prange(1, n_chunks):
        lo, hi = 0, nb  # the first b slice >= a[a_cuts[c]]
        while lo < hi:
            mid = (lo + hi) // 2
            if compare_slices(b, b_starts[mid], b_ends[mid], a, a_starts[a_cuts[c]], a_ends[a_cuts[c]]) < 0:
                lo = mid + 1
            else:
                hi = mid
        b_cuts[c] = lo
    sizes = np.empty(n_chunks, dtype=np.int64)
    for c in prange(n_chunks):
        sizes[c] = _merge_range(
            a, a_starts, a_ends, a_cuts[c], a_cuts[c + 1], b, b_starts, b_ends, b_cuts[c], b_cuts[c + 1],
            a_to_union, b_to_union,
        )
    offsets = np.zeros(n_chunks + 1, dtype=np.int64)
    for c in range(n_chunks):
        offsets[c + 1] = offsets[c] + sizes[c]
    for c in prange(n_chunks):
        for i in range(a_cuts[c], a_cuts[c + 1]):
            a_to_union[i] += offsets[c]
        for j in range(b_cuts[c], b_cuts[c + 1]):
            b_to_union[j] += offsets[c]
    return a_to_union, b_to_union, offsets[n_chunks]


@kernel
def first_slice_with_blank(data, starts, ends):
    """Index of the first slice holding an ASCII blank (C ``isspace``), or -1.

    Multi-byte UTF-8 sequences never contain bytes below 0x80, so a byte test is exact.
    """
    for r in range(starts.size):
        for j in range(starts[r], ends[r]):
            c = data[j]
            if c == 32 or 9 <= c <= 13:
                return r
    return -1


@kernel
def all_slices_equal(a, a_starts, a_ends, b, b_starts, b_ends):
    """Whether two equally long slice lists hold the same bytes, slice by slice."""
    for i in range(a_starts.size):
        if compare_slices(a, a_starts[i], a_ends[i], b, b_starts[i], b_ends[i]) != 0:
            return False
    return True


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


@kernel(parallel=True)
def split_separated(data, count, separator):
    """Bounds of the ``count`` fields of ``data`` separated by single ``separator`` bytes.

    Returns ``(starts, ends, ok)``; ``ok`` is False (and the bounds meaningless) if ``data``
    holds another number of separators than ``count - 1`` or a field is empty.
    """
    n = data.size
    n_chunks = max(1, min(64, n >> 16))
    bounds = np.empty(n_chunks + 1, dtype=np.int64)
    for c in range(n_chunks + 1):
        bounds[c] = c * n // n_chunks
    found = np.zeros(n_chunks, dtype=np.int64)
    for c in prange(n_chunks):
        k = 0
        for i in range(bounds[c], bounds[c + 1]):
            k += data[i] == separator
        found[c] = k
    starts = np.empty(count, dtype=np.int64)
    ends = np.empty(count, dtype=np.int64)
    if count == 0 or found.sum() != count - 1:
        return starts, ends, False
    first = np.zeros(n_chunks, dtype=np.int64)
    for c in range(1, n_chunks):
        first[c] = first[c - 1] + found[c - 1]
    starts[0] = 0
    ends[count - 1] = n
    for c in prange(n_chunks):
        k = first[c]
        for i in range(bounds[c], bounds[c + 1]):
            if data[i] == separator:
                ends[k] = i
                starts[k + 1] = i + 1
                k += 1
    empty = np.zeros(n_chunks, dtype=np.bool_)
    for c in prange(n_chunks):
        lo, hi = c * count // n_chunks, (c + 1) * count // n_chunks
        for r in range(lo, hi):
            if ends[r] == starts[r]:
                empty[c] = True
                break
    return starts, ends, not empty.any()


@kernel(parallel=True)
def run_heads(data, starts, ends):
    """``heads[i]``: slice ``i`` starts a run of equal slices (it differs from slice ``i - 1``)."""
    n = starts.size
    heads = np.empty(n, dtype=np.bool_)
    for i in prange(n):
        if i == 0:
            heads[i] = True
        else:
            heads[i] = compare_slices(data, starts[i - 1], ends[i - 1], data, starts[i], ends[i]) != 0
    return heads


@kernel
def expand_runs(heads, head_codes):
    """The code of every slice from the codes of the run heads (``heads`` as :func:`run_heads`)."""
    codes = np.empty(heads.size, dtype=np.int64)
    k = -1
    for i in range(heads.size):
        k += heads[i]
        codes[i] = head_codes[k]
    return codes
