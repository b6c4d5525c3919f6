"""Naive pure-Python oracle for trec_eval's preference measures, written from the definitions.

It follows trec_eval 10.0's ``form_prefs_counts`` and ``m_prefs_*.c`` literally: every
preference is an explicit (a, b) pair of docid ranks, a JG with several subgroups is closed
transitively by repeated joins, the pair measures loop over a dense count table in trec_eval's
order, and ``prefs_avgjg_Rnonrel[_ret]`` redo trec_eval's recalculation loops, quirks included.
Slow on purpose (quadratic pairs, cubic closure); independent of the kernel's counting formulas.

Where trec_eval would read past an array (``prefs_avgjg_Rnonrel`` keeping more docs than the
last class holds, possible only with negative rel_levels) it keeps the whole class, which is
what Python slicing does and what rank-eval documents.
"""

from __future__ import annotations

import math
from itertools import takewhile

MEASURES = (
    "prefs_num_prefs_poss", "prefs_num_prefs_ful", "prefs_num_prefs_ful_ret",
    "prefs_simp", "prefs_pair", "prefs_avgjg", "prefs_avgjg_Rnonrel",
    "prefs_simp_ret", "prefs_pair_ret", "prefs_avgjg_ret", "prefs_avgjg_Rnonrel_ret",
    "prefs_simp_imp", "prefs_pair_imp", "prefs_avgjg_imp",
)


class Inconsistent(Exception):
    """A judgment group with several subgroups contradicts itself."""


def preference_ranking(ranking: dict[str, float], max_docs: int | None = None) -> list[str]:
    """Doc ids by score descending, ties by doc id ascending (trec_eval's form_prefs_counts)."""
    order = sorted(ranking, key=lambda doc: (-ranking[doc], doc))
    return order if max_docs is None else order[:max_docs]


def _classify(a: int, b: int, njr: int) -> str:
    """Kind of the preference a > b: ful_ret, ful_imp, notful_ret, notful_imp or notoccur."""
    if a < b:
        if b < njr:
            return "ful_ret"
        return "ful_imp" if a < njr else "notoccur"
    if a < njr:
        return "notful_ret"
    return "notful_imp" if b < njr else "notoccur"


def _tally(prefs: list[tuple[int, int]], njr: int) -> dict[str, int]:
    kinds = {"ful_ret": 0, "ful_imp": 0, "notful_ret": 0, "notful_imp": 0, "notoccur": 0}
    for a, b in prefs:
        kinds[_classify(a, b, njr)] += 1
    return {
        "ful_ret": kinds["ful_ret"],
        "poss_ret": kinds["ful_ret"] + kinds["notful_ret"],
        "ful_imp": kinds["ful_imp"],
        "poss_imp": kinds["ful_imp"] + kinds["notful_imp"],
        "notoccur": kinds["notoccur"],
    }


def _class_group(lines: list[tuple[str, int, float]], njr: int) -> dict:
    """One subgroup: classes of equal level, each preferred to every lower class."""
    levels = sorted({level for _, _, level in lines}, reverse=True)
    classes = [sorted(r for _, r, level in lines if level == lvl) for lvl in levels]
    prefs = [(a, b) for i in range(len(classes)) for j in range(i + 1, len(classes))
             for a in classes[i] for b in classes[j]]
    group = _tally(prefs, njr)
    group["prefs"] = prefs
    group["rel"] = sum(len(c) for c, lvl in zip(classes, levels, strict=True) if lvl > 0)
    group["rel_ret"] = sum(1 for c, lvl in zip(classes, levels, strict=True) if lvl > 0 for r in c if r < njr)
    group["nonrel"] = sum(len(c) for c, lvl in zip(classes, levels, strict=True) if not lvl > 0)
    group["nonrel_ret"] = sum(1 for c, lvl in zip(classes, levels, strict=True) if not lvl > 0 for r in c if r < njr)

    def recalculate(kept_last: list[int], only_retrieved: bool) -> tuple[int, int]:
        """trec_eval's loops: classes pairwise except the last, then every class (the last one
        too) against the kept docs of the last class."""
        def members(c: list[int]) -> list[int]:
            return list(takewhile(lambda r: r < njr, c)) if only_retrieved else c

        ful = poss = 0
        for i in range(len(classes)):
            for j in range(i + 1, len(classes) - 1):
                for a in members(classes[i]):
                    for b in members(classes[j]):
                        poss += 1
                        ful += a < b and a < njr
        for i in range(len(classes)):
            for a in members(classes[i]):
                for b in kept_last:
                    poss += 1
                    ful += a < b and a < njr
        return ful, poss

    if group["nonrel"] > group["rel"]:
        group["rn"] = recalculate(classes[-1][: group["rel"]], only_retrieved=False)
    if group["nonrel_ret"] > group["rel_ret"]:
        kept = list(takewhile(lambda r: r < njr, classes[-1][: group["rel_ret"]]))
        group["rn_ret"] = recalculate(kept, only_retrieved=True)
    return group


