"""rank-core: the shared foundation of the rank-* toolkit.

- :mod:`rank_core.errors`: one error hierarchy for every package.
- :class:`Run` / :class:`Qrels`: the shared ranked-list and judgment model (columnar, CSR-style),
  with dict / DataFrame / array constructors and fast, strict TREC I/O (:mod:`rank_core.io_trec`).
- :class:`Vocabulary` and :func:`align`: string ids at the edges, integer codes inside.
- :mod:`rank_core.validation`: input checks shared by all packages.
- :mod:`rank_core.jit`: the numba defaults and the ``threads`` context manager.
"""

from rank_core.__about__ import __version__
from rank_core._warmup import warmup
from rank_core.align import align
from rank_core.errors import (
    NonFiniteInputError,
    NotFittedError,
    OptionalDependencyError,
    ParseError,
    RankError,
    RankTypeError,
    RankValueError,
    ShapeMismatchError,
)
from rank_core.jit import threads
from rank_core.qrels import Judgments, Qrels
from rank_core.run import Ranking, Run
from rank_core.vocabulary import Vocabulary

__all__ = [
    "Judgments",
    "NonFiniteInputError",
    "NotFittedError",
    "OptionalDependencyError",
    "ParseError",
    "Qrels",
    "RankError",
    "RankTypeError",
    "RankValueError",
    "Ranking",
    "Run",
    "ShapeMismatchError",
    "Vocabulary",
    "__version__",
    "align",
    "threads",
    "warmup",
]
