"""benchmarks/peers_pydantic_ai.py runs end to end at tiny sizes (SQLite) and reports both sides."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("pydantic_ai")
pytest.importorskip("apsw", reason="the libsql extra is not installed")

from benchmarks.peers_pydantic_ai import PEER, Sizes, markdown, measure


def test_the_peer_benchmark_measures_both_sides() -> None:
    sizes = Sizes(w1_turns=5, w2_thread_messages=50, w2_recall=10, w2_ops=3, warmup=1)
    cells = asyncio.run(measure(["sqlite"], sizes))
    assert sorted((c.workload, c.side) for c in cells) == [
        ("W1", PEER),
        ("W1", "ours"),
        ("W2", PEER),
        ("W2", "ours"),
    ]
    assert all(c.p50_ms > 0 and c.ops in (5, 3) for c in cells)
    table = markdown(cells, sizes)
    assert "| SQLite | W1 |" in table and "| SQLite | W2 |" in table
