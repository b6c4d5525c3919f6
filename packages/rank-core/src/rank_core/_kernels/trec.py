"""Byte-level TREC parsing kernels: line/field splitting, number parsing.

Whitespace is what C's ``isspace`` accepts (space, \\t, \\n, \\v, \\f, \\r), as in trec_eval.
A line whose first non-blank byte is ``#`` is a comment; blank lines are skipped.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_core._kernels.decimal import MAX_EXPONENT, decimal_to_double
from rank_core.jit import kernel

# Status codes shared with rank_core.io_trec.
OK = 0
TOO_FEW_FIELDS = 1
TOO_MANY_FIELDS = 2
NUL_BYTE = 3

NUMBER_OK = 0
NUMBER_NEEDS_SLOW_PATH = 1
NUMBER_INVALID = 2

_NEWLINE = 10
_HASH = 35
# Mantissas up to this are exact in binary64.
_TWO_POW_53 = np.uint64(2**53)
# Powers of ten that are exact in binary64 (10**22 is the largest).
_EXACT_POWERS_OF_TEN = np.array([10.0**i for i in range(23)])


# Byte classes for the splitter: one table lookup per byte instead of a chain of comparisons.
_ORDINARY, _BLANK, _END_OF_LINE, _NUL = 0, 1, 2, 3
_BYTE_CLASS = np.zeros(256, dtype=np.uint8)
_BYTE_CLASS[[32, 9, 13, 11, 12]] = _BLANK  # isspace() minus the newline, which ends a line
_BYTE_CLASS[_NEWLINE] = _END_OF_LINE
_BYTE_CLASS[0] = _NUL


@kernel
def _split_chunk(buf, lo, hi, first_line, n_fields, max_fields, column_of_field, starts, ends, lines, row0):
    """Split the lines of ``buf[lo:hi]`` (``hi`` ends a line) into fields, writing rows from ``row0``.

    Field ``f`` of a data line is stored in column ``column_of_field[f]`` (-1: not kept).
    Returns ``(rows_written, status, status_line, fields_seen)``.
    """
    rows = row0
    line = first_line - 1
    i = lo
    while i < hi:
        line += 1
        while i < hi and _BYTE_CLASS[buf[i]] == _BLANK:
            i += 1
        if i < hi and buf[i] == _HASH:
            while i < hi and buf[i] != _NEWLINE:
                if buf[i] == 0:
                    return rows - row0, NUL_BYTE, line, 0
                i += 1
            i += 1
            continue
        fields = 0
        while i < hi:
            kind = _BYTE_CLASS[buf[i]]
            if kind == _END_OF_LINE:
                break
            if kind == _BLANK:
                i += 1
                continue
            start = i
            while i < hi and _BYTE_CLASS[buf[i]] == _ORDINARY:
                i += 1
            if i < hi and _BYTE_CLASS[buf[i]] == _NUL:
                return rows - row0, NUL_BYTE, line, fields
            if fields < n_fields and column_of_field[fields] >= 0:
                starts[column_of_field[fields], rows] = start
                ends[column_of_field[fields], rows] = i
            fields += 1
        i += 1  # past the newline
        if fields == 0:
            continue  # blank line
        if fields < n_fields:
            return rows - row0, TOO_FEW_FIELDS, line, fields
        if max_fields > 0 and fields > max_fields:
            return rows - row0, TOO_MANY_FIELDS, line, fields
        lines[rows] = line
        rows += 1
    return rows - row0, OK, 0, 0


@kernel(parallel=True)
def _line_chunks(buf, n_chunks):
    """Cut ``buf`` into about ``n_chunks`` pieces at line ends (fewer for small buffers).

    Returns ``(bounds, first_lines, total)``: chunk ``c`` is ``buf[bounds[c]:bounds[c + 1]]``, its
    first line is physical line ``first_lines[c]`` (1-based), and the buffer holds ``total`` lines.
    """
    n = buf.size
    n_chunks = max(1, min(n_chunks, n >> 20))  # chunks of >= 1 MiB
    bounds = np.empty(n_chunks + 1, dtype=np.int64)
    bounds[0] = 0
    bounds[n_chunks] = n
    for c in range(1, n_chunks):
        b = max(bounds[c - 1], c * n // n_chunks)
        while b < n and buf[b - 1] != _NEWLINE:
            b += 1
        bounds[c] = b
    line_counts = np.zeros(n_chunks, dtype=np.int64)
    for c in prange(n_chunks):
        count = 0
        for i in range(bounds[c], bounds[c + 1]):
            count += buf[i] == _NEWLINE
        if bounds[c + 1] > bounds[c] and buf[bounds[c + 1] - 1] != _NEWLINE:
            count += 1  # a last line without its newline
        line_counts[c] = count
    first_lines = np.empty(n_chunks, dtype=np.int64)
    first_lines[0] = 1
    for c in range(1, n_chunks):
        first_lines[c] = first_lines[c - 1] + line_counts[c - 1]
    return bounds, first_lines, first_lines[n_chunks - 1] - 1 + line_counts[n_chunks - 1]


@kernel(parallel=True)
def split_fields(buf, n_fields, max_fields, columns, n_chunks):
    """Split data lines into whitespace-separated fields, in parallel over chunks of lines.

    A data line needs at least ``n_fields`` fields and at most ``max_fields`` (``0``: extra
    fields are ignored, as trec_eval does after a run's tag); fields ``columns`` are kept. The
    buffer is cut into about ``n_chunks`` pieces at line ends (fewer for small buffers).
    Returns ``(starts, ends, lines, status, status_line, fields_seen)``: ``starts[k, r]`` and
    ``ends[k, r]`` bound kept field ``k`` of data line ``r``, whose 1-based physical line number
    is ``lines[r]``; on error, the status of the first bad line (rows are then meaningless).
    """
    column_of_field = np.full(n_fields, -1, dtype=np.int64)
    for c in range(columns.size):
        column_of_field[columns[c]] = c
    bounds, first_lines, total = _line_chunks(buf, n_chunks)
    n_chunks = bounds.size - 1
    starts = np.empty((columns.size, total), dtype=np.int64)  # one row per kept field
    ends = np.empty((columns.size, total), dtype=np.int64)
    lines = np.empty(total, dtype=np.int64)
    written = np.zeros(n_chunks, dtype=np.int64)
    status = np.zeros(n_chunks, dtype=np.int64)
    status_line = np.zeros(n_chunks, dtype=np.int64)
    seen = np.zeros(n_chunks, dtype=np.int64)
    for c in prange(n_chunks):
        written[c], status[c], status_line[c], seen[c] = _split_chunk(
            buf, bounds[c], bounds[c + 1], first_lines[c], n_fields, max_fields,
            column_of_field, starts, ends, lines, first_lines[c] - 1,
        )
    for c in range(n_chunks):  # chunks are in file order: the first failing one has the first bad line
        if status[c] != OK:
            return starts[:, :0], ends[:, :0], lines[:0], status[c], status_line[c], seen[c]
    if written.sum() == total:  # no blank or comment line: rows are already contiguous
        return starts, ends, lines, OK, 0, 0
    keep = np.empty(written.sum(), dtype=np.int64)
    k = 0
    for c in range(n_chunks):
        for r in range(first_lines[c] - 1, first_lines[c] - 1 + written[c]):
            keep[k] = r
            k += 1
    return starts[:, keep], ends[:, keep], lines[keep], OK, 0, 0


@kernel
def _lower(c):
    return c + 32 if 65 <= c <= 90 else c


@kernel
def _is_special_word(buf, start, end):
    """``inf``, ``infinity`` or ``nan`` (any case), after an optional sign."""
    length = end - start
    if length == 3:
        a, b, c = _lower(buf[start]), _lower(buf[start + 1]), _lower(buf[start + 2])
        return (a == 105 and b == 110 and c == 102) or (a == 110 and b == 97 and c == 110)
    if length == 8:
        word = (105, 110, 102, 105, 110, 105, 116, 121)  # "infinity"
        for k in range(8):
            if _lower(buf[start + k]) != word[k]:
                return False
        return True
    return False


@kernel
def _append_digit(mantissa, digits, d):
    """Append decimal digit ``d`` while 19 digits fit a uint64: ``(mantissa, digits, kept)``.

    Leading zeros are kept without counting as significant digits.
    """
    if digits >= 19:
        return mantissa, digits, False
    if mantissa != 0 or d != 0:
        return mantissa * np.uint64(10) + np.uint64(d), digits + 1, True
    return mantissa, digits, True


@kernel
def parse_decimal(buf, start, end):
    """Parse one decimal float; returns ``(value, status)``.

    Grammar: ``[+-] (digits [. digits] | . digits) [(e|E) [+-] digits]`` or ``inf``/``nan``.
    A mantissa up to 2**53 (every 15-digit one, most 16-digit ones) with a power of ten within
    10**+-22 takes Clinger's fast path (one correctly rounded IEEE operation on exact operands);
    up to 19 digits with a power of ten within 10**+-19 go through the exact 128-bit conversion
    of :mod:`.decimal`; everything else (more digits, larger exponents, inf/nan) is flagged for
    the caller's slow path.
    """
    i = start
    negative = False
    if i < end and (buf[i] == 43 or buf[i] == 45):
        negative = buf[i] == 45
        i += 1
    after_sign = i
    mantissa = np.uint64(0)
    digits = 0
    exponent = 0
    inexact = False
    seen_digit = False
    while i < end and 48 <= buf[i] <= 57:
        seen_digit = True
        mantissa, digits, kept = _append_digit(mantissa, digits, buf[i] - 48)
        if not kept:  # past 19 digits the integer part still scales the value
            exponent += 1
            inexact = inexact or buf[i] != 48
        i += 1
    if i < end and buf[i] == 46:
        i += 1
        while i < end and 48 <= buf[i] <= 57:
            seen_digit = True
            mantissa, digits, kept = _append_digit(mantissa, digits, buf[i] - 48)
            if kept:
                exponent -= 1
            else:
                inexact = inexact or buf[i] != 48
            i += 1
    if not seen_digit:
        if i == after_sign and _is_special_word(buf, i, end):
            return 0.0, NUMBER_NEEDS_SLOW_PATH
        return 0.0, NUMBER_INVALID
    if i < end and (buf[i] == 101 or buf[i] == 69):
        i += 1
        exponent_negative = False
        if i < end and (buf[i] == 43 or buf[i] == 45):
            exponent_negative = buf[i] == 45
            i += 1
        if i >= end or not (48 <= buf[i] <= 57):
            return 0.0, NUMBER_INVALID
        written = 0
        while i < end and 48 <= buf[i] <= 57:
            if written < 100000:
                written = written * 10 + (buf[i] - 48)
            i += 1
        exponent += -written if exponent_negative else written
    if i != end:
        return 0.0, NUMBER_INVALID
    if mantissa == 0:
        return (-0.0 if negative else 0.0), NUMBER_OK
    if inexact:
        return 0.0, NUMBER_NEEDS_SLOW_PATH
    if mantissa <= _TWO_POW_53 and -22 <= exponent <= 22:
        value = float(mantissa)
        if exponent >= 0:
            value = value * _EXACT_POWERS_OF_TEN[exponent]
        else:
            value = value / _EXACT_POWERS_OF_TEN[-exponent]
    elif -MAX_EXPONENT <= exponent <= MAX_EXPONENT:
        value, exact = decimal_to_double(mantissa, exponent)
        if not exact:
            return 0.0, NUMBER_NEEDS_SLOW_PATH
    else:
        return 0.0, NUMBER_NEEDS_SLOW_PATH
    return (-value if negative else value), NUMBER_OK


@kernel(parallel=True)
def parse_floats(buf, starts, ends):
    """Parse one float per slice; ``status`` flags slices for the slow path or as invalid."""
    n = starts.size
    values = np.empty(n, dtype=np.float64)
    status = np.empty(n, dtype=np.int8)
    for r in prange(n):
        values[r], status[r] = parse_decimal(buf, starts[r], ends[r])
    return values, status


@kernel(parallel=True)
def parse_ints(buf, starts, ends):
    """Parse ``[+-]digits`` (at most 18 digits) per slice; ``valid`` is False where it is not one."""
    n = starts.size
    values = np.zeros(n, dtype=np.int64)
    valid = np.ones(n, dtype=np.bool_)
    for r in prange(n):
        i = starts[r]
        end = ends[r]
        negative = False
        if buf[i] == 43 or buf[i] == 45:
            negative = buf[i] == 45
            i += 1
        if i == end or end - i > 18:
            valid[r] = False
            continue
        value = 0
        while i < end:
            c = buf[i]
            if c < 48 or c > 57:
                valid[r] = False
                break
            value = value * 10 + (c - 48)
            i += 1
        values[r] = -value if negative else value
    return values, valid


@kernel
def _run_chunk(buf, lo, hi, row0, doc_starts, doc_ends, scores, slow, heads, head_starts, head_ends):
    """The data lines of ``buf[lo:hi]`` of a run file, written from row ``row0``: the docno
    bounds and parsed score of each (``slow``: the score needs Python's parser), and the rows
    where the query id differs from the line before (heads, also written from ``row0``; a
    chunk's first row is always one).

    Returns ``(rows, n_heads, ok, tag_start, tag_end)``, the tag being the last line's. ``ok``
    is False at the first line :func:`split_fields` would reject (too few fields, a NUL byte) or
    whose score :func:`parse_decimal` finds invalid.
    """
    rows = row0
    n_heads = row0
    query_start = query_end = tag_start = tag_end = -1
    i = lo
    while i < hi:
        while i < hi and _BYTE_CLASS[buf[i]] == _BLANK:
            i += 1
        if i < hi and buf[i] == _HASH:
            while i < hi and buf[i] != _NEWLINE:
                if buf[i] == 0:
                    return rows - row0, n_heads - row0, False, tag_start, tag_end
                i += 1
            i += 1
            continue
        fields = 0
        q0 = q1 = d0 = d1 = s0 = s1 = t0 = t1 = 0
        while i < hi:
            kind = _BYTE_CLASS[buf[i]]
            if kind == _END_OF_LINE:
                break
            if kind == _BLANK:
                i += 1
                continue
            start = i
            while i < hi and _BYTE_CLASS[buf[i]] == _ORDINARY:
                i += 1
            if i < hi and _BYTE_CLASS[buf[i]] == _NUL:
                return rows - row0, n_heads - row0, False, tag_start, tag_end
            if fields == 0:
                q0, q1 = start, i
            elif fields == 2:
                d0, d1 = start, i
            elif fields == 4:
                s0, s1 = start, i
            elif fields == 5:
                t0, t1 = start, i
            fields += 1
        i += 1  # past the newline
        if fields == 0:
            continue  # blank line
        if fields < 6:
            return rows - row0, n_heads - row0, False, tag_start, tag_end
        score, status = parse_decimal(buf, s0, s1)
        if status == NUMBER_INVALID:
            return rows - row0, n_heads - row0, False, tag_start, tag_end
        doc_starts[rows], doc_ends[rows] = d0, d1
        scores[rows] = score
        slow[rows] = status == NUMBER_NEEDS_SLOW_PATH
        same = q1 - q0 == query_end - query_start
        k = 0
        while same and k < q1 - q0:
            same = buf[q0 + k] == buf[query_start + k]
            k += 1
        if not same:
            heads[n_heads], head_starts[n_heads], head_ends[n_heads] = rows, q0, q1
            n_heads += 1
        query_start, query_end, tag_start, tag_end = q0, q1, t0, t1
        rows += 1
    return rows - row0, n_heads - row0, True, tag_start, tag_end


@kernel(parallel=True)
def split_run_lines(buf, n_chunks):
    """Split and parse the data lines of a run file (``qid iter docno rank score tag``) in one pass.

    Keeps per line only the docno's bounds and the score, and the query id where it changes
    (files list a query's lines together): ``(doc_starts, doc_ends, scores, slow, heads,
    head_starts, head_ends, tag_start, tag_end, ok)``; query id ``h`` covers the rows from
    ``heads[h]`` to the next head; ``slow`` flags the scores to parse again with Python (see
    :func:`score_field`). ``ok`` is False if a line is malformed or a score is not a number
    (the general reader then reports it).
    """
    bounds, first_lines, total = _line_chunks(buf, n_chunks)
    n_chunks = bounds.size - 1
    doc_starts = np.empty(total, dtype=np.int64)
    doc_ends = np.empty(total, dtype=np.int64)
    scores = np.empty(total, dtype=np.float64)
    slow = np.empty(total, dtype=np.bool_)
    heads = np.empty(total, dtype=np.int64)  # few are written: untouched pages cost nothing
    head_starts = np.empty(total, dtype=np.int64)
    head_ends = np.empty(total, dtype=np.int64)
    rows = np.zeros(n_chunks, dtype=np.int64)
    n_heads = np.zeros(n_chunks, dtype=np.int64)
    ok = np.zeros(n_chunks, dtype=np.bool_)
    tags = np.full((n_chunks, 2), -1, dtype=np.int64)
    for c in prange(n_chunks):
        rows[c], n_heads[c], ok[c], tags[c, 0], tags[c, 1] = _run_chunk(
            buf, bounds[c], bounds[c + 1], first_lines[c] - 1, doc_starts, doc_ends, scores, slow,
            heads, head_starts, head_ends,
        )
    tag_start = tag_end = -1
    for c in range(n_chunks):
        if rows[c] > 0:
            tag_start, tag_end = tags[c, 0], tags[c, 1]
    n_rows = rows.sum()
    if not ok.all() or n_rows == 0:
        none = doc_starts[:0]
        return none, none, scores[:0], slow[:0], none, none, none, tag_start, tag_end, False
    # chunk c wrote its rows and heads from first_lines[c] - 1: move them together
    keep_heads = np.empty(n_heads.sum(), dtype=np.int64)
    row = head = 0
    for c in range(n_chunks):
        offset = first_lines[c] - 1
        for h in range(n_heads[c]):
            keep_heads[head] = offset + h
            heads[offset + h] += row - offset  # rows renumbered once moved together
            head += 1
        row += rows[c]
    if n_rows < total:  # blank or comment lines left gaps
        keep = np.empty(n_rows, dtype=np.int64)
        row = 0
        for c in range(n_chunks):
            for r in range(rows[c]):
                keep[row] = first_lines[c] - 1 + r
                row += 1
        doc_starts, doc_ends, scores, slow = doc_starts[keep], doc_ends[keep], scores[keep], slow[keep]
    return (doc_starts, doc_ends, scores, slow, heads[keep_heads], head_starts[keep_heads],
            head_ends[keep_heads], tag_start, tag_end, True)


@kernel
def score_field(buf, doc_end):
    """``(start, end)`` of the score of the run line whose docno ends at ``doc_end``: the field
    after the next one (``docno rank score``)."""
    i = start = doc_end
    for _ in range(2):
        while i < buf.size and _BYTE_CLASS[buf[i]] == _BLANK:
            i += 1
        start = i
        while i < buf.size and _BYTE_CLASS[buf[i]] == _ORDINARY:
            i += 1
    return start, i
