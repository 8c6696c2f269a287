"""``init()`` on a live Mastra database (issue 16 point 8): it never blocks the Mastra app's
reads and writes for long, never rewrites ``mastra_messages``, and messages that predate
our ``seq`` column still order and page correctly."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timezone
from typing import Any

import pytest

from benchmarks.pg_init_live import create_mastra_layout, load_messages, measure
from mastra_storage.domains.memory import IncludeSpec
from mastra_storage.pagination import OrderBy
from mastra_storage_postgres import PostgresStore
from mastra_storage_postgres.schema import OBSOLETE_INDEXES, REQUIRED_INDEXES, SCHEMA_VERSION

asyncpg = pytest.importorskip("asyncpg")

#: As conftest's FAST_COMMITS (conftest is not importable from a test module here).
FAST_COMMITS = {"synchronous_commit": "off"}

pytestmark = pytest.mark.anyio

_CONTENT = '{"format":2,"parts":[{"type":"text","text":"hi"}]}'
_WHEN = datetime(2025, 3, 1, 12, 0, 0)


async def _mastra_insert(conn: Any, schema: str, message_id: str, thread: str = "t1") -> None:
    """A message written the way ``@mastra/pg`` writes one (its columns, by name)."""
    await conn.execute(
        f'INSERT INTO "{schema}".mastra_messages (id, thread_id, content, role, type, '
        '"createdAt", "createdAtZ", "resourceId") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        message_id,
        thread,
        _CONTENT,
        "user",
        "v2",
        _WHEN,
        _WHEN.replace(tzinfo=timezone.utc),
        "r1",
    )


async def test_init_under_load_keeps_writer_and_reader_waits_short(pg_url: str) -> None:
    """50,000 messages, a Mastra writer and reader in a loop: no operation waits 1 s, and
    no ACCESS EXCLUSIVE lock on mastra_messages is seen for more than a brief moment
    (the old init held one while it rewrote the table and built its indexes)."""
    result = await measure(
        pg_url,
        rows=50_000,
        threads=200,
        poll_s=0.01,
        settle_s=0.2,
        # A commit's WAL flush on the shared test server is not init's doing.
        store_options={"server_settings": FAST_COMMITS},
    )
    assert result.writer_ops > 5 and result.reader_ops > 5, result
    assert result.writer_max_s < 1.0, result
    assert result.reader_max_s < 1.0, result
    assert result.access_exclusive_max_s < 0.1, result


async def test_init_behind_a_long_transaction_does_not_queue_the_app(
    pg_url: str, schema: str
) -> None:
    """A Mastra transaction that has read mastra_messages stays open for 3 s while init
    starts. init's ALTER must not wait in the lock queue (where every later write of the
    app would queue behind it): it gives up after lock_timeout and retries."""
    admin = await asyncpg.connect(pg_url)
    long_tx = await asyncpg.connect(pg_url)
    writer = await asyncpg.connect(pg_url)
    store = PostgresStore(pg_url, schema_name=schema, max_size=1, server_settings=FAST_COMMITS)
    try:
        await create_mastra_layout(admin, schema)
        await load_messages(admin, schema, 1000, 10)
        tx = long_tx.transaction()
        await tx.start()
        await long_tx.fetchval(f'SELECT count(*) FROM "{schema}".mastra_messages')
        init_task = asyncio.create_task(store.init())

        async def end_long_transaction() -> bool:
            await asyncio.sleep(3.0)
            init_waited = not init_task.done()  # still waiting for its lock, politely
            await tx.rollback()
            return init_waited

        ender = asyncio.create_task(end_long_transaction())
        waits = []
        while not ender.done():
            started = time.perf_counter()
            await _mastra_insert(writer, schema, uuid.uuid4().hex)
            waits.append(time.perf_counter() - started)
            await asyncio.sleep(0.02)
        assert await ender
        await asyncio.wait_for(init_task, 60)
        assert max(waits) < 1.0, max(waits)
        version = await admin.fetchval(
            f'SELECT version FROM "{schema}".mastra_storage_schema WHERE component = $1',
            "postgres",
        )
        assert version == SCHEMA_VERSION
    finally:
        await store.close()
        for conn in (admin, long_tx, writer):
            await conn.close()


async def test_init_adds_seq_without_rewriting_and_old_rows_order_and_page(
    pg_url: str, schema: str
) -> None:
    """Rows that predate ``seq`` keep NULL (no rewrite: same relfilenode); rows written by
    Mastra after init get one. At equal createdAt the old rows sort first, in one fixed
    order, then the new ones in insertion order; every paging mode agrees with it."""
    admin = await asyncpg.connect(pg_url)
    store = PostgresStore(pg_url, schema_name=schema, max_size=2, server_settings=FAST_COMMITS)
    try:
        await create_mastra_layout(admin, schema)
        await admin.execute(
            f'INSERT INTO "{schema}".mastra_threads (id, "resourceId", title, metadata, '
            '"createdAt", "updatedAt") VALUES ($1, $2, $3, $4, $5, $5)',
            "t1",
            "r1",
            "t",
            "{}",
            _WHEN,
        )
        old = [f"old-{i}-{uuid.uuid4().hex[:6]}" for i in range(7)]
        for message_id in old:
            await _mastra_insert(admin, schema, message_id)
        relation = f'"{schema}".mastra_messages'
        filenode = await admin.fetchval("SELECT pg_relation_filenode($1::regclass)", relation)
        await store.init()
        assert (
            await admin.fetchval("SELECT pg_relation_filenode($1::regclass)", relation)
        ) == filenode
        new = [f"new-{i}" for i in range(4)]
        for message_id in new:
            await _mastra_insert(admin, schema, message_id)
        seqs = dict(await admin.fetch(f"SELECT id, seq FROM {relation}"))
        assert all(seqs[i] is None for i in old)
        assert [seqs[i] for i in new] == sorted(seqs[i] for i in new)

        memory = await store.require_store("memory")
        everything = [
            m.id for m in (await memory.list_messages(thread_id="t1", per_page=None)).items
        ]
        assert set(everything[:7]) == set(old)
        assert everything[7:] == new
        again = [m.id for m in (await memory.list_messages(thread_id="t1", per_page=None)).items]
        assert again == everything
        desc = OrderBy(field="created_at", direction="DESC")
        newest = await memory.list_messages(thread_id="t1", per_page=None, order_by=desc)
        assert [m.id for m in newest.items] == everything[::-1]

        for order, expected in ((None, everything), (desc, everything[::-1])):
            walked: list[str] = []
            cursor = None
            while True:
                page = await memory.list_messages(
                    thread_id="t1", per_page=3, cursor=cursor, order_by=order
                )
                walked += [m.id for m in page.items]
                cursor = page.next_cursor
                if cursor is None:
                    break
            assert walked == expected
            by_page: list[str] = []
            for number in range(4):
                page = await memory.list_messages(
                    thread_id="t1", page=number, per_page=3, order_by=order
                )
                by_page += [m.id for m in page.items]
            assert by_page == expected

        target = everything[3]
        window = await memory.list_messages(
            thread_id="t1",
            per_page=0,
            include=[IncludeSpec(id=target, with_previous_messages=2, with_next_messages=5)],
        )
        assert [m.id for m in window.items] == everything[1:9]
        by_resource = await memory.list_messages_by_resource_id(resource_id="r1", per_page=None)
        assert [m.id for m in by_resource.items] == everything
    finally:
        await store.close()
        await admin.close()


async def test_invalid_index_left_by_a_failed_build_is_rebuilt(pg_url: str, schema: str) -> None:
    """A ``CREATE INDEX CONCURRENTLY`` that failed leaves an INVALID index; init replaces
    it with a valid one of the right definition instead of taking it as present."""
    admin = await asyncpg.connect(pg_url)
    store = PostgresStore(pg_url, schema_name=schema, max_size=1, server_settings=FAST_COMMITS)
    name = REQUIRED_INDEXES[0].name(schema)
    try:
        await create_mastra_layout(admin, schema)
        await load_messages(admin, schema, 100, 5)
        with pytest.raises(asyncpg.UniqueViolationError):
            await admin.execute(
                f'CREATE UNIQUE INDEX CONCURRENTLY "{name}" ON "{schema}".mastra_messages (role)'
            )
        checks = {c.name: c for c in (await store.doctor()).checks}
        assert not checks["indexes"].ok and name in checks["indexes"].detail
        await store.init()
        checks = {c.name: c for c in (await store.doctor()).checks}
        assert checks["indexes"].ok
        valid, definition = await admin.fetchrow(
            "SELECT i.indisvalid, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relnamespace = to_regnamespace($1) AND c.relname = $2",
            schema,
            name,
        )
        assert valid
        assert "UNIQUE" not in definition and "md5" in definition, definition
    finally:
        await store.close()
        await admin.close()


async def test_layout_1_is_upgraded_online(pg_url: str, schema: str) -> None:
    """A schema initialised by layout 1 (identity ``seq``, ``*_seq_idx`` indexes) gets the
    order indexes, loses the obsolete ones, and keeps its identity column and data."""
    admin = await asyncpg.connect(pg_url)
    store = PostgresStore(pg_url, schema_name=schema, max_size=1, server_settings=FAST_COMMITS)
    try:
        await create_mastra_layout(admin, schema)
        s = f'"{schema}"'
        await admin.execute(
            f"ALTER TABLE {s}.mastra_messages ADD COLUMN seq BIGINT GENERATED BY DEFAULT AS "
            "IDENTITY"
        )
        for obsolete, lead in zip(OBSOLETE_INDEXES, ("thread_id", '"resourceId"'), strict=True):
            await admin.execute(
                f'CREATE INDEX "{schema}_{obsolete}" ON {s}.mastra_messages '
                f'({lead}, "createdAt", seq)'
            )
        await admin.execute(
            f"CREATE TABLE {s}.mastra_storage_schema (component TEXT PRIMARY KEY, "
            'version INTEGER NOT NULL, "updatedAt" TIMESTAMPTZ NOT NULL DEFAULT NOW())'
        )
        await admin.execute(f"INSERT INTO {s}.mastra_storage_schema VALUES ('postgres', 1)")
        await _mastra_insert(admin, schema, "m1")
        await store.init()
        names = {
            r[0]
            for r in await admin.fetch(
                "SELECT indexname FROM pg_indexes WHERE schemaname = $1", schema
            )
        }
        assert {i.name(schema) for i in REQUIRED_INDEXES} <= names
        assert not {f"{schema}_{o}" for o in OBSOLETE_INDEXES} & names
        assert await admin.fetchval(f"SELECT seq FROM {s}.mastra_messages") == 1
        assert (
            await admin.fetchval(f"SELECT version FROM {s}.mastra_storage_schema")
        ) == SCHEMA_VERSION
    finally:
        await store.close()
        await admin.close()
