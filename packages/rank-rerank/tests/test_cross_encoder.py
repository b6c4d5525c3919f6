"""The ONNX cross-encoder against sentence-transformers' CrossEncoder on real SciFact pairs.

The exported model and its checkpoint come from the session fixtures ``cross_encoder_onnx`` and
``cross_encoder_checkpoint`` (MiniLM-L6 with a seeded one-label head), which skip without the
``[onnx]``/``[export]`` extras; sentence-transformers is the oracle (a test-only dependency).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
import pytest

from rank_core import OptionalDependencyError, RankTypeError, RankValueError
from rank_core.testing import raises_exactly, shared_data_dir
from rank_rerank.cross_encoder import CrossEncoder

N_TEST_QRELS = 24  # (query, relevant abstract) pairs from SciFact's test qrels
N_EXTREMES = 6  # the longest abstracts (over 512 tokens: truncated) and the shortest ones
SHORT = 128


def _read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def scifact_pairs() -> list[tuple[str, str]]:
    """Real (query, abstract) pairs of mixed lengths, shuffled so that lengths alternate."""
    folder = shared_data_dir("scifact", tests_dir=Path(__file__).parent)
    queries = {row["_id"]: row["text"] for row in _read_jsonl(folder / "queries.jsonl")}
    corpus = {row["_id"]: row["text"] for row in _read_jsonl(folder / "corpus.jsonl")}
    qrels = [line.split("\t")[:2] for line in (folder / "qrels" / "test.tsv").read_text().splitlines()[1:]]
    pairs = [(queries[query_id], corpus[doc_id]) for query_id, doc_id in qrels[:N_TEST_QRELS]]
    by_length = sorted(corpus.values(), key=len)
    extremes = by_length[-N_EXTREMES:] + [text for text in by_length if text][:N_EXTREMES]
    pairs += [(pairs[i][0], text) for i, text in enumerate(extremes)]
    order = np.random.default_rng(0).permutation(len(pairs))
    return [pairs[i] for i in order]


@pytest.fixture(scope="module")
def encoder(cross_encoder_onnx: Path) -> CrossEncoder:
    return CrossEncoder(cross_encoder_onnx, truncation="ignore")


@pytest.fixture(scope="module")
def short_encoder(cross_encoder_onnx: Path) -> CrossEncoder:
    """Pairs cut to 128 tokens: a quarter of the compute for the tests of order, ranking and threads."""
    return CrossEncoder(cross_encoder_onnx, max_length=SHORT, truncation="ignore")


@pytest.fixture(scope="module")
def sentence_transformers_model(cross_encoder_checkpoint: Path):
    sentence_transformers = pytest.importorskip("sentence_transformers")
    return sentence_transformers.CrossEncoder(str(cross_encoder_checkpoint), device="cpu")


@pytest.fixture(scope="module")
def three_label_onnx(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A MiniLM-L6 checkpoint with a seeded three-label head, and its FP32 export."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("onnxruntime")
    from checkpoints import MINILM

    from rank_rerank.export import export_cross_encoder

    folder = tmp_path_factory.mktemp("three_labels")
    torch.manual_seed(0)
    model = transformers.BertForSequenceClassification.from_pretrained(MINILM, num_labels=3, local_files_only=True)
    model.save_pretrained(folder / "checkpoint")
    transformers.AutoTokenizer.from_pretrained(MINILM).save_pretrained(folder / "checkpoint")
    export_cross_encoder(folder / "checkpoint", folder / "onnx", quantize=None, show_progress=False)
    return folder / "checkpoint", folder / "onnx"


def _untruncated_lengths(encoder: CrossEncoder, pairs: list[tuple[str, str]]) -> np.ndarray:
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(encoder.directory.tokenizer_file))
    tokenizer.no_truncation()
    return np.array([len(encoding.ids) for encoding in tokenizer.encode_batch(pairs)])


# ---------------------------------------------------------------- parity with sentence-transformers


def test_scores_match_sentence_transformers(encoder, sentence_transformers_model, scifact_pairs) -> None:
    import torch

    lengths = _untruncated_lengths(encoder, scifact_pairs)
    assert lengths.max() > 512 and lengths.min() < 128  # truncated and short pairs are both covered
    expected = sentence_transformers_model.predict(scifact_pairs, show_progress_bar=False)
    expected_logits = sentence_transformers_model.predict(
        scifact_pairs, activation_fn=torch.nn.Identity(), show_progress_bar=False
    )

    scores = encoder.predict(scifact_pairs)
    assert scores.dtype == np.float32 and scores.shape == (len(scifact_pairs),)
    np.testing.assert_allclose(scores, expected, atol=1e-4, rtol=0)
    logits = encoder.predict(scifact_pairs, apply_activation=False)
    np.testing.assert_allclose(logits, expected_logits, atol=1e-4, rtol=0)
    assert encoder.last_truncated == int((lengths > 512).sum())


@pytest.mark.parametrize("max_length", [128, 32])
def test_short_max_length_truncates_as_sentence_transformers(
    cross_encoder_onnx, cross_encoder_checkpoint, scifact_pairs, max_length
) -> None:
    import torch
    from sentence_transformers import CrossEncoder as SentenceTransformersCrossEncoder

    reference = SentenceTransformersCrossEncoder(str(cross_encoder_checkpoint), device="cpu", max_length=max_length)
    expected = reference.predict(scifact_pairs, activation_fn=torch.nn.Identity(), show_progress_bar=False)
    encoder = CrossEncoder(cross_encoder_onnx, max_length=max_length, truncation="ignore")
    np.testing.assert_allclose(encoder.predict(scifact_pairs, apply_activation=False), expected, atol=1e-4, rtol=0)


def test_rank_matches_sentence_transformers(encoder, sentence_transformers_model, scifact_pairs) -> None:
    query = scifact_pairs[0][0]
    documents = [document for _, document in scifact_pairs[:12]]
    expected = sentence_transformers_model.rank(query, documents, return_documents=True, show_progress_bar=False)
    ranked = encoder.rank(query, documents, return_documents=True)
    assert [result["corpus_id"] for result in ranked] == [result["corpus_id"] for result in expected]
    assert [result["text"] for result in ranked] == [result["text"] for result in expected]
    np.testing.assert_allclose([r["score"] for r in ranked], [r["score"] for r in expected], atol=1e-4, rtol=0)


def test_three_labels_match_sentence_transformers(three_label_onnx, scifact_pairs) -> None:
    import torch
    from sentence_transformers import CrossEncoder as SentenceTransformersCrossEncoder

    checkpoint, exported = three_label_onnx
    reference = SentenceTransformersCrossEncoder(str(checkpoint), device="cpu", max_length=SHORT)
    pairs = scifact_pairs[:12]
    logits = reference.predict(pairs, show_progress_bar=False)  # identity: its default for several labels
    probabilities = reference.predict(
        pairs, activation_fn=torch.nn.Identity(), apply_softmax=True, show_progress_bar=False
    )
    encoder = CrossEncoder(exported, max_length=SHORT, truncation="ignore")
    assert encoder.num_labels == 3 and encoder.activation == "identity"
    assert encoder.predict(pairs).shape == (12, 3)
    np.testing.assert_allclose(encoder.predict(pairs), logits, atol=1e-4, rtol=0)
    softmax = CrossEncoder(exported, max_length=SHORT, activation="softmax", truncation="ignore").predict(pairs)
    np.testing.assert_allclose(softmax, probabilities, atol=1e-5, rtol=0)
    assert encoder.predict([]).shape == (0, 3)
    with raises_exactly(RankValueError, ValueError, match="num_labels=3"):
        encoder.rank("a query", ["a document"])


# ---------------------------------------------------------------- order, batching, ranking


@pytest.mark.parametrize("batch_size", [1, 3, 7, 1000])
def test_scores_come_back_in_input_order(short_encoder, scifact_pairs, batch_size) -> None:
    reference = short_encoder.predict(scifact_pairs, batch_size=32)
    scores = short_encoder.predict(scifact_pairs, batch_size=batch_size)
    np.testing.assert_allclose(scores, reference, atol=1e-5, rtol=0)
    reversed_pairs = scifact_pairs[::-1]
    np.testing.assert_allclose(
        short_encoder.predict(reversed_pairs, batch_size=batch_size), reference[::-1], atol=1e-5, rtol=0
    )


def test_rank_is_sorted_with_top_k_and_documents(short_encoder, scifact_pairs) -> None:
    query = scifact_pairs[0][0]
    documents = [document for _, document in scifact_pairs]
    scores = short_encoder.predict([(query, document) for document in documents])
    ranked = short_encoder.rank(query, documents)
    assert sorted(result["corpus_id"] for result in ranked) == list(range(len(documents)))
    assert all(set(result) == {"corpus_id", "score"} for result in ranked)
    ranked_scores = [result["score"] for result in ranked]
    assert ranked_scores == sorted(ranked_scores, reverse=True)
    np.testing.assert_allclose(ranked_scores, scores[[r["corpus_id"] for r in ranked]], atol=1e-6, rtol=0)

    top = short_encoder.rank(query, documents, top_k=5, return_documents=True)
    assert [r["corpus_id"] for r in top] == [r["corpus_id"] for r in ranked[:5]]
    assert [r["text"] for r in top] == [documents[r["corpus_id"]] for r in top]
    assert short_encoder.rank(query, documents, top_k=0) == []
    assert len(short_encoder.rank(query, documents, top_k=10_000)) == len(documents)


def test_rank_breaks_ties_by_input_position(short_encoder, scifact_pairs) -> None:
    first, second = scifact_pairs[0][1], scifact_pairs[1][1]
    documents = [first, second, first, second, first]
    # one pair per batch: copies of a document go through the identical computation
    ranked = short_encoder.rank(scifact_pairs[0][0], documents, batch_size=1)
    groups: dict[float, list[int]] = {}
    for result in ranked:
        groups.setdefault(result["score"], []).append(result["corpus_id"])
    assert sorted(map(sorted, groups.values())) == [[0, 2, 4], [1, 3]]
    assert all(ids == sorted(ids) for ids in groups.values())


def test_concurrent_predict_gives_the_same_scores(short_encoder, scifact_pairs) -> None:
    expected = short_encoder.predict(scifact_pairs)
    results: dict[int, np.ndarray] = {}
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for _ in range(2):
                results[worker] = short_encoder.predict(scifact_pairs, batch_size=8)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    for scores in results.values():
        np.testing.assert_allclose(scores, expected, atol=1e-5, rtol=0)


def test_progress_bar_is_optional(short_encoder, scifact_pairs, capsys) -> None:
    expected = short_encoder.predict(scifact_pairs[:4])
    shown = short_encoder.predict(scifact_pairs[:4], show_progress=True)
    np.testing.assert_allclose(shown, expected, atol=1e-6, rtol=0)
    assert "Cross-encoder scoring" in capsys.readouterr().err
    short_encoder.predict(scifact_pairs[:4])
    assert capsys.readouterr().err == ""


# ---------------------------------------------------------------- INT8, activations, truncation


def test_int8_model_agrees_with_fp32(cross_encoder_onnx, encoder, scifact_pairs) -> None:
    from scipy.stats import spearmanr

    quantized = CrossEncoder(cross_encoder_onnx, quantized=True, truncation="ignore")
    assert quantized.directory.model_file.name == "model_int8.onnx"
    fp32 = encoder.predict(scifact_pairs, apply_activation=False)
    int8 = quantized.predict(scifact_pairs, apply_activation=False)
    assert not np.array_equal(int8, fp32)  # the INT8 graph ran, not the FP32 one
    assert np.max(np.abs(int8 - fp32)) < 0.05
    # 30 pairs whose logits lie close together (a seeded head on a bi-encoder): a few swapped
    # neighbours move Spearman by a percent, and onnxruntime's INT8 kernels differ by CPU (AVX2's
    # saturating u8s8 products vs AVX-512 VNNI): 0.976 on an AVX2 host, >= 0.98 on the AVX-512
    # one it was written on. The ranking quality bar (>= 0.98) is test_export.py's, over 256 pairs.
    assert spearmanr(int8, fp32)[0] >= 0.95


def test_activation_options(cross_encoder_onnx, short_encoder, scifact_pairs) -> None:
    logits = short_encoder.predict(scifact_pairs, apply_activation=False)
    assert short_encoder.activation == "sigmoid"  # the exported default for one label
    explicit = CrossEncoder(cross_encoder_onnx, max_length=SHORT, activation="sigmoid", truncation="ignore")
    sigmoid = explicit.predict(scifact_pairs)
    np.testing.assert_allclose(sigmoid, 1 / (1 + np.exp(-logits.astype(np.float64))), atol=1e-6, rtol=0)
    np.testing.assert_array_equal(short_encoder.predict(scifact_pairs), sigmoid)
    identity = CrossEncoder(cross_encoder_onnx, max_length=SHORT, activation="identity", truncation="ignore")
    np.testing.assert_array_equal(identity.predict(scifact_pairs), logits)
    with raises_exactly(RankValueError, ValueError, match="softmax.*num_labels=1"):
        CrossEncoder(cross_encoder_onnx, activation="softmax")
    with raises_exactly(RankValueError, ValueError, match="activation"):
        CrossEncoder(cross_encoder_onnx, activation="tanh")


def test_truncation_warns_once_with_count_and_first_position(cross_encoder_onnx, scifact_pairs) -> None:
    encoder = CrossEncoder(cross_encoder_onnx, max_length=256)
    long_pairs = np.flatnonzero(_untruncated_lengths(encoder, scifact_pairs) > 256)
    assert 0 < long_pairs.size < len(scifact_pairs)
    with pytest.warns(UserWarning) as caught:
        encoder.predict(scifact_pairs)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert f"{long_pairs.size} of {len(scifact_pairs)} pairs" in message
    assert f"pairs[{long_pairs[0]}]" in message and "max_length=256" in message
    assert encoder.last_truncated == long_pairs.size

    with pytest.warns(UserWarning, match=r"documents\["):
        encoder.rank(scifact_pairs[0][0], [document for _, document in scifact_pairs])


def test_truncation_error_raises_before_running_the_model(cross_encoder_onnx, scifact_pairs, monkeypatch) -> None:
    encoder = CrossEncoder(cross_encoder_onnx, max_length=256, truncation="error")

    class NoSession:
        def run(self, *args, **kwargs):
            raise AssertionError("the model ran")

    monkeypatch.setattr(encoder, "_session", NoSession())
    with raises_exactly(RankValueError, ValueError, match=r"longer than max_length=256.*the first: pairs\["):
        encoder.predict(scifact_pairs)
    assert encoder.last_truncated > 0


def test_truncation_ignore_is_quiet_but_counts(cross_encoder_onnx, scifact_pairs) -> None:
    encoder = CrossEncoder(cross_encoder_onnx, max_length=256, truncation="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        encoder.predict(scifact_pairs)
    assert encoder.last_truncated == int((_untruncated_lengths(encoder, scifact_pairs) > 256).sum())
    encoder.predict(scifact_pairs[:0])
    assert encoder.last_truncated == 0


# ---------------------------------------------------------------- bad input


def test_empty_inputs(encoder) -> None:
    empty = encoder.predict([])
    assert empty.shape == (0,) and empty.dtype == np.float32
    assert encoder.rank("a query", []) == []
    # an empty document is a valid (if useless) candidate; an empty query is not
    assert encoder.predict([("a query", "")]).shape == (1,)
    with raises_exactly(RankValueError, ValueError, match="query is empty"):
        encoder.rank("  ", ["a document"])
    with raises_exactly(RankValueError, ValueError, match=r"pairs\[1\]\[0\] \(the query\) is empty"):
        encoder.predict([("a query", "a document"), ("", "a document")])


def test_non_string_texts_name_their_position(encoder) -> None:
    with raises_exactly(RankTypeError, TypeError, match=r"documents\[2\] must be a str, got int"):
        encoder.rank("a query", ["a", "b", 3])
    with raises_exactly(RankTypeError, TypeError, match=r"pairs\[1\]\[1\] \(the document\) must be a str, got None"):
        encoder.predict([("a query", "a document"), ("a query", None)])
    with raises_exactly(RankTypeError, TypeError, match=r"query must be a str, got bytes"):
        encoder.rank(b"a query", ["a document"])
    with raises_exactly(RankTypeError, TypeError, match=r"pairs\[0\] must be a \(query, document\) pair"):
        encoder.predict(("a query", "a document"))
    with raises_exactly(RankTypeError, TypeError, match=r"pairs\[0\] must be a \(query, document\) pair"):
        encoder.predict([("a query", "a document", "another")])
    with raises_exactly(RankTypeError, TypeError, match="pairs must be a list"):
        encoder.predict("a query")
    with raises_exactly(RankTypeError, TypeError, match="documents must be a list of str"):
        encoder.rank("a query", "a document")


def test_bad_sizes(cross_encoder_onnx, encoder) -> None:
    pairs = [("a query", "a document")]
    with raises_exactly(RankValueError, ValueError, match="batch_size must be >= 1, got 0"):
        encoder.predict(pairs, batch_size=0)
    with raises_exactly(RankTypeError, TypeError, match="batch_size must be an int"):
        encoder.rank("a query", ["a document"], batch_size=2.5)
    with raises_exactly(RankValueError, ValueError, match="batch_size must be >= 1"):
        CrossEncoder(cross_encoder_onnx, batch_size=-1)
    with raises_exactly(RankValueError, ValueError, match="top_k must be >= 0"):
        encoder.rank("a query", ["a document"], top_k=-1)
    with raises_exactly(RankValueError, ValueError, match=r"max_length must be in \[5, 512\].*got 513"):
        CrossEncoder(cross_encoder_onnx, max_length=513)
    with raises_exactly(RankValueError, ValueError, match=r"max_length must be in \[5, 512\].*got 4"):
        CrossEncoder(cross_encoder_onnx, max_length=4)
    with raises_exactly(RankValueError, ValueError, match="truncation must be one of"):
        CrossEncoder(cross_encoder_onnx, truncation="silent")


def test_missing_or_mismatched_model_files(cross_encoder_onnx, tmp_path) -> None:
    with raises_exactly(RankValueError, ValueError, match="does not exist"):
        CrossEncoder(tmp_path / "nowhere")
    fp32_only = tmp_path / "fp32_only"
    shutil.copytree(cross_encoder_onnx, fp32_only)
    (fp32_only / "model_int8.onnx").unlink()
    CrossEncoder(fp32_only)
    with raises_exactly(RankValueError, ValueError, match=r"model_int8\.onnx is missing.*quantize='int8'"):
        CrossEncoder(fp32_only, quantized=True)
    (fp32_only / "tokenizer.json").unlink()
    with raises_exactly(RankValueError, ValueError, match=r"tokenizer\.json is missing"):
        CrossEncoder(fp32_only)

    mismatched = tmp_path / "mismatched"
    shutil.copytree(cross_encoder_onnx, mismatched)
    config = json.loads((mismatched / "rank_rerank.json").read_text())
    config["sep_token_id"] = 1000  # an ordinary word piece of the vocabulary
    (mismatched / "rank_rerank.json").write_text(json.dumps(config))
    with raises_exactly(RankValueError, ValueError, match="tokenizer mismatch"):
        CrossEncoder(mismatched)


def test_colbert_directory_is_refused(colbert_onnx) -> None:
    with raises_exactly(RankValueError, ValueError, match="'colbert' model, not a 'cross-encoder'"):
        CrossEncoder(colbert_onnx)


# ---------------------------------------------------------------- without the extra


def test_missing_onnxruntime_names_the_extra(monkeypatch, tmp_path) -> None:
    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # makes `import onnxruntime` fail
    with raises_exactly(OptionalDependencyError, ImportError, match=r'pip install "rank-rerank\[onnx\]"'):
        CrossEncoder(tmp_path)


_BLOCK_EXTRAS = """
import sys
for name in ("onnxruntime", "tokenizers", "torch", "transformers"):
    sys.modules[name] = None
import rank_rerank
from rank_rerank.cross_encoder import CrossEncoder
try:
    CrossEncoder(sys.argv[1])
except ImportError as exc:
    print(type(exc).__name__, exc)
"""


def test_package_imports_without_the_extras(tmp_path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _BLOCK_EXTRAS, str(tmp_path)], capture_output=True, text=True, check=True
    )
    assert run.stdout.startswith("OptionalDependencyError")
    assert 'pip install "rank-rerank[onnx]"' in run.stdout


_RUN_WITHOUT_TORCH = """
import sys
from rank_rerank.cross_encoder import CrossEncoder
encoder = CrossEncoder(sys.argv[1], quantized=True)
encoder.predict([("a query", "a document")])
encoder.rank("a query", ["a document", "another document"])
print(sorted(name for name in ("torch", "transformers") if name in sys.modules))
"""


def test_runtime_never_imports_torch(cross_encoder_onnx) -> None:
    run = subprocess.run(
        [sys.executable, "-c", _RUN_WITHOUT_TORCH, str(cross_encoder_onnx)], capture_output=True, text=True, check=True
    )
    assert run.stdout.strip() == "[]"
