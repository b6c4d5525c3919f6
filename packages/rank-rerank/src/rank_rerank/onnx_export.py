"""The original bindings' ``rank_rerank.onnx_export`` module, as thin wrappers over :mod:`rank_rerank.export`.

Code written against the earlier project's Python package keeps running:
``from rank_rerank.onnx_export import export_colbert_encoder, ONNXColBERTEncoder``.

- :func:`export_cross_encoder` ``(model, out_path)`` is :func:`rank_rerank.export.export_cross_encoder`;
- :func:`export_colbert_encoder` ``(model, out_path, quantize=True)`` and
  :func:`export_maxsim_to_onnx` ``(model_path=..., output_path=...)`` are
  :func:`rank_rerank.export.export_colbert`;
- :class:`ONNXCrossEncoder`, :class:`ONNXColBERTEncoder` and :class:`MaxSimEncoder` load what they
  write (:mod:`rank_rerank.compat_onnx`).

What changed, and why:

- **Nothing is downloaded.** ``model`` is a local checkpoint directory (or a weight file or
  ``config.json`` inside one); a Hugging Face name such as ``"colbert-ir/colbertv2.0"`` that is
  not a local directory raises RankValueError saying so. Download the checkpoint yourself and pass
  its directory.
- **The output is a model directory**, not one ``.onnx`` file: ``model.onnx``, ``model_int8.onnx``
  (``quantize=True``), ``tokenizer.json`` and ``rank_rerank.json``, the settings the runtime needs
  (special tokens, ColBERT's markers and lengths). ``out_path`` names that directory whatever its
  suffix, so ``export_colbert_encoder(model, "colbert.onnx")`` followed by
  ``ONNXColBERTEncoder("colbert.onnx")`` works as before. The directory is written atomically and
  replaced only with ``overwrite=True``.
- ``quantize`` is ``True`` (dynamic INT8 with per-channel scales, written beside the FP32 model) or
  ``False`` (FP32 only); ``"int8"`` and ``None`` (this package's spelling) are accepted too.
- ``max_length`` (accepted for compatibility) does not shape the export: the graph's batch and
  sequence axes are dynamic, up to the model's position limit. The truncation length is chosen when
  loading (``ONNXCrossEncoder(..., max_length=...)``, ``ONNXColBERTEncoder(..., doc_maxlen=...)``).
- Every export is checked against torch (``verify=True``): an FP32 graph that disagrees beyond
  ``atol`` raises instead of being written.

The remaining keywords (``opset``, ``verify``, ``atol``, ``overwrite``, ``show_progress``, and
``dim`` for ColBERT) are :mod:`rank_rerank.export`'s. The ``[export]`` extra (torch, transformers,
onnx, onnxscript, onnxruntime) is imported when an export runs; without it the functions raise
``OptionalDependencyError`` naming the install command.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from rank_core import RankTypeError, RankValueError
from rank_rerank import export as _export
from rank_rerank._inputs import check_positive_int
from rank_rerank.compat_onnx import MaxSimEncoder, ONNXColBERTEncoder, ONNXCrossEncoder

__all__ = [
    "MaxSimEncoder",
    "ONNXColBERTEncoder",
    "ONNXCrossEncoder",
    "export_colbert_encoder",
    "export_cross_encoder",
    "export_maxsim_to_onnx",
]


def export_cross_encoder(
    model: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    quantize: bool | str | None = True,
    max_length: int | None = None,
    **options: Any,
) -> Path:
    """Export a local cross-encoder checkpoint to the model directory ``out_path``.

    :func:`rank_rerank.export.export_cross_encoder` (``quantize=True`` is ``"int8"``); ``options``
    are its keywords. Returns ``out_path`` as a Path; ``ONNXCrossEncoder(out_path)`` or
    ``CrossEncoder.from_onnx(out_path)`` load it.
    """
    checkpoint = _local_checkpoint(model, name="model")
    _check_max_length(max_length)
    return _export.export_cross_encoder(
        checkpoint, out_path, quantize=_quantize(quantize), **options
    )


def export_colbert_encoder(
    model: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    *,
    quantize: bool | str | None = True,
    max_length: int | None = None,
    **options: Any,
) -> Path:
    """Export a local colbert-ai checkpoint to the model directory ``out_path``.

    :func:`rank_rerank.export.export_colbert` (``quantize=True`` is ``"int8"``); ``options`` are
    its keywords (``dim``, ``opset``, ``verify`` ...). The graph outputs every token's projected
    vector; ``ONNXColBERTEncoder(out_path)`` loads it and normalises them.
    """
    checkpoint = _local_checkpoint(model, name="model")
    _check_max_length(max_length)
    return _export.export_colbert(checkpoint, out_path, quantize=_quantize(quantize), **options)


def export_maxsim_to_onnx(
    model_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    quantize: bool | str | None = True,
    **options: Any,
) -> Path:
    """The original's planned MaxSim export: :func:`export_colbert_encoder` under its names.

    ``model_path`` is a colbert-ai checkpoint directory or its weight file
    (``model.safetensors`` ...); ``output_path`` the model directory to write, which
    ``MaxSimEncoder.from_onnx(output_path)`` loads. MaxSim itself needs no graph: it runs on the
    encoder's vectors with :func:`rank_rerank.maxsim`.
    """
    checkpoint = _local_checkpoint(model_path, name="model_path")
    return _export.export_colbert(checkpoint, output_path, quantize=_quantize(quantize), **options)


def _local_checkpoint(model: Any, *, name: str) -> Path:
    """The checkpoint directory ``model`` names, or an error saying why it cannot be exported."""
    if not isinstance(model, (str, os.PathLike)):
        raise RankTypeError(
            f"{name} must be the path of a local checkpoint directory, got {type(model).__name__}; "
            "save a loaded model with model.save_pretrained(directory) (and its tokenizer) and pass that directory"
        )
    path = Path(model)
    if path.is_dir():
        return path
    if path.is_file():
        if path.name in _export._WEIGHT_FILES or path.name == "config.json":
            return path.parent
        raise RankValueError(
            f"{name}={str(model)!r} is a file rank-rerank cannot export on its own: pass the checkpoint "
            f"directory (config.json, the tokenizer files and one of {', '.join(_export._WEIGHT_FILES)})"
        )
    raise RankValueError(
        f"{name}={str(model)!r} is not a local checkpoint directory: rank-rerank never downloads models. "
        "Download the checkpoint first (e.g. huggingface_hub.snapshot_download(repo_id, local_dir=...)) "
        "and pass its local directory"
    )


def _quantize(quantize: Any) -> _export.Quantize:
    if quantize is True or (isinstance(quantize, str) and quantize == "int8"):
        return "int8"
    if quantize is False or quantize is None:
        return None
    raise RankValueError(f"quantize must be True, False, 'int8' or None, got {quantize!r}")


def _check_max_length(max_length: Any) -> None:
    if max_length is not None:
        check_positive_int(max_length, name="max_length")
