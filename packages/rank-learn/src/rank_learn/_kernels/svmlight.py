"""Byte-level svmlight / LETOR parsing kernels (arrays in, arrays out).

A data line is ``label [qid:Q] index:value ... [# comment]``; tokens are separated by any run of
blanks (C's ``isspace`` minus the newline). A ``#`` anywhere starts a comment that runs to the end
of the line; a line that is blank or starts with ``#`` holds no row.

The three layers (DESIGN.md section 5):

- :func:`parse_chunk`: the serial kernel, one piece of the file (whole lines) from its first
  line to its last, writing its rows and feature entries from given offsets and stopping at the
  first bad token with a status code (called directly, over the whole file sized by
  :func:`count_lines`, for small files or one thread);
- :func:`parse_chunks`: the batch kernel, ``prange`` over the pieces of :func:`plan_chunks`,
  each writing only its own slots of the output arrays (then :func:`scatter_dense`, whose
  one-thread twin :func:`scatter_dense_serial` serves the small files);
- ``rank_learn.data.load_svmlight``: the wrapper, which reads the file, allocates, calls these,
  turns status codes into :class:`~rank_core.errors.ParseError` and assembles the result.

Numbers go through rank-core's correctly rounded :func:`~rank_core._kernels.trec.parse_decimal`.
The few tokens it leaves to a slow path (more than 19 significant digits, exponents beyond
10**+-19 outside Clinger's fast path) are flagged per row and finished in Python with ``float``
(see :func:`slow_tokens`); ``nan``/``inf`` words are recognised here. Values are kept as
float64 here, and the fast path never yields a value beyond float32's range (at most 19 digits
times 10**19, or 2**53 times 10**22, both below 3.4e38): only a slow-path number can overflow a
float32 output, and Python checks those.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from rank_core._kernels.trec import (
    NUMBER_INVALID,
    NUMBER_NEEDS_SLOW_PATH,
    _line_chunks,
    parse_decimal,
)
from rank_learn._jit import kernel

# Status codes of a chunk (shared with rank_learn.data, which words the messages).
OK = 0
MISSING_LABEL = 1  # the line starts with an index:value or qid: token
BAD_LABEL = 2  # the label is not a number
LABEL_NOT_FINITE = 3  # nan / inf label
BAD_QID = 4  # qid:x
MISPLACED_QID = 5  # qid: after a feature
MIXED_QID = 6  # this line has (or lacks) qid: unlike the chunk's first line
NO_COLON = 7  # a feature token without ':'
MISSING_INDEX = 8  # ':5'
BAD_INDEX = 9  # 'a:5', '+3:5', '1.5:2'
NEGATIVE_INDEX = 10  # '-1:5'
INDEX_TOO_LARGE = 11  # more than 18 digits
MISSING_VALUE = 12  # '3:'
BAD_VALUE = 13  # '3:abc'
VALUE_INFINITE = 14  # '3:inf'
DUPLICATE_INDEX = 15  # '3:1 3:2'
UNSORTED_INDEX = 16  # '5:1 3:2'

# Fields of a chunk's ``info`` row.
N_ROWS = 0  # data lines written
N_ENTRIES = 1  # index:value entries written
MAX_INDEX = 2  # largest feature index (-1: none)
MAX_INDEX_LINE = 3  # first line holding it
ZERO_INDEX_LINE = 4  # first line holding index 0 (0: none)
QID_MODE = 5  # whether the chunk's first data line has qid: (1), has none (0), no data line (-1)
N_SLOW_ROWS = 6  # rows with a token for Python's float()
STATUS = 7
STATUS_LINE = 8
TOKEN_START = 9  # the offending token's bytes
TOKEN_END = 10
AUX = 11  # UNSORTED_INDEX: the previous index
N_INFO = 12

_NEWLINE = 10
_HASH = 35
_COLON = 58
_MINUS = 45
_PLUS = 43

# Byte classes: one table lookup per byte.
_ORDINARY, _BLANK, _END_OF_LINE, _COMMENT = 0, 1, 2, 3
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)
_BYTE_CLASS[[32, 9, 11, 12, 13]] = _BLANK  # isspace() minus the newline
_BYTE_CLASS[_NEWLINE] = _END_OF_LINE
_BYTE_CLASS[_HASH] = _COMMENT
_QID = np.array([ord(c) for c in "qid:"], dtype=np.uint8)
_MAX_DIGITS = 18  # every 18-digit integer fits an int64
INTEGER_OK, NOT_AN_INTEGER, NEGATIVE, TOO_LONG = 0, 1, 2, 3


@kernel
def _skip_blanks(buf, i, hi):
    while i < hi and _BYTE_CLASS[buf[i]] == _BLANK:
        i += 1
    return i


@kernel
def _scan_token(buf, i, hi):
    """``(end, colon)``: the end of the token starting at ``i`` and its first ``:`` (-1: none)."""
    colon = -1
    while i < hi and _BYTE_CLASS[buf[i]] == _ORDINARY:
        if colon < 0 and buf[i] == _COLON:
            colon = i
        i += 1
    return i, colon


@kernel
def _line_end(buf, i, hi):
    """The position of the newline ending the line holding ``i`` (or ``hi``)."""
    while i < hi and buf[i] != _NEWLINE:
        i += 1
    return i


@kernel
def _is_qid(buf, start, end):
    if end - start < 4:
        return False
    for j in range(4):
        if buf[start + j] != _QID[j]:
            return False
    return True


@kernel
def _parse_integer(buf, start, end, signed):
    """``[+-]digits`` (``+`` only when ``signed``) of at most 18 digits: ``(value, status)``.

    Status: ``INTEGER_OK``, ``NOT_AN_INTEGER``, ``NEGATIVE`` (a ``-`` when not ``signed``) or
    ``TOO_LONG``.
    """
    i = start
    negative = False
    if i < end and buf[i] == _MINUS:
        negative = True
        i += 1
    elif signed and i < end and buf[i] == _PLUS:
        i += 1
    if i == end:
        return 0, NOT_AN_INTEGER
    value = 0
    for j in range(i, end):
        c = buf[j]
        if c < 48 or c > 57:
            return 0, NOT_AN_INTEGER
        if j - i < _MAX_DIGITS:
            value = value * 10 + (c - 48)
    if negative and not signed:
        return 0, NEGATIVE
    if end - i > _MAX_DIGITS:
        return 0, TOO_LONG
    return (-value if negative else value), INTEGER_OK


@kernel
def _lower(c):
    return c + 32 if 65 <= c <= 90 else c


@kernel
def _special_value(buf, start, end):
    """``(found, value)`` for ``[+-]nan``, ``[+-]inf`` and ``[+-]infinity`` (any case)."""
    i = start
    negative = False
    if i < end and (buf[i] == _MINUS or buf[i] == _PLUS):
        negative = buf[i] == _MINUS
        i += 1
    n = end - i
    if n == 3:
        a, b, c = _lower(buf[i]), _lower(buf[i + 1]), _lower(buf[i + 2])
        if a == 110 and b == 97 and c == 110:  # nan
            return True, np.nan
        if a == 105 and b == 110 and c == 102:  # inf
            return True, -np.inf if negative else np.inf
        return False, 0.0
    if n == 8:
        word = (105, 110, 102, 105, 110, 105, 116, 121)  # infinity
        for j in range(8):
            if _lower(buf[i + j]) != word[j]:
                return False, 0.0
        return True, -np.inf if negative else np.inf
    return False, 0.0


@kernel
def _stop(info, status, line, start, end, aux):
    info[STATUS] = status
    info[STATUS_LINE] = line
    info[TOKEN_START] = start
    info[TOKEN_END] = end
    info[AUX] = aux


@kernel
def parse_chunk(
    buf,
    lo,
    hi,
    line,
    row,
    k,
    labels,
    qids,
    lines,
    offsets,
    row_starts,
    row_ends,
    comment_starts,
    comment_ends,
    slow,
    indices,
    values,
    info,
):
    """Parse the whole lines of ``buf[lo:hi]`` (``line``: the 1-based number of its first line).

    Rows are written from slot ``row`` of the per-row arrays and entries from slot ``k`` of
    ``indices``/``values`` (float64). Row ``r`` has entries
    ``row_starts[r]:row_ends[r]``, its 1-based line number in ``lines`` and its byte offset in
    ``offsets``; ``comment_starts[r]`` is -1 without a comment; ``slow[r]`` flags a token left to
    Python (its value is stored as NaN until then). The counts, the chunk's facts and its first
    error go to ``info`` (fields ``N_ROWS`` ... ``AUX``); parsing stops at the first error.
    """
    row0 = row
    k0 = k
    max_index = -1
    max_index_line = zero_index_line = n_slow = 0
    qid_mode = -1
    _stop(info, OK, 0, 0, 0, 0)
    line -= 1
    i = lo
    while i < hi:
        line += 1
        line_start = i
        i = _skip_blanks(buf, i, hi)
        if i >= hi:
            break
        kind = _BYTE_CLASS[buf[i]]
        if kind == _END_OF_LINE:
            i += 1
            continue
        if kind == _COMMENT:
            i = _line_end(buf, i, hi) + 1
            continue
        # the label
        start = i
        i, colon = _scan_token(buf, i, hi)
        if colon >= 0:
            _stop(info, MISSING_LABEL, line, start, i, 0)
            break
        label, status = parse_decimal(buf, start, i)
        row_slow = False
        if status == NUMBER_INVALID:
            _stop(info, BAD_LABEL, line, start, i, 0)
            break
        if status == NUMBER_NEEDS_SLOW_PATH:
            special, label = _special_value(buf, start, i)
            if special:
                _stop(info, LABEL_NOT_FINITE, line, start, i, 0)
                break
            row_slow = True
            label = np.nan
        # qid and features
        first = True
        has_qid = False
        qid = 0
        previous = -1
        entries_start = k
        comment_start = comment_end = -1
        failed = False
        while True:
            i = _skip_blanks(buf, i, hi)
            if i >= hi:
                break
            kind = _BYTE_CLASS[buf[i]]
            if kind == _END_OF_LINE:
                break
            if kind == _COMMENT:
                end = _line_end(buf, i, hi)
                comment_start = _skip_blanks(buf, i + 1, end)
                comment_end = end
                while comment_end > comment_start and _BYTE_CLASS[buf[comment_end - 1]] == _BLANK:
                    comment_end -= 1
                i = end
                break
            start = i
            i, colon = _scan_token(buf, i, hi)
            if _is_qid(buf, start, i):
                if not first:
                    _stop(info, MISPLACED_QID, line, start, i, 0)
                    failed = True
                    break
                qid, status = _parse_integer(buf, start + 4, i, True)
                if status != INTEGER_OK:
                    _stop(info, BAD_QID, line, start, i, 0)
                    failed = True
                    break
                has_qid = True
                first = False
                continue
            first = False
            if colon < 0:
                _stop(info, NO_COLON, line, start, i, 0)
                failed = True
                break
            if colon == start:
                _stop(info, MISSING_INDEX, line, start, i, 0)
                failed = True
                break
            index, status = _parse_integer(buf, start, colon, False)
            if status != INTEGER_OK:
                code = (
                    BAD_INDEX
                    if status == NOT_AN_INTEGER
                    else NEGATIVE_INDEX
                    if status == NEGATIVE
                    else INDEX_TOO_LARGE
                )
                _stop(info, code, line, start, i, 0)
                failed = True
                break
            if colon + 1 == i:
                _stop(info, MISSING_VALUE, line, start, i, 0)
                failed = True
                break
            if index <= previous:
                code = DUPLICATE_INDEX if index == previous else UNSORTED_INDEX
                _stop(info, code, line, start, i, previous)
                failed = True
                break
            value, status = parse_decimal(buf, colon + 1, i)
            if status == NUMBER_INVALID:
                _stop(info, BAD_VALUE, line, start, i, 0)
                failed = True
                break
            token_slow = False
            if status == NUMBER_NEEDS_SLOW_PATH:
                special, value = _special_value(buf, colon + 1, i)
                if special and math.isinf(value):
                    _stop(info, VALUE_INFINITE, line, start, i, 0)
                    failed = True
                    break
                if not special:
                    token_slow = True
                    value = np.nan
            indices[k] = index
            values[k] = value
            row_slow = row_slow or token_slow
            if index == 0 and zero_index_line == 0:
                zero_index_line = line
            if index > max_index:
                max_index = index
                max_index_line = line
            previous = index
            k += 1
        if failed:
            break
        mode = 1 if has_qid else 0
        if qid_mode == -1:
            qid_mode = mode
        elif mode != qid_mode:
            _stop(info, MIXED_QID, line, line_start, line_start, 0)
            break
        i += 1  # past the newline
        labels[row] = label
        qids[row] = qid
        lines[row] = line
        offsets[row] = line_start
        row_starts[row] = entries_start
        row_ends[row] = k
        comment_starts[row] = comment_start
        comment_ends[row] = comment_end
        slow[row] = row_slow
        n_slow += row_slow
        row += 1
    info[N_ROWS] = row - row0
    info[N_ENTRIES] = k - k0
    info[MAX_INDEX] = max_index
    info[MAX_INDEX_LINE] = max_index_line
    info[ZERO_INDEX_LINE] = zero_index_line
    info[QID_MODE] = qid_mode
    info[N_SLOW_ROWS] = n_slow


@kernel
def count_lines(buf):
    """``(lines, colons)`` in ``buf``: the sizes :func:`plan_chunks` gives a file read as one
    piece (a last line without its newline counts)."""
    lines = 0
    colons = 0
    for j in range(buf.size):
        lines += buf[j] == _NEWLINE
        colons += buf[j] == _COLON
    if buf.size and buf[buf.size - 1] != _NEWLINE:
        lines += 1
    return lines, colons


@kernel(parallel=True)
def plan_chunks(buf, n_chunks):
    """Cut ``buf`` into pieces of whole lines (rank-core's line chunking) and bound their sizes.

    Returns ``(bounds, first_lines, total_lines, entry_starts)``: piece ``c`` is
    ``buf[bounds[c]:bounds[c + 1]]`` starting at line ``first_lines[c]``; it holds at most
    ``first_lines[c + 1] - first_lines[c]`` rows and writes its entries from
    ``entry_starts[c]`` (every entry holds a ``:``, so the colons bound the entries), the last
    item being the total bound.
    """
    bounds, first_lines, total = _line_chunks(buf, n_chunks)
    n = bounds.size - 1
    entry_starts = np.zeros(n + 1, dtype=np.int64)
    for c in prange(n):
        count = 0
        for j in range(bounds[c], bounds[c + 1]):
            count += buf[j] == _COLON
        entry_starts[c + 1] = count
    for c in range(n):
        entry_starts[c + 1] += entry_starts[c]
    return bounds, first_lines, total, entry_starts


@kernel(parallel=True)
def parse_chunks(
    buf,
    bounds,
    first_lines,
    entry_starts,
    labels,
    qids,
    lines,
    offsets,
    row_starts,
    row_ends,
    comment_starts,
    comment_ends,
    slow,
    indices,
    values,
):
    """:func:`parse_chunk` over every piece of :func:`plan_chunks`, in parallel.

    Piece ``c`` writes rows from slot ``first_lines[c] - 1`` and entries from
    ``entry_starts[c]``; returns ``info`` (one row of fields per piece).
    """
    n = bounds.size - 1
    info = np.zeros((n, N_INFO), dtype=np.int64)
    for c in prange(n):
        parse_chunk(
            buf,
            bounds[c],
            bounds[c + 1],
            first_lines[c],
            first_lines[c] - 1,
            entry_starts[c],
            labels,
            qids,
            lines,
            offsets,
            row_starts,
            row_ends,
            comment_starts,
            comment_ends,
            slow,
            indices,
            values,
            info[c],
        )
    return info


@kernel
def _scatter_row(r, row_starts, row_ends, indices, values, offset, out):
    for k in range(row_starts[r], row_ends[r]):
        out[r, indices[k] - offset] = values[k]


@kernel(parallel=True)
def scatter_dense(row_starts, row_ends, indices, values, offset, out):
    """``out[r, indices[k] - offset] = values[k]`` for the entries ``k`` of every row ``r``."""
    for r in prange(row_starts.size):
        _scatter_row(r, row_starts, row_ends, indices, values, offset, out)


@kernel
def scatter_dense_serial(row_starts, row_ends, indices, values, offset, out):
    """:func:`scatter_dense` on one thread (no parallel launch, for small inputs)."""
    for r in range(row_starts.size):
        _scatter_row(r, row_starts, row_ends, indices, values, offset, out)


@kernel
def slow_tokens(buf, offsets):
    """The tokens of the lines starting at ``offsets`` that need Python's ``float``.

    Returns ``(rows, positions, starts, ends)``: token ``t`` is in line ``rows[t]`` (an index
    into ``offsets``) and is its label (``positions[t] == -1``) or the value of its
    ``positions[t]``-th entry; ``buf[starts[t]:ends[t]]`` is the number's text. The lines are
    the rows :func:`parse_chunk` flagged (already checked).
    """
    n = 0
    rows = np.empty(0, dtype=np.int64)
    positions, starts, ends = rows.copy(), rows.copy(), rows.copy()
    for step in range(2):
        if step == 1:
            rows = np.empty(n, dtype=np.int64)
            positions, starts, ends = rows.copy(), rows.copy(), rows.copy()
        t = 0
        for r in range(offsets.size):
            hi = buf.size
            i = _skip_blanks(buf, offsets[r], hi)
            position = -1
            while i < hi and _BYTE_CLASS[buf[i]] == _ORDINARY:
                start = i
                i, colon = _scan_token(buf, i, hi)
                number = start if position == -1 else colon + 1
                if position == -1 or not _is_qid(buf, start, i):
                    _, status = parse_decimal(buf, number, i)
                    if status == NUMBER_NEEDS_SLOW_PATH and not _special_value(buf, number, i)[0]:
                        if step == 1:
                            rows[t], positions[t], starts[t], ends[t] = r, position, number, i
                        t += 1
                    position += 1
                i = _skip_blanks(buf, i, hi)
        n = t
    return rows, positions, starts, ends
