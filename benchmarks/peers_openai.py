"""OpenAI Agents sessions: ``MastraSession`` beside the SDK's own stores, same backend.

* SQLite: the SDK's ``SQLiteSession`` on a file (as shipped) vs ``MastraSession`` on a
  libSQL file (``connect("file:...")``).
* PostgreSQL: the SDK's ``SQLAlchemySession`` (``postgresql+asyncpg``, ``create_tables``)
  vs ``MastraSession`` on ``connect(postgresql://...)``, one fresh database.

Workloads (the issue's W1/W2), both sides taking and giving the SDK's input items, so each
side's conversion is inside its timings:

* W1 append a turn: ``add_items([user message, assistant output message])`` (200
  characters each), 500 turns on a new session;
* W2 newest 40 of 1,000 items: ``get_items(limit=40)`` on a session of 500 turns, 200 reads.

Run: ``python -m benchmarks.peers_openai [--backends sqlite,postgres] [--quick]
[--append-to FILE]`` (``python -m benchmarks --peers`` runs it with the other frameworks).
"""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.peers_common import Cell, cell, comparisons, run_cli, timed_ms
from mastra_storage import connect
from mastra_storage.integrations.openai_agents import MastraSession

TEXT_CHARS = 200


@dataclass(frozen=True)
class Sizes:
    """Counts of one run (the issue's W1/W2 figures by default)."""

    w1_turns: int = 500
    w2_turns: int = 500  # 1,000 items
    w2_recall: int = 40
    w2_ops: int = 200
    warmup: int = 20


QUICK = Sizes(w1_turns=20, w2_turns=50, w2_recall=10, w2_ops=10, warmup=2)


def turn(n: int) -> list[dict[str, Any]]:
    """One turn as the SDK stores it: the user's message and the model's output message."""
    return [
        {"role": "user", "content": f"{n:06d} " + "u" * (TEXT_CHARS - 7)},
        {
            "id": f"msg_{n:06d}",
            "type": "message",
            "role": "assistant",
            "status": "completed",
            "content": [
                {"type": "output_text", "text": "a" * TEXT_CHARS, "annotations": [], "logprobs": []}
            ],
        },
    ]


async def _workloads(
    make: Callable[[str], Any], backend: str, side: str, sizes: Sizes
) -> list[Cell]:
    """W1 and W2 on sessions built by ``make(session_id)``; checks W2 reads what it wrote."""
    writer = make("w1")
    counter = iter(range(10**9))
    w1 = await timed_ms(lambda: writer.add_items(turn(next(counter))), sizes.w1_turns, sizes.warmup)
    reader = make("w2")
    for n in range(sizes.w2_turns):
        await reader.add_items(turn(n))
    expected = [i for n in range(sizes.w2_turns) for i in turn(n)][-sizes.w2_recall :]
    got = await reader.get_items(sizes.w2_recall)
    if got != expected:
        raise AssertionError(f"{side} on {backend}: get_items({sizes.w2_recall}) differs")
    w2 = await timed_ms(lambda: reader.get_items(sizes.w2_recall), sizes.w2_ops, sizes.warmup)
    return [cell(backend, "W1", side, w1), cell(backend, "W2", side, w2)]


async def _sqlite(tmp: Path, sizes: Sizes) -> list[Cell]:
    from agents import SQLiteSession

    cells = await _workloads(
        lambda sid: SQLiteSession(sid, str(tmp / "peer.db")), "SQLite", "SQLiteSession", sizes
    )
    storage = connect(f"file:{tmp / 'ours.db'}")
    await storage.init()
    try:
        cells += await _workloads(
            lambda sid: MastraSession(sid, storage), "SQLite", "MastraSession", sizes
        )
    finally:
        await storage.close()
    return cells


async def _postgres(sizes: Sizes) -> list[Cell]:
    from agents.extensions.memory.sqlalchemy_session import SQLAlchemySession
    from sqlalchemy.ext.asyncio import create_async_engine

    from tests.support.servers import postgres_database

    async with postgres_database() as url:
        engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
        try:
            cells = await _workloads(
                lambda sid: SQLAlchemySession(sid, engine=engine, create_tables=True),
                "PostgreSQL",
                "SQLAlchemySession",
                sizes,
            )
        finally:
            await engine.dispose()
        storage = connect(url)
        await storage.init()
        try:
            cells += await _workloads(
                lambda sid: MastraSession(sid, storage), "PostgreSQL", "MastraSession", sizes
            )
        finally:
            await storage.close()
    return cells


async def measure(backends: Sequence[str], sizes: Sizes) -> list[Cell]:
    """Both sides on each backend (``sqlite``, ``postgres``), one after the other."""
    cells: list[Cell] = []
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            cells += await _sqlite(Path(tmp), sizes)
    if "postgres" in backends:
        cells += await _postgres(sizes)
    return cells


def markdown(cells: Sequence[Cell], sizes: Sizes) -> str:
    """The comparison table: one row per backend and workload, p50 (p90) per side."""
    lines = [
        "## OpenAI Agents SDK",
        "",
        "Ours: `MastraSession` (libSQL file / PostgreSQL). Peers: the SDK's `SQLiteSession` "
        "(file, as shipped) and `SQLAlchemySession` (`postgresql+asyncpg`). Both take and give "
        f"the SDK's input items. W1: append a turn, {sizes.w1_turns} turns on a new session; "
        f"W2: newest {sizes.w2_recall} of {2 * sizes.w2_turns} items, {sizes.w2_ops} reads. "
        "Milliseconds per operation, p50 (p90).",
        "",
        "| backend | workload | ours | peer | peer | ours faster |",
        "|---|---|---|---|---|---|",
    ]
    for ours, peer, ratio in comparisons(cells, "MastraSession"):
        lines.append(
            f"| {ours.backend} | {ours.workload} | {ours.p50_ms:.3f} ({ours.p90_ms:.3f}) | "
            f"{peer.side} | {peer.p50_ms:.3f} ({peer.p90_ms:.3f}) | {ratio:.2f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: measure, print the table, optionally append it to a Markdown file."""
    return run_cli(
        argv,
        prog="python -m benchmarks.peers_openai",
        sizes=Sizes(),
        quick=QUICK,
        measure=measure,
        markdown=markdown,
    )


if __name__ == "__main__":
    sys.exit(main())
