"""Trained fusion (mapfuse, posfuse, probfuse, segfuse, slidefuse, bayesfuse) against ranx 0.3.21.

Runs are generated without score ties (ranx orders ties its own way); fused runs are compared as
``{query: {doc: score}}`` so that ties among fused scores do not matter. ranx zips runs and qrels
query by query, so its inputs share one query set, except where a test says otherwise.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from rank_core import NonFiniteInputError, Qrels, RankTypeError, RankValueError, Run
from rank_fusion._kernels.fuse import LOG_ODDS_FLOOR
from rank_fusion.trained import (
    TRAINED_SPECS,
    bayesfuse,
    mapfuse,
    posfuse,
    probfuse,
    segfuse,
    slidefuse,
    train_fusion,
)

SEEDS = range(5)
N_DOCS = 80  # doc pool of a query: lists of 10 to 60 docs overlap partly


def _case(seed: int, n_runs: int = 3, n_queries: int = 20, prefix: str = "q"):
    """``(runs, qrels)`` as dicts: tie-free scores, graded labels 0-2, one query judged all 0."""
    rng = np.random.default_rng(seed)
    queries = [f"{prefix}{i:02d}" for i in range(n_queries)]
    runs = []
    for _ in range(n_runs):
        run = {}
        for q in queries:
            n = int(rng.integers(10, 61))
            docs = rng.choice(N_DOCS, size=n, replace=False)
            scores = rng.permutation(n) + rng.random(n) * 0.5  # distinct
            run[q] = {f"d{d}": float(s) * 3.0 for d, s in zip(docs, scores, strict=True)}
        runs.append(run)
    qrels = {}
    for i, q in enumerate(queries):
        judged = rng.choice(N_DOCS, size=int(rng.integers(5, 30)), replace=False)
        labels = np.zeros(judged.size, dtype=int) if i == 1 else rng.integers(0, 3, size=judged.size)
        qrels[q] = {f"d{d}": int(v) for d, v in zip(judged, labels, strict=True)}
    return runs, qrels


def _ranx_inputs(runs, qrels):
    ranx = pytest.importorskip("ranx")
    return [ranx.Run(run) for run in runs], ranx.Qrels(qrels)


def _ranx_fuse(ranx_runs, method, params, norm=None):
    from ranx import fuse

    return fuse(ranx_runs, norm=norm, method=method, params=params).to_dict()


def _scores(ranking) -> dict[str, float]:
    """A rank-core ``Ranking`` as ``{doc: score}``."""
    return dict(zip(ranking.doc_ids.tolist(), ranking.scores.tolist(), strict=True))


def _assert_same_fused(ours: Run, theirs: dict) -> None:
    mine = ours.to_dict()
    assert sorted(mine) == sorted(theirs)
    for q, docs in theirs.items():
        assert sorted(mine[q]) == sorted(docs), q
        for doc, score in docs.items():
            assert math.isclose(mine[q][doc], score, rel_tol=1e-9, abs_tol=1e-9), (q, doc, mine[q][doc], score)


def _assert_same_models(ours, theirs) -> None:
    assert len(ours) == len(theirs)
    for mine, other in zip(ours, theirs, strict=True):
        other = np.atleast_1d(np.asarray(other, dtype=float))
        assert mine.shape == other.shape
        np.testing.assert_allclose(mine, other, rtol=1e-9, atol=1e-12)


# ------------------------------------------------------------------------------- against ranx


@pytest.mark.parametrize("seed", SEEDS)
def test_mapfuse_matches_ranx(seed):
    from ranx.fusion.mapfuse import mapfuse_train

    runs, qrels = _case(seed)
    ranx_runs, ranx_qrels = _ranx_inputs(runs, qrels)
    theirs = mapfuse_train(ranx_qrels, ranx_runs)
    _assert_same_models(train_fusion(qrels, runs, "mapfuse"), [[v] for v in theirs])
    _assert_same_fused(mapfuse(runs, qrels), _ranx_fuse(ranx_runs, "mapfuse", {"map_scores": theirs}))


@pytest.mark.parametrize("seed", SEEDS)
def test_posfuse_matches_ranx(seed):
    from ranx.fusion.posfuse import posfuse_train

    runs, qrels = _case(seed)
    ranx_runs, ranx_qrels = _ranx_inputs(runs, qrels)
    theirs = posfuse_train(ranx_qrels, ranx_runs)
    _assert_same_models(train_fusion(qrels, runs, "posfuse"), theirs)
    _assert_same_fused(posfuse(runs, qrels), _ranx_fuse(ranx_runs, "posfuse", {"probs": theirs}))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("n_segments", [1, 3, 10, 25, 70])
def test_probfuse_matches_ranx(seed, n_segments):
    """n_segments above a list's length leaves its last segments empty (70 > every list)."""
    from ranx.fusion.probfuse import probfuse_train

    runs, qrels = _case(seed, n_runs=2)
    ranx_runs, ranx_qrels = _ranx_inputs(runs, qrels)
    theirs = probfuse_train(ranx_qrels, ranx_runs, n_segments)
    _assert_same_models(train_fusion(qrels, runs, "probfuse", n_segments=n_segments), list(theirs))
    _assert_same_fused(probfuse(runs, qrels, n_segments), _ranx_fuse(ranx_runs, "probfuse", {"probs": theirs}))


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("norm", [None, "min-max"])
def test_segfuse_matches_ranx(seed, norm):
    from ranx.fusion.segfuse import segfuse_train

    runs, qrels = _case(seed)
    ranx_runs, ranx_qrels = _ranx_inputs(runs, qrels)
    theirs = segfuse_train(ranx_qrels, ranx_runs)
    _assert_same_models(train_fusion(qrels, runs, "segfuse"), theirs)
    _assert_same_fused(segfuse(runs, qrels, norm=norm), _ranx_fuse(ranx_runs, "segfuse", {"probs": theirs}, norm))


