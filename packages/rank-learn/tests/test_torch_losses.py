"""rank_learn.torch (the ``[torch]`` extra): the neural ranking losses.

Expected values come from independent computations: the naive per-list oracles of
reference_losses.py (Python loops in float64), finite differences (``gradcheck``) for every
gradient, closed forms (ListNet's minimum, the hard nDCG as the relaxations sharpen), and, where
the ``allrank`` package is installed, allRank's own loss functions.
"""

from __future__ import annotations

import importlib.util
import itertools
import math
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType, SimpleNamespace

import numpy as np
import pytest

torch = pytest.importorskip("torch")

sys.path.insert(0, str(Path(__file__).parent))  # the oracles beside this file (importlib mode)

import reference_losses as ref  # noqa: E402

import rank_learn.torch as rlt  # noqa: E402
from rank_core.errors import (  # noqa: E402
    NonFiniteInputError,
    RankTypeError,
    RankValueError,
    ShapeMismatchError,
)
from rank_core.testing import raises_exactly  # noqa: E402

F64 = torch.float64
LOSSES = {
    "ranknet": rlt.ranknet_loss,
    "listnet": rlt.listnet_loss,
    "listmle": rlt.listmle_loss,
    "lambdaloss": rlt.lambdaloss,
    "approx_ndcg": rlt.approx_ndcg_loss,
    "neural_ndcg": rlt.neural_ndcg_loss,
}
NDCG_LOSSES = ["lambdaloss", "approx_ndcg", "neural_ndcg"]
REDUCTIONS = ["none", "sum", "mean"]


def _case(loss: str, oracle, **options):
    name = "-".join([loss, *(f"{key}={value}" for key, value in options.items())])
    return pytest.param(loss, options, oracle, id=name)


# (loss, keyword options, oracle(scores, labels) -> value or None) for each configuration
CASES = [
    _case("ranknet", ref.ranknet),
    _case("ranknet", lambda s, y: ref.ranknet(s, y, sigma=2.5), sigma=2.5),
    _case("ranknet", lambda s, y: ref.ranknet(s, y, weighted=True), weighted=True),
    _case("ranknet", lambda s, y: ref.ranknet(s, y, 0.5, weighted=True), sigma=0.5, weighted=True),
    _case("listnet", ref.listnet),
    _case("listnet", lambda s, y: ref.listnet(s, y, 0.5), temperature=0.5),
    _case("listmle", ref.listmle, ties="score"),
    _case(
        "listmle",
        lambda s, y: ref.listmle(s, y, ref.listmle_order(s, y, "index")),
        ties="index",
    ),
    *[
        _case(
            "lambdaloss", lambda s, y, w=w, k=k: ref.lambdaloss(s, y, w, k), weighing_scheme=w, k=k
        )
        for w in rlt.WEIGHING_SCHEMES
        for k in (None, 3)
    ],
    _case(
        "lambdaloss",
        lambda s, y: ref.lambdaloss(s, y, "ndcgLoss2PP_scheme", 2, sigma=0.7, mu=3.0),
        k=2,
        sigma=0.7,
        mu=3.0,
    ),
    _case("approx_ndcg", ref.approx_ndcg),
    _case("approx_ndcg", lambda s, y: ref.approx_ndcg(s, y, alpha=1.0), alpha=1.0),
    _case("neural_ndcg", ref.neural_ndcg),
    _case(
        "neural_ndcg",
        lambda s, y: ref.neural_ndcg(s, y, temperature=0.5, k=3),
        temperature=0.5,
        k=3,
    ),
    _case(
        "neural_ndcg",
        lambda s, y: ref.neural_ndcg(s, y, gain="linear", k=2, max_iter=5, tol=0.0),
        gain="linear",
        k=2,
        sinkhorn_max_iter=5,
        sinkhorn_tol=0.0,
    ),
    _case(
        "neural_ndcg",
        lambda s, y: ref.neural_ndcg(s, y, temperature=2.0, max_iter=0),
        temperature=2.0,
        sinkhorn_max_iter=0,
    ),
]
# one configuration per loss (and the variants that change the code path) for the slower tests
MAIN_CASES = [
    ("ranknet", {}),
    ("ranknet", {"weighted": True}),
    ("listnet", {"temperature": 0.5}),
    ("listmle", {}),
    ("lambdaloss", {}),
    ("lambdaloss", {"weighing_scheme": "ndcgLoss1_scheme", "k": 3}),
    ("lambdaloss", {"weighing_scheme": "lambdaRank_scheme", "k": 2}),
    ("approx_ndcg", {}),
    ("neural_ndcg", {"k": 3, "sinkhorn_tol": 0.0, "sinkhorn_max_iter": 10}),
]
MAIN_IDS = [
    "-".join([loss, *(f"{key}={value}" for key, value in options.items())])
    for loss, options in MAIN_CASES
]


