"""The earlier Rust project's Python names: ``rank_fusion.compat`` and the top-level dispatch.

Each name is checked against (1) a naive oracle of the original's formula
(``reference_compat.py``) and (2) our own API on the same input, on ties, a doc missing from
one list, empty and single-element lists and ``top_k``; bad input raises the exact rank-core
error. Where we fixed a defect of the original, the test shows both numbers.
"""

from __future__ import annotations

import inspect
import math
from typing import Any

import numpy as np
import pytest
import reference as ref
import reference_compat as refc
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rank_fusion
from rank_core import NonFiniteInputError, RankTypeError, RankValueError, Run
from rank_core.testing import raises_exactly as raises
from rank_fusion import compat
from rank_fusion._engine import run_method
from rank_fusion._inputs import coerce_lists
from rank_fusion.trained import TRAINED_SPECS

# d2 and d3 tie in A, given d2 first (our score order puts d3 first: ties by doc id descending);
# d5 and d1 tie in B; d2, d4 are missing from B, d5 from A
A = [("d1", 12.5), ("d2", 11.0), ("d3", 11.0), ("d4", 3.0)]
A_OURS = [("d1", 12.5), ("d3", 11.0), ("d2", 11.0), ("d4", 3.0)]  # the same, in our order
B = [("d3", 0.9), ("d5", 0.8), ("d1", 0.8)]
C = [("d6", 7.0), ("d1", 5.0), ("d4", 1.0)]
CASES = {
    "ties-and-missing": (A, B),
    "given-in-our-order": (A_OURS, B),
    "scores-ascending": ([("p", 0.1), ("q", 0.5), ("r", 0.3)], [("q", 2.0), ("s", 1.0)]),
    "both-empty": ([], []),
    "one-empty": (A, []),
    "single-elements": ([("a", 5.0)], [("b", 0.5)]),
    "fused-tie": ([("x", 1.0)], [("y", 1.0)]),
    "dict-and-pairs": ({"d1": 2.0, "d2": 1.0}, [("d2", 0.3), ("d1", 0.1)]),
    "equal-scores": ([("a", 2.0), ("b", 2.0), ("c", 2.0)], [("c", 1.0), ("d", 0.0)]),
}
TOP_KS = [None, 0, 1, 2, 100]
case_params = pytest.mark.parametrize(("a", "b"), list(CASES.values()), ids=list(CASES))
top_k_params = pytest.mark.parametrize("top_k", TOP_KS)

#: every name DESIGN.md section 9 lists, plus the original's standardized_multi
NAMES = [
    "rrf",
    "rrf_multi",
    "isr",
    "isr_multi",
    "borda",
    "borda_multi",
    "combsum",
    "combsum_multi",
    "combmnz",
    "combmnz_multi",
    "dbsf",
    "dbsf_multi",
    "weighted",
    "standardized",
    "standardized_multi",
    "additive_multi_task",
]


def positional(ranking: Any) -> list[tuple[str, float]]:
    """The original's ranks (positions as given) as our negated 1-based ranks."""
    return [(doc, -(i + 1.0)) for i, (doc, _) in enumerate(refc.pairs(ranking))]


def in_our_order(*rankings: Any) -> bool:
    """Is each ranking given in our order (score descending, ties by doc id descending)?"""
    return all(refc.pairs(r) == ref.rank_list(dict(refc.pairs(r))) for r in rankings)


def assert_matches(
    got: list[tuple[str, float]], expected: dict[str, float], top_k: int | None = None
) -> None:
    """``got`` holds the oracle's best ``top_k`` with its scores, best first, ties by doc id
    descending (docs whose oracle scores differ only by rounding may swap)."""
    assert ref.is_ranked(got)
    want = refc.ranked(expected, top_k)
    assert len(got) == len(want)
    for doc, score in got:
        assert score == pytest.approx(expected[doc], rel=1e-12, abs=1e-12)
    assert sorted(expected[doc] for doc, _ in got) == pytest.approx(
        sorted(s for _, s in want), rel=1e-12, abs=1e-12
    )


def has_degenerate_list(*rankings: Any) -> bool:
    """One doc, or equal scores: where the original's min-max passed raw scores through."""
    return any(len({s for _, s in refc.pairs(r)}) == 1 for r in rankings)


# ----------------------------------------------------------------------------- the names exist


