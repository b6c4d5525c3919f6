"""Paired significance tests over every (system pair, metric) of a comparison.

Every batch kernel takes ``diffs``, a float64 array of shape ``(n_pairs, n_metrics, n_queries)``
holding the per-query differences ``x_a[q] - x_b[q]`` of each compared pair, and returns one value
per ``(pair, metric)``. Sums run in query order without fastmath, so a pure-Python loop that
adds the same numbers in the same order gets the same bits.

Randomised tests draw from a counter-based stream instead of a stateful generator: the ``k``-th
64-bit word of trial ``t`` of pair ``p`` is ::

    key  = splitmix64(splitmix64(splitmix64(seed) ^ p) ^ t)
    word = splitmix64(key ^ k)

where ``splitmix64(x)`` is one output of Vigna's SplitMix64 generator whose state was ``x``
(add the golden gamma ``0x9E3779B97F4A7C15``, then the two xor-shift-multiply rounds of its
finaliser; all arithmetic modulo 2**64). Any trial can thus be generated on its own, so the
kernels split the trials between threads freely and the result does not depend on the number of
threads or on scheduling. A pair's draws are shared by all its metrics (the test of each metric
on its own is unaffected; the metrics of one pair see the same resampled queries).
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from rank_eval._jit import kernel

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_S27 = np.uint64(27)
_S30 = np.uint64(30)
_S31 = np.uint64(31)
_S32 = np.uint64(32)
_ONE = np.uint64(1)
_LOW_6_BITS = np.uint64(63)

#: Sums within this fraction of the total absolute mass count as ties (rounding noise).
TIE_TOLERANCE = 1e-10
#: Largest number of non-zero differences for which the exact Wilcoxon distribution is used.
WILCOXON_EXACT_LIMIT = 50

_HALF_LOG_2PI = 0.9189385332046728  # log(2 pi) / 2
_CF_EPSILON = 1e-30
_CF_TINY = 1e-150
_CF_MAX_ITERATIONS = 10_000


# ---------------------------------------------------------------------------- counter-based stream


@kernel
def splitmix64(x):
    """SplitMix64's output for state ``x`` (a ``uint64``)."""
    z = x + _GOLDEN_GAMMA
    z = (z ^ (z >> _S30)) * _MIX_1
    z = (z ^ (z >> _S27)) * _MIX_2
    return z ^ (z >> _S31)


@kernel
def trial_key(seed, pair, trial):
    """The key of one trial's stream; ``splitmix64(key ^ k)`` is its ``k``-th word."""
    return splitmix64(splitmix64(splitmix64(np.uint64(seed)) ^ np.uint64(pair)) ^ np.uint64(trial))


@kernel
def _split(trials, chunks, chunk):
    """Trials ``[start, stop)`` of one of ``chunks`` equal chunks."""
    return chunk * trials // chunks, (chunk + 1) * trials // chunks


# ---------------------------------------------------------------------------- randomised tests


@kernel
def observed_sums(diffs):
    """``(sum, sum of |d|)`` over the queries of every (pair, metric), added in query order."""
    n_pairs, n_metrics, n = diffs.shape
    sums = np.zeros((n_pairs, n_metrics))
    mass = np.zeros((n_pairs, n_metrics))
    for p in range(n_pairs):
        for m in range(n_metrics):
            s = 0.0
            a = 0.0
            for q in range(n):
                s += diffs[p, m, q]
                a += abs(diffs[p, m, q])
            sums[p, m] = s
            mass[p, m] = a
    return sums, mass


