"""``rank-eval compare``: compare runs with significance tests and print the table.

    rank-eval compare [-m MEASURE ...] [--test TEST] [--correction C] [--alpha A] [--trials N]
                      [--seed S] [--common-queries] [-l LEVEL] [--format F] [--pairs]
                      [--digits D] [--plot PNG] [--threads N] QRELS RUN RUN [RUN ...]

Runs are named by their file names (by the paths as given when two file names are the same).
Every qrels query is compared, a query missing from a run scoring 0 (trec_eval's ``-c``), unless
``--common-queries`` keeps only the queries that every run has. ``-m`` takes :func:`evaluate`'s
names (``ndcg_cut_10``, ``P_10``, ``map``, ``nDCG@10``, ...; default ``map``, ``P_10``,
``ndcg_cut_10``). Exit status: 0, or 2 with a message on standard error for bad input.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import get_args

from rank_core import RankError, RankValueError
from rank_eval.compare import Correction, Test, compare

__all__ = ["main"]

DEFAULT_MEASURES = ("map", "P_10", "ndcg_cut_10")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rank-eval compare", description=__doc__.split("\n\n")[0],
        epilog="Tests, corrections, effect sizes and intervals: see the rank-eval README, 'Comparing systems'.",
    )
    parser.add_argument("qrels", help="TREC qrels file: qid iter docno relevance")
    parser.add_argument("runs", nargs="+", metavar="RUN", help="TREC run files (at least two)")
    parser.add_argument("-m", action="append", dest="measures", metavar="MEASURE",
                        help=f"measure to compare (repeatable; default {', '.join(DEFAULT_MEASURES)})")
    parser.add_argument("-t", "--test", default="t-test", choices=get_args(Test),
                        help="significance test (default t-test)")
    parser.add_argument("--correction", default="holm", choices=[*get_args(Correction), "none"],
                        help="multiple-comparison correction over the pairs of each measure (default holm)")
    parser.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    parser.add_argument("--trials", type=int, default=10_000,
                        help="trials of the fisher and bootstrap tests (default 10000)")
    parser.add_argument("--seed", type=int, default=42, help="seed of the fisher and bootstrap tests (default 42)")
    parser.add_argument("--common-queries", action="store_true",
                        help="compare on the queries every run has (default: every qrels query, missing = 0)")
    parser.add_argument("-l", type=int, default=1, dest="level", metavar="LEVEL", help="relevance level (default 1)")
    parser.add_argument("--format", default="text", choices=("text", "markdown", "latex"), help="table format")
    parser.add_argument("--pairs", action="store_true", help="also print every pair's difference, effect size, interval and p-value")
    parser.add_argument("--digits", type=int, default=4, help="decimals of the means (default 4)")
    parser.add_argument("--plot", metavar="PNG", help="also draw per-query differences and precision-recall curves (needs rank-eval[plot])")
    parser.add_argument("--threads", type=int, default=None, help="numba threads (results do not depend on it)")
    return parser


def _run_names(paths: Sequence[str]) -> list[str]:
    """File names, or the paths as given when two runs share a file name."""
    names = [Path(path).name for path in paths]
    return names if len(set(names)) == len(names) else list(paths)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``rank-eval compare``; ``argv`` excludes the ``compare`` word."""
    args = _parser().parse_args(argv)
    try:
        names = _run_names(args.runs)
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise RankValueError(f"duplicate run name {duplicates[0]!r}: each run file may be given once")
        report = compare(
            args.qrels, dict(zip(names, args.runs, strict=True)), args.measures or list(DEFAULT_MEASURES),
            test=args.test, correction=None if args.correction == "none" else args.correction,
            alpha=args.alpha, trials=args.trials, seed=args.seed,
            queries="common" if args.common_queries else "qrels", relevance_level=args.level,
            threads=args.threads,
        )
        render = {"text": report.to_text, "markdown": report.to_markdown, "latex": report.to_latex}[args.format]
        output = render(digits=args.digits, pairs=args.pairs)
        if args.plot:
            report.plot(args.plot)
    except RankError as exc:
        print(f"rank-eval compare: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
