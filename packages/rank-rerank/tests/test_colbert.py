"""ColBERTEncoder (the [onnx] extra) against an independent colbert-ai reference on SciFact text.

The exported checkpoint is MiniLM with a seeded projection (``colbert_onnx`` / ``colbert_checkpoint``
fixtures); those fixtures skip the tests that need them when torch, transformers or onnxruntime
is missing. ``reference_colbert.py`` redoes colbert-ai's preprocessing and model with transformers
and torch.
"""

from __future__ import annotations

import itertools
import json
import shutil
import string
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

import rank_rerank
from rank_core import OptionalDependencyError, RankTypeError, RankValueError
from rank_core.testing import raises_exactly, shared_data_dir
from rank_rerank.colbert import ColBERTEncoder, DocumentEmbeddings

TESTS_DIR = Path(__file__).parent
CLS, SEP, MASK, PAD = 101, 102, 103, 0  # BERT uncased special token ids
QUERY_MARKER, DOCUMENT_MARKER = 1, 2  # [unused0], [unused1]


@pytest.fixture(scope="module")
def scifact() -> tuple[list[str], list[str]]:
    """24 SciFact abstracts (title + text, most longer than 180 tokens) and 8 claims."""
    folder = shared_data_dir("scifact", tests_dir=TESTS_DIR)
    with (folder / "corpus.jsonl").open(encoding="utf-8") as corpus:
        records = [json.loads(line) for line in itertools.islice(corpus, 24)]
    with (folder / "queries.jsonl").open(encoding="utf-8") as queries:
        claims = [json.loads(line)["text"] for line in itertools.islice(queries, 8)]
    return [f"{record['title']} {record['text']}" for record in records], claims


@pytest.fixture(scope="module")
def reference(colbert_checkpoint: Path):
    from reference_colbert import ColBERTReference

    return ColBERTReference(colbert_checkpoint)


@pytest.fixture(scope="module")
def encoder(colbert_onnx: Path) -> ColBERTEncoder:
    return ColBERTEncoder(colbert_onnx, truncation="ignore")


def _model_copy(colbert_onnx: Path, tmp_path: Path, **config_changes: object) -> Path:
    """The exported directory with links to its model files and an edited rank_rerank.json."""
    copy = tmp_path / "model"
    copy.mkdir(parents=True)
    for name in ("model.onnx", "model_int8.onnx", "tokenizer.json"):
        (copy / name).symlink_to(colbert_onnx / name)
    config = json.loads((colbert_onnx / "rank_rerank.json").read_text(encoding="utf-8"))
    config.update(config_changes)
    (copy / "rank_rerank.json").write_text(json.dumps(config), encoding="utf-8")
    return copy


# --- conventions -------------------------------------------------------------------------------


def test_query_marker_follows_cls(encoder, reference, scifact) -> None:
    _, claims = scifact
    tokens = encoder.tokenize_queries(claims)
    assert (tokens.input_ids[:, 0] == CLS).all()
    assert (tokens.input_ids[:, 1] == QUERY_MARKER).all()
    ids, mask = reference.tensorize_queries(claims)
    np.testing.assert_array_equal(tokens.input_ids, ids)
    np.testing.assert_array_equal(tokens.attention_mask, mask)


def test_document_marker_follows_cls(encoder, reference, scifact) -> None:
    abstracts, _ = scifact
    ids, mask = reference.tensorize_documents(abstracts)
    for position, document_ids in enumerate(encoder.tokenize_documents(abstracts)):
        assert document_ids[0] == CLS and document_ids[1] == DOCUMENT_MARKER
        np.testing.assert_array_equal(document_ids, ids[position, : mask[position].sum()])


def test_queries_are_padded_with_mask_tokens_that_are_not_attended(encoder, scifact) -> None:
    _, claims = scifact
    tokens = encoder.tokenize_queries([*claims, "why"])
    assert tokens.input_ids.shape == (len(claims) + 1, 32)
    short = tokens.input_ids[-1]
    np.testing.assert_array_equal(short[:4], [CLS, QUERY_MARKER, 2339, SEP])  # "why" is 2339
    assert (short[4:] == MASK).all() and PAD not in tokens.input_ids
    np.testing.assert_array_equal(tokens.attention_mask[-1], [1] * 4 + [0] * 28)
    assert encoder.encode_queries([*claims, "why"]).shape == (len(claims) + 1, 32, 128)  # every position kept


