"""The oracles of ``reference.py`` on small cases computed by hand."""

from __future__ import annotations

import math

import pytest
import reference as ref

# L1 ranks a > b > c; L2 ranks b > d. Candidates a, b, c, d (N = 4).
L1 = {"c": 1.0, "a": 3.0, "b": 2.0}
L2 = {"d": 4.0, "b": 5.0}
LISTS = [L1, L2]


def approx(expected: dict[str, float]):
    return pytest.approx(expected, rel=1e-12, abs=1e-12)


def test_rank_list_breaks_ties_by_doc_id_descending() -> None:
    assert ref.rank_list({"a": 1.0, "c": 1.0, "b": 2.0}) == [("b", 2.0), ("c", 1.0), ("a", 1.0)]


@pytest.mark.parametrize(
    ("method", "options", "expected"),
    [
        ("rrf", {}, {"a": 1 / 61, "b": 1 / 62 + 1 / 61, "c": 1 / 63, "d": 1 / 62}),
        ("rrf", {"k": 0}, {"a": 1.0, "b": 1.5, "c": 1 / 3, "d": 0.5}),
        ("rrf", {"weights": [1, 2]}, {"a": 1 / 61, "b": 1 / 62 + 2 / 61, "c": 1 / 63, "d": 2 / 62}),
        ("isr", {}, {"a": 1.0, "b": 2 * (1 / 4 + 1), "c": 1 / 9, "d": 1 / 4}),
        ("log_isr", {}, {"a": 0.0, "b": 1.25 * math.log(2), "c": 0.0, "d": 0.0}),
        (
            "logn_isr",
            {"sigma": 0.5},
            {
                "a": math.log(1.5),
                "b": 1.25 * math.log(2.5),
                "c": math.log(1.5) / 9,
                "d": math.log(1.5) / 4,
            },
        ),
        # L1: 4, 3, 2 points and (4 - 3 + 1) / 2 = 1 for d; L2: 4, 3 and (4 - 2 + 1) / 2 = 1.5 for a, c
        ("bordafuse", {}, {"a": 5.5, "b": 7.0, "c": 3.5, "d": 4.0}),
        ("w_bordafuse", {"weights": [2, 1]}, {"a": 9.5, "b": 10.0, "c": 5.5, "d": 5.0}),
        ("rbc", {"phi": 0.5}, {"a": 0.5, "b": 0.75, "c": 0.125, "d": 0.25}),
        ("sum", {}, {"a": 3.0, "b": 7.0, "c": 1.0, "d": 4.0}),
        ("min", {}, {"a": 3.0, "b": 2.0, "c": 1.0, "d": 4.0}),
        ("max", {}, {"a": 3.0, "b": 5.0, "c": 1.0, "d": 4.0}),
        ("med", {}, {"a": 3.0, "b": 3.5, "c": 1.0, "d": 4.0}),
        ("anz", {}, {"a": 3.0, "b": 3.5, "c": 1.0, "d": 4.0}),
        ("mnz", {}, {"a": 3.0, "b": 14.0, "c": 1.0, "d": 4.0}),
        ("gmnz", {"gamma": 2.0}, {"a": 3.0, "b": 28.0, "c": 1.0, "d": 4.0}),
        ("wsum", {"weights": [1, 2]}, {"a": 3.0, "b": 12.0, "c": 1.0, "d": 8.0}),
        ("wmnz", {"weights": [1, 2]}, {"a": 3.0, "b": 21.0, "c": 1.0, "d": 8.0}),
        ("mixed", {"weights": [1, 2]}, {"a": 3.0, "b": 12.0 * math.sqrt(2), "c": 1.0, "d": 8.0}),
        # normalisations, shown through comb_sum
        ("sum", {"norm": "min-max"}, {"a": 1.0, "b": 1.5, "c": 0.0, "d": 0.0}),
        ("sum", {"norm": "min-max-inverted"}, {"a": 0.0, "b": 0.5, "c": 1.0, "d": 1.0}),
        ("sum", {"norm": "max"}, {"a": 1.0, "b": 2 / 3 + 1.0, "c": 1 / 3, "d": 0.8}),
        ("sum", {"norm": "sum"}, {"a": 2 / 3, "b": 1 / 3 + 1.0, "c": 0.0, "d": 0.0}),
        (
            "sum",
            {"norm": "zmuv"},
            {"a": 1 / math.sqrt(2 / 3), "b": 0.0 + 1.0, "c": -1 / math.sqrt(2 / 3), "d": -1.0},
        ),
        # zscore: L1 is 3, 2, 1 (mean 2, sd sqrt(2/3)); L2 is 5, 4 (mean 4.5, sd 0.5)
        (
            "sum",
            {"norm": "zscore"},
            {"a": 1 / math.sqrt(2 / 3), "b": 0.0 + 1.0, "c": -1 / math.sqrt(2 / 3), "d": -1.0},
        ),
        ("standardized", {}, {"a": 1 / math.sqrt(2 / 3), "b": 1.0, "c": -1 / math.sqrt(2 / 3), "d": -1.0}),
        ("standardized", {"clip_range": (-0.5, 1.0)}, {"a": 1.0, "b": 1.0, "c": -0.5, "d": -0.5}),
        (
            "standardized",
            {"weights": [2, 1]},
            {"a": 2 / math.sqrt(2 / 3), "b": 1.0, "c": -2 / math.sqrt(2 / 3), "d": -1.0},
        ),
        ("sum", {"norm": "l1"}, {"a": 0.5, "b": 1 / 3 + 5 / 9, "c": 1 / 6, "d": 4 / 9}),
        ("sum", {"norm": "rank"}, {"a": 1.0, "b": 2 / 3 + 1.0, "c": 1 / 3, "d": 0.5}),
        # borda: held 1 - i / 4; absent 0.5 - (n - 1) / 8: 0.25 in L1, 0.375 in L2
        ("sum", {"norm": "borda"}, {"a": 1.375, "b": 1.75, "c": 0.875, "d": 1.0}),
        # with borda every list holds every candidate, so mnz multiplies by 2 everywhere
        ("mnz", {"norm": "borda"}, {"a": 2.75, "b": 3.5, "c": 1.75, "d": 2.0}),
        ("min", {"norm": "borda"}, {"a": 0.375, "b": 0.75, "c": 0.375, "d": 0.25}),
    ],
)
def test_hand_computed(method: str, options: dict, expected: dict[str, float]) -> None:
    assert ref.fuse_lists(LISTS, method, **options) == approx(expected)


