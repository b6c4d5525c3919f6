"""``rank-eval``: a drop-in for trec_eval's command line.

    rank-eval [-q] [-c] [-J] [-l LEVEL] [-M MAX_DOCS] [-N DOCS] [-m MEASURE ...] [-R FORMAT] [-Z FILE] QRELS RUN

Flags follow trec_eval: ``-q`` adds per-query lines, ``-c`` averages over every qrels query,
``-J`` keeps judged docs only, ``-lN`` sets the relevance level, ``-MN`` keeps the first N docs
per query, ``-NN`` is the collection size (for utility), ``-m NAME`` picks
measures (repeatable; ``official`` is the default set, ``all_trec`` every measure, and
``NAME.PARAMS`` sets parameters as in trec_eval: ``P.5,10``, ``ndcg.1=3,2=9``).
``-R qrels_jg`` reads QRELS as judgment groups (``qid group docno rel``; measures ``qrels_jg``,
the default then: see :mod:`rank_eval.judgment_groups`); ``-Z FILE`` prints z-scores against the
means and stddevs of FILE (``qid measure mean stddev``; see :mod:`rank_eval.zscores`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rank_core import RankError, RankValueError
from rank_eval.evaluate import evaluate
from rank_eval.judgment_groups import evaluate_judgment_groups
from rank_eval.trec_format import format_trec_eval
from rank_eval.zscores import format_zscores, read_zscores, to_zscores


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
    parser.add_argument("-R", default="qrels", dest="rel_format", metavar="FORMAT",
                        choices=["qrels", "trec", "prefs", "qrels_prefs", "qrels_jg"],
                        help="format of QRELS: qrels (default; alias trec), prefs, qrels_prefs, qrels_jg (judgment groups)")
    parser.add_argument("-Z", default=None, dest="zscores", metavar="FILE", help="print z-scores against FILE's means and stddevs")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.rel_format == "qrels_jg":
            evaluation = evaluate_judgment_groups(
                args.qrels, args.run, args.measures,
                relevance_level=args.level, complete=args.complete, max_docs=args.max_docs,
                judged_only=args.judged_only,
            )
        elif args.rel_format in ("qrels", "trec"):
            evaluation = evaluate(
                args.qrels, args.run, args.measures or ["official"],
                relevance_level=args.level, complete=args.complete, max_docs=args.max_docs,
                judged_only=args.judged_only, collection_size=args.collection_size,
            )
        else:
            raise RankValueError(f"-R {args.rel_format} is not supported yet")
        if args.zscores is not None:
            evaluation = to_zscores(evaluation, read_zscores(args.zscores))
    except RankError as exc:
        print(f"rank-eval: {exc}", file=sys.stderr)
        return 2
    lines = (format_zscores if args.zscores is not None else format_trec_eval)(evaluation, per_query=args.per_query)
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
