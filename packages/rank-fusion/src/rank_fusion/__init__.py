"""rank-fusion: rank fusion for the rank-* toolkit.

RRF, ISR, Comb*, Borda, Condorcet, RBC, probabilistic fusions, DBSF and score normalizations over
rank-core's ``Run``, with fusion-weight optimization in the ``[optimize]`` extra.

This is an importable shell for now: the package's issue fills in the API.
"""

from rank_fusion.__about__ import __version__

__all__ = ["__version__"]