def _batch(seed: int, *, batch: int = 7, n: int = 7, ties: bool = True):
    """Scores (with score ties), integer labels 0..3 (with label ties) and a padding mask with
    padding anywhere; row 1 has one real item, row 2 no relevant item, row 3 no padding, row 4
    only padding. Padded entries hold garbage: NaN / huge scores, NaN / negative labels."""
    rng = np.random.default_rng(seed)
    scores = rng.normal(size=(batch, n)) * 2.0
    if ties:
        scores = np.round(scores, 1)
        scores[0, 1] = scores[0, 4]
        scores[5, 0] = scores[5, 2] = scores[5, 6]
    labels = rng.integers(0, 4, size=(batch, n)).astype(np.float64)
    mask = rng.random((batch, n)) > 0.3
    mask[0, :3] = True
    mask[1] = False
    mask[1, 3] = True
    labels[2] = 0.0
    mask[2, :3] = True
    mask[3] = True
    mask[4] = False
    labels[5, :4] = [3.0, 1.0, 3.0, 0.0]
    mask[5, :4] = True
    garbage = rng.choice([math.nan, 1e30, -1e30, 7.0], size=(batch, n))
    scores = np.where(mask, scores, garbage)
    labels = np.where(mask, labels, rng.choice([math.nan, -1.0, 9.0], size=(batch, n)))
    return torch.from_numpy(scores), torch.from_numpy(labels), torch.from_numpy(mask)


def _oracle(oracle, scores, labels, mask) -> list[float | None]:
    values = []
    for s, y, m in zip(scores.tolist(), labels.tolist(), mask.tolist(), strict=True):
        real = [i for i, keep in enumerate(m) if keep]
        values.append(oracle([s[i] for i in real], [y[i] for i in real]))
    return values


def _loss(loss: str, *args, **options):
    return LOSSES[loss](*args, **options)


# --- values: the naive oracles, float64, with score/label ties, padding, k ----------------------


@pytest.mark.parametrize(("loss", "options", "oracle"), CASES)
def test_matches_oracle(loss, options, oracle) -> None:
    for seed in (0, 1):
        scores, labels, mask = _batch(seed)
        expected = _oracle(oracle, scores, labels, mask)
        assert any(v is None for v in expected) and any(v is not None for v in expected)
        for reduction in REDUCTIONS:
            got = _loss(loss, scores, labels, mask, reduction=reduction, **options)
            assert got.dtype == F64
            want = ref.reduce(expected, reduction)
            np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize(("loss", "options"), MAIN_CASES, ids=MAIN_IDS)
def test_one_dimensional_input_is_one_list(loss, options) -> None:
    scores, labels, mask = _batch(3)
    for row in (0, 3, 5):
        whole = _loss(loss, scores, labels, mask, reduction="none", **options)[row]
        single = _loss(loss, scores[row], labels[row], mask[row], reduction="none", **options)
        assert single.shape == ()
        torch.testing.assert_close(single, whole, rtol=1e-12, atol=1e-12)
        mean = _loss(loss, scores[row], labels[row], mask[row], **options)
        torch.testing.assert_close(mean, whole, rtol=1e-12, atol=1e-12)


def test_listmle_random_ties_draw_one_consistent_order() -> None:
    scores = torch.tensor([[0.3, -1.2, 2.0, 0.7, 1.1]], dtype=F64)
    labels = torch.tensor([[1.0, 2.0, 1.0, 1.0, 0.0]], dtype=F64)
    s, y = scores[0].tolist(), labels[0].tolist()
    possible = [
        ref.listmle(s, y, ref.listmle_order(s, y, "random", p))
        for p in itertools.permutations(range(5))
    ]
    seen = set()
    for seed in range(12):
        value = rlt.listmle_loss(
            scores, labels, ties="random", generator=torch.Generator().manual_seed(seed)
        ).item()
        assert min(abs(value - p) for p in possible) < 1e-12
        again = rlt.listmle_loss(
            scores, labels, ties="random", generator=torch.Generator().manual_seed(seed)
        ).item()
        assert again == value  # reproducible with a seeded generator
        seen.add(round(value, 9))
    assert len(seen) > 1  # the tie order really is drawn
    # the default "score" order is the most likely one: the smallest loss of all the tie orders
    assert rlt.listmle_loss(scores, labels).item() == pytest.approx(min(possible), abs=1e-12)
    # without label ties every rule gives the same loss
    distinct = torch.tensor([[3.0, 2.0, 0.0, 1.0, 4.0]], dtype=F64)
    values = {
        ties: rlt.listmle_loss(scores, distinct, ties=ties).item() for ties in rlt.LISTMLE_TIES
    }
    assert max(values.values()) - min(values.values()) < 1e-12


