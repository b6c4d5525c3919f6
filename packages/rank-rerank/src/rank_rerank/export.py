"""Export Hugging Face checkpoints to rank-rerank's ONNX model directories (the ``[export]`` extra).

``export_cross_encoder`` turns a sequence-classification checkpoint (a sentence-transformers
cross-encoder) and ``export_colbert`` a colbert-ai checkpoint into a directory that
``rank_rerank``'s ONNX runtimes read without torch: ``model.onnx`` (FP32), ``model_int8.onnx``
(dynamic INT8 quantisation), ``tokenizer.json`` and ``rank_rerank.json``.

The graph comes from ``torch.onnx.export(..., dynamo=True)``: with transformers 5 the TorchScript
exporter traces Python-level branches of the attention-mask code into constants, and its graph
then disagrees with torch (by ~1e-2) at batch/sequence shapes other than the traced one; the
torch.export-based exporter keeps batch and sequence symbolic and matches torch to ~1e-7. With
``fuse`` (the default) onnxscript's rewriter then turns its attention, GELU and residual +
LayerNorm blocks into onnxruntime's fused kernels (``_fuse_for_onnxruntime``). INT8 weights come
from ``onnxruntime.quantization.quantize_dynamic``. Importing this module imports
no torch: everything heavy is imported when an export runs.
"""

from __future__ import annotations

import contextlib
import inspect
import io
import json
import logging
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np

from rank_core import RankValueError
from rank_core.optional import require
from rank_core.progress import progress_bar
from rank_rerank._onnx import (
    CONFIG_FILE,
    FORMAT,
    INPUT_NAMES,
    MODEL_FILE,
    QUANTIZED_MODEL_FILE,
    TOKENIZER_FILE,
)

__all__ = ["export_colbert", "export_cross_encoder"]

logger = logging.getLogger(__name__)

Quantize = Literal["int8"] | None

_WEIGHT_FILES = (
    "model.safetensors",
    "model.safetensors.index.json",
    "pytorch_model.bin",
    "pytorch_model.bin.index.json",
)
_COLBERT_DEFAULTS = {
    "query_maxlen": 32,
    "doc_maxlen": 180,
    "query_marker": "[unused0]",
    "document_marker": "[unused1]",
    "mask_punctuation": True,
    "attend_to_mask_tokens": False,
}
# colbert-ai's setting names in artifact.metadata -> rank_rerank.json keys
_COLBERT_METADATA_KEYS = {
    "query_maxlen": "query_maxlen",
    "doc_maxlen": "doc_maxlen",
    "query_token_id": "query_marker",
    "doc_token_id": "document_marker",
    "mask_punctuation": "mask_punctuation",
    "attend_to_mask_tokens": "attend_to_mask_tokens",
}
# Verification inputs: short to long texts, so that both the batch and the sequence axis vary.
_SAMPLE_QUERIES = (
    "what causes tides",
    "Is vitamin D deficiency associated with a higher risk of respiratory infections in adults?",
    "ColBERT late interaction",
)
_SAMPLE_DOCUMENTS = (
    "Tides are caused by the gravitational pull of the moon and the sun on the oceans.",
    "A short note.",
    " ".join(["Randomised controlled trials of vitamin D supplementation were pooled"] * 30),
)


