"""benchmarks/peers_openai.py runs (smoke test: sizes tiny, no timing asserted)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("agents")
pytest.importorskip("apsw", reason="the libsql extra is not installed")

from benchmarks import peers_openai


def test_peer_table_has_both_workloads_on_sqlite(tmp_path: Path) -> None:
    out = tmp_path / "peers.md"
    assert peers_openai.main(["--quick", "--backends", "sqlite", "--append-to", str(out)]) == 0
    table = out.read_text()
    assert "## OpenAI Agents SDK" in table
    assert "| SQLite | W1 |" in table and "| SQLite | W2 |" in table
    assert table.count("SQLiteSession |") == 2
