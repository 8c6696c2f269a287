"""SQL statements per Memory operation on libSQL (BEGIN/COMMIT included): the storage cost
of a turn, pinned so a regression (an extra read, a per-include query) fails here."""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path

import pytest

from mastra_storage import Message
from mastra_storage.memory import HashingEmbedder, Memory
from mastra_storage.vector import InMemoryVector

pytestmark = pytest.mark.anyio


async def test_statements_per_turn(tmp_path: Path) -> None:
    pytest.importorskip("libsql")
    from mastra_storage_libsql import LibSQLStore

    options = {"lastMessages": 10, "semanticRecall": {"topK": 4, "messageRange": 1}}
    async with LibSQLStore(f"file:{tmp_path / 'm.db'}") as store:
        memory = Memory(store, vector=InMemoryVector(), embedder=HashingEmbedder(), options=options)

        async def cost(coro: Awaitable[object]) -> int:
            before = store.statements_executed
            await coro
            return store.statements_executed - before

        def pair(i: int) -> list[Message]:
            return [Memory.message("user", f"filler {i} text"), Memory.message("assistant", "ok")]

        first = await cost(memory.save_turn("t1", "r1", pair(0)))
        steady = await cost(memory.save_turn("t1", "r1", pair(1)))
        for i in range(2, 30):
            await memory.save_turn("t1", "r1", pair(i))
        history = await cost(memory.recall("t1", "r1"))
        semantic = await cost(memory.recall("t1", "r1", query="filler 3 text"))
    # first turn: the ownership reads (get_thread, messages by id: 2) + failed save (BEGIN,
    # bump touching no thread, ROLLBACK) + the atomic check-and-replace finding no thread
    # (3) + save_thread (3) + save (4)
    assert first == 15
    # the ownership reads (2, run concurrently), then BEGIN IMMEDIATE, bump thread (its row
    # count is the existence check), upsert messages (one executemany), COMMIT
    assert steady == 6
    # get_thread (1) + list_messages: page and total in one autocommit SELECT (1)
    assert history == 2
    # the include windows travel in the same SELECT, whatever top_k is
    assert semantic == history