def export_cross_encoder(
    model_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    quantize: Quantize = "int8",
    opset: int = 17,
    fuse: bool = True,
    verify: bool = True,
    atol: float = 1e-4,
    overwrite: bool = False,
    show_progress: bool | None = None,
) -> Path:
    """Export a local sequence-classification checkpoint (a cross-encoder) to ``out_dir``.

    The graph maps ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64,
    [batch, sequence]) to raw ``logits`` (float32, [batch, num_labels]). With ``fuse`` each
    attention block, each GELU and each residual + LayerNorm becomes one of onnxruntime's fused
    kernels (``MultiHeadAttention``, ``BiasGelu``, ``SkipLayerNormalization``): onnxruntime runs
    the model faster, and the graph then needs onnxruntime's contrib operators. With ``verify`` the FP32
    graph must agree with the torch model within ``atol`` on sample pairs of several lengths and
    batch sizes, else RankValueError; the INT8 model's agreement is logged (logger
    ``rank_rerank.export``, level INFO), not enforced. The directory is written atomically; an
    existing non-empty ``out_dir`` is replaced only with ``overwrite=True``. Returns ``out_dir``.
    """
    checkpoint, destination = _check_arguments(
        model_dir, out_dir, quantize, opset, fuse, atol, overwrite
    )
    modules = _require_export_modules("export_cross_encoder")
    torch, transformers = modules["torch"], modules["transformers"]
    with _progress(show_progress, quantize) as step:
        model = _load_model(checkpoint, transformers.AutoModelForSequenceClassification)
        tokenizer = _load_tokenizer(checkpoint, transformers)

        class CrossEncoderGraph(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.model = model

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                return self.model(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).logits

        num_labels = int(model.config.num_labels)
        config = _common_config("cross-encoder", checkpoint, model.config, tokenizer, modules)
        config["num_labels"] = num_labels
        config["activation"] = "sigmoid" if num_labels == 1 else "identity"
        pairs = [(query, document) for query in _SAMPLE_QUERIES for document in _SAMPLE_DOCUMENTS]
        samples = [
            tokenizer(
                [query for query, _ in batch],
                [document for _, document in batch],
                padding=True,
                truncation="longest_first",
                max_length=config["max_length"],
                return_tensors="pt",
            )
            for batch in (pairs[:1], pairs[1:4], pairs)
        ]
        step("loaded")
        job = _ExportJob(CrossEncoderGraph().eval(), "logits", False, samples, tokenizer, config)
        _write_directory(
            job, destination, quantize, opset, fuse, verify, atol, overwrite, modules, step
        )
    return destination


def export_colbert(
    model_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    dim: int | None = None,
    quantize: Quantize = "int8",
    opset: int = 17,
    fuse: bool = True,
    verify: bool = True,
    atol: float = 1e-4,
    overwrite: bool = False,
    show_progress: bool | None = None,
) -> Path:
    """Export a local colbert-ai checkpoint (BERT weights + ``linear.weight``) to ``out_dir``.

    The graph maps ``input_ids``, ``attention_mask``, ``token_type_ids`` (int64,
    [batch, sequence]) to ``token_embeddings`` (float32, [batch, sequence, dim]): the backbone's
    last hidden state through the checkpoint's bias-free projection, not normalised.
    ``query_maxlen``, ``doc_maxlen``, the query/document markers, ``mask_punctuation`` and
    ``attend_to_mask_tokens`` come from the checkpoint's ``artifact.metadata`` when present
    (colbert-ai's defaults otherwise). ``dim``, when given, must equal the projection's output
    size. Fusion, verification, atomic writing and ``overwrite`` work as in
    :func:`export_cross_encoder`.
    Returns ``out_dir``.
    """
    checkpoint, destination = _check_arguments(
        model_dir, out_dir, quantize, opset, fuse, atol, overwrite
    )
    if dim is not None and (_not_an_integer(dim) or dim < 1):
        raise RankValueError(f"dim must be a positive integer or None, got {dim!r}")
    modules = _require_export_modules("export_colbert")
    torch, transformers = modules["torch"], modules["transformers"]
    with _progress(show_progress, quantize) as step:
        projection = _read_checkpoint_tensor(checkpoint, "linear.weight", torch)
        if projection is None:
            raise RankValueError(
                f"{checkpoint} has no 'linear.weight' (the ColBERT projection): it is not a "
                f"colbert-ai checkpoint; a cross-encoder is exported with export_cross_encoder"
            )
        projection_dim = int(projection.shape[0])
        if dim is not None and dim != projection_dim:
            raise RankValueError(
                f"dim={dim} does not match the checkpoint's projection dim {projection_dim}"
            )
        metadata = _read_colbert_metadata(checkpoint)
        if metadata.get("dim", projection_dim) != projection_dim:
            raise RankValueError(
                f"{checkpoint}: artifact.metadata says dim={metadata['dim']} but linear.weight "
                f"projects to {projection_dim}"
            )
        backbone = _load_model(checkpoint, transformers.AutoModel)
        hidden_size = int(backbone.config.hidden_size)
        if tuple(projection.shape) != (projection_dim, hidden_size):
            raise RankValueError(
                f"{checkpoint}: linear.weight has shape {tuple(projection.shape)}, expected "
                f"(dim, {hidden_size}) for the backbone's hidden size"
            )
        tokenizer = _load_tokenizer(checkpoint, transformers)

        class ColbertGraph(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.backbone = backbone
                self.linear = torch.nn.Linear(hidden_size, projection_dim, bias=False)
                with torch.no_grad():
                    self.linear.weight.copy_(projection.float())

            def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
                hidden = self.backbone(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state
                return self.linear(hidden)

        config = _common_config("colbert", checkpoint, backbone.config, tokenizer, modules)
        config["dim"] = projection_dim
        config.update(_COLBERT_DEFAULTS)
        for theirs, ours in _COLBERT_METADATA_KEYS.items():
            if theirs in metadata:
                config[ours] = metadata[theirs]
        for key in ("query_marker", "document_marker"):
            if tokenizer.convert_tokens_to_ids(config[key]) in (None, tokenizer.unk_token_id):
                raise RankValueError(
                    f"{checkpoint}: the tokenizer has no {key} token {config[key]!r}"
                )
        texts = list(_SAMPLE_QUERIES + _SAMPLE_DOCUMENTS)
        samples = [
            tokenizer(
                batch,
                padding=True,
                truncation=True,
                max_length=config["max_length"],
                return_tensors="pt",
            )
            for batch in (texts[:1], texts[1:5], texts)
        ]
        step("loaded")
        job = _ExportJob(
            ColbertGraph().eval(), "token_embeddings", True, samples, tokenizer, config
        )
        _write_directory(
            job, destination, quantize, opset, fuse, verify, atol, overwrite, modules, step
        )
    return destination


@dataclass(frozen=True)
class _ExportJob:
    module: Any  # a torch.nn.Module taking the three INPUT_NAMES tensors
    output_name: str
    per_token: bool  # one output per token: padding positions are left out of the comparison
    samples: list[Any]  # tokenizer outputs of growing batch size; the last is the export example
    tokenizer: Any  # the checkpoint's transformers fast tokenizer
    config: dict[str, Any]  # rank_rerank.json


def _not_an_integer(value: Any) -> bool:
    return isinstance(value, bool) or not isinstance(value, (int, np.integer))


def _check_arguments(
    model_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    quantize: Quantize,
    opset: int,
    fuse: bool,
    atol: float,
    overwrite: bool,
) -> tuple[Path, Path]:
    if quantize not in ("int8", None):
        raise RankValueError(f"quantize must be 'int8' or None, got {quantize!r}")
    if _not_an_integer(opset) or opset < 14:
        raise RankValueError(f"opset must be an integer >= 14, got {opset!r}")
    if not isinstance(fuse, bool):
        raise RankValueError(f"fuse must be True or False, got {fuse!r}")
    if isinstance(atol, bool) or not isinstance(atol, (int, float)) or not 0 < atol < math.inf:
        raise RankValueError(f"atol must be a positive finite number, got {atol!r}")
    checkpoint = Path(model_dir)
    if not checkpoint.is_dir():
        raise RankValueError(f"model_dir {checkpoint} does not exist or is not a directory")
    if not (checkpoint / "config.json").is_file():
        raise RankValueError(
            f"model_dir {checkpoint} has no config.json: it is not a Hugging Face checkpoint"
        )
    if not any((checkpoint / name).is_file() for name in _WEIGHT_FILES):
        raise RankValueError(
            f"model_dir {checkpoint} has no weights (none of {', '.join(_WEIGHT_FILES)})"
        )
    destination = Path(out_dir)
    if destination.exists():
        if not destination.is_dir():
            raise RankValueError(f"out_dir {destination} exists and is not a directory")
        if any(destination.iterdir()) and not overwrite:
            raise RankValueError(
                f"out_dir {destination} exists and is not empty; pass overwrite=True to replace it"
            )
    return checkpoint, destination


def _require_export_modules(feature: str) -> dict[str, ModuleType]:
    names = ("torch", "transformers", "onnx", "onnxscript", "onnxruntime")
    return {
        name: require(name, feature=feature, distribution="rank-rerank", extra="export")
        for name in names
    }


@contextlib.contextmanager
def _progress(show: bool | None, quantize: Quantize) -> Iterator[Callable[[str], None]]:
    total = 5 if quantize else 4  # load, export, verify, (quantize,) write
    with progress_bar(show, total=total, size=1, threshold=1, desc="export", unit="step") as bar:

        def step(done: str) -> None:
            bar.set_postfix_str(done)
            bar.update()

        yield step


def _load_model(checkpoint: Path, auto_class: Any) -> Any:
    """``auto_class.from_pretrained`` offline: an eval-mode float32 model with all its weights."""
    try:
        model, info = auto_class.from_pretrained(
            checkpoint, local_files_only=True, output_loading_info=True
        )
    except (ValueError, KeyError, OSError) as exc:
        raise RankValueError(
            f"{checkpoint}: unsupported architecture or unreadable checkpoint "
            f"for {auto_class.__name__}: {exc}"
        ) from exc
    # A missing pooler is harmless (not used); any other missing weight would be freshly random.
    missing = sorted(key for key in info["missing_keys"] if not key.startswith("pooler."))
    if missing:
        shown = ", ".join(missing[:5]) + (", ..." if len(missing) > 5 else "")
        raise RankValueError(
            f"{checkpoint}: the checkpoint lacks weights of {type(model).__name__} ({shown}); "
            f"they would be randomly initialised"
        )
    if "token_type_ids" not in inspect.signature(model.forward).parameters:
        raise RankValueError(
            f"{checkpoint}: unsupported architecture {type(model).__name__}: rank-rerank exports "
            f"BERT-style encoders taking input_ids, attention_mask and token_type_ids"
        )
    return model.float().eval()


def _load_tokenizer(checkpoint: Path, transformers: ModuleType) -> Any:
    try:
        tokenizer = transformers.AutoTokenizer.from_pretrained(checkpoint, local_files_only=True)
    except (ValueError, OSError) as exc:
        raise RankValueError(f"{checkpoint}: cannot load its tokenizer: {exc}") from exc
    if not tokenizer.is_fast:
        raise RankValueError(
            f"{checkpoint}: no fast tokenizer (tokenizer.json) can be built for it"
        )
    for name in ("pad", "cls", "sep", "mask"):
        if getattr(tokenizer, f"{name}_token_id") is None:
            raise RankValueError(
                f"{checkpoint}: unsupported tokenizer without a {name} token: rank-rerank "
                f"exports BERT-style encoders"
            )
    return tokenizer


def _common_config(
    kind: str, checkpoint: Path, model_config: Any, tokenizer: Any, modules: dict[str, ModuleType]
) -> dict[str, Any]:
    max_length = int(model_config.max_position_embeddings)
    if model_config.model_type in ("roberta", "xlm-roberta", "camembert"):
        # RoBERTa's position ids start after the padding index: those first positions are unused
        max_length -= int(model_config.pad_token_id) + 1
    return {
        "format": FORMAT,
        "kind": kind,
        "max_length": max_length,
        "source": checkpoint.resolve().name,
        "exported_with": {
            name: modules[name].__version__ for name in ("torch", "transformers", "onnx")
        },
        "pad_token_id": int(tokenizer.pad_token_id),
        "cls_token_id": int(tokenizer.cls_token_id),
        "sep_token_id": int(tokenizer.sep_token_id),
        "mask_token_id": int(tokenizer.mask_token_id),
    }


def _read_checkpoint_tensor(checkpoint: Path, name: str, torch: ModuleType) -> Any:
    """The tensor ``name`` from the checkpoint's weight files, or ``None`` when absent."""
    for index_name in ("model.safetensors.index.json", "pytorch_model.bin.index.json"):
        index_path = checkpoint / index_name
        if index_path.is_file():
            weight_map = json.loads(index_path.read_text(encoding="utf-8")).get("weight_map", {})
            shard = weight_map.get(name)
            return None if shard is None else _read_weight_file(checkpoint / shard, name, torch)
    for file_name in ("model.safetensors", "pytorch_model.bin"):
        if (checkpoint / file_name).is_file():
            return _read_weight_file(checkpoint / file_name, name, torch)
    return None


def _read_weight_file(path: Path, name: str, torch: ModuleType) -> Any:
    if path.suffix == ".safetensors":
        from safetensors import safe_open  # a dependency of transformers

        with safe_open(str(path), framework="pt") as weights:
            return weights.get_tensor(name) if name in weights.keys() else None  # noqa: SIM118
    return torch.load(path, map_location="cpu", weights_only=True).get(name)


def _read_colbert_metadata(checkpoint: Path) -> dict[str, Any]:
    path = checkpoint / "artifact.metadata"
    if not path.is_file():
        return {}
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RankValueError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(metadata, dict):
        raise RankValueError(f"{path} does not hold a JSON object")
    return metadata


def _write_directory(
    job: _ExportJob,
    destination: Path,
    quantize: Quantize,
    opset: int,
    fuse: bool,
    verify: bool,
    atol: float,
    overwrite: bool,
    modules: dict[str, ModuleType],
    step: Callable[[str], None],
) -> None:
    """Build the model directory beside ``destination``, then move it into place by renaming."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(
        tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".partial", dir=destination.parent)
    )
    try:
        model_path = staging / MODEL_FILE
        _export_graph(job, model_path, opset, modules)
        if fuse:
            job.config["onnxruntime_fusions"] = _fuse_for_onnxruntime(model_path)
        step("exported")
        if verify:
            reference = [_run_torch(job, sample, modules["torch"]) for sample in job.samples]
            difference = _max_difference(job, model_path, reference, modules["onnxruntime"])
            if not difference <= atol:
                raise RankValueError(
                    f"the exported ONNX model differs from the torch model by {difference:.3g} "
                    f"(max |difference| of {job.output_name}), more than atol={atol:g}"
                )
            logger.info(
                "FP32 ONNX vs torch: max |difference| of %s = %.3g", job.output_name, difference
            )
        step("verified" if verify else "not verified")
        if quantize == "int8":
            quantized_path = staging / QUANTIZED_MODEL_FILE
            _quantize_int8(model_path, quantized_path)
            if verify:
                difference = _max_difference(job, quantized_path, reference, modules["onnxruntime"])
                largest = max(float(np.abs(output).max()) for output in reference)
                logger.info(
                    "INT8 ONNX vs torch: max |difference| of %s = %.3g (largest |value| %.3g)",
                    job.output_name,
                    difference,
                    largest,
                )
            step("quantized")
        _save_tokenizer(job.tokenizer, staging / TOKENIZER_FILE)
        config_text = json.dumps(job.config, indent=2) + "\n"
        (staging / CONFIG_FILE).write_text(config_text, encoding="utf-8")
        _move_into_place(staging, destination, overwrite)
        step("written")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _export_graph(job: _ExportJob, path: Path, opset: int, modules: dict[str, ModuleType]) -> None:
    torch = modules["torch"]
    batch = torch.export.Dim("batch")
    sequence = torch.export.Dim("sequence", max=job.config["max_length"])
    # The example has batch > 1 and sequence > 1: torch.export specialises an axis of size 1.
    example = job.samples[-1]
    arguments = tuple(example[name] for name in INPUT_NAMES)
    with _quiet_exporter():
        try:
            torch.onnx.export(
                job.module,
                arguments,
                str(path),
                input_names=list(INPUT_NAMES),
                output_names=[job.output_name],
                opset_version=int(opset),
                dynamo=True,
                dynamic_shapes={name: {0: batch, 1: sequence} for name in INPUT_NAMES},
                external_data=False,
                verbose=False,
            )
        except Exception as exc:  # the exporter's error classes are internal to torch
            raise RankValueError(f"torch.onnx.export failed: {exc}") from exc
    graph = modules["onnx"].load(str(path), load_external_data=False).graph
    graph_inputs = [graph_input.name for graph_input in graph.input]
    if graph_inputs != list(INPUT_NAMES):
        raise RankValueError(
            f"unsupported architecture: the exported graph takes {graph_inputs}, "
            f"not {list(INPUT_NAMES)}"
        )


def _fuse_for_onnxruntime(path: Path) -> dict[str, int]:
    """Rewrite the graph at ``path`` in place with onnxruntime's fused transformer kernels; returns
    how many times each fusion applied.

    The dynamo exporter spells attention as MatMul / Softmax / Transpose chains that
    onnxruntime's own graph optimiser does not recognise (measured: no attention fused at any
    optimisation level). onnxscript's rewriter, made for this exporter's graphs, turns each block
    into one ``com.microsoft`` ``MultiHeadAttention`` whose padding mask stays an additive bias (so
    any mask keeps its meaning), each GELU into ``BiasGelu`` and each residual + LayerNorm into
    ``SkipLayerNormalization``. Its last step, packing Q, K and V into one ``Attention`` node, is
    left out on purpose: the INT8 quantiser cannot quantise that node's projection when the mask is
    a bias, and separate Q/K/V MatMuls quantise like every other MatMul (measured: same FP32 speed,
    faster INT8). The verification that follows compares the fused graph with torch.
    """
    from onnxscript import ir, optimizer
    from onnxscript.rewriter.ort_fusions import (
        bias_gelu,
        erfgelu,
        mha,
        mha_bias,
        sdpa,
        shape_optimization,
        skip_normalization,
    )

    model = ir.load(str(path))
    counts: dict[str, int] = {}
    with _quiet_exporter():
        ir.passes.common.ShapeInferencePass()(model)
        optimizer.optimize(model)
        shape_optimization.rules.apply_to_model(model)
        optimizer.optimize(model)
        counts["erf_gelu"] = erfgelu.fuse_erfgelu(model)
        counts["skip_layer_normalization"] = skip_normalization.fuse_skip_layer_normalization(model)
        counts["scaled_dot_product_attention"] = sdpa.fuse_sdpa(model, apply_shape_inference=True)
        counts["multi_head_attention"] = mha.fuse_mha1(model) + mha.fuse_mha2(model)
        counts["multi_head_attention_bias"] = mha_bias.fuse_mha_bias(model)
        counts["bias_gelu"] = bias_gelu.fuse_bias_gelu(model)
        optimizer.optimize(model)  # inlines the fusions' unused intermediate functions
    ir.save(model, str(path))
    applied = {name: int(count) for name, count in counts.items() if count}
    logger.info("onnxruntime fusions: %s", applied or "none applied")
    return applied


@contextlib.contextmanager
def _quiet_exporter() -> Iterator[None]:
    """The exporter prints its progress to stdout, and logs and warns about its internals (the
    opset conversion, torchvision ops it skips) in ways a user cannot act on: keep only errors."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "onnxscript", "onnx_ir")]
    levels = [exporter_logger.level for exporter_logger in loggers]
    for exporter_logger in loggers:
        exporter_logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            yield
    finally:
        for exporter_logger, level in zip(loggers, levels, strict=True):
            exporter_logger.setLevel(level)


def _run_torch(job: _ExportJob, sample: Any, torch: ModuleType) -> np.ndarray:
    with torch.inference_mode():
        return job.module(*(sample[name] for name in INPUT_NAMES)).float().numpy()


def _max_difference(
    job: _ExportJob, model_path: Path, reference: list[np.ndarray], onnxruntime: ModuleType
) -> float:
    """Max |ONNX - torch| over the samples (padding positions excluded for per-token outputs)."""
    session = onnxruntime.InferenceSession(str(model_path), providers=["CPUExecutionProvider"])
    difference = 0.0
    for sample, expected in zip(job.samples, reference, strict=True):
        feeds = {name: sample[name].numpy().astype(np.int64) for name in INPUT_NAMES}
        (output,) = session.run([job.output_name], feeds)
        error = np.abs(output.astype(np.float64) - expected)
        if job.per_token:
            error = error[feeds["attention_mask"].astype(bool)]
        difference = max(difference, float(np.nan_to_num(error, nan=np.inf).max()))
    return difference


class _DropPreprocessingAdvice(logging.Filter):
    """Hides quantize_dynamic's root-logger advice to pre-process the model first: measured on
    MiniLM, ``quant_pre_process`` changes neither the INT8 scores nor their speed."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()


def _quantize_int8(model_path: Path, quantized_path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    # Signed INT8 weights for MatMul/Gemm with one scale per output channel (per-tensor scales
    # drop the cross-encoder's Spearman with FP32 from 0.989 to 0.958); activations are quantised
    # at run time, and the products between two activations (attention scores) stay FP32.
    advice_filter = _DropPreprocessingAdvice()
    logging.getLogger().addFilter(advice_filter)
    try:
        quantize_dynamic(
            model_path,
            quantized_path,
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Gemm"],
        )
    finally:
        logging.getLogger().removeFilter(advice_filter)


def _save_tokenizer(tokenizer: Any, path: Path) -> None:
    """The fast tokenizer's ``tokenizer.json``, with padding and truncation switched off.

    The runtimes pad each batch to its own longest sequence and truncate to their own max length,
    so a fixed padding length saved with the checkpoint must not leak into the exported file.
    """
    from tokenizers import Tokenizer  # a dependency of transformers

    backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
    backend.no_padding()
    backend.no_truncation()
    backend.save(str(path))


def _move_into_place(staging: Path, destination: Path, overwrite: bool) -> None:
    if destination.exists() and any(destination.iterdir()):
        if not overwrite:  # it appeared while the export ran
            raise RankValueError(
                f"out_dir {destination} exists and is not empty; pass overwrite=True to replace it"
            )
        # move the old directory aside, and back again if the new one cannot take its place
        retired = Path(
            tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".old", dir=destination.parent)
        )
        destination.replace(retired / destination.name)
        try:
            staging.replace(destination)
        except OSError:
            (retired / destination.name).replace(destination)
            raise
        finally:
            shutil.rmtree(retired, ignore_errors=True)
    else:
        staging.replace(destination)  # replaces an empty directory atomically on POSIX
