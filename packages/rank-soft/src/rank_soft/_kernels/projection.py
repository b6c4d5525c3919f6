"""Projections onto the permutahedron by pool-adjacent-violators (Blondel et al., ICML 2020).

Every row is solved in the same three steps: sort (descending), one decreasing isotonic
regression in O(n) by PAV, un-sort. The isotonic regression is the dual of the projection:

- quadratic ("l2"): ``v = argmin_{v_1 >= ... >= v_n} 1/2 ||v - (s - w)||^2``, whose block value
  is ``mean(s_B) - mean(w_B)``;
- entropic ("kl"): ``v = argmin_{v_1 >= ... >= v_n} <exp(s - v), 1> + <exp(w), v>``, whose block
  value is ``logsumexp(s_B) - logsumexp(w_B)`` (kept as two log-sum-exps, so no exponential of
  an input is ever formed and any input scale is safe).

The primal solution is ``s - v``, written ``(s_i - mean_s) + mean_w`` per block (``mean`` is the
log-sum-exp for "kl"), which is exact for singleton blocks and avoids the cancellation of
``s_i - (s_i - w_i)`` when ``s`` is large (small epsilon).

Each forward also records, per sorted position, the end of its block and, for "kl", its weight
in the block's derivative (``softmax`` over the differentiated side of the block; "l2"'s is
``1/|B|``, not stored), so that every VJP and JVP is one O(n) pass (the Jacobian of the primal
with respect to the differentiated side is block-diagonal: ``I - 1 weights^T`` per block). The
permutation and block ends are int32 and "l2" keeps no weights: on large batches the time goes
to the kernel's page faults on fresh memory as much as to the arithmetic.

All arithmetic is in float64 whatever the input dtype; outputs are stored in the caller's
(float32 or float64) dtype. Each batch operation is a serial kernel over a
range of rows (``_*_range``) and a parallel one over ``n_chunks`` contiguous ranges
(``_*_chunks``); :func:`run` picks one (``rank_soft.soft`` decides the chunk count). Every row is
solved independently, so results do not depend on the thread count.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from rank_soft._jit import kernel

_NO_SIDE = 0  # L2: uniform block weights
_S_SIDE = 1  # KL, differentiate through s (soft rank, top-k): softmax(s_B)
_W_SIDE = 2  # KL, differentiate through w (soft sort): softmax(w_B)


@kernel
def _logaddexp(a, b):
    if a < b:
        a, b = b, a
    return a + math.log1p(math.exp(b - a))


@kernel
def _isotonic(s, w, kl, side, primal, block_end, weights, starts, sum_s, sum_w, count):
    """Decreasing isotonic regression of one sorted row by PAV (stack of blocks), then the primal.

    ``starts``, ``sum_s``, ``sum_w`` and ``count`` are scratch of length ``n`` (block stack).
    Adjacent blocks are pooled while they violate the order or tie, so the recorded blocks are the
    maximal constant runs of the solution, as in the reference code's partition.
    """
    n = s.shape[0]
    top = 0
    for i in range(n):
        starts[top] = i
        sum_s[top] = s[i]
        sum_w[top] = w[i]
        count[top] = 1.0
        top += 1
        while top > 1:
            a = top - 2
            b = top - 1
            # Tied ``s`` across the boundary: the projection is symmetric, so the exact blocks
            # share one value and pool; when ``w`` ties too (the top-k vertex) the test below is
            # an exact equality that rounding could decide either way, untying the output.
            tied = s[starts[b]] == s[starts[b] - 1]
            if kl:
                if not tied and sum_s[a] - sum_w[a] > sum_s[b] - sum_w[b]:
                    break
                sum_s[a] = _logaddexp(sum_s[a], sum_s[b])
                sum_w[a] = _logaddexp(sum_w[a], sum_w[b])
            else:
                # mean(a) > mean(b), with the (positive) counts cross-multiplied
                if not tied and (sum_s[a] - sum_w[a]) * count[b] > (sum_s[b] - sum_w[b]) * count[a]:
                    break
                sum_s[a] += sum_s[b]
                sum_w[a] += sum_w[b]
            count[a] += count[b]
            top -= 1
    for k in range(top):
        start = starts[k]
        end = starts[k + 1] if k + 1 < top else n
        if kl:
            mean_s = sum_s[k]
            mean_w = sum_w[k]
        else:
            share = 1.0 / count[k]
            mean_s = sum_s[k] * share
            mean_w = sum_w[k] * share
        for i in range(start, end):
            primal[i] = (s[i] - mean_s) + mean_w
            block_end[i] = end
        if side == _S_SIDE:
            for i in range(start, end):
                weights[i] = math.exp(s[i] - mean_s)
        elif side == _W_SIDE:
            for i in range(start, end):
                weights[i] = math.exp(w[i] - mean_w)


@kernel
def _orderable(value, scratch_f, scratch_u):
    """The IEEE-754 bits of a finite float64 as a uint64 whose unsigned order is the float order."""
    scratch_f[0] = value + 0.0  # -0.0 -> +0.0: the two zeros compare equal, so must their keys
    bits = scratch_u[0]
    if bits >> np.uint64(63):
        return ~bits
    return bits | (np.uint64(1) << np.uint64(63))


@kernel
def _sort_keys_range(x, sign, index_bits, keys, lo, hi):
    """One uint64 key per value: the orderable bits of ``-(sign * x)`` with the low ``index_bits``
    replaced by the position. Sorted ascending (NumPy's vectorised sort), they give the descending
    order of ``sign * x`` with ties by position -- up to runs of values that agree in all but the
    dropped bits, which :func:`_unpack_order` re-sorts exactly."""
    n = x.shape[1]
    low = (np.uint64(1) << np.uint64(index_bits)) - np.uint64(1)
    scratch_f = np.empty(1)
    scratch_u = scratch_f.view(np.uint64)
    for r in range(lo, hi):
        for i in range(n):
            bits = _orderable(-(sign * np.float64(x[r, i])), scratch_f, scratch_u)
            keys[r, i] = (bits & ~low) | np.uint64(i)


@kernel
def _unpack_order(x, sign, keys, index_bits, perm, sorted_values):
    """``perm`` and the values ``sign * x[perm]`` from one row of sorted keys; runs that share the
    kept key bits (values equal in all but the dropped low bits) are insertion-sorted exactly."""
    n = x.shape[0]
    low = (np.uint64(1) << np.uint64(index_bits)) - np.uint64(1)
    for i in range(n):
        j = np.intp(keys[i] & low)
        perm[i] = j
        sorted_values[i] = sign * np.float64(x[j])
    start = 0
    while start < n:
        end = start + 1
        while end < n and (keys[end] & ~low) == (keys[start] & ~low):
            end += 1
        # descending by value; positions arrive ascending, so a stable sort keeps ties by position
        for i in range(start + 1, end):
            value = sorted_values[i]
            index = perm[i]
            j = i - 1
            while j >= start and sorted_values[j] < value:
                sorted_values[j + 1] = sorted_values[j]
                perm[j + 1] = perm[j]
                j -= 1
            sorted_values[j + 1] = value
            perm[j + 1] = index
        start = end


@kernel
def _weights_row(weights, r):
    """Row ``r`` of the "kl" weights; without them (uniform "l2" weights) ``weights`` is one
    scratch row that :func:`_isotonic` never writes."""
    return weights[r] if weights.shape[0] > 1 else weights[0]


@kernel
def _pav_scratch(n):
    """One row's scratch, allocated once per row range: the sorted values, the primal, and the
    block stack of :func:`_isotonic` (starts, sums of both sides, counts)."""
    return (
        np.empty(n),
        np.empty(n),
        np.empty(n, dtype=np.intp),
        np.empty(n),
        np.empty(n),
        np.empty(n),
    )


@kernel
def _project_range(x, keys, index_bits, scale, w, kl, out, perm, block_end, weights, lo, hi):
    """Soft rank / soft top-k of rows ``lo..hi``: ``P(scale * x, w)`` (``exp`` of it for "kl").

    ``w`` (descending, length n) is the permutahedron's vertex: ``n..1`` for ranks (its log for
    "kl"), ``1^k 0^(n-k)`` for the top-k mask. The weights are ``softmax(s_B)`` for "kl".
    """
    n = x.shape[1]
    side = _S_SIDE if kl else _NO_SIDE
    s, primal, starts, sum_s, sum_w, count = _pav_scratch(n)
    for r in range(lo, hi):
        _unpack_order(x[r], scale, keys[r], index_bits, perm[r], s)
        row_weights = _weights_row(weights, r)
        _isotonic(s, w, kl, side, primal, block_end[r], row_weights, starts, sum_s, sum_w, count)
        for i in range(n):
            value = math.exp(primal[i]) if kl else primal[i]
            out[r, perm[r, i]] = value


@kernel
def _sort_range(x, keys, index_bits, sign, y, kl, out, perm, block_end, weights, lo, hi):
    """Soft sort of rows ``lo..hi``: ``sign * P(y, sort_desc(sign * x))`` with ``y = rho / eps``.

    Output position ``i`` holds the i-th soft order statistic; the weights are
    ``softmax(w_B)`` over the sorted values for "kl" (not over ``y``: the reference code's bug).
    """
    n = x.shape[1]
    side = _W_SIDE if kl else _NO_SIDE
    sorted_values, primal, starts, sum_s, sum_w, count = _pav_scratch(n)
    for r in range(lo, hi):
        _unpack_order(x[r], sign, keys[r], index_bits, perm[r], sorted_values)
        _isotonic(
            y,
            sorted_values,
            kl,
            side,
            primal,
            block_end[r],
            _weights_row(weights, r),
            starts,
            sum_s,
            sum_w,
            count,
        )
        for i in range(n):
            out[r, i] = sign * primal[i]


@kernel
def _hard_range(x, keys, index_bits, sign, w_linear, ranks, out, perm, block_end, lo, hi):
    """The epsilon -> 0 limits of rows ``lo..hi``. Sort (``ranks=False``): the sorted values,
    singleton blocks. Rank / top-k (``ranks=True``): each run of tied values gets the mean of its
    ``w_linear`` entries (average ranks, or a fractional top-k mask at a tied boundary)."""
    n = x.shape[1]
    sorted_values = np.empty(n)
    for r in range(lo, hi):
        _unpack_order(x[r], sign, keys[r], index_bits, perm[r], sorted_values)
        if not ranks:
            for i in range(n):
                out[r, i] = sign * sorted_values[i]
                block_end[r, i] = i + 1
            continue
        start = 0
        while start < n:
            end = start + 1
            while end < n and sorted_values[end] == sorted_values[start]:
                end += 1
            total = 0.0
            for i in range(start, end):
                total += w_linear[i]
            for i in range(start, end):
                out[r, perm[r, i]] = total / (end - start)
                block_end[r, i] = end
            start = end


@kernel
def _rank_vjp_range(cotangent, values, kl, scale, perm, block_end, weights, grad, lo, hi):
    """VJP of :func:`_project_range`: per block ``(h - weights * sum_B h) * scale`` with
    ``h = cotangent`` and ``weights = 1/|B|`` ("l2"), or ``h = cotangent * values`` (the chain
    rule through ``exp``) and the stored softmax weights ("kl")."""
    n = cotangent.shape[1]
    for r in range(lo, hi):
        start = 0
        while start < n:
            end = block_end[r, start]
            uniform = 1.0 / (end - start)
            total = 0.0
            for i in range(start, end):
                j = perm[r, i]
                h = np.float64(cotangent[r, j])
                total += h * np.float64(values[r, j]) if kl else h
            for i in range(start, end):
                j = perm[r, i]
                h = np.float64(cotangent[r, j])
                if kl:
                    grad[r, j] = (h * np.float64(values[r, j]) - weights[r, i] * total) * scale
                else:
                    grad[r, j] = (h - uniform * total) * scale
            start = end


@kernel
def _rank_jvp_range(tangent, values, kl, scale, perm, block_end, weights, out, lo, hi):
    """JVP of :func:`_project_range`: per block ``t - sum_B(weights * t)`` (times ``values`` for
    "kl"; ``weights = 1/|B|`` for "l2")."""
    n = tangent.shape[1]
    for r in range(lo, hi):
        start = 0
        while start < n:
            end = block_end[r, start]
            uniform = 1.0 / (end - start)
            total = 0.0
            for i in range(start, end):
                share = weights[r, i] if kl else uniform
                total += share * np.float64(tangent[r, perm[r, i]])
            for i in range(start, end):
                j = perm[r, i]
                d = (np.float64(tangent[r, j]) - total) * scale
                out[r, j] = d * np.float64(values[r, j]) if kl else d
            start = end


@kernel
def _sort_vjp_range(cotangent, kl, perm, block_end, weights, grad, lo, hi):
    """VJP of :func:`_sort_range`: ``grad[perm_i] = weights_i * sum_B cotangent`` per block
    (``weights = 1/|B|`` for "l2")."""
    n = cotangent.shape[1]
    for r in range(lo, hi):
        start = 0
        while start < n:
            end = block_end[r, start]
            uniform = 1.0 / (end - start)
            total = 0.0
            for i in range(start, end):
                total += np.float64(cotangent[r, i])
            for i in range(start, end):
                share = weights[r, i] if kl else uniform
                grad[r, perm[r, i]] = share * total
            start = end


@kernel
def _sort_jvp_range(tangent, kl, perm, block_end, weights, out, lo, hi):
    """JVP of :func:`_sort_range`: every position of a block gets ``sum_B(weights * t[perm])``
    (``weights = 1/|B|`` for "l2")."""
    n = tangent.shape[1]
    for r in range(lo, hi):
        start = 0
        while start < n:
            end = block_end[r, start]
            uniform = 1.0 / (end - start)
            total = 0.0
            for i in range(start, end):
                share = weights[r, i] if kl else uniform
                total += share * np.float64(tangent[r, perm[r, i]])
            for i in range(start, end):
                out[r, i] = total
            start = end


# --- the batch kernels: ``n_chunks`` contiguous row ranges in parallel --------------------------
# Each range allocates its scratch once; a small batch skips the thread pool altogether
# (:func:`run`), whose wake-up costs more than the rows themselves.


@kernel
def _chunk_bounds(rows, chunk, n_chunks):
    lo = chunk * rows // n_chunks
    hi = (chunk + 1) * rows // n_chunks
    return lo, hi


@kernel(parallel=True)
def _sort_keys_chunks(x, sign, index_bits, keys, n_chunks):
    for chunk in numba.prange(n_chunks):
        lo, hi = _chunk_bounds(x.shape[0], chunk, n_chunks)
        _sort_keys_range(x, sign, index_bits, keys, lo, hi)


@kernel(parallel=True)
def _project_chunks(x, keys, index_bits, scale, w, kl, out, perm, block_end, weights, n_chunks):
    for chunk in numba.prange(n_chunks):
        lo, hi = _chunk_bounds(x.shape[0], chunk, n_chunks)
        _project_range(x, keys, index_bits, scale, w, kl, out, perm, block_end, weights, lo, hi)


@kernel(parallel=True)
def _sort_chunks(x, keys, index_bits, sign, y, kl, out, perm, block_end, weights, n_chunks):
    for chunk in numba.prange(n_chunks):
        lo, hi = _chunk_bounds(x.shape[0], chunk, n_chunks)
        _sort_range(x, keys, index_bits, sign, y, kl, out, perm, block_end, weights, lo, hi)


@kernel(parallel=True)
def _hard_chunks(x, keys, index_bits, sign, w_linear, ranks, out, perm, block_end, n_chunks):
    for chunk in numba.prange(n_chunks):
        lo, hi = _chunk_bounds(x.shape[0], chunk, n_chunks)
        _hard_range(x, keys, index_bits, sign, w_linear, ranks, out, perm, block_end, lo, hi)


@kernel(parallel=True)
def _rank_vjp_chunks(cotangent, values, kl, scale, perm, block_end, weights, grad, n_chunks):
    for chunk in numba.prange(n_chunks):
        lo, hi = _chunk_bounds(cotangent.shape[0], chunk, n_chunks)
        _rank_vjp_range(cotangent, values, kl, scale, perm, block_end, weights, grad, lo, hi)


@kernel(parallel=True)
def _rank_jvp_chunks(tangent, values, kl, scale, perm, block_end, weights, out, n_chunks):
    for chunk in numba.prange(n_chunks):
        lo, hi = _chunk_bounds(tangent.shape[0], chunk, n_chunks)
        _rank_jvp_range(tangent, values, kl, scale, perm, block_end, weights, out, lo, hi)


@kernel(parallel=True)
def _sort_vjp_chunks(cotangent, kl, perm, block_end, weights, grad, n_chunks):
    for chunk in numba.prange(n_chunks):
        lo, hi = _chunk_bounds(cotangent.shape[0], chunk, n_chunks)
        _sort_vjp_range(cotangent, kl, perm, block_end, weights, grad, lo, hi)


@kernel(parallel=True)
def _sort_jvp_chunks(tangent, kl, perm, block_end, weights, out, n_chunks):
    for chunk in numba.prange(n_chunks):
        lo, hi = _chunk_bounds(tangent.shape[0], chunk, n_chunks)
        _sort_jvp_range(tangent, kl, perm, block_end, weights, out, lo, hi)


_BATCH_KERNELS = {
    "sort_keys": (_sort_keys_range, _sort_keys_chunks),
    "project": (_project_range, _project_chunks),
    "sort": (_sort_range, _sort_chunks),
    "hard": (_hard_range, _hard_chunks),
    "rank_vjp": (_rank_vjp_range, _rank_vjp_chunks),
    "rank_jvp": (_rank_jvp_range, _rank_jvp_chunks),
    "sort_vjp": (_sort_vjp_range, _sort_vjp_chunks),
    "sort_jvp": (_sort_jvp_range, _sort_jvp_chunks),
}


def run(name, n_chunks, *args):
    """Run batch kernel ``name`` over every row of its first argument: one serial call when
    ``n_chunks`` is 1, else ``n_chunks`` row ranges on numba's threads (plain Python: it only
    dispatches)."""
    serial, parallel = _BATCH_KERNELS[name]
    if n_chunks <= 1:
        serial(*args, 0, args[0].shape[0])
    else:
        parallel(*args, n_chunks)
