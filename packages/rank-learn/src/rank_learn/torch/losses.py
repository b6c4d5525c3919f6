"""Neural learning-to-rank losses (pure torch: autograd gradients), following allRank.

Shared conventions:

- ``scores``: (batch, n) floating-point tensor, the model's outputs; a 1-D tensor is one list.
  ``labels``: relevance grades of the same shape (any real dtype; never differentiated).
  ``mask``: optional bool tensor of the same shape, True for a real item and False for padding.
  Padding is given by ``mask`` only, never by a label value: for allRank-style data padded with
  label -1, pass ``mask=labels >= 0`` (or ``labels != -1``).
- Padded items are dropped before anything is computed: their scores and labels may be anything
  (NaN included), and they change neither the loss nor the gradients of the real items (their own
  gradient is 0). Scores must be finite on real items (:class:`NonFiniteInputError`).
- Gains are ``2^label - 1`` and discounts ``log2(1 + rank)`` (ranks from 1), as in allRank; the
  nDCG-based losses (``lambdaloss``, ``approx_ndcg_loss``, ``neural_ndcg_loss`` and
  ``ranknet_loss(weighted=True)``) need labels >= 0 on real items (:class:`RankValueError`).
- Each list gets one loss value. A list *counts* when the loss is defined for it: at least two
  real items, and at least one relevant item (a positive ideal DCG) for the nDCG-based losses, at
  least one pair of items with different labels for RankNet. A list that does not count has loss 0
  (and no gradient). ``reduction="mean"`` averages over the counted lists only (0 when none
  counts), ``"sum"`` adds all lists, ``"none"`` returns the per-list values (batch,) (a 0-d tensor
  for a 1-D input).
- Ties are broken deterministically: where a loss needs the current ranking (LambdaLoss, weighted
  RankNet), items with equal scores are ranked by index (the earlier first).
- float32 and float64 are computed as such and the result has the dtype of ``scores``;
  float16 / bfloat16 are computed in float32 and the result is cast back.

Where allRank departs from the papers, these losses follow allRank; where they depart from
allRank it is to remove a numerical clamp (``eps = 1e-10`` inside logs and divisions), a random
or batch-dependent choice, or to fix the reduction over lists; each docstring says where.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
import torch.nn.functional as F

from rank_core.errors import RankTypeError
from rank_core.optional import require
from rank_core.validation import check_choice, check_in_range, check_k
from rank_learn.torch._inputs import (
    Reduction,
    check_positive,
    check_reduction,
    exponential_gains,
    ideal_dcg,
    prepare,
    reduce_lists,
    score_order,
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

WeighingScheme = Literal[
    "ndcgLoss2PP_scheme",
    "ndcgLoss1_scheme",
    "ndcgLoss2_scheme",
    "lambdaRank_scheme",
    "rankNet_scheme",
    "rankNetWeightedByGTDiff_scheme",
    "rankNetWeightedByGTDiffPowed_scheme",
]
#: The LambdaLoss weighing schemes, by their allRank names.
WEIGHING_SCHEMES: tuple[WeighingScheme, ...] = (
    "ndcgLoss2PP_scheme",
    "ndcgLoss1_scheme",
    "ndcgLoss2_scheme",
    "lambdaRank_scheme",
    "rankNet_scheme",
    "rankNetWeightedByGTDiff_scheme",
    "rankNetWeightedByGTDiffPowed_scheme",
)
ListMLETies = Literal["score", "index", "random"]
#: How :func:`listmle_loss` orders items with equal labels.
LISTMLE_TIES: tuple[ListMLETies, ...] = ("score", "index", "random")

_LN2 = math.log(2.0)


def _pairwise(values: torch.Tensor) -> torch.Tensor:
    """``out[b, i, j] = values[b, i] - values[b, j]``."""
    return values.unsqueeze(-1) - values.unsqueeze(-2)


def _both_real(mask: torch.Tensor) -> torch.Tensor:
    return mask.unsqueeze(-1) & mask.unsqueeze(-2)


def _zero(like: torch.Tensor) -> torch.Tensor:
    return torch.zeros((), dtype=like.dtype, device=like.device)


def ranknet_loss(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    sigma: float = 1.0,
    weighted: bool = False,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """RankNet (Burges et al., ICML 2005): the logistic loss of every pair ordered by the labels.

    Per list, over the pairs ``(i, j)`` of real items with ``label_i > label_j`` (pairs with equal
    labels are skipped)::

        loss = mean_{(i, j)} w_ij * log(1 + exp(-sigma * (s_i - s_j)))

    with ``w_ij = 1``, or with ``weighted=True`` LambdaRank's weight ``w_ij = |delta nDCG_ij|``
    (Burges, 2010): the change of the list's nDCG if ``i`` and ``j`` swapped places in the
    ranking by the current scores, ``|G_i - G_j| * |1/log2(1 + r_i) - 1/log2(1 + r_j)|``, with
    ``G = (2^label - 1) / ideal DCG`` and ``r`` the current ranks (ties by index); the weights are
    constants for autograd. ``weighted=True`` needs labels >= 0.

    A list counts when it has at least one such pair. allRank's ``rankNet`` (``sigma = 1``) is the
    same pair loss but averages over all the pairs of the batch pooled, so a list with many pairs
    weighs more; here each list's pairs are averaged, then the lists (for one list they agree).
    allRank's ``lambdaLoss(weighing_scheme="lambdaRank_scheme")`` is the weighted sum in log2:
    see :func:`lambdaloss`.
    """
    sigma = check_positive(sigma, "sigma")
    if not isinstance(weighted, bool):
        raise RankTypeError(f"weighted must be a bool, got {type(weighted).__name__} {weighted!r}")
    check_reduction(reduction)
    lists = prepare(scores, labels, mask, loss="ranknet_loss", nonnegative_labels=weighted)
    s, y, m = lists.scores, lists.labels, lists.mask

    pairs = _both_real(m) & (_pairwise(y) > 0)
    costs = F.softplus(-sigma * _pairwise(s))
    if weighted:
        batch, n = s.shape
        order = score_order(s, m)
        ranks = torch.empty_like(order).scatter_(
            1, order, torch.arange(1, n + 1, device=s.device).expand(batch, n)
        )
        discounts = 1.0 / torch.log2(1.0 + ranks.to(s.dtype))
        gains = exponential_gains(y, "ranknet_loss")
        ideal = ideal_dcg(gains, None)
        normalized = gains / torch.where(ideal > 0, ideal, torch.ones_like(ideal)).unsqueeze(-1)
        costs = costs * (_pairwise(normalized).abs() * _pairwise(discounts).abs())
    n_pairs = pairs.sum(dim=(1, 2))
    total = torch.where(pairs, costs, _zero(costs)).sum(dim=(1, 2))
    values = total / n_pairs.clamp(min=1).to(total.dtype)
    return reduce_lists(values, n_pairs > 0, reduction, lists)


def listnet_loss(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    temperature: float = 1.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """ListNet (Cao et al., ICML 2007), top-one version: the cross-entropy between the label
    distribution and the score distribution over the real items of each list::

        loss = -sum_i softmax(labels)_i * log softmax(scores / temperature)_i

    as allRank's ``listNet`` (softmax of the labels as the target, so any real labels work, e.g.
    a teacher's scores for distillation). ``temperature`` divides the scores (TF-Ranking's
    convention); the loss is smallest, at the entropy of the target, when
    ``scores = temperature * labels + c``. allRank adds ``eps = 1e-10`` to the predicted
    probabilities before the log; the exact log-softmax is used here (values agree unless a
    predicted probability falls near 1e-10). A list counts when it has at least two real items;
    allRank also averages the one-item lists (loss 0) into its mean.
    """
    tau = check_positive(temperature, "temperature")
    check_reduction(reduction)
    lists = prepare(scores, labels, mask, loss="listnet_loss", nonnegative_labels=False)
    s, y, m = lists.scores, lists.labels, lists.mask

    counted = m.sum(dim=-1) >= 2
    # padded entries at -inf drop out of both softmaxes; a list without real items keeps its
    # zeros (finite, and discarded below) so that no NaN can reach the backward pass
    usable = m | ~m.any(dim=-1, keepdim=True)
    minus_inf = torch.full_like(s, -math.inf)
    target = torch.softmax(torch.where(usable, y, minus_inf), dim=-1)
    log_predicted = torch.log_softmax(torch.where(usable, s / tau, minus_inf), dim=-1)
    cross = torch.where(m, target * log_predicted, _zero(s))
    return reduce_lists(-cross.sum(dim=-1), counted, reduction, lists)


def listmle_loss(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    ties: ListMLETies = "score",
    generator: torch.Generator | None = None,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """ListMLE (Xia et al., ICML 2008): the Plackett-Luce negative log-likelihood of the ranking
    that sorts the real items by label descending, ``pi``::

        loss = sum_{r=1}^{n} ( log sum_{t >= r} exp(s_pi(t)) - s_pi(r) )

    Items with equal labels can come in any order; ``ties`` picks one:

    - ``"score"`` (default): by score descending, which is the most likely of the orders
      consistent with the labels, so the loss does not push tied items apart. Deterministic, and
      invariant to the order of the items in the list.
    - ``"index"``: the earlier item first (deterministic, but learns the input order of ties).
    - ``"random"``: a uniformly random order per list, drawn from ``generator`` (torch's global
      generator when None): allRank's behaviour (allRank draws one shuffle for the whole batch),
      reproducible with a seeded generator.

    A list counts when it has at least two real items. allRank adds ``eps = 1e-10`` inside the
    logarithm; the exact log-sum-exp is used here.
    """
    check_choice(ties, name="ties", choices=LISTMLE_TIES)
    if generator is not None and not isinstance(generator, torch.Generator):
        raise RankTypeError(
            f"generator must be a torch.Generator or None, got {type(generator).__name__}"
        )
    check_reduction(reduction)
    lists = prepare(scores, labels, mask, loss="listmle_loss", nonnegative_labels=False)
    s, y, m = lists.scores, lists.labels, lists.mask
    batch, n = s.shape

    minus_inf = torch.full_like(s, -math.inf)
    if ties == "score":
        before = score_order(s, m)
    elif ties == "index":
        before = torch.arange(n, device=s.device).expand(batch, n)
    else:
        where = generator.device if generator is not None else torch.device("cpu")
        keys = torch.rand((batch, n), generator=generator, device=where).to(s.device)
        before = torch.argsort(keys, dim=-1)
    # a stable sort by label keeps the tie order chosen above; padded items go last
    label_key = torch.gather(torch.where(m, y, minus_inf), 1, before)
    order = torch.gather(
        before, 1, torch.sort(label_key, dim=-1, descending=True, stable=True).indices
    )
    ordered = torch.gather(s, 1, order)
    real = torch.gather(m, 1, order)
    suffix = torch.logcumsumexp(torch.where(real, ordered, minus_inf).flip(-1), dim=-1).flip(-1)
    terms = torch.where(real, suffix - ordered, _zero(s))
    return reduce_lists(terms.sum(dim=-1), m.sum(dim=-1) >= 2, reduction, lists)


def _scheme_weights(
    scheme: WeighingScheme,
    normalized_gains: torch.Tensor,
    labels: torch.Tensor,
    mu: float,
) -> torch.Tensor:
    """The LambdaLoss weights ``w[b, r, c]`` between rank positions ``r`` and ``c`` (1-based)
    of the lists sorted by score; ``normalized_gains`` / ``labels`` are in that order."""
    n = normalized_gains.shape[-1]
    dtype, device = normalized_gains.dtype, normalized_gains.device
    positions = torch.arange(1, n + 1, dtype=dtype, device=device)
    inverse_discounts = 1.0 / torch.log2(1.0 + positions)
    gain_gaps = _pairwise(normalized_gains).abs()
    if scheme == "ndcgLoss1_scheme":
        return (normalized_gains * inverse_discounts).unsqueeze(-1).expand(-1, n, n)
    if scheme == "rankNet_scheme":
        return torch.ones_like(gain_gaps)
    if scheme == "rankNetWeightedByGTDiff_scheme":
        return _pairwise(labels).abs()
    if scheme == "rankNetWeightedByGTDiffPowed_scheme":
        return _pairwise(labels * labels).abs()
    lambda_rank = _pairwise(inverse_discounts).abs() * gain_gaps
    if scheme == "lambdaRank_scheme":
        return lambda_rank
    # ndcgLoss2: delta_rc = |1/D(|r - c|) - 1/D(|r - c| + 1)|, D(x) = log2(1 + x), 0 for r == c
    distance = _pairwise(positions).abs()
    step = distance.clamp(min=1.0)
    delta = (1.0 / torch.log2(1.0 + step) - 1.0 / torch.log2(2.0 + step)).abs()
    ndcg_loss2 = torch.where(distance > 0, delta, torch.zeros_like(delta)) * gain_gaps
    if scheme == "ndcgLoss2_scheme":
        return ndcg_loss2
    return mu * ndcg_loss2 + lambda_rank  # ndcgLoss2PP_scheme


def lambdaloss(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    weighing_scheme: WeighingScheme = "ndcgLoss2PP_scheme",
    k: int | None = None,
    sigma: float = 1.0,
    mu: float = 10.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """The LambdaLoss framework (Wang et al., CIKM 2018) as allRank's ``lambdaLoss``.

    Sort each list's real items by score descending (ranks ``r = 1..n``, ties by index), with
    ``G_r = (2^label_r - 1) / IDCG@k`` and ``D_r = log2(1 + r)``; per list::

        loss = sum_{(r, c)} w_rc * log2(1 + exp(-sigma * (s_r - s_c)))

    over the pairs of ranks ``r, c <= k`` (both in the top k; every pair when ``k`` is None)
    with ``label_r > label_c``, and weights ``w_rc`` by ``weighing_scheme``:

    - ``"ndcgLoss2PP_scheme"`` (NDCG-Loss2++, the default): ``mu * ndcgLoss2 + lambdaRank``.
    - ``"ndcgLoss2_scheme"``: ``|1/D_{|r-c|} - 1/D_{|r-c|+1}| * |G_r - G_c|``.
    - ``"lambdaRank_scheme"``: ``|1/D_r - 1/D_c| * |G_r - G_c|`` (LambdaRank's |delta nDCG|).
    - ``"ndcgLoss1_scheme"``: ``G_r / D_r``, summed over *every* ordered pair of real items in
      the top k, equal labels and ``r == c`` included (allRank's reading of NDCG-Loss1).
    - ``"rankNet_scheme"``: 1 (RankNet in log2); ``"rankNetWeightedByGTDiff_scheme"``:
      ``|label_r - label_c|``; ``"rankNetWeightedByGTDiffPowed_scheme"``:
      ``|label_r^2 - label_c^2|``.

    The weights (through the ranks) are constants for autograd. Labels must be >= 0. A list
    counts when it has at least two real items and a positive IDCG@k. The ``"sum"`` reduction is
    allRank's default (its sum over the pairs of the whole batch); allRank's ``"mean"`` averages
    over the pooled pairs, while ``"mean"`` here averages the per-list sums over the counted lists.

    Differences from allRank: allRank clamps the pair probabilities at ``eps = 1e-10`` (capping a
    pair's loss at ``log2(1e10) ~ 33.2`` and zeroing its gradient beyond), this computes
    ``w * softplus(-sigma * diff) / ln 2`` exactly; score ties are broken by index rather than
    by an unstable sort. Differences from the paper that follow allRank: the truncation at ``k``
    keeps the pairs with both ranks in the top k, and NDCG-Loss1 includes the pairs ``r == c``.
    """
    check_choice(weighing_scheme, name="weighing_scheme", choices=WEIGHING_SCHEMES)
    k = check_k(k, allow_none=True)
    sigma = check_positive(sigma, "sigma")
    mu = check_in_range(mu, name="mu", low=0.0)
    check_reduction(reduction)
    lists = prepare(scores, labels, mask, loss="lambdaloss", nonnegative_labels=True)
    s, y, m = lists.scores, lists.labels, lists.mask
    n = s.shape[-1]

    order = score_order(s, m)
    ordered, ordered_labels, real = (torch.gather(t, 1, order) for t in (s, y, m))
    gains = exponential_gains(ordered_labels, "lambdaloss")
    ideal = ideal_dcg(gains, k)
    normalized = gains / torch.where(ideal > 0, ideal, torch.ones_like(ideal)).unsqueeze(-1)

    cut = n if k is None else min(k, n)
    top = torch.arange(n, device=s.device) < cut
    pairs = _both_real(real) & (top.unsqueeze(-1) & top.unsqueeze(-2))
    if weighing_scheme != "ndcgLoss1_scheme":
        pairs = pairs & (_pairwise(ordered_labels) > 0)
    weights = _scheme_weights(weighing_scheme, normalized, ordered_labels, mu)
    costs = weights * F.softplus(-sigma * _pairwise(ordered)) / _LN2
    values = torch.where(pairs, costs, _zero(costs)).sum(dim=(1, 2))
    counted = (m.sum(dim=-1) >= 2) & (ideal > 0)
    return reduce_lists(values, counted, reduction, lists)


def approx_ndcg_loss(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    alpha: float = 10.0,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """ApproxNDCG (Qin, Liu & Li, Information Retrieval 2010): ``1 - approximate nDCG`` per list.

    The rank of each real item is approximated by sigmoids of the score differences,
    ``r_i = 1 + sum_{j != i} sigmoid(alpha * (s_j - s_i))``, and::

        loss = 1 - sum_i (2^label_i - 1) / log2(1 + r_i) / IDCG

    over the whole list (no truncation, as allRank). ``alpha`` sharpens the sigmoid: the
    approximation tends to the true nDCG as it grows (default 10, TF-Ranking's; allRank's
    default is 1). Labels must be >= 0. A list counts when it has at least two real items and a
    relevant one. allRank returns ``-mean nDCG`` over every list of the batch (lists without a
    relevant item add 0); with the same lists averaged this is ``1 +`` allRank's value, with the
    same gradients. allRank clamps the sigmoids at ``1e-10`` and its IDCG at ``1e-10``; not here.
    """
    alpha = check_positive(alpha, "alpha")
    check_reduction(reduction)
    lists = prepare(scores, labels, mask, loss="approx_ndcg_loss", nonnegative_labels=True)
    s, y, m = lists.scores, lists.labels, lists.mask
    n = s.shape[-1]

    gains = exponential_gains(y, "approx_ndcg_loss")
    ideal = ideal_dcg(gains, None)
    others = _both_real(m) & ~torch.eye(n, dtype=torch.bool, device=s.device)
    beaten_by = torch.sigmoid(-alpha * _pairwise(s))  # [b, i, j]: sigmoid(alpha * (s_j - s_i))
    ranks = 1.0 + torch.where(others, beaten_by, _zero(s)).sum(dim=-1)
    dcg = torch.where(m, gains / torch.log2(1.0 + ranks), _zero(s)).sum(dim=-1)
    safe = torch.where(ideal > 0, ideal, torch.ones_like(ideal))
    counted = (m.sum(dim=-1) >= 2) & (ideal > 0)
    return reduce_lists(1.0 - dcg / safe, counted, reduction, lists)


def _sinkhorn(matrices: torch.Tensor, max_iter: int, tol: float) -> torch.Tensor:
    """Sinkhorn scaling of (g, n, n) positive matrices toward doubly stochastic ones, as allRank:
    each iteration normalises the columns, then the rows, and a matrix stops once all its row and
    column sums are within ``tol`` of 1 (here per matrix; allRank stops a batch together)."""
    tiny = torch.finfo(matrices.dtype).tiny
    active = torch.ones(matrices.shape[0], dtype=torch.bool, device=matrices.device)
    for _ in range(max_iter):
        step = matrices / matrices.sum(dim=-2, keepdim=True).clamp(min=tiny)
        step = step / step.sum(dim=-1, keepdim=True).clamp(min=tiny)
        matrices = torch.where(active[:, None, None], step, matrices)
        with torch.no_grad():
            rows = (step.sum(dim=-1) - 1.0).abs().amax(dim=-1)
            columns = (step.sum(dim=-2) - 1.0).abs().amax(dim=-1)
            active = active & ~((rows < tol) & (columns < tol))
        if not bool(active.any()):
            break
    return matrices


def neural_ndcg_loss(
    scores: torch.Tensor,
    labels: torch.Tensor,
    mask: torch.Tensor | None = None,
    *,
    temperature: float = 1.0,
    k: int | None = None,
    gain: Literal["exponential", "linear"] = "exponential",
    sinkhorn_max_iter: int = 50,
    sinkhorn_tol: float = 1e-6,
    reduction: Reduction = "mean",
) -> torch.Tensor:
    """NeuralNDCG (Pobrotyn & Bialobrzeski, 2021): ``1 - nDCG@k`` with the sorting of the real
    items relaxed by NeuralSort, as allRank's (deterministic) ``neuralNDCG``.

    Per list of ``n`` real items: ``P = rank_soft.torch.neuralsort_permutation(scores,
    temperature)`` (row ``r`` a softmax over the items, for rank ``r``), made approximately doubly
    stochastic by Sinkhorn scaling (columns then rows, at most ``sinkhorn_max_iter`` iterations,
    stopping when every row and column sum is within ``sinkhorn_tol`` of 1; 0 iterations keeps
    plain NeuralSort), then::

        loss = 1 - sum_{r <= min(k, n)} (P @ g)_r / log2(1 + r) / IDCG@k

    with gains ``g = 2^label - 1`` (``gain="exponential"``) or ``label`` (``"linear"``; allRank's
    ``powered_relevancies=False``). Labels must be >= 0. A list counts when it has at least two
    real items and a positive IDCG@k.

    allRank returns ``-mean nDCG`` over the lists with a positive IDCG; with the same lists this
    is ``1 +`` allRank's value, with the same gradients. Differences from allRank: the Sinkhorn
    stopping test is per list (allRank's is for the whole batch, so a list's loss depended on
    the other lists), its sums are clamped at the smallest normal float rather than 1e-10, and
    nDCG is ``DCG / IDCG`` rather than ``DCG / (IDCG + 1e-10)``; padding may be anywhere (allRank
    assumes it at the end of each list). For exactly reproducible gradients (e.g. gradcheck),
    ``sinkhorn_tol=0`` runs a fixed number of iterations.
    """
    tau = check_positive(temperature, "temperature")
    k = check_k(k, allow_none=True)
    check_choice(gain, name="gain", choices=("exponential", "linear"))
    max_iter = check_k(sinkhorn_max_iter, name="sinkhorn_max_iter")
    tol = check_in_range(sinkhorn_tol, name="sinkhorn_tol", low=0.0)
    check_reduction(reduction)
    lists = prepare(scores, labels, mask, loss="neural_ndcg_loss", nonnegative_labels=True)
    relaxations = require(
        "rank_soft.torch",
        feature="rank_learn.torch.neural_ndcg_loss",
        distribution="rank-learn",
        extra="torch",
    )
    s, y, m = lists.scores, lists.labels, lists.mask

    gains = exponential_gains(y, "neural_ndcg_loss") if gain == "exponential" else y
    ideal = ideal_dcg(gains, k)
    n_real = m.sum(dim=-1)
    counted = (n_real >= 2) & (ideal > 0)
    # real items first, in their order; lists are relaxed in groups of equal length so that
    # NeuralSort sees exactly the real items (it takes no mask)
    compact = torch.sort(m.to(torch.uint8), dim=-1, descending=True, stable=True).indices
    s_compact, g_compact = torch.gather(s, 1, compact), torch.gather(gains, 1, compact)
    values = (s * 0.0).sum(dim=-1)  # zeros, attached to the graph even when no list counts
    for length in torch.unique(n_real[counted]).tolist():
        rows = torch.nonzero(counted & (n_real == length)).squeeze(-1)
        permutation = relaxations.neuralsort_permutation(s_compact[rows, :length], tau)
        permutation = _sinkhorn(permutation, max_iter, tol)
        expected = (permutation @ g_compact[rows, :length].unsqueeze(-1)).squeeze(-1)
        cut = length if k is None else min(k, length)
        positions = torch.arange(2, cut + 2, dtype=s.dtype, device=s.device)
        dcg = (expected[:, :cut] / torch.log2(positions)).sum(dim=-1)
        values = values.index_put((rows,), 1.0 - dcg / ideal[rows])
    return reduce_lists(values, counted, reduction, lists)
