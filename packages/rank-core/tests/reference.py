"""Naive pure-Python oracles for rank-core: line-by-line TREC readers and trec_eval's ordering."""

from __future__ import annotations

from pathlib import Path


def _data_lines(path: Path):
    for line in path.read_bytes().decode("utf-8").splitlines():
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        yield fields


def read_run(path: Path) -> dict[str, dict[str, float]]:
    run: dict[str, dict[str, float]] = {}
    for fields in _data_lines(path):
        qid, _, doc, _, score = fields[:5]
        run.setdefault(qid, {})[doc] = float(score)
    return run


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    qrels: dict[str, dict[str, int]] = {}
    for qid, _, doc, rel in _data_lines(path):
        qrels.setdefault(qid, {})[doc] = int(rel)
    return qrels


def trec_eval_order(ranking: dict[str, float]) -> list[str]:
    """Doc ids by score descending, ties by doc id descending (trec_eval's comp_sim_docno)."""
    return [doc for doc, _ in sorted(ranking.items(), key=lambda item: (item[1], item[0]), reverse=True)]
