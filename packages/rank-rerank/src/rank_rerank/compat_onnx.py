"""The original bindings' ONNX model classes, as thin subclasses of this package's runtimes.

The earlier project's Python package (its ``onnx_export`` module and its planned ``MaxSimEncoder``)
named its ONNX runtimes differently; code written against those names keeps running here:

- :class:`ONNXCrossEncoder` ``(onnx_path, tokenizer=None).score(query, docs)`` is a
  :class:`~rank_rerank.CrossEncoder`; ``score`` is :meth:`~rank_rerank.CrossEncoder.score_batch`
  (a list of floats, one per document).
- :class:`ONNXColBERTEncoder` ``(path).encode(text)`` / ``.encode_batch(texts)`` is a
  :class:`~rank_rerank.ColBERTEncoder`: one ``(n_tokens, dim)`` array per text (documents by
  default, ``is_query=True`` for colbert-ai's ``[MASK]``-padded queries).
- :class:`MaxSimEncoder` ``.from_onnx(path)`` is an :class:`ONNXColBERTEncoder` that also scores
  documents against a query with :func:`~rank_rerank.maxsim` (``score``, ``rerank``).

Where the original took the path of an ``.onnx`` file, these take the model directory the
exporters write, or its ``model.onnx`` / ``model_int8.onnx``. Fixed rather than copied: the
original truncated long texts silently (these warn, as the runtimes do: ``truncation=``), encoded
queries and documents alike (these follow colbert-ai's markers, query padding and punctuation
skiplist), and used whatever tokenizer it was handed (``ONNXCrossEncoder`` checks it against the
exported model's and raises on a mismatch). Nothing is downloaded: a tokenizer name that is not a
local file raises. onnxruntime and tokenizers are imported when a model is loaded (the ``[onnx]``
extra); without them the constructors raise ``OptionalDependencyError``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
from numpy.typing import NDArray

from rank_core import RankTypeError, RankValueError
from rank_core.validation import check_k
from rank_rerank._onnx import (
    TOKENIZER_FILE,
    ModelDirectory,
    require_runtime,
    resolve_model_path,
)
from rank_rerank.colbert import ColBERTEncoder
from rank_rerank.cross_encoder import CrossEncoder
from rank_rerank.maxsim import maxsim
from rank_rerank.maxsim import rerank as _rerank
from rank_rerank.results import RerankResult

__all__ = ["MaxSimEncoder", "ONNXColBERTEncoder", "ONNXCrossEncoder"]

_MaxSim = TypeVar("_MaxSim", bound="MaxSimEncoder")

# (query, document) pairs whose ids two tokenizers must agree on: case, accents, punctuation,
# digits, an unknown character, an empty document
_PROBE_PAIRS = (
    ("What causes tides?", "Tides are caused by the Moon's gravity (and the Sun's), 2x a day."),
    ("Naïve CAFÉ über-test", "日本語 テキスト ☃ 42"),
    ("a", ""),
)


class ONNXCrossEncoder(CrossEncoder):
    """The original ``ONNXCrossEncoder(onnx_path, tokenizer)``: a :class:`~rank_rerank.CrossEncoder`.

    Args:
        onnx_path: an exported cross-encoder directory, or its ``model.onnx`` (FP32) or
            ``model_int8.onnx`` (INT8, as ``quantized=True``).
        tokenizer: ``None`` (the export's ``tokenizer.json``), or the tokenizer the original was
            handed: a ``tokenizer.json`` path, a directory holding one, a ``tokenizers.Tokenizer``
            or a Hugging Face fast tokenizer. It is *checked* against the export's tokenizer (the
            same vocabulary and the same ids for sample pairs; RankValueError "tokenizer
            mismatch" otherwise), never used in its place: the model runs with the tokenizer it
            was exported with.
        quantized: ``None`` (from the file name; FP32 for a directory), or as in ``CrossEncoder``.
        options: ``CrossEncoder``'s keywords (``max_length``, ``batch_size``, ``threads``,
            ``activation``, ``truncation`` ...).
    """

    def __init__(
        self,
        onnx_path: str | os.PathLike[str],
        tokenizer: Any = None,
        *,
        quantized: bool | None = None,
        **options: Any,
    ) -> None:
        require_runtime("ONNXCrossEncoder")
        directory, quantized = resolve_model_path(
            onnx_path, kind="cross-encoder", quantized=quantized
        )
        if tokenizer is not None:  # checked before the model is loaded: a mismatch fails fast
            _check_same_tokenizer(
                tokenizer, ModelDirectory.open(directory, kind="cross-encoder", quantized=quantized)
            )
        super().__init__(directory, quantized=quantized, **options)

    def score(
        self,
        query: str,
        docs: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool | None = None,
    ) -> list[float]:
        """One score per document, in input order, as a list of floats: :meth:`score_batch`."""
        return self.score_batch(query, docs, batch_size=batch_size, show_progress=show_progress)


class ONNXColBERTEncoder(ColBERTEncoder):
    """The original ``ONNXColBERTEncoder(path)``: a :class:`~rank_rerank.ColBERTEncoder` with
    ``encode`` / ``encode_batch``.

    Args:
        path: an exported ColBERT directory, or its ``model.onnx`` / ``model_int8.onnx``.
        quantized: ``None`` (from the file name; FP32 for a directory), or as in
            ``ColBERTEncoder``.
        options: ``ColBERTEncoder``'s keywords (``query_maxlen``, ``doc_maxlen``, ``markers``,
            ``batch_size``, ``threads``, ``truncation`` ...).
    """

    def __init__(
        self, path: str | os.PathLike[str], *, quantized: bool | None = None, **options: Any
    ) -> None:
        require_runtime(type(self).__name__)
        directory, quantized = resolve_model_path(path, kind="colbert", quantized=quantized)
        super().__init__(directory, quantized=quantized, **options)

    def encode(self, text: str, *, is_query: bool = False) -> NDArray[np.float32]:
        """One text's ``(n_tokens, dim)`` float32 unit token vectors, ready for ``maxsim``.

        A document by default: its tokens up to ``doc_maxlen`` without padding and punctuation
        (``encode_documents``). ``is_query=True`` encodes a query as colbert-ai does
        (``encode_queries``: ``query_maxlen`` rows, ``[MASK]``-padded). The original encoded both
        sides the same way; a query encoded as a document still scores, without query
        augmentation.
        """
        if not isinstance(text, str):
            raise RankTypeError(
                f"text must be a str, got {type(text).__name__} {text!r:.60} (for several texts, use encode_batch)"
            )
        return self.encode_batch([text], is_query=is_query)[0]

    def encode_batch(
        self,
        texts: Sequence[str],
        *,
        is_query: bool = False,
        batch_size: int | None = None,
        show_progress: bool | None = None,
    ) -> list[NDArray[np.float32]]:
        """:meth:`encode` for each text: a list of ``(n_tokens, dim)`` arrays, in input order."""
        if not isinstance(is_query, bool):
            raise RankTypeError(
                f"is_query must be a bool, got {type(is_query).__name__} {is_query!r:.60}"
            )
        if is_query:
            return list(
                self.encode_queries(texts, batch_size=batch_size, show_progress=show_progress)
            )
        documents = self.encode_documents(
            texts, batch_size=batch_size, show_progress=show_progress, layout="list"
        )
        return documents  # type: ignore[return-value]  # layout="list" gives a list


class MaxSimEncoder(ONNXColBERTEncoder):
    """The original's planned ``MaxSimEncoder.from_onnx(path)``: an :class:`ONNXColBERTEncoder`
    that scores documents against a query with MaxSim.

    The query is encoded as a query (``encode_queries``), the documents as documents
    (``encode_documents``), and :func:`~rank_rerank.maxsim` scores them (inner products of the
    unit vectors, as colbert-ai).
    """

    @classmethod
    def from_onnx(cls: type[_MaxSim], path: str | os.PathLike[str], **options: Any) -> _MaxSim:
        """``MaxSimEncoder(path, **options)``: a directory or its ``model.onnx`` / ``model_int8.onnx``."""
        return cls(path, **options)

    def score(
        self,
        query: str,
        documents: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool | None = None,
    ) -> NDArray[np.float32]:
        """``(n_documents,)`` float32 MaxSim scores of ``query`` with each document, in input order
        (``maxsim(encode_queries([query])[0], tokens, offsets=offsets)``); no documents give an
        empty array."""
        query_vectors, documents_flat = self._encode_pair(
            query, documents, batch_size, show_progress
        )
        return maxsim(query_vectors, documents_flat.tokens, offsets=documents_flat.offsets)  # type: ignore[no-any-return]

    def rerank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        top_k: int | None = None,
        batch_size: int | None = None,
        show_progress: bool | None = None,
    ) -> RerankResult:
        """The documents ranked by :meth:`score`, best first (ties: input order), cut to ``top_k``:
        :func:`rank_rerank.rerank`'s ``RerankResult(ids, scores, indices)`` (ids are positions)."""
        top_k = check_k(top_k, name="top_k", allow_none=True)
        query_vectors, documents_flat = self._encode_pair(
            query, documents, batch_size, show_progress
        )
        return _rerank(
            query_vectors, documents_flat.tokens, offsets=documents_flat.offsets, top_k=top_k
        )

    def _encode_pair(
        self,
        query: str,
        documents: Sequence[str],
        batch_size: int | None,
        show_progress: bool | None,
    ) -> Any:
        if not isinstance(query, str):
            raise RankTypeError(f"query must be a str, got {type(query).__name__} {query!r:.60}")
        query_vectors = self.encode_queries(
            [query], batch_size=batch_size, show_progress=show_progress
        )[0]
        documents_flat = self.encode_documents(
            documents, batch_size=batch_size, show_progress=show_progress
        )
        return query_vectors, documents_flat


