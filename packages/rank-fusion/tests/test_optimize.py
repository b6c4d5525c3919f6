"""Fusion-weight optimisation (the ``[optimize]`` extra): grid, coordinate ascent, ranx parity, errors."""

from __future__ import annotations

import dataclasses
import math
import sys

import numpy as np
import pytest

from rank_core import Qrels, RankTypeError, RankValueError, Run
from rank_fusion.methods import fuse
from rank_fusion.optimize import OptimizationResult, grid_size, optimize_weights, simplex_grid

rank_eval = pytest.importorskip("rank_eval")


def _noisy_runs(seed: int, n_runs: int, n_queries: int = 8, n_docs: int = 20, noise: float = 1.5):
    """Graded qrels and runs whose scores are the grades plus Gaussian noise (no ties)."""
    rng = np.random.default_rng(seed)
    qrels: dict[str, dict[str, int]] = {}
    runs: list[dict[str, dict[str, float]]] = [{} for _ in range(n_runs)]
    for q in range(n_queries):
        docs = [f"d{i}" for i in range(n_docs)]
        grades = rng.integers(0, 3, size=n_docs)
        qrels[f"q{q}"] = {d: int(g) for d, g in zip(docs, grades, strict=True)}
        for run in runs:
            run[f"q{q}"] = {d: float(g + rng.normal(0, noise)) for d, g in zip(docs, grades, strict=True)}
    return qrels, runs


@pytest.fixture(scope="module")
def noisy2():
    return _noisy_runs(3, 2)


@pytest.fixture(scope="module")
def noisy3():
    return _noisy_runs(11, 3, noise=2.0)


@pytest.fixture(scope="module")
def good_and_useless():
    """Run 0 ranks the 3 relevant docs of each query first; run 1 puts them last, and any weight on
    it (after min-max) lifts a non-relevant doc above a relevant one: only (1, 0) is perfect."""
    qrels, good, useless = {}, {}, {}
    for q in range(5):
        qid = f"q{q}"
        relevant = [f"r{q}_{i}" for i in range(3)]
        other = [f"n{q}_{i}" for i in range(7)]
        qrels[qid] = dict.fromkeys(relevant, 1)
        good[qid] = dict(zip(relevant, [1.0, 0.95, 0.9], strict=True)) | dict(
            zip(other, [0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.0], strict=True)
        )
        useless[qid] = dict(zip(relevant, [0.0, 0.01, 0.02], strict=True)) | dict(
            zip(other, [1.0, 0.99, 0.98, 0.97, 0.96, 0.95, 0.94], strict=True)
        )
    return qrels, good, useless


def _evaluate(qrels, runs, method, weights, metric="ndcg@10", **options) -> float:
    fused = fuse([Run.from_dict(r) for r in runs], method, weights=list(weights), **options)
    return float(rank_eval.evaluate(Qrels.from_dict(qrels), fused, [metric])[metric])


# ---------------------------------------------------------------- the grid


@pytest.mark.parametrize(("n_runs", "step"), [(1, 0.1), (2, 0.1), (3, 0.1), (4, 0.1), (3, 0.05), (5, 0.25), (3, 1.0), (2, 0.01)])
def test_grid_is_every_composition(n_runs: int, step: float) -> None:
    m = round(1 / step)
    points = list(simplex_grid(n_runs, step))
    assert len(points) == grid_size(n_runs, step) == math.comb(m + n_runs - 1, n_runs - 1)
    assert len(set(points)) == len(points)
    assert points == sorted(points)  # lexicographic, first run's weight ascending
    for point in points:
        assert len(point) == n_runs and min(point) >= 0
        assert sum(round(w * m) for w in point) == m
        assert all(abs(w * m - round(w * m)) < 1e-9 for w in point)
        assert math.isclose(math.fsum(point), 1.0, abs_tol=1e-12)


def test_ranx_grid_drops_points_ours_keeps() -> None:
    optimize_module = pytest.importorskip("ranx.fusion_optimization.optimize_weights")
    ranx_grid = optimize_module.get_trial_configs(optimize_module.get_possible_weights(0.1), 3)
    ours = list(simplex_grid(3, 0.1))
    assert len(ours) == math.comb(10 + 2, 2) == 66
    assert len(ranx_grid) < len(ours)  # ranx tests sum(weights) == 1.0 on floats
    ranx_points = {tuple(float(w) for w in point) for point in ranx_grid}
    assert ranx_points < set(ours)
    assert (0.2, 0.7, 0.1) in set(ours) - ranx_points


