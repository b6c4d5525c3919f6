"""rank-retrieve: first-stage retrieval for the rank-* toolkit.

The BM25 family over a precomputed sparse index, tokenization, dense exact search and
learned-sparse search; stemming in the ``[stem]`` extra and approximate nearest-neighbour search
through an existing library in the ``[ann]`` extra.

This is an importable shell for now: the package's issue fills in the API.
"""

from rank_retrieve.__about__ import __version__

__all__ = ["__version__"]