def test_attend_to_mask_tokens_from_the_config(colbert_onnx, colbert_checkpoint, tmp_path, scifact) -> None:
    from reference_colbert import ColBERTReference

    _, claims = scifact
    encoder = ColBERTEncoder(_model_copy(colbert_onnx, tmp_path, attend_to_mask_tokens=True), truncation="ignore")
    assert (encoder.tokenize_queries(claims).attention_mask == 1).all()
    expected = ColBERTReference(colbert_checkpoint, attend_to_mask_tokens=True).encode_queries(claims)
    np.testing.assert_allclose(encoder.encode_queries(claims), expected, atol=1e-4)


def test_documents_are_truncated_at_doc_maxlen(colbert_onnx, scifact) -> None:
    abstracts, _ = scifact
    encoder = ColBERTEncoder(colbert_onnx, doc_maxlen=64, truncation="ignore")
    lengths = [ids.size for ids in encoder.tokenize_documents(abstracts)]
    assert max(lengths) == 64 and encoder.last_truncated == sum(length == 64 for length in lengths) > 0
    truncated = encoder.tokenize_documents(abstracts[:1])[0]
    assert truncated[-1] == SEP  # [CLS], marker and [SEP] count in doc_maxlen
    untruncated = ColBERTEncoder(colbert_onnx, doc_maxlen=512).tokenize_documents(abstracts[:1])[0]
    np.testing.assert_array_equal(truncated[:-1], untruncated[:63])


def test_truncation_policies(colbert_onnx, scifact) -> None:
    abstracts, claims = scifact
    with pytest.warns(UserWarning, match=r"of 24 documents were longer than doc_maxlen=180 .*documents\[0\]"):
        ColBERTEncoder(colbert_onnx).encode_documents(abstracts)
    with pytest.warns(UserWarning, match=r"1 of 2 queries were longer than query_maxlen=32 .*queries\[1\]"):
        ColBERTEncoder(colbert_onnx).encode_queries([claims[0], abstracts[0]])
    strict = ColBERTEncoder(colbert_onnx, truncation="error")
    with raises_exactly(RankValueError, ValueError, match=r"documents\[0\]\).*truncation='warn' or 'ignore'"):
        strict.encode_documents(abstracts)
    assert strict.encode_queries(claims[:3]).shape[0] == 3 and strict.last_truncated == 0
    quiet = ColBERTEncoder(colbert_onnx, truncation="ignore")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        quiet.encode_documents(abstracts)
    assert quiet.last_truncated > 0


def test_punctuation_and_padding_are_removed_from_documents(encoder, reference, scifact) -> None:
    abstracts, _ = scifact
    skiplist = {reference.tokenizer.convert_tokens_to_ids(symbol) for symbol in string.punctuation}
    assert set(encoder.skiplist_ids.tolist()) == skiplist and len(skiplist) == 32
    documents = encoder.encode_documents(abstracts, batch_size=5)  # batches pad to their longest
    punctuation = 0
    for ids, vectors in zip(encoder.tokenize_documents(abstracts), documents.split(), strict=True):
        kept = ~np.isin(ids, encoder.skiplist_ids)
        punctuation += int((~kept).sum())
        assert vectors.shape[0] == kept.sum()
    assert punctuation > 100  # SciFact abstracts have plenty of commas, periods and brackets
    assert [len(doc) for doc in reference.encode_documents(abstracts)] == np.diff(documents.offsets).tolist()


def test_a_document_keeps_cls_marker_and_sep(encoder) -> None:
    """colbert-ai never drops [CLS], the marker or [SEP]: an empty or all-punctuation text has 3 vectors."""
    documents = encoder.encode_documents(["", "...!?", "(,)"])
    np.testing.assert_array_equal(documents.offsets, [0, 3, 6, 9])
    for ids in encoder.tokenize_documents(["", "...!?"]):
        assert ids[0] == CLS and ids[1] == DOCUMENT_MARKER and ids[-1] == SEP