def test_every_name_exists_at_the_top_level_and_in_compat() -> None:
    for name in NAMES:
        assert callable(getattr(rank_fusion, name)), name
        assert name in rank_fusion.__all__, name
        assert callable(getattr(compat, name)), name
    assert sorted(compat.__all__) == sorted(NAMES)
    # the non-conflicting names are compat's own functions
    for name in set(NAMES) - {"rrf", "isr", "dbsf", "standardized"}:
        assert getattr(rank_fusion, name) is getattr(compat, name)


@pytest.mark.parametrize("name", ["rrf", "isr", "dbsf", "standardized"])
def test_shared_names_keep_our_signature_and_document_the_original_call(name: str) -> None:
    function = getattr(rank_fusion, name)
    assert next(iter(inspect.signature(function).parameters)) == "runs"
    assert f"rank_fusion.compat.{name}" in function.__doc__
    assert "runs" not in inspect.signature(getattr(compat, name)).parameters


def test_the_originals_readme_example() -> None:
    bm25 = [("d1", 12.5), ("d2", 11.0)]
    dense = [("d2", 0.9), ("d3", 0.8)]
    assert rank_fusion.rrf(bm25, dense, k=60) == [
        ("d2", 1 / 61 + 1 / 60),
        ("d1", 1 / 60),
        ("d3", 1 / 61),
    ]


# ----------------------------------------------------------------------------- rank-based


@case_params
@top_k_params
@pytest.mark.parametrize("k", [60, 1, 2.5])
def test_rrf(a: Any, b: Any, top_k: int | None, k: float) -> None:
    got = compat.rrf(a, b, k=k, top_k=top_k)
    assert_matches(got, refc.rrf([a, b], k), top_k)
    assert got == rank_fusion.rrf(a, b, k=k, top_k=top_k) == rank_fusion.rrf(a, b, k, top_k)
    assert got == compat.rrf_multi([a, b], k, top_k)
    # ours with 1-based ranks: k - 1; positions as given are negated ranks to ours
    assert got == rank_fusion.rrf(
        [positional(a), positional(b)], k=k - 1, ranks="negated_scores", top_k=top_k
    )
    if in_our_order(a, b):
        assert got == rank_fusion.rrf([a, b], k=k - 1, top_k=top_k)


@top_k_params
def test_rrf_multi(top_k: int | None) -> None:
    got = compat.rrf_multi([A, B, C], top_k=top_k)
    assert_matches(got, refc.rrf([A, B, C]), top_k)
    assert got == rank_fusion.rrf_multi([A, B, C], 60, top_k)
    assert got == rank_fusion.rrf(
        [positional(A), positional(B), positional(C)], k=59, ranks="negated_scores", top_k=top_k
    )
    assert compat.rrf_multi([A]) == compat.rrf(A, [])


def test_rank_based_names_rank_by_position_not_by_score() -> None:
    # placeholder scores (the original's examples use 0.0 for "scores ignored")
    a = [("b", 0.0), ("a", 0.0), ("c", 0.0)]
    b = [("c", 0.0)]
    assert compat.rrf(a, b) == [("c", 1 / 62 + 1 / 60), ("b", 1 / 60), ("a", 1 / 61)]
    # ours ranks the tie by doc id descending: c, b, a
    assert rank_fusion.rrf([a, b], k=59) == [("c", 1 / 60 + 1 / 60), ("b", 1 / 61), ("a", 1 / 62)]
    assert compat.borda(a, b) == [("b", 3.0), ("c", 1.0 + 1.0), ("a", 2.0)]
    assert compat.isr(a, []) == [("b", 1.0), ("a", 1 / math.sqrt(2)), ("c", 1 / math.sqrt(3))]


def test_fused_ties_break_by_doc_id_descending() -> None:
    assert compat.rrf([("x", 1.0)], [("y", 1.0)]) == [("y", 1 / 60), ("x", 1 / 60)]
    assert compat.rrf([("y", 1.0)], [("x", 1.0)]) == [("y", 1 / 60), ("x", 1 / 60)]
    assert compat.borda([("a", 1.0), ("b", 0.5)], [("b", 1.0), ("a", 0.5)]) == [
        ("b", 3.0),
        ("a", 3.0),
    ]
    assert compat.combsum([("a", 1.0)], [("b", 7.0)]) == [("b", 1.0), ("a", 1.0)]
    assert compat.dbsf([("a", 1.0)], [("b", 7.0)]) == [("b", 0.0), ("a", 0.0)]


