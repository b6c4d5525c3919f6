from __future__ import annotations

import sys
from pathlib import Path

import pytest

from rank_core.testing import shared_data_dir

# tests import the naive oracles as ``reference`` (pytest runs in importlib mode)
sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def pyserini_dir() -> Path:
    return shared_data_dir("fusion_fixtures", tests_dir=Path(__file__).parent) / "pyserini"