@kernel(parallel=True)
def sign_flip_counts(diffs, trials, seed, chunks):
    """Paired randomisation (Fisher sign-flip) test: trials at least as extreme as observed.

    Trial ``t`` of pair ``p`` flips the sign of query ``q``'s difference when bit ``q % 64`` of
    word ``q // 64`` of its stream is set, and counts when ``|sum of signed d| >= |sum of d| -
    TIE_TOLERANCE * sum of |d|``. Returns int64 counts of shape ``(n_pairs, n_metrics)``. The
    trials of each pair are cut into ``chunks`` chunks, one parallel task each.
    """
    n_pairs, n_metrics, n = diffs.shape
    sums, mass = observed_sums(diffs)
    n_words = (n + 63) // 64
    partial = np.zeros((n_pairs * chunks, n_metrics), dtype=np.int64)
    for task in prange(n_pairs * chunks):
        p = task // chunks
        start, stop = _split(trials, chunks, task % chunks)
        words = np.empty(n_words, dtype=np.uint64)
        for t in range(start, stop):
            key = trial_key(seed, p, t)
            for w in range(n_words):
                words[w] = splitmix64(key ^ np.uint64(w))
            for m in range(n_metrics):
                s = 0.0
                for q in range(n):
                    if (words[q >> 6] >> (np.uint64(q) & _LOW_6_BITS)) & _ONE:
                        s -= diffs[p, m, q]
                    else:
                        s += diffs[p, m, q]
                if abs(s) >= abs(sums[p, m]) - TIE_TOLERANCE * mass[p, m]:
                    partial[task, m] += 1
    counts = np.zeros((n_pairs, n_metrics), dtype=np.int64)
    for task in range(n_pairs * chunks):
        counts[task // chunks] += partial[task]
    return counts


@kernel(parallel=True)
def bootstrap_means(diffs, trials, seed, chunks):
    """Mean difference over each bootstrap resample of the queries: shape ``(n_pairs, n_metrics, trials)``.

    Trial ``t`` of pair ``p`` draws ``n`` queries with replacement; draw ``k`` is query
    ``((word_k >> 32) * n) >> 32`` (integer arithmetic), and the resample's differences are
    added in draw order and divided by ``n``.
    """
    n_pairs, n_metrics, n = diffs.shape
    means = np.empty((n_pairs, n_metrics, trials))
    n_unsigned = np.uint64(n)
    for task in prange(n_pairs * chunks):
        p = task // chunks
        start, stop = _split(trials, chunks, task % chunks)
        drawn = np.empty(n, dtype=np.int64)
        for t in range(start, stop):
            key = trial_key(seed, p, t)
            for k in range(n):
                drawn[k] = np.int64(((splitmix64(key ^ np.uint64(k)) >> _S32) * n_unsigned) >> _S32)
            for m in range(n_metrics):
                s = 0.0
                for k in range(n):
                    s += diffs[p, m, drawn[k]]
                means[p, m, t] = s / n
    return means


# ---------------------------------------------------------------------------- special functions


@kernel
def _stirling_remainder(x):
    """``lgamma(x) - ((x - 1/2) log x - x + log(2 pi) / 2)`` for ``x >= 10`` (Stirling series)."""
    r = 1.0 / x
    r2 = r * r
    return r * (
        1.0 / 12.0 + r2 * (-1.0 / 360.0 + r2 * (1.0 / 1260.0 + r2 * (-1.0 / 1680.0 + r2 * (
            1.0 / 1188.0 + r2 * (-691.0 / 360360.0 + r2 * (1.0 / 156.0 + r2 * (-3617.0 / 122400.0)))))))
    )


@kernel
def log_beta(a, b):
    """``log B(a, b)``; for a large argument, ``lgamma(big) - lgamma(big + small)`` is taken from
    Stirling's series so that the two large log-gammas do not cancel."""
    small = min(a, b)
    big = max(a, b)
    if big < 10.0:
        return math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    difference = (
        -(big - 0.5) * math.log1p(small / big) - small * math.log(big + small) + small
        + _stirling_remainder(big) - _stirling_remainder(big + small)
    )
    return math.lgamma(small) + difference


# Double-double arithmetic (a value is ``hi + lo`` with ``|lo| <= ulp(hi) / 2``): the continued
# fraction below loses about log10(a) digits to cancellation in plain float64 when ``a`` is large
# and ``x`` is near the switch point (a relative error near 1e-12 at 10,000 queries); carrying
# about 32 digits through it keeps the p-value to float64 accuracy at any number of queries.
_SPLITTER = 134217729.0  # 2**27 + 1


@kernel
def _two_sum(a, b):
    s = a + b
    v = s - a
    return s, (a - (s - v)) + (b - v)


@kernel
def _quick_two_sum(a, b):
    s = a + b
    return s, b - (s - a)


@kernel
def _dekker_split(a):
    t = _SPLITTER * a
    hi = t - (t - a)
    return hi, a - hi


@kernel
def _two_product(a, b):
    p = a * b
    a_hi, a_lo = _dekker_split(a)
    b_hi, b_lo = _dekker_split(b)
    return p, ((a_hi * b_hi - p) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo


@kernel
def _dd_add(a_hi, a_lo, b_hi, b_lo):
    s, e = _two_sum(a_hi, b_hi)
    t, f = _two_sum(a_lo, b_lo)
    e += t
    s, e = _quick_two_sum(s, e)
    e += f
    return _quick_two_sum(s, e)


@kernel
def _dd_mul(a_hi, a_lo, b_hi, b_lo):
    p, e = _two_product(a_hi, b_hi)
    e += a_hi * b_lo + a_lo * b_hi
    return _quick_two_sum(p, e)


@kernel
def _dd_div(a_hi, a_lo, b_hi, b_lo):
    q1 = a_hi / b_hi
    p_hi, p_lo = _dd_mul(b_hi, b_lo, q1, 0.0)
    r_hi, r_lo = _dd_add(a_hi, a_lo, -p_hi, -p_lo)
    q2 = r_hi / b_hi
    p_hi, p_lo = _dd_mul(b_hi, b_lo, q2, 0.0)
    r_hi, r_lo = _dd_add(r_hi, r_lo, -p_hi, -p_lo)
    q3 = r_hi / b_hi
    q1, q2 = _quick_two_sum(q1, q2)
    return _dd_add(q1, q2, q3, 0.0)


@kernel
def _dd_guard(hi, lo):
    """Lentz's guard against a zero denominator."""
    if abs(hi) < _CF_TINY:
        return _CF_TINY, 0.0
    return hi, lo


@kernel
def _dd_lentz_step(numerator_hi, numerator_lo, c_hi, c_lo, d_hi, d_lo):
    """One step of the modified Lentz recurrence: ``d = 1 / (1 + n d)``, ``c = 1 + n / c``."""
    t_hi, t_lo = _dd_mul(numerator_hi, numerator_lo, d_hi, d_lo)
    d_hi, d_lo = _dd_guard(*_dd_add(1.0, 0.0, t_hi, t_lo))
    d_hi, d_lo = _dd_div(1.0, 0.0, d_hi, d_lo)
    t_hi, t_lo = _dd_div(numerator_hi, numerator_lo, c_hi, c_lo)
    c_hi, c_lo = _dd_guard(*_dd_add(1.0, 0.0, t_hi, t_lo))
    step_hi, step_lo = _dd_mul(c_hi, c_lo, d_hi, d_lo)
    return c_hi, c_lo, d_hi, d_lo, step_hi, step_lo


@kernel
def _dd_ratio(p, q, r, s, x):
    """``p q x / (r s)`` in double-double."""
    top_hi, top_lo = _two_product(p, q)
    top_hi, top_lo = _dd_mul(top_hi, top_lo, x, 0.0)
    bottom_hi, bottom_lo = _two_product(r, s)
    return _dd_div(top_hi, top_lo, bottom_hi, bottom_lo)


@kernel
def _beta_continued_fraction(a, b, x, y):
    """The continued fraction of ``I_x(a, b)`` (DLMF 8.17.22, modified Lentz, double-double),
    ``y = 1 - x``; converges fast for ``x < (a + 1) / (a + b + 2)``."""
    # first denominator 1 - (a + b) x / (a + 1), from whichever of x and y is the accurate one
    if x <= 0.5:
        t_hi, t_lo = _two_product(a + b, x)
        t_hi, t_lo = _dd_add(a + 1.0, 0.0, -t_hi, -t_lo)
    else:  # (1 - b + (a + b) y): no cancellation for x near 1
        t_hi, t_lo = _two_product(a + b, y)
        t_hi, t_lo = _dd_add(t_hi, t_lo, *_two_sum(1.0, -b))
    d_hi, d_lo = _dd_guard(*_dd_div(t_hi, t_lo, a + 1.0, 0.0))
    d_hi, d_lo = _dd_div(1.0, 0.0, d_hi, d_lo)
    c_hi, c_lo = 1.0, 0.0
    h_hi, h_lo = d_hi, d_lo
    for i in range(1, _CF_MAX_ITERATIONS + 1):
        m = float(i)
        # even step: m (b - m) x / ((a + 2m - 1)(a + 2m))
        n_hi, n_lo = _dd_ratio(m, b - m, a + 2.0 * m - 1.0, a + 2.0 * m, x)
        c_hi, c_lo, d_hi, d_lo, s_hi, s_lo = _dd_lentz_step(n_hi, n_lo, c_hi, c_lo, d_hi, d_lo)
        h_hi, h_lo = _dd_mul(h_hi, h_lo, s_hi, s_lo)
        # odd step: -(a + m)(a + b + m) x / ((a + 2m)(a + 2m + 1))
        n_hi, n_lo = _dd_ratio(a + m, a + b + m, a + 2.0 * m, a + 2.0 * m + 1.0, x)
        c_hi, c_lo, d_hi, d_lo, s_hi, s_lo = _dd_lentz_step(-n_hi, -n_lo, c_hi, c_lo, d_hi, d_lo)
        h_hi, h_lo = _dd_mul(h_hi, h_lo, s_hi, s_lo)
        if abs(s_hi - 1.0) + abs(s_lo) < _CF_EPSILON:
            break
    return h_hi + h_lo


@kernel
def _log_of(x, one_minus_x):
    """``log x`` from whichever of ``x`` and ``1 - x`` is the more accurate."""
    return math.log1p(-one_minus_x) if one_minus_x < 0.5 else math.log(x)


@kernel
def incomplete_beta(a, b, x, y):
    """Regularised incomplete beta ``I_x(a, b)`` with ``y = 1 - x`` given separately (no cancellation)."""
    if x <= 0.0:
        return 0.0
    if y <= 0.0:
        return 1.0
    if x < (a + 1.0) / (a + b + 2.0):
        log_front = a * _log_of(x, y) + b * _log_of(y, x) - log_beta(a, b)
        return math.exp(log_front) * _beta_continued_fraction(a, b, x, y) / a
    log_front = b * _log_of(y, x) + a * _log_of(x, y) - log_beta(a, b)
    return 1.0 - math.exp(log_front) * _beta_continued_fraction(b, a, y, x) / b


@kernel
def student_t_two_sided(t, df):
    """``P(|T| >= |t|)`` for Student's t with ``df`` degrees of freedom: ``I_{df/(df+t^2)}(df/2, 1/2)``."""
    if math.isnan(t):
        return math.nan
    t2 = t * t
    if math.isinf(t2):
        return 0.0
    return incomplete_beta(0.5 * df, 0.5, df / (df + t2), t2 / (df + t2))


@kernel
def student_t_critical(alpha, df):
    """The ``t >= 0`` with ``student_t_two_sided(t, df) == alpha`` (bisection to the last bit)."""
    if alpha >= 1.0:
        return 0.0
    low = 0.0
    high = 1.0
    while student_t_two_sided(high, df) > alpha:
        low = high
        high *= 2.0
    for _ in range(2000):
        middle = 0.5 * (low + high)
        if middle <= low or middle >= high:
            break
        if student_t_two_sided(middle, df) > alpha:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


# ---------------------------------------------------------------------------- classical tests


@kernel
def _mean_and_sd(d):
    """Mean and sample standard deviation (n - 1) of one row, in query order; sd is exactly 0
    when every value is the same."""
    n = d.size
    s = 0.0
    for q in range(n):
        s += d[q]
    mean = s / n
    constant = True
    for q in range(1, n):
        if d[q] != d[0]:
            constant = False
            break
    if constant:
        return d[0], 0.0
    squares = 0.0
    for q in range(n):
        squares += (d[q] - mean) * (d[q] - mean)
    return mean, math.sqrt(squares / (n - 1))


@kernel(parallel=True)
def paired_t(diffs):
    """Paired two-sided Student t-test: ``(mean, sd, t, p)`` arrays of shape ``(n_pairs, n_metrics)``.

    ``t = mean / (sd / sqrt(n))`` with ``n - 1`` degrees of freedom. All differences equal: ``t``
    is 0 and ``p`` 1 when they are 0, else ``t = +-inf`` and ``p = 0``.
    """
    n_pairs, n_metrics, n = diffs.shape
    means = np.empty((n_pairs, n_metrics))
    sds = np.empty((n_pairs, n_metrics))
    ts = np.empty((n_pairs, n_metrics))
    ps = np.empty((n_pairs, n_metrics))
    for row in prange(n_pairs * n_metrics):
        p, m = row // n_metrics, row % n_metrics
        mean, sd = _mean_and_sd(diffs[p, m])
        means[p, m] = mean
        sds[p, m] = sd
        if sd == 0.0:
            ts[p, m] = 0.0 if mean == 0.0 else math.copysign(math.inf, mean)
            ps[p, m] = 1.0 if mean == 0.0 else 0.0
        else:
            t = mean / (sd / math.sqrt(n))
            ts[p, m] = t
            ps[p, m] = student_t_two_sided(t, float(n - 1))
    return means, sds, ts, ps


@kernel
def _signed_rank_counts(n):
    """``counts[s]``: subsets of the ranks ``1..n`` summing to ``s`` (exact null of W+)."""
    total = n * (n + 1) // 2
    counts = np.zeros(total + 1, dtype=np.int64)
    counts[0] = 1
    reach = 0
    for r in range(1, n + 1):
        for s in range(reach, -1, -1):
            counts[s + r] += counts[s]
        reach += r
    return counts


@kernel
def wilcoxon_one(d):
    """Wilcoxon signed-rank test of one row of differences: ``(statistic, p, exact)``.

    Zero differences are dropped (Wilcoxon's method); the remaining ``n`` absolute differences
    get average ranks on ties; ``W+`` is the rank sum of the positive ones and the statistic is
    ``min(W+, W-)``. With ``n <= WILCOXON_EXACT_LIMIT`` and no ties, ``p = min(1, 2 min(P(W <=
    W+), P(W >= W+)))`` under the exact null distribution; otherwise the normal approximation
    ``z = (W+ - n(n+1)/4) / sqrt((n(n+1)(2n+1) - sum(t^3 - t)/2) / 24)`` (t: tie group sizes),
    without continuity correction, ``p = erfc(|z| / sqrt 2)``. No non-zero difference: 0, 1.
    """
    nonzero = 0
    for q in range(d.size):
        if d[q] != 0.0:
            nonzero += 1
    if nonzero == 0:
        return 0.0, 1.0, True
    values = np.empty(nonzero)
    k = 0
    for q in range(d.size):
        if d[q] != 0.0:
            values[k] = d[q]
            k += 1
    magnitudes = np.abs(values)
    order = np.argsort(magnitudes, kind="mergesort")
    n = nonzero
    w_plus = 0.0
    ties = 0.0
    start = 0
    while start < n:
        stop = start + 1
        while stop < n and magnitudes[order[stop]] == magnitudes[order[start]]:
            stop += 1
        size = stop - start
        rank = 0.5 * (start + 1 + stop)  # average of ranks start+1 .. stop
        for i in range(start, stop):
            if values[order[i]] > 0.0:
                w_plus += rank
        ties += float(size) * size * size - size
        start = stop
    total = 0.5 * n * (n + 1)
    statistic = min(w_plus, total - w_plus)
    if ties == 0.0 and n <= WILCOXON_EXACT_LIMIT:
        counts = _signed_rank_counts(n)
        observed = np.int64(w_plus)
        below = 0
        for s in range(observed + 1):
            below += counts[s]
        above = 0
        for s in range(observed, counts.size):
            above += counts[s]
        p = 2.0 * min(below, above) / 2.0**n
        return statistic, min(1.0, p), True
    expected = 0.25 * n * (n + 1)
    spread = math.sqrt((n * (n + 1.0) * (2.0 * n + 1.0) - 0.5 * ties) / 24.0)
    z = (w_plus - expected) / spread
    return statistic, math.erfc(abs(z) / math.sqrt(2.0)), False


@kernel(parallel=True)
def wilcoxon(diffs):
    """:func:`wilcoxon_one` for every (pair, metric): ``(statistic, p, exact)`` arrays."""
    n_pairs, n_metrics, _ = diffs.shape
    statistics = np.empty((n_pairs, n_metrics))
    ps = np.empty((n_pairs, n_metrics))
    exact = np.empty((n_pairs, n_metrics), dtype=np.bool_)
    for row in prange(n_pairs * n_metrics):
        p, m = row // n_metrics, row % n_metrics
        statistic, value, is_exact = wilcoxon_one(diffs[p, m])
        statistics[p, m] = statistic
        ps[p, m] = value
        exact[p, m] = is_exact
    return statistics, ps, exact
