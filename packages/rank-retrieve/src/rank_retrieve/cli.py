"""``rank-retrieve``: build a BM25 index from a corpus file, and search it with a queries file.

    rank-retrieve index CORPUS -o INDEX_DIR [--format auto] [--method lucene] [--k1 1.5] [--b 0.75]
                        [--delta 0.5] [--stopwords english] [--stemmer none] [--dtype float32] [--quiet]
    rank-retrieve search INDEX_DIR QUERIES -o run.trec [-k 1000] [--format auto] [--fields title]
                         [--tag rank-retrieve] [--threads N] [--quiet]

Corpora and queries are read with :func:`rank_retrieve.corpus.read_corpus` /
:func:`~rank_retrieve.corpus.read_queries`: BEIR or Pyserini JSON lines, ``id<TAB>text`` lines or
TREC SGML (``<DOC>`` documents, ``<top>`` topics), gzip detected. ``index`` saves a
:class:`~rank_retrieve.BM25` index with its tokenizer settings; ``search`` loads it (memory-mapped)
and writes the top ``k`` documents of every query as a TREC run file, ``qid Q0 docno rank score
tag``, atomically (an existing file is replaced only once the run is complete), or to standard
output with ``-o -``. Queries left without a single term by the index's tokenizer (empty, or only
stopwords) are reported on standard error and left out of the run, as Anserini and Pyserini do.

Exit status: 0, or 2 with one ``rank-retrieve: error: ...`` line on standard error for bad input
(a missing or malformed file, an unknown option value, a directory that holds no index...).
Progress bars and a summary go to standard error unless ``--quiet``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from rank_core import RankError, RankValueError

__all__ = ["main"]

PROG = "rank-retrieve"


class _UsageError(Exception):
    """A command-line mistake found by argparse; reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse prints the usage too: one line instead
        raise _UsageError(message)


def _none_or_name(text: str) -> str | None:
    return None if text.lower() == "none" else text


