"""The README's quick example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_quick_example_runs(tmp_path, monkeypatch, capsys):
    text = README.read_text(encoding="utf-8")
    section = text.split("## Quick example", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1)
    monkeypatch.chdir(tmp_path)  # the example writes bm25.run
    exec(compile(code, str(README), "exec"), {})
    printed = capsys.readouterr().out.splitlines()
    assert printed == ["['d2' 'd3' 'd1']", "{'q1': {'d2': 3.5, 'd3': 2.0}}"]
    assert (tmp_path / "bm25.run").read_text() == "q1 Q0 d2 1 3.5 bm25\nq1 Q0 d3 2 2.0 bm25\nq1 Q0 d1 3 2.0 bm25\n"
