"""The original bindings' ONNX names (DESIGN.md section 9) against this package's primary API.

``CrossEncoder.from_onnx`` / ``score_batch``, ``ONNXCrossEncoder``, ``ONNXColBERTEncoder``,
``MaxSimEncoder`` and ``rank_rerank.onnx_export``'s exporters are thin wrappers: each must give
what ``CrossEncoder``, ``ColBERTEncoder``, ``maxsim`` and ``rank_rerank.export`` give on the same
input, in the original's shapes. The models come from the session fixtures of conftest.py
(exported once, skipped without the extras); the argument checks and the missing-extra errors run
in every environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import rank_rerank
import rank_rerank.export
from rank_core import OptionalDependencyError, RankTypeError, RankValueError
from rank_core.testing import raises_exactly
from rank_rerank import onnx_export
from rank_rerank.colbert import ColBERTEncoder
from rank_rerank.compat_onnx import MaxSimEncoder, ONNXColBERTEncoder, ONNXCrossEncoder
from rank_rerank.cross_encoder import CrossEncoder

QUERY = "What causes the tides in the ocean?"
DOCUMENTS = [
    "Tides are caused by the gravitational pull of the Moon and, to a lesser degree, the Sun.",
    "A short note.",
    "",
    "Ocean tides rise and fall twice a day; the Moon's gravity (and the Sun's) pulls the water!",
]
QUERIES = [QUERY, "moon gravity"]
ATOL = 1e-6


@pytest.fixture(scope="module")
def cross_encoder(cross_encoder_onnx: Path) -> CrossEncoder:
    return CrossEncoder(cross_encoder_onnx)


@pytest.fixture(scope="module")
def colbert(colbert_onnx: Path) -> ColBERTEncoder:
    return ColBERTEncoder(colbert_onnx)


@pytest.fixture
def weightless_checkpoint(tmp_path: Path) -> Path:
    """A directory that passes the exporters' path checks but holds no real weights."""
    checkpoint = tmp_path / "checkpoint"
    checkpoint.mkdir()
    (checkpoint / "config.json").write_text('{"model_type": "bert"}', encoding="utf-8")
    (checkpoint / "model.safetensors").write_bytes(b"")
    return checkpoint


def _model_copy(model_dir: Path, tmp_path: Path, **config_changes: object) -> Path:
    """The exported directory with links to its files and an edited rank_rerank.json."""
    copy = tmp_path / "model"
    copy.mkdir()
    for name in ("model.onnx", "model_int8.onnx", "tokenizer.json"):
        (copy / name).symlink_to(model_dir / name)
    config = json.loads((model_dir / "rank_rerank.json").read_text(encoding="utf-8"))
    config.update(config_changes)
    (copy / "rank_rerank.json").write_text(json.dumps(config), encoding="utf-8")
    return copy


def _config(model_dir: Path) -> dict:
    return json.loads((model_dir / "rank_rerank.json").read_text(encoding="utf-8"))


def _assert_arrays_close(got: list[np.ndarray], expected: list[np.ndarray]) -> None:
    assert len(got) == len(expected)
    for mine, theirs in zip(got, expected, strict=True):
        assert mine.dtype == np.float32 and mine.shape == theirs.shape
        np.testing.assert_allclose(mine, theirs, rtol=0, atol=ATOL)


# --- CrossEncoder.from_onnx / score_batch, ONNXCrossEncoder ---------------------------------------


def test_from_onnx_and_score_batch_are_predict(cross_encoder_onnx, cross_encoder) -> None:
    expected = cross_encoder.predict([(QUERY, document) for document in DOCUMENTS])
    for path in (cross_encoder_onnx, str(cross_encoder_onnx / "model.onnx")):
        encoder = CrossEncoder.from_onnx(path)
        assert type(encoder) is CrossEncoder and encoder.directory.path == cross_encoder_onnx
        assert not encoder.directory.quantized
        scores = encoder.score_batch(QUERY, DOCUMENTS)
        assert isinstance(scores, list) and all(type(score) is float for score in scores)
        np.testing.assert_allclose(scores, expected, rtol=0, atol=ATOL)
    assert (
        cross_encoder.score_batch(QUERY, DOCUMENTS) == expected.tolist()
    )  # the same call, exactly
    assert cross_encoder.score_batch(QUERY, []) == []

    int8 = CrossEncoder.from_onnx(cross_encoder_onnx / "model_int8.onnx", max_length=64)
    assert int8.directory.quantized and int8.max_length == 64
    reference = CrossEncoder(cross_encoder_onnx, quantized=True, max_length=64)
    np.testing.assert_allclose(
        int8.score_batch(QUERY, DOCUMENTS),
        reference.predict([(QUERY, d) for d in DOCUMENTS]),
        rtol=0,
        atol=ATOL,
    )


