"""examples/openai_agents_session.py runs as a user would run it, on a libSQL file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("agents")

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "openai_agents_session.py"


def test_the_example_answers_turn_two_from_stored_history(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), f"file:{tmp_path / 'agents.db'}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = done.stdout
    # "there" names no city: the model found Oslo in turn 1, read back from the file.
    assert out.count("agent: It is 3 degrees in Oslo.") == 2
    assert "6 Mastra messages" in out
    assert out.count("assistant tool-invocation") == 2