def test_segfuse_default_norm_is_min_max():
    runs, qrels = _case(7)
    assert segfuse(runs, qrels).to_dict() == segfuse(runs, qrels, norm="min-max").to_dict()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("w", [0, 1, 3, 100])
def test_slidefuse_matches_ranx(seed, w):
    from ranx.fusion.slidefuse import slidefuse_train

    runs, qrels = _case(seed)
    ranx_runs, ranx_qrels = _ranx_inputs(runs, qrels)
    theirs = slidefuse_train(ranx_qrels, ranx_runs)
    _assert_same_models(train_fusion(qrels, runs, "slidefuse"), theirs)
    _assert_same_fused(slidefuse(runs, qrels, w), _ranx_fuse(ranx_runs, "slidefuse", {"probs": theirs, "w": w}))


def test_slidefuse_with_no_window_is_posfuse():
    runs, qrels = _case(11)
    assert slidefuse(runs, qrels, 0).to_dict() == posfuse(runs, qrels).to_dict()


@pytest.mark.parametrize("seed", SEEDS)
def test_bayesfuse_matches_ranx(seed):
    from ranx.fusion.bayesfuse import bayesfuse_train

    runs, qrels = _case(seed)
    ranx_runs, ranx_qrels = _ranx_inputs(runs, qrels)
    theirs = bayesfuse_train(ranx_qrels, ranx_runs)
    _assert_same_models(train_fusion(qrels, runs, "bayesfuse"), theirs)
    _assert_same_fused(bayesfuse(runs, qrels), _ranx_fuse(ranx_runs, "bayesfuse", {"log_odds": theirs}))


def test_bayesfuse_floors_precision_of_zero_and_one():
    """Every top-5 doc relevant (P = 1) and none after (P = 0): both floored to 0.001."""
    run = {"q": {f"d{i}": 100.0 - i for i in range(12)}}
    qrels = {"q": {f"d{i}": 1 for i in range(5)}}
    odds = train_fusion(qrels, [run], "bayesfuse")[0]
    assert odds.shape == (1000,)
    assert odds[0] == pytest.approx(math.log(1.0 / 0.001))  # 1 - P = 0 floored
    assert odds[5] == pytest.approx(math.log(0.001 / 0.999))


