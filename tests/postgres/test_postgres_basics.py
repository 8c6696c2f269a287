"""PostgresStore beyond the shared suite: options and secrets, the registry, pool sharing,
statements per operation, the recall plan, UTC under a non-UTC session, concurrent inits
from several processes, dropped connections, statistics and doctor."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import Message, MessageContent, Thread, connect
from mastra_storage.backend.memory import MessageQuery
from mastra_storage.domains.memory import MemoryStore
from mastra_storage.errors import (
    ConfigurationError,
    MastraStorageError,
    NotFoundError,
    UnavailableError,
)
from mastra_storage.pagination import DateRange, OrderBy
from mastra_storage_postgres import PostgresStore
from mastra_storage_postgres.connection import PgConnectOptions
from mastra_storage_postgres.memory import PgMemoryBackend

pytestmark = pytest.mark.anyio
UTC = timezone.utc
T0 = datetime(2024, 3, 10, 7, 30, 0, tzinfo=UTC)  # the US DST switch day, on purpose
REPO = Path(__file__).resolve().parents[2]


def memory_of(store: PostgresStore) -> MemoryStore:
    memory = store.stores["memory"]
    assert isinstance(memory, MemoryStore)
    return memory


def memory_backend_of(store: PostgresStore) -> PgMemoryBackend:
    backend = memory_of(store).backend
    assert isinstance(backend, PgMemoryBackend)
    return backend


def thread(thread_id: str, resource: str = "r1", at: datetime = T0) -> Thread:
    return Thread(id=thread_id, resource_id=resource, title=thread_id, created_at=at, updated_at=at)


def message(message_id: str, thread_id: str, at: datetime, resource: str = "r1") -> Message:
    return Message(
        id=message_id,
        role="user",
        created_at=at,
        thread_id=thread_id,
        resource_id=resource,
        content=MessageContent.text(message_id),
    )


# --------------------------------------------------------------------------- options


def test_options_validation_and_secrets() -> None:
    with pytest.raises(ConfigurationError, match="connectionString must be provided"):
        PostgresStore("")
    with pytest.raises(ConfigurationError, match="host must be provided"):
        PostgresStore(database="d", user="u")
    with pytest.raises(ConfigurationError, match=r"postgresql://"):
        PostgresStore("mysql://u:pw@h/d")
    with pytest.raises(ConfigurationError, match="schema name"):
        PostgresStore("postgresql://u@h/d", schema_name="bad-name; drop")
    with pytest.raises(ConfigurationError, match="not both"):
        PostgresStore("postgresql://u@h/d", host="h")
    with pytest.raises(ConfigurationError, match="max_size"):
        PostgresStore("postgresql://u@h/d", max_size=0)

    store = PostgresStore("postgresql://app:s3cretpw@db.example:5433/prod", schema_name="mastra")
    assert "s3cretpw" not in repr(store) and "***" in repr(store)
    assert store.url == "postgresql://app:***@db.example:5433/prod"
    assert "mastra" in repr(store)
    hosted = PostgresStore(host="db", port=5433, database="x", user="app", password="hunter22")
    assert "hunter22" not in repr(hosted) and "hunter22" not in hosted.url
    options = PgConnectOptions.build("postgresql://app:s3cretpw@db/prod")
    assert "s3cretpw" not in repr(options)


async def test_connection_errors_are_typed_and_redacted() -> None:
    store = PostgresStore(
        "postgresql://app:n0tmypassword@127.0.0.1:1/x", connect_timeout=2, max_size=1
    )
    with pytest.raises(UnavailableError) as caught:
        await store.init()
    assert "n0tmypassword" not in str(caught.value)
    assert "n0tmypassword" not in json.dumps(caught.value.to_json())
    assert caught.value.id == "MASTRA_STORAGE_PG_CONNECT_UNAVAILABLE"
    report = await store.doctor()
    assert not report.ok and "n0tmypassword" not in str(report)
    await store.close()


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
async def test_connect_by_url_scheme(pg_url: str, schema: str, scheme: str) -> None:
    url = scheme + pg_url[pg_url.index(":") :]
    async with connect(url, schema_name=schema, max_size=2) as storage:
        assert isinstance(storage, PostgresStore)
        memory = await storage.require_store("memory")
        await memory.save_thread(thread("t1"))
        assert (await memory.get_thread_by_id("t1")) is not None


async def test_injected_pool_is_shared_and_left_open(pg_url: str, schema: str) -> None:
    import asyncpg

    pool = await asyncpg.create_pool(pg_url, min_size=1, max_size=2)
    try:
        store = PostgresStore(pool=pool, schema_name=schema)
        assert store.pool is pool
        await store.init()
        await memory_of(store).save_thread(thread("t1"))
        await store.close()
        # the application's pool still works and sees the data
        count = await pool.fetchval(f'SELECT count(*) FROM "{schema}".mastra_threads')
        assert count == 1
        with pytest.raises(ConfigurationError):
            PostgresStore(pg_url, pool=pool)
    finally:
        await pool.close()


async def test_store_pool_is_exposed_for_direct_queries(store: PostgresStore) -> None:
    pool = await store.get_pool()
    assert store.pool is pool
    assert await pool.fetchval("SELECT 1") == 1


# --------------------------------------------------------------------------- round trips


async def test_statements_per_operation(store: PostgresStore, pg_url: str, schema: str) -> None:
    memory = memory_of(store)
    for i in range(25):
        await memory.save_thread(thread(f"t{i:02d}", at=T0 + timedelta(minutes=i)))
    turn = [message(f"m{i}", "t00", T0 + timedelta(seconds=i)) for i in range(4)]

    before = store.statements_executed
    await memory.save_messages(turn)
    assert store.statements_executed - before == 1  # append a turn + bump the thread

    before = store.statements_executed
    page = await memory.list_messages(
        thread_id="t00", per_page=40, order_by=OrderBy(field="created_at", direction="DESC")
    )
    assert store.statements_executed - before == 1  # newest N and the total together
    assert [m.id for m in page] == ["m3", "m2", "m1", "m0"] and page.total == 4

    before = store.statements_executed
    threads = await memory.list_threads(resource_id="r1", per_page=20)
    assert store.statements_executed - before == 1  # count and page together
    assert threads.total == 25 and len(threads.items) == 20 and threads.has_more
    # a page past the end still knows the total (the count is not a window over the page)
    beyond = await memory.list_threads(resource_id="r1", page=5, per_page=20)
    assert beyond.items == [] and beyond.total == 25

    bumped = await memory.get_thread_by_id("t00")
    assert bumped is not None and bumped.updated_at > T0

    warm = PostgresStore(pg_url, schema_name=schema, max_size=1)
    await warm.init()
    assert warm.statements_executed <= 3  # measured: 1
    await warm.close()


async def test_favourite_statements(store: PostgresStore) -> None:
    """A toggle and the removal of an entity's favourites are one statement each."""
    agents = await store.require_store("agents")
    favs = await store.require_store("favorites")
    model = {"provider": "openai", "name": "gpt-4o"}
    await agents.create("a1", config={"name": "A", "instructions": "i", "model": model})
    for user in ("u1", "u2"):
        before = store.statements_executed
        await favs.favorite(user, "agent", "a1")
        assert store.statements_executed - before == 1
    before = store.statements_executed
    assert await favs.delete_favorites_for_entity("agent", "a1") == 2
    assert store.statements_executed - before == 1  # rows and count together
    entity = await agents.get_by_id("a1")
    assert entity is not None and entity.extra.get("favoriteCount") == 0
    assert await favs.list_favorited_ids("u1", "agent") == []


