"""Top-k selection: every shortcut gives the rows of the plain, exhaustive ranking.

The search picks its top ``k`` three ways: a bounded heap behind a block-maximum floor (small
``k``, no filter), a heap over every allowed document (small ``k``, filtered) and an introselect
(large ``k``), which for float32 scores packs each candidate into one integer key. The first
``k`` columns of ``k = corpus size`` (the introselect over every document) are the reference.
"""

from __future__ import annotations

import numpy as np
import pytest

from rank_retrieve import BM25
from rank_retrieve._kernels.topk import _select_general, _select_packed


def test_packed_selection_equals_the_general_one():
    """Ties, zeros of both signs, negatives, infinities, subnormals, k above the count."""
    rng = np.random.default_rng(0)
    pool = np.array([0.0, -0.0, 1.5, -2.25, 3.0, np.inf, -np.inf, 1e-40, -1e-40], dtype=np.float32)
    for trial in range(2000):
        count = int(rng.integers(1, 300))
        k = int(rng.integers(1, 320))
        scores = rng.choice(pool, count) if trial % 2 else rng.normal(size=count).astype(np.float32).round(1)
        positions = rng.permutation(count * 3)[:count].astype(np.int64)
        general = (np.empty(k, np.float32), np.empty(k, np.int64))
        packed = (np.empty(k, np.float32), np.empty(k, np.int64))
        n_general = _select_general(scores.copy(), positions.copy(), count, k, *general)
        n_packed = _select_packed(scores.copy(), positions.copy(), count, k, *packed)
        assert n_general == n_packed == min(k, count)
        np.testing.assert_array_equal(packed[1][:n_packed], general[1][:n_general])
        np.testing.assert_array_equal(packed[0][:n_packed], general[0][:n_general])


@pytest.mark.parametrize("method", ["lucene", "bm25l", "bm25+"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_small_k_rows_are_the_full_ranking_prefix(scifact_tokens, method, dtype):
    """SciFact has 81 blocks of 64 documents: k up to 81 takes the block-maximum floor."""
    _, corpus, queries = scifact_tokens
    index = BM25(method, dtype=dtype).index(corpus)
    queries = queries[::3]
    full = index.search(queries, k=len(index.ids))
    for k in (1, 10, 81, 100, 400):
        result = index.search(queries, k=k)
        np.testing.assert_array_equal(result.positions, full.positions[:, :k])
        np.testing.assert_array_equal(result.scores, full.scores[:, :k])


def test_filtered_small_k_rows_are_the_filtered_ranking_prefix(scifact_tokens):
    ids, corpus, queries = scifact_tokens
    index = BM25().index(corpus, ids=ids)
    queries = queries[:150]
    rng = np.random.default_rng(5)
    for mask in (rng.random(len(ids)) < 0.3, rng.random((len(queries), len(ids))) < 0.05):
        full = index.search(queries, k=len(ids), filter=mask)
        result = index.search(queries, k=10, filter=mask)
        np.testing.assert_array_equal(result.positions, full.positions[:, :10])
        np.testing.assert_array_equal(result.scores, full.scores[:, :10])


def test_floor_keeps_the_position_tie_rule():
    """Equal scores across blocks: the earliest positions win, whichever block holds them."""
    corpus = [["common", "filler"]] * 200 + [["rare", "common"]] * 150 + [["other"]] * 300
    index = BM25().index(corpus)
    full = index.search([["common"], ["rare"], ["rare", "common"]], k=len(corpus))
    for k in (1, 3, 7):
        result = index.search([["common"], ["rare"], ["rare", "common"]], k=k)
        np.testing.assert_array_equal(result.positions, full.positions[:, :k])
    assert result.positions[0].tolist() == list(range(7))  # 350 documents tie on "common"
    assert result.positions[1].tolist() == list(range(200, 207))
