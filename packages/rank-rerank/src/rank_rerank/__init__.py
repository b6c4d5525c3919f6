"""rank-rerank: second-stage reranking for the rank-* toolkit.

MaxSim (ColBERT), dense rescoring, MMR / DPP diversity, token pooling and Matryoshka refinement;
ONNX cross-encoders and ONNX ColBERT encoders in the ``[onnx]`` extra, and exporters from Hugging
Face checkpoints in the ``[export]`` extra.

This is an importable shell for now: the package's issue fills in the API.
"""

from rank_rerank.__about__ import __version__

__all__ = ["__version__"]
