"""rank-eval: IR evaluation with trec_eval's numbers, from Python and from the command line.

:func:`evaluate` computes every measure of trec_eval's ``all_trec`` set (:data:`ALL_TREC_MEASURES`)
with its parameters and semantics, plus measures beyond it (ERR, RBP, exponential-gain nDCG,
Judged, RR@k, Hits, F), under trec_eval, ir-measures or ranx names; :func:`evaluate_judgment_groups`
and :func:`to_zscores` are trec_eval's ``-R qrels_jg`` and ``-Z``, :func:`evaluate_prefs` its
``-R prefs``; :func:`compare` runs significance tests between systems; :func:`format_trec_eval` prints
trec_eval's output format, and the ``rank-eval`` command is a drop-in for trec_eval. The original
Rust bindings' per-list functions (``ndcg_at_k(ranked, relevant, k)``...) are in
:mod:`rank_eval.compat`, re-exported here.
"""

from rank_eval.__about__ import __version__
from rank_eval.compare import Comparison, PairComparison, adjust_p_values, compare
from rank_eval.compat import (
    average_precision,
    dcg_at_k,
    err_at_k,
    f_measure_at_k,
    idcg_at_k,
    mrr,
    ndcg_at_k,
    precision_at_k,
    r_precision,
    rbp_at_k,
    recall_at_k,
    success_at_k,
)
from rank_eval.evaluate import Evaluation, evaluate
from rank_eval.judgment_groups import evaluate_judgment_groups
from rank_eval.measures import ALL_TREC_MEASURES, DEFAULT_MEASURES
from rank_eval.prefs import evaluate_prefs
from rank_eval.scored import group_offsets, ndcg_per_query
from rank_eval.trec_format import format_trec_eval
from rank_eval.zscores import read_zscores, to_zscores

__all__ = [
    "ALL_TREC_MEASURES",
    "DEFAULT_MEASURES",
    "Comparison",
    "Evaluation",
    "PairComparison",
    "__version__",
    "adjust_p_values",
    "average_precision",
    "compare",
    "dcg_at_k",
    "err_at_k",
    "evaluate",
    "evaluate_judgment_groups",
    "evaluate_prefs",
    "f_measure_at_k",
    "format_trec_eval",
    "group_offsets",
    "idcg_at_k",
    "mrr",
    "ndcg_at_k",
    "ndcg_per_query",
    "precision_at_k",
    "r_precision",
    "rbp_at_k",
    "read_zscores",
    "recall_at_k",
    "success_at_k",
    "to_zscores",
]