async def test_append_turn_is_atomic_when_a_thread_is_missing(store: PostgresStore) -> None:
    memory = memory_of(store)
    await memory.save_thread(thread("t1"))
    batch = [message("a", "t1", T0), message("b", "missing", T0)]
    with pytest.raises(NotFoundError) as caught:
        await memory.save_messages(batch)
    assert caught.value.details["thread_id"] == "missing"
    assert await memory.list_messages_by_id(["a", "b"]) == []
    untouched = await memory.get_thread_by_id("t1")
    assert untouched is not None and untouched.updated_at == T0


async def test_recall_is_one_index_scan_without_sort(store: PostgresStore, admin: Any) -> None:
    memory = memory_of(store)
    for t in range(5):
        await memory.save_thread(thread(f"t{t}"))
        await memory.save_messages(
            [message(f"t{t}-m{i}", f"t{t}", T0 + timedelta(seconds=i)) for i in range(1000)]
        )
    await admin.execute(f'ANALYZE "{store.schema_name}".mastra_messages')
    query = MessageQuery(
        thread_ids=["t3"],
        resource_id=None,
        date_range=None,
        descending=True,
        offset=0,
        limit=40,
        after=None,
        count=False,
        include=[],
    )
    sql, params = memory_backend_of(store).message_page_sql(query)
    plan = await admin.fetchval(f"EXPLAIN (FORMAT JSON) {sql}", *params)
    text = json.dumps(json.loads(plan))
    assert "mastra_storage_messages_thread_order_idx" in text, text
    assert '"Sort"' not in text and "Seq Scan" not in text, text
    page = await memory.list_messages(
        thread_id="t3", per_page=40, order_by=OrderBy(field="created_at", direction="DESC")
    )
    assert page.items[0].id == "t3-m999" and page.total == 1000


