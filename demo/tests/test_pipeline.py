"""The demo's pipeline, end to end on the first 20 Cranfield queries (all 1400 documents).

Runs in the ``demo-test`` hatch environment (the demo's packages editable, bm25s, matplotlib,
PyStemmer, pytest). The neural stages are turned off here (their extras pull torch); their
absence is checked as the demo reports it.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

import rank_eval
import rank_fusion
from demo import neural
from demo.cranfield import GRADED, load_cranfield
from demo.demo import main
from demo.pipeline import (
    METRICS,
    VARIANTS,
    PipelineResult,
    cross_validated_fusion,
    first_stage,
    run_pipeline,
)
from demo.tables import select_queries
from rank_core import OptionalDependencyError
from rank_retrieve import BM25, Tokenizer

N_QUERIES = 20
FIRST_STAGE = ["bm25", "bm25l", "bm25-stem"]
FUSION = ["rrf", "combmnz", "dbsf", "wsum-cv"]


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> PipelineResult:
    out = tmp_path_factory.mktemp("demo-output")
    return run_pipeline(out, query_limit=N_QUERIES, show_progress=False, neural="off")


@pytest.fixture(scope="module")
def collection():
    return load_cranfield()


def test_the_collection(collection) -> None:
    assert len(collection.doc_ids) == 1400
    assert len(collection.query_ids) == 225
    assert collection.query_ids[:3] == ["1", "2", "3"]  # positions in cran.qry, as cranqrel numbers them
    assert set(collection.qrels.relevance.tolist()) <= set(GRADED.values())
    assert len(collection.qrels) == 225
    sliced = collection.limit(N_QUERIES)
    assert sliced.qrels.query_ids.tolist() == sorted(map(str, range(1, N_QUERIES + 1)))
    assert sliced.doc_ids == collection.doc_ids


def test_every_stage_ran(result: PipelineResult) -> None:
    assert [s.name for s in result.systems] == FIRST_STAGE + FUSION
    assert [s.name for s in result.stage("first stage")] == FIRST_STAGE
    assert [s.name for s in result.stage("fusion")] == FUSION
    wanted = sorted(map(str, range(1, N_QUERIES + 1)))
    for system in result.systems:
        assert system.run.query_ids.tolist() == wanted, system.name
        assert system.run.counts().max() <= 1000
        assert system.seconds >= 0
    for system in result.stage("first stage"):
        assert (system.run.counts() == 1000).all()
    assert result.comparison.query_ids.size == N_QUERIES
    assert len(result.comparison.pairs) == len(METRICS) * 7 * 6 // 2
    for system in result.systems:
        assert all(0.0 <= value <= 1.0 for value in result.means(system.name).values())
    for step in ("load Cranfield", "warm-up", "first stage", "fusion", "evaluation", "bm25s parity", "report"):
        assert step in result.timings


def test_the_numbers_are_the_packages_numbers(result: PipelineResult, collection) -> None:
    """The baseline row is rank-retrieve's BM25 evaluated by rank-eval, nothing in between."""
    sliced = collection.limit(N_QUERIES)
    bm25 = BM25("lucene", k1=1.2, b=0.75, tokenizer=Tokenizer(stopwords="english"))
    run = bm25.index(sliced.doc_texts, ids=sliced.doc_ids).search(sliced.query_texts, k=1000).to_run(sliced.query_ids)
    assert run == result.system("bm25").run
    direct = rank_eval.evaluate(sliced.qrels, run, list(METRICS.values()), complete=True)
    for label, measure in METRICS.items():
        assert result.means("bm25")[label] == pytest.approx(direct[measure], abs=1e-12)
    rrf = rank_fusion.rrf([s.run for s in result.stage("first stage")], k=60, top_k=1000)
    assert rrf == result.system("rrf").run


def test_bm25_agrees_with_bm25s(result: PipelineResult) -> None:
    assert [row.system for row in result.parity] == FIRST_STAGE
    for row in result.parity:
        assert row.ndcg_bm25s == pytest.approx(row.ndcg_rank_retrieve, abs=1e-9), row.system
        assert row.ndcg_rank_retrieve == pytest.approx(result.means(row.system)["nDCG@10"], abs=1e-12)
        assert row.max_score_difference < 1e-4
        assert row.same_top10 >= row.queries - 1
        assert row.queries == N_QUERIES


