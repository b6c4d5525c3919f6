"""``rank-eval``: a drop-in for trec_eval's command line.

    rank-eval [-q] [-c] [-J] [-l LEVEL] [-M MAX_DOCS] [-N DOCS] [-m MEASURE ...] QRELS RUN

Flags follow trec_eval: ``-q`` adds per-query lines, ``-c`` averages over every qrels query,
``-J`` keeps judged docs only, ``-lN`` sets the relevance level, ``-MN`` keeps the first N docs
per query, ``-NN`` is the collection size (for utility), ``-m NAME`` picks
measures (repeatable; ``official`` is the default set, ``all_trec`` every measure, and
``NAME.PARAMS`` sets parameters as in trec_eval: ``P.5,10``, ``ndcg.1=3,2=9``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rank_core import RankError
from rank_eval.evaluate import evaluate
from rank_eval.trec_format import format_trec_eval


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rank-eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("qrels", help="TREC qrels file: qid iter docno relevance")
    parser.add_argument("run", help="TREC run file: qid iter docno rank score tag")
    parser.add_argument("-q", action="store_true", dest="per_query", help="also print each query's values")
    parser.add_argument("-c", action="store_true", dest="complete", help="average over every qrels query")
    parser.add_argument("-l", type=int, default=1, dest="level", metavar="LEVEL", help="relevance level (default 1)")
    parser.add_argument("-M", type=int, default=None, dest="max_docs", metavar="N", help="docs per query to evaluate")
    parser.add_argument("-m", action="append", dest="measures", metavar="MEASURE", help="measure to print")
    parser.add_argument("-J", action="store_true", dest="judged_only", help="evaluate judged docs only")
    parser.add_argument("-N", type=int, default=0, dest="collection_size", metavar="N", help="docs in the collection (utility)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        evaluation = evaluate(
            args.qrels, args.run, args.measures or ["official"],
            relevance_level=args.level, complete=args.complete, max_docs=args.max_docs,
            judged_only=args.judged_only, collection_size=args.collection_size,
        )
    except RankError as exc:
        print(f"rank-eval: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write("".join(line + "\n" for line in format_trec_eval(evaluation, per_query=args.per_query)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
