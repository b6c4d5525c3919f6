"""The end-to-end pipeline on Cranfield: retrieve -> fuse -> rerank -> evaluate, with the rank-* packages.

Stages (every run is a rank-core ``Run``, evaluated by rank-eval with trec_eval's semantics):

1. **First stage** (rank-retrieve): three BM25 systems over the 1400 abstracts, top ``depth``
   (1000) per query: ``bm25`` (Lucene's BM25, k1=1.2, b=0.75, the package's default tokenizer:
   lowercased words, English stopwords) is the baseline; ``bm25l`` (BM25L, delta 0.5, same
   tokens); ``bm25-stem`` (Lucene's BM25 on Snowball English stems, the ``[stem]`` extra). With
   the neural extras, ``dense-minilm`` (all-MiniLM-L6-v2 through ONNX, exact cosine search) too.
2. **Fusion** (rank-fusion) of every first-stage run: ``rrf`` (k=60), ``combmnz`` (min-max
   normalised scores), ``dbsf`` (Qdrant's distribution-based score fusion), and ``wsum-cv``: a
   weighted sum of min-max normalised scores whose weights ``optimize_weights`` tunes for nDCG@10
   by two-fold cross-validation (queries split by position, odd / even; each half is fused with
   the best weights of the grid of multiples of 0.25 on the other half, so no query is scored
   with weights it helped choose).
3. **Rerank** (rank-rerank, with the neural extras): the top 100 of ``rrf`` and of ``bm25``
   rescored by MaxSim over MiniLM token embeddings, and by a cross-encoder when one is given
   (``cross_encoder``: a directory written by ``rank_rerank.export_cross_encoder``; none ships
   offline, so without it the stage is listed as skipped).
4. **Evaluation** (rank-eval): nDCG@10, MAP, P@10, R@100 and MRR of every system, and
   ``compare``'s paired test between every pair of systems with Holm's correction over the pairs
   of each metric.

:func:`run_pipeline` runs it all and writes ``report.md``, ``results.json`` and the plots into the
output folder; :mod:`demo.report` formats the tables.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import json
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from tqdm.auto import tqdm

import rank_core
import rank_eval
import rank_fusion
import rank_retrieve
from demo import neural as neural_stages
from demo import parity as parity_check
from demo.cranfield import Collection, load_cranfield
from demo.tables import concat_runs, select_queries
from rank_core import OptionalDependencyError, Qrels, RankValueError, Run
from rank_eval import Comparison, compare
from rank_retrieve import BM25, Tokenizer

__all__ = [
    "BASELINE",
    "METRICS",
    "STAGES",
    "VARIANTS",
    "Bm25Variant",
    "PipelineResult",
    "Skipped",
    "System",
    "cross_validated_fusion",
    "evaluate_systems",
    "first_stage",
    "fusion_stage",
    "run_pipeline",
]

#: display label -> rank-eval (trec_eval) measure name
METRICS = {"nDCG@10": "ndcg_cut_10", "MAP": "map", "P@10": "P_10", "R@100": "recall_100", "MRR": "recip_rank"}
STAGES = ("first stage", "fusion", "rerank")
BASELINE = "bm25"
#: BM25's k1 and b for every variant (Robertson's classic setting; rank-retrieve defaults to bm25s's k1=1.5)
K1, B = 1.2, 0.75
DEPTH = 1000
RERANK_DEPTH = 100
Test = Literal["t-test", "fisher", "wilcoxon", "bootstrap"]
Echo = Callable[[str], None]


@dataclass(frozen=True)
class Bm25Variant:
    """One first-stage BM25 system: rank-retrieve's ``method`` over the tokenizer's tokens."""

    name: str
    method: str
    stemmer: str | None
    description: str

    def tokenizer(self) -> Tokenizer:
        return Tokenizer(stopwords="english", stemmer=self.stemmer)

    def model(self) -> BM25:
        return BM25(self.method, k1=K1, b=B, tokenizer=self.tokenizer())


VARIANTS = (
    Bm25Variant("bm25", "lucene", None, "BM25 (Lucene idf), k1=1.2, b=0.75; words, English stopwords"),
    Bm25Variant("bm25l", "bm25l", None, "BM25L (delta 0.5), k1=1.2, b=0.75; same tokens"),
    Bm25Variant("bm25-stem", "lucene", "english", "BM25 (Lucene idf) on Snowball English stems"),
)


@dataclass(frozen=True)
class System:
    """One ranked run of the pipeline and how it was made."""

    name: str
    stage: str
    description: str
    run: Run = field(repr=False)
    seconds: float
    timing: str = ""  # the breakdown of ``seconds`` ("index 0.31 s + search 0.60 s")


@dataclass(frozen=True)
class Skipped:
    """A part of the pipeline that did not run: what, why, and the command that enables it."""

    what: str
    why: str
    enable: str


@dataclass(frozen=True)
class PipelineResult:
    """Everything :func:`run_pipeline` measured; ``comparison`` holds the per-query values."""

    out_dir: Path
    n_docs: int
    n_queries: int
    systems: tuple[System, ...]
    comparison: Comparison = field(repr=False)
    skipped: tuple[Skipped, ...]
    notes: tuple[str, ...]
    parity: tuple[Any, ...]
    timings: dict[str, float]
    files: tuple[Path, ...]
    test: str
    baseline: str = BASELINE

    def system(self, name: str) -> System:
        for system in self.systems:
            if system.name == name:
                return system
        raise KeyError(name)

    def means(self, name: str) -> dict[str, float]:
        """``{metric label: mean}`` of one system over the evaluated queries."""
        return {label: self.comparison.mean(name, measure) for label, measure in METRICS.items()}

    def stage(self, stage: str) -> tuple[System, ...]:
        return tuple(system for system in self.systems if system.stage == stage)


# ------------------------------------------------------------------------------------ stages


def first_stage(
    collection: Collection, *, depth: int = DEPTH, variants: Sequence[Bm25Variant] = VARIANTS,
    show_progress: bool = True,
) -> tuple[list[System], list[Skipped]]:
    """Index the documents and search every query with each BM25 variant (top ``depth``)."""
    systems: list[System] = []
    skipped: list[Skipped] = []
    for variant in tqdm(variants, desc="first stage", unit="index", disable=not show_progress, leave=False):
        start = time.perf_counter()
        try:
            model = variant.model().index(collection.doc_texts, ids=collection.doc_ids, show_progress=False)
        except OptionalDependencyError as error:
            skipped.append(Skipped(f"first stage: {variant.name} ({variant.description})", str(error), error.install_hint))
            continue
        indexed = time.perf_counter()
        result = model.search(collection.query_texts, k=depth, show_progress=False)
        run = result.to_run(collection.query_ids, name=variant.name)
        done = time.perf_counter()
        systems.append(System(
            variant.name, "first stage", variant.description, run, done - start,
            f"index {indexed - start:.2f} s + search {done - indexed:.2f} s",
        ))
    return systems, skipped


def cross_validated_fusion(
    qrels: Qrels, runs: Sequence[Run], query_ids: Sequence[str], *, method: str = "wsum",
    metric: str = "ndcg_cut_10", step: float = 0.25, depth: int = DEPTH, show_progress: bool = True,
    name: str = "wsum-cv",
) -> tuple[Run, list[tuple[tuple[float, ...], float]]]:
    """Fusion weights tuned by two-fold cross-validation; returns the run and each fold's
    ``(weights, metric on its training half)``.

    The queries are split by position (odd / even); each half is fused with the weights that
    ``rank_fusion.optimize_weights`` found best (full grid, ``step``) on the other half, so every
    query of the returned run was scored with weights tuned without it.
    """
    halves = [list(query_ids[0::2]), list(query_ids[1::2])]
    if min(len(half) for half in halves) < 1:
        raise RankValueError(f"cross-validation needs at least 2 queries, got {len(query_ids)}")
    parts: list[Run] = []
    folds: list[tuple[tuple[float, ...], float]] = []
    for train, held_out in ((halves[1], halves[0]), (halves[0], halves[1])):
        best = rank_fusion.optimize_weights(
            select_queries(qrels, train), [select_queries(run, train) for run in runs], method, metric,
            step=step, top_k=depth, show_progress=show_progress,
        )
        folds.append((best.weights, best.score))
        parts.append(rank_fusion.fuse(
            [select_queries(run, held_out) for run in runs], method, norm="min-max", weights=list(best.weights),
            top_k=depth,
        ))
    return concat_runs(parts, name=name), folds


def fusion_stage(
    collection: Collection, inputs: Sequence[System], *, depth: int = DEPTH, step: float = 0.25,
    show_progress: bool = True,
) -> tuple[list[System], list[Skipped], list[str]]:
    """Fuse the first-stage runs with RRF, CombMNZ, DBSF and cross-validated weights."""
    systems: list[System] = []
    skipped: list[Skipped] = []
    notes: list[str] = []
    if len(inputs) < 2:
        skipped.append(Skipped("fusion", "fewer than two first-stage runs", "install the extras listed above"))
        return systems, skipped, notes
    runs = [system.run for system in inputs]
    names = ", ".join(system.name for system in inputs)
    methods: list[tuple[str, str, Callable[[], Run]]] = [
        ("rrf", f"RRF (k=60) of {names}", lambda: rank_fusion.rrf(runs, k=60, top_k=depth, name="rrf")),
        ("combmnz", f"CombMNZ of min-max normalised {names}",
         lambda: rank_fusion.comb_mnz(runs, norm="min-max", top_k=depth, name="combmnz")),
        ("dbsf", f"DBSF (mean +- 3 sd normalisation) of {names}",
         lambda: rank_fusion.dbsf(runs, top_k=depth, name="dbsf")),
    ]
    for name, description, fuse in tqdm(methods, desc="fusion", unit="method", disable=not show_progress, leave=False):
        start = time.perf_counter()
        run = fuse()
        systems.append(System(name, "fusion", description, run, time.perf_counter() - start, "fuse"))

    start = time.perf_counter()
    try:
        run, folds = cross_validated_fusion(
            collection.qrels, runs, collection.query_ids, step=step, depth=depth, show_progress=show_progress,
        )
    except OptionalDependencyError as error:
        skipped.append(Skipped("fusion: wsum-cv (optimised weights)", str(error), error.install_hint))
        return systems, skipped, notes
    seconds = time.perf_counter() - start
    systems.append(System(
        "wsum-cv", "fusion", f"weighted sum of min-max normalised {names}, weights tuned for nDCG@10 "
        "by 2-fold cross-validation", run, seconds, "tune on each half + fuse the other",
    ))
    for fold, (weights, score) in zip(("odd", "even"), folds, strict=True):
        other = "even" if fold == "odd" else "odd"
        described = ", ".join(f"{system.name} {weight:.2f}" for system, weight in zip(inputs, weights, strict=True))
        notes.append(
            f"wsum-cv: the {other}-position queries were fused with weights ({described}), the best of the "
            f"{rank_fusion.optimize.grid_size(len(runs), step)}-point grid (step {step}) on the {fold}-position "
            f"queries (nDCG@10 {score:.4f} there)"
        )
    return systems, skipped, notes


def evaluate_systems(qrels: Qrels, systems: Sequence[System], *, test: Test = "t-test") -> Comparison:
    """Every system on every metric, every pair tested (``test``), Holm-corrected per metric."""
    return compare(
        qrels, {system.name: system.run for system in systems}, list(METRICS.values()),
        test=test, correction="holm", alpha=0.05, seed=42,
    )


# ---------------------------------------------------------------------------------- pipeline


def _warm_up(collection: Collection, *, neural: Any) -> None:
    """Run every compiled step once on a tiny slice (40 documents, 4 queries), so that numba's
    compilation (a fresh environment) or cache loading is not charged to the first timed system."""
    tiny = collection.sample(40, 4)
    systems, _ = first_stage(tiny, depth=20, show_progress=False)
    fused, _, _ = fusion_stage(tiny, systems, depth=20, step=0.5, show_progress=False)
    evaluate_systems(tiny.qrels, systems + fused)
    if neural is not None:
        neural.warm_up()


def run_pipeline(
    out_dir: str | Path,
    *,
    query_limit: int | None = None,
    show_progress: bool = True,
    neural: Literal["auto", "off"] = "auto",
    model_cache: str | Path | None = None,
    test: Test = "t-test",
    parity: bool = True,
    plots: bool = True,
    save_runs: bool = False,
    cross_encoder: str | Path | None = None,
    echo: Echo | None = None,
) -> PipelineResult:
    """Run the whole pipeline on Cranfield (the first ``query_limit`` queries, default all 225)
    and write ``report.md``, ``results.json`` and the plots to ``out_dir``.

    ``neural="auto"`` adds the dense first stage and the MaxSim reranking when rank-rerank's ONNX
    extras (and, for the one-time export of the bundled MiniLM, torch) are importable; otherwise
    they are listed in ``skipped`` with the command that enables them. ``parity`` checks BM25
    against bm25s on the same tokens when bm25s is importable. ``cross_encoder`` (a model directory
    from ``rank_rerank.export_cross_encoder``) adds ``rrf+cross-encoder`` and ``bm25+cross-encoder``
    (this needs only the ``[onnx]`` extra). ``echo`` receives one line per
    finished step (the command line passes tqdm's ``write``).
    """
    from demo import report  # imports this module

    say = echo if echo is not None else (lambda line: None)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    skipped: list[Skipped] = []
    notes: list[str] = []

    start = time.perf_counter()
    collection = load_cranfield().limit(query_limit)
    timings["load Cranfield"] = time.perf_counter() - start
    say(f"loaded Cranfield: {len(collection.doc_ids)} documents, {len(collection.query_ids)} queries, "
        f"{collection.qrels.n_rows} judgments ({timings['load Cranfield']:.2f} s)")

    encoder = None
    missing = neural_stages.missing(model_cache)
    if neural == "auto" and missing is None:
        encoder = neural_stages.NeuralStages(model_cache, show_progress=show_progress, echo=say)
    elif neural == "auto":
        skipped.append(missing)
    else:
        skipped.append(Skipped(
            neural_stages.WHAT, "turned off (neural='off', --no-neural)" + (f"; also, {missing.why}" if missing else ""),
            "leave out --no-neural" + (f"; and {missing.enable}" if missing else ""),
        ))

    if encoder is not None:
        start = time.perf_counter()
        encoder.prepare()
        timings["ONNX model (export once, load)"] = time.perf_counter() - start
    start = time.perf_counter()
    _warm_up(collection, neural=encoder)
    timings["warm-up"] = time.perf_counter() - start
    say(f"warm-up: numba kernels compiled or loaded from cache ({timings['warm-up']:.1f} s; "
        "minutes on the first run in a fresh environment, then cached)")

    start = time.perf_counter()
    first, missed = first_stage(collection, show_progress=show_progress)
    skipped.extend(missed)
    if encoder is not None:
        first.append(encoder.dense_system(collection, depth=DEPTH))
    timings["first stage"] = time.perf_counter() - start
    for system in first:
        say(f"first stage: {system.name} ({system.timing})")

    start = time.perf_counter()
    fused, missed, fusion_notes = fusion_stage(collection, first, show_progress=show_progress)
    skipped.extend(missed)
    notes.extend(fusion_notes)
    timings["fusion"] = time.perf_counter() - start
    for system in fused:
        say(f"fusion: {system.name} ({system.seconds:.2f} s)")

    reranked: list[System] = []
    sources = [system for system in (*fused, *first) if system.name in ("rrf", BASELINE)]
    if encoder is not None:
        start = time.perf_counter()
        reranked = encoder.rerank_systems(collection, sources, depth=RERANK_DEPTH)
        notes.extend(encoder.notes)
        timings["rerank"] = time.perf_counter() - start
        for system in reranked:
            say(f"rerank: {system.name} ({system.timing})")
    cross_encoder_missing = neural_stages.missing_cross_encoder(cross_encoder)
    if cross_encoder_missing is None:
        start = time.perf_counter()
        cross_encoded, note = neural_stages.cross_encoder_systems(
            collection, sources, cross_encoder, depth=RERANK_DEPTH, show_progress=show_progress,
        )
        reranked.extend(cross_encoded)
        notes.append(note)
        timings["cross-encoder"] = time.perf_counter() - start
        for system in cross_encoded:
            say(f"rerank: {system.name} ({system.timing})")
    else:
        skipped.append(cross_encoder_missing)

    systems = (*first, *fused, *reranked)
    start = time.perf_counter()
    comparison = evaluate_systems(collection.qrels, systems, test=test)
    timings["evaluation"] = time.perf_counter() - start
    say(f"evaluation: {len(systems)} systems x {len(METRICS)} metrics, {len(comparison.pairs)} paired tests "
        f"({timings['evaluation']:.2f} s)")

    parity_rows: tuple[Any, ...] = ()
    if parity:
        start = time.perf_counter()
        indexed = {system.name for system in first}
        rows, missing_bm25s = parity_check.bm25s_parity(collection, [v for v in VARIANTS if v.name in indexed])
        parity_rows = tuple(rows)
        if missing_bm25s is not None:
            skipped.append(missing_bm25s)
        else:
            timings["bm25s parity"] = time.perf_counter() - start
            say(f"bm25s parity: {len(rows)} variants ({timings['bm25s parity']:.2f} s)")

    result = PipelineResult(
        out_dir=out, n_docs=len(collection.doc_ids), n_queries=len(collection.query_ids), systems=systems,
        comparison=comparison, skipped=tuple(skipped), notes=tuple(notes), parity=parity_rows,
        timings=timings, files=(), test=test,
    )

    start = time.perf_counter()
    files: list[Path] = []
    if plots:
        written, plot_skipped = report.write_plots(result)
        files.extend(written)
        skipped.extend(plot_skipped)
    if save_runs:
        runs_dir = out / "runs"
        runs_dir.mkdir(exist_ok=True)
        for system in systems:
            path = runs_dir / f"{system.name}.trec"
            system.run.to_trec(path, tag=system.name)
            files.append(path)
    timings["report"] = time.perf_counter() - start
    result = dataclasses.replace(
        result, skipped=tuple(skipped), timings=timings, files=(out / "report.md", out / "results.json", *files)
    )
    report.write_markdown(result, out / "report.md")
    _write_json(result, out / "results.json")
    return result


def versions() -> dict[str, str]:
    """The versions that produced the numbers (interpreter, packages, and the optional libraries used)."""
    found = {
        "python": platform.python_version(),
        "rank-core": rank_core.__version__,
        "rank-retrieve": rank_retrieve.__version__,
        "rank-fusion": rank_fusion.__version__,
        "rank-eval": rank_eval.__version__,
    }
    for name in ("rank-rerank", "numpy", "numba", "bm25s", "onnxruntime"):
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def _write_json(result: PipelineResult, path: Path) -> None:
    payload = {
        "collection": {"name": "cranfield", "documents": result.n_docs, "queries": result.n_queries},
        "metrics": METRICS,
        "baseline": result.baseline,
        "test": f"{result.test}, Holm correction over the pairs of each metric, alpha 0.05",
        "systems": [
            {
                "name": system.name, "stage": system.stage, "description": system.description,
                "seconds": round(system.seconds, 4), "means": result.means(system.name),
                "vs_baseline": {
                    label: _vs_baseline(result, system.name, measure) for label, measure in METRICS.items()
                } if system.name != result.baseline else None,
            }
            for system in result.systems
        ],
        "parity": [row._asdict() for row in result.parity],
        "skipped": [dataclasses.asdict(skipped) for skipped in result.skipped],
        "notes": list(result.notes),
        "timings": {step: round(seconds, 4) for step, seconds in result.timings.items()},
        "versions": versions(),
    }
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def _vs_baseline(result: PipelineResult, name: str, measure: str) -> dict[str, Any]:
    pair = result.comparison.pair(name, result.baseline, measure)
    return {"difference": pair.difference, "p_value": pair.p_value, "significant": bool(pair.significant)}
