"""ColBERT query and document encoding on onnxruntime (the ``[onnx]`` extra), without torch.

:class:`ColBERTEncoder` runs a model exported by :func:`rank_rerank.export.export_colbert` and
reproduces colbert-ai's (stanford-futuredata/ColBERT) inference preprocessing, so its vectors
feed :func:`rank_rerank.maxsim` as colbert-ai's ``queryFromText`` / ``docFromText`` would:

- **markers**: the text is prefixed with ``". "`` and the ``"."`` token, position 1 right after
  ``[CLS]``, is overwritten with the query marker (``[unused0]``) or the document marker
  (``[unused1]``); ``markers="pylate"`` inserts the marker after ``[CLS]`` instead, as PyLate does
  (identical ids for BERT WordPiece vocabularies, where ``"."`` is always a token of its own).
- **queries** are cut to ``query_maxlen`` tokens (32; special tokens and marker included) and
  padded up to it with ``[MASK]`` (query augmentation); the ``[MASK]`` padding gets attention
  mask 0 unless the model was trained with ``attend_to_mask_tokens``, and every one of the
  ``query_maxlen`` output vectors is kept.
- **documents** are cut to ``doc_maxlen`` tokens (180; special tokens and marker included), never
  padded beyond their batch; padding and, with ``mask_punctuation``, the tokens of
  ``string.punctuation`` are dropped from the output. ``[CLS]``, the marker and ``[SEP]`` always
  stay, so every document has at least three vectors, as in colbert-ai.
- every output vector is the last hidden state projected by the checkpoint's linear layer (in the
  ONNX graph), then L2-normalised here (``x / max(||x||, 1e-12)``, torch's ``F.normalize``).

Texts are tokenized once, sorted by token length and run in batches of similar length (a batch
pads only to its own longest text); results come back in input order.
"""

from __future__ import annotations

import itertools
import os
import string
from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, get_args

import numpy as np
from numpy.typing import NDArray

from rank_core import RankTypeError, RankValueError
from rank_core.progress import progress_bar
from rank_core.validation import check_choice
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
)

__all__ = ["ColBERTEncoder", "DocumentEmbeddings", "MarkerConvention", "QueryTokens", "TruncationPolicy"]

#: How the query / document marker enters the token sequence: colbert-ai's (overwrite the ``"."``
#: of a ``". "`` prefix) or PyLate's (insert the marker token after ``[CLS]``).
MarkerConvention = Literal["colbert", "pylate"]
#: How `encode_documents` returns the vectors: flat tokens + offsets, or one array per document.
DocumentLayout = Literal["flat", "list"]

# PyLate's own marker tokens, added to the vocabulary of the models it trains from a bare encoder
_PYLATE_MARKERS = ("[Q] ", "[D] ")
# [CLS] + marker + [SEP], and at least one token of text
_SHORTEST_MAXLEN = 4
_NORM_EPSILON = 1e-12
_PROGRESS_FROM_TEXTS = 1_000


class DocumentEmbeddings(NamedTuple):
    """Encoded documents, flat: document ``d`` is ``tokens[offsets[d]:offsets[d + 1]]``.

    ``rank_rerank.maxsim(query, tokens, offsets=offsets)`` scores them directly.
    """

    #: ``(total_tokens, dim)`` float32, unit-norm rows.
    tokens: NDArray[np.float32]
    #: ``(n_docs + 1,)`` int64, starting at 0.
    offsets: NDArray[np.int64]

    def split(self) -> list[NDArray[np.float32]]:
        """One ``(n_tokens, dim)`` view per document."""
        return [self.tokens[start:stop] for start, stop in itertools.pairwise(self.offsets.tolist())]


class QueryTokens(NamedTuple):
    """What the model sees of each query: ``(n, query_maxlen)`` int64 arrays."""

    #: ``[CLS]``, the query marker, the text's tokens, ``[SEP]``, then ``[MASK]`` up to ``query_maxlen``.
    input_ids: NDArray[np.int64]
    #: 1 for the framed text; 0 for the ``[MASK]`` padding unless ``attend_to_mask_tokens``.
    attention_mask: NDArray[np.int64]


class _Tokens(NamedTuple):
    """One framed sequence, in the shape :func:`~rank_rerank._onnx.pad_batch` reads."""

    ids: list[int]
    attention_mask: list[int]
    type_ids: list[int]


