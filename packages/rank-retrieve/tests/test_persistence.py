"""BM25 save/load: round trips, memory maps, atomic replacement, and clear errors for bad directories."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from rank_core import RankValueError
from rank_retrieve import BM25, IndexDirectoryError, Tokenizer, persistence

CORPUS = ["The quick brown fox", "jumps over the lazy dog", "a quick dog", "foxes and dogs and cats"]
QUERIES = ["quick fox", "lazy dogs", "cats"]


@pytest.fixture
def index() -> BM25:
    return BM25("bm25l", k1=1.2, b=0.7, delta=0.4, tokenizer=Tokenizer(stopwords=["the", "a"], min_length=3)).index(
        CORPUS, ids=["d1", "d2", "d3", "d4"]
    )


@pytest.mark.parametrize("mmap", [True, False])
def test_round_trip(index, tmp_path, mmap):
    index.save(tmp_path / "idx")
    loaded = BM25.load(tmp_path / "idx", mmap=mmap, verify=True)
    assert (loaded.method, loaded.k1, loaded.b, loaded.delta, loaded.dtype) == ("bm25l", 1.2, 0.7, 0.4, index.dtype)
    assert loaded.tokenizer.to_config() == index.tokenizer.to_config()
    assert isinstance(loaded._postings_scores, np.memmap) is mmap
    expected, got = index.search(QUERIES, k=4), loaded.search(QUERIES, k=4)
    np.testing.assert_array_equal(got.ids, expected.ids)
    np.testing.assert_array_equal(got.scores, expected.scores)


def test_a_loaded_index_can_change_and_be_saved_again(index, tmp_path):
    index.save(tmp_path / "idx")
    loaded = BM25.load(tmp_path / "idx")
    loaded.add(["quick cats"], ids=["d5"]).delete(["d1"])
    loaded.save(tmp_path / "idx")  # replaces the index its own arrays are mapped from
    rebuilt = BM25("bm25l", k1=1.2, b=0.7, delta=0.4, tokenizer=index.tokenizer).index(
        [*CORPUS[1:], "quick cats"], ids=["d2", "d3", "d4", "d5"]
    )
    again = BM25.load(tmp_path / "idx", verify=True)
    np.testing.assert_array_equal(again.search(QUERIES, k=4).ids, rebuilt.search(QUERIES, k=4).ids)
    np.testing.assert_allclose(again.search(QUERIES, k=4).scores, rebuilt.search(QUERIES, k=4).scores)
    assert len([p for p in (tmp_path / "idx").iterdir() if p.name.startswith("data-")]) == 1


def test_a_crash_mid_save_leaves_the_old_index(index, tmp_path, monkeypatch):
    index.save(tmp_path / "idx")
    before = sorted(p.name for p in (tmp_path / "idx").iterdir())
    changed = BM25().index(["something else entirely"])
    calls = {"n": 0}
    real_save = np.save

    def crash_after_two_arrays(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 2:
            raise OSError("disk full (simulated)")
        real_save(*args, **kwargs)

    monkeypatch.setattr(persistence.np, "save", crash_after_two_arrays)
    with pytest.raises(OSError, match="simulated"):
        changed.save(tmp_path / "idx")
    monkeypatch.setattr(persistence.np, "save", real_save)

    def crash_at_the_swap(*args, **kwargs):
        raise OSError("power cut (simulated)")

    monkeypatch.setattr(persistence.Path, "replace", crash_at_the_swap)
    with pytest.raises(OSError, match="simulated"):
        changed.save(tmp_path / "idx")
    monkeypatch.undo()
    assert sorted(p.name for p in (tmp_path / "idx").iterdir()) == before  # nothing half-written is left
    loaded = BM25.load(tmp_path / "idx", verify=True)
    np.testing.assert_array_equal(loaded.search(QUERIES, k=4).ids, index.search(QUERIES, k=4).ids)
    changed.save(tmp_path / "idx")
    assert BM25.load(tmp_path / "idx").ids.tolist() == ["0"]


def test_refuses_to_overwrite_a_foreign_directory(index, tmp_path):
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("precious")
    with pytest.raises(RankValueError, match="not empty") as info:
        index.save(folder)
    assert isinstance(info.value, ValueError)
    assert [p.name for p in folder.iterdir()] == ["notes.txt"]
    (tmp_path / "a-file").write_text("x")
    with pytest.raises(RankValueError, match="not a directory"):
        index.save(tmp_path / "a-file")


def _damage(root: Path, how: str) -> None:
    manifest_path = root / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    data = root / manifest["data"]
    if how == "no manifest":
        manifest_path.unlink()
    elif how == "garbage manifest":
        manifest_path.write_text("{not json")
    elif how == "foreign manifest":
        manifest_path.write_text(json.dumps({"format": "something-else"}))
    elif how == "other kind":
        manifest["format"] = "rank-retrieve.dense"
        manifest_path.write_text(json.dumps(manifest))
    elif how == "future version":
        manifest["format_version"] = 99
        manifest_path.write_text(json.dumps(manifest))
    elif how == "missing array":
        (data / "postings_scores.npy").unlink()
    elif how == "truncated array":
        path = data / "postings_docs.npy"
        path.write_bytes(path.read_bytes()[:-8])
    elif how == "wrong shape":
        np.save(data / "doc_lengths.npy", np.zeros(2, dtype=np.int32))
    elif how == "missing setting":
        del manifest["settings"]["method"]
        manifest_path.write_text(json.dumps(manifest))


@pytest.mark.parametrize(
    "how",
    ["no manifest", "garbage manifest", "foreign manifest", "other kind", "future version", "missing array",
     "truncated array", "wrong shape", "missing setting"],
)
def test_damaged_or_foreign_directories_raise_clearly(index, tmp_path, how):
    index.save(tmp_path / "idx")
    _damage(tmp_path / "idx", how)
    with pytest.raises(IndexDirectoryError) as info:
        BM25.load(tmp_path / "idx")
    assert isinstance(info.value, RankValueError) and isinstance(info.value, ValueError)
    assert str(tmp_path / "idx") in str(info.value)


def test_silent_corruption_is_caught_by_verify(index, tmp_path):
    index.save(tmp_path / "idx")
    manifest = json.loads((tmp_path / "idx" / "manifest.json").read_text())
    path = tmp_path / "idx" / manifest["data"] / "postings_scores.npy"
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0xFF  # same size and header, one flipped bit pattern in the data
    path.write_bytes(bytes(raw))
    BM25.load(tmp_path / "idx")  # shapes and dtypes still agree
    with pytest.raises(IndexDirectoryError, match="CRC-32"):
        BM25.load(tmp_path / "idx", verify=True)


def test_missing_directory(tmp_path):
    with pytest.raises(IndexDirectoryError, match="does not exist"):
        BM25.load(tmp_path / "nowhere")


def test_unsaved_tokenizer_settings_are_refused_before_writing(tmp_path):
    index = BM25(tokenizer=Tokenizer(stemmer=str.upper)).index(["some text"])
    with pytest.raises(RankValueError):
        index.save(tmp_path / "idx")
    assert not (tmp_path / "idx").exists()
