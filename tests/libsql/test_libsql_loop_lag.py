"""The local engine keeps the event loop free while SQLite works or waits.

A 1 ms ticker (:class:`tests.support.looplag.LoopLag`) runs on the loop while the
store waits for a write lock another process holds for 2 s, runs a long query, and while
LibSQLVector upserts, builds its DiskANN index and queries. The target is no lag above
10 ms; the assertions use a bound that survives a loaded 2-core CI machine (``LAG_BOUND_S``)
but is far below the freezes the GIL-holding ``libsql`` driver caused (the whole wait).
Each test prints its measurement (``pytest -s``) for the design notes.
"""

from __future__ import annotations

import asyncio
import functools
import random
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import Message, MessageContent, Thread
from mastra_storage.domains import MemoryStore
from mastra_storage_libsql import LibSQLStore
from mastra_storage_libsql.connection import Tx
from mastra_storage_libsql.vector import LibSQLVector
from tests.support.looplag import LoopLag

pytestmark = pytest.mark.anyio

#: Far above the 10 ms target (scheduler noise on a shared machine), far below a freeze.
LAG_BOUND_S = 0.15
T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=timezone.utc)
LONG_QUERY = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < ?) "
    "SELECT sum(x) FROM c"
)

HOLD_LOCK = textwrap.dedent(
    """
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print("locked", flush=True)
    time.sleep(float(sys.argv[2]))
    conn.execute("COMMIT")
    conn.close()
    """
)


def mem(store: LibSQLStore) -> MemoryStore:
    domain = store.stores["memory"]
    assert isinstance(domain, MemoryStore)
    return domain


def thread(thread_id: str) -> Thread:
    return Thread(id=thread_id, resource_id="r1", title="", created_at=T0, updated_at=T0)


def message(message_id: str, thread_id: str = "t1") -> Message:
    return Message(
        id=message_id,
        role="user",
        created_at=T0,
        thread_id=thread_id,
        resource_id="r1",
        content=MessageContent.text(message_id),
    )


def _sum_to(n: int, tx: Tx) -> int:
    row = tx.fetchone(LONG_QUERY, (n,))
    assert row is not None
    return int(row[0])


