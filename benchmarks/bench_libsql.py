"""Latency of the libSQL adapter, next to the same work done with the raw ``libsql`` driver.

Run: ``python benchmarks/bench_libsql.py`` (or ``nox -s bench``). Needs ``pip install -e
'.[libsql]'``. Everything happens in a temporary directory that is removed afterwards; the
whole run takes well under a minute on a 2-core machine.

Three columns per operation:

* ``mastra-storage``: the public API (``connect("file:...")``, domain methods), i.e.
  validation, records, JSON encoding, one transaction on the store's worker thread.
* ``raw async``: a hand-written equivalent an async app would write without this library:
  the same SQL on the same Mastra table layout, on one worker thread that owns the
  connection (``loop.run_in_executor``), one transaction per call, plain ``json`` and dicts.
* ``raw sync``: the same SQL called directly (blocking the event loop; the floor).

Both sides use the same PRAGMAs (WAL, ``synchronous=NORMAL``, ``busy_timeout``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, TypeVar

from mastra_storage import IncludeSpec, Message, MessageContent, OrderBy, Thread, connect

T = TypeVar("T")

RESOURCE = "bench-user"
nan = float("nan")
BIG_THREAD_SIZE = 10_000
CONCURRENT_APPENDS = 200

# --------------------------------------------------------------------------- measurement


@dataclass
class Result:
    """Samples in seconds for one (operation, implementation)."""

    samples: list[float] = field(default_factory=list)

    def pct(self, q: float) -> float:
        ordered = sorted(self.samples)
        if not ordered:
            return float("nan")
        index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
        return ordered[index]

    @property
    def p50(self) -> float:
        return statistics.median(self.samples) if self.samples else float("nan")


async def timed(fn: Callable[[], Awaitable[Any]], n: int, warmup: int = 3) -> Result:
    for _ in range(warmup):
        await fn()
    result = Result()
    for _ in range(n):
        t0 = time.perf_counter()
        await fn()
        result.samples.append(time.perf_counter() - t0)
    return result


def timed_sync(fn: Callable[[], Any], n: int, warmup: int = 3) -> Result:
    for _ in range(warmup):
        fn()
    result = Result()
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        result.samples.append(time.perf_counter() - t0)
    return result


# --------------------------------------------------------------------------- data


BASE_TIME = datetime(2026, 1, 1, tzinfo=timezone.utc)


def text_for(i: int) -> str:
    return f"message {i}: " + "the quick brown fox jumps over the lazy dog. " * 4


def make_message(thread_id: str, i: int, *, msg_id: str | None = None) -> Message:
    return Message(
        id=msg_id or f"{thread_id}-m{i}",
        role="user" if i % 2 == 0 else "assistant",
        created_at=BASE_TIME + timedelta(milliseconds=i),
        thread_id=thread_id,
        resource_id=RESOURCE,
        content=MessageContent.text(text_for(i)),
    )


def make_thread(thread_id: str) -> Thread:
    return Thread(
        id=thread_id,
        resource_id=RESOURCE,
        title=f"bench {thread_id}",
        created_at=BASE_TIME,
        updated_at=BASE_TIME,
        metadata={"bench": True},
    )


# --------------------------------------------------------------------------- raw driver

# Mastra's @mastra/libsql 1.23.1 layout for the tables this benchmark touches
# (docs/mastra-libsql-layout.md), plus the index on threads by resource.
RAW_DDL = """
CREATE TABLE IF NOT EXISTS mastra_threads (
  "id" TEXT NOT NULL PRIMARY KEY, "resourceId" TEXT NOT NULL, "title" TEXT NOT NULL,
  "metadata" TEXT, "createdAt" TEXT NOT NULL, "updatedAt" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mastra_messages (
  "id" TEXT NOT NULL PRIMARY KEY, "thread_id" TEXT NOT NULL, "content" TEXT NOT NULL,
  "role" TEXT NOT NULL, "type" TEXT NOT NULL, "createdAt" TEXT NOT NULL, "resourceId" TEXT);
CREATE INDEX IF NOT EXISTS idx_messages_thread_created_at
  ON mastra_messages (thread_id, "createdAt");
CREATE INDEX IF NOT EXISTS idx_messages_thread_resource_created_at
  ON mastra_messages (thread_id, "resourceId", "createdAt");
CREATE TABLE IF NOT EXISTS mastra_resources (
  "id" TEXT NOT NULL PRIMARY KEY, "workingMemory" TEXT, "metadata" TEXT,
  "createdAt" TEXT NOT NULL, "updatedAt" TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mastra_workflow_snapshot (
  "workflow_name" TEXT, "run_id" TEXT, "resourceId" TEXT, "snapshot" TEXT,
  "createdAt" TEXT, "updatedAt" TEXT, UNIQUE (workflow_name, run_id));
CREATE INDEX IF NOT EXISTS idx_threads_resource_id ON mastra_threads ("resourceId");
PRAGMA user_version = 1;
"""

MSG_COLUMNS = '"id", thread_id, content, role, type, "createdAt", "resourceId"'


def iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def raw_connect(path: str) -> Any:
    import libsql

    conn = libsql.connect(path, isolation_level=None, timeout=5.0)
    conn.executescript(
        "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
    )
    return conn


def raw_init(conn: Any) -> None:
    if conn.execute("PRAGMA user_version").fetchall()[0][0] < 1:
        conn.execute("BEGIN IMMEDIATE")
        conn.executescript(RAW_DDL)
        conn.execute("COMMIT")


def raw_row(m: Message) -> tuple[Any, ...]:
    return (
        m.id,
        m.thread_id,
        json.dumps(m.content.to_dict()),
        m.role,
        "v2",
        iso(m.created_at),
        m.resource_id,
    )


def raw_save_thread(conn: Any, thread: Thread) -> None:
    conn.execute("BEGIN IMMEDIATE")
    conn.execute(
        'INSERT OR REPLACE INTO mastra_threads ("id", "resourceId", "title", "metadata", '
        '"createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)',
        (
            thread.id,
            thread.resource_id,
            thread.title,
            json.dumps(thread.metadata),
            iso(thread.created_at),
            iso(thread.updated_at),
        ),
    )
    conn.execute("COMMIT")


def raw_save_messages(conn: Any, rows: Sequence[tuple[Any, ...]], thread_id: str) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.executemany(
            f"INSERT INTO mastra_messages ({MSG_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) "
            'ON CONFLICT ("id") DO UPDATE SET thread_id = excluded.thread_id, '
            "content = excluded.content, role = excluded.role, type = excluded.type, "
            '"resourceId" = excluded."resourceId"',
            rows,
        )
        conn.execute(
            'UPDATE mastra_threads SET "updatedAt" = ? WHERE "id" = ?',
            (iso(datetime.now(timezone.utc)), thread_id),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def decode_rows(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [
        {
            "id": r[0],
            "threadId": r[1],
            "content": json.loads(r[2]),
            "role": r[3],
            "createdAt": r[5],
            "resourceId": r[6],
        }
        for r in rows
    ]


def raw_last_messages(conn: Any, thread_id: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    conn.execute("BEGIN")
    rows = conn.execute(
        f"SELECT {MSG_COLUMNS} FROM mastra_messages WHERE thread_id = ? "
        'ORDER BY "createdAt" DESC, rowid DESC LIMIT ?',
        (thread_id, limit + 1),
    ).fetchall()
    total = conn.execute(
        "SELECT COUNT(*) FROM mastra_messages WHERE thread_id = ?", (thread_id,)
    ).fetchall()[0][0]
    conn.execute("COMMIT")
    return decode_rows(rows[:limit]), int(total)


def raw_include_only(
    conn: Any, targets: Sequence[str], before: int, after: int
) -> list[dict[str, Any]]:
    conn.execute("BEGIN")
    found: dict[str, tuple[Any, ...]] = {}
    for target in targets:
        head = conn.execute(
            'SELECT thread_id, "createdAt", rowid FROM mastra_messages WHERE "id" = ?', (target,)
        ).fetchall()
        if not head:
            continue
        thread_id, created, rowid = head[0]
        window = conn.execute(
            f"SELECT * FROM (SELECT {MSG_COLUMNS}, rowid FROM mastra_messages "
            'WHERE thread_id = ? AND ("createdAt", rowid) < (?, ?) '
            'ORDER BY "createdAt" DESC, rowid DESC LIMIT ?) '
            f"UNION ALL SELECT * FROM (SELECT {MSG_COLUMNS}, rowid FROM mastra_messages "
            'WHERE thread_id = ? AND ("createdAt", rowid) >= (?, ?) '
            'ORDER BY "createdAt" ASC, rowid ASC LIMIT ?)',
            (thread_id, created, rowid, before, thread_id, created, rowid, after + 1),
        ).fetchall()
        for row in window:
            found[row[0]] = row
    conn.execute("COMMIT")
    ordered = sorted(found.values(), key=lambda r: (r[5], r[7]))
    return decode_rows(ordered)


class RawAsync:
    """The hand-written async wrapper: one thread owns the connection (as the adapter does)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-libsql")
        self.conn: Any = None

    async def call(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, lambda: fn(self.conn, *args))

    async def open(self) -> None:
        loop = asyncio.get_running_loop()

        def _open() -> None:
            self.conn = raw_connect(self.path)
            raw_init(self.conn)

        await loop.run_in_executor(self.pool, _open)

    async def close(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self.pool, lambda: self.conn.close())
        self.pool.shutdown(wait=True)


# --------------------------------------------------------------------------- benchmark


@dataclass
class Row:
    name: str
    stat: str
    ours: float
    raw_async: float
    raw_sync: float


def include_specs(ids: Sequence[str]) -> list[IncludeSpec]:
    return [IncludeSpec(id=i, with_previous_messages=2, with_next_messages=2) for i in ids]


async def bench(tmp: Path, n: int) -> list[Row]:
    rows: list[Row] = []

    # ---- cold / warm init ---------------------------------------------------------------
    cold = Result()
    for i in range(5):
        url = f"file:{tmp / f'cold-{i}.db'}"
        t0 = time.perf_counter()
        store = connect(url)
        await store.init()
        cold.samples.append(time.perf_counter() - t0)
        await store.close()
    warm_url = f"file:{tmp / 'cold-0.db'}"

    async def warm_once() -> None:
        store = connect(warm_url)
        await store.init()
        await store.close()

    warm = await timed(warm_once, 15, warmup=1)

    raw_cold_async = Result()
    raw_cold_sync = Result()
    for i in range(5):
        ra = RawAsync(str(tmp / f"raw-cold-a{i}.db"))
        t0 = time.perf_counter()
        await ra.open()
        raw_cold_async.samples.append(time.perf_counter() - t0)
        await ra.close()
        t0 = time.perf_counter()
        conn = raw_connect(str(tmp / f"raw-cold-s{i}.db"))
        raw_init(conn)
        raw_cold_sync.samples.append(time.perf_counter() - t0)
        conn.close()

    async def raw_warm_async() -> None:
        ra = RawAsync(str(tmp / "raw-cold-a0.db"))
        await ra.open()
        await ra.close()

    def raw_warm_sync() -> None:
        conn = raw_connect(str(tmp / "raw-cold-s0.db"))
        raw_init(conn)
        conn.close()

    async def connect_only() -> None:
        connect(warm_url)  # URL -> adapter (entry points) -> store object; no I/O

    connect_r = await timed(connect_only, 50, warmup=1)

    raw_warm_a = await timed(raw_warm_async, 15, warmup=1)
    raw_warm_s = timed_sync(raw_warm_sync, 15, warmup=1)
    rows.append(
        Row("init, new file (cold)", "p50", cold.p50, raw_cold_async.p50, raw_cold_sync.p50)
    )
    rows.append(Row("init, existing file (warm)", "p50", warm.p50, raw_warm_a.p50, raw_warm_s.p50))
    rows.append(Row("  of which connect(url), no I/O", "p50", connect_r.p50, nan, nan))

    # ---- the store under test and its raw twins -----------------------------------------
    store = connect(f"file:{tmp / 'bench.db'}")
    await store.init()
    memory = await store.get_store("memory")
    assert memory is not None
    ra = RawAsync(str(tmp / "raw-async.db"))
    await ra.open()
    rs = raw_connect(str(tmp / "raw-sync.db"))
    raw_init(rs)

    # ---- save_messages: one message ------------------------------------------------------
    await memory.save_thread(make_thread("t-small"))
    await ra.call(raw_save_thread, make_thread("t-small"))
    raw_save_thread(rs, make_thread("t-small"))
    counter = iter(range(10**9))

    async def ours_save_one() -> None:
        await memory.save_messages([make_message("t-small", next(counter))])

    async def raw_async_save_one() -> None:
        m = make_message("t-small", next(counter))
        await ra.call(raw_save_messages, [raw_row(m)], "t-small")

    def raw_sync_save_one() -> None:
        m = make_message("t-small", next(counter))
        raw_save_messages(rs, [raw_row(m)], "t-small")

    s_ours = await timed(ours_save_one, n)
    s_ra = await timed(raw_async_save_one, n)
    s_rs = timed_sync(raw_sync_save_one, n)
    rows.append(Row("save_messages, 1 message", "p50", s_ours.p50, s_ra.p50, s_rs.p50))
    rows.append(
        Row("save_messages, 1 message", "p99", s_ours.pct(0.99), s_ra.pct(0.99), s_rs.pct(0.99))
    )

    # ---- a 10k-message thread -----------------------------------------------------------
    big = "t-big"
    await memory.save_thread(make_thread(big))
    await ra.call(raw_save_thread, make_thread(big))
    raw_save_thread(rs, make_thread(big))
    t0 = time.perf_counter()
    for start in range(0, BIG_THREAD_SIZE, 1000):
        batch = [make_message(big, i) for i in range(start, start + 1000)]
        await memory.save_messages(batch)
    seed_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    for start in range(0, BIG_THREAD_SIZE, 1000):
        raw_rows = [raw_row(make_message(big, i)) for i in range(start, start + 1000)]
        await ra.call(raw_save_messages, raw_rows, big)
    seed_ra = time.perf_counter() - t0
    t0 = time.perf_counter()
    for start in range(0, BIG_THREAD_SIZE, 1000):
        raw_rows = [raw_row(make_message(big, i)) for i in range(start, start + 1000)]
        raw_save_messages(rs, raw_rows, big)
    seed_rs = time.perf_counter() - t0
    rows.append(Row("save_messages, 10 x 1000 (seed 10k)", "total", seed_ours, seed_ra, seed_rs))

    newest_first = OrderBy(field="created_at", direction="DESC")

    async def ours_last40() -> None:
        page = await memory.list_messages(thread_id=big, per_page=40, order_by=newest_first)
        assert len(page.items) == 40 and page.total == BIG_THREAD_SIZE

    async def raw_async_last40() -> None:
        items, total = await ra.call(raw_last_messages, big, 40)
        assert len(items) == 40 and total == BIG_THREAD_SIZE

    def raw_sync_last40() -> None:
        items, total = raw_last_messages(rs, big, 40)
        assert len(items) == 40 and total == BIG_THREAD_SIZE

    l_ours = await timed(ours_last40, max(20, n // 4))
    l_ra = await timed(raw_async_last40, max(20, n // 4))
    l_rs = timed_sync(raw_sync_last40, max(20, n // 4))
    rows.append(Row("list_messages, last 40 of 10k", "p50", l_ours.p50, l_ra.p50, l_rs.p50))

    targets = [f"{big}-m{i}" for i in (10, 2500, 5000, 9990)]
    specs = include_specs(targets)

    async def ours_include() -> None:
        page = await memory.list_messages(thread_id=big, per_page=0, include=specs)
        assert len(page.items) == 20, len(page.items)

    async def raw_async_include() -> None:
        assert len(await ra.call(raw_include_only, targets, 2, 2)) == 20

    def raw_sync_include() -> None:
        assert len(raw_include_only(rs, targets, 2, 2)) == 20

    i_ours = await timed(ours_include, max(20, n // 4))
    i_ra = await timed(raw_async_include, max(20, n // 4))
    i_rs = timed_sync(raw_sync_include, max(20, n // 4))
    rows.append(Row("list_messages, include-only 4 x (+-2)", "p50", i_ours.p50, i_ra.p50, i_rs.p50))

    # ---- 200 concurrent single-message appends ------------------------------------------
    conc = "t-concurrent"
    await memory.save_thread(make_thread(conc))
    await ra.call(raw_save_thread, make_thread(conc))
    raw_save_thread(rs, make_thread(conc))
    t0 = time.perf_counter()
    await asyncio.gather(
        *(memory.save_messages([make_message(conc, i)]) for i in range(CONCURRENT_APPENDS))
    )
    c_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    await asyncio.gather(
        *(
            ra.call(raw_save_messages, [raw_row(make_message(conc, i))], conc)
            for i in range(CONCURRENT_APPENDS)
        )
    )
    c_ra = time.perf_counter() - t0
    t0 = time.perf_counter()
    for i in range(CONCURRENT_APPENDS):  # a blocking driver cannot overlap: sequential floor
        raw_save_messages(rs, [raw_row(make_message(conc, i))], conc)
    c_rs = time.perf_counter() - t0
    check = await memory.list_messages(thread_id=conc, per_page=None)
    ids = [m.id for m in check.items]
    assert ids == [f"{conc}-m{i}" for i in range(CONCURRENT_APPENDS)], "lost/duplicated/reordered"
    rows.append(
        Row(f"{CONCURRENT_APPENDS} concurrent 1-message appends", "total", c_ours, c_ra, c_rs)
    )

    await store.close()
    await ra.close()
    rs.close()
    return rows


def fmt(seconds: float) -> str:
    if seconds != seconds:  # NaN
        return "-"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.0f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def print_table(rows: list[Row], out: Any = sys.stdout) -> None:
    headers = ("operation", "stat", "mastra-storage", "raw async", "raw sync", "vs raw async")
    body = [
        (
            r.name,
            r.stat,
            fmt(r.ours),
            fmt(r.raw_async),
            fmt(r.raw_sync),
            f"{r.ours / r.raw_async:.2f}x" if r.raw_async > 0 else "-",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [c.ljust(widths[1]) if i == 1 else c.rjust(widths[i]) for i, c in enumerate(cells)]
        return "  ".join([first, *rest[1:]])

    print(line(headers), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for b in body:
        print(line(b), file=out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("-n", type=int, default=1000, help="samples per latency measurement")
    args = parser.parse_args(argv)
    try:
        import libsql
    except ImportError:
        print("the benchmark needs the libsql extra: pip install -e '.[libsql]'", file=sys.stderr)
        return 2

    version = libsql.connect(":memory:").execute("select sqlite_version()").fetchall()[0][0]
    print(
        f"mastra-storage libSQL benchmark: python {sys.version.split()[0]}, "
        f"libsql engine SQLite {version}, {os.cpu_count()} cpu(s), n={args.n}"
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mastra-bench-") as tmp:
        rows = asyncio.run(bench(Path(tmp), args.n))
    print_table(rows)
    print(f"total benchmark time {time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
