from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from rank_core.testing import shared_data_dir

# tests import the naive oracles (``reference``) and the collection loaders (``shared_collections``)
sys.path.insert(0, str(Path(__file__).parent))

#: bm25s's default token pattern: the pre-tokenised input given to both libraries in parity tests.
WORDS = re.compile(r"(?u)\b\w\w+\b")


@pytest.fixture(scope="session")
def scifact_tokens() -> tuple[list[str], list[list[str]], list[list[str]]]:
    """SciFact's doc ids, documents and all 1109 queries as lowercased word lists."""
    folder = shared_data_dir("scifact", tests_dir=Path(__file__).parent)
    docs = [json.loads(line) for line in (folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines()]
    queries = [json.loads(line) for line in (folder / "queries.jsonl").read_text(encoding="utf-8").splitlines()]
    corpus = [WORDS.findall(f"{doc['title']} {doc['text']}".lower()) for doc in docs]
    return [doc["_id"] for doc in docs], corpus, [WORDS.findall(q["text"].lower()) for q in queries]