async def test_thread_page_without_total_sends_no_count(
    store: PostgresStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    memory = memory_of(store)
    for i in range(3):
        await memory.save_thread(thread(f"t{i}", at=T0 + timedelta(seconds=i)))
    statements: list[str] = []
    fetch = store.database.fetch

    async def spy(operation: str, sql: str, *args: Any) -> Any:
        statements.append(sql)
        return await fetch(operation, sql, *args)

    monkeypatch.setattr(store.database, "fetch", spy)
    bare = await memory.list_threads(resource_id="r1", per_page=2, include_total=False)
    counted = await memory.list_threads(resource_id="r1", per_page=2)
    assert [t.id for t in bare] == [t.id for t in counted] == ["t2", "t1"]
    assert (bare.total, bare.has_more, counted.total, counted.has_more) == (None, True, 3, True)
    assert ["count(" in sql.lower() for sql in statements] == [False, True]


async def test_equal_timestamps_keep_insertion_order(store: PostgresStore) -> None:
    memory = memory_of(store)
    await memory.save_thread(thread("t1"))
    await memory.save_messages([message(f"m{i}", "t1", T0) for i in (3, 1, 2)])
    await memory.save_messages([message("m0", "t1", T0)])
    page = await memory.list_messages(thread_id="t1")
    assert [m.id for m in page] == ["m3", "m1", "m2", "m0"]


# --------------------------------------------------------------------------- time zones


async def test_utc_whatever_the_session_time_zone(pg_url: str, schema: str, admin: Any) -> None:
    chicago = PostgresStore(
        pg_url, schema_name=schema, server_settings={"timezone": "America/Chicago"}
    )
    await chicago.init()
    try:
        memory = memory_of(chicago)
        assert await (await chicago.get_pool()).fetchval("SHOW timezone") == "America/Chicago"
        await memory.save_thread(thread("t1", at=T0))
        await memory.save_thread(thread("t2", at=T0 + timedelta(hours=1)))
        await memory.save_messages(
            [message(f"m{i}", "t1", T0 + timedelta(hours=i)) for i in range(4)]
        )
        got = await memory.get_thread_by_id("t1")
        assert got is not None and got.created_at == T0 and got.created_at.tzinfo is not None
        # date filters compare in UTC
        window = await memory.list_messages(
            thread_id="t1",
            date_range=DateRange(start=T0 + timedelta(hours=1), end=T0 + timedelta(hours=2)),
        )
        assert [m.id for m in window] == ["m1", "m2"]
        ordered = await memory.list_threads(
            resource_id="r1", order_by=OrderBy(field="created_at", direction="ASC")
        )
        assert [t.id for t in ordered] == ["t1", "t2"]
    finally:
        await chicago.close()
    # the stored wall time is UTC, and both columns hold the same instant
    row = await admin.fetchrow(
        f'SELECT "createdAt", "createdAtZ" FROM "{schema}".mastra_threads WHERE id = $1', "t1"
    )
    assert row["createdAt"] == T0.replace(tzinfo=None)
    assert row["createdAtZ"] == T0
    # a UTC session reads the same values
    utc = PostgresStore(pg_url, schema_name=schema)
    got_utc = await memory_of(utc).get_thread_by_id("t1")
    assert got_utc is not None and got_utc.created_at == T0
    await utc.close()


# --------------------------------------------------------------------------- failures


async def test_dropped_connection_fails_the_call_in_flight_then_recovers(
    store: PostgresStore, admin: Any
) -> None:
    memory = memory_of(store)
    await memory.save_thread(thread("t1"))
    db = store.database

    async def slow() -> Any:
        return await db.fetchval("slowQuery", "SELECT pg_sleep(10)")

    task = asyncio.create_task(slow())
    for _ in range(100):
        pid = await admin.fetchval(
            "SELECT pid FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(10)' "
            "AND state = 'active' AND pid <> pg_backend_pid()"
        )
        if pid:
            break
        await asyncio.sleep(0.05)
    assert pid, "the slow query never started"
    assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
    with pytest.raises(UnavailableError) as caught:
        await asyncio.wait_for(task, 5)
    assert caught.value.id.startswith("MASTRA_STORAGE_PG_SLOW_QUERY_")
    # the next call gets a fresh connection
    assert (await memory.get_thread_by_id("t1")) is not None
    # an idle connection killed by the server: the next call still succeeds
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid() AND state = 'idle'"
    )
    await asyncio.sleep(0.1)
    for _ in range(2):
        try:
            assert (await memory.get_thread_by_id("t1")) is not None
            break
        except UnavailableError:  # the dead connection may surface once; never twice
            continue
    else:
        pytest.fail("the store did not recover after its idle connection was killed")


# --------------------------------------------------------------------------- init


