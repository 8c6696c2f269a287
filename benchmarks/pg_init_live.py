"""``PostgresStore.init()`` on a live Mastra database: how long do Mastra's own reads and
writes wait while it runs?

The scenario of issue 16 point 8: a Mastra app owns a PostgreSQL database (``@mastra/pg``'s
tables and default indexes, no ``mastra-storage`` additions) holding many messages, and a
Python service starts and runs ``init()`` against it. While ``init()`` runs, a writer
appends messages the way Mastra does (an ``INSERT`` that names Mastra's columns) and a
reader loads a thread's newest messages the way Mastra does, each in a loop on its own
connection, recording every operation's latency; a monitor polls ``pg_locks`` for an
``AccessExclusiveLock`` on ``mastra_messages`` and records the longest time it stayed held.

    python -m benchmarks.pg_init_live --rows 1000000 --label after
    python -m benchmarks.pg_init_live --rows 50000 --json /tmp/out.json

The database comes from ``tests.support.servers.postgres_database()`` (the server
in ``MASTRA_TEST_POSTGRES_URL``, else 127.0.0.1:5432) unless ``--url`` is given; the
schema is created and dropped by the run. ``tests/postgres/test_postgres_init_live.py``
runs :func:`measure` on 50,000 rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "pg_init_live.json"


@dataclass
class LiveInitResult:
    """What one run measured (seconds)."""

    rows: int
    init_s: float
    writer_ops: int
    writer_max_s: float
    writer_p99_s: float
    reader_ops: int
    reader_max_s: float
    reader_p99_s: float
    #: Longest time an ``AccessExclusiveLock`` on ``mastra_messages`` was seen held
    #: (polled every ``poll_s``; 0 when never seen).
    access_exclusive_max_s: float
    access_exclusive_seen: int
    poll_s: float
    load_s: float
    extra: dict[str, Any] = field(default_factory=dict)


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def create_mastra_layout(conn: Any, schema: str) -> None:
    """``@mastra/pg`` 1.27.1's tables, constraints and default indexes (nothing of ours)."""
    from mastra_storage_postgres import schema as layout

    s = _q(schema)
    await conn.execute(f"CREATE SCHEMA {s}")
    for table in layout.TABLES:
        await conn.execute(table.create_ddl(schema))
    await conn.execute(
        f"ALTER TABLE {s}.mastra_workflow_snapshot ADD CONSTRAINT "
        f"{_q(layout.constraint_name('mastra_workflow_snapshot_workflow_name_run_id_key', schema))}"
        " UNIQUE (workflow_name, run_id)"
    )
    await conn.execute(
        f"ALTER TABLE {s}.mastra_ai_spans ADD CONSTRAINT "
        f"{_q(layout.constraint_name('mastra_ai_spans_traceid_spanid_pk', schema))}"
        ' PRIMARY KEY ("traceId", "spanId")'
    )
    for index in layout.DEFAULT_INDEXES:
        await conn.execute(index.ddl(schema))


async def load_messages(conn: Any, schema: str, rows: int, threads: int) -> None:
    """``threads`` threads and ``rows`` messages in two ``INSERT ... SELECT`` statements."""
    s = _q(schema)
    await conn.execute(
        f'INSERT INTO {s}.mastra_threads (id, "resourceId", title, metadata, "createdAt", '
        '"createdAtZ", "updatedAt", "updatedAtZ") '
        "SELECT 't' || g, 'r' || (g % 100), 'thread ' || g, '{}'::jsonb, "
        "timestamp '2025-01-01', timestamptz '2025-01-01Z', timestamp '2025-01-01', "
        "timestamptz '2025-01-01Z' FROM generate_series(1, $1) g",
        threads,
    )
    # Some messages share a createdAt (Mastra saves a turn's messages at one instant).
    await conn.execute(
        f'INSERT INTO {s}.mastra_messages (id, thread_id, content, role, type, "createdAt", '
        '"createdAtZ", "resourceId") '
        "SELECT md5(g::text), 't' || (g % $2), "
        """'{"format":2,"parts":[{"type":"text","text":"message ' || g || ' """
        """lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod"}]}', """
        "CASE WHEN g % 2 = 0 THEN 'user' ELSE 'assistant' END, 'v2', "
        "timestamp '2025-01-01' + (g / 2) * interval '1 second', "
        "timestamptz '2025-01-01Z' + (g / 2) * interval '1 second', 'r' || ((g % $2) % 100) "
        "FROM generate_series(1, $1) g",
        rows,
        threads,
    )
    await conn.execute(f"VACUUM ANALYZE {s}.mastra_messages")
    await conn.execute(f"ANALYZE {s}.mastra_threads")


