"""Feature binning for the histogram trees.

Each feature's finite values are cut into at most ``max_bin`` bins by upper edges: a value goes to
the first bin whose edge is >= the value (the last edge is +inf). With at most ``max_bin``
distinct values every value has its own bin and the edges are midpoints between neighbours; with
more, bins are filled greedily in value order to about ``rows / max_bin`` rows each (a value is
never split across bins), and no bin closes with fewer than ``min_data_in_bin`` rows. NaN is the
missing value: it goes to the feature's extra bin ``n_bins[f]``, after the value bins.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from rank_learn._jit import kernel


@kernel
def _feature_edges(column, max_bin, min_data_in_bin):
    """Upper edges of one feature's bins (the last is +inf) from its sorted values (NaN last);
    at least one bin."""
    n_values = column.size
    while n_values > 0 and np.isnan(column[n_values - 1]):
        n_values -= 1
    values = column[:n_values]
    edges = np.empty(max_bin)
    if values.size == 0:
        edges[0] = np.inf
        return edges[:1]
    distinct = np.empty(values.size)
    counts = np.empty(values.size, dtype=np.int64)
    m = 0
    for i in range(values.size):
        if m == 0 or values[i] != distinct[m - 1]:
            distinct[m] = values[i]
            counts[m] = 0
            m += 1
        counts[m - 1] += 1
    n_edges = 0
    if m <= max_bin:
        for i in range(m - 1):
            edges[n_edges] = (distinct[i] + distinct[i + 1]) / 2.0
            n_edges += 1
    else:
        remaining_rows = values.size
        remaining_bins = max_bin
        filled = 0
        for i in range(m - 1):
            filled += counts[i]
            target = remaining_rows / remaining_bins
            if filled >= target and filled >= min_data_in_bin and remaining_bins > 1:
                edges[n_edges] = (distinct[i] + distinct[i + 1]) / 2.0
                n_edges += 1
                remaining_rows -= filled
                remaining_bins -= 1
                filled = 0
    edges[n_edges] = np.inf
    return edges[: n_edges + 1]


@kernel(parallel=True)
def bin_edges(sorted_columns, max_bin, min_data_in_bin):
    """Every feature's edges, flattened: feature ``f`` owns ``edges[offsets[f]:offsets[f + 1]]``.

    ``sorted_columns`` is ``(n_features, n_rows)``: each feature's values sorted, NaN last."""
    n_features = sorted_columns.shape[0]
    per_feature = np.empty((n_features, max_bin))
    sizes = np.empty(n_features, dtype=np.int64)
    for f in prange(n_features):
        found = _feature_edges(sorted_columns[f], max_bin, min_data_in_bin)
        sizes[f] = found.size
        per_feature[f, : found.size] = found
    offsets = np.zeros(n_features + 1, dtype=np.int64)
    for f in range(n_features):
        offsets[f + 1] = offsets[f] + sizes[f]
    edges = np.empty(offsets[-1])
    for f in range(n_features):
        edges[offsets[f] : offsets[f + 1]] = per_feature[f, : sizes[f]]
    return edges, offsets


@kernel
def _bin_of(edges, first, stop, value):
    """The first bin of ``edges[first:stop]`` whose edge is >= ``value`` (a binary search)."""
    low = first
    high = stop - 1  # the last edge is +inf: every finite value fits
    while low < high:
        middle = (low + high) >> 1
        if edges[middle] >= value:
            high = middle
        else:
            low = middle + 1
    return low - first


@kernel(parallel=True)
def apply_bins(X, edges, offsets):
    """Bin codes, feature-major ``(n_features, n_rows)`` uint8 (NaN: the missing bin), and per
    feature whether it has missing values."""
    n_rows, n_features = X.shape
    codes = np.empty((n_features, n_rows), dtype=np.uint8)
    has_missing = np.zeros(n_features, dtype=np.bool_)
    for f in prange(n_features):
        first, stop = offsets[f], offsets[f + 1]
        for r in range(n_rows):
            value = X[r, f]
            if np.isnan(value):
                codes[f, r] = stop - first
                has_missing[f] = True
            else:
                codes[f, r] = _bin_of(edges, first, stop, value)
    return codes, has_missing
