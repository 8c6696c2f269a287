"""A page without its total is the bare ``SELECT`` (issue 19): no row-kind column, no
subquery wrapping it; it reads the same records, flags and cursors as the counted page."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg
import pytest

from mastra_storage import Message, MessageContent, Thread
from mastra_storage.domains.memory import MemoryStore
from mastra_storage.pagination import OrderBy
from mastra_storage_postgres import PostgresStore

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
NEWEST_FIRST = OrderBy(field="created_at", direction="DESC")


def _spy(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    statements: list[str] = []
    fetch = asyncpg.connection.Connection.fetch

    async def spy(self: Any, sql: str, *args: Any, **kwargs: Any) -> Any:
        statements.append(" ".join(sql.split()))
        return await fetch(self, sql, *args, **kwargs)

    monkeypatch.setattr(asyncpg.connection.Connection, "fetch", spy)
    return statements


async def test_plain_pages_are_bare_selects(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory: MemoryStore = await store.require_store("memory")
    for i in range(3):
        at = T0 + timedelta(seconds=i)
        await memory.save_thread(
            Thread(id=f"t{i}", resource_id="r", title="", created_at=at, updated_at=at)
        )
    await memory.save_messages(
        [
            Message(
                id=f"m{i}",
                role="user",
                created_at=T0 + timedelta(seconds=i % 4),  # ties: the seq decides
                thread_id="t0",
                resource_id="r",
                content=MessageContent.text(f"text {i}"),
            )
            for i in range(7)
        ]
    )
    statements = _spy(monkeypatch)
    for order in (None, NEWEST_FIRST):
        bare = await memory.list_messages(
            thread_id="t0", per_page=3, order_by=order, include_total=False
        )
        counted = await memory.list_messages(thread_id="t0", per_page=3, order_by=order)
        assert bare.items == counted.items
        assert (bare.has_more, bare.next_cursor) == (counted.has_more, counted.next_cursor)
        seen = [m.id for m in bare.items]
        cursor = bare.next_cursor
        while cursor:  # the bare page's cursor walks the whole thread once
            more = await memory.list_messages(
                thread_id="t0", per_page=3, order_by=order, include_total=False, cursor=cursor
            )
            seen += [m.id for m in more.items]
            cursor = more.next_cursor
        assert sorted(seen) == [f"m{i}" for i in range(7)] and len(set(seen)) == 7
    threads_bare = await memory.list_threads(resource_id="r", per_page=2, include_total=False)
    threads_counted = await memory.list_threads(resource_id="r", per_page=2)
    assert threads_bare.items == threads_counted.items and threads_bare.has_more
    pages = [s for s in statements if "mastra_messages" in s or "mastra_threads" in s]
    plain = [s for s in pages if "count(" not in s.lower()]
    assert plain and all(s.startswith("SELECT m.") or s.startswith('SELECT "id"') for s in plain)
    assert not any("pg.*" in s for s in plain), plain