def _parser() -> argparse.ArgumentParser:
    from rank_retrieve.__about__ import __version__
    from rank_retrieve.bm25 import METHODS
    from rank_retrieve.corpus import FORMATS

    parser = _Parser(prog=PROG, description="BM25 indexing and batch search with TREC run output.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="{index,search}")

    index = commands.add_parser(
        "index", help="index a corpus file into a directory",
        description="Tokenize and index CORPUS with BM25; save the index (and its tokenizer settings) to INDEX_DIR.",
    )
    index.add_argument("corpus", metavar="CORPUS", help="BEIR corpus.jsonl, id<TAB>text lines or TREC <DOC> file (gzip ok)")
    index.add_argument("-o", "--output", required=True, metavar="INDEX_DIR",
                       help="index directory: new, empty, or an index to replace")
    index.add_argument("--format", choices=FORMATS, default="auto", help="corpus format (default: auto-detect)")
    index.add_argument("--method", choices=METHODS, default="lucene", help="BM25 variant, as bm25s names them (default lucene)")
    index.add_argument("--k1", type=float, default=1.5, help="term-frequency saturation (default 1.5, bm25s's; Anserini uses 0.9)")
    index.add_argument("--b", type=float, default=0.75, help="length normalisation in [0, 1] (default 0.75; Anserini 0.4)")
    index.add_argument("--delta", type=float, default=0.5, help="bm25l / bm25+ shift (default 0.5)")
    index.add_argument("--stopwords", type=_none_or_name, default="english", metavar="LANGUAGE",
                       help="stopword list: a language such as english, or none (default english)")
    index.add_argument("--stemmer", type=_none_or_name, default=None, metavar="LANGUAGE",
                       help='Snowball stemmer: a language such as english (needs pip install "rank-retrieve[stem]"), '
                       "or none (default none)")
    index.add_argument("--dtype", choices=("float32", "float64"), default="float32", help="score precision (default float32)")
    index.add_argument("-q", "--quiet", action="store_true", help="no progress bars and no summary")

    search = commands.add_parser(
        "search", help="search an index with a queries file, write a TREC run",
        description="Search INDEX_DIR with every query of QUERIES and write the top K documents as a TREC run.",
    )
    search.add_argument("index", metavar="INDEX_DIR", help="a directory written by rank-retrieve index (or BM25.save)")
    search.add_argument("queries", metavar="QUERIES",
                        help="BEIR queries.jsonl, qid<TAB>text lines or TREC topics (gzip ok)")
    search.add_argument("-o", "--output", required=True, metavar="RUN",
                        help="TREC run file to write, '-' for standard output; .gz writes gzip")
    search.add_argument("-k", "--k", type=int, default=1000, dest="k", help="documents per query (default 1000)")
    search.add_argument("--format", choices=FORMATS, default="auto", help="queries format (default: auto-detect)")
    search.add_argument("--fields", nargs="+", choices=("title", "desc", "narr"), default=["title"],
                        help="TREC <top> topics: the fields that make the query (default title)")
    search.add_argument("--tag", default=PROG, help=f"run tag, the last column (default {PROG})")
    search.add_argument("--threads", type=int, default=None, metavar="N", help="search threads (default: all cores)")
    search.add_argument("-q", "--quiet", action="store_true", help="no progress bars and no summary")
    return parser


def _log(args: argparse.Namespace, message: str) -> None:
    if not args.quiet:
        print(f"{PROG}: {message}", file=sys.stderr)


def _index(args: argparse.Namespace) -> None:
    from rank_retrieve.bm25 import BM25
    from rank_retrieve.corpus import read_corpus
    from rank_retrieve.persistence import MANIFEST
    from rank_retrieve.tokenize import Tokenizer

    output = Path(args.output)
    if output.exists() and not output.is_dir():
        raise RankValueError(f"cannot write the index to {args.output}: it is a file, not a directory")
    if output.is_dir() and not (output / MANIFEST).is_file() and any(output.iterdir()):  # before the work
        raise RankValueError(
            f"cannot write the index to {args.output}: the directory is not empty and holds no index "
            "(choose a new or empty directory; nothing there was changed)"
        )
    bm25 = BM25(
        args.method, args.k1, args.b, args.delta, dtype=args.dtype,
        tokenizer=Tokenizer(stopwords=args.stopwords, stemmer=args.stemmer),
    )
    started = time.perf_counter()
    corpus = read_corpus(args.corpus, format=args.format)
    _log(args, f"read {len(corpus.ids)} documents from {args.corpus} ({time.perf_counter() - started:.2f} s)")
    started = time.perf_counter()
    bm25.index(corpus.texts, ids=corpus.ids, show_progress=not args.quiet)
    bm25.save(output)
    _log(
        args,
        f"indexed {bm25.n_docs} documents, {len(bm25.vocabulary)} terms, into {args.output} "
        f"({time.perf_counter() - started:.2f} s)",
    )


def _search(args: argparse.Namespace) -> None:
    from rank_retrieve.bm25 import BM25
    from rank_retrieve.corpus import Documents, read_queries

    if not args.tag or any(c.isspace() for c in args.tag):
        raise RankValueError(f"--tag must be non-empty and without whitespace, got {args.tag!r}")
    if args.k < 1:
        raise RankValueError(f"-k must be >= 1, got {args.k}")
    if args.threads is not None and args.threads < 1:
        raise RankValueError(f"--threads must be >= 1, got {args.threads}")
    if args.output != "-" and not Path(args.output).parent.is_dir():
        raise RankValueError(f"cannot write {args.output}: directory {os.fspath(Path(args.output).parent)!r} does not exist")
    if not Path(args.index).is_dir():
        raise RankValueError(f"index directory {args.index} does not exist (build it with: {PROG} index CORPUS -o {args.index})")
    bm25 = BM25.load(args.index)
    queries = read_queries(args.queries, format=args.format, fields=args.fields)
    tokens = bm25.tokenizer.tokenize(queries.texts)
    kept = [i for i, terms in enumerate(tokens) if terms]
    if len(kept) < len(queries.ids):
        dropped = [queries.ids[i] for i in range(len(queries.ids)) if not tokens[i]]
        shown = ", ".join(dropped[:10]) + (", ..." if len(dropped) > 10 else "")
        print(f"{PROG}: warning: {len(dropped)} queries have no terms after tokenization and are left out: {shown}",
              file=sys.stderr)
        if not kept:
            raise RankValueError(f"no query of {args.queries} has a term the tokenizer keeps: nothing to search")
        queries = Documents([queries.ids[i] for i in kept], [queries.texts[i] for i in kept])
    started = time.perf_counter()
    result = bm25.search(queries.texts, k=args.k, threads=args.threads, show_progress=not args.quiet)
    run = result.to_run(queries.ids)
    _log(args, f"searched {len(queries.ids)} queries, top {result.ids.shape[1]} ({time.perf_counter() - started:.2f} s)")
    if args.output != "-":
        run.to_trec(args.output, tag=args.tag)
        _log(args, f"wrote {run.n_rows} lines to {args.output}")
        return
    with tempfile.TemporaryDirectory(prefix=f"{PROG}-") as tmp:  # to_trec's exact format, then copied
        path = Path(tmp) / "run.trec"
        run.to_trec(path, tag=args.tag)
        with path.open("rb") as source:
            sys.stdout.flush()
            shutil.copyfileobj(source, sys.stdout.buffer)
            sys.stdout.buffer.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rank-retrieve`` console script; returns the exit status."""
    try:
        args = _parser().parse_args(sys.argv[1:] if argv is None else list(argv))
        (_index if args.command == "index" else _search)(args)
    except (_UsageError, RankError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output that cannot be written, a directory that vanished...
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"{PROG}: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