def test_onnx_cross_encoder_scores_as_the_cross_encoder(
    cross_encoder_onnx, cross_encoder_checkpoint, cross_encoder
) -> None:
    from tokenizers import Tokenizer

    transformers = pytest.importorskip("transformers")
    expected = cross_encoder.score_batch(QUERY, DOCUMENTS)
    tokenizers = [
        None,
        cross_encoder_onnx / "tokenizer.json",
        str(cross_encoder_onnx),  # a directory holding tokenizer.json
        cross_encoder_checkpoint / "tokenizer.json",  # the checkpoint's own file
        Tokenizer.from_file(str(cross_encoder_onnx / "tokenizer.json")),
        transformers.AutoTokenizer.from_pretrained(cross_encoder_checkpoint, local_files_only=True),
    ]
    for tokenizer in tokenizers:
        encoder = ONNXCrossEncoder(cross_encoder_onnx / "model.onnx", tokenizer)
        assert isinstance(encoder, CrossEncoder)
        scores = encoder.score(QUERY, DOCUMENTS)
        assert isinstance(scores, list) and all(type(score) is float for score in scores)
        np.testing.assert_allclose(scores, expected, rtol=0, atol=ATOL)
    assert encoder.score(QUERY, []) == []


def test_onnx_cross_encoder_checks_the_tokenizer(cross_encoder_onnx, tmp_path) -> None:
    from tokenizers import Tokenizer, models, normalizers

    other_vocabulary = Tokenizer(models.WordLevel({"[UNK]": 0, "tides": 1}, unk_token="[UNK]"))
    with raises_exactly(
        RankValueError, ValueError, match="tokenizer mismatch: .* vocabularies differ"
    ):
        ONNXCrossEncoder(cross_encoder_onnx, other_vocabulary)
    cased = Tokenizer.from_file(str(cross_encoder_onnx / "tokenizer.json"))
    cased.normalizer = normalizers.BertNormalizer(lowercase=False)  # same vocabulary, other ids
    with raises_exactly(RankValueError, ValueError, match="tokenizer mismatch: .* becomes ids"):
        ONNXCrossEncoder(cross_encoder_onnx, cased)
    with raises_exactly(RankValueError, ValueError, match="never downloads tokenizers"):
        ONNXCrossEncoder(cross_encoder_onnx, "cross-encoder/ms-marco-MiniLM-L-6-v2")
    with raises_exactly(RankValueError, ValueError, match="has no tokenizer.json"):
        ONNXCrossEncoder(cross_encoder_onnx, tmp_path)
    (tmp_path / "tokenizer.json").write_text("{not json", encoding="utf-8")
    with raises_exactly(RankValueError, ValueError, match="not a valid tokenizer file"):
        ONNXCrossEncoder(cross_encoder_onnx, tmp_path / "tokenizer.json")
    with raises_exactly(
        RankTypeError, TypeError, match="tokenizer must be None, a tokenizer.json path"
    ):
        ONNXCrossEncoder(cross_encoder_onnx, 42)


def test_score_bad_inputs(cross_encoder_onnx, tmp_path) -> None:
    encoder = ONNXCrossEncoder(cross_encoder_onnx)
    with raises_exactly(RankValueError, ValueError, match="query is empty"):
        encoder.score("  ", DOCUMENTS)
    with raises_exactly(RankTypeError, TypeError, match="documents must be a list of str"):
        encoder.score(QUERY, "one document")
    with raises_exactly(RankTypeError, TypeError, match=r"documents\[1\] must be a str"):
        encoder.score(QUERY, ["a", 2])
    three_labels = CrossEncoder.from_onnx(
        _model_copy(cross_encoder_onnx, tmp_path, num_labels=3, activation="identity")
    )
    with raises_exactly(
        RankValueError, ValueError, match=r"score_batch\(\) needs a model with one label"
    ):
        three_labels.score_batch(QUERY, DOCUMENTS)


