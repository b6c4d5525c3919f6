"""Compile (or load from numba's cache) rank-learn's kernels ahead of first use."""

from __future__ import annotations

import time


def warmup() -> float:
    """Read and write a tiny svmlight file, fit and apply a tiny LambdaMART (binning, trees,
    LambdaRank and XE-NDCG gradients, prediction) and the linear rankers, and return the seconds it took. The first call in a fresh environment compiles;
    later processes load numba's on-disk cache."""
    import numpy as np

    import rank_core
    from rank_learn.data import _warmup as warmup_data
    from rank_learn.lambdamart import LambdaMART
    from rank_learn.linear import LinearLambdaRank, RankSVM

    start = time.perf_counter()
    rank_core.warmup()
    warmup_data()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(64, 3))
    X[0, 0] = np.nan
    y = rng.integers(0, 3, size=64)
    qid = np.repeat(np.arange(4), 16)
    for objective in ("lambdarank", "rank_xendcg"):
        model = LambdaMART(n_estimators=2, num_leaves=3, min_data_in_leaf=2, objective=objective)
        model.fit(X, y, qid=qid, eval_set=[(X, y, qid)]).predict(X)
    finite = np.nan_to_num(X)
    RankSVM(max_epochs=2).fit(finite, y, qid=qid).predict(finite)
    LinearLambdaRank(max_epochs=2).fit(finite, y, qid=qid).predict(finite)
    return time.perf_counter() - start