def test_every_vector_has_unit_norm(encoder, scifact) -> None:
    abstracts, claims = scifact
    np.testing.assert_allclose(np.linalg.norm(encoder.encode_queries(claims), axis=-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(encoder.encode_documents(abstracts).tokens, axis=-1), 1.0, atol=1e-5)


def test_projection_matches_the_torch_model(encoder, reference, scifact) -> None:
    """Every vector is normalize(last_hidden @ linear.T) of the torch checkpoint (FP32 ONNX, 1e-4)."""
    abstracts, claims = scifact
    assert encoder.dim == reference.dim == 128
    queries = encoder.encode_queries(claims)
    assert queries.dtype == np.float32
    np.testing.assert_allclose(queries, reference.encode_queries(claims), atol=1e-4)
    documents = encoder.encode_documents(abstracts)
    assert documents.tokens.dtype == np.float32 and documents.offsets.dtype == np.int64
    for ours, theirs in zip(documents.split(), reference.encode_documents(abstracts), strict=True):
        np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_int8_scores_stay_close(colbert_onnx, encoder, scifact) -> None:
    abstracts, claims = scifact
    quantized = ColBERTEncoder(colbert_onnx, quantized=True, truncation="ignore")
    exact = encoder.encode_documents(abstracts)
    approximate = quantized.encode_documents(abstracts)
    np.testing.assert_array_equal(exact.offsets, approximate.offsets)
    for query, query_int8 in zip(encoder.encode_queries(claims), quantized.encode_queries(claims), strict=True):
        scores = rank_rerank.maxsim(query, exact.tokens, offsets=exact.offsets)
        scores_int8 = rank_rerank.maxsim(query_int8, approximate.tokens, offsets=approximate.offsets)
        assert np.corrcoef(scores, scores_int8)[0, 1] > 0.95


def test_pylate_markers_give_the_same_ids_for_a_bert_vocabulary(colbert_onnx, encoder, scifact) -> None:
    """PyLate inserts the marker after [CLS] instead of overwriting a '. ' placeholder: same ids in WordPiece."""
    abstracts, claims = scifact
    pylate = ColBERTEncoder(colbert_onnx, markers="pylate", truncation="ignore")
    np.testing.assert_array_equal(pylate.tokenize_queries(claims).input_ids, encoder.tokenize_queries(claims).input_ids)
    for ours, theirs in zip(pylate.tokenize_documents(abstracts), encoder.tokenize_documents(abstracts), strict=True):
        np.testing.assert_array_equal(ours, theirs)
    assert pylate.last_truncated == encoder.last_truncated > 0


def test_input_order_is_restored_across_length_buckets(encoder, scifact) -> None:
    abstracts, _ = scifact
    texts = [abstracts[0][: 40 * size] for size in (9, 1, 5, 3, 7, 2)]
    one_batch = encoder.encode_documents(texts, batch_size=64)
    bucketed = encoder.encode_documents(texts, batch_size=2)
    np.testing.assert_array_equal(one_batch.offsets, bucketed.offsets)
    np.testing.assert_allclose(one_batch.tokens, bucketed.tokens, atol=1e-5)
    alone = [encoder.encode_documents([text]).tokens for text in texts]
    for ours, single in zip(bucketed.split(), alone, strict=True):
        np.testing.assert_allclose(ours, single, atol=1e-5)


def test_list_layout(encoder, scifact) -> None:
    abstracts, _ = scifact
    flat = encoder.encode_documents(abstracts[:5])
    listed = encoder.encode_documents(abstracts[:5], layout="list")
    assert isinstance(flat, DocumentEmbeddings) and isinstance(listed, list)
    for ours, theirs in zip(listed, flat.split(), strict=True):
        np.testing.assert_array_equal(ours, theirs)


def test_empty_inputs(encoder) -> None:
    documents = encoder.encode_documents([])
    assert documents.tokens.shape == (0, 128) and documents.offsets.tolist() == [0]
    assert encoder.encode_documents([], layout="list") == []
    assert encoder.encode_queries([]).shape == (0, 32, 128)


# --- end to end --------------------------------------------------------------------------------


def test_reranking_scifact_matches_the_reference_pipeline(encoder, reference, scifact) -> None:
    from reference_colbert import maxsim_scores

    abstracts, claims = scifact
    documents = encoder.encode_documents(abstracts)
    expected_documents = reference.encode_documents(abstracts)
    for query, expected_query in zip(encoder.encode_queries(claims), reference.encode_queries(claims), strict=True):
        scores = rank_rerank.maxsim(query, documents.tokens, offsets=documents.offsets)
        expected = maxsim_scores(expected_query, expected_documents)
        np.testing.assert_allclose(scores, expected, atol=1e-3)
        np.testing.assert_array_equal(np.argsort(-scores, kind="stable"), np.argsort(-expected, kind="stable"))


# --- bad input ---------------------------------------------------------------------------------


def test_missing_files_are_named(colbert_onnx, tmp_path) -> None:
    copy = _model_copy(colbert_onnx, tmp_path)
    (copy / "model_int8.onnx").unlink()
    with raises_exactly(RankValueError, ValueError, match=r"model_int8\.onnx is missing.*quantize='int8'"):
        ColBERTEncoder(copy, quantized=True)
    (copy / "model.onnx").unlink()
    with raises_exactly(RankValueError, ValueError, match=r"model\.onnx is missing"):
        ColBERTEncoder(copy)
    shutil.copy(colbert_onnx / "model.onnx", copy / "model.onnx")
    (copy / "tokenizer.json").unlink()
    with raises_exactly(RankValueError, ValueError, match=r"tokenizer\.json is missing"):
        ColBERTEncoder(copy)
    with raises_exactly(RankValueError, ValueError, match="does not exist"):
        ColBERTEncoder(tmp_path / "nowhere")


def test_tokenizer_mismatch(colbert_onnx, tmp_path) -> None:
    marker = _model_copy(colbert_onnx, tmp_path / "marker", query_marker="[NOT-A-TOKEN]")
    with raises_exactly(RankValueError, ValueError, match=r"tokenizer mismatch: the query marker '\[NOT-A-TOKEN\]'"):
        ColBERTEncoder(marker)
    special = _model_copy(colbert_onnx, tmp_path / "special", mask_token_id=7)
    with raises_exactly(RankValueError, ValueError, match="tokenizer mismatch"):
        ColBERTEncoder(special)


def test_bad_texts(encoder) -> None:
    with raises_exactly(RankValueError, ValueError, match=r"queries\[1\] is empty"):
        encoder.encode_queries(["a claim", "  "])
    with raises_exactly(RankTypeError, TypeError, match=r"documents\[2\] must be a str, got int"):
        encoder.encode_documents(["a", "b", 3])
    with raises_exactly(RankTypeError, TypeError, match=r"queries\[0\] must be a str, got NoneType"):
        encoder.encode_queries([None])
    with raises_exactly(RankTypeError, TypeError, match=r"for one text, pass \[text\]"):
        encoder.encode_queries("a single claim")
    with raises_exactly(RankValueError, ValueError, match="layout must be one of"):
        encoder.encode_documents(["a"], layout="padded")
    with raises_exactly(RankValueError, ValueError, match="batch_size must be >= 1"):
        encoder.encode_documents(["a"], batch_size=0)


def test_bad_settings(colbert_onnx) -> None:
    with raises_exactly(RankValueError, ValueError, match=r"query_maxlen must be in \[4, 512\]"):
        ColBERTEncoder(colbert_onnx, query_maxlen=600)
    with raises_exactly(RankValueError, ValueError, match=r"doc_maxlen must be in \[4, 512\]"):
        ColBERTEncoder(colbert_onnx, doc_maxlen=3)
    with raises_exactly(RankValueError, ValueError, match="markers must be one of"):
        ColBERTEncoder(colbert_onnx, markers="ragatouille")
    with raises_exactly(RankValueError, ValueError, match="truncation must be one of"):
        ColBERTEncoder(colbert_onnx, truncation="silent")


def test_without_the_onnx_extra(monkeypatch, tmp_path) -> None:
    """Runs without the extras too: the constructor names the pip command before touching the path."""
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with raises_exactly(OptionalDependencyError, ImportError, match=r'pip install "rank-rerank\[onnx\]"'):
        ColBERTEncoder(tmp_path)