@case_params
@top_k_params
@pytest.mark.parametrize("k", [1, 3, 0.5 + 1])
def test_isr(a: Any, b: Any, top_k: int | None, k: float) -> None:
    got = compat.isr(a, b, k=k, top_k=top_k)
    assert_matches(got, refc.isr([a, b], k), top_k)
    assert got == rank_fusion.isr(a, b, k=k, top_k=top_k) == rank_fusion.isr(a, b, k, top_k)
    assert got == compat.isr_multi([a, b], k, top_k)
    # our engine's per-rank contribution, as posfuse uses it, with the model 1 / sqrt(k + p)
    longest = max(len(a), len(b))
    model = [1 / np.sqrt(k + np.arange(longest, dtype=float))] * 2
    engine = run_method(
        coerce_lists([positional(a), positional(b)]),
        "posfuse",
        TRAINED_SPECS["posfuse"],
        tables=model,
        ranks="negated_scores",
        top_k=top_k,
    )
    assert got == engine


def test_isr_is_not_ranx_isr() -> None:
    # the original: inverse square root of the 0-based rank + k; ranx: count * inverse square rank
    assert compat.isr(A_OURS, B)[0] == ("d3", pytest.approx(1 / math.sqrt(2) + 1.0))
    assert rank_fusion.isr([A_OURS, B])[0] == ("d3", pytest.approx(2 * (1 / 4 + 1.0)))


@top_k_params
def test_isr_multi(top_k: int | None) -> None:
    got = compat.isr_multi([A, B, C], top_k=top_k)
    assert_matches(got, refc.isr([A, B, C]), top_k)
    assert got == rank_fusion.isr_multi([A, B, C], 1, top_k)


@case_params
@top_k_params
def test_borda(a: Any, b: Any, top_k: int | None) -> None:
    got = compat.borda(a, b, top_k=top_k)
    assert_matches(got, refc.borda([a, b]), top_k)
    assert got == rank_fusion.borda(a, b, top_k) == compat.borda_multi([a, b], top_k)


@top_k_params
def test_borda_multi_and_bordafuse(top_k: int | None) -> None:
    got = compat.borda_multi([A, B, C], top_k=top_k)
    assert_matches(got, refc.borda([A, B, C]), top_k)
    assert got == rank_fusion.borda_multi([A, B, C], top_k)
    # lists holding the same docs: every list's length is the number of candidates and no doc is
    # missing, so the original's Borda is ranx's bordafuse
    same = [
        [("a", 3.0), ("c", 2.0), ("b", 1.0)],
        [("b", 9.0), ("a", 8.0), ("c", 7.0)],
        [("c", 1.0), ("b", 0.5), ("a", 0.0)],
    ]
    assert compat.borda_multi(same, top_k=top_k) == rank_fusion.bordafuse(same, top_k=top_k)
    # otherwise bordafuse counts points over all candidates and gives a missing doc the mean of the rest
    assert dict(compat.borda(A_OURS, B)) == {
        "d1": 4.0 + 1.0,
        "d3": 3.0 + 3.0,
        "d2": 2.0,
        "d4": 1.0,
        "d5": 2.0,
    }
    assert dict(rank_fusion.bordafuse([A_OURS, B]))["d2"] == 3.0 + (5 - 3 + 1) / 2


# ----------------------------------------------------------------------------- score-based


@case_params
@top_k_params
def test_combsum(a: Any, b: Any, top_k: int | None) -> None:
    got = compat.combsum(a, b, top_k=top_k)
    expected = refc.combsum([a, b], degenerate=1.0)
    if not has_degenerate_list(a, b):
        assert expected == refc.combsum([a, b])  # the original's numbers
    assert_matches(got, expected, top_k)
    assert got == rank_fusion.combsum(a, b, top_k) == compat.combsum_multi([a, b], top_k)
    assert got == rank_fusion.comb_sum([a, b], norm="min-max", top_k=top_k)


@case_params
@top_k_params
def test_combmnz(a: Any, b: Any, top_k: int | None) -> None:
    got = compat.combmnz(a, b, top_k=top_k)
    expected = refc.combmnz([a, b], degenerate=1.0)
    if not has_degenerate_list(a, b):
        assert expected == refc.combmnz([a, b])
    assert_matches(got, expected, top_k)
    assert got == rank_fusion.combmnz(a, b, top_k) == compat.combmnz_multi([a, b], top_k)
    assert got == rank_fusion.comb_mnz([a, b], norm="min-max", top_k=top_k)


@top_k_params
def test_combsum_and_combmnz_multi(top_k: int | None) -> None:
    assert_matches(compat.combsum_multi([A, B, C], top_k), refc.combsum([A, B, C]), top_k)
    assert_matches(compat.combmnz_multi([A, B, C], top_k), refc.combmnz([A, B, C]), top_k)
    assert compat.combmnz_multi([A, B, C], top_k) == rank_fusion.comb_mnz(
        [A, B, C], norm="min-max", top_k=top_k
    )