async def test_concurrent_inits_from_several_processes(pg_url: str, schema: str) -> None:
    script = (
        "import asyncio, sys\n"
        "from mastra_storage_postgres import PostgresStore\n"
        "async def main():\n"
        "    s = PostgresStore(sys.argv[1], schema_name=sys.argv[2], max_size=1)\n"
        "    await s.init()\n"
        "    await s.close()\n"
        "asyncio.run(main())\n"
    )
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            script,
            pg_url,
            schema,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=REPO,
            env={**os.environ},
        )
        for _ in range(3)
    ]
    results = await asyncio.gather(*(p.communicate() for p in procs))
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()[-2000:]
    store = PostgresStore(pg_url, schema_name=schema, max_size=1)
    await store.init()
    assert store.statements_executed == 1
    assert (await store.doctor()).ok
    await store.close()


async def test_init_analyzes_tables_loaded_without_statistics(
    pg_url: str, schema: str, admin: Any
) -> None:
    store = PostgresStore(pg_url, schema_name=schema, max_size=1)
    await store.init()
    await store.close()
    table = f'"{schema}".mastra_threads'
    import asyncpg

    loader = await asyncpg.connect(pg_url)
    await loader.execute(
        f'INSERT INTO {table} (id, "resourceId", title, "createdAt", "updatedAt") '
        "SELECT 'bulk' || g, 'r', '', now(), now() FROM generate_series(1, 500) g"
    )
    await loader.close()  # a backend flushes its table statistics when it exits
    stats = "SELECT n_live_tup, last_analyze FROM pg_stat_user_tables WHERE relid = $1::regclass"
    for _ in range(50):
        row = await admin.fetchrow(stats, table)
        if row["n_live_tup"] > 0:
            break
        await asyncio.sleep(0.1)
    report = await PostgresStore(pg_url, schema_name=schema, max_size=1).doctor()
    check = {c.name: c for c in report.checks}["statistics"]
    assert row["last_analyze"] is not None or not check.ok  # doctor reports what init fixes
    again = PostgresStore(pg_url, schema_name=schema, max_size=1)
    await again.init()
    await again.close()
    row = await admin.fetchrow(
        "SELECT last_analyze, last_autoanalyze FROM pg_stat_user_tables WHERE relid = $1::regclass",
        table,
    )
    assert row["last_analyze"] is not None or row["last_autoanalyze"] is not None


async def test_doctor_reports_missing_pieces(store: PostgresStore, admin: Any) -> None:
    report = await store.doctor()
    assert report.ok, report
    names = [c.name for c in report.checks]
    assert names == [
        "connectivity",
        "schema_version",
        "tables",
        "columns",
        "indexes",
        "statistics",
    ]
    schema = store.schema_name
    await admin.execute(f'DROP INDEX "{schema}"."{schema}_mastra_threads_resourceid_createdat_idx"')
    broken = await store.doctor()
    failing = [c for c in broken.checks if not c.ok]
    assert [c.name for c in failing] == ["indexes"]
    assert "mastra_threads_resourceid_createdat_idx" in failing[0].detail
    # init repairs it (the warm check notices the missing index)
    again = PostgresStore(pool=await store.get_pool(), schema_name=store.schema_name)
    await again.init()
    assert (await again.doctor()).ok


async def test_doctor_on_an_uninitialised_schema(pg_url: str, schema: str) -> None:
    store = PostgresStore(pg_url, schema_name=schema, max_size=1)
    report = await store.doctor()
    failing = {c.name for c in report.checks if not c.ok}
    assert failing == {"schema_version", "tables", "indexes"}
    await store.close()


async def test_errors_keep_the_store_usable(store: PostgresStore) -> None:
    with pytest.raises(MastraStorageError):
        await store.database.fetchval("bad", "SELECT * FROM no_such_table")
    assert await store.database.fetchval("ok", "SELECT 1") == 1


@pytest.fixture
async def two_stores(
    pg_url: str, schema: str
) -> AsyncIterator[tuple[PostgresStore, PostgresStore]]:
    a = PostgresStore(pg_url, schema_name=schema, max_size=2)
    b = PostgresStore(pg_url, schema_name=schema, max_size=2)
    try:
        yield a, b
    finally:
        await a.close()
        await b.close()


async def test_concurrent_appends_from_two_stores(
    two_stores: tuple[PostgresStore, PostgresStore],
) -> None:
    a, b = two_stores
    await asyncio.gather(a.init(), b.init())
    await memory_of(a).save_thread(thread("t1"))

    async def writer(store: PostgresStore, prefix: str) -> None:
        for i in range(20):
            await memory_of(store).save_messages(
                [message(f"{prefix}{i}", "t1", T0 + timedelta(milliseconds=i))]
            )

    await asyncio.gather(writer(a, "a"), writer(b, "b"))
    page = await memory_of(b).list_messages(thread_id="t1", per_page=None)
    assert page.total == 40
