"""trec_eval's measure names and parameters.

A request is a trec_eval ``-m`` spec (``P``, ``P.5,7,3``, ``ndcg.1=3,2=9``, ``iprec_at_recall..1,.5``,
``official``, ``all_trec``) or a printed name (``P_5``, ``ndcg_cut_10``, ``iprec_at_recall_0.10``).
:func:`plan` turns requests into the parameters the kernel needs and the names to print, in
trec_eval's order (its measure table order; parameters sorted, as trec_eval sorts them).
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from rank_core import RankValueError

__all__ = ["ALL_TREC_MEASURES", "DEFAULT_MEASURES", "MeasurePlan", "is_trec_measure", "plan", "trec_spellings"]

# Kinds of family: how parameters are parsed and printed.
_SINGLE = "single"  # no parameters
_CUTOFFS = "cutoffs"  # rank cutoffs, printed name_k
_POINTS = "points"  # fractions, printed name_0.25
_TEXT = "text"  # parameters kept as given, printed name_<text> (name alone with defaults)

# trec_eval's measure table, in its print order: (family, kind, default parameters)
_FAMILIES: list[tuple[str, str, str | None]] = [
    ("runid", _SINGLE, None),
    ("num_q", _SINGLE, None),
    ("num_ret", _SINGLE, None),
    ("num_rel", _SINGLE, None),
    ("num_rel_ret", _SINGLE, None),
    ("map", _SINGLE, None),
    ("gm_map", _SINGLE, None),
    ("Rprec", _SINGLE, None),
    ("bpref", _SINGLE, None),
    ("recip_rank", _SINGLE, None),
    ("iprec_at_recall", _POINTS, "0,.1,.2,.3,.4,.5,.6,.7,.8,.9,1"),
    ("P", _CUTOFFS, "5,10,15,20,30,100,200,500,1000"),
    ("relstring", _TEXT, "10"),
    ("recall", _CUTOFFS, "5,10,15,20,30,100,200,500,1000"),
    ("infAP", _SINGLE, None),
    ("gm_bpref", _SINGLE, None),
    ("Rprec_mult", _POINTS, "0.2,0.4,0.6,0.8,1.0,1.2,1.4,1.6,1.8,2.0"),
    ("utility", _TEXT, "1,-1,0,0"),
    ("11pt_avg", _TEXT, "0,.1,.2,.3,.4,.5,.6,.7,.8,.9,1"),
    ("binG", _SINGLE, None),
    ("G", _SINGLE, None),
    ("ndcg", _TEXT, ""),
    ("ndcg_rel", _SINGLE, None),
    ("Rndcg", _SINGLE, None),
    ("ndcg_cut", _CUTOFFS, "5,10,15,20,30,100,200,500,1000"),
    ("map_cut", _CUTOFFS, "5,10,15,20,30,100,200,500,1000"),
    ("relative_P", _CUTOFFS, "5,10,15,20,30,100,200,500,1000"),
    ("success", _CUTOFFS, "1,5,10"),
    ("set_P", _SINGLE, None),
    ("set_relative_P", _SINGLE, None),
    ("set_recall", _SINGLE, None),
    ("set_map", _SINGLE, None),
    ("set_F", _SINGLE, None),
    ("num_nonrel_judged_ret", _SINGLE, None),
    ("rbp", _SINGLE, None),
    ("rbp_resid", _SINGLE, None),
    ("unj", _CUTOFFS, "5,10,20"),
]
_KIND = {name: kind for name, kind, _ in _FAMILIES}
_DEFAULT = {name: default for name, _, default in _FAMILIES}
_ORDER = {name: i for i, (name, _, _) in enumerate(_FAMILIES)}

#: trec_eval's default measure set (its output without ``-m``).
OFFICIAL = ("runid", "num_q", "num_ret", "num_rel", "num_rel_ret", "map", "gm_map", "Rprec",
            "bpref", "recip_rank", "iprec_at_recall", "P")
_SETS = {"official": OFFICIAL, "all_trec": tuple(name for name, _, _ in _FAMILIES)}


@dataclass(frozen=True)
class MeasurePlan:
    """What to compute and print for a list of requests.

    ``names`` are the printed names in order; ``family_of[name]`` and ``param_of[name]`` locate
    each in the kernel output (the parameter's index in its family's array, or ``None``).
    """

    names: tuple[str, ...]
    family_of: dict[str, str]
    param_of: dict[str, int | None]
    recall_points: NDArray[np.float64]
    cutoffs: NDArray[np.int64]
    multiples: NDArray[np.float64]
    average_points: NDArray[np.float64]
    utility: NDArray[np.float64]
    gains: dict[int, float]
    relstring_length: int


def _floats(family: str, text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise RankValueError(f"parameters of {family} must be comma-separated numbers, got {text!r}") from None
    if not values:
        raise RankValueError(f"{family} needs at least one parameter, got {text!r}")
    return values


def _cutoffs(family: str, text: str) -> list[int]:
    values = [int(v) for v in _floats(family, text)]  # trec_eval reads cutoffs with atol: 23.4 -> 23
    if min(values) <= 0 or len(set(values)) != len(values):
        raise RankValueError(f"cutoffs of {family} must be positive and distinct, got {text!r}")
    return sorted(values)


def _gains(text: str) -> dict[int, float]:
    gains = {}
    for pair in filter(None, text.split(",")):
        level, sep, gain = pair.partition("=")
        try:
            gains[int(level)] = float(gain)
        except ValueError:
            raise RankValueError(f"ndcg gains must be level=gain pairs, got {pair!r}") from None
        if not sep:
            raise RankValueError(f"ndcg gains must be level=gain pairs, got {pair!r}")
    return gains


def _family(request: str) -> tuple[str, str | None] | None:
    """``(family, parameters)`` of a ``-m`` spec or a printed name, or None."""
    family, dot, params = request.partition(".")
    if dot and family in _KIND:
        return family, params
    if request in _KIND:
        return request, None
    for name, kind in _KIND.items():  # printed names: P_5, iprec_at_recall_0.10
        if kind in (_CUTOFFS, _POINTS) and request.startswith(name + "_"):
            return name, request[len(name) + 1 :]
    return None


def is_trec_measure(request: str) -> bool:
    """Whether ``request`` is a trec_eval measure name, ``-m`` spec or set (its parameters are
    checked by :func:`plan`)."""
    found = _family(request)
    if found is None:
        return request in _SETS
    family, params = found
    return params is None or _KIND[family] != _SINGLE  # rbp.8 is ranx's, not a trec_eval spec


def trec_spellings() -> list[str]:
    """trec_eval's measure families and sets (for suggestions)."""
    return [*_KIND, *_SETS]


