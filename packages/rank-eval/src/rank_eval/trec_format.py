"""trec_eval's output format: ``measure<pad>\\tquery\\tvalue``, 4 decimals for real values."""

from __future__ import annotations

from collections.abc import Iterator

from rank_eval.evaluate import COUNT_MEASURES, Evaluation

__all__ = ["format_trec_eval"]


def _line(name: str, query: str, value: float | str) -> str:
    if name.startswith("relstring"):
        text = f"'{value}'"
    elif isinstance(value, str):  # runid
        text = value
    elif name in COUNT_MEASURES:
        text = str(int(value))
    else:
        text = f"{value:6.4f}"
    return f"{name:<22}\t{query}\t{text}"


def format_trec_eval(evaluation: Evaluation, *, per_query: bool = False, summary: bool = True) -> Iterator[str]:
    """The lines trec_eval prints: each query's block (``per_query``, ``-q``), then the ``all``
    summary (unless ``summary=False``, ``-n``)."""
    if per_query:
        for i, qid in enumerate(evaluation.query_ids.tolist()):
            for name in evaluation.measures:
                if name in evaluation.per_query:
                    yield _line(name, qid, evaluation.per_query[name][i].item())
    for name in evaluation.measures if summary else ():
        if name in evaluation.summary:
            yield _line(name, "all", evaluation.summary[name])
