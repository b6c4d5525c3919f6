"""Linear rankers: RankSVM against scikit-learn's LinearSVC on the pairwise transform, and
LinearLambdaRank, on LightGBM's LambdaRank example and on a synthetic linear data set.

Same data, same process, same machine. For each data set it times (medians of ``--repeats``
rounds after one warm-up fit each, which also compiles; each round fits every contender once, so a
shared machine's load falls on all of them alike):

- ``RankSVM(C)`` (``pairs="all"``, the default stopping rule), and ``RankSVM(C, pairs=20)``;
- the classic reduction: building one difference vector per pair (``x_i - x_j`` for
  ``y_i > y_j`` in a query, every other one negated with its label, so both classes exist), then
  ``LinearSVC(C, loss="hinge", fit_intercept=False)`` on it: the same objective as ``RankSVM(C)``
  (see ``RankSVM``'s docstring); timed as transform + fit and as fit alone. The primal objective
  each solver reached and the cosine between their weights are printed, so a faster but looser
  solve shows;
- ``LinearLambdaRank()`` and ``LinearLambdaRank(objective="ranknet", learning_rate=0.01)``
  (defaults otherwise);
- LightGBM's ``LGBMRanker`` (``lambdarank``, 100 trees) when installed, for scale and quality.

Quality is the test nDCG@10 (exponential gain ``2^label - 1``, documents by score descending with
ties in input order, a query without relevant document counting 1, LightGBM's convention).
Ratios are the other tool's median over ours. A fresh process also times the cold start (import
+ first fit of each ranker on a tiny set, numba's on-disk cache warm).

    python packages/rank-learn/benchmarks/bench_linear.py --repeats 5

LightGBM's example (``shared/data/lightgbm_lambdarank`` beside the checkout, or ``--data``): LibSVM files
``rank.train`` / ``rank.test`` without query ids, group sizes one per line in ``*.query``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numba
import numpy as np

from rank_learn.linear import LinearLambdaRank, RankSVM

#: ``shared/data`` beside the checkout (``RANK_SHARED_DATA`` overrides it, as for the tests).
SHARED_DATA = Path(os.environ.get("RANK_SHARED_DATA") or Path(__file__).resolve().parents[4] / "shared" / "data")


def round_robin(contenders: dict[str, Callable[[], Any]], repeats: int) -> dict[str, tuple[float, Any]]:
    """Median seconds and last result of each contender. One warm-up call each (compilation,
    caches), then ``repeats`` rounds that call every contender once, so that the load of a
    shared machine falls on all of them alike."""
    results = {name: run() for name, run in contenders.items()}
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), results[name]) for name in contenders}


def ndcg_at_10(scores: np.ndarray, labels: np.ndarray, qid: np.ndarray) -> float:
    values = []
    for q in np.unique(qid):
        s, y = scores[qid == q], labels[qid == q]
        discount = 1.0 / np.log2(np.arange(2, min(10, y.size) + 2))
        ideal = np.sort(y)[::-1][:10]
        best = float(np.sum((2.0**ideal - 1.0) * discount))
        if best == 0.0:
            values.append(1.0)
            continue
        ranked = y[np.argsort(-s, kind="stable")][:10]
        values.append(float(np.sum((2.0**ranked - 1.0) * discount)) / best)
    return float(np.mean(values))


def pairwise_transform(X: np.ndarray, y: np.ndarray, qid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rows = np.arange(y.size)
    highs, lows = [], []
    for q in np.unique(qid):
        member = rows[qid == q]
        high, low = np.nonzero(y[member][:, None] > y[member][None, :])
        highs.append(member[high])
        lows.append(member[low])
    high, low = np.concatenate(highs), np.concatenate(lows)
    signs = np.where(np.arange(high.size) % 2 == 0, 1.0, -1.0)
    return (X[high] - X[low]) * signs[:, None], signs


def ranksvm_objective(w: np.ndarray, differences: np.ndarray, signs: np.ndarray, C: float) -> float:
    margins = signs * (differences @ w)
    return 0.5 * float(w @ w) + C * float(np.maximum(0.0, 1.0 - margins).sum())


def load_lightgbm_example(folder: Path) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    from sklearn.datasets import load_svmlight_file

    parts = []
    n_features = None
    for name in ("rank.train", "rank.test"):
        X, y = load_svmlight_file(str(folder / name), n_features=n_features)
        n_features = X.shape[1]
        sizes = np.loadtxt(folder / f"{name}.query", dtype=np.int64, ndmin=1)
        qid = np.repeat(np.arange(sizes.size), sizes)
        parts.append((np.ascontiguousarray(X.toarray()), y.astype(np.int64), qid))
    if parts[1][0].shape[1] < parts[0][0].shape[1]:
        X_test = np.zeros((parts[1][0].shape[0], parts[0][0].shape[1]))
        X_test[:, : parts[1][0].shape[1]] = parts[1][0]
        parts[1] = (X_test, parts[1][1], parts[1][2])
    return parts[0], parts[1]


def synthetic(n_queries: int, docs: int, n_features: int, seed: int) -> tuple[np.ndarray, ...]:
    """Rows from a hidden linear model with noise, graded labels 0..4 by score quantiles."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n_queries * docs, n_features))
    true_w = np.random.default_rng(99).normal(size=n_features)
    score = X @ true_w + 0.5 * rng.normal(size=X.shape[0])
    y = np.digitize(score, np.quantile(score, [0.5, 0.75, 0.9, 0.97])).astype(np.int64)
    return X, y, np.repeat(np.arange(n_queries), docs)


