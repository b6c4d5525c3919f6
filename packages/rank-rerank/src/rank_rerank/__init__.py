"""rank-rerank: second-stage reranking for the rank-* toolkit.

MaxSim (ColBERT late interaction) over ragged token vectors, dense rescoring, MMR / DPP diversity,
token pooling and Matryoshka refinement, on NumPy arrays with compiled kernels and BLAS; ONNX
cross-encoders and ONNX ColBERT encoders in the ``[onnx]`` extra, and exporters from Hugging Face
checkpoints in the ``[export]`` extra (``CrossEncoder``, ``ColBERTEncoder``, ``export_*`` import
their runtimes lazily: ``import rank_rerank`` never needs them). The original bindings' names live
on in :mod:`rank_rerank.compat`, :mod:`rank_rerank.compat_onnx` and :mod:`rank_rerank.onnx_export`.
"""

from rank_rerank.__about__ import __version__
from rank_rerank._warmup import warmup
from rank_rerank.colbert import ColBERTEncoder, DocumentEmbeddings, QueryTokens
from rank_rerank.compat import (
    highlight_matches_vecs,
    matryoshka_try_refine,
    maxsim_alignments_cosine_vecs,
    maxsim_alignments_vecs,
    maxsim_cosine_vecs,
    maxsim_vecs,
    mmr_cosine,
)
from rank_rerank.compat_onnx import MaxSimEncoder, ONNXColBERTEncoder, ONNXCrossEncoder
from rank_rerank.cross_encoder import CrossEncoder
from rank_rerank.dense import cosine, dot, norm, rerank_dense
from rank_rerank.diversity import dpp, mmr
from rank_rerank.export import export_colbert, export_cross_encoder
from rank_rerank.matryoshka import matryoshka_rerank
from rank_rerank.maxsim import (
    MaxSimAlignment,
    Similarity,
    highlight,
    maxsim,
    maxsim_alignments,
    maxsim_batch,
    rerank,
)
from rank_rerank.onnx_export import export_colbert_encoder, export_maxsim_to_onnx
from rank_rerank.pooling import PooledTokens, PoolingMethod, pool_tokens, pool_tokens_batch
from rank_rerank.results import RerankResult
from rank_rerank.runs import rerank_run

__all__ = [
    "ColBERTEncoder",
    "CrossEncoder",
    "DocumentEmbeddings",
    "MaxSimAlignment",
    "MaxSimEncoder",
    "ONNXColBERTEncoder",
    "ONNXCrossEncoder",
    "PooledTokens",
    "PoolingMethod",
    "QueryTokens",
    "RerankResult",
    "Similarity",
    "__version__",
    "cosine",
    "dot",
    "dpp",
    "export_colbert",
    "export_colbert_encoder",
    "export_cross_encoder",
    "export_maxsim_to_onnx",
    "highlight",
    "highlight_matches_vecs",
    "matryoshka_rerank",
    "matryoshka_try_refine",
    "maxsim",
    "maxsim_alignments",
    "maxsim_alignments_cosine_vecs",
    "maxsim_alignments_vecs",
    "maxsim_batch",
    "maxsim_cosine_vecs",
    "maxsim_vecs",
    "mmr",
    "mmr_cosine",
    "norm",
    "pool_tokens",
    "pool_tokens_batch",
    "rerank",
    "rerank_dense",
    "rerank_run",
    "warmup",
]