def test_degenerate_min_max_is_one() -> None:
    assert ref.normalize([("a", 2.0), ("b", 2.0)], "min-max", ["a", "b"]) == {"a": 1.0, "b": 1.0}
    assert ref.normalize([("a", 2.0)], "min-max-inverted", ["a"]) == {"a": 1.0}


def test_floors() -> None:
    assert ref.normalize([("a", 0.0), ("b", -1.0)], "max", ["a", "b"]) == {
        "a": 0.0,
        "b": -1.0 / 1e-9,
    }
    assert ref.normalize([("a", 2.0), ("b", 2.0)], "sum", ["a", "b"]) == {"a": 0.0, "b": 0.0}
    assert ref.normalize([("a", 2.0), ("b", 2.0)], "zmuv", ["a", "b"]) == {"a": 0.0, "b": 0.0}
    # zscore: no floor but a threshold: sd <= 1e-9 gives 0 (zmuv divides by 1e-9 instead)
    tiny = [("a", 1.0 + 1e-10), ("b", 1.0)]
    assert ref.normalize(tiny, "zscore", ["a", "b"]) == {"a": 0.0, "b": 0.0}
    assert ref.normalize(tiny, "zmuv", ["a", "b"])["a"] == pytest.approx(0.05, rel=1e-5)
    assert ref.normalize([("a", 2.0)], "zscore", ["a"]) == {"a": 0.0}
    assert ref.normalize([("a", 0.0), ("b", 0.0)], "l1", ["a", "b"]) == {"a": 0.0, "b": 0.0}
    assert ref.normalize([("a", 1.0), ("b", -3.0)], "l1", ["a", "b"]) == {"a": 0.25, "b": -0.75}


def test_rrf_negated_scores_reads_ranks() -> None:
    lists = [{"a": -1.0, "b": -3.0}, {"b": -1.0}]
    assert ref.fuse_lists(lists, "rrf", ranks="negated_scores") == approx(
        {"a": 1 / 61, "b": 1 / 63 + 1 / 61}
    )


def test_condorcet_by_hand() -> None:
    # a-b tie (L2 holds b only), a beats c (L2 abstains), a-d tie, b beats c and d, c-d tie.
    # Start d c b a; width 1: (d c) (b a); width 2: b, d, a, c.
    assert ref.condorcet_order(LISTS, [1.0, 1.0]) == ["b", "d", "a", "c"]
    assert ref.fuse_lists(LISTS, "condorcet") == {"b": 4.0, "d": 3.0, "a": 2.0, "c": 1.0}


def test_condorcet_abstains_on_docs_a_list_holds_neither_of() -> None:
    # L3 holds only e: it ranks e above everything, and abstains on every other pair
    lists = [{"x": 2.0, "y": 1.0}, {"e": 1.0}]
    assert ref.beats_weight(lists, [1.0, 1.0], "x", "y") == (1.0, 0.0)
    assert ref.beats_weight(lists, [1.0, 1.0], "e", "x") == (1.0, 1.0)
    # start y x e; width 1: (y x) -> x beats y -> x y; (e); width 2: e vs x tie -> x y e
    assert ref.condorcet_order(lists, [1.0, 1.0]) == ["x", "y", "e"]


def test_condorcet_cycle_follows_the_bottom_up_merge() -> None:
    # x > y > z > x, each 2 to 1. Start z y x; width 1: (z y) -> y beats z -> y z; (x);
    # width 2: x beats y -> x first, then y, z.
    lists = [{"x": 3, "y": 2, "z": 1}, {"y": 3, "z": 2, "x": 1}, {"z": 3, "x": 2, "y": 1}]
    assert ref.condorcet_order(lists, [1.0, 1.0, 1.0]) == ["x", "y", "z"]
    # weight 3 on the third list makes the relation transitive: z > x > y
    assert ref.condorcet_order(lists, [1.0, 1.0, 3.0]) == ["z", "x", "y"]


def test_fuse_runs_query_policies() -> None:
    a = {"q1": {"d1": 1.0}, "q2": {"d2": 1.0}}
    b = {"q1": {"d3": 2.0}, "q3": {"d4": 1.0}}
    union = ref.fuse_runs([a, b], "sum")
    assert union == {"q1": [("d3", 2.0), ("d1", 1.0)], "q2": [("d2", 1.0)], "q3": [("d4", 1.0)]}
    assert ref.fuse_runs([a, b], "sum", queries="intersection") == {
        "q1": [("d3", 2.0), ("d1", 1.0)]
    }
    assert ref.fuse_runs([a, b], "sum", top_k=1) == {
        "q1": [("d3", 2.0)],
        "q2": [("d2", 1.0)],
        "q3": [("d4", 1.0)],
    }
    with pytest.raises(ValueError):
        ref.fuse_runs([a, b], "sum", queries="strict")