def test_a_degenerate_list_normalises_to_one_not_to_its_raw_scores() -> None:
    # one BM25 hit scoring 12.5 and a dense list in [0, 1]: the original passed 12.5 through,
    # so the lone hit outweighed every dense doc; min-max maps it to 1.0 (its list's best)
    bm25, dense = [("d9", 12.5)], [("d1", 0.9), ("d9", 0.5), ("d2", 0.1)]
    assert refc.combsum([bm25, dense]) == pytest.approx({"d9": 12.5 + 0.5, "d1": 1.0, "d2": 0.0})
    assert dict(compat.combsum(bm25, dense)) == pytest.approx({"d9": 1.5, "d1": 1.0, "d2": 0.0})
    assert dict(compat.weighted(bm25, dense, 1, 1)) == pytest.approx(
        {"d9": 0.75, "d1": 0.5, "d2": 0.0}
    )
    assert refc.weighted(bm25, dense, 1, 1)["d9"] == pytest.approx(6.5)


@case_params
@top_k_params
@pytest.mark.parametrize("clip_range", [(-3.0, 3.0), (-1.0, 0.5), (0.0, 2.0)])
def test_standardized(a: Any, b: Any, top_k: int | None, clip_range: tuple[float, float]) -> None:
    got = compat.standardized(a, b, clip_range=clip_range, top_k=top_k)
    assert_matches(got, refc.standardized([a, b], clip_range), top_k)
    assert got == rank_fusion.standardized(a, b, clip_range=clip_range, top_k=top_k)
    assert got == rank_fusion.standardized(a, b, clip_range, top_k)
    assert got == compat.standardized_multi([a, b], clip_range, top_k)
    assert got == rank_fusion.standardized([a, b], clip_range=clip_range, top_k=top_k)
    assert got == rank_fusion.fuse([a, b], "standardized", clip_range=clip_range, top_k=top_k)


@case_params
@top_k_params
def test_dbsf(a: Any, b: Any, top_k: int | None) -> None:
    got = compat.dbsf(a, b, top_k=top_k)
    assert_matches(got, refc.dbsf([a, b]), top_k)
    assert got == rank_fusion.dbsf(a, b, top_k=top_k) == rank_fusion.dbsf(a, b, top_k)
    assert got == compat.dbsf_multi([a, b], top_k)
    assert got == rank_fusion.standardized([a, b], top_k=top_k)
    assert got == rank_fusion.comb_sum([a, b], norm="zscore", top_k=top_k)


@top_k_params
def test_dbsf_and_standardized_multi(top_k: int | None) -> None:
    got = compat.dbsf_multi([A, B, C], top_k)
    assert_matches(got, refc.dbsf([A, B, C]), top_k)
    assert (
        got
        == rank_fusion.dbsf_multi([A, B, C], top_k)
        == rank_fusion.standardized([A, B, C], top_k=top_k)
    )
    clipped = compat.standardized_multi([A, B, C], (-0.5, 0.5), top_k)
    assert_matches(clipped, refc.standardized([A, B, C], (-0.5, 0.5)), top_k)
    assert clipped == rank_fusion.standardized_multi([A, B, C], (-0.5, 0.5), top_k)


def test_dbsf_is_not_qdrants() -> None:
    # the original: z-scores (population sd) clipped to [-3, 3], summed; ours and Qdrant's:
    # mean +- 3 sample sd mapped to [0, 1]
    a, b = [("x", 3.0), ("y", 1.0)], [("y", 4.0), ("z", 2.0)]
    assert dict(compat.dbsf(a, b)) == pytest.approx({"x": 1.0, "y": 0.0, "z": -1.0})
    sd = math.sqrt(2.0)
    assert dict(rank_fusion.dbsf([a, b])) == pytest.approx(
        {
            "x": (1 + 3 * sd) / (6 * sd),
            "y": (-1 + 3 * sd) / (6 * sd) + (1 + 3 * sd) / (6 * sd),
            "z": (-1 + 3 * sd) / (6 * sd),
        }
    )


WEIGHTS = [(0.7, 0.3, True), (1, 3, False), (2, 0, True), (1, 1, True)]