def _array_group(lines: list[tuple[str, int, float]], njr: int, nj: int) -> dict:
    """Several subgroups: union of the subgroups' preferences, closed transitively."""
    rel_value: dict[int, float] = {}
    for _, r, level in sorted(lines, key=lambda line: (line[0], -line[2], line[1])):
        current = rel_value.get(r, -1.0)
        if (current > 0 and level == 0) or (current == 0 and level > 0):
            raise Inconsistent("rel_level 0 and > 0")
        rel_value[r] = level
    prefs = set()
    for subgroup in {sg for sg, _, _ in lines}:
        members = [(r, level) for sg, r, level in lines if sg == subgroup]
        prefs |= {(a, b) for a, la in members for b, lb in members if la > lb}
    while True:
        joined = {(a, d) for a, b in prefs for c, d in prefs if b == c and a != d}
        if joined <= prefs:
            break
        prefs |= joined
    if any((b, a) in prefs for a, b in prefs):
        raise Inconsistent("a > b and b > a")
    prefs = sorted(prefs)
    group = _tally(prefs, njr)
    group["prefs"] = prefs
    group["rel"] = sum(1 for v in rel_value.values() if v > 0)
    group["rel_ret"] = sum(1 for r, v in rel_value.items() if v > 0 and r < njr)
    group["nonrel"] = sum(1 for v in rel_value.values() if v == 0)
    group["nonrel_ret"] = sum(1 for r, v in rel_value.items() if v == 0 and r < njr)

    def first_dropped(limit: int) -> int:
        seen = 0
        for r in range(limit):
            if rel_value.get(r, -1.0) == 0:
                seen += 1
                if seen == group["rel"] + 1:
                    return r
        return limit

    def kept(r: int, dropped_from: int) -> bool:
        return not (r >= dropped_from and rel_value.get(r, -1.0) == 0)

    if group["nonrel"] > group["rel"]:
        start = first_dropped(nj)
        both = [(a, b) for a, b in prefs if kept(a, start) and kept(b, start)]
        group["rn"] = (sum(1 for a, b in both if a < njr and b > a), len(both))
    if group["nonrel_ret"] > group["rel_ret"]:
        start = first_dropped(njr)
        both = [(a, b) for a, b in prefs if a < njr and b < njr and kept(a, start) and kept(b, start)]
        group["rn_ret"] = (sum(1 for a, b in both if b > a), len(both))
    return group


def _ratio(ful: int, poss: int) -> float:
    return ful / poss if poss else math.nan  # C's 0.0 / 0.0


def query_measures(lines: list[tuple[str, str, str, float]], ranking: list[str]) -> dict[str, float]:
    """All 14 measures of one query: ``lines`` are (group, subgroup, doc, level), ``ranking`` the
    retrieved doc ids in preference order (already cut to max_docs)."""
    judged = sorted({doc for _, _, doc, _ in lines})
    judged_set = set(judged)
    rank = {doc: i for i, doc in enumerate(d for d in ranking if d in judged_set)}
    njr = len(rank)
    for doc in judged:
        rank.setdefault(doc, len(rank))
    nj = len(judged)

    groups = []
    for label in sorted({g for g, _, _, _ in lines}):
        group_lines = [(sg, rank[doc], level) for g, sg, doc, level in lines if g == label]
        if len({sg for sg, _, _ in group_lines}) == 1:
            groups.append(_class_group(group_lines, njr))
        else:
            groups.append(_array_group(group_lines, njr, nj))

    table = [[0] * nj for _ in range(nj)]  # trec_eval's counts array: JGs preferring a to b
    for group in groups:
        for a, b in group["prefs"]:
            table[a][b] += 1

    def total(key: str) -> int:
        return sum(g[key] for g in groups)

    ful_ret, poss_ret = total("ful_ret"), total("poss_ret")
    ful, poss_imp = ful_ret + total("ful_imp"), poss_ret + total("poss_imp")
    poss = poss_imp + total("notoccur")
    values = {
        "prefs_num_prefs_poss": float(poss),
        "prefs_num_prefs_ful": float(ful),
        "prefs_num_prefs_ful_ret": float(ful_ret),
        "prefs_simp": ful / poss if poss else 0.0,
        "prefs_simp_ret": ful_ret / poss_ret if poss_ret else 0.0,
        "prefs_simp_imp": ful / poss_imp if poss_imp else 0.0,
    }

    # pair measures: trec_eval's three loops over the counts table
    pair_sum, n_both, n_one, n_none = 0.0, 0, 0, 0
    for i in range(njr):
        for j in range(i + 1, njr):
            if table[i][j] or table[j][i]:
                n_both += 1
                pair_sum += table[i][j] / (table[i][j] + table[j][i])
    both_sum = pair_sum
    for i in range(njr):
        for j in range(njr, nj):
            if table[i][j] or table[j][i]:
                n_one += 1
                pair_sum += table[i][j] / (table[i][j] + table[j][i])
    for i in range(njr, nj):
        for j in range(i + 1, nj):
            if table[i][j] or table[j][i]:
                n_none += 1
    values["prefs_pair_ret"] = both_sum / n_both if n_both else 0.0
    values["prefs_pair_imp"] = pair_sum / (n_both + n_one) if n_both + n_one else 0.0
    values["prefs_pair"] = pair_sum / (n_both + n_one + n_none) if n_both + n_one + n_none else 0.0

    sums = {"all": 0.0, "ret": 0.0, "imp": 0.0, "rn": 0.0, "rn_ret": 0.0}
    for g in groups:
        g_ful, g_poss = g["ful_ret"] + g["ful_imp"], g["poss_ret"] + g["poss_imp"] + g["notoccur"]
        if g_poss:
            sums["all"] += g_ful / g_poss
        if g["poss_ret"]:
            sums["ret"] += g["ful_ret"] / g["poss_ret"]
        if g["poss_ret"] + g["poss_imp"]:
            sums["imp"] += g_ful / (g["poss_ret"] + g["poss_imp"])
        r, n = g["rel"], g["nonrel"]
        if r >= n:
            sums["rn"] += _ratio(g_ful + g["rel_ret"] * (r - n), g_poss + g["rel"] * (r - n))
        else:
            sums["rn"] += _ratio(*g["rn"])
        r, n = g["rel_ret"], g["nonrel_ret"]
        if r >= n:
            sums["rn_ret"] += _ratio(g["ful_ret"] + g["rel_ret"] * (r - n), g["poss_ret"] + g["rel"] * (r - n))
        else:
            sums["rn_ret"] += _ratio(*g["rn_ret"])
    for key, name in (("all", "prefs_avgjg"), ("ret", "prefs_avgjg_ret"), ("imp", "prefs_avgjg_imp"),
                      ("rn", "prefs_avgjg_Rnonrel"), ("rn_ret", "prefs_avgjg_Rnonrel_ret")):
        values[name] = sums[key] / len(groups) if sums[key] > 0 else 0.0  # NaN > 0 is false
    return values