def _check_same_tokenizer(tokenizer: Any, directory: ModelDirectory) -> None:
    """RankValueError unless ``tokenizer`` has the export's vocabulary and ids for the probe pairs."""
    from tokenizers import Tokenizer

    given = Tokenizer.from_str(
        _as_tokenizer(tokenizer, Tokenizer).to_str()
    )  # a copy: settings stay the caller's
    exported = Tokenizer.from_file(str(directory.tokenizer_file))
    for side in (given, exported):
        side.no_padding()
        side.no_truncation()
    problem = None
    if given.get_vocab(with_added_tokens=True) != exported.get_vocab(with_added_tokens=True):
        problem = (
            f"the vocabularies differ ({given.get_vocab_size(with_added_tokens=True)} and "
            f"{exported.get_vocab_size(with_added_tokens=True)} tokens)"
        )
    else:
        for pair in _PROBE_PAIRS:
            ours, theirs = exported.encode(*pair), given.encode(*pair)
            if (theirs.ids, theirs.type_ids) != (ours.ids, ours.type_ids):
                problem = f"the pair {pair!r} becomes ids {theirs.ids}, the model's tokenizer gives {ours.ids}"
                break
    if problem is not None:
        raise RankValueError(
            f"tokenizer mismatch: the tokenizer passed is not the one {directory.path} was exported with "
            f"({directory.tokenizer_file}): {problem}; pass tokenizer=None to use the exported one"
        )


