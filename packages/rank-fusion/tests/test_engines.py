"""The search engines' methods: their own unit-test values where they publish them (Qdrant's RRF,
Weaviate's relativeScoreFusion), otherwise naive references of their documented formulas."""

from __future__ import annotations

import math
import statistics

import pytest

import rank_fusion
from rank_core import RankValueError


def ranking(ids: list[str]) -> dict[str, float]:
    """A ranking holding ``ids`` in that order (scores descending)."""
    return {doc: float(len(ids) - i) for i, doc in enumerate(ids)}


def test_qdrant_rrf_unit_test_values() -> None:
    # Qdrant's reciprocal_rank_fusion.rs test: k=2 with 0-based positions, i.e. our k=1
    lists = [["2", "1"], ["1", "2", "3"], ["5", "3", "1"]]
    fused = dict(rank_fusion.rrf([ranking(ids) for ids in lists], k=1))
    expected = {"1": 1.0833334, "2": 0.8333334, "3": 0.5833334, "5": 0.5}
    assert fused == pytest.approx(expected, abs=1e-6)  # Qdrant computes in float32


@pytest.mark.parametrize(
    ("first", "second", "weights", "expected"),
    [  # Weaviate's hybrid_fusion tests: scores of docs 0, 1, 2 in each list
        ([1, 2, 3], [0, 1, 2], (0.5, 0.5), {"2": 1.0, "1": 0.5, "0": 0.0}),
        ([0, 2, 0.1], [0, 0.2, 2], (0.5, 0.5), {"1": 0.55, "2": 0.525, "0": 0.0}),
        ([1, 1], [1, 2], (0.75, 0.25), {"1": 1.0, "0": 0.75}),  # a list of equal scores gives 1.0
    ],
)
def test_weaviate_relative_score_unit_test_values(first, second, weights, expected) -> None:
    lists = [{str(d): float(s) for d, s in enumerate(scores)} for scores in (first, second)]
    fused = rank_fusion.relative_score(lists, weights=weights)
    assert dict(fused) == pytest.approx(expected, abs=1e-12)
    assert [doc for doc, _ in fused] == list(expected)


def naive_dbsf(lists: list[dict[str, float]]) -> dict[str, float]:
    fused: dict[str, float] = {}
    for scores in lists:
        values = list(scores.values())
        sd = statistics.stdev(values) if len(values) > 1 else 0.0
        low, high = statistics.fmean(values) - 3 * sd, statistics.fmean(values) + 3 * sd
        for doc, s in scores.items():
            fused[doc] = fused.get(doc, 0.0) + (0.5 if high == low else (s - low) / (high - low))
    return fused


def test_dbsf_against_its_formula() -> None:
    lists = [{"a": 9.0, "b": 1.0, "c": 0.5, "d": 0.4}, {"b": 0.9, "e": 0.1}, {"c": 2.0}]
    fused = dict(rank_fusion.dbsf(lists))
    assert fused == pytest.approx(naive_dbsf(lists), abs=1e-12)
    assert rank_fusion.dbsf([{"c": 2.0}]) == [("c", 0.5)]  # one score: 0.5, as Qdrant
    assert min(fused.values()) < 1.0 < max(fused.values())  # not clipped to [0, 1] per list


def opensearch_min_max(scores: dict[str, float]) -> dict[str, float]:
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return dict.fromkeys(scores, 1.0)
    return {d: ((s - low) / (high - low)) or 0.001 for d, s in scores.items()}


def naive_mean(kind: str, lists: list[dict[str, float]], weights: list[float]) -> dict[str, float]:
    normalised = [opensearch_min_max(scores) for scores in lists]
    fused = {}
    for doc in set().union(*lists):
        values = [(w, n.get(doc, 0.0)) for w, n in zip(weights, normalised, strict=True)]
        if kind == "arithmetic_mean":
            kept = [(w, s) for w, s in values if s >= 0]
            fused[doc] = sum(w * s for w, s in kept) / sum(w for w, _ in kept)
            continue
        kept = [(w, s) for w, s in values if s > 0]
        if kind == "geometric_mean":
            fused[doc] = math.exp(sum(w * math.log(s) for w, s in kept) / sum(w for w, _ in kept))
        else:
            fused[doc] = sum(w for w, _ in kept) / sum(w / s for w, s in kept)
    return fused


@pytest.mark.parametrize("kind", ["arithmetic_mean", "geometric_mean", "harmonic_mean"])
def test_opensearch_means_against_their_formulas(kind: str) -> None:
    lists = [{"a": 3.0, "b": 2.0, "c": 1.0}, {"b": 0.5, "c": 0.1, "d": 0.9, "e": 0.3}]
    weights = [0.3, 0.7]
    fused = dict(rank_fusion.fuse(lists, kind, weights=weights))
    assert fused == pytest.approx(naive_mean(kind, lists, weights), rel=1e-12)
    with pytest.raises(RankValueError, match="sum to 1") as info:
        rank_fusion.fuse(lists, kind, weights=[0.3, 0.3])
    assert isinstance(info.value, ValueError)


def test_l2_and_opensearch_min_max_normalisations() -> None:
    scores = {"a": 3.0, "b": 4.0, "c": 0.0}
    assert dict(rank_fusion.normalize(scores, "l2")) == pytest.approx({"a": 0.6, "b": 0.8, "c": 0.0})
    assert dict(rank_fusion.normalize({"a": 0.0, "b": 0.0}, "l2")) == {"b": 0.0, "a": 0.0}
    assert dict(rank_fusion.normalize(scores, "opensearch-min-max")) == pytest.approx(
        {"a": 0.75, "b": 1.0, "c": 0.001}
    )
    assert dict(rank_fusion.normalize({"a": 2.0}, "opensearch-min-max")) == {"a": 1.0}


def test_depth_is_elasticsearch_rank_window_size() -> None:
    first, second = ranking(["a", "b", "c"]), ranking(["c", "d", "b"])
    fused = dict(rank_fusion.rrf([first, second], k=60, depth=2))
    assert fused == pytest.approx({"a": 1 / 61, "c": 1 / 61, "b": 1 / 62, "d": 1 / 62})
