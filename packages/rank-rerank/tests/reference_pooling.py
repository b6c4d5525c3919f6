"""Naive oracles for token pooling, written from the definitions in rank_rerank.pooling's docstring.

Everything is float64 Python/NumPy, one token at a time where that is clearer: ward calls scipy's
``linkage`` on the unit vectors themselves (scipy computes the Euclidean distances) and
``fcluster``; k-means keeps explicit centroids (no Gram matrix); clusters are averaged in a
Python loop. Each returns the pooled document as a float64 array.
"""

from __future__ import annotations

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage


def unit(tokens: np.ndarray) -> np.ndarray:
    tokens = np.asarray(tokens, dtype=np.float64)
    norms = np.linalg.norm(tokens, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return tokens / norms


def target_count(n_pooled_tokens: int, pool_factor: int) -> int:
    return 0 if n_pooled_tokens == 0 else max(1, n_pooled_tokens // pool_factor)


def means_by_first_token(tokens: np.ndarray, labels: list[int]) -> np.ndarray:
    """One mean per label, the labels taken in the order of their first token."""
    members: dict[int, list[int]] = {}
    for position, label in enumerate(labels):
        members.setdefault(int(label), []).append(position)
    rows = []
    for positions in members.values():
        total = np.zeros(tokens.shape[1])
        for position in positions:
            total += tokens[position]
        rows.append(total / len(positions))
    return np.array(rows)


def _pool(tokens, pool_factor: int, protected_tokens: int, group) -> np.ndarray:
    tokens = np.asarray(tokens, dtype=np.float64)
    kept, rest = tokens[:protected_tokens], tokens[protected_tokens:]
    k = target_count(len(rest), pool_factor)
    if k == len(rest):
        return tokens.copy()
    return np.vstack([kept, means_by_first_token(rest, group(rest, k))])


# ------------------------------------------------------------------------------------------ ward


def ward_pool(tokens, pool_factor: int, protected_tokens: int = 0) -> np.ndarray:
    def group(rest, k):
        tree = linkage(unit(rest), method="ward", metric="euclidean")
        return list(fcluster(tree, t=k, criterion="maxclust"))

    return _pool(tokens, pool_factor, protected_tokens, group)


# --------------------------------------------------------------------------------------- k-means


def _squared_distance(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a - b) ** 2).sum())


def _argmin_lowest(values: list[float]) -> int:
    return min(range(len(values)), key=lambda i: (values[i], i))


def _argmax_lowest(candidates: list[int], values: list[float]) -> int:
    return max(candidates, key=lambda i: (values[i], -i))


def _centroids(points: np.ndarray, labels: list[int], k: int) -> dict[int, np.ndarray]:
    return {c: points[[i for i, label in enumerate(labels) if label == c]].mean(axis=0)
            for c in range(k) if c in labels}


def _fill_empty_clusters(points: np.ndarray, labels: list[int], k: int) -> None:
    counts = [labels.count(c) for c in range(k)]
    if min(counts) > 0:
        return
    centroids = _centroids(points, labels, k)
    spread = [_squared_distance(points[i], centroids[labels[i]]) for i in range(len(points))]
    for c in range(k):
        if counts[c] > 0:
            continue
        donors = [i for i in range(len(points)) if counts[labels[i]] > 1]
        farthest = _argmax_lowest(donors, spread)
        counts[labels[farthest]] -= 1
        labels[farthest] = c
        counts[c] = 1


def kmeans_labels(tokens: np.ndarray, k: int, max_iterations: int) -> list[int]:
    points = unit(tokens)
    m = len(points)
    centres = [0]
    nearest = [_squared_distance(points[i], points[0]) for i in range(m)]
    while len(centres) < k:
        farthest = _argmax_lowest(list(range(m)), nearest)
        centres.append(farthest)
        nearest = [min(nearest[i], _squared_distance(points[i], points[farthest])) for i in range(m)]
    labels = [_argmin_lowest([_squared_distance(p, points[c]) for c in centres]) for p in points]
    for _ in range(max_iterations):
        _fill_empty_clusters(points, labels, k)
        centroids = _centroids(points, labels, k)
        new_labels = []
        for point, label in zip(points, labels, strict=True):
            distances = [_squared_distance(point, centroids[c]) for c in range(k)]
            nearest = _argmin_lowest(distances)
            new_labels.append(nearest if distances[nearest] < distances[label] else label)
        if new_labels == labels:
            break
        labels = new_labels
    _fill_empty_clusters(points, labels, k)
    return labels


def kmeans_pool(tokens, pool_factor: int, protected_tokens: int = 0, max_iterations: int = 20) -> np.ndarray:
    return _pool(tokens, pool_factor, protected_tokens, lambda rest, k: kmeans_labels(rest, k, max_iterations))


# ------------------------------------------------------------------------------------ sequential


def sequential_pool(tokens, pool_factor: int, protected_tokens: int = 0) -> np.ndarray:
    def group(rest, k):
        m = len(rest)
        return [run for run in range(k) for _ in range(run * m // k, (run + 1) * m // k)]

    return _pool(tokens, pool_factor, protected_tokens, group)


POOLERS = {"ward": ward_pool, "kmeans": kmeans_pool, "sequential": sequential_pool}
