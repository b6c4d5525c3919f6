"""rank-eval: IR evaluation with trec_eval's numbers, from Python and from the command line.

Work in progress (issue 3): :func:`evaluate` and the ``rank-eval`` command compute every measure
of trec_eval's ``all_trec`` set (:data:`ALL_TREC_MEASURES`), with its parameters, semantics and
output format.
"""

from rank_eval.__about__ import __version__
from rank_eval.evaluate import Evaluation, evaluate
from rank_eval.measures import ALL_TREC_MEASURES, DEFAULT_MEASURES
from rank_eval.trec_format import format_trec_eval

__all__ = ["ALL_TREC_MEASURES", "DEFAULT_MEASURES", "Evaluation", "__version__", "evaluate", "format_trec_eval"]
