"""Latency of the PostgreSQL adapter, next to a raw asyncpg query doing the same work.

Run: ``python benchmarks/bench_postgres.py [-n 300]``. Needs ``pip install -e '.[postgres]'``
and a server: ``MASTRA_TEST_POSTGRES_URL``, else 127.0.0.1:5432 (user ``postgres``, trust),
else a throw-away cluster (``mastra_storage.testing.servers``). Everything happens in a
private database that is dropped afterwards.

Per operation:

* ``mastra-storage``: the public API (validation, records, JSON encoding, one pooled
  statement); ``stmts`` is how many statements the SDK sent (``store.statements_executed``).
* ``raw asyncpg``: one hand-written statement on the same Mastra table layout through an
  asyncpg pool configured the same way (no reset query on release), plain ``json``/dicts.

Both sides run with ``synchronous_commit=off`` for their sessions unless ``--sync-commit`` is
given, so the numbers show client and protocol cost rather than the disk's flush latency
(the shared server here runs with ``fsync=on``; with it, every write waits for a WAL flush).

Operations: append a turn (user + assistant message, bumping the thread's ``updatedAt``),
recall the newest 40 of a 1,000-message thread (with the total), list a page of 20 of a
resource's 10,000 threads (with the total), and a warm ``init()`` on an up-to-date schema.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import asyncpg

from mastra_storage import Message, MessageContent, OrderBy, Thread
from mastra_storage_postgres import PostgresStore
from tests.support.servers import postgres_database

UTC = timezone.utc
T0 = datetime(2026, 1, 1, tzinfo=UTC)
SCHEMA = "bench"


async def _no_reset(conn: Any) -> None:
    return None


async def timed(fn: Callable[[], Awaitable[Any]], n: int, warmup: int = 20) -> list[float]:
    for _ in range(warmup):
        await fn()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        await fn()
        samples.append(time.perf_counter() - t0)
    return samples


def ms(samples: list[float], q: float | None = None) -> str:
    if q is None:
        return f"{statistics.median(samples) * 1000:.3f}"
    ordered = sorted(samples)
    return f"{ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000:.3f}"


async def seed(store: PostgresStore, pool: Any) -> None:
    memory = await store.require_store("memory")
    await memory.save_thread(
        Thread(id="recall", resource_id="recall-user", title="", created_at=T0, updated_at=T0)
    )
    for start in range(0, 1000, 250):
        await memory.save_messages(
            [
                Message(
                    id=f"recall-{i}",
                    role="user" if i % 2 == 0 else "assistant",
                    created_at=T0 + timedelta(seconds=i),
                    thread_id="recall",
                    resource_id="recall-user",
                    content=MessageContent.text(f"message {i} " + "x" * 200),
                )
                for i in range(start, start + 250)
            ]
        )
    await pool.execute(
        f'INSERT INTO "{SCHEMA}".mastra_threads (id, "resourceId", title, metadata, "createdAt", '
        '"createdAtZ", "updatedAt", "updatedAtZ") SELECT \'lt-\' || g, \'big-user\', '
        "'thread ' || g, '{}'::jsonb, $1::timestamp + g * interval '1 second', "
        "$2::timestamptz + g * interval '1 second', $1::timestamp + g * interval '1 second', "
        "$2::timestamptz + g * interval '1 second' FROM generate_series(1, 10000) g",
        T0.replace(tzinfo=None),
        T0,
    )
    await pool.execute(f'ANALYZE "{SCHEMA}".mastra_threads, "{SCHEMA}".mastra_messages')


RAW_APPEND = f"""
WITH bumped AS (
  UPDATE "{SCHEMA}".mastra_threads SET "updatedAt" = $9, "updatedAtZ" = $10
  WHERE id = $11 RETURNING id)
INSERT INTO "{SCHEMA}".mastra_messages
  (id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId")
SELECT i.id, i.thread_id, i.content, i.role, i.type, i.c, i.cz, i.r
FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamp[],
            $7::timestamptz[], $8::text[]) AS i(id, thread_id, content, role, type, c, cz, r)
WHERE EXISTS (SELECT 1 FROM bumped)
ON CONFLICT (id) DO UPDATE SET content = EXCLUDED.content
"""
RAW_RECALL = f"""
SELECT c.total, p.* FROM (SELECT count(*) AS total FROM "{SCHEMA}".mastra_messages
                          WHERE thread_id = $1) c
LEFT JOIN LATERAL (SELECT id, content, role, type, "createdAtZ", "resourceId"
                   FROM "{SCHEMA}".mastra_messages WHERE thread_id = $1
                   ORDER BY "createdAt" DESC, seq DESC LIMIT 40) p ON true
"""
RAW_THREADS = f"""
SELECT c.total, p.* FROM (SELECT count(*) AS total FROM "{SCHEMA}".mastra_threads
                          WHERE "resourceId" = $1) c
LEFT JOIN LATERAL (SELECT id, title, metadata, "createdAtZ", "updatedAtZ"
                   FROM "{SCHEMA}".mastra_threads WHERE "resourceId" = $1
                   ORDER BY "createdAt" DESC, id DESC LIMIT 20) p ON true
