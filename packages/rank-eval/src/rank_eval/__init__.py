"""rank-eval: IR evaluation with trec_eval's numbers, from Python and from the command line.

Work in progress (issue 3): this release evaluates trec_eval's default measure set (num_q,
num_ret, num_rel, num_rel_ret, map, gm_map, Rprec, bpref, recip_rank, iprec_at_recall_*,
P_*) with trec_eval's semantics and output format, via :func:`evaluate` and the ``rank-eval``
command.
"""

from rank_eval.__about__ import __version__
from rank_eval.evaluate import DEFAULT_MEASURES, Evaluation, evaluate
from rank_eval.trec_format import format_trec_eval

__all__ = ["DEFAULT_MEASURES", "Evaluation", "__version__", "evaluate", "format_trec_eval"]
