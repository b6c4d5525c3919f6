"""Byte-level TREC parsing kernels: line/field splitting, number parsing.

Whitespace is what C's ``isspace`` accepts (space, \\t, \\n, \\v, \\f, \\r), as in trec_eval.
A line whose first non-blank byte is ``#`` is a comment; blank lines are skipped.
"""

from __future__ import annotations

import numpy as np
from numba import prange

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
# Powers of ten that are exact in binary64 (10**22 is the largest).
_EXACT_POWERS_OF_TEN = np.array([10.0**i for i in range(23)])


@kernel
def _is_blank(c):
    # isspace() minus the newline, which ends a line
    return c == 32 or c == 9 or c == 13 or c == 11 or c == 12


@kernel
def split_fields(buf, n_fields, max_fields):
    """Split data lines into whitespace-separated fields.

    Keeps the first ``n_fields`` fields of each data line; a line with fewer is an error, and so
    is one with more than ``max_fields`` (``max_fields == 0`` ignores extra fields, as trec_eval
    does after a run's tag). Returns ``(starts, ends, lines, status, status_line, fields_seen)``
    where ``lines`` holds the 1-based physical line number of each kept row.
    """
    n = buf.size
    max_rows = 1
    for i in range(n):
        if buf[i] == _NEWLINE:
            max_rows += 1
    starts = np.empty((max_rows, n_fields), dtype=np.int64)
    ends = np.empty((max_rows, n_fields), dtype=np.int64)
    lines = np.empty(max_rows, dtype=np.int64)
    rows = 0
    line = 0
    i = 0
    while i < n:
        line += 1
        while i < n and _is_blank(buf[i]):
            i += 1
        if i < n and buf[i] == _HASH:
            while i < n and buf[i] != _NEWLINE:
                if buf[i] == 0:
                    return starts[:rows], ends[:rows], lines[:rows], NUL_BYTE, line, 0
                i += 1
            i += 1
            continue
        fields = 0
        while i < n and buf[i] != _NEWLINE:
            c = buf[i]
            if _is_blank(c):
                i += 1
                continue
            start = i
            while i < n and buf[i] != _NEWLINE and not _is_blank(buf[i]):
                if buf[i] == 0:
                    return starts[:rows], ends[:rows], lines[:rows], NUL_BYTE, line, fields
                i += 1
            if fields < n_fields:
                starts[rows, fields] = start
                ends[rows, fields] = i
            fields += 1
        i += 1  # past the newline
        if fields == 0:
            continue  # blank line
        if fields < n_fields:
            return starts[:rows], ends[:rows], lines[:rows], TOO_FEW_FIELDS, line, fields
        if max_fields > 0 and fields > max_fields:
            return starts[:rows], ends[:rows], lines[:rows], TOO_MANY_FIELDS, line, fields
        lines[rows] = line
        rows += 1
    return starts[:rows], ends[:rows], lines[:rows], OK, 0, 0


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
def parse_decimal(buf, start, end):
    """Parse one decimal float; returns ``(value, status)``.

    Grammar: ``[+-] (digits [. digits] | . digits) [(e|E) [+-] digits]`` or ``inf``/``nan``.
    Values with at most 15 significant digits and a power of ten within 10**+-22 are computed
    exactly (one correctly rounded IEEE operation on exact operands, Clinger's fast path);
    everything else is flagged for the caller's correctly rounded slow path.
    """
    i = start
    negative = False
    if i < end and (buf[i] == 43 or buf[i] == 45):
        negative = buf[i] == 45
        i += 1
    after_sign = i
    mantissa = 0
    digits = 0
    exponent = 0
    inexact = False
    seen_digit = False
    while i < end and 48 <= buf[i] <= 57:
        seen_digit = True
        d = buf[i] - 48
        if digits < 18:
            if mantissa != 0 or d != 0:
                mantissa = mantissa * 10 + d
                digits += 1
        else:
            exponent += 1
            inexact = inexact or d != 0
        i += 1
    if i < end and buf[i] == 46:
        i += 1
        while i < end and 48 <= buf[i] <= 57:
            seen_digit = True
            d = buf[i] - 48
            if digits < 18:
                if mantissa != 0 or d != 0:
                    mantissa = mantissa * 10 + d
                    digits += 1
                exponent -= 1
            else:
                inexact = inexact or d != 0
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
    if inexact or digits > 15 or exponent < -22 or exponent > 22:
        return 0.0, NUMBER_NEEDS_SLOW_PATH
    value = float(mantissa)
    if exponent >= 0:
        value = value * _EXACT_POWERS_OF_TEN[exponent]
    else:
        value = value / _EXACT_POWERS_OF_TEN[-exponent]
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
