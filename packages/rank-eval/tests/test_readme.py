"""The README's quick example runs and prints what it says."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quick_example_runs(capsys):
    section = README.read_text(encoding="utf-8").split("## Quick example", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1)
    exec(compile(code, str(README), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed[0] == "{'num_q': 2.0, 'map': 0.6666666666666666, 'recip_rank': 0.75, 'P_5': 0.30000000000000004}"
    assert printed[1] == "[0.83333333 0.5       ]"