def evaluate(
    records: list[tuple[str, str, str, str, float]],
    run: dict[str, dict[str, float]],
    *,
    complete: bool = False,
    max_docs: int | None = None,
) -> dict[str, dict[str, float]]:
    """``{qid: {measure: value}}`` for the judged queries in the run (every judged one if complete)."""
    by_query: dict[str, list[tuple[str, str, str, float]]] = {}
    for qid, group, subgroup, doc, level in records:
        by_query.setdefault(qid, []).append((group, subgroup, doc, level))
    return {
        qid: query_measures(lines, preference_ranking(run.get(qid, {}), max_docs))
        for qid, lines in sorted(by_query.items())
        if complete or qid in run
    }


def random_case(rng) -> tuple[list[tuple[str, str, str, str, float]], dict[str, dict[str, float]]]:
    """Random preference judgments and a run: several groups, one- and several-subgroup groups,
    negative and fractional levels, score ties, unjudged and unretrieved docs, queries on one
    side only. Several-subgroup groups are consistent: each doc has a hidden level per group and
    each subgroup shows it through its own increasing map that keeps 0 at 0."""
    records = []
    pool = [f"d{i:02d}" for i in range(int(rng.integers(3, 22)))]
    for q in range(int(rng.integers(1, 7))):
        qid = f"q{q}"
        for g in rng.choice(["g0", "g1", "u2", "x"], size=int(rng.integers(1, 4)), replace=False):
            n_subgroups = int(rng.choice([1, 1, 2, 3]))
            if n_subgroups == 1:
                docs = rng.choice(pool, size=int(rng.integers(1, len(pool) + 1)), replace=False)
                for doc in docs:
                    level = float(rng.choice([-1.0, 0.0, 0.0, 0.5, 1.0, 1.0, 2.0, 3.0]))
                    records.append((qid, str(g), "s", str(doc), level))
                continue
            hidden = {doc: float(rng.choice([-1.0, 0.0, 0.0, 1.0, 2.0, 3.0])) for doc in pool}
            for s in range(n_subgroups):
                scale, shift = float(rng.choice([0.5, 1.0, 3.0])), float(rng.choice([0.0, 1.0]))
                docs = rng.choice(pool, size=int(rng.integers(1, min(len(pool), 7) + 1)), replace=False)
                for doc in docs:
                    h = hidden[str(doc)]
                    level = h * scale + (shift if h > 0 else 0.0)
                    records.append((qid, str(g), f"s{s}", str(doc), level))
    run: dict[str, dict[str, float]] = {}
    extra = [f"u{i}" for i in range(5)]  # never judged
    for q in range(-1, 7):
        if rng.random() < 0.2:
            continue  # a judged query without a ranking, or no extra query
        candidates = pool + extra
        docs = rng.choice(candidates, size=int(rng.integers(0, len(candidates) + 1)), replace=False)
        run[f"q{q}"] = {str(doc): float(rng.integers(0, 4)) / 2 for doc in docs}
    return records, run
