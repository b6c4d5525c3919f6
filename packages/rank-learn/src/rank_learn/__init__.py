"""rank-learn: learning to rank for the rank-* toolkit.

LambdaMART (histogram gradient-boosted trees), linear LambdaRank and RankSVM, and LETOR / svmlight
I/O; neural ranking losses in the ``[torch]`` extra.

This is an importable shell for now: the package's issue fills in the API.
"""

from rank_learn.__about__ import __version__

__all__ = ["__version__"]