def test_weights_are_tuned_without_the_queries_they_score(result: PipelineResult, collection) -> None:
    """wsum-cv's run for one half of the queries does not change when that half's judgments do."""
    sliced = collection.limit(N_QUERIES)
    runs = [s.run for s in result.stage("first stage")]
    run, folds = cross_validated_fusion(sliced.qrels, runs, sliced.query_ids, step=0.5, show_progress=False)
    assert len(folds) == 2
    for weights, _ in folds:
        assert sum(weights) == pytest.approx(1.0)

    even = sliced.query_ids[1::2]  # fused with the weights tuned on the odd positions
    qrels = sliced.qrels
    shuffled = np.random.default_rng(0).permutation(qrels.relevance)
    rows = np.repeat(qrels.query_ids, qrels.counts())
    changed = np.where(np.isin(rows, even), shuffled, qrels.relevance)
    from rank_core import Qrels

    perturbed = Qrels.from_arrays(rows, qrels.doc_ids, changed)
    again, _ = cross_validated_fusion(perturbed, runs, sliced.query_ids, step=0.5, show_progress=False)
    assert select_queries(again, even) == select_queries(run, even)


def test_report_files(result: PipelineResult) -> None:
    names = sorted(path.name for path in result.files)
    assert names == ["comparison.png", "pipeline.png", "report.md", "results.json"]
    for path in result.files:
        assert path.is_file() and path.stat().st_size > 0
        if path.suffix == ".png":
            assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    report = (result.out_dir / "report.md").read_text(encoding="utf-8")
    for text in ("Stage 1", "Stage 2", "Significance against bm25", "bm25s", "Skipped", "Findings",
                 *FIRST_STAGE, *FUSION, "![pipeline](pipeline.png)"):
        assert text in report
    for item in result.skipped:  # what was skipped, and the command that enables it
        assert item.what in report and item.enable in report
    payload = json.loads((result.out_dir / "results.json").read_text(encoding="utf-8"))
    assert [system["name"] for system in payload["systems"]] == FIRST_STAGE + FUSION
    assert payload["collection"]["queries"] == N_QUERIES
    assert payload["systems"][0]["vs_baseline"] is None
    assert set(payload["systems"][1]["vs_baseline"]) == set(METRICS)


def test_skipped_parts_say_how_to_enable_them(result: PipelineResult) -> None:
    skipped = {item.what: item for item in result.skipped}
    assert any("cross-encoder" in what for what in skipped)
    (turned_off,) = (item for what, item in skipped.items() if what.startswith("neural"))
    assert "--no-neural" in turned_off.enable
    if neural.missing() is not None:  # without the extras, the command that installs them
        assert "scripts/demo.sh --full" in turned_off.enable
    for item in result.skipped:
        assert item.why and item.enable


def test_without_the_stemmer(collection, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "Stemmer", None)  # import Stemmer raises ImportError
    systems, skipped = first_stage(collection.sample(60, 3), depth=10, show_progress=False)
    assert [s.name for s in systems] == ["bm25", "bm25l"]
    assert len(skipped) == 1
    assert "bm25-stem" in skipped[0].what
    assert skipped[0].enable == 'pip install "rank-retrieve[stem]"'
    with pytest.raises(OptionalDependencyError):
        VARIANTS[2].tokenizer()


def test_without_bm25s(collection, monkeypatch: pytest.MonkeyPatch) -> None:
    from demo.parity import bm25s_parity

    monkeypatch.setitem(sys.modules, "bm25s", None)
    rows, skipped = bm25s_parity(collection.sample(60, 3), VARIANTS[:1], depth=10)
    assert rows == []
    assert skipped is not None and "bm25s" in skipped.enable


def test_without_the_onnx_extra(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setattr(neural, "find_spec", lambda name: None if name == "onnxruntime" else object())
    skipped = neural.missing(tmp_path / "no-model-here")
    assert skipped is not None
    assert "onnxruntime" in skipped.why
    assert "scripts/demo.sh --full" in skipped.enable
    assert "rank-rerank[onnx,export]" in skipped.enable


def test_cross_encoder_stage_says_what_it_needs(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    no_model = neural.missing_cross_encoder(None)
    assert no_model is not None and "--cross-encoder" in no_model.enable
    assert "export_cross_encoder" in no_model.enable
    monkeypatch.setattr(neural, "find_spec", lambda name: None if name == "onnxruntime" else object())
    no_runtime = neural.missing_cross_encoder(tmp_path)
    assert no_runtime is not None and "onnxruntime" in no_runtime.why
    assert no_runtime.enable == 'pip install "rank-rerank[onnx]"'


def test_command_line_rejects_a_cross_encoder_that_is_not_a_model(tmp_path, capsys) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--cross-encoder", str(tmp_path)])
    assert raised.value.code == 2
    assert "not a model directory" in capsys.readouterr().err


def test_command_line(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code = main(["--out", str(out), "--queries", "4", "--no-progress", "--no-plots", "--no-parity", "--no-neural"])
    assert code == 0
    printed = capsys.readouterr().out
    for text in ("Stage 1: first-stage retrieval", "Stage 2: fusion", "Findings", "Timings", "Skipped", "report.md"):
        assert text in printed
    assert (out / "report.md").is_file()
    assert not (out / "pipeline.png").exists()


def test_command_line_rejects_a_one_query_slice(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["--queries", "1"])
    assert raised.value.code == 2
    assert "--queries must be at least 2" in capsys.readouterr().err
