"""PyTorch front end of rank-learn (the ``[torch]`` extra): neural learning-to-rank losses.

Pure torch functions (autograd gradients) over a batch of score lists ``(batch, n)`` with their
relevance labels and an optional padding mask, following allRank's definitions:
:func:`ranknet_loss`, :func:`listnet_loss`, :func:`listmle_loss`, :func:`lambdaloss`,
:func:`approx_ndcg_loss` and :func:`neural_ndcg_loss` (which relaxes sorting with rank-soft's
NeuralSort). :mod:`rank_learn.torch.losses` documents the shared conventions.
"""

from rank_core.optional import require

require("torch", feature="rank_learn.torch", distribution="rank-learn", extra="torch")

from rank_learn.torch.losses import (  # noqa: E402
    LISTMLE_TIES,
    WEIGHING_SCHEMES,
    approx_ndcg_loss,
    lambdaloss,
    listmle_loss,
    listnet_loss,
    neural_ndcg_loss,
    ranknet_loss,
)

__all__ = [
    "LISTMLE_TIES",
    "WEIGHING_SCHEMES",
    "approx_ndcg_loss",
    "lambdaloss",
    "listmle_loss",
    "listnet_loss",
    "neural_ndcg_loss",
    "ranknet_loss",
]
