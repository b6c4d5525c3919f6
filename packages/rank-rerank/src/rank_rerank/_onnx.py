"""Shared runtime helpers of the ONNX cross-encoder and ColBERT encoder (the ``[onnx]`` extra).

An exported model directory (written by :mod:`rank_rerank.export`) holds ``model.onnx`` (FP32),
``model_int8.onnx`` (dynamic INT8, optional), ``tokenizer.json`` and ``rank_rerank.json``. Nothing
here imports torch or transformers; onnxruntime and tokenizers are imported only when called.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from rank_core import RankValueError
from rank_core.optional import require

__all__ = [
    "CONFIG_FILE",
    "FORMAT",
    "INPUT_NAMES",
    "MODEL_FILE",
    "QUANTIZED_MODEL_FILE",
    "TOKENIZER_FILE",
    "ModelDirectory",
    "TruncationPolicy",
    "length_buckets",
    "load_tokenizer",
    "make_session",
    "pad_batch",
    "report_truncation",
    "require_runtime",
    "resolve_model_path",
]

FORMAT = 1
MODEL_FILE = "model.onnx"
QUANTIZED_MODEL_FILE = "model_int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "rank_rerank.json"
INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")

Kind = Literal["cross-encoder", "colbert"]
GraphOptimization = Literal["disable", "basic", "extended", "all"]

_EXPORTERS = {"cross-encoder": "export_cross_encoder", "colbert": "export_colbert"}
_SPECIAL_TOKEN_KEYS = ("pad_token_id", "cls_token_id", "sep_token_id", "mask_token_id")


def require_runtime(feature: str) -> tuple[ModuleType, ModuleType]:
    """``(onnxruntime, tokenizers)``, or OptionalDependencyError naming
    ``pip install "rank-rerank[onnx]"``."""
    onnxruntime = require("onnxruntime", feature=feature, distribution="rank-rerank", extra="onnx")
    tokenizers = require("tokenizers", feature=feature, distribution="rank-rerank", extra="onnx")
    return onnxruntime, tokenizers


def _how_to_export(kind: str, quantize: bool = False) -> str:
    call = (
        f"rank_rerank.export.{_EXPORTERS.get(kind, 'export_cross_encoder')}(checkpoint_dir, out_dir"
    )
    call += ", quantize='int8')" if quantize else ")"
    return f'produce it with {call} (pip install "rank-rerank[export]")'


@dataclass(frozen=True)
class ModelDirectory:
    """A checked exported model directory: its path, its ``rank_rerank.json`` and its kind."""

    path: Path
    config: dict[str, Any]
    kind: str
    quantized: bool = False

    @property
    def model_file(self) -> Path:
        """``model_int8.onnx`` when quantized, else ``model.onnx``."""
        return self.path / (QUANTIZED_MODEL_FILE if self.quantized else MODEL_FILE)

    @property
    def tokenizer_file(self) -> Path:
        return self.path / TOKENIZER_FILE

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, kind: Kind, quantized: bool) -> ModelDirectory:
        """Check that ``path`` is an exported ``kind`` model directory with the files to run it.

        Raises RankValueError naming the missing or wrong file and how to produce it.
        """
        if kind not in _EXPORTERS:
            raise RankValueError(f"kind must be one of {sorted(_EXPORTERS)}, got {kind!r}")
        directory = Path(path)
        if not directory.is_dir():
            raise RankValueError(
                f"model directory {directory} does not exist; {_how_to_export(kind)}"
            )
        config_path = directory / CONFIG_FILE
        if not config_path.is_file():
            raise RankValueError(
                f"{config_path} is missing: {directory} is not an exported rank-rerank model; "
                f"{_how_to_export(kind)}"
            )
        try:
            config = json.loads(config_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise RankValueError(f"{config_path} is not valid JSON: {exc}") from exc
        if not isinstance(config, dict) or config.get("format") != FORMAT:
            found = config.get("format") if isinstance(config, dict) else None
            raise RankValueError(
                f"{config_path} has format {found!r}; this rank-rerank reads format {FORMAT}: "
                f"re-export the model with this version"
            )
        if config.get("kind") != kind:
            raise RankValueError(
                f"{directory} holds a {config.get('kind')!r} model, not a {kind!r} model; "
                f"{_how_to_export(kind)}"
            )
        opened = cls(path=directory, config=config, kind=kind, quantized=quantized)
        if not opened.model_file.is_file():
            raise RankValueError(
                f"{opened.model_file} is missing; {_how_to_export(kind, quantize=quantized)}"
            )
        if not opened.tokenizer_file.is_file():
            raise RankValueError(f"{opened.tokenizer_file} is missing; {_how_to_export(kind)}")
        return opened


def resolve_model_path(
    path: str | os.PathLike[str], *, kind: Kind, quantized: bool | None
) -> tuple[Path, bool]:
    """``(model directory, quantized)`` for a model directory or one of its ONNX files.

    The original bindings took the path of an ``.onnx`` file; this package loads the directory its
    exporters write. A path to that directory's ``model.onnx`` (FP32) or ``model_int8.onnx``
    (INT8) stands for the directory, with ``quantized`` taken from the file name (an explicit
    ``quantized`` that contradicts it raises). Any other file, or an ONNX file without the
    exporter's ``rank_rerank.json`` beside it, raises RankValueError saying how to export. A
    directory is returned as it is (``quantized=None`` meaning FP32); :meth:`ModelDirectory.open`
    checks it.
    """
    candidate = Path(path)
    if not candidate.is_file():
        return candidate, bool(quantized)
    files = {MODEL_FILE: False, QUANTIZED_MODEL_FILE: True}
    if candidate.name not in files:
        raise RankValueError(
            f"{candidate} is not a model file rank-rerank exported: a model is loaded from the "
            f"directory its exporter writes ({MODEL_FILE}, {QUANTIZED_MODEL_FILE}, {TOKENIZER_FILE}, "
            f"{CONFIG_FILE}), or from that directory's {MODEL_FILE} / {QUANTIZED_MODEL_FILE}; "
            f"{_how_to_export(kind)}"
        )
    if not (candidate.parent / CONFIG_FILE).is_file():
        raise RankValueError(
            f"{candidate} has no {CONFIG_FILE} beside it: it is not in a model directory rank-rerank "
            f"exported (a bare ONNX file lacks the tokenizer and settings to run it); {_how_to_export(kind)}"
        )
    from_name = files[candidate.name]
    if quantized is not None and bool(quantized) != from_name:
        raise RankValueError(
            f"quantized={quantized!r} contradicts the file {candidate.name}: pass the directory "
            f"{candidate.parent} with quantized=..., or the file alone"
        )
    return candidate.parent, from_name


def load_tokenizer(directory: ModelDirectory) -> Any:
    """The directory's ``tokenizers.Tokenizer``, checked against its config's special token ids.

    Padding and truncation are switched off whatever the file says: :func:`pad_batch` pads each
    batch to its own longest sequence, and callers enable truncation with their own max length.
    """
    _, tokenizers = require_runtime("loading an exported model's tokenizer")
    try:
        tokenizer = tokenizers.Tokenizer.from_file(str(directory.tokenizer_file))
    except Exception as exc:  # tokenizers raises a bare Exception on a malformed file
        raise RankValueError(
            f"{directory.tokenizer_file} is not a valid tokenizer file: {exc}"
        ) from exc
    tokenizer.no_padding()
    tokenizer.no_truncation()

    special = tokenizer.get_added_tokens_decoder()
    problems = []
    for key in _SPECIAL_TOKEN_KEYS:
        token_id = directory.config.get(key)
        if (
            not isinstance(token_id, int)
            or token_id not in special
            or not special[token_id].special
        ):
            problems.append(f"{key}={token_id!r} is not a special token of the tokenizer")
    if not problems:
        # the post-processor must frame a sequence as [CLS] ... [SEP], as the model was trained
        ids = tokenizer.encode("a").ids
        if (
            ids[0] != directory.config["cls_token_id"]
            or ids[-1] != directory.config["sep_token_id"]
        ):
            problems.append(f"the tokenizer frames a sequence with ids {ids[0]} ... {ids[-1]}")
    if problems:
        raise RankValueError(
            f"tokenizer mismatch between {directory.tokenizer_file} and {CONFIG_FILE}: "
            + "; ".join(problems)
        )
    return tokenizer


def make_session(
    model_file: str | os.PathLike[str],
    *,
    threads: int | None,
    graph_optimization: GraphOptimization = "all",
    memory_pattern: bool = True,
    providers: Sequence[str] = ("CPUExecutionProvider",),
) -> Any:
    """An ``onnxruntime.InferenceSession`` for ``model_file``.

    ``threads`` is the intra-op thread count (``None``: the cores this process may use); inter-op
    parallelism is off (one thread, sequential execution), which is fastest for transformer
    encoders. An InferenceSession is thread-safe: several threads may call ``run`` on one session
    at the same time, so one session can serve a whole process.
    """
    onnxruntime = require(
        "onnxruntime", feature="ONNX inference", distribution="rank-rerank", extra="onnx"
    )
    levels = {
        "disable": onnxruntime.GraphOptimizationLevel.ORT_DISABLE_ALL,
        "basic": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_BASIC,
        "extended": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
        "all": onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL,
    }
    if graph_optimization not in levels:
        raise RankValueError(
            f"graph_optimization must be one of {list(levels)}, got {graph_optimization!r}"
        )
    if threads is None:
        threads = (
            len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity")
            else os.cpu_count() or 1
        )
    elif isinstance(threads, bool) or not isinstance(threads, (int, np.integer)) or threads < 1:
        raise RankValueError(f"threads must be a positive integer or None, got {threads!r}")

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = int(threads)
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = levels[graph_optimization]
    options.enable_mem_pattern = bool(memory_pattern)
    try:
        return onnxruntime.InferenceSession(str(model_file), options, providers=list(providers))
    except (
        Exception
    ) as exc:  # onnxruntime's pybind errors (InvalidProtobuf, Fail, ...) derive from Exception only
        raise RankValueError(f"onnxruntime cannot load {model_file}: {exc}") from exc


def length_buckets(lengths: NDArray[np.integer], batch_size: int) -> list[NDArray[np.int64]]:
    """Indices sorted by length (stable), cut into batches of at most ``batch_size``.

    Each batch then pads only to its own longest sequence; callers put the results back in
    input order with these indices.
    """
    if (
        isinstance(batch_size, bool)
        or not isinstance(batch_size, (int, np.integer))
        or batch_size < 1
    ):
        raise RankValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    order = np.argsort(np.asarray(lengths), kind="stable").astype(np.int64)
    return [order[start : start + batch_size] for start in range(0, order.size, batch_size)]


def pad_batch(encodings: Sequence[Any], pad_id: int) -> dict[str, NDArray[np.int64]]:
    """``input_ids``, ``attention_mask``, ``token_type_ids`` (int64) padded to the batch's longest.

    ``encodings`` are ``tokenizers.Encoding`` objects (anything with ``ids``, ``attention_mask``
    and ``type_ids``); padding uses ``pad_id``, attention mask 0 and token type 0.
    """
    width = max((len(encoding.ids) for encoding in encodings), default=0)
    shape = (len(encodings), width)
    input_ids = np.full(shape, pad_id, dtype=np.int64)
    attention_mask = np.zeros(shape, dtype=np.int64)
    token_type_ids = np.zeros(shape, dtype=np.int64)
    for row, encoding in enumerate(encodings):
        length = len(encoding.ids)
        input_ids[row, :length] = encoding.ids
        attention_mask[row, :length] = encoding.attention_mask
        token_type_ids[row, :length] = encoding.type_ids
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "token_type_ids": token_type_ids,
    }


#: What a model runtime does with texts longer than its limit: truncation is never silent.
TruncationPolicy = Literal["warn", "error", "ignore"]


def report_truncation(policy: str, truncated: NDArray[np.intp], total: int, *, what: str, limit: str) -> None:
    """Warn about (``"warn"``) or refuse (``"error"``) the ``truncated`` positions of ``what``
    (``"pairs"``, ``"documents"`` ...) longer than ``limit`` (e.g. ``"max_length=512"``)."""
    if truncated.size == 0 or policy == "ignore":
        return
    message = (
        f"{truncated.size} of {total} {what} were longer than {limit} tokens and were truncated "
        f"(the first: {what}[{truncated[0]}])"
    )
    if policy == "error":
        raise RankValueError(f"{message}; pass truncation='warn' or 'ignore' to accept the truncation")
    # stack: report_truncation <- _report_truncation <- the runtime's batch loop <- public method <- caller
    warnings.warn(f"{message}; pass truncation='ignore' to silence this", UserWarning, stacklevel=5)
