"""``rank-eval``: a drop-in for trec_eval's command line.

    rank-eval [-q] [-n] [-c] [-J] [-l LEVEL] [-M MAX_DOCS] [-N DOCS] [-m MEASURE ...] [-R FORMAT] [-Z FILE] QRELS RUN
    rank-eval compare QRELS RUN1 RUN2 ... [-m MEASURE ...] [--test fisher] [--correction holm]

Flags follow trec_eval (long forms too): ``-q`` adds per-query lines, ``-n`` drops the summary, ``-c`` averages over every qrels query,
``-J`` keeps judged docs only, ``-lN`` sets the relevance level, ``-MN`` keeps the first N docs
per query, ``-NN`` is the collection size (for utility), ``-m NAME`` picks
measures (repeatable; ``official`` is the default set, ``all_trec`` every measure, and
``NAME.PARAMS`` sets parameters as in trec_eval: ``P.5,10``, ``ndcg.1=3,2=9``).
``-R qrels_jg`` reads QRELS as judgment groups (``qid group docno rel``; measures ``qrels_jg``,
the default then: see :mod:`rank_eval.judgment_groups`); ``-Z FILE`` prints z-scores against the
means and stddevs of FILE (``qid measure mean stddev``; see :mod:`rank_eval.zscores`).
``-R prefs`` reads QRELS as preference judgments (``qid jg jsg docno rel_level``) and
``-R qrels_prefs`` reads a qrels file as preferences; their measures are ``all_prefs`` (the
default then), ``prefs`` or single ``prefs_*`` names (see :mod:`rank_eval.prefs`).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from rank_core import RankError, RankValueError
from rank_eval import compare_cli
from rank_eval.__about__ import __version__
from rank_eval.evaluate import Evaluation, evaluate
from rank_eval.judgment_groups import evaluate_judgment_groups
from rank_eval.prefs import evaluate_prefs, is_prefs_measure
from rank_eval.trec_format import format_trec_eval
from rank_eval.zscores import format_zscores, read_zscores, to_zscores


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rank-eval", description=__doc__.split("\n\n")[0])
    parser.add_argument("qrels", help="TREC qrels file: qid iter docno relevance")
    parser.add_argument("run", help="TREC run file: qid iter docno rank score tag")
    add = parser.add_argument
    add("-q", "--query_eval_wanted", action="store_true", dest="per_query", help="also print each query's values")
    add("-n", "--nosummary", action="store_true", dest="no_summary", help="do not print the summary over all queries")
    add("-m", "--measure", action="append", dest="measures", metavar="MEASURE",
        help="measure to print (repeatable): official (default), all_trec, P.5,10, ndcg_cut_10, nDCG@10, ...")
    add("-c", "--complete_rel_info_wanted", action="store_true", dest="complete", help="average over every qrels query")
    add("-l", "--level_for_rel", type=int, default=1, dest="level", metavar="LEVEL", help="relevance level (default 1)")
    add("-M", "--Max_retrieved_per_topic", type=int, default=None, dest="max_docs", metavar="N",
        help="docs per query to evaluate")
    add("-J", "--Judged_docs_only", action="store_true", dest="judged_only", help="evaluate judged docs only")
    add("-N", "--Number_docs_in_coll", type=int, default=0, dest="collection_size", metavar="N",
        help="docs in the collection (utility)")
    add("-R", "--Rel_info_format", default="qrels", dest="rel_format", metavar="FORMAT",
        choices=["qrels", "trec", "prefs", "qrels_prefs", "qrels_jg"],
        help="format of QRELS: qrels (default; alias trec), prefs, qrels_prefs, qrels_jg (judgment groups)")
    add("-T", "--Results_format", default="trec_results", choices=["trec_results"], metavar="FORMAT",
        help="format of RUN: trec_results (the only one)")
    add("-Z", "--Zscore", default=None, dest="zscores", metavar="FILE", help="print z-scores against FILE's means and stddevs")
    add("-v", "--version", action="version", version=f"rank-eval {__version__}")
    return parser


def _evaluation(args: argparse.Namespace) -> Evaluation:
    if args.rel_format == "qrels_jg":
        return evaluate_judgment_groups(
            args.qrels, args.run, args.measures,
            relevance_level=args.level, complete=args.complete, max_docs=args.max_docs,
            judged_only=args.judged_only,
        )
    if args.rel_format in ("prefs", "qrels_prefs"):
        return evaluate_prefs(
            args.qrels, args.run, args.measures or ["all_prefs"], from_qrels=args.rel_format == "qrels_prefs",
            complete=args.complete, max_docs=args.max_docs,
        )
    prefs_requested = [m for m in args.measures or [] if is_prefs_measure(m)]
    if prefs_requested:
        raise RankValueError(f"{prefs_requested[0]} needs preference judgments: add -R prefs or -R qrels_prefs")
    return evaluate(
        args.qrels, args.run, args.measures or ["official"],
        relevance_level=args.level, complete=args.complete, max_docs=args.max_docs,
        judged_only=args.judged_only, collection_size=args.collection_size,
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["compare"]:  # rank-eval compare QRELS RUN1 RUN2 ...
        return compare_cli.main(argv[1:])
    args = _parser().parse_args(argv)
    try:
        evaluation = _evaluation(args)
        if args.zscores is not None:
            evaluation = to_zscores(evaluation, read_zscores(args.zscores))
    except RankError as exc:
        print(f"rank-eval: {exc}", file=sys.stderr)
        return 2
    write = format_zscores if args.zscores is not None else format_trec_eval
    lines = write(evaluation, per_query=args.per_query, summary=not args.no_summary)
    sys.stdout.write("".join(line + "\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
