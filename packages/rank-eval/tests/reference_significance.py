"""Slow pure-Python oracles for rank_eval.compare's randomised tests and p-value corrections.

Written from the documented definitions only (README "Comparing systems" and the docstring of
rank_eval._kernels.significance), with Python integers and floats: no numpy, no numba.

The random stream: SplitMix64 (Vigna) gives, for a 64-bit state ``x``, the output
``mix(x + 0x9E3779B97F4A7C15)`` where ``mix`` xor-shifts by 30, multiplies by
``0xBF58476D1CE4E5B9``, xor-shifts by 27, multiplies by ``0x94D049BB133111EB`` and xor-shifts by
31, all modulo 2**64. Word ``k`` of trial ``t`` of pair ``p`` is
``sm(sm(sm(sm(seed) ^ p) ^ t) ^ k)``.
"""

from __future__ import annotations

import itertools

MASK = (1 << 64) - 1


def sm(state: int) -> int:
    z = (state + 0x9E3779B97F4A7C15) & MASK
    z ^= z >> 30
    z = (z * 0xBF58476D1CE4E5B9) & MASK
    z ^= z >> 27
    z = (z * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def stream_word(seed: int, pair: int, trial: int, k: int) -> int:
    return sm(sm(sm(sm(seed) ^ pair) ^ trial) ^ k)


def fisher_p_value(diffs: list[float], *, trials: int, seed: int, pair: int) -> float:
    """Sign-flip randomisation test: query q's sign flips when bit q % 64 of word q // 64 is set;
    a trial counts when |signed sum| >= |sum| - 1e-10 * sum |d|; p = (count + 1) / (trials + 1)."""
    observed = 0.0
    mass = 0.0
    for d in diffs:
        observed += d
        mass += abs(d)
    count = 0
    for trial in range(trials):
        total = 0.0
        for q, d in enumerate(diffs):
            word = stream_word(seed, pair, trial, q // 64)
            flipped = (word >> (q % 64)) & 1
            total = total - d if flipped else total + d
        if abs(total) >= abs(observed) - 1e-10 * mass:
            count += 1
    return (count + 1) / (trials + 1)


def bootstrap_means(diffs: list[float], *, trials: int, seed: int, pair: int) -> list[float]:
    """Mean of each resample: draw k picks query ((word_k >> 32) * n) >> 32."""
    n = len(diffs)
    means = []
    for trial in range(trials):
        total = 0.0
        for k in range(n):
            pick = ((stream_word(seed, pair, trial, k) >> 32) * n) >> 32
            total += diffs[pick]
        means.append(total / n)
    return means


def bootstrap_p_value(diffs: list[float], means: list[float]) -> float:
    """Shifted bootstrap: a resample counts when |mean* - mean| >= |mean| - 1e-10 * mean |d|."""
    n = len(diffs)
    total = 0.0
    mass = 0.0
    for d in diffs:
        total += d
        mass += abs(d)
    observed = total / n
    count = sum(1 for m in means if abs(m - observed) >= abs(observed) - 1e-10 * mass / n)
    return (count + 1) / (len(means) + 1)


def percentile(values: list[float], fraction: float) -> float:
    """Linear-interpolation percentile (numpy's default): position fraction * (n - 1) of the sorted values."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# ---------------------------------------------------------------------- corrections, brute force
#
# An adjusted p-value is the smallest significance level at which the procedure rejects that
# hypothesis. Each procedure is run at every level where its decisions can change, and the
# smallest level rejecting each hypothesis is kept.


def _bonferroni_rejects(p: list[float], level: float) -> set[int]:
    return {i for i, v in enumerate(p) if v * len(p) <= level}


def _holm_rejects(p: list[float], level: float) -> set[int]:
    """Step-down: walk up the sorted p-values while the k-th (1-based) is <= level / (m - k + 1)."""
    m = len(p)
    rejected: set[int] = set()
    for k, i in enumerate(sorted(range(m), key=lambda i: p[i]), start=1):
        if p[i] * (m - k + 1) <= level:
            rejected.add(i)
        else:
            break
    return rejected


def _bh_rejects(p: list[float], level: float) -> set[int]:
    """Step-up: find the largest k with the k-th smallest p <= k level / m; reject the k smallest."""
    m = len(p)
    order = sorted(range(m), key=lambda i: p[i])
    largest = 0
    for k, i in enumerate(order, start=1):
        if p[i] * m / k <= level:
            largest = k
    return set(order[:largest])


_PROCEDURES = {"bonferroni": _bonferroni_rejects, "holm": _holm_rejects, "bh": _bh_rejects}


def adjusted_p_values(p: list[float], method: str) -> list[float]:
    m = len(p)
    candidates = {1.0}
    for v, k in itertools.product(p, range(1, m + 1)):
        candidates.update({min(1.0, v * k), min(1.0, v * m / k)})
    rejects = _PROCEDURES[method]
    adjusted = [1.0] * m
    for level in sorted(candidates, reverse=True):
        for i in rejects(p, level):
            adjusted[i] = level
    return adjusted
