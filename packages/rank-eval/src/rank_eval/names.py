"""Measure names in the three spellings users bring: trec_eval's, ir-measures' and ranx's.

:func:`resolve` maps a requested name to what is computed: a trec_eval measure (its ``-m`` spec or
printed name, see :mod:`rank_eval.measures`) or one of the measures beyond trec_eval
(:class:`ExtraMeasure`), with the relevance level the name sets, if any. The order of precedence:

1. trec_eval names as they are (``map``, ``P_10``, ``ndcg_cut.10,20``, ``Rprec``, ``recall``);
2. ir-measures names ``Name(arg=value, ...)@cutoff`` (``nDCG@10``, ``P(rel=2)@5``, ``AP``, ``RR@10``,
   ``ERR@20``, ``RBP(p=0.8)``, ``nDCG(dcg='exp-log2')@10``, ``Judged@10``);
3. ranx names ``name@k`` (``ndcg@10``, ``precision@10``, ``recall@100``, ``mrr``, ``hit_rate@5``,
   ``ndcg_burges@10``, ``f1@10``, ``r-precision``, ``rbp.95``).

A name that is none of these raises :class:`~rank_core.RankValueError` listing the close matches.
"""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass

from rank_core import RankValueError
from rank_eval._kernels import extra_measures as em
from rank_eval.measures import is_trec_measure, trec_spellings

__all__ = ["ExtraMeasure", "Resolved", "resolve"]

#: ERR's default top grade: the TREC Web track's (gdeval's MAX_JUDGMENT), so ERR@20 is its ERR@20.
ERR_TOP_GRADE = 4.0
#: RBP's default persistence, ir-measures' (cwl_eval's) default.
RBP_PERSISTENCE = 0.8


@dataclass(frozen=True)
class ExtraMeasure:
    """A measure beyond trec_eval: a code of :mod:`rank_eval._kernels.extra_measures`, its depth
    (0: the whole ranking) and its two parameters."""

    code: int
    cutoff: int
    params: tuple[float, float] = (0.0, 0.0)


@dataclass(frozen=True)
class Resolved:
    """What a requested name computes: a trec_eval name or an extra measure, and the relevance
    level the name sets (``None``: the evaluation's)."""

    measure: str | ExtraMeasure
    level: int | None = None


def _cutoff(request: str, text: str | None, *, required: bool = False) -> int:
    if text is None:
        if required:
            raise RankValueError(f"{request} needs a cutoff, e.g. {request}@10")
        return 0
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if value != int(value) or value <= 0:
        raise RankValueError(f"{request}: the cutoff must be a positive integer, got {text!r}")
    return int(value)


