"""rank-eval: IR evaluation for the rank-* toolkit.

Every trec_eval measure (bit-compatible), plus ERR, RBP and graded / exponential-gain nDCG;
significance tests; comparison reports; and a trec_eval-compatible command line, all over
rank-core's ``Run`` and ``Qrels``.

This is an importable shell for now: the package's issue fills in the API.
"""

from rank_eval.__about__ import __version__

__all__ = ["__version__"]
