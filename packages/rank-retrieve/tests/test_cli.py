"""The ``rank-retrieve`` command line: index then search equals the Python API; errors exit 2."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from rank_core import Run
from rank_retrieve.bm25 import BM25
from rank_retrieve.cli import main
from rank_retrieve.corpus import read_corpus, read_queries
from rank_retrieve.tokenize import Tokenizer

DOCS = {
    "d1": "The quick brown fox jumps over the lazy dog.",
    "d2": "A fast brown fox leaps over sleeping dogs in the park.",
    "d3": "Inverted indexes make lexical retrieval with BM25 fast.",
    "d4": "Dense retrieval encodes queries and documents as vectors.",
    "d5": "Foxes are small omnivorous mammals; a fox is quick.",
    "d6": "Ranking functions such as BM25 weigh term frequency and document length.",
    "d7": "The dog sleeps.",
}
QUERIES = {"q1": "quick fox", "q2": "BM25 retrieval", "q3": "dog", "q4": "vectors for documents"}


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    corpus = tmp_path / "corpus.tsv"
    corpus.write_text("".join(f"{doc_id}\t{text}\n" for doc_id, text in DOCS.items()))
    queries = tmp_path / "queries.tsv"
    queries.write_text("".join(f"{qid}\t{text}\n" for qid, text in QUERIES.items()))
    return {"corpus": corpus, "queries": queries, "index": tmp_path / "index", "run": tmp_path / "run.trec"}


def _run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    status = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return status, out, err


def _error(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    """Run ``main(argv)``, check it fails with one ``rank-retrieve: error:`` line, return that line."""
    status, out, err = _run_cli(capsys, argv)
    assert status == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("rank-retrieve: error: ")
    return lines[0]


def _api_run(k: int, queries: dict[str, str] = QUERIES, **settings: object) -> Run:
    tokenizer_settings = {key: settings.pop(key) for key in ("stopwords", "stemmer") if key in settings}
    bm25 = BM25(**settings, tokenizer=Tokenizer(**tokenizer_settings))  # type: ignore[arg-type]
    bm25.index(list(DOCS.values()), ids=list(DOCS))
    return bm25.search(list(queries.values()), k=k).to_run(list(queries))


def test_index_then_search_equals_the_api(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    assert _run_cli(capsys, ["index", files["corpus"], "-o", files["index"], "--quiet"]) == (0, "", "")
    assert _run_cli(capsys, ["search", files["index"], files["queries"], "-k", 3, "-o", files["run"], "--quiet"]) == (0, "", "")
    written = Run.from_trec(files["run"])
    assert written == _api_run(3)
    assert written.name == "rank-retrieve"
    lines = files["run"].read_text().splitlines()
    assert lines[0].split()[:4] == ["q1", "Q0", written["q1"].doc_ids[0], "1"]


def test_index_directory_loads_with_the_settings(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    argv = ["index", files["corpus"], "-o", files["index"], "--method", "bm25l", "--k1", 1.2, "--b", 0.5,
            "--delta", 1.0, "--dtype", "float64", "--stopwords", "none", "-q"]
    assert _run_cli(capsys, argv)[0] == 0
    bm25 = BM25.load(files["index"])
    assert (bm25.method, bm25.k1, bm25.b, bm25.delta, bm25.dtype) == ("bm25l", 1.2, 0.5, 1.0, np.dtype("float64"))
    assert bm25.tokenizer.stopwords == frozenset()
    assert bm25.ids.tolist() == list(DOCS)
    assert _run_cli(capsys, ["search", files["index"], files["queries"], "-k", 10, "-o", files["run"], "-q"])[0] == 0
    assert Run.from_trec(files["run"]) == _api_run(10, method="bm25l", k1=1.2, b=0.5, delta=1.0, dtype="float64", stopwords=None)


def test_stemmer(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    pytest.importorskip("Stemmer")
    assert _run_cli(capsys, ["index", files["corpus"], "-o", files["index"], "--stemmer", "english", "-q"])[0] == 0
    assert BM25.load(files["index"]).tokenizer.stemmer == "english"
    assert _run_cli(capsys, ["search", files["index"], files["queries"], "-o", files["run"], "-q"])[0] == 0
    assert Run.from_trec(files["run"]) == _api_run(1000, stemmer="english")


def test_beir_corpus_and_trec_topics(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    corpus = tmp_path / "corpus.jsonl"
    corpus.write_text("".join(json.dumps({"_id": i, "title": "", "text": t}) + "\n" for i, t in DOCS.items()))
    topics = tmp_path / "topics.txt"
    topics.write_text("".join(f"<top>\n<num> Number: {q}\n<title> {t}\n<desc> Description:\ndocument length\n</top>\n"
                              for q, t in QUERIES.items()))
    run = tmp_path / "run.trec.gz"
    assert _run_cli(capsys, ["index", corpus, "-o", tmp_path / "idx", "-q"])[0] == 0
    argv = ["search", tmp_path / "idx", topics, "-o", run, "-k", 2, "--tag", "mine", "--threads", 1, "-q"]
    assert _run_cli(capsys, argv)[0] == 0
    assert read_queries(topics).ids == list(QUERIES)
    written = Run.from_trec(run)
    assert written == _api_run(2)
    assert written.name == "mine"
    assert _run_cli(capsys, [*argv[:-1], "--fields", "title", "desc", "-q"])[0] == 0
    assert Run.from_trec(run) == _api_run(2, {q: f"{t} document length" for q, t in QUERIES.items()})


def test_standard_output_and_progress(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    status, out, err = _run_cli(capsys, ["index", files["corpus"], "-o", files["index"]])
    assert status == 0
    assert out == ""
    assert "rank-retrieve: read 7 documents" in err
    assert "indexed 7 documents" in err
    status, out, err = _run_cli(capsys, ["search", files["index"], files["queries"], "-k", 2, "-o", "-"])
    assert status == 0
    assert "searched 4 queries" in err
    files["run"].write_text(out)
    assert Run.from_trec(files["run"]) == _api_run(2)


def test_queries_without_terms_are_left_out(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    files["queries"].write_text("q1\tquick fox\nq2\tthe of a\nq3\tdog\n")
    assert _run_cli(capsys, ["index", files["corpus"], "-o", files["index"], "-q"])[0] == 0
    status, _, err = _run_cli(capsys, ["search", files["index"], files["queries"], "-o", files["run"], "-q"])
    assert status == 0
    assert err == "rank-retrieve: warning: 1 queries have no terms after tokenization and are left out: q2\n"
    assert list(Run.from_trec(files["run"])) == ["q1", "q3"]
    files["queries"].write_text("q2\tthe of a\n")
    assert "nothing to search" in _run_cli(capsys, ["search", files["index"], files["queries"], "-o", files["run"], "-q"])[2]


def test_module_runs_as_a_script(files: dict[str, Path]) -> None:
    command = [sys.executable, "-m", "rank_retrieve.cli"]
    done = subprocess.run([*command, "index", str(files["corpus"]), "-o", str(files["index"]), "-q"],
                          capture_output=True, text=True, check=False)
    assert (done.returncode, done.stderr) == (0, "")
    done = subprocess.run([*command, "search", str(files["index"]), str(files["corpus"]), "-o", "-", "-k", "1", "-q"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert [line.split()[2] for line in done.stdout.splitlines()] == list(DOCS)  # each doc finds itself
    done = subprocess.run([*command, "search", str(files["index"])], capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr.startswith("rank-retrieve: error: ")


# ------------------------------------------------------------------------------------------ errors


def test_usage_errors(capsys: pytest.CaptureFixture[str], files: dict[str, Path]) -> None:
    assert "required" in _error(capsys, [])
    assert "invalid choice: 'fast'" in _error(capsys, ["index", files["corpus"], "-o", files["index"], "--method", "fast"])
    assert "-o/--output" in _error(capsys, ["index", files["corpus"]])
    assert "invalid choice: 'csv'" in _error(capsys, ["index", files["corpus"], "-o", files["index"], "--format", "csv"])
    assert "invalid int value" in _error(capsys, ["search", files["index"], files["queries"], "-o", files["run"], "-k", "ten"])


def test_bad_index_input(capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path) -> None:
    message = _error(capsys, ["index", tmp_path / "missing.tsv", "-o", files["index"]])
    assert "missing.tsv: cannot read the file" in message
    bad = tmp_path / "bad.tsv"
    bad.write_text("d1\tfine\nno tab\n")
    assert f"{bad}:2: expected" in _error(capsys, ["index", bad, "-o", files["index"]])
    assert "b must be in" in _error(capsys, ["index", files["corpus"], "-o", files["index"], "--b", 2])
    # an unknown language is named; without PyStemmer (the isolation env) the install hint comes first
    expected = "nostemmer" if importlib.util.find_spec("Stemmer") else 'pip install "rank-retrieve[stem]"'
    assert expected in _error(capsys, ["index", files["corpus"], "-o", files["index"], "--stemmer", "nostemmer"])
    files["run"].write_text("not an index")
    assert "is a file" in _error(capsys, ["index", files["corpus"], "-o", files["run"]])
    full = tmp_path / "full"
    full.mkdir()
    (full / "keep.txt").write_text("mine")
    assert "not empty" in _error(capsys, ["index", files["corpus"], "-o", full])
    assert (full / "keep.txt").read_text() == "mine"
    assert not files["index"].exists()


def test_bad_search_input(capsys: pytest.CaptureFixture[str], files: dict[str, Path], tmp_path: Path) -> None:
    assert _run_cli(capsys, ["index", files["corpus"], "-o", files["index"], "-q"])[0] == 0
    search = ["search", files["index"], files["queries"], "-o", files["run"]]
    files["run"].write_text("previous run\n")
    assert "does not exist" in _error(capsys, ["search", tmp_path / "noindex", files["queries"], "-o", files["run"]])
    not_index = tmp_path / "empty"
    not_index.mkdir()
    _error(capsys, ["search", not_index, files["queries"], "-o", files["run"]])
    assert "nope.tsv: cannot read" in _error(capsys, ["search", files["index"], tmp_path / "nope.tsv", "-o", files["run"]])
    assert "-k must be >= 1" in _error(capsys, [*search, "-k", 0])
    assert "--threads must be >= 1" in _error(capsys, [*search, "--threads", 0])
    assert "--tag" in _error(capsys, [*search, "--tag", "two words"])
    assert "does not exist" in _error(capsys, ["search", files["index"], files["queries"], "-o", tmp_path / "no" / "run.trec"])
    assert "<top> topics only" in _error(capsys, [*search, "--fields", "desc"])
    duplicate = tmp_path / "dup.tsv"
    duplicate.write_text("q1\tfox\nq1\tdog\n")
    assert "'q1' appears twice" in _error(capsys, ["search", files["index"], duplicate, "-o", files["run"]])
    assert files["run"].read_text() == "previous run\n"  # no failed command touched it


def test_corpus_reader_matches_the_cli_input(files: dict[str, Path]) -> None:
    """The fixture files read back as written (the CLI's equality tests rest on it)."""
    assert read_corpus(files["corpus"]).ids == list(DOCS)
    assert read_queries(files["queries"]).texts == list(QUERIES.values())