def test_model_paths(cross_encoder_onnx, colbert_onnx, tmp_path) -> None:
    """A model directory or its model.onnx / model_int8.onnx; anything else says how to export."""
    with raises_exactly(
        RankValueError, ValueError, match="is not a model file rank-rerank exported"
    ):
        CrossEncoder.from_onnx(cross_encoder_onnx / "tokenizer.json")
    (tmp_path / "model.onnx").symlink_to(cross_encoder_onnx / "model.onnx")  # a bare ONNX file
    for load in (
        CrossEncoder.from_onnx,
        ONNXCrossEncoder,
        ONNXColBERTEncoder,
        MaxSimEncoder.from_onnx,
    ):
        with raises_exactly(
            RankValueError, ValueError, match=r"has no rank_rerank.json beside it.*export"
        ):
            load(tmp_path / "model.onnx")
        with raises_exactly(RankValueError, ValueError, match="does not exist"):
            load(tmp_path / "nowhere")
    with raises_exactly(
        RankValueError, ValueError, match="quantized=True contradicts the file model.onnx"
    ):
        CrossEncoder.from_onnx(cross_encoder_onnx / "model.onnx", quantized=True)
    with raises_exactly(RankValueError, ValueError, match="'colbert' model, not a 'cross-encoder'"):
        ONNXCrossEncoder(colbert_onnx / "model.onnx")
    with raises_exactly(RankValueError, ValueError, match="'cross-encoder' model, not a 'colbert'"):
        ONNXColBERTEncoder(cross_encoder_onnx)


# --- ONNXColBERTEncoder, MaxSimEncoder ----------------------------------------------------------


def test_encode_is_encode_documents_and_encode_queries(colbert_onnx, colbert) -> None:
    encoder = ONNXColBERTEncoder(colbert_onnx)
    assert isinstance(encoder, ColBERTEncoder)
    for document in DOCUMENTS:
        vectors = encoder.encode(document)
        assert vectors.ndim == 2 and vectors.shape[1] == encoder.dim == 128
        _assert_arrays_close([vectors], colbert.encode_documents([document], layout="list"))
    _assert_arrays_close(
        encoder.encode_batch(DOCUMENTS), colbert.encode_documents(DOCUMENTS, layout="list")
    )

    query = encoder.encode(QUERY, is_query=True)
    assert query.shape == (encoder.query_maxlen, 128)
    _assert_arrays_close([query], list(colbert.encode_queries([QUERY])))
    _assert_arrays_close(
        encoder.encode_batch(QUERIES, is_query=True), list(colbert.encode_queries(QUERIES))
    )
    assert encoder.encode_batch([]) == [] and encoder.encode_batch([], is_query=True) == []

    # the original's example: encode both sides, score with maxsim_vecs
    score = rank_rerank.maxsim_vecs(encoder.encode(QUERY), encoder.encode(DOCUMENTS[0]))
    assert isinstance(score, float)


def test_encode_from_an_onnx_file_picks_the_precision(colbert_onnx) -> None:
    int8 = ONNXColBERTEncoder(colbert_onnx / "model_int8.onnx", doc_maxlen=64)
    assert int8.directory.quantized and int8.doc_maxlen == 64
    reference = ColBERTEncoder(colbert_onnx, quantized=True, doc_maxlen=64)
    _assert_arrays_close(
        int8.encode_batch(DOCUMENTS), reference.encode_documents(DOCUMENTS, layout="list")
    )
    assert not ONNXColBERTEncoder(colbert_onnx / "model.onnx").directory.quantized


def test_encode_bad_inputs(colbert_onnx) -> None:
    encoder = ONNXColBERTEncoder(colbert_onnx)
    with raises_exactly(
        RankTypeError, TypeError, match="text must be a str, got list .*use encode_batch"
    ):
        encoder.encode(DOCUMENTS)
    with raises_exactly(RankValueError, ValueError, match=r"queries\[0\] is empty"):
        encoder.encode(" ", is_query=True)
    with raises_exactly(RankTypeError, TypeError, match="documents must be a list of str"):
        encoder.encode_batch("one text")
    with raises_exactly(RankTypeError, TypeError, match=r"documents\[1\] must be a str"):
        encoder.encode_batch(["a", None])
    with raises_exactly(RankTypeError, TypeError, match="is_query must be a bool"):
        encoder.encode("text", is_query="yes")


