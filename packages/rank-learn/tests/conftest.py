from __future__ import annotations

import sys
from pathlib import Path

# tests import the naive oracles (``reference*.py``) beside them; pytest runs in importlib mode
sys.path.insert(0, str(Path(__file__).parent))
