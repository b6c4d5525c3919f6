"""rank_eval.compare: significance tests against scipy / statsmodels / pure-Python oracles,
determinism across thread counts, the report's renderings, the plot extra and the CLI."""

from __future__ import annotations

import dataclasses
import math
import sys
from pathlib import Path

import numba
import numpy as np
import pytest
import reference_significance as ref
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from rank_core import OptionalDependencyError, RankTypeError, RankValueError, Run
from rank_core.testing import shared_data_dir
from rank_eval import evaluate
from rank_eval._kernels import significance as sig
from rank_eval.compare import Comparison, adjust_p_values, compare
from rank_eval.compare_cli import main as compare_main

METRICS = ["ndcg_cut_10", "map", "P_10"]
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def rag_dir() -> Path:
    return shared_data_dir("trec_eval", tests_dir=Path(__file__).parent)


@pytest.fixture(scope="module")
def qrels_path(rag_dir: Path) -> Path:
    return rag_dir / "qrels.comment.test"  # 31 judged queries, TREC RAG 2024 style


@pytest.fixture(scope="module")
def runs(rag_dir: Path) -> dict[str, Run]:
    """A real run and systems derived from it: its top 5, its docs in a shuffled order, and the
    run without every third query (those count as 0 by default)."""
    original = Run.from_trec(rag_dir / "results.comment.test")
    rng = np.random.default_rng(0)
    shuffled = {
        q: dict(zip(docs, rng.permutation(len(docs)).astype(float).tolist(), strict=True))
        for q, docs in original.to_dict().items()
    }
    kept = {q: docs for i, (q, docs) in enumerate(original.to_dict().items()) if i % 3}
    return {
        "original": original,
        "top5": original.top_k(5),
        "shuffled": Run.from_dict(shuffled, name="shuffled"),
        "partial": Run.from_dict(kept, name="partial"),
    }


@pytest.fixture(scope="module")
def t_report(qrels_path, runs) -> Comparison:
    return compare(qrels_path, runs, METRICS, test="t-test", correction=None)


def _pair_scores(report: Comparison, item) -> tuple[np.ndarray, np.ndarray]:
    scores = report.per_query[item.metric]
    return scores[report.systems.index(item.system_a)], scores[report.systems.index(item.system_b)]


# ---------------------------------------------------------------------- the compared values


def test_per_query_values_are_evaluate_with_complete(qrels_path, runs, t_report):
    assert t_report.systems == tuple(runs)
    assert t_report.metrics == tuple(METRICS)  # the requested order
    for s, (name, run) in enumerate(runs.items()):
        expected = evaluate(qrels_path, run, METRICS, complete=True)
        np.testing.assert_array_equal(t_report.query_ids, expected.query_ids)
        for metric in METRICS:
            np.testing.assert_array_equal(t_report.per_query[metric][s], expected.per_query[metric])
            assert t_report.mean(name, metric) == expected.summary[metric]
    # queries missing from "partial" are in the comparison, scored 0
    missing = [q for q in t_report.query_ids.tolist() if q not in runs["partial"]]
    assert missing
    partial = t_report.systems.index("partial")
    for metric in METRICS:
        values = dict(zip(t_report.query_ids.tolist(), t_report.per_query[metric][partial].tolist(), strict=True))
        assert all(values[q] == 0.0 for q in missing)


def test_common_queries_drop_queries_a_run_lacks(qrels_path, runs):
    report = compare(qrels_path, runs, ["map"], queries="common")
    expected = sorted(q for q in runs["partial"] if q in set(evaluate(qrels_path, runs["original"], ["map"]).query_ids.tolist()))
    assert sorted(report.query_ids.tolist()) == expected
    assert report.query_ids.size < compare(qrels_path, runs, ["map"]).query_ids.size


def test_metric_family_expands_in_place(qrels_path, runs):
    report = compare(qrels_path, {"a": runs["original"], "b": runs["top5"]}, ["recip_rank", "P.5,10", "map"])
    assert report.metrics == ("recip_rank", "P_5", "P_10", "map")