def test_grid_table_holds_every_point(noisy2) -> None:
    qrels, runs = noisy2
    result = optimize_weights(qrels, runs, show_progress=False)
    assert isinstance(result, OptimizationResult)
    assert len(result.table) == grid_size(2, 0.1) == 11
    assert sorted(w for w, _ in result.table) == list(simplex_grid(2, 0.1))
    values = [score for _, score in result.table]
    assert values == sorted(values, reverse=True)
    assert result.table[0] == (result.weights, result.score)
    assert isinstance(result.weights, tuple) and all(isinstance(w, float) for w in result.weights)
    assert result.method == "wsum" and result.metric == "ndcg@10"
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.score = 0.0  # type: ignore[misc]


def test_perfect_run_gets_all_the_weight(good_and_useless) -> None:
    qrels, good, useless = good_and_useless
    result = optimize_weights(qrels, [good, useless], metric="ndcg@10", show_progress=False)
    assert result.weights == (1.0, 0.0)
    assert result.score == pytest.approx(1.0, abs=1e-12)
    assert result.table[1][1] < 1.0  # the optimum is unique
    flipped = optimize_weights(qrels, [useless, good], metric="map", show_progress=False)
    assert flipped.weights == (0.0, 1.0)
    assert flipped.score == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize(
    ("method", "options"),
    [
        ("wsum", {"norm": "min-max"}),
        ("wmnz", {"norm": "min-max"}),
        ("mixed", {"norm": "min-max"}),
        ("rrf", {}),
        ("rrf", {"k": 10}),
        ("w_bordafuse", {}),
        ("w_condorcet", {}),
        ("dbsf", {}),
    ],
)
def test_table_values_equal_evaluate_of_fuse(noisy3, method: str, options: dict[str, object]) -> None:
    qrels, runs = noisy3
    params = {key: value for key, value in options.items() if key != "norm"}
    result = optimize_weights(qrels, runs, method, "ndcg@10", step=0.25, show_progress=False, **params)
    assert len(result.table) == grid_size(3, 0.25)
    table = dict(result.table)
    for weights in [(0.25, 0.5, 0.25), (1.0, 0.0, 0.0), (0.0, 0.25, 0.75), result.weights]:
        assert table[weights] == _evaluate(qrels, runs, method, weights, **options)


def test_default_norm_is_min_max_for_score_methods(noisy3) -> None:
    qrels, runs = noisy3
    auto = optimize_weights(qrels, runs, "wsum", step=0.5, show_progress=False)
    explicit = optimize_weights(qrels, runs, "wsum", norm="min-max", step=0.5, show_progress=False)
    raw = optimize_weights(qrels, runs, "wsum", norm=None, step=0.5, show_progress=False)
    assert auto.table == explicit.table
    assert dict(raw.table)[(0.5, 0.5, 0.0)] == _evaluate(qrels, runs, "wsum", (0.5, 0.5, 0.0))
    with pytest.raises(RankValueError, match="uses ranks only"):
        optimize_weights(qrels, runs, "rrf", norm="min-max", step=0.5, show_progress=False)


def test_other_metrics_and_inputs(noisy2, tmp_path) -> None:
    qrels, runs = noisy2
    by_dict = optimize_weights(qrels, runs, metric="map", step=0.5, show_progress=False)
    qrels_path = tmp_path / "qrels.txt"
    qrels_path.write_text(
        "".join(f"{q} 0 {d} {g}\n" for q, docs in qrels.items() for d, g in docs.items())
    )
    run_paths = []
    for i, run in enumerate(runs):
        path = tmp_path / f"run{i}.trec"
        Run.from_dict(run).to_trec(path)
        run_paths.append(str(path))
    by_file = optimize_weights(str(qrels_path), run_paths, metric="map", step=0.5, show_progress=False)
    assert [w for w, _ in by_file.table] == [w for w, _ in by_dict.table]
    for (_, a), (_, b) in zip(by_file.table, by_dict.table, strict=True):
        assert a == pytest.approx(b, abs=1e-12)
    trec_name = optimize_weights(qrels, runs, metric="ndcg_cut_10", step=0.5, show_progress=False)
    ranx_name = optimize_weights(qrels, runs, metric="ndcg@10", step=0.5, show_progress=False)
    assert trec_name.table == ranx_name.table


