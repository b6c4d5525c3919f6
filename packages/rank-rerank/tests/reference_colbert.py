"""An independent reference of colbert-ai's ColBERT inference, on transformers + torch.

It follows stanford-futuredata/ColBERT line by line in its own tools: the Hugging Face fast
tokenizer called as colbert-ai calls it (``QueryTokenizer.tensorize`` / ``DocTokenizer.tensorize``),
the torch BERT, the bias-free ``linear`` projection and ``ColBERT.query`` / ``ColBERT.doc``
(``keep_dims=False``) for the masking and normalisation. The runtime under test uses none of it
(tokenizers + onnxruntime + NumPy). Test-only: imports torch and transformers.
"""

from __future__ import annotations

import string
from pathlib import Path

import numpy as np
from numpy.typing import NDArray


class ColBERTReference:
    """colbert-ai's ``Checkpoint.queryFromText`` / ``docFromText`` for a local HF_ColBERT checkpoint."""

    def __init__(
        self,
        checkpoint: str | Path,
        *,
        query_maxlen: int = 32,
        doc_maxlen: int = 180,
        mask_punctuation: bool = True,
        attend_to_mask_tokens: bool = False,
    ) -> None:
        import torch
        from safetensors.torch import load_file
        from transformers import AutoTokenizer, BertModel

        self.torch = torch
        self.query_maxlen = query_maxlen
        self.doc_maxlen = doc_maxlen
        self.attend_to_mask_tokens = attend_to_mask_tokens
        self.tokenizer = AutoTokenizer.from_pretrained(str(checkpoint), local_files_only=True)
        self.bert, info = BertModel.from_pretrained(str(checkpoint), local_files_only=True, output_loading_info=True)
        assert not info["missing_keys"], info["missing_keys"]
        self.bert.eval()
        self.linear = load_file(str(Path(checkpoint) / "model.safetensors"))["linear.weight"].float()
        self.dim = int(self.linear.shape[0])

        vocab = self.tokenizer.get_vocab()
        self.query_marker_id = vocab["[unused0]"]  # colbert-ai's TokenizerSettings.query_token_id
        self.document_marker_id = vocab["[unused1]"]  # ... doc_token_id
        # ColBERT.__init__: both the symbol and its first token id go in the skiplist (only ids match)
        self.skiplist = (
            {self.tokenizer.encode(symbol, add_special_tokens=False)[0] for symbol in string.punctuation}
            if mask_punctuation
            else set()
        )

    def tensorize_queries(self, texts: list[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """QueryTokenizer.tensorize: ". " placeholder, max_length padding, marker, [MASK] augmentation."""
        encoded = self.tokenizer(
            [". " + text for text in texts], padding="max_length", truncation=True,
            max_length=self.query_maxlen, return_tensors="np",
        )
        ids, mask = encoded["input_ids"].astype(np.int64), encoded["attention_mask"].astype(np.int64)
        ids[:, 1] = self.query_marker_id
        ids[ids == self.tokenizer.pad_token_id] = self.tokenizer.mask_token_id
        if self.attend_to_mask_tokens:
            mask[ids == self.tokenizer.mask_token_id] = 1
        return ids, mask

    def tensorize_documents(self, texts: list[str]) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """DocTokenizer.tensorize: ". " placeholder, longest padding, longest_first truncation, marker."""
        encoded = self.tokenizer(
            [". " + text for text in texts], padding="longest", truncation="longest_first",
            max_length=self.doc_maxlen, return_tensors="np",
        )
        ids, mask = encoded["input_ids"].astype(np.int64), encoded["attention_mask"].astype(np.int64)
        ids[:, 1] = self.document_marker_id
        return ids, mask

    def projected(self, ids: NDArray[np.int64], mask: NDArray[np.int64]) -> NDArray[np.float32]:
        """``linear(bert(ids, mask)[0])``, before any normalisation: (batch, sequence, dim)."""
        torch = self.torch
        with torch.no_grad():
            hidden = self.bert(
                input_ids=torch.from_numpy(ids), attention_mask=torch.from_numpy(mask),
                token_type_ids=torch.zeros_like(torch.from_numpy(ids)),
            ).last_hidden_state
            return (hidden @ self.linear.T).numpy()

    def encode_queries(self, texts: list[str]) -> NDArray[np.float32]:
        """ColBERT.query: every position kept (pads became [MASK]), L2-normalised: (n, query_maxlen, dim)."""
        ids, mask = self.tensorize_queries(texts)
        return _normalize(self.projected(ids, mask))

    def encode_documents(self, texts: list[str], *, batch_size: int | None = None) -> list[NDArray[np.float32]]:
        """ColBERT.doc(keep_dims=False): skiplist and padding rows dropped, L2-normalised.

        With ``batch_size``, as ``docFromText(bsize=...)``: documents sorted by length
        (``_sort_by_length``), run in batches trimmed to their longest, returned in input order.
        """
        ids, mask = self.tensorize_documents(texts)
        order = np.argsort(mask.sum(axis=1), kind="stable") if batch_size else np.arange(len(texts))
        step = batch_size or max(len(texts), 1)
        documents: list[NDArray[np.float32]] = [np.empty((0, self.dim), np.float32)] * len(texts)
        for start in range(0, len(texts), step):
            rows = order[start : start + step]
            width = int(mask[rows].sum(axis=1).max())
            batch_ids, batch_mask = ids[rows, :width], mask[rows, :width]
            vectors = _normalize(self.projected(batch_ids, batch_mask))
            for row, row_ids, row_vectors in zip(rows, batch_ids, vectors, strict=True):
                keep = [token not in self.skiplist and token != self.tokenizer.pad_token_id for token in row_ids]
                documents[row] = row_vectors[np.array(keep)]
        return documents


def maxsim_scores(query: NDArray[np.float32], documents: list[NDArray[np.float32]]) -> NDArray[np.float64]:
    """colbert_score: for each document, the sum over query vectors of the best dot product."""
    return np.array([float((query.astype(np.float64) @ doc.astype(np.float64).T).max(axis=1).sum()) for doc in documents])


def _normalize(vectors: NDArray[np.float32]) -> NDArray[np.float32]:
    import torch

    return torch.nn.functional.normalize(torch.from_numpy(vectors), p=2, dim=-1).numpy()