# --- gradients: finite differences, float64 -------------------------------------------------------


@pytest.mark.parametrize(("loss", "options"), MAIN_CASES, ids=MAIN_IDS)
def test_gradcheck(loss, options) -> None:
    # distinct scores, at least 0.1 apart: no ranking changes inside the finite differences
    scores = torch.tensor(
        [[0.5, -1.3, 2.1, 0.9, -0.2], [1.4, 0.3, -0.8, 2.6, -1.9]], dtype=F64, requires_grad=True
    )
    labels = torch.tensor([[2.0, 0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 3.0, 1.0, 2.0]], dtype=F64)
    mask = torch.tensor([[True, True, True, False, True], [True] * 5])
    function = lambda x: _loss(loss, x, labels, mask, reduction="none", **options)  # noqa: E731
    assert torch.autograd.gradcheck(function, (scores,))


def test_gradcheck_listmle_index_ties_and_neural_ndcg_linear() -> None:
    scores = torch.tensor([[0.4, 1.7, -0.6, 1.1]], dtype=F64, requires_grad=True)
    labels = torch.tensor([[1.0, 1.0, 0.0, 2.0]], dtype=F64)
    assert torch.autograd.gradcheck(
        lambda x: rlt.listmle_loss(x, labels, ties="index", reduction="sum"), (scores,)
    )
    assert torch.autograd.gradcheck(
        lambda x: rlt.neural_ndcg_loss(
            x, labels, temperature=0.7, gain="linear", sinkhorn_tol=0.0, reduction="sum"
        ),
        (scores,),
    )


# --- invariances ----------------------------------------------------------------------------------


def _value_and_grad(loss, scores, labels, mask, options):
    scores = scores.clone().requires_grad_(True)
    values = _loss(loss, scores, labels, mask, reduction="none", **options)
    (grad,) = torch.autograd.grad(values.sum(), scores)
    return values.detach(), grad


