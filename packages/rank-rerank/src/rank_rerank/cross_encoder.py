"""Cross-encoder reranking on onnxruntime (the ``[onnx]`` extra), without torch.

:class:`CrossEncoder` runs a model exported by :func:`rank_rerank.export.export_cross_encoder` and
scores (query, document) pairs as sentence-transformers' ``CrossEncoder.predict`` and ``rank`` do:
the same pair tokenization (``longest_first`` truncation to ``max_length``, token type ids 0 for
the query and 1 for the document), the same default activation (sigmoid for one label, identity
otherwise) and the same ranking order (best first, ties in input order).

Pairs are tokenized once, sorted by token length and run in batches of similar length, so a batch
pads only to its own longest pair; the scores come back in input order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any, Literal, TypeVar, get_args

import numpy as np
from numpy.typing import NDArray

from rank_core import RankTypeError, RankValueError
from rank_core.progress import progress_bar
from rank_core.validation import check_choice, check_k
from rank_rerank._inputs import check_positive_int
from rank_rerank._onnx import (
    GraphOptimization,
    ModelDirectory,
    TruncationPolicy,
    length_buckets,
    load_tokenizer,
    make_session,
    pad_batch,
    report_truncation,
    require_runtime,
    resolve_model_path,
)

__all__ = ["Activation", "CrossEncoder", "TruncationPolicy"]

#: What turns logits into scores: the model's own choice ("default": sigmoid for one label,
#: identity otherwise, as sentence-transformers), or one named here.
Activation = Literal["default", "sigmoid", "identity", "softmax"]

_PROGRESS_FROM_PAIRS = 1_000

_Encoder = TypeVar("_Encoder", bound="CrossEncoder")


class CrossEncoder:
    """A cross-encoder exported to ONNX, scoring (query, document) pairs with onnxruntime.

    Args:
        path: an exported model directory (``model.onnx``, ``model_int8.onnx`` when exported with
            ``quantize="int8"``, ``tokenizer.json``, ``rank_rerank.json``).
        quantized: run ``model_int8.onnx`` (dynamic INT8) instead of ``model.onnx``.
        max_length: the most tokens of a pair, special tokens included; longer pairs are cut
            ``longest_first`` (tokens come off the longer side first). Default: the model's
            maximum (``max_length`` of ``rank_rerank.json``, 512 for BERT).
        batch_size: pairs per model call, the default of :meth:`predict` and :meth:`rank`.
        threads: onnxruntime's intra-op threads (``None``: the cores this process may use).
        activation: applied to the logits: ``"default"`` (the exported model's, sigmoid for one
            label, identity otherwise), ``"sigmoid"``, ``"identity"`` (raw logits) or
            ``"softmax"`` (over the labels; models with several labels only).
        truncation: when pairs are longer than ``max_length``: ``"warn"`` (one warning per call
            with the count and the first position), ``"error"`` (RankValueError before running
            the model) or ``"ignore"``. :attr:`last_truncated` always holds the count.
        graph_optimization: onnxruntime's graph optimisation level.
        memory_pattern: onnxruntime's memory pattern planning (faster when shapes repeat).

    One instance may serve several threads at once: the tokenizer and the onnxruntime session
    are only read by :meth:`predict`, which keeps its work in local variables. The one shared
    value it writes is :attr:`last_truncated`, which then holds the count of whichever call
    finished last.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        quantized: bool = False,
        max_length: int | None = None,
        batch_size: int = 32,
        threads: int | None = None,
        activation: Activation = "default",
        truncation: TruncationPolicy = "warn",
        graph_optimization: GraphOptimization = "all",
        memory_pattern: bool = True,
    ) -> None:
        require_runtime("CrossEncoder")
        self.batch_size = check_positive_int(batch_size, name="batch_size")
        self.truncation: TruncationPolicy = check_choice(
            truncation, name="truncation", choices=get_args(TruncationPolicy)
        )
        check_choice(activation, name="activation", choices=get_args(Activation))

        self.directory = ModelDirectory.open(path, kind="cross-encoder", quantized=bool(quantized))
        config = self.directory.config
        self.num_labels = int(config["num_labels"])
        self.activation: Activation = config["activation"] if activation == "default" else activation
        if self.activation == "softmax" and self.num_labels == 1:
            raise RankValueError(
                "activation='softmax' needs a model with several labels; this one has num_labels=1 "
                "(use 'sigmoid' or 'identity')"
            )

        self._tokenizer = load_tokenizer(self.directory)
        # a pair needs its special tokens ([CLS] q [SEP] d [SEP]) plus one token of each text;
        # below that the tokenizer silently stops truncating
        shortest = self._tokenizer.post_processor.num_special_tokens_to_add(True) + 2
        longest = int(config["max_length"])
        if max_length is None:
            max_length = longest
        self.max_length = check_positive_int(max_length, name="max_length")
        if not shortest <= self.max_length <= longest:
            raise RankValueError(
                f"max_length must be in [{shortest}, {longest}] (the model's position limit), got {max_length}"
            )
        self._tokenizer.enable_truncation(self.max_length, strategy="longest_first")
        self._pad_id = int(config["pad_token_id"])

        self._session = make_session(
            self.directory.model_file,
            threads=threads,
            graph_optimization=graph_optimization,
            memory_pattern=memory_pattern,
        )
        self._input_names = [node.name for node in self._session.get_inputs()]
        if "logits" not in {node.name for node in self._session.get_outputs()}:
            raise RankValueError(f"{self.directory.model_file} has no 'logits' output: not a cross-encoder export")

        #: How many pairs of the last :meth:`predict` / :meth:`rank` call were longer than
        #: ``max_length`` and were truncated.
        self.last_truncated = 0

    def __repr__(self) -> str:
        return (
            f"CrossEncoder({str(self.directory.path)!r}, quantized={self.directory.quantized}, "
            f"max_length={self.max_length}, num_labels={self.num_labels}, activation={self.activation!r})"
        )

    def predict(
        self,
        pairs: Sequence[tuple[str, str]],
        *,
        batch_size: int | None = None,
        show_progress: bool | None = None,
        apply_activation: bool = True,
    ) -> NDArray[np.float32]:
        """Scores of (query, document) pairs, in input order.

        Returns an ``(n,)`` float32 array for a one-label model, ``(n, num_labels)`` otherwise;
        an empty list gives an empty array of that shape. ``apply_activation=False`` returns
        the raw logits. ``show_progress=None`` shows a bar from 1,000 pairs on.
        """
        checked = _as_pairs(pairs)
        logits = self._logits(checked, batch_size, show_progress, name="pairs")
        return self._activate(logits) if apply_activation else self._squeeze(logits)

    def rank(
        self,
        query: str,
        documents: Sequence[str],
        *,
        top_k: int | None = None,
        return_documents: bool = False,
        batch_size: int | None = None,
        show_progress: bool | None = None,
    ) -> list[dict[str, Any]]:
        """``documents`` ranked by their score with ``query``, best first, ties in input order.

        Each result is ``{"corpus_id": position in documents, "score": float}`` plus ``"text"``
        when ``return_documents``; the first ``top_k`` only when given. No documents give ``[]``.
        Needs a one-label model (as sentence-transformers' ``rank``).
        """
        top_k = check_k(top_k, name="top_k", allow_none=True)
        scores = self._document_scores(query, documents, batch_size, show_progress, method="rank")
        order = np.argsort(-scores, kind="stable")[:top_k]
        results: list[dict[str, Any]] = []
        for position in order.tolist():
            result: dict[str, Any] = {"corpus_id": position, "score": float(scores[position])}
            if return_documents:
                result["text"] = documents[position]
            results.append(result)
        return results

    @classmethod
    def from_onnx(
        cls: type[_Encoder], path: str | os.PathLike[str], *, quantized: bool | None = None, **options: Any
    ) -> _Encoder:
        """The original bindings' constructor: ``CrossEncoder(directory, quantized=..., **options)``.

        ``path`` is an exported model directory or its ``model.onnx`` / ``model_int8.onnx`` (which
        selects FP32 or INT8); ``options`` are the constructor's (``max_length``, ``batch_size``,
        ``threads``, ``activation``, ``truncation`` ...). A bare ONNX file without the exporter's
        ``rank_rerank.json`` and ``tokenizer.json`` beside it raises RankValueError.
        """
        require_runtime(f"{cls.__name__}.from_onnx")
        directory, quantized = resolve_model_path(path, kind="cross-encoder", quantized=quantized)
        return cls(directory, quantized=quantized, **options)

    def score_batch(
        self,
        query: str,
        documents: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool | None = None,
    ) -> list[float]:
        """The original bindings' batch scoring: one score per document, in input order, as a list.

        The scores of :meth:`predict` on ``[(query, d) for d in documents]`` (with the model's
        activation: sigmoid for one label). Needs a one-label model, as :meth:`rank`; no
        documents give ``[]``.
        """
        return self._document_scores(query, documents, batch_size, show_progress, method="score_batch").tolist()

    def _document_scores(
        self, query: str, documents: Sequence[str], batch_size: int | None, show_progress: bool | None, *, method: str
    ) -> NDArray[np.float32]:
        """``(n,)`` scores of ``query`` with each of ``documents`` (one-label models only)."""
        if self.num_labels != 1:
            raise RankValueError(
                f"{method}() needs a model with one label, this one has num_labels={self.num_labels}; "
                "use predict() on (query, document) pairs"
            )
        _check_text(query, name="query")
        if isinstance(documents, str) or not isinstance(documents, Sequence | np.ndarray):
            raise RankTypeError(f"documents must be a list of str, got {type(documents).__name__}")
        for position, document in enumerate(documents):
            _check_text(document, name=f"documents[{position}]", allow_empty=True)
        pairs = [(query, document) for document in documents]
        return self._activate(self._logits(pairs, batch_size, show_progress, name="documents"))

    def _logits(
        self, pairs: list[tuple[str, str]], batch_size: int | None, show_progress: bool | None, *, name: str
    ) -> NDArray[np.float32]:
        """``(n, num_labels)`` raw logits in input order, run in batches of similar length."""
        batch_size = self.batch_size if batch_size is None else check_positive_int(batch_size, name="batch_size")
        encodings = self._tokenizer.encode_batch(pairs)
        # tokenizers keeps what truncation cut off in `overflowing`: non-empty exactly for the pairs
        # that were longer than max_length
        truncated = np.flatnonzero([len(encoding.overflowing) > 0 for encoding in encodings])
        self.last_truncated = int(truncated.size)
        if truncated.size:
            self._report_truncation(truncated, len(pairs), name)

        logits = np.empty((len(pairs), self.num_labels), dtype=np.float32)
        lengths = np.fromiter((len(encoding.ids) for encoding in encodings), dtype=np.int64, count=len(encodings))
        progress = progress_bar(
            show_progress, total=len(pairs), size=len(pairs), threshold=_PROGRESS_FROM_PAIRS,
            desc="Cross-encoder scoring", unit="pair",
        )
        with progress as bar:
            for rows in length_buckets(lengths, batch_size):
                batch = pad_batch([encodings[row] for row in rows], self._pad_id)
                feed = {input_name: batch[input_name] for input_name in self._input_names}
                (batch_logits,) = self._session.run(["logits"], feed)
                logits[rows] = batch_logits
                bar.update(rows.size)
        return logits

    def _report_truncation(self, truncated: NDArray[np.intp], total: int, name: str) -> None:
        report_truncation(self.truncation, truncated, total, what=name, limit=f"max_length={self.max_length}")

    def _activate(self, logits: NDArray[np.float32]) -> NDArray[np.float32]:
        if self.activation == "sigmoid":
            # exp of -|x| never overflows, unlike 1 / (1 + exp(-x)) for large negative logits
            magnitude = np.exp(-np.abs(logits))
            logits = np.where(logits >= 0, 1.0 / (1.0 + magnitude), magnitude / (1.0 + magnitude))
        elif self.activation == "softmax":
            exponent = np.exp(logits - logits.max(axis=1, keepdims=True))
            logits = exponent / exponent.sum(axis=1, keepdims=True)
        return self._squeeze(logits.astype(np.float32, copy=False))

    def _squeeze(self, logits: NDArray[np.float32]) -> NDArray[np.float32]:
        return logits[:, 0] if self.num_labels == 1 else logits


def _check_text(text: Any, *, name: str, allow_empty: bool = False) -> None:
    if not isinstance(text, str):
        raise RankTypeError(f"{name} must be a str, got {type(text).__name__} {text!r:.60}")
    if not allow_empty and not text.strip():
        raise RankValueError(f"{name} is empty: a query needs some text to score documents against")


def _as_pairs(pairs: Any) -> list[tuple[str, str]]:
    """``pairs`` as a list of (query, document) str tuples; errors name the position."""
    if isinstance(pairs, str) or not isinstance(pairs, Sequence | np.ndarray):
        raise RankTypeError(f"pairs must be a list of (query, document) pairs, got {type(pairs).__name__}")
    checked = []
    for position, pair in enumerate(pairs):
        if isinstance(pair, str) or not isinstance(pair, Sequence | np.ndarray) or len(pair) != 2:
            raise RankTypeError(
                f"pairs[{position}] must be a (query, document) pair, got {type(pair).__name__} {pair!r:.60} "
                "(for one pair, pass [(query, document)])"
            )
        query, document = pair
        _check_text(query, name=f"pairs[{position}][0] (the query)")
        _check_text(document, name=f"pairs[{position}][1] (the document)", allow_empty=True)
        checked.append((query, document))
    return checked
