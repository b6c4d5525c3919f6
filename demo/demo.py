"""The rank-* end-to-end demo.

For now (foundation stage) it reads the Cranfield collection shipped in ``data/cranfield``, loads
its judgments through rank-core (``Qrels``, written to and read back from TREC format with the
compiled parser) and prints the collection's statistics. Later stages grow it into the full
retrieve -> fuse -> rerank -> evaluate pipeline.

Run it with ``bash scripts/demo.sh`` from the repository root.
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import rank_core
from rank_core import Qrels

CRANFIELD = Path(__file__).resolve().parents[1] / "data" / "cranfield"
# Cleverdon's codes (1 = complete answer .. 4 = minimum interest, -1 = no interest) as graded gains.
GRADED = {1: 4, 2: 3, 3: 2, 4: 1, -1: 0}


def read_smart(path: Path, field: str) -> dict[str, str]:
    """``{.I id: text of one field}`` from a SMART-format file (``.I n`` then ``.X`` sections)."""
    records: dict[str, str] = {}
    text = path.read_text(encoding="utf-8").replace("\r\n", "\n")
    for block in re.split(r"^\.I ", text, flags=re.MULTILINE)[1:]:
        head, _, body = block.partition("\n")
        sections = dict(re.findall(r"^\.([A-Z])\n(.*?)(?=^\.[A-Z]\n|\Z)", body, flags=re.MULTILINE | re.DOTALL))
        records[head.strip()] = sections.get(field, "").strip()
    return records


def cranfield_qrels(path: Path) -> Qrels:
    """Cranfield judgments as a rank-core Qrels with graded labels.

    The file's query numbers are positions (1..225) in ``cran.qry``, which is also how the queries
    are numbered here.
    """
    table = np.loadtxt(path, dtype=np.int64)
    labels = np.vectorize(GRADED.__getitem__)(table[:, 2])
    return Qrels.from_arrays(table[:, 0], table[:, 1], labels)


def main() -> int:
    start = time.perf_counter()
    docs = read_smart(CRANFIELD / "cran.all.1400", "W")
    queries = read_smart(CRANFIELD / "cran.qry", "W")
    qrels = cranfield_qrels(CRANFIELD / "cranqrel")

    with tempfile.TemporaryDirectory() as tmp:  # through the TREC writer and the compiled reader
        trec_path = Path(tmp) / "cranfield.qrels"
        qrels.to_trec(trec_path)
        reread = Qrels.from_trec(trec_path)
    if reread != qrels:
        print("error: TREC round trip changed the judgments", file=sys.stderr)
        return 1

    doc_lengths = np.array([len(text.split()) for text in docs.values()])
    query_lengths = np.array([len(text.split()) for text in queries.values()])
    judged = qrels.counts()
    relevant = np.add.reduceat(qrels.relevance > 0, qrels.offsets[:-1])
    labels, label_counts = np.unique(qrels.relevance, return_counts=True)

    rows = [
        ("documents", f"{len(docs)}"),
        ("document length (words), mean / max", f"{doc_lengths.mean():.1f} / {doc_lengths.max()}"),
        ("queries", f"{len(queries)}"),
        ("query length (words), mean", f"{query_lengths.mean():.1f}"),
        ("queries with judgments", f"{len(qrels)}"),
        ("judgments", f"{qrels.n_rows}"),
        ("judged docs per query, mean / min / max", f"{judged.mean():.2f} / {judged.min()} / {judged.max()}"),
        ("relevant (label > 0) per query, mean", f"{relevant.mean():.2f}"),
        ("distinct judged docs", f"{len(qrels.doc_vocab)}"),
        ("graded label counts", ", ".join(f"{lab}: {n}" for lab, n in zip(labels, label_counts, strict=True))),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"Cranfield collection, read through rank-core {rank_core.__version__}\n")
    print(f"| {'statistic'.ljust(width)} | value |")
    print(f"|{'-' * (width + 2)}|-------|")
    for name, value in rows:
        print(f"| {name.ljust(width)} | {value} |")
    print(f"\n(done in {time.perf_counter() - start:.2f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
