"""rank-learn: learning to rank for the rank-* toolkit.

:class:`LambdaMART` (histogram gradient-boosted trees on LambdaRank, XE-NDCG or RankNet
objectives, LightGBM's trees split for split), :func:`lambdarank_gradients` and
:func:`lambdarank_objective` (a LambdaRank custom objective for LightGBM / XGBoost that knows the
queries), :class:`GroupKFold`; linear :class:`RankSVM` and :class:`LinearLambdaRank`; LETOR / svmlight files (:func:`load_svmlight`, :func:`dump_svmlight`); the original Rust bindings' names (``LambdaRankParams``,
``LambdaRankTrainer``, ``ndcg_at_k``). Neural ranking losses are in :mod:`rank_learn.torch`
(the ``[torch]`` extra).
"""

from rank_learn.__about__ import __version__
from rank_learn._warmup import warmup
from rank_learn.compat import LambdaRankParams, LambdaRankTrainer, ndcg_at_k
from rank_learn.data import LetorData, dump_svmlight, load_letor, load_svmlight
from rank_learn.lambdamart import LambdaMART
from rank_learn.linear import LinearLambdaRank, RankSVM
from rank_learn.model_selection import GroupKFold
from rank_learn.objectives import (
    LambdaRankObjective,
    lambdarank_gradients,
    lambdarank_objective,
    xendcg_gradients,
)

__all__ = [
    "GroupKFold",
    "LambdaMART",
    "LambdaRankObjective",
    "LambdaRankParams",
    "LambdaRankTrainer",
    "LetorData",
    "LinearLambdaRank",
    "RankSVM",
    "__version__",
    "dump_svmlight",
    "lambdarank_gradients",
    "lambdarank_objective",
    "load_letor",
    "load_svmlight",
    "ndcg_at_k",
    "warmup",
    "xendcg_gradients",
]
