"""The rank-* end-to-end demo: retrieve -> fuse -> rerank -> evaluate on the Cranfield collection.

``bash scripts/demo.sh`` runs :func:`demo.pipeline.run_pipeline` through the command line in
:mod:`demo.demo`; ``demo/tests`` runs the same pipeline on a slice of the queries.
"""

from demo.pipeline import PipelineResult, run_pipeline

__all__ = ["PipelineResult", "run_pipeline"]