# --------------------------------------------------------------------------- training queries


def _ranx_train(method, ranx_qrels, ranx_runs, *args):
    """ranx's ``*_train`` of ``method`` (``ranx.fusion.<method>`` names the function, not the module)."""
    import importlib

    module = importlib.import_module(f"ranx.fusion.{method}")
    return getattr(module, f"{method}_train")(ranx_qrels, ranx_runs, *args)


TRAIN_RUNS_CASES = {  # method: (our call, ranx's params from its trained model)
    "mapfuse": (lambda r, q, t: mapfuse(r, q, train_runs=t), lambda m: {"map_scores": m}, ()),
    "posfuse": (lambda r, q, t: posfuse(r, q, train_runs=t), lambda m: {"probs": m}, ()),
    "probfuse": (lambda r, q, t: probfuse(r, q, 4, train_runs=t), lambda m: {"probs": m}, (4,)),
    "segfuse": (lambda r, q, t: segfuse(r, q, train_runs=t, norm=None), lambda m: {"probs": m}, ()),
    "slidefuse": (lambda r, q, t: slidefuse(r, q, 2, train_runs=t), lambda m: {"probs": m, "w": 2}, ()),
    "bayesfuse": (lambda r, q, t: bayesfuse(r, q, train_runs=t), lambda m: {"log_odds": m}, ()),
}


@pytest.mark.parametrize("method", sorted(TRAINED_SPECS))
def test_train_runs_model_is_applied_to_other_runs(method):
    """The model comes from ``train_runs`` and ``qrels``; the fused runs (other queries) need no
    judgments: ranx's two steps ``*_train(qrels, train)`` then ``fuse(test, params)``."""
    ranx = pytest.importorskip("ranx")
    ours_call, ranx_params, extra = TRAIN_RUNS_CASES[method]
    train, qrels = _case(21)
    test, _ = _case(22, prefix="t")
    model = _ranx_train(method, ranx.Qrels(qrels), [ranx.Run(r) for r in train], *extra)
    ours = ours_call(test, qrels, train)
    _assert_same_fused(ours, _ranx_fuse([ranx.Run(r) for r in test], method, ranx_params(model)))
    assert ours.name == method


def test_train_runs_default_to_runs():
    runs, qrels = _case(3)
    assert posfuse(runs, qrels).to_dict() == posfuse(runs, qrels, train_runs=runs).to_dict()


def test_training_uses_the_queries_shared_with_qrels():
    """Queries only in the run, or only in the qrels, are left out of training (ranx would need
    both cut down to the shared set by hand)."""
    from ranx.fusion.posfuse import posfuse_train

    runs, qrels = _case(5)
    ranx_runs, ranx_qrels = _ranx_inputs(runs, qrels)
    expected = posfuse_train(ranx_qrels, ranx_runs)
    extra_runs = [dict(run, zz_unjudged={"d1": 1.0, "d2": 0.5}) for run in runs]
    extra_qrels = dict(qrels, aa_not_run={"d1": 1})
    _assert_same_models(train_fusion(extra_qrels, extra_runs, "posfuse"), expected)


def test_ranx_defect_misaligns_queries_when_run_and_qrels_differ():
    """ranx defect: ``*_train`` pairs the i-th query of the qrels with the i-th query of the run,
    so a run with one extra query (sorting first) is trained against the wrong judgments,
    silently. We train on the shared queries, which gives ranx's numbers for the matched inputs."""
    from ranx.fusion.posfuse import posfuse_train

    runs, qrels = _case(6, n_runs=1)
    ranx_runs, ranx_qrels = _ranx_inputs(runs, qrels)
    matched = posfuse_train(ranx_qrels, ranx_runs)
    extra = [dict(runs[0], aa_extra={f"d{i}": float(60 - i) for i in range(60)})]
    ranx_extra, _ = _ranx_inputs(extra, qrels)
    shifted = posfuse_train(ranx_qrels, ranx_extra)
    ours = train_fusion(qrels, extra, "posfuse")
    _assert_same_models(ours, matched)
    assert not np.allclose(shifted[0][:10], ours[0][:10]), (shifted[0][:10], ours[0][:10])