@case_params
@top_k_params
@pytest.mark.parametrize(("weight_a", "weight_b", "normalize"), WEIGHTS)
def test_weighted(
    a: Any, b: Any, top_k: int | None, weight_a: float, weight_b: float, normalize: bool
) -> None:
    got = compat.weighted(a, b, weight_a, weight_b, normalize, top_k)
    expected = refc.weighted(a, b, weight_a, weight_b, normalize, degenerate=1.0)
    if not (normalize and has_degenerate_list(a, b)):
        assert expected == refc.weighted(a, b, weight_a, weight_b, normalize)
    assert_matches(got, expected, top_k)
    assert got == rank_fusion.weighted(
        a, b, weight_a=weight_a, weight_b=weight_b, normalize=normalize, top_k=top_k
    )
    total = weight_a + weight_b
    assert got == rank_fusion.wsum(
        [a, b],
        [weight_a / total, weight_b / total],
        norm="min-max" if normalize else None,
        top_k=top_k,
    )


NORMALIZATIONS = ["zscore", "minmax", "sum", "rank", "none"]


@case_params
@top_k_params
@pytest.mark.parametrize("normalization", NORMALIZATIONS)
@pytest.mark.parametrize("weights", [(1.0, 1.0), (1.0, 20.0), (0.0, 2.0)])
def test_additive_multi_task(
    a: Any, b: Any, top_k: int | None, normalization: str, weights: tuple[float, float]
) -> None:
    got = compat.additive_multi_task(a, b, weights, normalization, top_k)
    # our inputs' scores are non-negative: the original's signed sum is our sum of |s|
    assert refc.additive_multi_task(
        a, b, weights, normalization, degenerate=1.0, signed_sum=False
    ) == (refc.additive_multi_task(a, b, weights, normalization, degenerate=1.0))
    expected = refc.additive_multi_task(a, b, weights, normalization, degenerate=1.0)
    if not (normalization == "minmax" and has_degenerate_list(a, b)):
        assert expected == refc.additive_multi_task(a, b, weights, normalization)
    assert_matches(got, expected, top_k)
    assert got == rank_fusion.additive_multi_task(
        a, b, weights=weights, normalization=normalization, top_k=top_k
    )
    assert got == compat.additive_multi_task(
        a, b, weights, normalization.upper(), top_k
    )  # case-insensitive
    if normalization == "zscore":
        ours = rank_fusion.standardized([a, b], weights=weights, top_k=top_k)
    elif normalization == "rank":
        ours = rank_fusion.wsum([positional(a), positional(b)], weights, norm="rank", top_k=top_k)
    else:
        norm = {"minmax": "min-max", "sum": "l1", "none": None}[normalization]
        ours = rank_fusion.wsum([a, b], weights, norm=norm, top_k=top_k)
    assert got == ours


def test_additive_multi_task_defaults_to_zscore() -> None:
    assert compat.additive_multi_task(A, B) == compat.additive_multi_task(
        A, B, (1.0, 1.0), "zscore"
    )
    assert compat.additive_multi_task(A, B) == rank_fusion.standardized([A, B])


def test_sum_normalisation_divides_by_the_sum_of_absolute_scores() -> None:
    # the original divided by the signed sum: a list of negative scores came out reversed
    a, b = [("x", -1.0), ("y", -3.0)], [("x", 1.0)]
    assert refc.additive_multi_task(a, b, normalization="sum") == {"x": 0.25 + 1.0, "y": 0.75}
    assert compat.additive_multi_task(a, b, normalization="sum") == [
        ("x", -0.25 + 1.0),
        ("y", -0.75),
    ]


def test_ids_are_returned_as_given() -> None:
    assert compat.rrf([(7, 1.0), (3, 0.5)], [(3, 2.0)]) == [(3, 1 / 61 + 1 / 60), (7, 1 / 60)]


# ----------------------------------------------------------------------------- dispatch


def test_our_calls_are_unchanged() -> None:
    lists = [A, B]
    assert rank_fusion.rrf(lists) == rank_fusion.fuse(lists, "rrf")
    assert (
        rank_fusion.rrf(lists, 30)
        == rank_fusion.rrf(lists, k=30)
        == rank_fusion.fuse(lists, "rrf", k=30)
    )
    assert rank_fusion.rrf(runs=lists, k=2) == rank_fusion.fuse(lists, "rrf", k=2)
    assert rank_fusion.rrf(lists)[0] == ("d3", 1 / 62 + 1 / 61)  # 1-based ranks, our tie order
    assert rank_fusion.isr(lists) == rank_fusion.fuse(lists, "isr")
    assert rank_fusion.dbsf(lists, weights=[1, 2]) == rank_fusion.fuse(
        lists, "dbsf", weights=[1, 2]
    )
    runs = [{"q": dict(A)}, {"q": dict(B)}]
    for name in ("rrf", "isr", "dbsf", "standardized"):
        fused = getattr(rank_fusion, name)(runs)
        assert isinstance(fused, Run)
        assert fused == rank_fusion.fuse(runs, name)


