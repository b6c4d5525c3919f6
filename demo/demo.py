"""The rank-* end-to-end demo on Cranfield: ``bash scripts/demo.sh [options]``.

Retrieves with three BM25 variants (rank-retrieve), fuses them (rank-fusion: RRF, CombMNZ, DBSF
and cross-validated weights), reranks with MaxSim when the neural extras are installed
(rank-rerank), evaluates every system and tests every pair (rank-eval), then prints one table per
stage with timings and writes ``report.md``, ``results.json`` and two PNG plots to ``--out``.
See demo/pipeline.py for the stages and ``--help`` for the options.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a file (python demo/demo.py): import the package from the root
    sys.path[0] = str(Path(__file__).resolve().parents[1])

DEFAULT_OUT = Path(__file__).resolve().parent / "output"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="demo",
        description="The rank-* pipeline on Cranfield: BM25 variants -> fusion -> (MaxSim rerank) -> evaluation.",
        epilog="bash scripts/demo.sh --full [options] runs it in the environment with rank-rerank's ONNX extras "
               "(dense retrieval and MaxSim reranking with the bundled all-MiniLM-L6-v2).",
    )
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, metavar="DIR",
                        help="folder for report.md, results.json and the plots (default: demo/output)")
    parser.add_argument("--queries", type=int, default=None, metavar="N",
                        help="only the first N of the 225 queries (all documents are still indexed)")
    parser.add_argument("--test", default="t-test", choices=("t-test", "fisher", "wilcoxon", "bootstrap"),
                        help="paired significance test (default: t-test); Holm correction in every case")
    parser.add_argument("--no-neural", action="store_true",
                        help="skip the dense and MaxSim stages even when their extras are installed")
    parser.add_argument("--model-cache", type=Path, default=None, metavar="DIR",
                        help="where the bundled MiniLM's ONNX export is kept (default: .tools/demo-models/minilm-onnx)")
    parser.add_argument("--cross-encoder", type=Path, default=None, metavar="DIR",
                        help="a cross-encoder exported by rank_rerank.export_cross_encoder: rescore the top 100 of "
                             "rrf and bm25 with it (INT8 when the directory has model_int8.onnx; needs the [onnx] "
                             "extra)")
    parser.add_argument("--no-parity", action="store_true", help="skip the bm25s parity check")
    parser.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    parser.add_argument("--save-runs", action="store_true", help="also write every run as a TREC file (out/runs/)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)
    if args.cross_encoder is not None and not (args.cross_encoder / "rank_rerank.json").is_file():
        parser.error(f"--cross-encoder {args.cross_encoder} is not a model directory written by "
                     "rank_rerank.export_cross_encoder (no rank_rerank.json)")
    if args.queries is not None and args.queries < 2:
        parser.error(f"--queries must be at least 2 (the weights are cross-validated over two halves), got {args.queries}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from tqdm.auto import tqdm

    from demo.pipeline import run_pipeline
    from demo.report import format_tables

    def echo(line: str) -> None:
        tqdm.write(f"  {line}", file=sys.stderr)

    start = time.perf_counter()
    print("rank-* pipeline on Cranfield: retrieve -> fuse -> rerank -> evaluate", file=sys.stderr)
    result = run_pipeline(
        args.out, query_limit=args.queries, show_progress=not args.no_progress,
        neural="off" if args.no_neural else "auto", model_cache=args.model_cache, test=args.test,
        parity=not args.no_parity, plots=not args.no_plots, save_runs=args.save_runs,
        cross_encoder=args.cross_encoder, echo=echo,
    )
    print()
    print(format_tables(result))
    print()
    print(f"Written to {result.out_dir}:")
    for path in result.files:
        print(f"  {path.name}" if path.parent == result.out_dir else f"  {path.relative_to(result.out_dir)}")
    print(f"\nDone in {time.perf_counter() - start:.1f} s.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