def _number(request: str, args: dict[str, object], key: str, default: float, *, low: float, high: float) -> float:
    value = args.pop(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise RankValueError(f"{request}: {key} must be a number in [{low}, {high}], got {value!r}")
    return float(value)


def _level(request: str, args: dict[str, object]) -> int | None:
    if "rel" not in args:
        return None
    value = args.pop("rel")
    if isinstance(value, bool) or not isinstance(value, int):
        raise RankValueError(f"{request}: rel must be an integer relevance level, got {value!r}")
    return value


# ---- ir-measures ----------------------------------------------------------------------------
# name -> (trec_eval name without a cutoff, trec_eval cutoff family) for the names trec_eval has
_IR_TREC: dict[str, tuple[str | None, str | None]] = {
    "AP": ("map", "map_cut"),
    "P": (None, "P"),
    "R": (None, "recall"),
    "Success": (None, "success"),
    "IPrec": (None, "iprec_at_recall"),
    "Rprec": ("Rprec", None),
    "Bpref": ("bpref", None),
    "infAP": ("infAP", None),
    "NumQ": ("num_q", None),
    "NumRet": ("num_ret", None),
    "NumRel": ("num_rel", None),
    "NumRelRet": ("num_rel_ret", None),
    "SetP": ("set_P", None),
    "SetR": ("set_recall", None),
    "SetF": ("set_F", None),
    "SetAP": ("set_map", None),
}
_IR_SYNTAX = re.compile(r"(?P<name>[A-Za-z]+)(?:\((?P<args>[^)]*)\))?(?:@(?P<cutoff>[^@]*))?")


def _ir_arguments(request: str, text: str | None) -> dict[str, object]:
    """``rel=2, p=0.8, dcg='exp-log2'`` as a dict of Python literals."""
    args: dict[str, object] = {}
    for argument in filter(None, (a.strip() for a in (text or "").split(","))):
        key, sep, value = argument.partition("=")
        try:
            args[key.strip()] = ast.literal_eval(value.strip())
        except (ValueError, SyntaxError):
            sep = ""
        if not sep:
            raise RankValueError(f"{request}: arguments must be key=value literals, got {argument!r}")
    return args


def _from_ir_measures(request: str) -> Resolved | None:
    match = _IR_SYNTAX.fullmatch(request)
    name = match["name"] if match else None
    if name not in _IR_TREC and name not in _IR_EXTRA and name not in ("nDCG", "RR"):
        return None
    args = _ir_arguments(request, match["args"])
    level = _level(request, args)
    cutoff_text = match["cutoff"]
    measure: str | ExtraMeasure
    if name == "nDCG":
        cutoff = _cutoff(request, cutoff_text)
        if _exponential(request, args):
            measure = ExtraMeasure(em.NDCG_EXP, cutoff)
        else:
            measure = f"ndcg_cut_{cutoff}" if cutoff else "ndcg"
    elif name == "RR":  # trec_eval's recip_rank has no cutoff
        cutoff = _cutoff(request, cutoff_text)
        measure = ExtraMeasure(em.RECIPROCAL_RANK, cutoff) if cutoff else "recip_rank"
    elif name in _IR_EXTRA:
        measure = _IR_EXTRA[name](request, args, cutoff_text)
    else:
        plain, family = _IR_TREC[name]
        if cutoff_text is None:
            if plain is None:
                raise RankValueError(f"{request} needs a cutoff, e.g. {name}@10")
            measure = plain
        elif family is None:
            raise RankValueError(f"{request}: {name} takes no cutoff")
        elif family == "iprec_at_recall":
            measure = f"{family}_{float(cutoff_text):.2f}"
        else:
            measure = f"{family}_{_cutoff(request, cutoff_text)}"
    if args:
        raise RankValueError(f"{request}: unknown argument(s) {', '.join(sorted(args))}")
    return Resolved(measure, level)


def _exponential(request: str, args: dict[str, object]) -> bool:
    """ir-measures' ``dcg`` argument: ``'log2'`` (gain = grade) or ``'exp-log2'`` (2**grade - 1)."""
    dcg = args.pop("dcg", "log2")
    if dcg not in ("log2", "exp-log2"):
        raise RankValueError(f"{request}: dcg must be 'log2' or 'exp-log2', got {dcg!r}")
    return dcg == "exp-log2"


def _err(request: str, args: dict[str, object], cutoff: str | None) -> ExtraMeasure:
    top = _number(request, args, "max_rel", ERR_TOP_GRADE, low=1, high=64)
    return ExtraMeasure(em.ERR, _cutoff(request, cutoff), (top, 0.0))


def _rbp(code: int) -> Callable[[str, dict[str, object], str | None], ExtraMeasure]:
    def make(request: str, args: dict[str, object], cutoff: str | None) -> ExtraMeasure:
        p = _number(request, args, "p", RBP_PERSISTENCE, low=0, high=1)
        if p in (0.0, 1.0):
            raise RankValueError(f"{request}: the persistence p must be strictly between 0 and 1")
        top = _number(request, args, "max_rel", 0, low=0, high=1e9)  # 0: binary gains
        return ExtraMeasure(code, _cutoff(request, cutoff), (p, top))

    return make


def _simple(code: int, *, required: bool) -> Callable[[str, dict[str, object], str | None], ExtraMeasure]:
    return lambda request, args, cutoff: ExtraMeasure(code, _cutoff(request, cutoff, required=required))


def _f_measure(request: str, args: dict[str, object], cutoff: str | None) -> ExtraMeasure:
    beta = _number(request, args, "beta", 1.0, low=0, high=1e9)
    return ExtraMeasure(em.F_MEASURE, _cutoff(request, cutoff), (beta, 0.0))


# ir-measures-style names of the measures trec_eval lacks (ERR, RBP, Judged are ir-measures'
# own; DCG, Hits, F and RBPResidual follow their syntax)
_IR_EXTRA: dict[str, Callable[[str, dict[str, object], str | None], ExtraMeasure]] = {
    "ERR": _err,
    "RBP": _rbp(em.RBP),
    "RBPResidual": _rbp(em.RBP_RESIDUAL),
    "Judged": _simple(em.JUDGED, required=False),
    "DCG": lambda request, args, cutoff: ExtraMeasure(
        em.DCG_EXP if _exponential(request, args) else em.DCG, _cutoff(request, cutoff)
    ),
    "Hits": _simple(em.HITS, required=False),
    "F": _f_measure,
}


# ---- ranx -----------------------------------------------------------------------------------
def _ranx_trec(plain: str | None, family: str | None) -> Callable[[str, int], str | ExtraMeasure]:
    def make(request: str, cutoff: int) -> str:
        if cutoff == 0:
            if plain is None:
                raise RankValueError(f"{request} needs a cutoff, e.g. {request}@10")
            return plain
        if family is None:
            raise RankValueError(f"{request}: takes no cutoff")
        return f"{family}_{cutoff}"

    return make


_RANX: dict[str, Callable[[str, int], str | ExtraMeasure]] = {
    "precision": _ranx_trec(None, "P"),
    "recall": _ranx_trec(None, "recall"),
    "hit_rate": _ranx_trec(None, "success"),
    "map": _ranx_trec("map", "map_cut"),
    "ndcg": _ranx_trec("ndcg", "ndcg_cut"),
    "r-precision": _ranx_trec("Rprec", None),
    "bpref": _ranx_trec("bpref", None),
    "mrr": lambda request, k: ExtraMeasure(em.RECIPROCAL_RANK, k) if k else "recip_rank",
    "hits": lambda request, k: ExtraMeasure(em.HITS, k),
    "f1": lambda request, k: ExtraMeasure(em.F_MEASURE, k, (1.0, 0.0)),
    "dcg": lambda request, k: ExtraMeasure(em.DCG, k),
    "dcg_burges": lambda request, k: ExtraMeasure(em.DCG_EXP, k),
    "ndcg_burges": lambda request, k: ExtraMeasure(em.NDCG_EXP, k),
    "err": lambda request, k: ExtraMeasure(em.ERR, k, (ERR_TOP_GRADE, 0.0)),
    "judged": lambda request, k: ExtraMeasure(em.JUDGED, k),
}
_RANX_SYNTAX = re.compile(r"(?P<name>[a-z][a-z_1-]*)(?:@(?P<cutoff>[^@]*))?")
_RANX_RBP = re.compile(r"rbp\.(?P<p>[0-9]+)(?:@(?P<cutoff>[^@]*))?")


def _from_ranx(request: str) -> Resolved | None:
    rbp = _RANX_RBP.fullmatch(request)
    if rbp is not None:  # rbp.95: persistence 0.95
        p = float("0." + rbp["p"])
        if p == 0.0:
            raise RankValueError(f"{request}: the persistence must be above 0")
        return Resolved(ExtraMeasure(em.RBP, _cutoff(request, rbp["cutoff"]), (p, 0.0)))
    match = _RANX_SYNTAX.fullmatch(request)
    if match is None or match["name"] not in _RANX:
        return None
    return Resolved(_RANX[match["name"]](request, _cutoff(request, match["cutoff"])))


def _spellings() -> list[str]:
    return list(dict.fromkeys([*trec_spellings(), *_IR_TREC, *_IR_EXTRA, "nDCG", "RR", *_RANX, "rbp.95"]))


def resolve(request: str) -> Resolved:
    """What ``request`` computes (see the module docstring for the spellings and precedence)."""
    if not isinstance(request, str):
        raise RankValueError(f"measure names must be strings, got {request!r}")
    if is_trec_measure(request):
        return Resolved(request)
    for spelling in (_from_ir_measures, _from_ranx):
        resolved = spelling(request)
        if resolved is not None:
            return resolved
    close = difflib.get_close_matches(request, _spellings(), n=4, cutoff=0.5)
    if not close:  # compare the name part of name@k / name(args)
        stem = re.split(r"[@(.]", request, maxsplit=1)[0]
        close = difflib.get_close_matches(stem, _spellings(), n=4, cutoff=0.5)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise RankValueError(
        f"unknown measure {request!r}{hint} (trec_eval names such as ndcg_cut_10, ir-measures names "
        f"such as nDCG@10 and ranx names such as ndcg@10 are accepted; see the rank-eval README)"
    )