def _as_tokenizer(tokenizer: Any, tokenizer_class: type) -> Any:
    """A ``tokenizers.Tokenizer`` from a path, a directory, a Tokenizer or a Hugging Face fast tokenizer."""
    if isinstance(tokenizer, tokenizer_class):
        return tokenizer
    backend = getattr(tokenizer, "backend_tokenizer", None)  # transformers' fast tokenizers
    if isinstance(backend, tokenizer_class):
        return backend
    if not isinstance(tokenizer, (str, os.PathLike)):
        raise RankTypeError(
            "tokenizer must be None, a tokenizer.json path, a directory holding one, a tokenizers.Tokenizer "
            f"or a Hugging Face fast tokenizer, got {type(tokenizer).__name__}"
        )
    path = Path(tokenizer)
    if path.is_dir():
        path = path / TOKENIZER_FILE
        if not path.is_file():
            raise RankValueError(f"tokenizer directory {path.parent} has no {TOKENIZER_FILE}")
    elif not path.is_file():
        raise RankValueError(
            f"tokenizer {str(tokenizer)!r} is not a local {TOKENIZER_FILE} or a directory holding one: "
            "rank-rerank never downloads tokenizers; pass tokenizer=None to use the exported model's"
        )
    try:
        return tokenizer_class.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on a malformed file
        raise RankValueError(f"{path} is not a valid tokenizer file: {exc}") from exc