"""
RAW_WARM = f'SELECT version FROM "{SCHEMA}".mastra_storage_schema WHERE component = $1'


async def run(url: str, n: int, sync_commit: bool) -> None:
    settings = None if sync_commit else {"synchronous_commit": "off"}
    store = PostgresStore(url, schema_name=SCHEMA, max_size=4, server_settings=settings)
    await store.init()
    pool = await asyncpg.create_pool(
        url, min_size=1, max_size=4, reset=_no_reset, server_settings=settings
    )
    await seed(store, pool)
    memory = await store.require_store("memory")
    await memory.save_thread(
        Thread(id="turns", resource_id="turn-user", title="", created_at=T0, updated_at=T0)
    )
    await pool.execute(
        f'INSERT INTO "{SCHEMA}".mastra_threads (id, "resourceId", title, "createdAt", '
        "\"updatedAt\") VALUES ('raw-turns', 'turn-user', '', now(), now())"
    )
    rows: list[tuple[str, list[float], list[float], float]] = []

    async def measure(
        name: str, sdk: Callable[[], Awaitable[Any]], raw: Callable[[], Awaitable[Any]]
    ) -> None:
        before = store.statements_executed
        await sdk()
        stmts = store.statements_executed - before
        rows.append((name, await timed(sdk, n), await timed(raw, n), stmts))

    async def sdk_append() -> None:
        now = datetime.now(UTC)
        await memory.save_messages(
            [
                Message(
                    id=uuid.uuid4().hex,
                    role=role,
                    created_at=now,
                    thread_id="turns",
                    resource_id="turn-user",
                    content=MessageContent.text(f"{role} says hello " * 10),
                )
                for role in ("user", "assistant")
            ]
        )

    async def raw_append() -> None:
        now = datetime.now(UTC)
        contents = [
            json.dumps({"format": 2, "parts": [{"type": "text", "text": f"{r} says hello " * 10}]})
            for r in ("user", "assistant")
        ]
        await pool.execute(
            RAW_APPEND,
            [uuid.uuid4().hex, uuid.uuid4().hex],
            ["raw-turns"] * 2,
            contents,
            ["user", "assistant"],
            ["v2", "v2"],
            [now.replace(tzinfo=None)] * 2,
            [now] * 2,
            ["turn-user"] * 2,
            now.replace(tzinfo=None),
            now,
            "raw-turns",
        )

    async def sdk_recall() -> None:
        page = await memory.list_messages(
            thread_id="recall", per_page=40, order_by=OrderBy(field="created_at", direction="DESC")
        )
        assert len(page.items) == 40 and page.total == 1000

    async def raw_recall() -> None:
        result = await pool.fetch(RAW_RECALL, "recall")
        msgs = [
            {"id": r["id"], "content": json.loads(r["content"]), "role": r["role"]} for r in result
        ]
        assert len(msgs) == 40 and result[0]["total"] == 1000

    async def sdk_threads() -> None:
        page = await memory.list_threads(resource_id="big-user", per_page=20)
        assert len(page.items) == 20 and page.total == 10000

    async def raw_threads() -> None:
        result = await pool.fetch(RAW_THREADS, "big-user")
        threads = [{"id": r["id"], "metadata": json.loads(r["metadata"])} for r in result]
        assert len(threads) == 20 and result[0]["total"] == 10000

    async def sdk_warm_init() -> None:
        warm = PostgresStore(pool=pool, schema_name=SCHEMA)
        await warm.init()
        assert warm.statements_executed == 1

    async def raw_warm_init() -> None:
        assert await pool.fetchval(RAW_WARM, "postgres") is not None

    await measure("append turn (2 messages)", sdk_append, raw_append)
    await measure("recall newest 40 of 1,000", sdk_recall, raw_recall)
    await measure("list threads: 20 of 10,000", sdk_threads, raw_threads)
    before = store.statements_executed
    probe = PostgresStore(pool=pool, schema_name=SCHEMA)
    await probe.init()
    rows.append(
        (
            "warm init()",
            await timed(sdk_warm_init, n),
            await timed(raw_warm_init, n),
            probe.statements_executed + (store.statements_executed - before),
        )
    )

    mode = "on" if sync_commit else "off"
    print(f"n = {n} per cell; synchronous_commit={mode}; times in ms")
    header = (
        f"{'operation':<30} {'stmts':>5} {'sdk p50':>9} {'sdk p99':>9} "
        f"{'raw p50':>9} {'raw p99':>9} {'sdk/raw':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, sdk, raw, stmts in rows:
        ratio = statistics.median(sdk) / statistics.median(raw)
        print(
            f"{name:<30} {stmts:>5} {ms(sdk):>9} {ms(sdk, 0.99):>9} "
            f"{ms(raw):>9} {ms(raw, 0.99):>9} {ratio:>7.2f}x"
        )
    await pool.close()
    await store.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=300, help="samples per cell (default 300)")
    parser.add_argument(
        "--sync-commit", action="store_true", help="keep synchronous_commit=on (flush per write)"
    )
    args = parser.parse_args()
    async with postgres_database() as url:
        await run(url, args.n, args.sync_commit)


if __name__ == "__main__":
    asyncio.run(main())