def test_depth_truncates_the_fused_lists_only():
    runs, qrels = _case(12)
    top5 = [{q: dict(sorted(docs.items(), key=lambda item: -item[1])[:5]) for q, docs in run.items()} for run in runs]
    assert probfuse(runs, qrels, 3, depth=5).to_dict() == probfuse(top5, qrels, 3, train_runs=runs).to_dict()


def test_one_query_rankings_fuse_with_a_trained_model():
    runs, qrels = _case(8)
    batch = slidefuse(runs, qrels, 2)
    rankings = [run["q03"] for run in runs]
    one = slidefuse(rankings, qrels, 2, train_runs=runs)
    assert dict(one) == pytest.approx(_scores(batch["q03"]))


def test_inputs_may_be_rank_core_tables():
    runs, qrels = _case(9)
    tables = [Run.from_dict(run) for run in runs]
    assert bayesfuse(tables, Qrels.from_dict(qrels)).to_dict() == bayesfuse(runs, qrels).to_dict()


def test_top_k_and_name():
    runs, qrels = _case(10)
    fused = probfuse(runs, qrels, top_k=5, name="mine")
    assert fused.name == "mine"
    assert set(np.diff(fused.offsets).tolist()) == {5}


# ------------------------------------------------------------------------- beyond the models


def test_segfuse_beyond_last_segment_matches_ranx():
    """Positions 5115 and beyond are in no segment: their docs get 0 from the list (as in ranx)."""
    rng = np.random.default_rng(0)
    n = 5130
    runs = [{"q": {f"d{i}": float(n - i) for i in range(n)}}, {"q": {f"d{i}": float(i) + 0.5 for i in rng.choice(n, 20, replace=False)}}]
    qrels = {"q": {f"d{i}": 1 for i in range(0, n, 3)}}
    ours = segfuse(runs, qrels, norm=None)["q"]
    late = {d: s for d, s in _scores(ours).items() if int(d[1:]) >= 5115}
    only_first = set(late) - set(runs[1]["q"])
    assert only_first and all(late[d] == 0.0 for d in only_first)
    from ranx.fusion.segfuse import segfuse_train

    ranx_runs, ranx_qrels = _ranx_inputs(runs, qrels)
    probs = segfuse_train(ranx_qrels, ranx_runs)
    _assert_same_fused(segfuse(runs, qrels, norm=None), _ranx_fuse(ranx_runs, "segfuse", {"probs": probs}))


def test_bayesfuse_beyond_1000_counts_as_not_retrieved():
    """The last band ends at position 1000: a doc at 1000 or beyond gets ``log(0.001 / 0.999)``,
    like a doc the list does not hold."""
    n = 1010
    runs = [{"q": {f"d{i}": float(n - i) for i in range(n)}}, {"q": {"d0": 1.0, "d1005": 2.0}}]
    qrels = {"q": {"d0": 1, "d1": 1, "d1005": 1}}
    fused = bayesfuse(runs, qrels)["q"]
    scores = _scores(fused)
    odds = train_fusion(qrels, runs, "bayesfuse")
    assert scores["d1003"] == pytest.approx(2 * LOG_ODDS_FLOOR)
    assert scores["d1005"] == pytest.approx(LOG_ODDS_FLOOR + odds[1][0])


def test_ranx_defect_bayesfuse_reads_past_its_log_odds():
    """ranx defect: ranx's ``_bayes_score`` indexes its 1000 log odds with the doc's position, so
    a list longer than 1000 reads past the array (compiled: garbage memory; its pure-Python body:
    IndexError). We give such docs ``log(0.001 / 0.999)`` (see the test above)."""
    pytest.importorskip("ranx")
    from numba import types
    from numba.typed import Dict
    from ranx.fusion.bayesfuse import _bayes_score

    results = Dict.empty(key_type=types.unicode_type, value_type=types.float64)
    for i in range(1001):
        results[f"d{i}"] = float(-i)
    with pytest.raises(IndexError):
        _bayes_score.py_func(results, np.zeros(1000))
    ours = bayesfuse([{"q": dict(results)}], {"q": {"d0": 1}})["q"]
    assert _scores(ours)["d1000"] == LOG_ODDS_FLOOR


