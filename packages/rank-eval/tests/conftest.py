from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# tests import the naive oracles as ``reference`` (pytest runs in importlib mode)
sys.path.insert(0, str(Path(__file__).parent))
_SHARED = Path(os.environ.get("RANK_SHARED_DATA", Path(__file__).resolve().parents[4] / "shared" / "data"))


@pytest.fixture(scope="session")
def trec_eval_dir() -> Path:
    path = _SHARED / "trec_eval"
    if not path.is_dir():
        message = f"shared data not found at {path} (set RANK_SHARED_DATA)"
        if os.environ.get("RANK_REQUIRE_SHARED_DATA"):  # set by scripts/test.sh: no silent skips
            pytest.fail(message)
        pytest.skip(message)
    return path
