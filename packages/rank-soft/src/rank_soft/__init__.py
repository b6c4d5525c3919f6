"""rank-soft: differentiable sorting and ranking for the rank-* toolkit.

Soft sort and soft rank by projection onto the permutahedron in O(n log n), their exact
vector-Jacobian products and other relaxations; PyTorch autograd functions in the ``[torch]``
extra.

This is an importable shell for now: the package's issue fills in the API.
"""

from rank_soft.__about__ import __version__

__all__ = ["__version__"]
