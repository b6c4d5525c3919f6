"""``rank-fusion``: fuse TREC run files from the command line.

    rank-fusion RUN1 RUN2 ... [--method rrf] [--k 60] [--norm min-max] [--weights 0.4 0.6]
                [--top-k 1000] [--depth N] [--queries union] [--tag TAG] [--file-ranks]
                [--param NAME=VALUE ...] [-v] -o fused.trec

Reads TREC run files (gzip is detected), fuses them query by query with one of
:func:`rank_fusion.fuse`'s methods and writes the fused run as a TREC run file (atomically: an
existing output file is replaced only once the fused run is complete), or to standard output with
``-o -``. Exit status: 0, or 2 with one ``rank-fusion: error: ...`` line on standard error for bad
input (a missing or malformed file, an unknown method, a wrong number of weights...).

pyserini's ``python -m pyserini.fusion --runs a b --method rrf --rrf.k 60 --depth 1000 --k 1000
--runtag T --output out`` reads as ``rank-fusion a b --method rrf --file-ranks --k 60 --depth 1000
--top-k 1000 --tag T -o out`` (``--runs``, ``--rrf.k``, ``--runtag`` and ``--output`` are accepted
as aliases; note that pyserini's ``--k`` is the output depth, ours is RRF's ``k``). pyserini's
``--method interpolation --alpha A`` is ``--method wsum --alpha A`` (or ``--weights A 1-A``).
"""

from __future__ import annotations

import argparse
import inspect
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, cast

from rank_core import Qrels, RankError, RankValueError, Run

__all__ = ["main"]

PROG = "rank-fusion"
QUERY_POLICIES = ("union", "intersection", "strict")