def test_ties_keep_the_first_weights_tried() -> None:
    """Identical runs: every weight vector fuses the same ranking, so the first one tried wins."""
    qrels = {"q": {"a": 1, "b": 0}}
    run = {"q": {"a": 2.0, "b": 1.0, "c": 0.5}}
    result = optimize_weights(qrels, [run, run], show_progress=False)
    assert result.weights == (0.0, 1.0)  # the grid's first point
    assert [w for w, _ in result.table] == list(simplex_grid(2, 0.1))  # ties stay in the order tried


# ---------------------------------------------------------------- ranx parity


@pytest.fixture(scope="module")
def ranx():
    return pytest.importorskip("ranx")


def _ranx_report(ranx, qrels, runs, step):
    from ranx.fusion_optimization.optimize_weights import get_possible_weights, get_trial_configs

    best, report = ranx.optimize_fusion(
        ranx.Qrels(qrels), [ranx.Run(run) for run in runs], norm="min-max", method="wsum", metric="ndcg@10",
        return_optimization_report=True, show_progress=False, step=step,
    )
    trials = get_trial_configs(get_possible_weights(step), len(runs))
    values = {tuple(round(float(w), 9) for w in trial): float(value) for trial, value in zip(trials, report.results, strict=True)}
    return tuple(float(w) for w in best["weights"]), values


@pytest.mark.filterwarnings("ignore::numba.NumbaTypeSafetyWarning")
@pytest.mark.parametrize("fixture", ["noisy2", "noisy3"])
def test_matches_ranx_optimize_fusion(ranx, request, fixture: str) -> None:
    qrels, runs = request.getfixturevalue(fixture)
    ours = optimize_weights(qrels, runs, "wsum", "ndcg@10", show_progress=False)
    ranx_best, ranx_values = _ranx_report(ranx, qrels, runs, 0.1)
    table = {tuple(round(w, 9) for w in weights): value for weights, value in ours.table}
    assert len(ranx_values) <= len(table) == grid_size(len(runs), 0.1)
    for weights, value in ranx_values.items():  # ndcg@10: linear gains in both (trec_eval's ndcg_cut_10)
        assert table[weights] == pytest.approx(value, abs=1e-9)
    second = ours.table[1][1]
    assert ours.score > second  # a unique optimum, so ranx's ">=" tie rule cannot differ
    if tuple(round(w, 9) for w in ours.weights) in ranx_values:
        assert ranx_best == pytest.approx(ours.weights, abs=1e-12)
        assert ranx_values[tuple(round(w, 9) for w in ranx_best)] == pytest.approx(ours.score, abs=1e-9)
    else:  # ranx dropped our optimum from its grid: its best is worse
        assert ranx_values[tuple(round(w, 9) for w in ranx_best)] < ours.score


# ---------------------------------------------------------------- coordinate ascent


def test_coordinate_reaches_grid_optimum_on_easy_case(good_and_useless) -> None:
    qrels, good, useless = good_and_useless
    runs = [useless, good, useless]
    grid = optimize_weights(qrels, runs, step=0.1, show_progress=False)
    climb = optimize_weights(qrels, runs, search="coordinate", step=0.1, show_progress=False)
    assert climb.score == grid.score == pytest.approx(1.0)
    assert climb.weights == (0.0, 1.0, 0.0)
    assert len(climb.table) < len(grid.table)  # it did not try every point
    grid_values = dict(grid.table)
    for weights, value in climb.table:
        assert grid_values[weights] == value


def test_coordinate_is_deterministic_and_local_optimum(noisy3) -> None:
    qrels, runs = noisy3
    first = optimize_weights(qrels, runs, search="coordinate", step=0.1, seed=5, show_progress=False)
    again = optimize_weights(qrels, runs, search="coordinate", step=0.1, seed=5, show_progress=False)
    assert first == again
    assert len({w for w, _ in first.table}) == len(first.table)  # no vector evaluated twice
    grid = dict(optimize_weights(qrels, runs, step=0.1, show_progress=False).table)
    assert first.score <= max(grid.values())
    assert (0.4, 0.3, 0.3) in dict(first.table)  # the start: equal weights, remainder to the first run
    m = 10
    counts = [round(w * m) for w in first.weights]
    for giver in range(3):  # no single step moved from one run to another improves
        for taker in range(3):
            if giver != taker and counts[giver] > 0:
                moved = list(counts)
                moved[giver] -= 1
                moved[taker] += 1
                assert grid[tuple(c / m for c in moved)] <= first.score


