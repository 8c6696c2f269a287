"""Concurrency: one serialized writer per store, busy handling between connections/processes,
atomic jobs under cancellation."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import textwrap
import time
from collections.abc import Coroutine
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import apsw
import pytest

from mastra_storage import Message, MessageContent, Thread, UnavailableError
from mastra_storage.domains import MemoryStore, WorkflowsStore
from mastra_storage_libsql import LibSQLStore

pytestmark = pytest.mark.anyio

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def mem(store: LibSQLStore) -> MemoryStore:
    domain = store.stores["memory"]
    assert isinstance(domain, MemoryStore)
    return domain


def msg(message_id: str, created: datetime, thread_id: str = "t1") -> Message:
    return Message(
        id=message_id,
        role="user",
        created_at=created,
        thread_id=thread_id,
        resource_id="r1",
        content=MessageContent.text(message_id),
    )


async def _thread(memory: MemoryStore, thread_id: str = "t1") -> None:
    await memory.save_thread(
        Thread(id=thread_id, resource_id="r1", title="", created_at=T0, updated_at=T0)
    )


async def test_200_concurrent_appends_to_one_thread(store: LibSQLStore) -> None:
    memory = mem(store)
    await _thread(memory)
    # five distinct timestamps, so most messages tie and insertion order must break ties
    created = [T0 + timedelta(milliseconds=(i * 7) % 5) for i in range(200)]
    started = time.perf_counter()
    await asyncio.gather(
        *(memory.save_messages([msg(f"m{i:03d}", created[i])]) for i in range(200))
    )
    elapsed = time.perf_counter() - started
    page = await memory.list_messages(thread_id="t1", per_page=None)
    ids = [m.id for m in page.items]
    assert len(ids) == 200 and len(set(ids)) == 200 and page.total == 200
    # order = (createdAt, insertion); tasks submit their job in creation order
    expected = [f"m{i:03d}" for i in sorted(range(200), key=lambda i: (created[i], i))]
    assert ids == expected
    again = await memory.list_messages(thread_id="t1", per_page=None)
    assert [m.id for m in again.items] == ids
    walked: list[str] = []
    cursor_page = await memory.list_messages(thread_id="t1", per_page=37)
    walked.extend(m.id for m in cursor_page.items)
    while cursor_page.next_cursor:
        cursor_page = await memory.list_messages(
            thread_id="t1", per_page=37, cursor=cursor_page.next_cursor
        )
        walked.extend(m.id for m in cursor_page.items)
    assert walked == ids
    assert elapsed < 20, f"200 appends took {elapsed:.2f}s"


async def test_two_stores_on_one_file_write_concurrently(db_path: Path) -> None:
    a = LibSQLStore(f"file:{db_path}")
    b = LibSQLStore(f"file:{db_path}")
    await asyncio.gather(a.init(), b.init())
    try:
        await _thread(mem(a))
        wf_a, wf_b = a.stores["workflows"], b.stores["workflows"]
        assert isinstance(wf_a, WorkflowsStore) and isinstance(wf_b, WorkflowsStore)
        jobs: list[Coroutine[Any, Any, object]] = []
        for i in range(100):
            for name, store in (("a", a), ("b", b)):
                jobs.append(mem(store).save_messages([msg(f"{name}{i}", T0)]))
        for i in range(20):
            for name, wf in (("a", wf_a), ("b", wf_b)):
                jobs.append(
                    wf.update_workflow_results(
                        workflow_name="w", run_id="r", step_id=f"{name}{i}", result={"i": i}
                    )
                )
        await asyncio.gather(*jobs)  # no "database is locked"
        page = await mem(b).list_messages(thread_id="t1", per_page=None)
        assert page.total == 200 and len({m.id for m in page.items}) == 200
        snapshot = await wf_a.load_workflow_snapshot(workflow_name="w", run_id="r")
        assert isinstance(snapshot, dict) and len(snapshot["context"]) == 40
    finally:
        await a.close()
        await b.close()


async def test_two_processes_write_one_file(db_path: Path) -> None:
    store = LibSQLStore(f"file:{db_path}")
    await store.init()
    memory = mem(store)
    await _thread(memory)
    script = textwrap.dedent(
        f"""
        import asyncio
        from datetime import datetime, timezone
        from mastra_storage import Message, MessageContent
        from mastra_storage_libsql import LibSQLStore

        async def main():
            store = LibSQLStore({f"file:{db_path}"!r})
            await store.init()
            memory = store.stores["memory"]
            t0 = datetime(2024, 5, 1, 10, tzinfo=timezone.utc)
            for i in range(150):
                await memory.save_messages([Message(id=f"p{{i}}", role="user", created_at=t0,
                    thread_id="t1", resource_id="r1", content=MessageContent.text("p"))])
            await store.close()

        asyncio.run(main())
        """
    )
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, stderr=asyncio.subprocess.PIPE
    )
    try:
        for i in range(150):
            await memory.save_messages([msg(f"q{i}", T0)])
            if i % 10 == 0:
                await asyncio.sleep(0.001)
    finally:
        _, stderr = await asyncio.wait_for(proc.communicate(), timeout=120)
    assert proc.returncode == 0, stderr
    page = await memory.list_messages(thread_id="t1", per_page=None)
    assert page.total == 300
    ours = [m.id for m in page.items if m.id.startswith("q")]
    assert ours == [f"q{i}" for i in range(150)]  # equal timestamps: insertion order
    await store.close()


async def test_a_cancelled_caller_never_leaves_half_a_transaction(store: LibSQLStore) -> None:
    memory = mem(store)
    await _thread(memory)
    for attempt in range(5):
        batch = [msg(f"c{attempt}-{i}", T0) for i in range(2000)]
        task = asyncio.ensure_future(memory.save_messages(batch))
        await asyncio.sleep(0.0005 * attempt)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        stored = await memory.list_messages_by_id([m.id for m in batch])
        assert len(stored) in (0, 2000)
    # a job still queued behind another one is withdrawn: it never runs
    slow = asyncio.ensure_future(memory.save_messages([msg(f"s{i}", T0) for i in range(20000)]))
    await asyncio.sleep(0)
    queued = asyncio.ensure_future(memory.save_messages([msg("queued", T0)]))
    await asyncio.sleep(0)
    queued.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await queued
    await slow
    assert await memory.list_messages_by_id(["queued"]) == []
    assert len(await memory.list_messages_by_id([f"s{i}" for i in range(0, 20000, 999)])) == 21
    await memory.save_messages([msg("after", T0)])  # the connection is clean
    assert await memory.list_messages_by_id(["after"])


async def test_busy_database_is_retried_then_reported(db_path: Path) -> None:
    store = LibSQLStore(f"file:{db_path}", busy_timeout_ms=20, max_retries=2, initial_backoff_ms=5)
    await store.init()
    memory = mem(store)
    # The blocker uses the store's SQLite library: two copies of SQLite in one process do
    # not see each other's POSIX locks (another driver must run in another process).
    blocker = apsw.Connection(str(db_path))
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(UnavailableError) as info:
            await _thread(memory)
        assert info.value.id == "MASTRA_STORAGE_LIBSQL_SAVE_THREAD_FAILED"
        assert info.value.details["retries"] == 2
        assert isinstance(info.value.__cause__, apsw.BusyError)
        assert "locked" in str(info.value.__cause__)
    finally:
        blocker.execute("ROLLBACK")

    patient = LibSQLStore(
        f"file:{db_path}", busy_timeout_ms=20, max_retries=8, initial_backoff_ms=10
    )
    await patient.init()
    blocker.execute("BEGIN IMMEDIATE")

    async def release_soon() -> None:
        await asyncio.sleep(0.15)
        blocker.execute("COMMIT")

    await asyncio.gather(_thread(mem(patient)), release_soon())
    assert await mem(patient).get_thread_by_id("t1") is not None
    blocker.close()
    await patient.close()
    await store.close()
