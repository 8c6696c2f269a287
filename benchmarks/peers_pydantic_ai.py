"""Pydantic AI history on mastra-storage beside what Pydantic AI users write themselves.

Pydantic AI ships no persistent store (its ``ConversationStore`` has only an in-memory
implementation): its documentation serialises the run's messages
with ``ModelMessagesTypeAdapter`` (``result.all_messages_json()``) and leaves storing the JSON
to the user. The peer is that pattern: one row per conversation holding the whole history as
JSON text, on the same backend (stdlib ``sqlite3`` on a file, called directly; ``asyncpg``
on PostgreSQL). Ours is :class:`~mastra_storage.integrations.pydantic_ai.PydanticAIHistory`
(a libSQL file, or PostgreSQL). Both sides take and give Pydantic AI messages, so each
side's conversion is inside its timings.

* W1 append a turn (a user request and a model response, text of 200 characters):
  ours ``save(turn)``; the peer writes the conversation's JSON (the in-memory history plus
  the turn), as it must after every run. 500 turns on a new conversation.
* W2 newest 40 of 1,000 messages: ours ``load()`` with ``last_messages=40``; the peer reads
  the row, parses it and keeps the last 40.

Run: ``python -m benchmarks.peers_pydantic_ai [--backends sqlite,postgres] [--quick]``.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from pydantic_ai.messages import (
    ModelMessage,
    ModelMessagesTypeAdapter,
    ModelRequest,
    ModelResponse,
    TextPart,
    UserPromptPart,
)

from benchmarks.peers_common import Cell, cell, comparisons, run_cli, timed_ms
from mastra_storage import MastraStorage, connect
from mastra_storage.integrations.pydantic_ai import PydanticAIHistory

TEXT_CHARS = 200
PEER = "JSON row (ModelMessagesTypeAdapter)"


@dataclass(frozen=True)
class Sizes:
    """Counts of one run (the issue's W1/W2 figures by default)."""

    w1_turns: int = 500
    w2_thread_messages: int = 1000
    w2_recall: int = 40
    w2_ops: int = 200
    warmup: int = 20


QUICK = Sizes(w1_turns=60, w2_thread_messages=200, w2_ops=40, warmup=5)


def _turn(i: int, start: datetime) -> list[ModelMessage]:
    stamp = start + timedelta(seconds=i)
    text = (f"turn {i} " * 40)[:TEXT_CHARS]
    return [
        ModelRequest(parts=[UserPromptPart(text, timestamp=stamp)], timestamp=stamp),
        ModelResponse(parts=[TextPart(text)], timestamp=stamp, model_name="test"),
    ]


def _turns(n: int) -> list[list[ModelMessage]]:
    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    return [_turn(i, start) for i in range(n)]


# ---- ours -------------------------------------------------------------------------------------


async def _ours(storage: MastraStorage, backend: str, sizes: Sizes) -> list[Cell]:
    await storage.init()
    try:
        appender = PydanticAIHistory(storage, "w1", "bench")
        pending = iter(_turns(sizes.w1_turns))
        w1 = await timed_ms(lambda: appender.save(next(pending)), sizes.w1_turns, 0)
        reader = PydanticAIHistory(storage, "w2", "bench", last_messages=sizes.w2_recall)
        for turn in _turns(sizes.w2_thread_messages // 2):
            await reader.save(turn)
        loaded = await reader.load()
        assert len(loaded) == sizes.w2_recall, len(loaded)
        w2 = await timed_ms(reader.load, sizes.w2_ops, sizes.warmup)
    finally:
        await storage.close()
    return [cell(backend, "W1", "ours", w1), cell(backend, "W2", "ours", w2)]


# ---- the peer: the whole history as one JSON row ----------------------------------------------


async def _peer_sqlite(path: Path, sizes: Sizes) -> list[Cell]:
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE conversations (id TEXT PRIMARY KEY, messages TEXT NOT NULL)")
    upsert = (
        "INSERT INTO conversations (id, messages) VALUES (?, ?) "
        "ON CONFLICT (id) DO UPDATE SET messages = excluded.messages"
    )

    def write(conversation: str, history: list[ModelMessage]) -> None:
        conn.execute(upsert, (conversation, ModelMessagesTypeAdapter.dump_json(history).decode()))
        conn.commit()

    def read_last(conversation: str, n: int) -> list[ModelMessage]:
        row = conn.execute(
            "SELECT messages FROM conversations WHERE id = ?", (conversation,)
        ).fetchone()
        return ModelMessagesTypeAdapter.validate_json(row[0])[-n:]

    try:
        history: list[ModelMessage] = []
        pending = iter(_turns(sizes.w1_turns))

        async def append() -> None:
            history.extend(next(pending))
            write("w1", history)

        w1 = await timed_ms(append, sizes.w1_turns, 0)
        write("w2", [m for t in _turns(sizes.w2_thread_messages // 2) for m in t])

        async def recall() -> None:
            read_last("w2", sizes.w2_recall)

        w2 = await timed_ms(recall, sizes.w2_ops, sizes.warmup)
    finally:
        conn.close()
    return [cell("SQLite", "W1", PEER, w1), cell("SQLite", "W2", PEER, w2)]


async def _peer_postgres(url: str, sizes: Sizes) -> list[Cell]:
    import asyncpg  # the postgres extra

    conn = await asyncpg.connect(url)
    await conn.execute("CREATE TABLE pai_conversations (id text PRIMARY KEY, messages text)")
    upsert = (
        "INSERT INTO pai_conversations (id, messages) VALUES ($1, $2) "
        "ON CONFLICT (id) DO UPDATE SET messages = excluded.messages"
    )
    try:
        history: list[ModelMessage] = []
        pending = iter(_turns(sizes.w1_turns))

        async def append() -> None:
            history.extend(next(pending))
            await conn.execute(upsert, "w1", ModelMessagesTypeAdapter.dump_json(history).decode())

        w1 = await timed_ms(append, sizes.w1_turns, 0)
        seeded = [m for t in _turns(sizes.w2_thread_messages // 2) for m in t]
        await conn.execute(upsert, "w2", ModelMessagesTypeAdapter.dump_json(seeded).decode())

        async def recall() -> None:
            raw = await conn.fetchval("SELECT messages FROM pai_conversations WHERE id = $1", "w2")
            ModelMessagesTypeAdapter.validate_json(raw)[-sizes.w2_recall :]

        w2 = await timed_ms(recall, sizes.w2_ops, sizes.warmup)
    finally:
        await conn.close()
    return [cell("PostgreSQL", "W1", PEER, w1), cell("PostgreSQL", "W2", PEER, w2)]


# ---- running and reporting --------------------------------------------------------------------


async def measure(backends: Sequence[str], sizes: Sizes) -> list[Cell]:
    """Both sides on each backend (``sqlite``, ``postgres``), one after the other."""
    cells: list[Cell] = []
    if "sqlite" in backends:
        with tempfile.TemporaryDirectory() as tmp:
            cells += await _peer_sqlite(Path(tmp) / "peer.db", sizes)
            cells += await _ours(connect(f"file:{Path(tmp) / 'ours.db'}"), "SQLite", sizes)
    if "postgres" in backends:
        from tests.support.servers import postgres_database

        async with postgres_database() as url:
            cells += await _peer_postgres(url, sizes)
            cells += await _ours(connect(url), "PostgreSQL", sizes)
    return cells


def markdown(cells: Sequence[Cell], sizes: Sizes) -> str:
    """The comparison table: one row per backend and workload, p50 (p90) per side."""
    lines = [
        "## Pydantic AI",
        "",
        "Ours: `PydanticAIHistory` (libSQL file / PostgreSQL). Peer: what Pydantic AI "
        "documents (no persistent store of its own): the conversation's "
        "`ModelMessagesTypeAdapter` JSON in one row (stdlib `sqlite3` called directly / "
        "`asyncpg`). Both sides take and return Pydantic AI messages. "
        f"W1: append a turn, {sizes.w1_turns} turns on a new conversation; "
        f"W2: newest {sizes.w2_recall} of {sizes.w2_thread_messages} messages, "
        f"{sizes.w2_ops} reads. "
        "Milliseconds per operation, p50 (p90).",
        "",
        "| backend | workload | ours | peer | ours faster |",
        "|---|---|---|---|---|",
    ]
    for ours, peer, ratio in comparisons(cells, "ours"):
        lines.append(
            f"| {ours.backend} | {ours.workload} | {ours.p50_ms:.2f} ({ours.p90_ms:.2f}) | "
            f"{peer.p50_ms:.2f} ({peer.p90_ms:.2f}) | {ratio:.1f}x |"
        )
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: measure, print the table, optionally append it to a results file."""
    return run_cli(
        argv,
        prog="python -m benchmarks.peers_pydantic_ai",
        sizes=Sizes(),
        quick=QUICK,
        measure=measure,
        markdown=markdown,
    )


if __name__ == "__main__":
    sys.exit(main())