def test_the_original_call_is_told_apart_by_its_second_argument() -> None:
    assert rank_fusion.rrf(A, B) == compat.rrf(A, B)
    assert rank_fusion.rrf(A, []) == compat.rrf(A, [])
    assert rank_fusion.rrf(A, ()) == compat.rrf(A, [])
    assert rank_fusion.rrf(A, dict(B)) == compat.rrf(A, B)
    assert rank_fusion.rrf(A, B, 30, 2) == compat.rrf(A, B, k=30, top_k=2)
    assert rank_fusion.isr(A, B, 2) == compat.isr(A, B, k=2)
    assert rank_fusion.dbsf(A, B, 1) == compat.dbsf(A, B, top_k=1)
    assert rank_fusion.standardized(A, B, (-1, 1), 2) == compat.standardized(A, B, (-1, 1), 2)


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("rrf", {"weights": [1, 2]}),
        ("isr", {"depth": 3}),
        ("dbsf", {"queries": "union"}),
        ("standardized", {"weights": [1, 1]}),
    ],
)
def test_our_options_in_the_original_call_raise(name: str, kwargs: dict[str, Any]) -> None:
    with raises(RankTypeError, TypeError, match=rf"{name}\(\[a, b\], \.\.\.\)"):
        getattr(rank_fusion, name)(A, B, **kwargs)


def test_too_many_arguments_in_the_original_call_raise() -> None:
    with raises(RankTypeError, TypeError, match="two-list call"):
        rank_fusion.rrf(A, B, 60, 10, 5)


# ----------------------------------------------------------------------------- errors

PAIR_CALLS = {
    "rrf": lambda a, b: compat.rrf(a, b),
    "isr": lambda a, b: compat.isr(a, b),
    "borda": lambda a, b: compat.borda(a, b),
    "combsum": lambda a, b: compat.combsum(a, b),
    "combmnz": lambda a, b: compat.combmnz(a, b),
    "dbsf": lambda a, b: compat.dbsf(a, b),
    "standardized": lambda a, b: compat.standardized(a, b),
    "weighted": lambda a, b: compat.weighted(a, b, 0.5, 0.5),
    "additive_multi_task": lambda a, b: compat.additive_multi_task(a, b),
    "rrf_multi": lambda a, b: compat.rrf_multi([a, b]),
    "isr_multi": lambda a, b: compat.isr_multi([a, b]),
    "borda_multi": lambda a, b: compat.borda_multi([a, b]),
    "combsum_multi": lambda a, b: compat.combsum_multi([a, b]),
    "combmnz_multi": lambda a, b: compat.combmnz_multi([a, b]),
    "dbsf_multi": lambda a, b: compat.dbsf_multi([a, b]),
    "standardized_multi": lambda a, b: compat.standardized_multi([a, b]),
    "top-level rrf": lambda a, b: rank_fusion.rrf(a, b),
}
RANK_BASED = {"rrf", "isr", "borda", "rrf_multi", "isr_multi", "borda_multi", "top-level rrf"}
pair_calls = pytest.mark.parametrize("call", list(PAIR_CALLS.values()), ids=list(PAIR_CALLS))


def test_every_name_has_a_pair_call() -> None:
    assert set(NAMES) <= set(PAIR_CALLS)


@pair_calls
def test_nan_scores_raise(call: Any) -> None:
    with raises(NonFiniteInputError, ValueError, match="NaN"):
        call(A, [("d1", math.nan)])
    with raises(NonFiniteInputError, ValueError, match="NaN"):
        call({"d1": math.nan}, B)


@pytest.mark.parametrize("name", list(PAIR_CALLS))
def test_infinite_scores(name: str) -> None:
    call = PAIR_CALLS[name]
    if name in RANK_BASED:  # scores are not used: positions rank
        assert call(A, [("d9", math.inf), ("d1", -math.inf)]) == call(A, [("d9", 0.0), ("d1", 0.0)])
    else:
        with raises(NonFiniteInputError, ValueError, match="finite"):
            call(A, [("d9", math.inf), ("d1", 1.0)])


@pair_calls
def test_a_doc_twice_in_one_ranking_raises(call: Any) -> None:
    # the original summed both occurrences' contributions
    with raises(RankValueError, ValueError, match="twice"):
        call(A, [("d1", 2.0), ("d1", 1.0)])


