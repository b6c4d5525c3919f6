from __future__ import annotations

import sys
from pathlib import Path

# the demo is a package at the repository root (demo/), not an installed distribution
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
