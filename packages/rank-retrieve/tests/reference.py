"""Naive pure-Python oracles: BM25 straight from the formulas (Kamphuis et al., ECIR 2020, as
bm25s implements them), full scoring of every document, and ranking by (score desc, position asc)."""

from __future__ import annotations

import math
from collections import Counter


def idf(method: str, df: int, n: int) -> float:
    if method == "robertson":
        return math.log(max((n - df + 0.5) / (df + 0.5), 1.0))
    if method == "lucene":
        return math.log(1 + (n - df + 0.5) / (df + 0.5))
    if method == "atire":
        return math.log(n / df)
    if method == "bm25l":
        return math.log((n + 1) / (df + 0.5))
    return math.log((n + 1) / df)


def tf_component(method: str, tf: float, dl: float, avgdl: float, k1: float, b: float, delta: float) -> float:
    norm = 1 - b + b * dl / avgdl
    if tf == 0:  # the formulas' limit: an absent term's tf part is 0 (even for an empty doc, b = 1)
        return {"bm25l": (k1 + 1) * delta / (k1 + delta), "bm25+": delta}.get(method, 0.0)
    if method in ("robertson", "lucene"):
        return tf / (k1 * norm + tf)
    if method == "atire":
        return tf * (k1 + 1) / (tf + k1 * norm)
    if method == "bm25l":
        c = tf / norm
        return (k1 + 1) * (c + delta) / (k1 + c + delta)
    return (k1 + 1) * tf / (k1 * norm + tf) + delta


def bm25_scores(
    corpus: list[list[str]], query: list[str], method: str = "lucene", k1: float = 1.5, b: float = 0.75,
    delta: float = 0.5, idf_method: str | None = None,
) -> list[float]:
    """Every document's full-formula score: sum over query tokens (repeats counted) of idf * tfc,
    including tf = 0 terms for bm25l / bm25+ (which are non-zero there); unknown tokens add 0."""
    n = len(corpus)
    avgdl = sum(len(doc) for doc in corpus) / n
    counts = [Counter(doc) for doc in corpus]
    df = Counter(term for c in counts for term in c)
    scores = []
    for doc, c in zip(corpus, counts, strict=True):
        total = 0.0
        for token in query:
            if df[token] == 0:
                continue
            term_idf = idf(idf_method or method, df[token], n)
            if c[token] or method in ("bm25l", "bm25+"):
                total += term_idf * tf_component(method, c[token], len(doc), avgdl, k1, b, delta)
        scores.append(total)
    return scores


def ranked(scores: list[float], allowed: list[bool] | None = None) -> list[int]:
    """Positions by score descending, ties by position ascending; only ``allowed`` ones."""
    positions = [i for i in range(len(scores)) if allowed is None or allowed[i]]
    return sorted(positions, key=lambda i: (-scores[i], i))
