"""Correctly rounded decimal -> binary64 conversion for up to 19 significant digits, in numba.

A decimal ``w * 10**e`` with ``w < 2**64`` and ``|e| <= 19`` is converted exactly, using 128-bit
integer arithmetic built from uint64 halves:

- ``e >= 0``: ``w * 10**e`` is an integer below 2**128; it is rounded to 53 bits, ties to even.
- ``e < 0``: a first guess ``float(w) / 10**-e`` is within a couple of ulps; it is then checked
  against the exact midpoints to its neighbours (``w * 2**(1-k)`` vs ``(2m +- 1) * 10**-e`` for
  the guess ``m * 2**k``) and moved by one ulp until the true value lies between them.

Anything else (more digits, larger exponents) is left to the caller's slow path.
"""

from __future__ import annotations

import math

import numpy as np

from rank_core.jit import kernel

MAX_EXPONENT = 19
_POW10 = np.array([10**i for i in range(MAX_EXPONENT + 1)], dtype=np.uint64)
_MASK32 = np.uint64(0xFFFFFFFF)
_ZERO = np.uint64(0)
_ONE = np.uint64(1)
_TWO_POW_52 = np.uint64(1 << 52)


@kernel
def _mul(a, b):
    """Full 128-bit product of two uint64: ``(hi, lo)``."""
    a_lo, a_hi = a & _MASK32, a >> np.uint64(32)
    b_lo, b_hi = b & _MASK32, b >> np.uint64(32)
    p0, p1, p2, p3 = a_lo * b_lo, a_lo * b_hi, a_hi * b_lo, a_hi * b_hi
    mid = (p0 >> np.uint64(32)) + (p1 & _MASK32) + (p2 & _MASK32)
    lo = (p0 & _MASK32) | (mid << np.uint64(32))
    hi = p3 + (p1 >> np.uint64(32)) + (p2 >> np.uint64(32)) + (mid >> np.uint64(32))
    return hi, lo


@kernel
def _shl(hi, lo, s):
    """``(hi, lo) << s`` for ``0 <= s < 128`` (bits shifted past 128 are lost)."""
    if s == 0:
        return hi, lo
    if s >= 64:
        return lo << np.uint64(s - 64), _ZERO
    return (hi << np.uint64(s)) | (lo >> np.uint64(64 - s)), lo << np.uint64(s)


@kernel
def _cmp(a_hi, a_lo, b_hi, b_lo):
    if a_hi != b_hi:
        return -1 if a_hi < b_hi else 1
    if a_lo != b_lo:
        return -1 if a_lo < b_lo else 1
    return 0


@kernel
def _bit_length(x):
    n = 0
    while x:
        x >>= _ONE
        n += 1
    return n


@kernel
def _round_u128(hi, lo):
    """The double nearest to the integer ``hi * 2**64 + lo`` (ties to even)."""
    length = _bit_length(hi) + 64 if hi else _bit_length(lo)
    if length <= 53:
        return float(lo)
    shift = length - 53  # keep the top 53 bits in m, compare the dropped ones with half an ulp
    if shift >= 64:
        m = hi >> np.uint64(shift - 64)
        rest_hi, rest_lo = hi & ((_ONE << np.uint64(shift - 64)) - _ONE), lo
    else:
        m = (hi << np.uint64(64 - shift)) | (lo >> np.uint64(shift))
        rest_hi, rest_lo = _ZERO, lo & ((_ONE << np.uint64(shift)) - _ONE)
    half_hi, half_lo = _shl(_ZERO, _ONE, shift - 1)
    c = _cmp(rest_hi, rest_lo, half_hi, half_lo)
    if c > 0 or (c == 0 and m & _ONE):
        m += _ONE
    return math.ldexp(float(m), shift)  # m may have become 2**53: still exact


@kernel
def _compare_with_midpoint(w, d, m, k, upper):
    """Sign of ``w / 10**d - midpoint``, the midpoint lying between ``m * 2**k`` and a neighbour.

    ``upper`` picks the neighbour above. Below a power of two (``m == 2**52``) the previous
    double is only half an ulp away, so the lower midpoint is a quarter ulp away.
    Compares ``w * 2**s`` with ``numerator * 10**d`` exactly in 128 bits.
    """
    if upper:
        numerator, s = np.uint64(2) * m + _ONE, 1 - k
    elif m == _TWO_POW_52:
        numerator, s = np.uint64(4) * m - _ONE, 2 - k
    else:
        numerator, s = np.uint64(2) * m - _ONE, 1 - k
    b_hi, b_lo = _mul(numerator, _POW10[d])
    if s >= 0:
        a_hi, a_lo = _shl(_ZERO, w, s)
    else:
        a_hi, a_lo = _ZERO, w
        b_hi, b_lo = _shl(b_hi, b_lo, -s)
    return _cmp(a_hi, a_lo, b_hi, b_lo)


@kernel
def decimal_to_double(w, e):
    """Correctly rounded ``w * 10**e`` for ``w < 2**64`` and ``|e| <= MAX_EXPONENT``.

    Returns ``(value, exact)``; ``exact`` is False only if the correction did not settle, which
    would send the caller to its slow path rather than return a wrong number.
    """
    if w == _ZERO:
        return 0.0, True
    if e >= 0:
        hi, lo = _mul(w, _POW10[e])
        return _round_u128(hi, lo), True
    d = -e
    x = float(w) / float(_POW10[d])
    for _ in range(4):
        fraction, exponent = math.frexp(x)
        m = np.uint64(math.ldexp(fraction, 53))
        k = exponent - 53
        below = _compare_with_midpoint(w, d, m, k, False)
        if below < 0 or (below == 0 and m & _ONE):
            x = np.nextafter(x, -np.inf)
            continue
        above = _compare_with_midpoint(w, d, m, k, True)
        if above > 0 or (above == 0 and m & _ONE):
            x = np.nextafter(x, np.inf)
            continue
        return x, True
    return x, False
