"""Token pooling kernels: group a document's token vectors and replace each group by its mean.

Arrays in, arrays out. A document is a C-contiguous ``(n_tokens, dim)`` float32 or float64 array;
a batch is a flat ``(total_tokens, dim)`` array with ``offsets`` (n_docs + 1). The first
``protected_tokens`` tokens of a document are copied unchanged; the ``*_pool_into`` kernels pool
the rest into as many vectors as the output slice has rows left (``pooled_offsets`` sizes it;
Ward's clusters come from scipy and go through ``cluster_means``). Groups are formed on the
directions of the tokens (unit-normalised copies: cosine geometry) and the pooled vector is the
mean of the members' vectors as given, accumulated in float64. Pooled vectors follow the order of
their groups' first tokens.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_rerank._jit import kernel


@kernel
def pooled_offsets(offsets, protected_tokens, pool_factor):
    """Output offsets: a document of ``n`` tokens keeps ``min(n, protected_tokens)`` tokens and pools
    the ``m`` others into ``max(1, m // pool_factor)`` vectors (none when ``m == 0``)."""
    n_docs = offsets.shape[0] - 1
    out = np.empty(n_docs + 1, dtype=np.int64)
    out[0] = 0
    for doc in range(n_docs):
        n_tokens = offsets[doc + 1] - offsets[doc]
        kept = min(n_tokens, protected_tokens)
        pooled = n_tokens - kept
        if pooled > 0:
            pooled = max(1, pooled // pool_factor)
        out[doc + 1] = out[doc] + kept + pooled
    return out


@kernel(parallel=True)
def non_finite_rows(tokens):
    """Whether each row holds a NaN or an infinity: one pass, no temporary array (the count of a
    comparison vectorises; arithmetic tricks such as ``x - x`` get folded away under ``reassoc``)."""
    n_tokens, dim = tokens.shape
    bad = np.zeros(n_tokens, dtype=np.bool_)
    for i in prange(n_tokens):
        count = 0
        for c in range(dim):
            count += not np.isfinite(tokens[i, c])
        bad[i] = count > 0
    return bad


@kernel
def unit_rows(tokens):
    """Each row divided by its Euclidean norm (a zero row stays zero)."""
    n_tokens, dim = tokens.shape
    unit = np.empty_like(tokens)
    for i in range(n_tokens):
        squared = 0.0
        for c in range(dim):
            squared += float(tokens[i, c]) * float(tokens[i, c])
        scale = 1.0 / np.sqrt(squared) if squared > 0.0 else 0.0
        for c in range(dim):
            unit[i, c] = tokens[i, c] * scale
    return unit


@kernel
def condensed_distances(gram):
    """Euclidean distances ``sqrt(G[i, i] + G[j, j] - 2 G[i, j])`` from a Gram matrix, as the
    condensed vector (upper triangle, row by row) that scipy's ``linkage`` takes."""
    n_tokens = gram.shape[0]
    out = np.empty(n_tokens * (n_tokens - 1) // 2, dtype=np.float64)
    position = 0
    for i in range(n_tokens):
        for j in range(i + 1, n_tokens):
            squared = float(gram[i, i]) + float(gram[j, j]) - 2.0 * float(gram[i, j])
            out[position] = np.sqrt(max(squared, 0.0))
            position += 1
    return out


@kernel
def write_cluster_means(tokens, labels, out):
    """``out[r]`` = mean of the tokens whose label is the r-th distinct label in token order.

    ``labels`` are non-negative ints with exactly ``out.shape[0]`` distinct values.
    """
    n_tokens, dim = tokens.shape
    rank = np.full(labels.max() + 1, -1, dtype=np.int64)
    n_clusters = 0
    for i in range(n_tokens):
        if rank[labels[i]] < 0:
            rank[labels[i]] = n_clusters
            n_clusters += 1
    sums = np.zeros((n_clusters, dim), dtype=np.float64)
    counts = np.zeros(n_clusters, dtype=np.int64)
    for i in range(n_tokens):
        r = rank[labels[i]]
        counts[r] += 1
        for c in range(dim):
            sums[r, c] += tokens[i, c]
    for r in range(n_clusters):
        for c in range(dim):
            out[r, c] = sums[r, c] / counts[r]


@kernel
def cluster_means(tokens, labels):
    """The cluster means of :func:`write_cluster_means` in a new array of the tokens' dtype."""
    present = np.zeros(labels.max() + 1, dtype=np.bool_)
    for label in labels:
        present[label] = True
    out = np.empty((present.sum(), tokens.shape[1]), dtype=tokens.dtype)
    write_cluster_means(tokens, labels, out)
    return out


# ------------------------------------------------------------------------------------- k-means
#
# Lloyd's k-means on the unit-normalised tokens (squared Euclidean distance: Ward's objective),
# run on their Gram matrix G, one BLAS product: with A[i, c] = sum of G[i, l] over the members l of
# cluster c and B[c] = sum of A[l, c] over those members, ||u_i - mean_c||^2 = G[i, i] - 2 A[i, c] / n_c
# + B[c] / n_c^2. A is updated column by column as tokens move, so a round costs O(m k) plus O(m)
# per moved token, instead of O(m k dim) with explicit centroids.


@kernel
def _member_sums(gram, labels, n_clusters):
    """Cluster sizes and ``A``."""
    n_tokens = gram.shape[0]
    counts = np.zeros(n_clusters, dtype=np.int64)
    member_sums = np.zeros((n_tokens, n_clusters), dtype=np.float64)
    for i in range(n_tokens):
        counts[labels[i]] += 1
        for j in range(n_tokens):
            member_sums[i, labels[j]] += gram[i, j]
    return counts, member_sums


@kernel
def _within_sums(labels, member_sums, n_clusters):
    """``B``."""
    within_sums = np.zeros(n_clusters, dtype=np.float64)
    for i in range(labels.shape[0]):
        within_sums[labels[i]] += member_sums[i, labels[i]]
    return within_sums


@kernel
def _move_token(gram, labels, counts, member_sums, token, cluster):
    previous = labels[token]
    for i in range(gram.shape[0]):
        member_sums[i, previous] -= gram[i, token]
        member_sums[i, cluster] += gram[i, token]
    counts[previous] -= 1
    counts[cluster] += 1
    labels[token] = cluster


@kernel
def _fill_empty_clusters(gram, labels, counts, member_sums):
    """Give each empty cluster (ascending) the token farthest from its cluster's mean among clusters
    of two or more tokens (lowest index on ties); distances are those before any move."""
    if (counts > 0).all():
        return
    within_sums = _within_sums(labels, member_sums, counts.shape[0])
    n_tokens = gram.shape[0]
    spread = np.empty(n_tokens, dtype=np.float64)
    for i in range(n_tokens):
        n = counts[labels[i]]
        spread[i] = gram[i, i] - 2.0 * member_sums[i, labels[i]] / n + within_sums[labels[i]] / (n * n)
    for c in range(counts.shape[0]):
        if counts[c] > 0:
            continue
        farthest = -1
        for i in range(n_tokens):
            if counts[labels[i]] > 1 and (farthest < 0 or spread[i] > spread[farthest]):
                farthest = i
        _move_token(gram, labels, counts, member_sums, farthest, c)


@kernel
def kmeans_labels(tokens, n_clusters, max_iterations):
    """Cluster labels in ``[0, n_clusters)``, every cluster non-empty (``n_clusters <= n_tokens``).

    Start: farthest-first traversal from token 0 (each next centre is the token farthest from the
    centres so far, lowest index on ties), tokens assigned to the nearest centre. Then up to
    ``max_iterations`` rounds of: fill empty clusters, move every token whose nearest mean is strictly
    nearer than its own cluster's (to the lowest such cluster on ties); stop as soon as none moves.
    """
    unit = unit_rows(tokens)
    gram = np.dot(unit, unit.T)
    n_tokens = gram.shape[0]

    centres = np.empty(n_clusters, dtype=np.int64)
    centres[0] = 0
    nearest = np.empty(n_tokens, dtype=np.float64)
    for i in range(n_tokens):
        nearest[i] = gram[i, i] + gram[0, 0] - 2.0 * gram[i, 0]
    for c in range(1, n_clusters):
        farthest = 0
        for i in range(1, n_tokens):
            if nearest[i] > nearest[farthest]:
                farthest = i
        centres[c] = farthest
        for i in range(n_tokens):
            distance = gram[i, i] + gram[farthest, farthest] - 2.0 * gram[i, farthest]
            nearest[i] = min(nearest[i], distance)

    labels = np.empty(n_tokens, dtype=np.int64)
    for i in range(n_tokens):
        best, best_distance = 0, np.inf
        for c in range(n_clusters):
            centre = centres[c]
            distance = gram[i, i] + gram[centre, centre] - 2.0 * gram[i, centre]
            if distance < best_distance:
                best, best_distance = c, distance
        labels[i] = best

    counts, member_sums = _member_sums(gram, labels, n_clusters)
    targets = np.empty(n_tokens, dtype=np.int64)
    scale = np.empty(n_clusters, dtype=np.float64)
    offset = np.empty(n_clusters, dtype=np.float64)
    for _ in range(max_iterations):
        _fill_empty_clusters(gram, labels, counts, member_sums)
        within_sums = _within_sums(labels, member_sums, n_clusters)
        for c in range(n_clusters):  # ||u_i - mean_c||^2 - G[i, i] = offset[c] - scale[c] A[i, c]
            scale[c] = 2.0 / counts[c]
            offset[c] = within_sums[c] / (counts[c] * counts[c])
        changed = False
        for i in range(n_tokens):
            best = labels[i]
            best_distance = offset[best] - scale[best] * member_sums[i, best]
            for c in range(n_clusters):
                distance = offset[c] - scale[c] * member_sums[i, c]
                if distance < best_distance:
                    best, best_distance = c, distance
            targets[i] = best
            changed |= best != labels[i]
        if not changed:
            break
        for i in range(n_tokens):
            if targets[i] != labels[i]:
                _move_token(gram, labels, counts, member_sums, i, targets[i])
    _fill_empty_clusters(gram, labels, counts, member_sums)
    return labels


@kernel
def kmeans_pool_into(tokens, protected_tokens, max_iterations, out):
    """Pool one document into ``out`` (its rows after the protected ones are the cluster count)."""
    kept = min(protected_tokens, tokens.shape[0])
    out[:kept] = tokens[:kept]
    rest = tokens[kept:]
    n_clusters = out.shape[0] - kept
    if n_clusters == rest.shape[0]:
        out[kept:] = rest
        return
    write_cluster_means(rest, kmeans_labels(rest, n_clusters, max_iterations), out[kept:])


@kernel(parallel=True)
def kmeans_pool_batch(tokens, offsets, out_offsets, protected_tokens, max_iterations, first_doc, stop_doc, out):
    """:func:`kmeans_pool_into` for documents ``first_doc <= d < stop_doc``, one per iteration."""
    for doc in prange(first_doc, stop_doc):
        kmeans_pool_into(
            tokens[offsets[doc] : offsets[doc + 1]],
            protected_tokens,
            max_iterations,
            out[out_offsets[doc] : out_offsets[doc + 1]],
        )


# ---------------------------------------------------------------------------------- sequential


@kernel
def sequential_pool_into(tokens, protected_tokens, out):
    """Pool one document into ``out``: the ``m`` unprotected tokens are cut into ``k`` runs of
    consecutive tokens, run ``r`` being tokens ``[r * m // k, (r + 1) * m // k)``, and each run is
    replaced by its mean."""
    kept = min(protected_tokens, tokens.shape[0])
    out[:kept] = tokens[:kept]
    rest = tokens[kept:]
    n_tokens, dim = rest.shape
    n_runs = out.shape[0] - kept
    total = np.empty(dim, dtype=np.float64)
    for r in range(n_runs):
        start = r * n_tokens // n_runs
        stop = (r + 1) * n_tokens // n_runs
        total[:] = 0.0
        for i in range(start, stop):
            for c in range(dim):
                total[c] += rest[i, c]
        for c in range(dim):
            out[kept + r, c] = total[c] / (stop - start)


@kernel(parallel=True)
def sequential_pool_batch(tokens, offsets, out_offsets, protected_tokens, first_doc, stop_doc, out):
    """:func:`sequential_pool_into` for documents ``first_doc <= d < stop_doc``, one per iteration."""
    for doc in prange(first_doc, stop_doc):
        sequential_pool_into(
            tokens[offsets[doc] : offsets[doc + 1]],
            protected_tokens,
            out[out_offsets[doc] : out_offsets[doc + 1]],
        )