def test_maxsim_encoder_scores_with_maxsim(colbert_onnx, colbert) -> None:
    encoder = MaxSimEncoder.from_onnx(colbert_onnx / "model.onnx")
    assert isinstance(encoder, ONNXColBERTEncoder)
    query = colbert.encode_queries([QUERY])[0]
    documents = colbert.encode_documents(DOCUMENTS)
    expected = rank_rerank.maxsim(query, documents.tokens, offsets=documents.offsets)

    scores = encoder.score(QUERY, DOCUMENTS)
    assert (
        isinstance(scores, np.ndarray)
        and scores.dtype == np.float32
        and scores.shape == (len(DOCUMENTS),)
    )
    np.testing.assert_allclose(scores, expected, rtol=0, atol=ATOL)

    ranked = encoder.rerank(QUERY, DOCUMENTS, top_k=2)
    reference = rank_rerank.rerank(query, documents.tokens, offsets=documents.offsets, top_k=2)
    assert ranked.indices.tolist() == reference.indices.tolist() == ranked.ids.tolist()
    np.testing.assert_allclose(ranked.scores, reference.scores, rtol=0, atol=ATOL)

    assert encoder.score(QUERY, []).shape == (0,)
    assert encoder.rerank(QUERY, []).indices.size == 0


def test_maxsim_encoder_bad_inputs(colbert_onnx) -> None:
    encoder = MaxSimEncoder.from_onnx(colbert_onnx)
    with raises_exactly(RankTypeError, TypeError, match="query must be a str"):
        encoder.score([QUERY], DOCUMENTS)
    with raises_exactly(RankValueError, ValueError, match=r"queries\[0\] is empty"):
        encoder.score("", DOCUMENTS)
    with raises_exactly(RankTypeError, TypeError, match="documents must be a list of str"):
        encoder.score(QUERY, DOCUMENTS[0])
    with raises_exactly(RankValueError, ValueError, match="top_k must be >= 0"):
        encoder.rerank(QUERY, DOCUMENTS, top_k=-1)


# --- rank_rerank.onnx_export ----------------------------------------------------------------


def test_export_colbert_encoder_writes_what_export_colbert_writes(
    colbert_checkpoint, colbert_onnx, colbert, tmp_path
):
    # the original's call shape: an .onnx name for the output, then the encoder on that name
    out = onnx_export.export_colbert_encoder(
        colbert_checkpoint,
        tmp_path / "colbert.onnx",
        quantize=False,
        max_length=512,
        verify=False,
        show_progress=False,
    )
    assert out == tmp_path / "colbert.onnx" and out.is_dir()
    assert sorted(path.name for path in out.iterdir()) == [
        "model.onnx",
        "rank_rerank.json",
        "tokenizer.json",
    ]
    assert _config(out) == _config(colbert_onnx)
    encoder = ONNXColBERTEncoder(str(out))
    _assert_arrays_close(
        encoder.encode_batch(DOCUMENTS), colbert.encode_documents(DOCUMENTS, layout="list")
    )


def test_export_cross_encoder_writes_what_export_cross_encoder_writes(
    cross_encoder_checkpoint, cross_encoder_onnx, cross_encoder, tmp_path
):
    out = onnx_export.export_cross_encoder(
        cross_encoder_checkpoint / "model.safetensors",
        tmp_path / "model.onnx",
        quantize=None,
        verify=False,
        show_progress=False,
    )
    assert out == tmp_path / "model.onnx" and not (out / "model_int8.onnx").exists()
    encoder = ONNXCrossEncoder(out / "model.onnx", cross_encoder_checkpoint / "tokenizer.json")
    np.testing.assert_allclose(
        encoder.score(QUERY, DOCUMENTS),
        cross_encoder.score_batch(QUERY, DOCUMENTS),
        rtol=0,
        atol=ATOL,
    )


