"""LambdaMART against LightGBM's lambdarank and XGBoost's rank:ndcg: training time, test nDCG,
prediction throughput, in one run, on the same data and machine.

Data: LightGBM's lambdarank example (../shared/data/lightgbm_lambdarank: train on rank.train,
test on rank.test) and a synthetic MSLR-shaped set (100,000 training rows, 136 features, ~120
documents per query, labels 0-4; a second draw of 25,000 rows to test on).

Matched settings: 100 trees, 31 leaves (leaf-wise), learning rate 0.1, at most 255 bins, no L2
(XGBoost's default reg_lambda=1 is set to 0), LightGBM's min 20 rows per leaf (XGBoost has no row
minimum: min_child_weight stays at its hessian default), nDCG-weighted pairs truncated at 30.
Times are medians of --repeat fits after one untimed warm-up fit (numba compiles on the first
call; the cold start is measured separately in a fresh process).

    python packages/rank-learn/benchmarks/bench_lambdamart.py [--repeat 3] [--threads 1 2] [--datasets example mslr]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from rank_eval import ndcg_per_query
from rank_learn import LambdaMART, load_svmlight

DATA = Path(__file__).resolve().parents[4] / "shared" / "data" / "lightgbm_lambdarank"


def mslr_like(n_rows: int, seed: int, n_features: int = 136, docs: int = 120):
    """Queries of 60-180 documents; labels 0-4 (about 66/20/9/3.5/1.5 %) from a latent relevance
    that 30% of the features carry with noise; some features discrete, some sparse."""
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < n_rows:
        sizes.append(int(rng.integers(docs // 2, docs * 3 // 2 + 1)))
    sizes[-1] -= sum(sizes) - n_rows
    qid = np.repeat(np.arange(len(sizes)), sizes)
    latent = rng.normal(size=n_rows) + 0.5 * rng.normal(size=len(sizes))[qid]
    weights = np.random.default_rng(12345).normal(size=n_features)
    weights[np.random.default_rng(54321).random(n_features) >= 0.3] = 0.0  # the same features in every draw
    X = rng.normal(size=(n_rows, n_features)) + np.outer(latent, weights)
    X[:, ::4] = np.round(X[:, ::4] * 2)
    X[:, 1::7] = np.maximum(X[:, 1::7], 0.0)
    y = np.digitize(latent + rng.normal(scale=0.5, size=n_rows), [0.5, 1.3, 2.0, 2.6])
    return X, y, np.asarray(sizes)


def lightgbm_example():
    train = load_svmlight(DATA / "rank.train")  # the groups come from rank.train.query
    test = load_svmlight(DATA / "rank.test", n_features=train.X.shape[1])
    return (train.X, train.y.astype(np.int64), np.bincount(train.qid), test.X, test.y.astype(np.int64),
            np.bincount(test.qid))


def trainers(threads: int):
    import lightgbm
    import xgboost

    def ours(sigmoid):
        return lambda X, y, g: LambdaMART(threads=threads, sigmoid=sigmoid, show_progress=False).fit(X, y, group=g)

    def lgbm(X, y, g):
        return lightgbm.LGBMRanker(n_estimators=100, num_leaves=31, learning_rate=0.1, n_jobs=threads,
                                   verbose=-1).fit(X, y, group=g)

    def xgb(X, y, g):
        return xgboost.XGBRanker(n_estimators=100, max_leaves=31, grow_policy="lossguide", tree_method="hist",
                                 learning_rate=0.1, reg_lambda=0.0, max_bin=255, max_depth=0,
                                 objective="rank:ndcg", lambdarank_num_pair_per_sample=30,
                                 lambdarank_pair_method="topk", n_jobs=threads).fit(X, y, qid=np.repeat(np.arange(g.size), g))

    return {"LightGBM": lgbm, "rank-learn": ours("table"), "rank-learn exact": ours("exact"), "XGBoost": xgb}


def timed(function, repeat: int):
    function()  # warm-up: compilation, caches
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def cold_start() -> float:
    """Seconds for a fresh process to import rank-learn and fit + predict a tiny model (numba's
    on-disk cache warm: what a user pays on every new process)."""
    code = ("import time; t=time.perf_counter(); import rank_learn; rank_learn.warmup(); "
            "print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--datasets", nargs="+", choices=("example", "mslr"), default=["example", "mslr"])
    args = parser.parse_args()

    import lightgbm
    import xgboost

    print(f"# {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"lightgbm {lightgbm.__version__}, xgboost {xgboost.__version__}, {time.strftime('%Y-%m-%d')}")
    print(f"cold start (fresh process, cached compilation): {cold_start():.2f} s")
    datasets = {}
    if "example" in args.datasets:
        datasets["LightGBM example"] = lightgbm_example()
    if "mslr" in args.datasets:
        X, y, g = mslr_like(args.rows, seed=0)
        X_test, y_test, g_test = mslr_like(args.rows // 4, seed=1)
        datasets[f"MSLR-shaped {args.rows:,} x 136"] = (X, y, g, X_test, y_test, g_test)

    for name, (X, y, g, X_test, y_test, g_test) in datasets.items():
        print(f"\n## {name}: {X.shape[0]:,} training rows, {g.size} queries; test {X_test.shape[0]:,} rows")
        print("| system | threads | train s (median) | x LightGBM | test nDCG@1 | @3 | @5 | @10 | predict rows/s |")
        print("|---|---|---|---|---|---|---|---|---|")
        for threads in args.threads:
            base = 1.0
            for system, fit in trainers(threads).items():
                seconds, model = timed(lambda fit=fit, X=X, y=y, g=g: fit(X, y, g), args.repeat)
                if system == "LightGBM":
                    base = seconds
                predict_seconds, scores = timed(lambda model=model, X_test=X_test: model.predict(X_test), args.repeat)
                ndcg = [ndcg_per_query(y_test, scores, group=g_test, k=k, no_relevant=1.0).mean() for k in (1, 3, 5, 10)]
                print(f"| {system} | {threads} | {seconds:.2f} | {seconds / base:.2f} | " + " | ".join(f"{v:.4f}" for v in ndcg)
                      + f" | {X_test.shape[0] / predict_seconds:,.0f} |", flush=True)


if __name__ == "__main__":
    main()
