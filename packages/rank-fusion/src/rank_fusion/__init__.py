"""rank-fusion: rank fusion for the rank-* toolkit.

Rank-based (RRF, ISR, Borda, Condorcet, RBC, probabilistic fusions) and score-based (Comb*,
weighted sums, DBSF, the search engines' means) fusion of rank-core ``Run``s or of one query's
rankings, with score normalisations; :func:`fuse` picks a method by name.
:func:`optimize_weights` (the ``[optimize]`` extra, with rank-eval) tunes fusion weights.
"""

from rank_fusion.__about__ import __version__
from rank_fusion._warmup import warmup
from rank_fusion.methods import (
    arithmetic_mean,
    bordafuse,
    comb_anz,
    comb_gmnz,
    comb_max,
    comb_med,
    comb_min,
    comb_mnz,
    comb_sum,
    condorcet,
    dbsf,
    fuse,
    geometric_mean,
    harmonic_mean,
    isr,
    log_isr,
    logn_isr,
    mixed,
    normalize,
    rbc,
    relative_score,
    rrf,
    w_bordafuse,
    w_condorcet,
    wmnz,
    wsum,
)
from rank_fusion.optimize import OptimizationResult, optimize_weights
from rank_fusion.trained import (
    bayesfuse,
    mapfuse,
    posfuse,
    probfuse,
    segfuse,
    slidefuse,
    train_fusion,
)

__all__ = [
    "OptimizationResult",
    "__version__",
    "arithmetic_mean",
    "bayesfuse",
    "bordafuse",
    "comb_anz",
    "comb_gmnz",
    "comb_max",
    "comb_med",
    "comb_min",
    "comb_mnz",
    "comb_sum",
    "condorcet",
    "dbsf",
    "fuse",
    "geometric_mean",
    "harmonic_mean",
    "isr",
    "log_isr",
    "logn_isr",
    "mapfuse",
    "mixed",
    "normalize",
    "optimize_weights",
    "posfuse",
    "probfuse",
    "rbc",
    "relative_score",
    "rrf",
    "segfuse",
    "slidefuse",
    "train_fusion",
    "w_bordafuse",
    "w_condorcet",
    "warmup",
    "wmnz",
    "wsum",
]