def test_export_names_call_the_exporters(weightless_checkpoint, tmp_path, monkeypatch) -> None:
    """Each export name is one call of rank_rerank.export's exporter with the mapped arguments."""
    calls = []

    def recorder(kind):
        def record(model_dir, out_dir, **options):
            calls.append((kind, model_dir, out_dir, options))
            return Path(out_dir)

        return record

    monkeypatch.setattr(rank_rerank.export, "export_colbert", recorder("colbert"))
    monkeypatch.setattr(rank_rerank.export, "export_cross_encoder", recorder("cross-encoder"))
    weights = weightless_checkpoint / "model.safetensors"
    assert onnx_export.export_maxsim_to_onnx(model_path=weights, output_path="maxsim.onnx") == Path(
        "maxsim.onnx"
    )
    onnx_export.export_colbert_encoder(
        str(weightless_checkpoint), "colbert.onnx", quantize=True, dim=128
    )
    onnx_export.export_cross_encoder(
        weightless_checkpoint / "config.json", "model.onnx", quantize=False, opset=18
    )
    rank_rerank.export_colbert_encoder(weightless_checkpoint, "out", quantize="int8")
    assert calls == [
        ("colbert", weightless_checkpoint, "maxsim.onnx", {"quantize": "int8"}),
        ("colbert", weightless_checkpoint, "colbert.onnx", {"quantize": "int8", "dim": 128}),
        ("cross-encoder", weightless_checkpoint, "model.onnx", {"quantize": None, "opset": 18}),
        ("colbert", weightless_checkpoint, "out", {"quantize": "int8"}),
    ]


def test_export_names_never_download(weightless_checkpoint, tmp_path) -> None:
    exports = {
        "model": (onnx_export.export_colbert_encoder, onnx_export.export_cross_encoder),
        "model_path": (onnx_export.export_maxsim_to_onnx,),
    }
    (tmp_path / "notes.txt").write_text("", encoding="utf-8")
    for name, functions in exports.items():
        for export in functions:
            with raises_exactly(
                RankValueError,
                ValueError,
                match=rf"{name}='colbert-ir/colbertv2.0' .*never downloads",
            ):
                export("colbert-ir/colbertv2.0", tmp_path / "out")
            with raises_exactly(
                RankValueError, ValueError, match="is a file rank-rerank cannot export on its own"
            ):
                export(tmp_path / "notes.txt", tmp_path / "out")
            with raises_exactly(
                RankTypeError, TypeError, match=rf"{name} must be the path of a local checkpoint"
            ):
                export(object(), tmp_path / "out")
            with raises_exactly(
                RankValueError, ValueError, match="quantize must be True, False, 'int8' or None"
            ):
                export(weightless_checkpoint, tmp_path / "out", quantize="fp16")
    for export in exports["model"]:
        with raises_exactly(RankValueError, ValueError, match="max_length must be >= 1"):
            export(weightless_checkpoint, tmp_path / "out", max_length=0)
        with raises_exactly(RankTypeError, TypeError, match="max_length must be an int"):
            export(weightless_checkpoint, tmp_path / "out", max_length="512")
    assert not (tmp_path / "out").exists()


# --- without the extras (every environment) ---------------------------------------------------


def test_without_the_onnx_extra(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    loads = (CrossEncoder.from_onnx, ONNXCrossEncoder, ONNXColBERTEncoder, MaxSimEncoder.from_onnx)
    for load in loads:
        with raises_exactly(
            OptionalDependencyError, ImportError, match=r'pip install "rank-rerank\[onnx\]"'
        ):
            load(tmp_path / "model.onnx")


def test_without_the_export_extra(weightless_checkpoint, tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    for export in (
        onnx_export.export_colbert_encoder,
        onnx_export.export_cross_encoder,
        onnx_export.export_maxsim_to_onnx,
    ):
        with raises_exactly(
            OptionalDependencyError, ImportError, match=r'pip install "rank-rerank\[export\]"'
        ):
            export(weightless_checkpoint, tmp_path / "out.onnx")


_BLOCK_EXTRAS = """
import sys
for name in ("onnxruntime", "tokenizers", "torch", "transformers"):
    sys.modules[name] = None
from rank_rerank.onnx_export import ONNXColBERTEncoder, ONNXCrossEncoder, export_colbert_encoder
for call in (lambda: ONNXCrossEncoder(sys.argv[1], "tokenizer.json"), lambda: ONNXColBERTEncoder(sys.argv[1]),
             lambda: export_colbert_encoder(sys.argv[2], sys.argv[1])):
    try:
        call()
    except ImportError as exc:
        print(type(exc).__name__, exc)
"""


def test_the_names_import_without_the_extras(weightless_checkpoint, tmp_path) -> None:
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            _BLOCK_EXTRAS,
            str(tmp_path / "model.onnx"),
            str(weightless_checkpoint),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    lines = run.stdout.splitlines()
    assert len(lines) == 3 and all(line.startswith("OptionalDependencyError") for line in lines)
    assert (
        'pip install "rank-rerank[onnx]"' in lines[0]
        and 'pip install "rank-rerank[export]"' in lines[2]
    )