# ---------------------------------------------------------------------- t-test and Wilcoxon = scipy


def test_t_test_matches_scipy_ttest_rel(t_report):
    assert len(t_report.pairs) == 6 * len(METRICS)
    for item in t_report.pairs:
        a, b = _pair_scores(t_report, item)
        expected = stats.ttest_rel(a, b)
        assert item.p_value == item.p_value_uncorrected  # correction=None
        np.testing.assert_allclose(item.p_value, expected.pvalue, rtol=1e-12, atol=0)
        np.testing.assert_allclose(item.statistic, expected.statistic, rtol=1e-12)
        low, high = expected.confidence_interval(confidence_level=0.95)
        np.testing.assert_allclose([item.ci_low, item.ci_high], [low, high], rtol=1e-12, atol=1e-15)
        d = a - b
        np.testing.assert_allclose(item.difference, d.mean(), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(item.effect_size, d.mean() / d.std(ddof=1), rtol=1e-12)
        assert item.significant == (expected.pvalue <= 0.05)


@pytest.mark.parametrize("n", [2, 3, 10, 50, 1000, 20_000])
def test_paired_t_kernel_matches_scipy_on_random_data(n):
    rng = np.random.default_rng(n)
    diffs = np.stack([
        rng.normal(0.0, 1.0, (3, n)),                     # no effect
        rng.normal(0.1, 0.3, (3, n)),                     # an effect
        np.round(rng.uniform(-1, 1, (3, n)), 1),          # metric-like: ties and zeros
    ])
    means, sds, t, p = sig.paired_t(diffs)
    np.testing.assert_allclose(means, diffs.mean(axis=-1), rtol=1e-12, atol=1e-15)
    for pair in range(diffs.shape[0]):
        for metric in range(diffs.shape[1]):
            d = diffs[pair, metric]
            expected = stats.ttest_rel(d, np.zeros(n))
            np.testing.assert_allclose(p[pair, metric], expected.pvalue, rtol=1e-12, atol=1e-300)
            np.testing.assert_allclose(t[pair, metric], expected.statistic, rtol=1e-12)
            np.testing.assert_allclose(sds[pair, metric], d.std(ddof=1), rtol=1e-12)


@pytest.mark.parametrize("df", [1, 2, 5, 29, 30, 49, 100, 999, 6979, 100_000])
def test_student_t_tail_and_critical_value_match_scipy(df):
    for t in [1e-3, 0.1, 0.5, 1.0, 1.7, 2.0, 2.5, 3.0, 5.0, 10.0, 40.0]:
        np.testing.assert_allclose(sig.student_t_two_sided(t, float(df)), 2 * stats.t.sf(t, df), rtol=1e-12, atol=1e-300)
    for alpha in [0.2, 0.05, 0.01, 0.001]:
        np.testing.assert_allclose(sig.student_t_critical(alpha, float(df)), stats.t.ppf(1 - alpha / 2, df), rtol=1e-12)


def _wilcoxon_is_exact(d: np.ndarray) -> bool:
    """The documented rule: exact when <= 50 non-zero differences, none tied in absolute value."""
    nonzero = np.abs(d[d != 0])
    return nonzero.size <= 50 and np.unique(nonzero).size == nonzero.size


def test_wilcoxon_matches_scipy_on_real_runs(qrels_path, runs):
    report = compare(qrels_path, runs, METRICS, test="wilcoxon", correction=None)
    methods = set()
    for item in report.pairs:
        a, b = _pair_scores(report, item)
        if np.all(a == b):
            assert item.p_value == 1.0
            continue
        method = "exact" if _wilcoxon_is_exact(a - b) else "asymptotic"
        methods.add(method)
        expected = stats.wilcoxon(a, b, zero_method="wilcox", correction=False, method=method)
        np.testing.assert_allclose(item.p_value, expected.pvalue, rtol=1e-12)
        assert item.statistic == expected.statistic
    assert methods == {"exact", "asymptotic"}  # both branches are exercised by the real data


@pytest.mark.parametrize("n", [1, 5, 20, 50, 51, 300])
def test_wilcoxon_kernel_matches_scipy_on_random_data(n):
    rng = np.random.default_rng(100 + n)
    continuous = rng.normal(0.2, 1.0, (4, n))
    continuous[1, : n // 3] = 0.0  # zeros are dropped
    tied = np.round(rng.normal(0.1, 0.5, (4, n)), 1)
    diffs = np.stack([continuous, tied])
    statistic, p, exact = sig.wilcoxon(diffs)
    for pair in range(2):
        for metric in range(4):
            d = diffs[pair, metric]
            if not np.any(d):
                assert (statistic[pair, metric], p[pair, metric]) == (0.0, 1.0)
                continue
            assert exact[pair, metric] == _wilcoxon_is_exact(d)
            method = "exact" if exact[pair, metric] else "asymptotic"
            expected = stats.wilcoxon(d, zero_method="wilcox", correction=False, method=method)
            np.testing.assert_allclose(p[pair, metric], expected.pvalue, rtol=1e-12)
            assert statistic[pair, metric] == expected.statistic


# ---------------------------------------------------------------------- randomised tests


def _diffs(report: Comparison) -> list[tuple[int, int, list[float]]]:
    """(pair index, metric index, per-query differences) in the kernels' pair order (i < j)."""
    first, second = np.triu_indices(len(report.systems), k=1)
    out = []
    for m, metric in enumerate(report.metrics):
        scores = report.per_query[metric]
        for k, (i, j) in enumerate(zip(first.tolist(), second.tolist(), strict=True)):
            out.append((k, m, (scores[i] - scores[j]).tolist()))
    return out


def test_fisher_matches_the_pure_python_reference(qrels_path, runs):
    report = compare(qrels_path, runs, ["ndcg_cut_10", "P_10"], test="fisher", correction=None, trials=300, seed=11)
    n_pairs = len(report.pairs) // len(report.metrics)
    for k, m, d in _diffs(report):
        item = report.pairs[m * n_pairs + k]
        assert item.p_value == ref.fisher_p_value(d, trials=300, seed=11, pair=k)


def test_bootstrap_matches_the_pure_python_reference(qrels_path, runs):
    report = compare(qrels_path, runs, ["ndcg_cut_10", "P_10"], test="bootstrap", correction=None, trials=200,
                     seed=5, alpha=0.1)
    n_pairs = len(report.pairs) // len(report.metrics)
    for k, m, d in _diffs(report):
        item = report.pairs[m * n_pairs + k]
        means = ref.bootstrap_means(d, trials=200, seed=5, pair=k)
        assert item.p_value == ref.bootstrap_p_value(d, means)
        np.testing.assert_allclose([item.ci_low, item.ci_high],
                                   [ref.percentile(means, 0.05), ref.percentile(means, 0.95)], rtol=1e-14, atol=1e-16)


def test_stream_is_splitmix64():
    # SplitMix64 seeded with 0: its first outputs are published (Vigna's reference implementation)
    assert ref.sm(0) == 0xE220A8397B1DCDAF
    assert ref.sm(0x9E3779B97F4A7C15) == 0x6E789E6AA1B965F4
    for seed, pair, trial, k in [(0, 0, 0, 0), (42, 3, 9999, 1), (2**64 - 1, 44, 7, 63)]:
        key = sig.trial_key(np.uint64(seed), pair, trial)
        assert int(sig.splitmix64(key ^ np.uint64(k))) == ref.stream_word(seed, pair, trial, k)


@pytest.mark.skipif(numba.config.NUMBA_NUM_THREADS < 2, reason="needs 2 numba threads")
@pytest.mark.parametrize("test", ["fisher", "bootstrap"])
def test_randomised_tests_do_not_depend_on_thread_count(qrels_path, runs, test):
    one = compare(qrels_path, runs, METRICS, test=test, trials=3000, seed=2024, threads=1)
    two = compare(qrels_path, runs, METRICS, test=test, trials=3000, seed=2024, threads=2)
    assert one.pairs == two.pairs  # every field, p-values and bootstrap intervals included
    other_seed = compare(qrels_path, runs, METRICS, test=test, trials=3000, seed=2025, threads=2)
    assert [p.p_value_uncorrected for p in other_seed.pairs] != [p.p_value_uncorrected for p in two.pairs]


def test_randomised_kernels_do_not_depend_on_chunking():
    diffs = np.random.default_rng(3).normal(0.05, 0.2, (3, 2, 130))
    counts = [sig.sign_flip_counts(diffs, 1000, np.uint64(9), chunks) for chunks in (1, 7, 1000)]
    means = [sig.bootstrap_means(diffs, 500, np.uint64(9), chunks) for chunks in (1, 3, 500)]
    for other in counts[1:]:
        np.testing.assert_array_equal(other, counts[0])
    for other in means[1:]:
        np.testing.assert_array_equal(other, means[0])


@settings(deadline=None, max_examples=40)
@given(
    st.lists(st.integers(-10, 10), min_size=2, max_size=90).map(lambda v: np.array(v, dtype=float) / 10),
    st.integers(0, 2**64 - 1),
)
def test_p_values_are_valid_and_do_not_depend_on_the_direction(values, seed):
    """p in [0, 1] (fisher: in [1/(trials+1), 1]), and a - b gives the p-value of b - a."""
    forward = values[None, None, :]
    backward = np.ascontiguousarray(-forward)
    tests = {
        "t-test": lambda d: sig.paired_t(d)[3][0, 0],
        "wilcoxon": lambda d: sig.wilcoxon(d)[1][0, 0],
        "fisher": lambda d: (sig.sign_flip_counts(d, 200, np.uint64(seed), 3)[0, 0] + 1) / 201,
    }
    for name, p_value in tests.items():
        p = p_value(forward)
        assert (1 / 201 if name == "fisher" else 0.0) <= p <= 1.0
        assert p_value(backward) == p
    resampled = sig.bootstrap_means(forward, 100, np.uint64(seed), 2)
    np.testing.assert_array_equal(sig.bootstrap_means(backward, 100, np.uint64(seed), 1), -resampled)


@pytest.mark.parametrize("test", ["t-test", "wilcoxon", "fisher", "bootstrap"])
def test_identical_runs_give_p_one(qrels_path, runs, test):
    report = compare(qrels_path, {"a": runs["original"], "b": runs["original"], "c": runs["top5"]}, METRICS,
                     test=test, trials=500)
    for metric in METRICS:
        item = report.pair("a", "b", metric)
        assert (item.p_value_uncorrected, item.p_value, item.difference, item.effect_size) == (1.0, 1.0, 0.0, 0.0)
        assert (item.ci_low, item.ci_high) == (0.0, 0.0)
        assert not item.significant


def _ideal_and_useless_runs(qrels_path) -> tuple[dict, dict]:
    """Per query: every relevant doc first / only non-relevant docs (or an unjudged one)."""
    from rank_core import Qrels

    qrels = Qrels.from_trec(qrels_path)
    ideal, useless = {}, {}
    for q in qrels:
        judged = qrels[q]
        labels = dict(zip(judged.doc_ids.tolist(), judged.relevance.tolist(), strict=True))
        ideal[q] = {doc: float(label) for doc, label in labels.items()}
        useless[q] = {doc: 1.0 for doc, label in labels.items() if label <= 0} or {"not-judged": 1.0}
    return ideal, useless


@pytest.mark.parametrize("test", ["fisher", "bootstrap"])
def test_large_consistent_difference_gives_the_smallest_p(qrels_path, test):
    ideal, useless = _ideal_and_useless_runs(qrels_path)
    report = compare(qrels_path, {"ideal": ideal, "useless": useless}, ["ndcg_cut_10", "P_5"], test=test,
                     trials=999, correction=None)
    for item in report.pairs:
        a, b = _pair_scores(report, item)
        assert np.all(a - b >= 0) and np.any(a - b > 0)
        assert item.p_value == 1 / 1000
        assert item.significant
    assert report.wins("ideal", "ndcg_cut_10") == ("useless",)


# ---------------------------------------------------------------------- corrections


def _p_value_sets():
    rng = np.random.default_rng(8)
    yield np.array([0.01, 0.04, 0.03, 0.005, 0.2, 0.5])
    yield np.array([0.01, 0.01, 0.02, 0.02, 0.9])  # ties
    yield np.array([0.3])
    for size in (2, 4, 7, 10):
        yield rng.uniform(0, 0.2, size)
        yield np.round(rng.uniform(0, 0.1, size), 2)


@pytest.mark.parametrize("method", ["holm", "bonferroni", "bh"])
def test_corrections_match_the_brute_force_reference(method):
    for p in _p_value_sets():
        np.testing.assert_allclose(adjust_p_values(p, method), ref.adjusted_p_values(p.tolist(), method), rtol=1e-15)


@pytest.mark.parametrize(("method", "statsmodels_name"), [("holm", "holm"), ("bonferroni", "bonferroni"), ("bh", "fdr_bh")])
def test_corrections_match_statsmodels(method, statsmodels_name):
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    for p in _p_value_sets():
        expected = multitest.multipletests(p, method=statsmodels_name)[1]
        np.testing.assert_allclose(adjust_p_values(p, method), expected, rtol=1e-15)


@pytest.mark.parametrize("correction", ["holm", "bonferroni", "bh"])
def test_compare_corrects_the_pairs_of_each_metric(qrels_path, runs, correction):
    report = compare(qrels_path, runs, METRICS, correction=correction)
    for metric in METRICS:
        items = [p for p in report.pairs if p.metric == metric]
        raw = np.array([p.p_value_uncorrected for p in items])
        expected = ref.adjusted_p_values(raw.tolist(), correction)
        assert [p.p_value for p in items] == pytest.approx(expected, rel=1e-15)
        assert [p.significant for p in items] == [v <= 0.05 for v in expected]


def test_adjust_p_values_rejects_unknown_methods():
    with pytest.raises(RankValueError, match="correction must be one of") as info:
        adjust_p_values([0.1], "sidak")
    assert isinstance(info.value, ValueError)


# ---------------------------------------------------------------------- the report


def test_pair_lookup_in_both_orders(t_report):
    forward = t_report.pair("original", "top5", "map")
    backward = t_report.pair("top5", "original", "map")
    assert (backward.system_a, backward.system_b) == ("top5", "original")
    assert backward.difference == -forward.difference
    assert backward.statistic == -forward.statistic
    assert (backward.ci_low, backward.ci_high) == (-forward.ci_high, -forward.ci_low)
    assert backward.p_value == forward.p_value
    with pytest.raises(RankValueError):
        t_report.pair("original", "nope", "map")
    with pytest.raises(RankValueError):
        t_report.pair("original", "original", "map")


def _expected_marks(report: Comparison, system: str, metric: str) -> str:
    beaten = []
    for j, other in enumerate(report.systems):
        if other == system:
            continue
        item = report.pair(system, other, metric)
        if item.p_value <= report.alpha and item.difference > 0:
            beaten.append("abcdefghijklmnopqrstuvwxyz"[j])
    return "".join(beaten)


def test_markdown_holds_means_and_significance_marks(qrels_path, runs):
    report = compare(qrels_path, runs, METRICS, test="fisher", trials=2000)
    text = report.to_markdown()
    lines = text.splitlines()
    assert lines[0] == "| # | System | ndcg\\_cut\\_10 | map | P\\_10 |"
    any_mark = False
    for i, system in enumerate(report.systems):
        row = lines[2 + i]
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[:2] == ["abcd"[i], system]
        for metric, cell in zip(report.metrics, cells[2:], strict=True):
            mean = report.mean(system, metric)
            marks = _expected_marks(report, system, metric)
            any_mark |= bool(marks)
            best = mean == max(report.means[metric])
            value = f"**{mean:.4f}**" if best else f"{mean:.4f}"
            assert cell == value + (f"<sup>{marks}</sup>" if marks else "")
    assert any_mark
    assert "Fisher randomisation test, 2000 trials, seed 42, Holm correction" in text
    assert "31 queries" in text


def test_latex_holds_means_and_marks(t_report):
    text = t_report.to_latex(digits=3)
    assert text.startswith("\\begin{table}") and "\\toprule" in text and text.rstrip().endswith("\\end{table}")
    assert " & System & ndcg\\_cut\\_10 & map & P\\_10 \\\\" in text
    for i, system in enumerate(t_report.systems):
        cells = []
        for metric in t_report.metrics:
            mean = t_report.mean(system, metric)
            value = f"{mean:.3f}"
            cell = f"\\textbf{{{value}}}" if mean == max(t_report.means[metric]) else value
            marks = _expected_marks(t_report, system, metric)
            cells.append(cell + (f"\\textsuperscript{{{marks}}}" if marks else ""))
        assert f"{'abcd'[i]} & {system} & " + " & ".join(cells) + " \\\\" in text.splitlines()


def test_text_table_and_pairs(t_report):
    text = t_report.to_text(pairs=True)
    first_row = text.splitlines()[1].split()
    original = t_report.systems.index("original")
    marks = _expected_marks(t_report, "original", "ndcg_cut_10")
    assert marks  # the real run beats its derivatives
    superscripts = str.maketrans("abcd", "ᵃᵇᶜᵈ")
    assert first_row[:3] == ["a", "original", f"{t_report.means['ndcg_cut_10'][original]:.4f}" + marks.translate(superscripts)]
    item = t_report.pair("original", "top5", "map")
    assert f"{item.p_value:.4g}" in text and f"{item.effect_size:+.3f}" in text
    assert str(t_report) == t_report.to_text()


def test_to_pandas_holds_the_computed_values(t_report):
    pytest.importorskip("pandas")
    frame = t_report.to_pandas()
    assert len(frame) == len(t_report.pairs)
    for row, item in zip(frame.itertuples(index=False), t_report.pairs, strict=True):
        assert tuple(row) == dataclasses.astuple(item)
    means = t_report.to_pandas("means")
    assert list(means.columns) == METRICS and list(means.index) == list(t_report.systems)
    for metric in METRICS:
        np.testing.assert_array_equal(means[metric].to_numpy(), t_report.means[metric])


def test_to_pandas_without_pandas_names_the_extra(t_report, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(OptionalDependencyError, match=r'pip install "rank-core\[pandas\]"') as info:
        t_report.to_pandas()
    assert isinstance(info.value, ImportError)


def test_report_arrays_are_read_only(t_report):
    with pytest.raises(ValueError, match="read-only"):
        t_report.per_query["map"][0, 0] = 1.0
    with pytest.raises(TypeError):
        t_report.means["map"] = np.zeros(4)  # type: ignore[index]


# ---------------------------------------------------------------------- plot


def test_plot_writes_a_png(t_report, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "comparison.png"
    target.write_bytes(b"an older file")
    written = t_report.plot(target, metric="map", baseline="top5")
    assert written == target
    data = target.read_bytes()
    assert data.startswith(PNG_SIGNATURE) and len(data) > 10_000
    assert [p.name for p in tmp_path.iterdir()] == ["comparison.png"]  # no temporary file left


def test_plot_precision_recall_is_the_mean_iprec(t_report, qrels_path, runs):
    from rank_eval.plot import interpolated_precision_recall

    levels, curves = interpolated_precision_recall(t_report)
    np.testing.assert_allclose(levels, np.linspace(0, 1, 11))
    expected = evaluate(qrels_path, runs["top5"], ["iprec_at_recall_0.50"], complete=True).summary["iprec_at_recall_0.50"]
    assert curves[t_report.systems.index("top5"), 5] == pytest.approx(expected, rel=1e-12)


def test_plot_without_matplotlib_names_the_extra(t_report, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(OptionalDependencyError, match=r'pip install "rank-eval\[plot\]"') as info:
        t_report.plot(tmp_path / "x.png")
    assert isinstance(info.value, ImportError)
    assert not (tmp_path / "x.png").exists()


def test_plot_rejects_unknown_metric_and_baseline(t_report, tmp_path):
    pytest.importorskip("matplotlib")
    for options in ({"metric": "nope"}, {"baseline": "nope"}):
        with pytest.raises(RankValueError) as info:
            t_report.plot(tmp_path / "x.png", **options)
        assert isinstance(info.value, ValueError)


# ---------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"test": "student"}, "test must be one of 't-test', 'fisher', 'wilcoxon', 'bootstrap'"),
        ({"correction": "sidak"}, "correction must be one of 'holm', 'bonferroni', 'bh'"),
        ({"queries": "all"}, "queries must be one of"),
        ({"alpha": 1.0}, r"alpha must be in \(0.0, 1.0\)"),
        ({"trials": 0}, "trials must be >= 1"),
        ({"seed": -1}, r"seed must be in \[0, 2\*\*64\)"),
    ],
)
def test_bad_options_raise_rank_value_error(qrels_path, runs, options, message):
    with pytest.raises(RankValueError, match=message) as info:
        compare(qrels_path, runs, ["map"], **options)
    assert isinstance(info.value, ValueError)


def test_bad_option_types_raise_rank_type_error(qrels_path, runs):
    for options in ({"seed": 1.5}, {"trials": "many"}):
        with pytest.raises(RankTypeError) as info:
            compare(qrels_path, runs, ["map"], **options)
        assert isinstance(info.value, TypeError)


def test_fewer_than_two_runs(qrels_path, runs):
    for few in ({}, {"only": runs["original"]}, [runs["original"]]):
        with pytest.raises(RankValueError, match="at least 2 runs") as info:
            compare(qrels_path, few, ["map"])
        assert isinstance(info.value, ValueError)


def test_duplicate_run_names(qrels_path, runs):
    same_name = [runs["original"], Run.from_dict(runs["top5"].to_dict(), name=runs["original"].name)]
    with pytest.raises(RankValueError, match=r"duplicate run name 'comment\.test'") as info:
        compare(qrels_path, same_name, ["map"])
    assert isinstance(info.value, ValueError)


def test_runs_as_a_sequence_are_named_by_their_names_and_files(qrels_path, rag_dir, runs):
    report = compare(qrels_path, [runs["shuffled"], rag_dir / "results.comment.test"], ["map"])
    assert report.systems == ("shuffled", "results.comment.test")
    with pytest.raises(RankValueError, match="has no name") as info:
        compare(qrels_path, [Run.from_dict({"q": {"d": 1.0}}), runs["original"]], ["map"])
    assert isinstance(info.value, ValueError)
    with pytest.raises(RankTypeError) as type_info:
        compare(qrels_path, [{"q": {"d": 1.0}}, runs["original"]], ["map"])
    assert isinstance(type_info.value, TypeError)


@pytest.mark.parametrize("metric", ["num_q", "gm_map", "runid", "relstring"])
def test_metric_without_per_query_values(qrels_path, runs, metric):
    with pytest.raises(RankValueError, match=f"metric '{metric}' has no per-query values") as info:
        compare(qrels_path, runs, ["map", metric])
    assert isinstance(info.value, ValueError)


def test_unknown_and_missing_metrics(qrels_path, runs):
    with pytest.raises(RankValueError) as info:
        compare(qrels_path, runs, ["ndcg_cut_ten"])
    assert isinstance(info.value, ValueError)
    with pytest.raises(RankValueError, match="at least one measure") as empty:
        compare(qrels_path, runs, [])
    assert isinstance(empty.value, ValueError)


def test_too_few_common_queries(qrels_path):
    from rank_core import Qrels

    first, second, third = Qrels.from_trec(qrels_path).query_ids[:3].tolist()
    a = {first: {"x": 1.0}, second: {"x": 1.0}}
    for b in ({third: {"y": 1.0}}, {first: {"y": 1.0}, third: {"y": 1.0}}):  # 0, then 1 common query
        with pytest.raises(RankValueError, match="at least 2 queries") as info:
            compare(qrels_path, {"a": a, "b": b}, ["map"], queries="common")
        assert isinstance(info.value, ValueError)


# ---------------------------------------------------------------------- CLI


def test_cli_prints_the_comparison_table(rag_dir, capsys):
    qrels, first, second = rag_dir / "qrels.test", rag_dir / "results.test", rag_dir / "results.trunc"
    code = compare_main([str(qrels), str(first), str(second), "-m", "ndcg_cut_10", "-m", "P_10", "--test", "fisher"])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == ""
    expected = compare(qrels, {"results.test": first, "results.trunc": second}, ["ndcg_cut_10", "P_10"], test="fisher")
    assert captured.out == expected.to_text()
    rows = captured.out.splitlines()
    assert rows[1].split()[:3] == ["a", "results.test", f"{expected.mean('results.test', 'ndcg_cut_10'):.4f}"]
    assert "Fisher randomisation test, 10000 trials, seed 42" in captured.out


def test_cli_formats_pairs_and_plot(rag_dir, capsys, tmp_path):
    qrels, first, second = rag_dir / "qrels.test", rag_dir / "results.test", rag_dir / "results.trunc"
    argv = [str(qrels), str(first), str(second), "-m", "map", "--test", "wilcoxon", "--correction", "none"]
    assert compare_main([*argv, "--format", "markdown", "--pairs"]) == 0
    markdown = capsys.readouterr().out
    expected = compare(qrels, {"results.test": first, "results.trunc": second}, ["map"], test="wilcoxon", correction=None)
    assert markdown == expected.to_markdown(pairs=True)
    assert compare_main([*argv, "--format", "latex", "--digits", "2"]) == 0
    assert capsys.readouterr().out == expected.to_latex(digits=2)
    pytest.importorskip("matplotlib")
    assert compare_main([*argv, "--plot", str(tmp_path / "cmp.png")]) == 0
    assert (tmp_path / "cmp.png").read_bytes().startswith(PNG_SIGNATURE)


def test_cli_reports_bad_input_with_status_2(rag_dir, capsys):
    qrels, run = str(rag_dir / "qrels.test"), str(rag_dir / "results.test")
    assert compare_main([qrels, run]) == 2
    assert "at least 2 runs" in capsys.readouterr().err
    assert compare_main([qrels, run, run]) == 2
    assert "duplicate run name" in capsys.readouterr().err
    assert compare_main([qrels, run, str(rag_dir / "results.trunc"), "-m", "num_q"]) == 2
    assert "has no per-query values" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        compare_main([qrels, run, run, "--test", "anova"])
    assert "invalid choice" in capsys.readouterr().err


def test_cli_common_queries(rag_dir, capsys):
    qrels, first, second = rag_dir / "qrels.test", rag_dir / "results.test", rag_dir / "results.trunc"
    assert compare_main([str(qrels), str(first), str(second), "-m", "map", "--common-queries"]) == 0
    out = capsys.readouterr().out
    assert "2 queries (queries common to all runs)" in out
    assert math.isfinite(compare(qrels, [first, second], ["map"], queries="common").pairs[0].p_value)


def test_more_than_26_systems_get_unambiguous_labels(rag_dir):
    run = Run.from_trec(rag_dir / "results.test")
    runs = {f"s{i}": run.top_k(5 + 20 * i) for i in range(28)}
    report = compare(rag_dir / "qrels.test", runs, ["P_100"])
    assert report.labels[:2] == ("a", "b") and report.labels[25:] == ("z", "a1", "b1")
    assert len(report.pairs) == 28 * 27 // 2
    assert report.to_text().splitlines()[27].split()[:2] == ["a1", "s26"]