class ColBERTEncoder:
    """A ColBERT checkpoint exported to ONNX, encoding queries and documents into token vectors.

    Args:
        path: an exported model directory (``model.onnx``, ``model_int8.onnx`` when exported with
            ``quantize="int8"``, ``tokenizer.json``, ``rank_rerank.json``).
        quantized: run ``model_int8.onnx`` (dynamic INT8) instead of ``model.onnx``.
        query_maxlen: tokens per query, special tokens and marker included (default: the
            checkpoint's, 32). Every query is padded with ``[MASK]`` to exactly this length.
        doc_maxlen: the most tokens of a document, special tokens and marker included (default:
            the checkpoint's, 180).
        markers: ``"colbert"`` (colbert-ai's convention) or ``"pylate"`` (PyLate's). See the
            module documentation.
        batch_size: texts per model call, the default of the ``encode_*`` methods.
        threads: onnxruntime's intra-op threads (``None``: the cores this process may use).
        truncation: when a text is longer than its maximum length: ``"warn"`` (one warning per
            call with the count and the first position), ``"error"`` (RankValueError before
            running the model) or ``"ignore"``. :attr:`last_truncated` always holds the count.
        graph_optimization: onnxruntime's graph optimisation level.

    One instance may serve several threads at once: the tokenizers and the onnxruntime session
    are only read by the ``encode_*`` methods, which keep their work in local variables. The one
    shared value they write is :attr:`last_truncated`, the count of whichever call finished last.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        quantized: bool = False,
        query_maxlen: int | None = None,
        doc_maxlen: int | None = None,
        markers: MarkerConvention = "colbert",
        batch_size: int = 32,
        threads: int | None = None,
        truncation: TruncationPolicy = "warn",
        graph_optimization: GraphOptimization = "all",
    ) -> None:
        require_runtime("ColBERTEncoder")
        self.markers: MarkerConvention = check_choice(markers, name="markers", choices=get_args(MarkerConvention))
        self.truncation: TruncationPolicy = check_choice(
            truncation, name="truncation", choices=get_args(TruncationPolicy)
        )
        self.batch_size = check_positive_int(batch_size, name="batch_size")

        self.directory = ModelDirectory.open(path, kind="colbert", quantized=bool(quantized))
        config = self.directory.config
        self.dim = int(config["dim"])
        self.query_maxlen = self._check_maxlen(query_maxlen, config["query_maxlen"], name="query_maxlen")
        self.doc_maxlen = self._check_maxlen(doc_maxlen, config["doc_maxlen"], name="doc_maxlen")
        self.attend_to_mask_tokens = bool(config["attend_to_mask_tokens"])
        self._pad_id = int(config["pad_token_id"])
        self._mask_id = int(config["mask_token_id"])

        # one tokenizer per side, because tokenizers holds the truncation length in the tokenizer;
        # PyLate's inserted marker takes one of the max_length places after truncation
        reserve = 1 if self.markers == "pylate" else 0
        self._query_tokenizer = load_tokenizer(self.directory)
        self._query_tokenizer.enable_truncation(self.query_maxlen - reserve)
        self._document_tokenizer = load_tokenizer(self.directory)
        self._document_tokenizer.enable_truncation(self.doc_maxlen - reserve)

        query_marker, document_marker = config["query_marker"], config["document_marker"]
        if self.markers == "pylate" and all(
            self._document_tokenizer.token_to_id(marker) is not None for marker in _PYLATE_MARKERS
        ):
            query_marker, document_marker = _PYLATE_MARKERS
        self.query_marker_id = self._token_id(query_marker, role="query marker")
        self.document_marker_id = self._token_id(document_marker, role="document marker")

        # colbert-ai's skiplist: the first token id of each punctuation symbol
        skiplist: set[int] = set()
        if config["mask_punctuation"]:
            for symbol in string.punctuation:
                ids = self._document_tokenizer.encode(symbol, add_special_tokens=False).ids
                skiplist.update(ids[:1])
        self.skiplist_ids: NDArray[np.int64] = np.array(sorted(skiplist), dtype=np.int64)

        self._session = make_session(
            self.directory.model_file, threads=threads, graph_optimization=graph_optimization
        )
        self._input_names = [node.name for node in self._session.get_inputs()]
        if "token_embeddings" not in {node.name for node in self._session.get_outputs()}:
            raise RankValueError(
                f"{self.directory.model_file} has no 'token_embeddings' output: not a ColBERT export"
            )

        #: How many texts of the last ``encode_*`` / ``tokenize_*`` call were longer than their
        #: maximum length and were truncated.
        self.last_truncated = 0

    def __repr__(self) -> str:
        return (
            f"ColBERTEncoder({str(self.directory.path)!r}, quantized={self.directory.quantized}, "
            f"dim={self.dim}, query_maxlen={self.query_maxlen}, doc_maxlen={self.doc_maxlen}, "
            f"markers={self.markers!r})"
        )

    def encode_queries(
        self, texts: Sequence[str], *, batch_size: int | None = None, show_progress: bool | None = None
    ) -> NDArray[np.float32]:
        """``(n, query_maxlen, dim)`` float32 unit vectors, one row of ``query_maxlen`` per query.

        Every query is padded with ``[MASK]`` to ``query_maxlen`` and all positions are kept
        (colbert-ai's query augmentation). An empty (or blank) query raises RankValueError; an
        empty list gives an ``(0, query_maxlen, dim)`` array. ``show_progress=None`` shows a bar
        from 1,000 queries on.
        """
        checked = _as_texts(texts, name="queries", allow_empty=False)
        sequences = self._frame(checked, side="queries")
        output = np.empty((len(sequences), self.query_maxlen, self.dim), dtype=np.float32)
        for rows, embeddings, _ in self._run(sequences, batch_size, show_progress, desc="Encoding queries"):
            output[rows] = _l2_normalize(embeddings)
        return output

    def encode_documents(
        self,
        texts: Sequence[str],
        *,
        batch_size: int | None = None,
        show_progress: bool | None = None,
        layout: DocumentLayout = "flat",
    ) -> DocumentEmbeddings | list[NDArray[np.float32]]:
        """Token vectors of each document, without padding and (``mask_punctuation``) punctuation.

        ``layout="flat"`` returns :class:`DocumentEmbeddings` ``(tokens, offsets)``, ready for
        ``rank_rerank.maxsim(query, tokens, offsets=offsets)``; ``layout="list"`` one
        ``(n_tokens, dim)`` array per document. Rows are float32 unit vectors. An empty text is
        encoded as colbert-ai does (``[CLS]``, marker, ``[SEP]``); an empty list gives no
        documents. ``show_progress=None`` shows a bar from 1,000 documents on.
        """
        layout = check_choice(layout, name="layout", choices=get_args(DocumentLayout))
        checked = _as_texts(texts, name="documents", allow_empty=True)
        sequences = self._frame(checked, side="documents")
        pieces: list[NDArray[np.float32]] = [np.empty((0, self.dim), np.float32)] * len(sequences)
        for rows, embeddings, batch in self._run(sequences, batch_size, show_progress, desc="Encoding documents"):
            keep = batch["attention_mask"].astype(bool)
            if self.skiplist_ids.size:
                keep &= ~np.isin(batch["input_ids"], self.skiplist_ids)
            kept = _l2_normalize(embeddings[keep])
            ends = np.cumsum(keep.sum(axis=1))
            for row, piece in zip(rows.tolist(), np.split(kept, ends[:-1]), strict=True):
                pieces[row] = piece
        if layout == "list":
            return pieces
        lengths = np.fromiter((piece.shape[0] for piece in pieces), dtype=np.int64, count=len(pieces))
        offsets = np.zeros(len(pieces) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        tokens = np.concatenate(pieces) if pieces else np.empty((0, self.dim), np.float32)
        return DocumentEmbeddings(tokens, offsets)

    def tokenize_queries(self, texts: Sequence[str]) -> QueryTokens:
        """The token ids and attention mask :meth:`encode_queries` feeds the model."""
        sequences = self._frame(_as_texts(texts, name="queries", allow_empty=False), side="queries")
        shape = (len(sequences), self.query_maxlen)
        return QueryTokens(
            np.array([sequence.ids for sequence in sequences], dtype=np.int64).reshape(shape),
            np.array([sequence.attention_mask for sequence in sequences], dtype=np.int64).reshape(shape),
        )

    def tokenize_documents(self, texts: Sequence[str]) -> list[NDArray[np.int64]]:
        """The token ids :meth:`encode_documents` feeds the model, one int64 array per document.

        The document's vectors are those of ``ids[~np.isin(ids, encoder.skiplist_ids)]``, in
        order, which maps the positions :func:`rank_rerank.highlight` returns back to tokens.
        """
        sequences = self._frame(_as_texts(texts, name="documents", allow_empty=True), side="documents")
        return [np.array(sequence.ids, dtype=np.int64) for sequence in sequences]

    def _frame(self, texts: list[str], *, side: Literal["queries", "documents"]) -> list[_Tokens]:
        """Token ids with the marker at position 1, truncated (and, for queries, [MASK]-padded)."""
        is_query = side == "queries"
        tokenizer = self._query_tokenizer if is_query else self._document_tokenizer
        marker = self.query_marker_id if is_query else self.document_marker_id
        maxlen = self.query_maxlen if is_query else self.doc_maxlen

        if self.markers == "colbert":
            encodings = tokenizer.encode_batch([". " + text for text in texts])
        else:
            encodings = tokenizer.encode_batch(texts)
        # tokenizers keeps what truncation cut off in `overflowing`: non-empty exactly for the
        # texts that were longer than the maximum length
        truncated = np.flatnonzero([len(encoding.overflowing) > 0 for encoding in encodings])
        self.last_truncated = int(truncated.size)
        if truncated.size:
            self._report_truncation(truncated, len(texts), side, maxlen)

        padding_attention = 1 if self.attend_to_mask_tokens else 0
        sequences = []
        for encoding in encodings:
            ids = encoding.ids
            if self.markers == "colbert":
                ids[1] = marker
            else:
                ids.insert(1, marker)
            length = len(ids)
            attention = [1] * length
            if is_query:
                ids += [self._mask_id] * (maxlen - length)
                attention += [padding_attention] * (maxlen - length)
            sequences.append(_Tokens(ids, attention, [0] * len(ids)))
        return sequences

    def _run(
        self, sequences: list[_Tokens], batch_size: int | None, show_progress: bool | None, *, desc: str
    ) -> Any:
        """Yield ``(input rows, (b, width, dim) projected vectors, padded batch)`` by length bucket."""
        batch_size = self.batch_size if batch_size is None else check_positive_int(batch_size, name="batch_size")
        lengths = np.fromiter((len(sequence.ids) for sequence in sequences), dtype=np.int64, count=len(sequences))
        progress = progress_bar(
            show_progress, total=len(sequences), size=len(sequences), threshold=_PROGRESS_FROM_TEXTS,
            desc=desc, unit="text",
        )
        with progress as bar:
            for rows in length_buckets(lengths, batch_size):
                batch = pad_batch([sequences[row] for row in rows], self._pad_id)
                (embeddings,) = self._session.run(
                    ["token_embeddings"], {name: batch[name] for name in self._input_names}
                )
                yield rows, embeddings, batch
                bar.update(rows.size)

    def _report_truncation(self, truncated: NDArray[np.intp], total: int, side: str, maxlen: int) -> None:
        limit = "query_maxlen" if side == "queries" else "doc_maxlen"
        report_truncation(self.truncation, truncated, total, what=side, limit=f"{limit}={maxlen}")

    def _check_maxlen(self, value: int | None, default: int, *, name: str) -> int:
        maxlen = check_positive_int(default if value is None else value, name=name)
        longest = int(self.directory.config["max_length"])
        if not _SHORTEST_MAXLEN <= maxlen <= longest:
            raise RankValueError(
                f"{name} must be in [{_SHORTEST_MAXLEN}, {longest}] (the model's position limit), got {maxlen}"
            )
        return maxlen

    def _token_id(self, token: str, *, role: str) -> int:
        token_id = self._document_tokenizer.token_to_id(token)
        if token_id is None:
            raise RankValueError(
                f"tokenizer mismatch: the {role} {token!r} of {self.directory.path / 'rank_rerank.json'} "
                f"is not in the vocabulary of {self.directory.tokenizer_file}"
            )
        return int(token_id)


def _l2_normalize(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    """Rows (last axis) divided by their L2 norm, clamped below at 1e-12 as torch's ``F.normalize``."""
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, np.float32(_NORM_EPSILON))


def _as_texts(texts: Any, *, name: str, allow_empty: bool) -> list[str]:
    """``texts`` as a list of str; errors name the position."""
    if isinstance(texts, str) or not isinstance(texts, Sequence | np.ndarray):
        raise RankTypeError(
            f"{name} must be a list of str, got {type(texts).__name__} (for one text, pass [text])"
        )
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise RankTypeError(f"{name}[{position}] must be a str, got {type(text).__name__} {text!r:.60}")
        if not allow_empty and not text.strip():
            raise RankValueError(f"{name}[{position}] is empty: a query needs some text to score documents against")
    return list(texts)
