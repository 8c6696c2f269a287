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

from benchmarks.peers_common import Cell, alternating_ms, cell, comparisons, run_cli
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


async def _interleaved(
    makers: dict[str, Callable[[str], Any]], backend: str, sizes: Sizes
) -> list[Cell]:
    """W1 and W2 on sessions built by each side's ``make(session_id)``, the sides
    alternating operation by operation; checks each side's W2 reads what it wrote."""
    sides = list(makers)
    writers = {side: make("w1") for side, make in makers.items()}
    turns = [turn(n) for n in range(sizes.w1_turns + sizes.warmup)]
    w1 = await alternating_ms(
        sides, sizes.w1_turns, sizes.warmup, lambda side, i: writers[side].add_items(turns[i])
    )
    readers = {side: make("w2") for side, make in makers.items()}
    for n in range(sizes.w2_turns):
        for reader in readers.values():
            await reader.add_items(turn(n))
    expected = [i for n in range(sizes.w2_turns) for i in turn(n)][-sizes.w2_recall :]
    for side, reader in readers.items():
        if await reader.get_items(sizes.w2_recall) != expected:
            raise AssertionError(f"{side} on {backend}: get_items({sizes.w2_recall}) differs")
    w2 = await alternating_ms(
        sides, sizes.w2_ops, sizes.warmup, lambda side, _i: readers[side].get_items(sizes.w2_recall)
    )
    return [
        cell(backend, w, side, data[side]) for w, data in (("W1", w1), ("W2", w2)) for side in sides
    ]


async def _sqlite(tmp: Path, sizes: Sizes) -> list[Cell]:
    from agents import SQLiteSession

    storage = connect(f"file:{tmp / 'ours.db'}")
    await storage.init()
    try:
        return await _interleaved(
            {
                "MastraSession": lambda sid: MastraSession(sid, storage),
                "SQLiteSession": lambda sid: SQLiteSession(sid, str(tmp / "peer.db")),
            },
            "SQLite",
            sizes,
        )
    finally:
        await storage.close()


async def _postgres(sizes: Sizes) -> list[Cell]:
    from agents.extensions.memory.sqlalchemy_session import SQLAlchemySession
    from sqlalchemy.ext.asyncio import create_async_engine

    from tests.support.servers import postgres_database

    async with postgres_database() as url:
        engine = create_async_engine(url.replace("postgresql://", "postgresql+asyncpg://", 1))
        storage = connect(url)
        await storage.init()
        try:
            return await _interleaved(
                {
                    "MastraSession": lambda sid: MastraSession(sid, storage),
                    "SQLAlchemySession": lambda sid: SQLAlchemySession(
                        sid, engine=engine, create_tables=True
                    ),
                },
                "PostgreSQL",
                sizes,
            )
        finally:
            await storage.close()
            await engine.dispose()


async def measure(backends: Sequence[str], sizes: Sizes) -> list[Cell]:
    """Both sides on each backend (``sqlite``, ``postgres``), interleaved."""
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
        "The two sides run interleaved, operation by operation. "
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
