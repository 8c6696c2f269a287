"""examples/pydantic_ai_history.py runs as a user would run it, on a libSQL file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pydantic_ai")
pytest.importorskip("libsql", reason="the libsql driver is not installed")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "pydantic_ai_history.py"


def test_the_example_runs_two_turns_from_storage(tmp_path: Path) -> None:
    url = f"file:{tmp_path / 'chat.db'}"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), url],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "It is 3 degrees in Oslo." in out and "It is 5 degrees in Oslo." in out
    # The second answer needed turn 1's history from the file (the day is counted from it).
    assert "6 Mastra messages" in out
    assert out.count("assistant tool-invocation") == 2