@pair_calls
def test_malformed_rankings_raise(call: Any) -> None:
    with raises(RankTypeError, TypeError):
        call(A, [("d1", 1.0, 2.0)])
    with raises(RankTypeError, TypeError):
        call(A, [("d1", "high")])
    with raises(RankTypeError, TypeError):
        call(A, [("d1",)])


@pytest.mark.parametrize(
    "function",
    [
        compat.rrf_multi,
        compat.isr_multi,
        compat.borda_multi,
        compat.combsum_multi,
        compat.combmnz_multi,
        compat.dbsf_multi,
        compat.standardized_multi,
    ],
)
def test_multi_needs_a_list_of_rankings(function: Any) -> None:
    with raises(RankValueError, ValueError, match="no rankings"):
        function([])
    with raises(RankTypeError, TypeError):
        function("ab")
    with raises(RankTypeError, TypeError):
        function(A)  # one ranking instead of a list of them
    runs = [Run.from_dict({"q": dict(A)}), Run.from_dict({"q": dict(B)})]
    with raises(RankTypeError, TypeError, match="one query's rankings"):
        function(runs)


@pytest.mark.parametrize("function", [compat.rrf, compat.isr, rank_fusion.rrf, rank_fusion.isr])
def test_bad_k(function: Any) -> None:
    for k in (0, 0.5, -1):
        with raises(RankValueError, ValueError, match="k must be in"):
            function(A, B, k=k)
    for k in ("60", True, None):
        with raises(RankTypeError, TypeError):
            function(A, B, k=k)
    with raises(NonFiniteInputError, ValueError):
        function(A, B, k=math.inf)


TOP_K_CALLS = {
    "rrf": lambda top_k: compat.rrf(A, B, top_k=top_k),
    "isr": lambda top_k: compat.isr(A, B, top_k=top_k),
    "borda": lambda top_k: compat.borda(A, B, top_k=top_k),
    "combsum": lambda top_k: compat.combsum(A, B, top_k=top_k),
    "combmnz": lambda top_k: compat.combmnz(A, B, top_k=top_k),
    "dbsf": lambda top_k: compat.dbsf(A, B, top_k=top_k),
    "standardized": lambda top_k: compat.standardized(A, B, top_k=top_k),
    "weighted": lambda top_k: compat.weighted(A, B, 1, 1, top_k=top_k),
    "additive_multi_task": lambda top_k: compat.additive_multi_task(A, B, top_k=top_k),
    "rrf_multi": lambda top_k: compat.rrf_multi([A, B], top_k=top_k),
    "isr_multi": lambda top_k: compat.isr_multi([A, B], top_k=top_k),
    "borda_multi": lambda top_k: compat.borda_multi([A, B], top_k=top_k),
    "combsum_multi": lambda top_k: compat.combsum_multi([A, B], top_k=top_k),
    "combmnz_multi": lambda top_k: compat.combmnz_multi([A, B], top_k=top_k),
    "dbsf_multi": lambda top_k: compat.dbsf_multi([A, B], top_k=top_k),
    "standardized_multi": lambda top_k: compat.standardized_multi([A, B], top_k=top_k),
    "top-level rrf": lambda top_k: rank_fusion.rrf(A, B, top_k=top_k),
}


@pytest.mark.parametrize("call", list(TOP_K_CALLS.values()), ids=list(TOP_K_CALLS))
def test_bad_top_k(call: Any) -> None:
    with raises(RankValueError, ValueError, match="top_k"):
        call(-1)
    with raises(RankTypeError, TypeError, match="top_k"):
        call(1.5)


def test_bad_weighted_arguments() -> None:
    with raises(RankValueError, ValueError, match="weight_a"):
        compat.weighted(A, B, -1, 2)
    with raises(RankValueError, ValueError, match="both 0"):
        compat.weighted(A, B, 0, 0)
    with raises(NonFiniteInputError, ValueError):
        compat.weighted(A, B, math.nan, 1)
    with raises(RankTypeError, TypeError):
        compat.weighted(A, B, "1", 1)
    with raises(RankTypeError, TypeError, match="normalize"):
        compat.weighted(A, B, 1, 1, normalize="yes")
    with pytest.raises(
        TypeError, match="weight_a"
    ):  # Python's own: no default weights, as in the original
        compat.weighted(A, B)  # type: ignore[call-arg]