@pytest.mark.parametrize(("loss", "options"), MAIN_CASES, ids=MAIN_IDS)
def test_padding_changes_nothing(loss, options) -> None:
    rng = np.random.default_rng(11)
    batch, n, extra = 4, 5, 4
    scores = torch.from_numpy(rng.normal(size=(batch, n)) * 2.0)
    labels = torch.from_numpy(rng.integers(0, 4, size=(batch, n)).astype(np.float64))
    base_values, base_grad = _value_and_grad(loss, scores, labels, None, options)
    assert bool((base_values != 0).any())

    # insert padded items anywhere, with arbitrary scores and labels
    total = n + extra
    padded_scores = torch.from_numpy(rng.choice([math.nan, math.inf, 1e6, -3.0], (batch, total)))
    padded_labels = torch.from_numpy(rng.choice([math.nan, -1.0, 4.0, 100.0], (batch, total)))
    mask = torch.zeros((batch, total), dtype=torch.bool)
    for row in range(batch):
        where = np.sort(rng.choice(total, size=n, replace=False))
        mask[row, where] = True
        padded_scores[row, where] = scores[row]
        padded_labels[row, where] = labels[row]
    values, grad = _value_and_grad(loss, padded_scores, padded_labels, mask, options)
    torch.testing.assert_close(values, base_values, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(grad[mask].reshape(batch, n), base_grad, rtol=1e-12, atol=1e-12)
    assert bool((grad[~mask] == 0).all())
    assert bool(torch.isfinite(grad).all())


@pytest.mark.parametrize(("loss", "options"), MAIN_CASES, ids=MAIN_IDS)
def test_permuting_the_items_changes_nothing(loss, options) -> None:
    rng = np.random.default_rng(5)
    batch, n = 4, 6
    scores = torch.from_numpy(rng.normal(size=(batch, n)) * 2.0)  # distinct: no score ties
    labels = torch.from_numpy(rng.integers(0, 3, size=(batch, n)).astype(np.float64))  # ties
    mask = torch.from_numpy(rng.random((batch, n)) > 0.2)
    values, grad = _value_and_grad(loss, scores, labels, mask, options)
    permutation = torch.from_numpy(np.stack([rng.permutation(n) for _ in range(batch)]))
    take = lambda t: torch.gather(t, 1, permutation)  # noqa: E731
    moved_values, moved_grad = _value_and_grad(
        loss, take(scores), take(labels), take(mask), options
    )
    torch.testing.assert_close(moved_values, values, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(moved_grad, take(grad), rtol=1e-12, atol=1e-12)


# --- known limits and closed forms -----------------------------------------------------------------


@pytest.mark.parametrize("temperature", [1.0, 0.25])
def test_listnet_is_smallest_at_the_label_logits(temperature) -> None:
    labels = torch.tensor([[3.0, 0.0, 1.0, 2.0, 1.0]], dtype=F64)
    best = (temperature * labels + 4.2).requires_grad_(True)  # any shift
    value = rlt.listnet_loss(best, labels, temperature=temperature)
    target = torch.softmax(labels, dim=-1)
    entropy = -(target * target.log()).sum()
    torch.testing.assert_close(value, entropy, rtol=1e-12, atol=1e-12)
    (grad,) = torch.autograd.grad(value, best)
    assert float(grad.abs().max()) < 1e-12
    rng = np.random.default_rng(0)
    for _ in range(5):
        moved = best.detach() + torch.from_numpy(rng.normal(size=best.shape) * 0.1)
        assert rlt.listnet_loss(moved, labels, temperature=temperature) > value


def test_pairwise_losses_vanish_with_large_margins() -> None:
    labels = torch.tensor([[3.0, 0.0, 1.0, 1.0, 2.0], [0.0, 2.0, 1.0, 0.0, 0.0]], dtype=F64)
    scores = 60.0 * labels
    assert rlt.ranknet_loss(scores, labels).item() < 1e-20
    assert rlt.ranknet_loss(scores, labels, weighted=True).item() < 1e-20
    for scheme in rlt.WEIGHING_SCHEMES:
        if scheme != "ndcgLoss1_scheme":
            assert rlt.lambdaloss(scores, labels, weighing_scheme=scheme).item() < 1e-20
    # the reversed order costs about sigma * margin per pair
    assert rlt.ranknet_loss(-scores, labels, sigma=0.5).item() > 10.0
    distinct = torch.tensor([[4.0, 0.0, 1.0, 3.0, 2.0]], dtype=F64)
    assert rlt.listmle_loss(60.0 * distinct, distinct).item() < 1e-20


def test_ndcg_relaxations_tend_to_the_hard_ndcg() -> None:
    rng = np.random.default_rng(2)
    for _ in range(4):
        scores = np.round(rng.normal(size=6) * 3.0, 1)
        while len(set(scores)) < 6:
            scores = np.round(rng.normal(size=6) * 3.0, 1)
        labels = rng.integers(0, 4, size=6).astype(np.float64)
        labels[0] = 2.0
        s, y = torch.from_numpy(scores), torch.from_numpy(labels)
        hard = ref.hard_ndcg(scores.tolist(), labels.tolist())
        approx = rlt.approx_ndcg_loss(s, y, alpha=1e4).item()
        assert approx == pytest.approx(1.0 - hard, abs=1e-12)
        for k in (None, 2):
            hard_k = ref.hard_ndcg(scores.tolist(), labels.tolist(), k)
            neural = rlt.neural_ndcg_loss(s, y, temperature=1e-3, k=k).item()
            assert neural == pytest.approx(1.0 - hard_k, abs=1e-9)
    # a perfect ranking scores 0 for both
    y = torch.tensor([3.0, 2.0, 1.0, 0.0], dtype=F64)
    assert rlt.approx_ndcg_loss(10.0 * y, y, alpha=100.0).item() < 1e-12
    assert rlt.neural_ndcg_loss(10.0 * y, y, temperature=0.01).item() < 1e-12


@pytest.mark.parametrize("loss", list(LOSSES))
def test_lists_that_do_not_count(loss) -> None:
    scores = torch.tensor([[0.3, 1.0, -0.5], [0.2, 0.9, 1.5], [2.0, 0.0, 1.0]], dtype=F64)
    labels = torch.tensor([[1.0, 0.0, 2.0], [2.0, 1.0, 0.0], [0.0, 0.0, 0.0]], dtype=F64)
    # row 0: one real item; row 1: a proper list; row 2: no relevant item / no pair
    mask = torch.tensor([[False, True, False], [True, True, True], [True, True, True]])
    per_list = _loss(loss, scores, labels, mask, reduction="none")
    assert per_list[0] == 0.0
    assert per_list[1] > 0.0
    counts_row_2 = loss in ("listnet", "listmle")  # all-equal labels still carry a signal there
    assert (per_list[2] > 0.0) == counts_row_2
    counted = 2 if counts_row_2 else 1
    torch.testing.assert_close(
        _loss(loss, scores, labels, mask), per_list.sum() / counted, rtol=1e-14, atol=0.0
    )
    torch.testing.assert_close(_loss(loss, scores, labels, mask, reduction="sum"), per_list.sum())


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("shape", [(3, 4), (0, 4), (3, 0), (0,)])
def test_nothing_to_learn_gives_a_zero_loss_with_a_gradient(loss, shape) -> None:
    scores = torch.randn(shape, dtype=F64, requires_grad=True)
    labels = torch.ones(shape, dtype=F64)
    mask = torch.zeros(shape, dtype=torch.bool)
    for reduction in ("mean", "sum"):
        value = _loss(loss, scores, labels, mask, reduction=reduction)
        assert value.shape == () and value.item() == 0.0
        value.backward()
        assert bool((scores.grad == 0).all())
    assert _loss(loss, scores, labels, mask, reduction="none").shape == shape[:-1]


def test_k_zero_and_k_beyond_the_list() -> None:
    scores, labels, mask = _batch(4)
    for loss in ("lambdaloss", "neural_ndcg"):
        assert _loss(loss, scores, labels, mask, k=0, reduction="sum").item() == 0.0
        whole = _loss(loss, scores, labels, mask, reduction="none")
        torch.testing.assert_close(_loss(loss, scores, labels, mask, k=50, reduction="none"), whole)


# --- dtypes ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("loss", "options"), MAIN_CASES, ids=MAIN_IDS)
def test_float32_in_float32_out(loss, options) -> None:
    scores, labels, mask = _batch(6, ties=False)
    want = _loss(loss, scores, labels, mask, reduction="none", **options)
    single = scores.float().requires_grad_(True)
    got = _loss(loss, single, labels.long().where(mask, 0), mask, reduction="none", **options)
    assert got.dtype == torch.float32
    torch.testing.assert_close(got, want.float(), rtol=1e-4, atol=1e-5)
    got.sum().backward()
    assert single.grad.dtype == torch.float32


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_half_precision_is_computed_in_float32(loss, dtype) -> None:
    scores, labels, mask = _batch(8, ties=False)
    half = scores.where(mask, 0.0).to(dtype).requires_grad_(True)
    got = _loss(loss, half, labels, mask)
    assert got.dtype == dtype
    want = _loss(loss, half.detach().float(), labels, mask)
    torch.testing.assert_close(got, want.to(dtype))
    got.backward()
    assert half.grad.dtype == dtype


def test_labels_of_any_real_dtype() -> None:
    scores = torch.tensor([[0.2, 1.3, -0.4]], dtype=F64)
    for labels in (torch.tensor([[1, 0, 2]]), torch.tensor([[True, False, True]])):
        for loss in LOSSES.values():
            want = loss(scores, labels.to(F64))
            torch.testing.assert_close(loss(scores, labels), want)


# --- bad input ------------------------------------------------------------------------------------

GOOD_S = torch.tensor([[0.1, 0.5, -0.2]], dtype=F64)
GOOD_Y = torch.tensor([[1.0, 0.0, 2.0]], dtype=F64)


@pytest.mark.parametrize("loss", list(LOSSES))
def test_bad_shapes_and_types(loss) -> None:
    with raises_exactly(ShapeMismatchError, ValueError, match=r"same shape.*\(1, 3\).*\(1, 4\)"):
        _loss(loss, GOOD_S, torch.zeros(1, 4))
    with raises_exactly(ShapeMismatchError, ValueError, match="scores and mask"):
        _loss(loss, GOOD_S, GOOD_Y, torch.ones(3, dtype=torch.bool))
    with raises_exactly(ShapeMismatchError, ValueError, match="1-D .* or 2-D"):
        _loss(loss, GOOD_S.reshape(1, 1, 3), GOOD_Y.reshape(1, 1, 3))
    with raises_exactly(RankTypeError, TypeError, match="floating-point"):
        _loss(loss, torch.tensor([[1, 2, 3]]), GOOD_Y)
    with raises_exactly(RankTypeError, TypeError, match="torch.Tensor"):
        _loss(loss, [[0.1, 0.5, -0.2]], GOOD_Y)
    with raises_exactly(RankTypeError, TypeError, match="labels must be a torch.Tensor"):
        _loss(loss, GOOD_S, [[1.0, 0.0, 2.0]])
    with raises_exactly(RankTypeError, TypeError, match=r"bool tensor.*mask.bool\(\)"):
        _loss(loss, GOOD_S, GOOD_Y, torch.ones(1, 3))
    with raises_exactly(RankValueError, ValueError, match="'mean', 'sum', 'none'; got 'avg'"):
        _loss(loss, GOOD_S, GOOD_Y, reduction="avg")


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_inputs_on_real_items(loss, bad) -> None:
    scores = GOOD_S.clone()
    scores[0, 1] = bad
    with raises_exactly(
        NonFiniteInputError, ValueError, match=r"scores must be finite.*index \(0, 1\)"
    ):
        _loss(loss, scores, GOOD_Y)
    labels = GOOD_Y.clone()
    labels[0, 2] = bad
    with raises_exactly(NonFiniteInputError, ValueError, match=r"labels must be finite.*\(0, 2\)"):
        _loss(loss, GOOD_S, labels)
    # the same values on a padded item are ignored
    mask = torch.tensor([[True, False, True]])
    assert torch.isfinite(_loss(loss, scores, GOOD_Y, mask))


@pytest.mark.parametrize("loss", [*NDCG_LOSSES, "ranknet"])
def test_negative_labels_need_a_mask(loss) -> None:
    labels = torch.tensor([[1.0, -1.0, 2.0]], dtype=F64)
    options = {"weighted": True} if loss == "ranknet" else {}
    with raises_exactly(RankValueError, ValueError, match=r"labels >= 0.*mask=labels >= 0"):
        _loss(loss, GOOD_S, labels, **options)
    assert torch.isfinite(_loss(loss, GOOD_S, labels, labels >= 0, **options))
    with raises_exactly(RankValueError, ValueError, match="too large for the exponential gain"):
        _loss(loss, GOOD_S.float(), torch.tensor([[1.0, 200.0, 2.0]]), **options)


def test_order_based_losses_take_any_real_labels() -> None:
    teacher = torch.tensor([[-1.5, 0.3, -0.2]], dtype=F64)
    for loss in (rlt.ranknet_loss, rlt.listnet_loss, rlt.listmle_loss):
        shifted = loss(GOOD_S, teacher + 10.0)
        if loss is rlt.listnet_loss:  # a softmax target: shifts do not matter
            torch.testing.assert_close(loss(GOOD_S, teacher), shifted)
        else:  # only the order of the labels matters
            torch.testing.assert_close(loss(GOOD_S, teacher), shifted)
            torch.testing.assert_close(loss(GOOD_S, 3.0 * teacher), shifted)


@pytest.mark.parametrize(
    ("loss", "option", "value", "error", "builtin", "match"),
    [
        ("listnet", "temperature", -1.0, RankValueError, ValueError, r"temperature must be in \(0"),
        ("listnet", "temperature", 0.0, RankValueError, ValueError, "temperature"),
        ("neural_ndcg", "temperature", -0.5, RankValueError, ValueError, "temperature"),
        ("neural_ndcg", "temperature", math.nan, NonFiniteInputError, ValueError, "temperature"),
        ("ranknet", "sigma", 0.0, RankValueError, ValueError, "sigma"),
        ("lambdaloss", "sigma", -1.0, RankValueError, ValueError, "sigma"),
        ("lambdaloss", "mu", -1.0, RankValueError, ValueError, "mu"),
        ("approx_ndcg", "alpha", 0.0, RankValueError, ValueError, "alpha"),
        ("lambdaloss", "k", -1, RankValueError, ValueError, "k must be >= 0"),
        ("neural_ndcg", "k", 2.5, RankTypeError, TypeError, "k must be"),
        ("neural_ndcg", "gain", "log", RankValueError, ValueError, "'exponential', 'linear'"),
        ("neural_ndcg", "sinkhorn_max_iter", -1, RankValueError, ValueError, "sinkhorn_max_iter"),
        ("neural_ndcg", "sinkhorn_tol", -1e-3, RankValueError, ValueError, "sinkhorn_tol"),
        ("ranknet", "weighted", "yes", RankTypeError, TypeError, "weighted must be a bool"),
        ("listmle", "ties", "first", RankValueError, ValueError, "'score', 'index', 'random'"),
        ("listmle", "generator", 3, RankTypeError, TypeError, "torch.Generator"),
    ],
)
def test_bad_options(loss, option, value, error, builtin, match) -> None:
    with raises_exactly(error, builtin, match=match):
        _loss(loss, GOOD_S, GOOD_Y, **{option: value})


def test_unknown_weighing_scheme_lists_the_choices() -> None:
    with raises_exactly(RankValueError, ValueError, match="weighing_scheme must be one of") as info:
        rlt.lambdaloss(GOOD_S, GOOD_Y, weighing_scheme="ndcgLoss3_scheme")
    for scheme in rlt.WEIGHING_SCHEMES:
        assert repr(scheme) in str(info.value)
    assert "'ndcgLoss3_scheme'" in str(info.value)


def test_neural_ndcg_without_rank_soft_names_the_extra() -> None:
    code = (
        "import sys, torch\n"
        "sys.modules['rank_soft'] = None  # import rank_soft now fails, as if not installed\n"
        "import rank_learn.torch as rlt\n"
        "s = torch.tensor([0.3, 1.0]); y = torch.tensor([1.0, 0.0])\n"
        "assert float(rlt.lambdaloss(s, y)) >= 0.0  # the other losses need no rank-soft\n"
        "try:\n"
        "    rlt.neural_ndcg_loss(s, y)\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__)\n"
        "    print(error.install_hint)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "OptionalDependencyError",
        'pip install "rank-learn[torch]"',
    ]


def test_rank_learn_torch_without_torch_in_a_fresh_interpreter() -> None:
    """test_torch_missing.py checks this where torch is really absent; here it is simulated."""
    code = (
        "import sys\n"
        "sys.modules['torch'] = None  # import torch now fails, as if it were not installed\n"
        "import rank_learn\n"
        "try:\n"
        "    from rank_learn.torch import lambdaloss\n"
        "except ImportError as error:\n"
        "    print(type(error).__name__)\n"
        "    print(error.install_hint)\n"
        "print('rank_learn.torch' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "OptionalDependencyError",
        'pip install "rank-learn[torch]"',
        "False",
    ]


# --- parity with allRank (only where the allrank package is installed) --------------------------
#
# allRank 1.4.3 pins torch<=1.8 and its package imports scikit-learn, torchvision and gcsfs at
# import time (its data loading), none of which its losses use. So its loss modules are loaded
# from the installed files with those imports stubbed (PADDED_Y_VALUE = -1, the CPU device).

_ALLRANK_MODULES = ["rankNet", "listNet", "listMLE", "lambdaLoss", "approxNDCG", "neuralNDCG"]


@pytest.fixture(scope="module")
def allrank() -> SimpleNamespace:
    spec = importlib.util.find_spec("allrank")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("allrank is not installed")
    root = Path(next(iter(spec.submodule_search_locations)))
    names = [
        "allrank", "allrank.data", "allrank.data.dataset_loading", "allrank.models",
        "allrank.models.model_utils", "allrank.models.metrics", "allrank.models.losses",
        "allrank.models.losses.loss_utils", *(f"allrank.models.losses.{m}" for m in _ALLRANK_MODULES),
    ]  # fmt: skip
    saved = {name: sys.modules.get(name) for name in names}

    def stub(name: str, **attributes) -> ModuleType:
        module = ModuleType(name)
        module.__path__ = []  # a package, so that its submodules can be registered
        module.__dict__.update(attributes)
        sys.modules[name] = module
        return module

    def load(name: str, path: Path) -> ModuleType:
        module_spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(module_spec)
        sys.modules[name] = module
        module_spec.loader.exec_module(module)
        return module

    try:
        for name in ("allrank", "allrank.data", "allrank.models"):
            stub(name)
        stub("allrank.data.dataset_loading", PADDED_Y_VALUE=-1)
        stub("allrank.models.model_utils", get_torch_device=lambda: torch.device("cpu"))
        stub("allrank.models.losses", DEFAULT_EPS=1e-10)
        load("allrank.models.metrics", root / "models" / "metrics.py")
        load("allrank.models.losses.loss_utils", root / "models" / "losses" / "loss_utils.py")
        modules = {
            m: load(f"allrank.models.losses.{m}", root / "models" / "losses" / f"{m}.py")
            for m in _ALLRANK_MODULES
        }
    finally:
        for name, module in saved.items():
            if module is None:
                sys.modules.pop(name, None)
            else:
                sys.modules[name] = module
    functions = {m: getattr(modules[m], m) for m in _ALLRANK_MODULES if m != "approxNDCG"}
    return SimpleNamespace(approxNDCG=modules["approxNDCG"].approxNDCGLoss, **functions)


def _allrank_batch(seed: int, *, batch: int = 5, n: int = 8, dtype=F64, distinct_labels=False):
    """Every list with >= 2 real items and a relevant one; allRank's -1 labels mark padding."""
    rng = np.random.default_rng(seed)
    scores = torch.from_numpy(rng.normal(size=(batch, n)) * 2.0).to(dtype)
    if distinct_labels:  # the first two items differ, so one of them is relevant
        labels = np.stack([rng.permutation(n) for _ in range(batch)]).astype(np.float64)
    else:
        labels = rng.integers(0, 4, size=(batch, n)).astype(np.float64)
        labels[:, 0] = 2.0
        labels[:, 1] = 0.0
    mask = rng.random((batch, n)) > 0.3
    mask[:, :2] = True
    labels = torch.from_numpy(np.where(mask, labels, -1.0)).to(dtype)
    return scores, labels, torch.from_numpy(mask)


def test_allrank_ranknet(allrank) -> None:
    scores, labels, mask = _allrank_batch(0)
    per_list = rlt.ranknet_loss(scores, labels, mask, reduction="none")
    n_pairs = (
        (labels.unsqueeze(-1) > labels.unsqueeze(-2)) & mask.unsqueeze(-1) & mask.unsqueeze(-2)
    ).sum((1, 2))
    pooled = (per_list * n_pairs).sum() / n_pairs.sum()  # allRank averages the pooled pairs
    want = allrank.rankNet(scores.float(), labels.float())
    torch.testing.assert_close(pooled.float(), want, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(
        rlt.ranknet_loss(scores[:1], labels[:1], mask[:1]).float(),
        allrank.rankNet(scores[:1].float(), labels[:1].float()),
        rtol=1e-5, atol=1e-6,
    )  # fmt: skip


def test_allrank_listnet_and_listmle(allrank) -> None:
    scores, labels, mask = _allrank_batch(1, distinct_labels=True)  # no random ties in ListMLE
    # allRank adds eps = 1e-10 inside its logarithms, hence the tolerances
    torch.testing.assert_close(
        rlt.listnet_loss(scores, labels, mask),
        allrank.listNet(scores, labels),
        rtol=1e-7,
        atol=1e-7,
    )
    torch.testing.assert_close(
        rlt.listmle_loss(scores, labels, mask),
        allrank.listMLE(scores, labels),
        rtol=1e-7,
        atol=1e-7,
    )


@pytest.mark.parametrize("scheme", rlt.WEIGHING_SCHEMES)
@pytest.mark.parametrize("k", [None, 3])
def test_allrank_lambdaloss(allrank, scheme, k) -> None:
    scores, labels, mask = _allrank_batch(2)
    scores = 0.3 * scores  # no pair reaches allRank's clamp (a pair loss of log2(1e10))
    ours = rlt.lambdaloss(
        scores, labels, mask, weighing_scheme=scheme, k=k, sigma=0.8, mu=4.0, reduction="sum"
    )
    want = allrank.lambdaLoss(
        scores, labels, weighing_scheme=scheme, k=k, sigma=0.8, mu=4.0, reduction="sum"
    )
    torch.testing.assert_close(ours, want, rtol=1e-6, atol=1e-8)  # allRank's discounts are float32


def test_lambdaloss_is_not_clamped_like_allranks() -> None:
    # allRank caps a pair's loss at log2(1e10) ~ 33.2 and zeroes its gradient beyond: not here
    scores = torch.tensor([0.0, 40.0], dtype=F64, requires_grad=True)
    labels = torch.tensor([1.0, 0.0], dtype=F64)
    value = rlt.lambdaloss(scores, labels, weighing_scheme="rankNet_scheme")
    assert value.item() == pytest.approx(40.0 / math.log(2.0), rel=1e-12)
    value.backward()
    torch.testing.assert_close(scores.grad, torch.tensor([-1.0, 1.0], dtype=F64) / math.log(2.0))


@pytest.mark.parametrize("alpha", [1.0, 10.0])
def test_allrank_approx_ndcg(allrank, alpha) -> None:
    scores, labels, mask = _allrank_batch(3)
    ours = rlt.approx_ndcg_loss(scores, labels, mask, alpha=alpha)
    want = allrank.approxNDCG(scores, labels, alpha=alpha)
    torch.testing.assert_close(ours - 1.0, want, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(("k", "gain"), [(None, "exponential"), (3, "exponential"), (4, "linear")])
def test_allrank_neural_ndcg(allrank, k, gain) -> None:
    # allRank's NeuralSort only runs in float32 and expects the padding at the end of each list
    scores, labels, mask = _allrank_batch(4, dtype=torch.float32)
    order = torch.sort(mask.to(torch.uint8), dim=-1, descending=True, stable=True).indices
    scores, labels, mask = (torch.gather(t, 1, order) for t in (scores, labels, mask))
    for row in range(scores.shape[0]):  # one list at a time: allRank stops Sinkhorn per batch
        s, y, m = scores[row : row + 1], labels[row : row + 1], mask[row : row + 1]
        ours = rlt.neural_ndcg_loss(s, y, m, temperature=0.8, k=k, gain=gain)
        want = allrank.neuralNDCG(
            s, y, temperature=0.8, k=k, powered_relevancies=gain == "exponential"
        )
        torch.testing.assert_close(ours - 1.0, want, rtol=1e-5, atol=1e-5)


def test_error_messages_name_the_argument() -> None:
    with pytest.raises(RankValueError, match=re.escape("mu must be in [0.0, inf], got -2.0")):
        rlt.lambdaloss(GOOD_S, GOOD_Y, mu=-2.0)