def test_posfuse_beyond_longest_training_list_gives_zero():
    train = [{"q": {"a": 2.0, "b": 1.0}}]
    test = [{"q": {"a": 3.0, "b": 2.0, "c": 1.0}}]
    fused = posfuse(test, {"q": {"a": 1, "b": 1}}, train_runs=train)["q"]
    assert _scores(fused) == {"a": 1.0, "b": 1.0, "c": 0.0}


# ------------------------------------------------------------------------------------ errors


def test_error_classes_derive_from_builtins():
    assert issubclass(RankValueError, ValueError)
    assert issubclass(RankTypeError, TypeError)
    assert issubclass(NonFiniteInputError, ValueError)


@pytest.mark.parametrize("qrels", [None, 3, [("q", "d", 1)]])
def test_missing_qrels_is_a_type_error(qrels):
    runs, _ = _case(0, n_queries=3)
    with pytest.raises(RankTypeError, match="needs qrels"):
        posfuse(runs, qrels)


def test_empty_qrels_is_a_value_error():
    runs, _ = _case(0, n_queries=3)
    with pytest.raises(RankValueError, match="qrels is empty"):
        mapfuse(runs, {})


@pytest.mark.parametrize("n_segments", [0, -2])
def test_n_segments_below_one(n_segments):
    runs, qrels = _case(0, n_queries=3)
    with pytest.raises(RankValueError, match="n_segments"):
        probfuse(runs, qrels, n_segments)
    with pytest.raises(RankValueError, match="n_segments"):
        train_fusion(qrels, runs, "probfuse", n_segments=n_segments)


def test_n_segments_not_an_int():
    runs, qrels = _case(0, n_queries=3)
    with pytest.raises(RankTypeError, match="n_segments"):
        probfuse(runs, qrels, 2.5)


def test_negative_window():
    runs, qrels = _case(0, n_queries=3)
    with pytest.raises(RankValueError, match="w must be >= 0"):
        slidefuse(runs, qrels, -1)
    with pytest.raises(RankTypeError, match="w must be"):
        slidefuse(runs, qrels, 1.5)


def test_train_runs_count_must_match():
    runs, qrels = _case(0, n_queries=3)
    with pytest.raises(RankValueError, match="2 train_runs for 3 runs"):
        bayesfuse(runs, qrels, train_runs=runs[:2])


def test_train_runs_must_be_runs():
    runs, qrels = _case(0, n_queries=3)
    with pytest.raises(RankTypeError, match="train_runs"):
        posfuse(runs, qrels, train_runs=runs[0])
    with pytest.raises(RankTypeError, match="train_runs"):
        posfuse(runs, qrels, train_runs=[run["q00"] for run in runs])


def test_no_shared_query_with_qrels():
    runs, _ = _case(0, n_queries=3)
    with pytest.raises(RankValueError, match="shares no query with qrels"):
        segfuse(runs, {"other": {"d1": 1}})


def test_one_query_rankings_need_train_runs():
    runs, qrels = _case(0, n_queries=3)
    with pytest.raises(RankValueError, match="needs train_runs"):
        posfuse([run["q00"] for run in runs], qrels)


def test_unknown_method_and_norm_on_rank_methods():
    runs, qrels = _case(0, n_queries=3)
    with pytest.raises(RankValueError, match="method"):
        train_fusion(qrels, runs, "combsum")
    with pytest.raises(RankValueError, match="norm"):
        segfuse(runs, qrels, norm="bogus")


def test_segfuse_rejects_infinite_scores():
    runs, qrels = _case(0, n_queries=3)
    runs[0]["q00"]["d999"] = float("inf")
    with pytest.raises(NonFiniteInputError):
        segfuse(runs, qrels)