def test_bad_additive_multi_task_arguments() -> None:
    with raises(RankValueError, ValueError, match="normalization"):
        compat.additive_multi_task(A, B, normalization="l2")
    with raises(RankTypeError, TypeError, match="normalization"):
        compat.additive_multi_task(A, B, normalization=None)
    with raises(RankTypeError, TypeError, match="pair"):
        compat.additive_multi_task(A, B, weights=(1.0,))
    with raises(RankTypeError, TypeError, match="pair"):
        compat.additive_multi_task(A, B, weights=1.0)
    with raises(RankValueError, ValueError, match=">= 0"):
        compat.additive_multi_task(A, B, weights=(-1.0, 1.0))
    with raises(RankValueError, ValueError, match="all be 0"):
        compat.additive_multi_task(A, B, weights=(0.0, 0.0))
    with raises(NonFiniteInputError, ValueError):
        compat.additive_multi_task(A, B, weights=(math.nan, 1.0))


@pytest.mark.parametrize(
    "function",
    [
        compat.standardized,
        rank_fusion.standardized,
        lambda a, b, clip_range: rank_fusion.standardized([a, b], clip_range=clip_range),
    ],
)
def test_bad_clip_range(function: Any) -> None:
    with raises(RankValueError, ValueError, match="low <= high"):
        function(A, B, clip_range=(3.0, -3.0))
    with raises(RankTypeError, TypeError, match="clip_range"):
        function(A, B, clip_range=3.0)
    with raises(RankTypeError, TypeError, match="clip_range"):
        function(A, B, clip_range=(-3.0, 0.0, 3.0))
    with raises(RankTypeError, TypeError, match=r"clip_range\[0\]"):
        function(A, B, clip_range=("-3", 3.0))
    with raises(NonFiniteInputError, ValueError, match=r"clip_range\[1\]"):
        function(A, B, clip_range=(-3.0, math.nan))


# ----------------------------------------------------------------------------- generated inputs

DOCS = ["a", "b", "c", "d", "e", "d9", "d10"]
score = st.one_of(
    st.integers(-3, 4).map(float), st.floats(-1e3, 1e3, allow_nan=False, allow_subnormal=False)
)
ranking = st.lists(
    st.tuples(st.sampled_from(DOCS), score), unique_by=lambda pair: pair[0], max_size=len(DOCS)
)
GENERATED = settings(deadline=None, max_examples=120, suppress_health_check=[HealthCheck.too_slow])


@given(
    st.lists(ranking, min_size=1, max_size=4),
    st.sampled_from([None, 0, 1, 3]),
    st.sampled_from([1, 2, 60]),
)
@GENERATED
def test_generated_rank_based(lists: list[Any], top_k: int | None, k: int) -> None:
    got = compat.rrf_multi(lists, k, top_k)
    assert_matches(got, refc.rrf(lists, k), top_k)
    assert got == rank_fusion.rrf(
        [positional(r) for r in lists], k=k - 1, ranks="negated_scores", top_k=top_k
    )
    assert_matches(compat.isr_multi(lists, k, top_k), refc.isr(lists, k), top_k)
    assert_matches(compat.borda_multi(lists, top_k), refc.borda(lists), top_k)


@given(st.lists(ranking, min_size=1, max_size=4), st.sampled_from([None, 0, 1, 3]))
@GENERATED
def test_generated_score_based(lists: list[Any], top_k: int | None) -> None:
    got = compat.combsum_multi(lists, top_k)
    assert_matches(got, refc.combsum(lists, degenerate=1.0), top_k)
    assert got == rank_fusion.comb_sum(lists, norm="min-max", top_k=top_k)
    got = compat.combmnz_multi(lists, top_k)
    assert_matches(got, refc.combmnz(lists, degenerate=1.0), top_k)
    assert got == rank_fusion.comb_mnz(lists, norm="min-max", top_k=top_k)
    got = compat.dbsf_multi(lists, top_k)
    assert_matches(got, refc.dbsf(lists), top_k)
    assert got == rank_fusion.standardized(lists, top_k=top_k)
    got = compat.standardized_multi(lists, (-1.0, 0.5), top_k)
    assert_matches(got, refc.standardized(lists, (-1.0, 0.5)), top_k)


@given(
    ranking,
    ranking,
    st.sampled_from(NORMALIZATIONS),
    st.tuples(st.integers(0, 3), st.integers(1, 3)),
    st.booleans(),
)
@GENERATED
def test_generated_two_list_functions(
    a: Any, b: Any, normalization: str, weights: Any, normalize: bool
) -> None:
    got = compat.additive_multi_task(a, b, weights, normalization)
    assert_matches(
        got,
        refc.additive_multi_task(a, b, weights, normalization, degenerate=1.0, signed_sum=False),
    )
    got = compat.weighted(a, b, *weights, normalize=normalize)
    assert_matches(got, refc.weighted(a, b, *weights, normalize, degenerate=1.0))