def bench_dataset(name: str, train: tuple[np.ndarray, ...], test: tuple[np.ndarray, ...], C: float,
                  repeats: int) -> None:
    X, y, qid = train
    X_test, y_test, qid_test = test
    differences, signs = pairwise_transform(X, y, qid)
    print(f"\n## {name}: {X.shape[0]} rows x {X.shape[1]} features, {np.unique(qid).size} queries, "
          f"{differences.shape[0]} pairs (test: {np.unique(qid_test).size} queries)\n")
    contenders: dict[str, Callable[[], Any]] = {
        f"RankSVM(C={C})": lambda: RankSVM(C, random_state=0).fit(X, y, qid=qid),
        f"RankSVM(C={C}, pairs=20)": lambda: RankSVM(C, pairs=20, random_state=0).fit(X, y, qid=qid),
    }
    try:
        from sklearn.svm import LinearSVC
    except ImportError:
        LinearSVC = None
    if LinearSVC is not None:
        def reduction() -> Any:
            diffs, labels = pairwise_transform(X, y, qid)
            return LinearSVC(C=C, loss="hinge", fit_intercept=False).fit(diffs, labels)

        contenders["LinearSVC on pairs: transform + fit"] = reduction
        contenders["LinearSVC on pairs: fit only"] = (
            lambda: LinearSVC(C=C, loss="hinge", fit_intercept=False).fit(differences, signs)
        )
    contenders["LinearLambdaRank()"] = lambda: LinearLambdaRank(random_state=0).fit(X, y, qid=qid)
    contenders["LinearLambdaRank(ranknet, lr=0.01)"] = lambda: LinearLambdaRank(
        objective="ranknet", learning_rate=0.01, random_state=0
    ).fit(X, y, qid=qid)
    try:
        import lightgbm
    except ImportError:
        lightgbm = None
    if lightgbm is not None:
        sizes = np.bincount(qid)
        contenders["LightGBM LGBMRanker (100 trees)"] = lambda: lightgbm.LGBMRanker(
            n_estimators=100, verbose=-1, random_state=0
        ).fit(X, y, group=sizes)
    measured = round_robin(contenders, repeats)

    ours_s, ours = measured[f"RankSVM(C={C})"]
    lambdarank_s = measured["LinearLambdaRank()"][0]
    print("| model | median fit s | ratio (its time / ours) | epochs | RankSVM objective | test nDCG@10 |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, (seconds, model) in measured.items():
        if label.startswith("LinearSVC"):
            w, epochs, reference = model.coef_.ravel(), model.n_iter_, ours_s
        elif label.startswith("LightGBM"):
            w, epochs, reference = None, 100, lambdarank_s
        else:
            w, epochs, reference = model.coef_, model.n_iter_, None
        scores = model.predict(X_test) if w is None else X_test @ w
        objective = "" if w is None or "LambdaRank" in label else f"{ranksvm_objective(w, differences, signs, C):.6g}"
        ratio = "" if reference is None else f"{seconds / reference:.2f}x"
        print(f"| {label} | {seconds:.3f} | {ratio} | {epochs} | {objective} | "
              f"{ndcg_at_10(scores, y_test, qid_test):.4f} |")
    if LinearSVC is not None:
        w = measured["LinearSVC on pairs: fit only"][1].coef_.ravel()
        gap = ranksvm_objective(ours.coef_, differences, signs, C) / ranksvm_objective(w, differences, signs, C) - 1
        cosine = float(ours.coef_ @ w / (np.linalg.norm(ours.coef_) * np.linalg.norm(w)))
        print(f"\nRankSVM vs LinearSVC: cosine of the weights {cosine:.5f}, objective {gap:+.2e} "
              "relative (LinearSVC ratios: its time over RankSVM(C)'s).")
    if lightgbm is not None:
        print("LightGBM's ratio is its time over LinearLambdaRank()'s.")


COLD_START = """
import time
start = time.perf_counter()
import numpy as np
from rank_learn.linear import LinearLambdaRank, RankSVM
rng = np.random.default_rng(0)
X = rng.normal(size=(40, 5)); y = rng.integers(0, 3, size=40); qid = np.repeat(np.arange(4), 10)
RankSVM(max_epochs=2).fit(X, y, qid=qid).predict(X)
LinearLambdaRank(max_epochs=2).fit(X, y, qid=qid).predict(X)
print(time.perf_counter() - start)
"""


def cold_start() -> float:
    subprocess.run([sys.executable, "-c", COLD_START], check=True, capture_output=True)  # fill the cache
    out = subprocess.run([sys.executable, "-c", COLD_START], check=True, capture_output=True, text=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data", type=Path, default=None, help="folder of LightGBM's lambdarank example")
    parser.add_argument("--C", type=float, default=0.1, help="RankSVM / LinearSVC C (default 0.1)")
    parser.add_argument("--synthetic", type=int, nargs=3, default=(300, 60, 40),
                        metavar=("QUERIES", "DOCS", "FEATURES"), help="synthetic training set shape")
    args = parser.parse_args()
    print(f"numpy {np.__version__}, numba {numba.__version__}, {numba.get_num_threads()} numba threads, "
          f"{args.repeats} repeats")
    folder = args.data or SHARED_DATA / "lightgbm_lambdarank"
    if (folder / "rank.train").exists():
        train, test = load_lightgbm_example(folder)
        bench_dataset("LightGBM lambdarank example (rank.train / rank.test)", train, test, args.C, args.repeats)
    else:
        print(f"LightGBM's example not found in {folder}: pass --data")
    queries, docs, features = args.synthetic
    bench_dataset(
        f"synthetic linear ({queries} x {docs} docs, {features} features)",
        synthetic(queries, docs, features, seed=1), synthetic(max(queries // 3, 1), docs, features, seed=2),
        args.C, args.repeats,
    )
    print(f"\ncold start (fresh process: import + first RankSVM and LinearLambdaRank fit, cache warm): "
          f"{cold_start():.2f} s")


if __name__ == "__main__":
    main()