def test_coordinate_stops_after_n_iter(noisy3) -> None:
    qrels, runs = noisy3
    one_pass = optimize_weights(qrels, runs, search="coordinate", step=0.05, n_iter=1, show_progress=False)
    many = optimize_weights(qrels, runs, search="coordinate", step=0.05, n_iter=100, show_progress=False)
    assert len(one_pass.table) <= len(many.table)
    assert one_pass.score <= many.score


# ---------------------------------------------------------------- progress, pandas


def test_progress_bar_with_tqdm(noisy2, capsys) -> None:
    pytest.importorskip("tqdm")
    qrels, runs = noisy2
    optimize_weights(qrels, runs, step=0.5, show_progress=True)
    assert "Optimising wsum weights" in capsys.readouterr().err
    optimize_weights(qrels, runs, step=0.5, show_progress=False)
    assert capsys.readouterr().err == ""


def test_no_tqdm_means_no_bar(noisy2, capsys, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # import tqdm now fails
    qrels, runs = noisy2
    result = optimize_weights(qrels, runs, step=0.5, show_progress=True)
    assert len(result.table) == 3
    assert capsys.readouterr().err == ""


def test_to_pandas(noisy2) -> None:
    pytest.importorskip("pandas")
    qrels, runs = noisy2
    result = optimize_weights(qrels, runs, step=0.25, show_progress=False)
    frame = result.to_pandas()
    assert list(frame.columns) == ["weight_0", "weight_1", "score"]
    assert len(frame) == 5
    assert tuple(frame.iloc[0][["weight_0", "weight_1"]]) == result.weights
    assert frame["score"].tolist() == [score for _, score in result.table]


# ---------------------------------------------------------------- errors


def test_bad_inputs(noisy2) -> None:
    qrels, runs = noisy2
    cases = [
        ({"step": 0.3}, RankValueError, "step must divide 1"),
        ({"step": 0.0}, RankValueError, "step must be in"),
        ({"step": 1.5}, RankValueError, "step must be in"),
        ({"step": "0.1"}, RankTypeError, "step must be a real number"),
        ({"method": "wsumm"}, RankValueError, "unknown fusion method 'wsumm'; did you mean"),
        ({"method": "bordafuse"}, RankValueError, "bordafuse takes no weights"),
        ({"method": "mnz"}, RankValueError, "mnz takes no weights"),
        ({"search": "bayes"}, RankValueError, "search must be one of"),
        ({"n_iter": 0}, RankValueError, "n_iter must be >= 1"),
        ({"seed": 1.5}, RankTypeError, "seed must be an int"),
        ({"metric": "P.5,10"}, RankValueError, "metric must name one measure"),
        ({"metric": "nope@10"}, RankValueError, "unknown measure 'nope@10'"),
        ({"metric": ["map"]}, RankTypeError, "metric must be one measure name"),
        ({"weights": [1, 1]}, RankTypeError, "do not pass weights"),
        ({"norm": "bogus"}, RankValueError, "norm must be one of"),
        ({"k": 3}, RankTypeError, "unexpected keyword argument 'k'"),
    ]
    for kwargs, error, message in cases:
        options = {"show_progress": False, **kwargs}
        with pytest.raises(error, match=message.replace("(", r"\(").replace(".", r"\.")) as info:
            optimize_weights(qrels, runs, **options)
        assert isinstance(info.value, ValueError if error is RankValueError else TypeError)


def test_bad_runs(noisy2) -> None:
    qrels, runs = noisy2
    with pytest.raises(RankValueError, match="at least two runs, got 1"):
        optimize_weights(qrels, runs[:1], show_progress=False)
    with pytest.raises(RankTypeError, match="runs must be a list of runs"):
        optimize_weights(qrels, Run.from_dict(runs[0]), show_progress=False)
    with pytest.raises(RankTypeError, match=r"runs\[1\] must be a rank-core Run"):
        optimize_weights(qrels, [runs[0], 3], show_progress=False)
