"""Races the READ COMMITTED isolation level allows, replayed deterministically.

One side of each race is held open in an explicit transaction on a separate connection
(``admin``), exactly where the adapter's own statement would be in flight, and committed
once the adapter's call is blocked on its row lock. Without the fixes in
``PgMemoryBackend.delete_thread`` / ``modify_messages`` both tests leave a message
whose thread no longer exists.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import pytest

from mastra_storage import Message, MessageContent, MessageUpdate, Thread
from mastra_storage.errors import NotFoundError
from mastra_storage_postgres import PostgresStore

pytestmark = pytest.mark.anyio
T0 = datetime(2025, 5, 1, 12, 0, 0, tzinfo=timezone.utc)


def thread(thread_id: str) -> Thread:
    return Thread(id=thread_id, resource_id="r1", title=thread_id, created_at=T0, updated_at=T0)


def message(message_id: str, thread_id: str) -> Message:
    return Message(
        id=message_id,
        role="user",
        created_at=T0,
        thread_id=thread_id,
        resource_id="r1",
        content=MessageContent.text(message_id),
    )


async def wait_until_blocked(admin: Any, task: asyncio.Task[Any]) -> None:
    """Until some backend of this database waits for a lock (the adapter's statement)."""
    for _ in range(500):
        assert not task.done(), "the call finished without waiting for the row lock"
        waiting = await admin.fetchval(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        if waiting:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the call never blocked on the row lock")


async def test_delete_thread_removes_messages_of_a_save_in_flight(
    store: PostgresStore, admin: Any, schema: str
) -> None:
    memory = await store.require_store("memory")
    await memory.save_thread(thread("t1"))
    await memory.save_messages([message("m0", "t1")])
    threads, messages = f'"{schema}".mastra_threads', f'"{schema}".mastra_messages'
    async with admin.transaction():  # save_messages in flight: thread bumped, row added
        await admin.execute(f"UPDATE {threads} SET title = title WHERE id = 't1'")
        await admin.execute(
            f'INSERT INTO {messages} (id, thread_id, content, role, type, "createdAt", '
            f'"createdAtZ", "resourceId") SELECT \'m1\', thread_id, content, role, type, '
            f'"createdAt", "createdAtZ", "resourceId" FROM {messages} WHERE id = \'m0\''
        )
        deleting = asyncio.create_task(memory.delete_thread("t1"))
        await wait_until_blocked(admin, deleting)
    await asyncio.wait_for(deleting, 10)
    assert await memory.get_thread_by_id("t1") is None
    assert await admin.fetchval(f"SELECT count(*) FROM {messages}") == 0
    assert await memory.list_messages_by_id(["m0", "m1"]) == []


async def test_moving_a_message_to_a_thread_being_deleted_fails_and_moves_nothing(
    store: PostgresStore, admin: Any, schema: str
) -> None:
    memory = await store.require_store("memory")
    await memory.save_thread(thread("src"))
    await memory.save_thread(thread("dst"))
    await memory.save_messages([message("m", "src")])
    threads, messages = f'"{schema}".mastra_threads', f'"{schema}".mastra_messages'
    async with admin.transaction():  # delete_thread("dst") in flight
        await admin.execute(f"DELETE FROM {messages} WHERE thread_id = 'dst'")
        await admin.execute(f"DELETE FROM {threads} WHERE id = 'dst'")
        moving = asyncio.create_task(
            memory.update_messages([MessageUpdate(id="m", thread_id="dst")])
        )
        await wait_until_blocked(admin, moving)
    with pytest.raises(NotFoundError):
        await asyncio.wait_for(moving, 10)
    (stored,) = await memory.list_messages_by_id(["m"])
    assert stored.thread_id == "src"
