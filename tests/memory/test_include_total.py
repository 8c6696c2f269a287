"""The count each list page used to carry, skipped where nobody reads it (issue 9).

``include_total=False`` must reach the adapter as ``count=False`` (the adapter then skips
its count query or statement part), and recall never asks for a total.
"""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage import MastraStorage, Message
from mastra_storage.backend import MessageQuery, ThreadQuery
from mastra_storage.domains import MemoryStore
from mastra_storage.memory import Memory

pytestmark = pytest.mark.anyio


async def _spied(storage: MastraStorage) -> tuple[MemoryStore, list[Any]]:
    """The memory domain, with every query it hands its backend recorded."""
    store = await storage.require_store("memory")
    assert isinstance(store, MemoryStore)
    seen: list[Any] = []
    backend = store.backend
    query_threads, query_messages = backend.query_threads, backend.query_messages

    async def threads(query: ThreadQuery) -> Any:
        seen.append(query)
        return await query_threads(query)

    async def messages(query: MessageQuery) -> Any:
        seen.append(query)
        return await query_messages(query)

    backend.query_threads = threads  # type: ignore[method-assign]
    backend.query_messages = messages  # type: ignore[method-assign]
    return store, seen


def _history(n: int) -> list[Message]:
    return [Memory.message("user" if i % 2 == 0 else "assistant", f"m{i}") for i in range(n)]


async def test_recall_never_counts(storage: MastraStorage) -> None:
    _, seen = await _spied(storage)
    memory = Memory(storage, options={"lastMessages": 3})
    await memory.save_turn("t1", "r1", _history(6))
    seen.clear()
    result = await memory.recall("t1", "r1")
    assert [m.text for m in result.history] == ["m3", "m4", "m5"]
    assert [(type(q), q.count) for q in seen] == [(MessageQuery, False)]


async def test_include_total_reaches_the_adapter(storage: MastraStorage) -> None:
    store, seen = await _spied(storage)
    memory = Memory(storage)
    await memory.save_turn("t1", "r1", _history(4))
    bare = await memory.list_threads("r1", include_total=False)
    counted = await memory.list_threads("r1")
    assert (bare.total, counted.total) == (None, 1)
    page = await store.list_messages(thread_id="t1", per_page=2, include_total=False)
    assert (len(page.items), page.total, page.has_more) == (2, None, True)
    whole = await store.list_messages(thread_id="t1", per_page=2)
    assert (whole.total, whole.has_more) == (4, True)
    assert [(type(q), q.count) for q in seen] == [
        (ThreadQuery, False),
        (ThreadQuery, True),
        (MessageQuery, False),
        (MessageQuery, True),
    ]
