"""examples/langchain_history.py runs (scripted model, no network), twice on one file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("apsw", reason="the libsql extra is not installed")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "langchain_history.py"


def test_the_example_runs_and_stores_the_tool_call_as_mastra_does(tmp_path: Path) -> None:
    url = f"file:{tmp_path / 'lc.db'}"
    for _ in range(2):  # rerunnable on the same database
        done = subprocess.run(
            [sys.executable, str(EXAMPLE), url],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "assistant: You asked about Paris." in lines
    assert "  assistant ['tool-invocation'] ''" in lines
    assert sum(line.startswith("  ") for line in lines) == 5  # cleared, not doubled
    assert "Warning" not in done.stderr