def _split(request: str) -> tuple[str, str | None]:
    found = _family(request)
    if found is None:
        close = difflib.get_close_matches(request, trec_spellings(), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise RankValueError(f"unknown trec_eval measure {request!r}{hint}")
    return found


def plan(requests: Sequence[str]) -> MeasurePlan:
    """Parse measure requests (see the module docstring) into a :class:`MeasurePlan`."""
    if isinstance(requests, str):
        requests = [requests]
    chosen: dict[str, list[str | None]] = {}
    for request in requests:
        for item in _SETS.get(request, (request,)):
            family, params = _split(item)
            chosen.setdefault(family, []).append(params)

    names: list[str] = []
    family_of: dict[str, str] = {}
    param_of: dict[str, int | None] = {}
    values: dict[str, list] = {}
    texts: dict[str, str | None] = {}
    for family in sorted(chosen, key=_ORDER.__getitem__):
        kind = _KIND[family]
        given = [p for p in chosen[family] if p is not None]
        if kind == _SINGLE:
            if given:
                raise RankValueError(f"{family} takes no parameters, got {given[0]!r}")
            names.append(family)
            family_of[family], param_of[family] = family, None
            continue
        if kind == _TEXT:
            if len(set(given)) > 1:
                raise RankValueError(f"{family} was given different parameters: {sorted(set(given))}")
            text = given[0] if given else None
            texts[family] = text
            name = family if text is None else f"{family}_{text}"
            names.append(name)
            family_of[name], param_of[name] = family, None
            continue
        parse = _cutoffs if kind == _CUTOFFS else (lambda f, t: sorted(set(_floats(f, t))))
        params = sorted({v for text in (given or [_DEFAULT[family]]) for v in parse(family, text)})
        values[family] = params
        for i, value in enumerate(params):
            name = f"{family}_{value}" if kind == _CUTOFFS else f"{family}_{value:.2f}"
            names.append(name)
            family_of[name], param_of[name] = family, i

    cutoff_families = [f for f in values if _KIND[f] == _CUTOFFS]
    cutoffs = sorted({k for f in cutoff_families for k in values[f]})
    # cutoff columns are laid out over the union: re-index each name into it
    for name, family in family_of.items():
        if family in cutoff_families:
            param_of[name] = cutoffs.index(values[family][param_of[name]])
    utility = _floats("utility", texts.get("utility") or _DEFAULT["utility"])
    if len(utility) != 4:
        raise RankValueError(f"utility takes 4 coefficients, got {len(utility)}")
    relstring = _floats("relstring", texts.get("relstring") or _DEFAULT["relstring"])
    return MeasurePlan(
        names=tuple(names),
        family_of=family_of,
        param_of=param_of,
        recall_points=np.array(values.get("iprec_at_recall", []), dtype=np.float64),
        cutoffs=np.array(cutoffs, dtype=np.int64),
        multiples=np.array(values.get("Rprec_mult", []), dtype=np.float64),
        average_points=np.array(sorted(_floats("11pt_avg", texts.get("11pt_avg") or _DEFAULT["11pt_avg"]))),
        utility=np.array(utility, dtype=np.float64),
        gains=_gains(texts.get("ndcg") or ""),
        relstring_length=max(0, math.floor(relstring[0])),
    )


#: The printed names of trec_eval's default measure set, in its order.
DEFAULT_MEASURES: tuple[str, ...] = plan(["official"]).names
#: The printed names of trec_eval's ``all_trec`` set with default parameters, in its order.
ALL_TREC_MEASURES: tuple[str, ...] = plan(["all_trec"]).names