async def _hold_write_lock(path: Path, seconds: float) -> asyncio.subprocess.Process:
    """Another process takes the write lock of ``path`` and keeps it ``seconds``."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        HOLD_LOCK,
        str(path),
        str(seconds),
        stdout=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert (await asyncio.wait_for(proc.stdout.readline(), 30)).strip() == b"locked"
    return proc


def _check(lag: LoopLag, label: str) -> None:
    print(f"\n{label}: {lag.summary()}")
    assert lag.samples, "the ticker never ran"
    assert lag.max < LAG_BOUND_S, f"{label}: the event loop froze ({lag.summary()})"


async def test_waiting_for_another_process_write_lock(db_path: Path) -> None:
    store = LibSQLStore(f"file:{db_path}")
    await store.init()
    memory = mem(store)
    await memory.save_thread(thread("t0"))
    holder = await _hold_write_lock(db_path, 2.0)
    try:
        async with LoopLag() as lag:
            started = time.perf_counter()
            await memory.save_thread(thread("t1"))
            waited = time.perf_counter() - started
        assert waited > 1.0, "the write did not wait for the other process's lock"
        assert await memory.get_thread_by_id("t1") is not None
        _check(lag, f"write waiting {waited:.2f} s for a lock")
    finally:
        await holder.wait()
        await store.close()


async def test_long_query_through_the_store_connection(store: LibSQLStore) -> None:
    n = 3_000_000
    async with LoopLag() as lag:
        started = time.perf_counter()
        total = await store.database.run("test", functools.partial(_sum_to, n), mode="none")
        took = time.perf_counter() - started
    assert total == n * (n + 1) // 2
    assert took > 0.1, "the query was too quick to show a freeze"
    _check(lag, f"{took:.2f} s query")
    assert lag.max < took / 2


async def test_long_query_on_an_in_memory_store(memory_store: LibSQLStore) -> None:
    n = 3_000_000
    async with LoopLag() as lag:
        total = await memory_store.database.run("test", functools.partial(_sum_to, n), mode="none")
    assert total == n * (n + 1) // 2
    _check(lag, ":memory: query")


def _vectors(count: int, dimension: int, seed: int = 3) -> list[list[float]]:
    rng = random.Random(seed)
    return [[rng.uniform(-1, 1) for _ in range(dimension)] for _ in range(count)]


async def test_vector_upserts_index_builds_and_queries(tmp_path: Path) -> None:
    vectors = LibSQLVector(f"file:{tmp_path / 'v.db'}", ann_min_rows=100)
    data = _vectors(1500, 64)
    metadata: list[dict[str, Any]] = [{"group": i % 10} for i in range(len(data))]
    try:
        async with LoopLag() as lag:
            await vectors.create_index("docs", 64)  # with its DiskANN index
            started = time.perf_counter()
            # Every row goes into the DiskANN graph. Batches of 150: the core validates a
            # batch on the loop before it is sent (~20 us per 64-dimension vector), which is
            # Python work, not SQLite's, and is not what this test measures.
            for start in range(0, len(data), 150):
                end = start + 150
                ids = [f"v{i}" for i in range(start, end)]
                await vectors.upsert("docs", data[start:end], metadata[start:end], ids=ids)
            upsert_s = time.perf_counter() - started
            ann = await vectors.query("docs", data[0], top_k=5)
            exact = await vectors.query("docs", data[1], top_k=5, filter={"group": 1})
        assert ann[0].id == "v0"
        assert exact[0].id == "v1"
        assert (await vectors.describe_index("docs")).count == len(data)
        assert upsert_s > 0.1, "the upsert was too quick to show a freeze"
        _check(lag, f"vector work ({upsert_s:.2f} s upsert)")
    finally:
        await vectors.close()


async def test_vector_waits_for_another_process_write_lock(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    vectors = LibSQLVector(f"file:{path}")
    try:
        await vectors.create_index("docs", 4)
        holder = await _hold_write_lock(path, 2.0)
        try:
            async with LoopLag() as lag:
                started = time.perf_counter()
                await vectors.upsert("docs", [[1.0, 0.0, 0.0, 0.0]], ids=["a"])
                waited = time.perf_counter() - started
        finally:
            await holder.wait()
        assert waited > 1.0, "the upsert did not wait for the other process's lock"
        assert (await vectors.describe_index("docs")).count == 1
        _check(lag, f"vector upsert waiting {waited:.2f} s for a lock")
    finally:
        await vectors.close()


async def test_memory_store_and_vector_index_share_one_file(db_path: Path) -> None:
    """A store and a LibSQLVector on one file work side by side, concurrently, and each
    sees the other's tables (one database, not two)."""
    store = LibSQLStore(f"file:{db_path}")
    await store.init()
    shared = LibSQLVector.from_store(store)
    separate = LibSQLVector(f"file:{db_path}")
    memory = mem(store)
    try:
        await memory.save_thread(thread("t1"))
        await shared.create_index("memory_messages", 8)
        data = _vectors(300, 8)
        async with LoopLag() as lag:
            await asyncio.gather(
                *(memory.save_messages([message(f"m{i}")]) for i in range(50)),
                shared.upsert("memory_messages", data, ids=[f"v{i}" for i in range(300)]),
                separate.upsert("memory_messages", data[:5], ids=["x0", "x1", "x2", "x3", "x4"]),
            )
        page = await memory.list_messages(thread_id="t1", per_page=None)
        assert len(page.items) == 50
        assert (await separate.describe_index("memory_messages")).count == 305
        assert await separate.list_indexes() == ["memory_messages"]

        def tables(tx: Tx) -> set[str]:
            return {str(r[0]) for r in tx.fetchall("SELECT name FROM sqlite_master")}

        assert "memory_messages" in await store.database.run("t", tables, mode="none")
        with pytest.raises(Exception, match="not a vector index"):
            await shared.create_index("mastra_threads", 8)
        _check(lag, "store and vector writing one file together")
    finally:
        await separate.close()
        await shared.close()
        await store.close()


async def test_the_lag_window_leaves_earlier_objects_to_the_collector_later() -> None:
    """LoopLag freezes the collector's view of the objects made before it (a full collection
    of a long test run's heap froze the loop for half a second, which is not the code under
    test), and gives them back when it ends."""
    import gc

    earlier = [{"n": n} for n in range(10_000)]
    async with LoopLag():
        assert gc.get_freeze_count() >= len(earlier)
        made_inside = [{"n": n} for n in range(100)]
        gc.collect()  # walks what was made inside only
    assert gc.get_freeze_count() == 0
    assert len(made_inside) == 100