class _UsageError(Exception):
    """A command-line mistake found by argparse; reported as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse prints the usage too: one line instead
        raise _UsageError(message)


def _method_names() -> tuple[str, ...]:
    from rank_fusion.methods import METHODS

    return tuple(METHODS)


def _weighted_methods() -> str:
    from rank_fusion.methods import SPECS

    return ", ".join(name for name, spec in SPECS.items() if spec.weighted)


def _norm_names() -> str:
    from rank_fusion._engine import NORMS

    return ", ".join(name for name in NORMS if name is not None)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description=__doc__.split("\n\n")[2].replace("\n", " "),
        epilog=(
            "Defaults differ from ranx.fuse in one place: no normalisation unless --norm is given "
            "(ranx normalises with min-max by default). Formulas of the methods: see the rank-fusion README."
        ),
    )
    add = parser.add_argument
    add("runs", nargs="*", metavar="RUN", help="TREC run files to fuse: qid Q0 docno rank score tag (gzip ok)")
    add("--runs", nargs="+", dest="more_runs", metavar="RUN", default=[],
        help="run files, as pyserini's --runs (added after the positional ones)")
    add("-m", "--method", default="rrf", metavar="METHOD",
        help=f"fusion method, ranx's names (default rrf; pyserini --method, ranx fuse(method=)): "
        f"{', '.join(_method_names())}")
    add("-o", "--output", required=True, metavar="PATH",
        help="fused TREC run file, '-' for standard output; .gz writes gzip (pyserini --output)")
    add("--k", "--rrf.k", type=float, default=None, dest="k", metavar="K",
        help="rrf's k (default 60; pyserini --rrf.k, ranx params={'k': K}). NOT pyserini's --k: that is --top-k")
    add("--phi", type=float, default=None, help="rbc's phi in (0, 1) (default 0.8; ranx params={'phi': PHI})")
    add("--gamma", type=float, default=None, help="gmnz's gamma (default 1; ranx params={'gamma': GAMMA})")
    add("--sigma", type=float, default=None, help="logn_isr's sigma in [0, 1] (default 0.01; ranx params={'sigma': SIGMA})")
    add("--param", action="append", default=[], metavar="NAME=VALUE",
        help="any other keyword of the method (repeatable; VALUE read as an int, else a float, else a string)")
    add("--norm", default=None, metavar="NORM",
        help=f"normalise each run's scores per query before a score-based method: {_norm_names()} "
        "(default: none; ranx fuse(norm=), whose default is min-max)")
    add("-w", "--weights", nargs="+", type=float, default=None, metavar="W",
        help=f"one weight per run, for {_weighted_methods()} (ranx params={{'weights': [...]}})")
    add("--alpha", type=float, default=None,
        help="two runs only: weights ALPHA and 1 - ALPHA (pyserini --method interpolation --alpha = --method wsum --alpha)")
    add("--top-k", type=int, default=None, metavar="N",
        help="keep the best N docs of every fused query (default: every candidate; pyserini --k, default 1000 there)")
    add("--depth", type=int, default=None, metavar="N",
        help="fuse only the first N docs of every query of every run (default: all; pyserini --depth, default 1000 there)")
    add("--queries", default="union", choices=QUERY_POLICIES,
        help="queries to fuse when the runs' query sets differ: union (default; as pyserini), intersection, "
        "or strict (fail, as ranx)")
    add("--qrels", default=None, metavar="PATH",
        help="TREC qrels to train mapfuse, posfuse, probfuse, segfuse, slidefuse and bayesfuse on (ranx's "
        "optimize_fusion(qrels, ...) then fuse(params=...))")
    add("--tag", "--runtag", default=None, dest="tag",
        help="run tag written in the last column (default rank-fusion-METHOD; pyserini --runtag)")
    add("--file-ranks", action="store_true",
        help="rrf only: take ranks from the files' rank column, not from the score order, as pyserini's fusion does")
    add("-v", "--verbose", action="store_true", help="report progress and a summary on standard error")
    from rank_fusion.__about__ import __version__

    add("--version", action="version", version=f"{PROG} {__version__}")
    return parser


def _param_value(text: str) -> Any:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return text


def _method_params(args: argparse.Namespace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name in ("k", "phi", "gamma", "sigma"):
        value = getattr(args, name)
        if value is not None:
            params[name] = value
    for item in args.param:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise RankValueError(f"--param takes NAME=VALUE, got {item!r}")
        if name in params:
            raise RankValueError(f"parameter {name!r} is given twice")
        if name in {"runs", "method", "norm", "weights", "top_k", "queries", "ranks", "name"}:
            raise RankValueError(f"--param {name}=... is not allowed: use the command's own option for {name!r}")
        params[name] = _param_value(value.strip())
    return params


def _check(args: argparse.Namespace, paths: list[str]) -> list[float] | None:
    """Checks that need no file: done before reading anything."""
    from rank_fusion.methods import METHODS, check_method

    if not paths:
        raise RankValueError("no run file given: rank-fusion RUN1 RUN2 ... -o OUTPUT")
    method = args.method
    spec = check_method(method)
    if args.file_ranks and method != "rrf":
        raise RankValueError(
            f"--file-ranks applies to rrf only (got --method {method}): other methods rank each run by its scores"
        )
    weights = args.weights
    if args.alpha is not None:
        if weights is not None:
            raise RankValueError("give either --alpha or --weights, not both")
        if len(paths) != 2:
            raise RankValueError(f"--alpha interpolates two runs, got {len(paths)}: use --weights with one weight per run")
        weights = [args.alpha, 1.0 - args.alpha]
    if weights is not None:
        if not spec.weighted:
            raise RankValueError(
                f"{method} takes no weights; use a weighted method ({_weighted_methods()})"
            )
        if len(weights) != len(paths):
            raise RankValueError(f"got {len(weights)} weights for {len(paths)} runs: pass one weight per run")
    signature = inspect.signature(METHODS[method]).parameters
    if weights is None and "weights" in signature and signature["weights"].default is inspect.Parameter.empty:
        raise RankValueError(f"{method} needs weights: pass --weights with one weight per run ({len(paths)})")
    if args.norm is not None and "norm" not in signature:
        what = "uses ranks only" if not spec.uses_scores else "normalises the scores itself"
        raise RankValueError(f"--norm does not apply to {method}, which {what}: leave --norm out")
    if args.output != "-":
        parent = Path(args.output).parent
        if not parent.is_dir():
            raise RankValueError(f"cannot write {args.output}: directory {os.fspath(parent)!r} does not exist")
    if args.depth is not None and args.depth < 1:
        raise RankValueError(f"--depth must be >= 1, got {args.depth}")
    if args.top_k is not None and args.top_k < 0:
        raise RankValueError(f"--top-k must be >= 0, got {args.top_k}")
    return weights


def _log(verbose: bool, message: str) -> None:
    if verbose:
        print(f"{PROG}: {message}", file=sys.stderr)


def _fuse(args: argparse.Namespace) -> tuple[Run, str]:
    from rank_fusion.methods import fuse

    paths = list(args.runs) + list(args.more_runs)
    weights = _check(args, paths)
    params = _method_params(args)
    tag = args.tag if args.tag is not None else f"{PROG}-{args.method}"
    if not tag or any(c.isspace() for c in tag):
        raise RankValueError(f"--tag must be non-empty and without whitespace, got {tag!r}")
    runs = []
    for path in paths:
        started = time.perf_counter()
        run = Run.from_trec(path, scores="negated_rank" if args.file_ranks else "score")
        _log(args.verbose, f"read {path}: {len(run)} queries, {run.n_rows} docs ({time.perf_counter() - started:.2f} s)")
        runs.append(run)
    if args.file_ranks:
        params["ranks"] = "negated_scores"
    if args.qrels is not None:
        params["qrels"] = Qrels.from_trec(args.qrels)
    started = time.perf_counter()
    fused = cast(Run, fuse(  # a list of runs always fuses into a Run
        runs, args.method, norm=args.norm, weights=weights, top_k=args.top_k, depth=args.depth,
        queries=args.queries, **params,
    ))
    _log(
        args.verbose,
        f"fused {len(runs)} runs with {args.method}: {len(fused)} queries, {fused.n_rows} docs "
        f"({time.perf_counter() - started:.2f} s)",
    )
    return fused, tag


def _write(run: Run, output: str, tag: str) -> None:
    if output != "-":
        run.to_trec(output, tag=tag)
        return
    with tempfile.TemporaryDirectory(prefix="rank-fusion-") as tmp:  # to_trec's exact format, then copied
        path = Path(tmp) / "fused.trec"
        run.to_trec(path, tag=tag)
        with path.open("rb") as source:
            sys.stdout.flush()
            shutil.copyfileobj(source, sys.stdout.buffer)
            sys.stdout.buffer.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``rank-fusion`` console script; returns the exit status."""
    output = "-"
    try:
        args = _parser().parse_intermixed_args(sys.argv[1:] if argv is None else list(argv))
        output = args.output
        fused, tag = _fuse(args)
        _write(fused, args.output, tag)
    except (_UsageError, RankError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # an output path that cannot be written
        print(f"{PROG}: error: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    _log(args.verbose, f"wrote {'standard output' if args.output == '-' else os.fspath(args.output)} (tag {tag})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