def _p99(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


async def _writer(conn: Any, schema: str, threads: int, stop: asyncio.Event) -> list[float]:
    """Mastra's message insert (its columns, by name), one per iteration."""
    sql = (
        f"INSERT INTO {_q(schema)}.mastra_messages (id, thread_id, content, role, type, "
        '"createdAt", "createdAtZ", "resourceId") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)'
    )
    latencies: list[float] = []
    while not stop.is_set():
        now = time.time()
        n = random.randrange(threads)
        started = time.perf_counter()
        await conn.execute(
            sql,
            uuid.uuid4().hex,
            f"t{n}",
            '{"format":2,"parts":[{"type":"text","text":"live"}]}',
            "user",
            "v2",
            _naive(now),
            _aware(now),
            f"r{n % 100}",
        )
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    return latencies


async def _reader(conn: Any, schema: str, threads: int, stop: asyncio.Event) -> list[float]:
    """Mastra's recall: a thread's newest 40 messages, by ``createdAt``."""
    sql = (
        'SELECT id, content, role, type, "createdAt", thread_id, "resourceId" '
        f"FROM {_q(schema)}.mastra_messages WHERE thread_id = $1 "
        'ORDER BY "createdAt" DESC LIMIT 40'
    )
    latencies: list[float] = []
    while not stop.is_set():
        started = time.perf_counter()
        await conn.fetch(sql, f"t{random.randrange(threads)}")
        latencies.append(time.perf_counter() - started)
        await asyncio.sleep(0.005)
    return latencies


async def _lock_monitor(
    conn: Any, schema: str, stop: asyncio.Event, poll_s: float
) -> tuple[float, int]:
    """Longest stretch an AccessExclusiveLock on mastra_messages stayed granted."""
    sql = (
        "SELECT count(*) FROM pg_locks l WHERE l.locktype = 'relation' AND l.granted "
        "AND l.mode = 'AccessExclusiveLock' AND l.relation = to_regclass($1)"
    )
    relation = f"{_q(schema)}.mastra_messages"
    longest = 0.0
    seen = 0
    held_since: float | None = None
    while not stop.is_set():
        held = bool(await conn.fetchval(sql, relation))
        now = time.perf_counter()
        if held:
            seen += 1
            held_since = now if held_since is None else held_since
            longest = max(longest, now - held_since)
        else:
            held_since = None
        await asyncio.sleep(poll_s)
    return longest, seen


def _naive(epoch: float) -> Any:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, timezone.utc).replace(tzinfo=None)


def _aware(epoch: float) -> Any:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, timezone.utc)


async def measure(
    url: str,
    *,
    rows: int,
    threads: int = 1000,
    schema: str | None = None,
    poll_s: float = 0.02,
    settle_s: float = 0.5,
    store_options: dict[str, Any] | None = None,
    keep: bool = False,
) -> LiveInitResult:
    """Build a Mastra database with ``rows`` messages, then run ``PostgresStore.init()`` on it
    while a writer, a reader and a lock monitor run; drop the schema afterwards."""
    import asyncpg

    from mastra_storage_postgres import PostgresStore

    schema = schema or f"live_init_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(url)
    try:
        started = time.perf_counter()
        await create_mastra_layout(admin, schema)
        await load_messages(admin, schema, rows, threads)
        load_s = time.perf_counter() - started
        writer_conn = await asyncpg.connect(url)
        reader_conn = await asyncpg.connect(url)
        monitor_conn = await asyncpg.connect(url)
        stop = asyncio.Event()
        tasks = (
            asyncio.create_task(_writer(writer_conn, schema, threads, stop)),
            asyncio.create_task(_reader(reader_conn, schema, threads, stop)),
            asyncio.create_task(_lock_monitor(monitor_conn, schema, stop, poll_s)),
        )
        store = PostgresStore(url, schema_name=schema, **(store_options or {}))
        try:
            await asyncio.sleep(settle_s)
            init_started = time.perf_counter()
            await store.init()
            init_s = time.perf_counter() - init_started
            await asyncio.sleep(settle_s)
        finally:
            stop.set()
            writes, reads, (exclusive_max, exclusive_seen) = await asyncio.gather(*tasks)
            await store.close()
            for conn in (writer_conn, reader_conn, monitor_conn):
                await conn.close()
        return LiveInitResult(
            rows=rows,
            init_s=init_s,
            writer_ops=len(writes),
            writer_max_s=max(writes, default=0.0),
            writer_p99_s=_p99(writes),
            reader_ops=len(reads),
            reader_max_s=max(reads, default=0.0),
            reader_p99_s=_p99(reads),
            access_exclusive_max_s=exclusive_max,
            access_exclusive_seen=exclusive_seen,
            poll_s=poll_s,
            load_s=load_s,
        )
    finally:
        if not keep:
            await admin.execute(f"DROP SCHEMA IF EXISTS {_q(schema)} CASCADE")
        await admin.close()


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    if args.url:
        result = await measure(args.url, rows=args.rows, threads=args.threads)
    else:
        from tests.support.servers import postgres_database

        async with postgres_database() as url:
            result = await measure(url, rows=args.rows, threads=args.threads)
    return {"label": args.label, **asdict(result)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--threads", type=int, default=1000)
    parser.add_argument("--url", help="postgresql:// URL (default: the test server)")
    parser.add_argument("--label", default="run", help="key of this run in --json")
    parser.add_argument("--json", default=str(RESULTS), help="results file to merge into")
    args = parser.parse_args()
    record = asyncio.run(_main(args))
    print(json.dumps(record, indent=2))
    if args.json:
        out = Path(args.json)
        existing = json.loads(out.read_text()) if out.exists() else {}
        existing[args.label] = record
        out.write_text(json.dumps(existing, indent=2) + "\n")


if __name__ == "__main__":
    main()
