"""Which SQLite driver should run local ``LibSQLStore`` work? Loop lag and W1/W2/W5 per engine.

Run: ``python -m benchmarks.libsql_engines [--turns 300] [--json out.json]``.

Two parts (results and the decision: ``docs/libsql-engine.md``):

* **Raw drivers** (``libsql``, ``apsw``, stdlib ``sqlite3``, ``aiosqlite``), each the way an
  async application would use it (one worker thread owning the connection; aiosqlite's own
  thread), on the tables the SDK creates: W1 appends a turn (two messages and the thread's
  ``updatedAt`` in one ``BEGIN IMMEDIATE`` transaction), W2 recalls the newest 40 of a
  thread's 1,000 messages and decodes them; W5 is W1 from 50 concurrent tasks, 20 turns
  each to a thread of its own (turns per second and the process's CPU time per turn).
  Same SQL for every driver (no ``jsonb()``: the stdlib's SQLite may be older than 3.45).
* **The SDK** (``LibSQLStore``) on its old engine (``libsql`` on the worker thread) and on
  its current one (``apsw``): W1 = ``save_messages`` of a turn, W2 = ``list_messages``
  newest 40 of 1,000.

For each, a 1 ms ticker on the event loop (:class:`tests.support.looplag.LoopLag`)
records the loop's lag during: the W1/W2 runs, a long query (recursive CTE, ~0.3-0.5 s), and
a W1 that waits 2 s for a write lock another process holds.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from mastra_storage import Message, MessageContent, Thread
from tests.support.looplag import LoopLag

from .backends.libsql import BUMP_THREAD, INSERT_MESSAGE, RECALL
from .ops import NEWEST_FIRST

LONG_QUERY = (
    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3000000) "
    "SELECT sum(x) FROM c"
)
PRAGMAS = "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
HOLD_LOCK = (
    "import sqlite3, sys, time\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "c.execute('BEGIN IMMEDIATE'); print('locked', flush=True)\n"
    "time.sleep(2.0); c.execute('COMMIT')\n"
)
T0 = datetime(2024, 5, 1, tzinfo=timezone.utc)
RAW_ENGINES = ("libsql", "apsw", "sqlite3", "aiosqlite")
W5_TASKS, W5_TURNS = 50, 20
W5_THREADS = tuple(f"w5-{t}" for t in range(W5_TASKS))


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _content(text: str) -> str:
    return json.dumps({"format": 2, "parts": [{"type": "text", "text": text}]})


def _rows(prefix: str, i: int, thread_id: str) -> list[tuple[Any, ...]]:
    at = _iso(T0 + timedelta(seconds=i))
    return [
        (f"{prefix}{i}-{role}", thread_id, _content("hi"), role, at, "r1")
        for role in ("user", "assistant")
    ]


class SyncDriver:
    """A synchronous driver on one worker thread (how the SDK and apps use them)."""

    def __init__(self, name: str, path: str) -> None:
        self.name = name
        self._path = path
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._conn: Any = None

    def _connect(self) -> None:
        if self.name == "libsql":
            import libsql

            self._conn = libsql.connect(self._path, isolation_level=None, timeout=5.0)
            self._conn.executescript(PRAGMAS)
        elif self.name == "apsw":
            import apsw

            self._conn = apsw.Connection(self._path)
            for _ in self._conn.execute(PRAGMAS):
                pass
        else:
            import sqlite3

            self._conn = sqlite3.connect(
                self._path, isolation_level=None, timeout=5.0, check_same_thread=False
            )
            self._conn.executescript(PRAGMAS)

    async def _run(self, fn: Callable[[], Any]) -> Any:
        return await asyncio.get_running_loop().run_in_executor(self._pool, fn)

    async def open(self) -> None:
        await self._run(self._connect)

    async def w1(self, rows: list[tuple[Any, ...]], thread_id: str) -> None:
        def job() -> None:
            self._conn.execute("BEGIN IMMEDIATE")
            self._conn.executemany(INSERT_MESSAGE, rows)
            self._conn.execute(BUMP_THREAD, (_iso(T0), thread_id))
            self._conn.execute("COMMIT")

        await self._run(job)

    async def w2(self, thread_id: str) -> int:
        def job() -> list[Any]:
            return list(self._conn.execute(RECALL, (thread_id, 40)).fetchall())

        rows = await self._run(job)
        return len([json.loads(r[2]) for r in rows])

    async def long_query(self) -> None:
        await self._run(lambda: self._conn.execute(LONG_QUERY).fetchall())

    async def close(self) -> None:
        await self._run(self._conn.close)
        self._pool.shutdown()


class AioDriver:
    """aiosqlite: stdlib sqlite3 on aiosqlite's own thread."""

    name = "aiosqlite"

    def __init__(self, path: str) -> None:
        self._path = path
        self._db: Any = None

    async def open(self) -> None:
        import aiosqlite

        self._db = await aiosqlite.connect(self._path, isolation_level=None, timeout=5.0)
        await self._db.executescript(PRAGMAS)

    async def w1(self, rows: list[tuple[Any, ...]], thread_id: str) -> None:
        await self._db.execute("BEGIN IMMEDIATE")
        await self._db.executemany(INSERT_MESSAGE, rows)
        await self._db.execute(BUMP_THREAD, (_iso(T0), thread_id))
        await self._db.execute("COMMIT")

    async def w2(self, thread_id: str) -> int:
        async with self._db.execute(RECALL, (thread_id, 40)) as cursor:
            rows = await cursor.fetchall()
        return len([json.loads(r[2]) for r in rows])

    async def long_query(self) -> None:
        async with self._db.execute(LONG_QUERY) as cursor:
            await cursor.fetchall()

    async def close(self) -> None:
        await self._db.close()


class SdkDriver:
    """``LibSQLStore`` with the given engine for its local connection."""

    def __init__(self, engine: str, path: str) -> None:
        from mastra_storage_libsql import LibSQLStore

        self.name = f"LibSQLStore ({engine})"
        self.store = LibSQLStore(f"file:{path}")
        self.store.database.engine = engine  # type: ignore[assignment]
        self._memory: Any = None

    async def open(self) -> None:
        await self.store.init()
        self._memory = await self.store.require_store("memory")

    @staticmethod
    def _message(message_id: str, thread_id: str, i: int, role: str = "user") -> Message:
        return Message(
            id=message_id,
            role=role,  # type: ignore[arg-type]
            created_at=T0 + timedelta(seconds=i),
            thread_id=thread_id,
            resource_id="r1",
            content=MessageContent.text("hi"),
        )

    async def w1(self, rows: list[tuple[Any, ...]], thread_id: str) -> None:
        at = datetime.fromisoformat(str(rows[0][4]).replace("Z", "+00:00"))
        i = int((at - T0).total_seconds())
        await self._memory.save_messages(
            [self._message(str(row[0]), thread_id, i, str(row[3])) for row in rows]
        )

    async def w2(self, thread_id: str) -> int:
        page = await self._memory.list_messages(
            thread_id=thread_id, per_page=40, order_by=NEWEST_FIRST
        )
        return len(page.items)

    async def long_query(self) -> None:
        def job(tx: Any) -> None:
            tx.fetchall(LONG_QUERY)

        await self.store.database.run("bench", job, mode="none")

    async def close(self) -> None:
        await self.store.close()


async def _prepare(path: Path) -> None:
    """The SDK's schema, threads ``w1`` and ``w2``, and 1,000 messages in ``w2``."""
    from mastra_storage_libsql import LibSQLStore

    store = LibSQLStore(f"file:{path}")
    await store.init()
    memory = await store.require_store("memory")
    for thread_id in ("w1", "w2", "lock", *W5_THREADS):
        await memory.save_thread(
            Thread(id=thread_id, resource_id="r1", title="", created_at=T0, updated_at=T0)
        )
    messages = [SdkDriver._message(f"seed{i}", "w2", i) for i in range(1000)]
    await memory.save_messages(messages)
    await store.close()


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] * 1000, 3),
    }


def _lag(lag: LoopLag) -> dict[str, float]:
    return {"max_ms": round(lag.max * 1000, 1), "p99_ms": round(lag.percentile(0.99) * 1000, 1)}


async def _timed(times: list[float], op: Awaitable[Any]) -> None:
    started = time.perf_counter()
    await op
    times.append(time.perf_counter() - started)


async def _concurrent_turns(driver: Any) -> dict[str, float]:
    """W5: every task appends its turns to its own thread, all tasks at once."""

    async def task(t: int) -> None:
        for i in range(W5_TURNS):
            await driver.w1(_rows(f"c{t}-", i, W5_THREADS[t]), W5_THREADS[t])

    cpu, started = time.process_time(), time.perf_counter()
    await asyncio.gather(*(task(t) for t in range(W5_TASKS)))
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    turns = W5_TASKS * W5_TURNS
    return {"turns_per_s": round(turns / wall), "cpu_us_per_turn": round(cpu / turns * 1e6)}


async def measure(driver: Any, path: Path, turns: int) -> dict[str, Any]:
    await driver.open()
    result: dict[str, Any] = {"engine": driver.name}
    w1: list[float] = []
    w2: list[float] = []
    async with LoopLag() as lag:
        for i in range(turns):
            await _timed(w1, driver.w1(_rows("x", i, "w1"), "w1"))
        for _ in range(turns):
            await _timed(w2, driver.w2("w2"))
    result["W1"] = _ms(w1)
    result["W2"] = _ms(w2)
    result["lag_during_w1_w2"] = _lag(lag)
    result["W5"] = await _concurrent_turns(driver)
    async with LoopLag() as lag:
        started = time.perf_counter()
        await driver.long_query()
        took = time.perf_counter() - started
    result["lag_during_long_query"] = {**_lag(lag), "query_s": round(took, 2)}
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", HOLD_LOCK, str(path), stdout=asyncio.subprocess.PIPE
    )
    assert holder.stdout is not None
    await holder.stdout.readline()
    async with LoopLag() as lag:
        started = time.perf_counter()
        await driver.w1(_rows("s", 0, "lock"), "lock")
        waited = time.perf_counter() - started
    await holder.wait()
    result["lag_during_lock_wait"] = {**_lag(lag), "waited_s": round(waited, 2)}
    await driver.close()
    return result


async def main(turns: int) -> list[dict[str, Any]]:
    results = []
    with tempfile.TemporaryDirectory(prefix="mastra-engines-") as tmp:
        installed = [name for name in RAW_ENGINES if importlib.util.find_spec(name) is not None]
        skipped = sorted(set(RAW_ENGINES) - set(installed))
        if skipped:
            print(f"not installed, skipped: {', '.join(skipped)}", file=sys.stderr)
        candidates: list[Callable[[str], Any]] = [
            *(
                (lambda p, n=name: AioDriver(p) if n == "aiosqlite" else SyncDriver(n, p))
                for name in installed
            ),
            lambda p: SdkDriver("libsql", p),
            lambda p: SdkDriver("apsw", p),
        ]
        for index, make in enumerate(candidates):
            path = Path(tmp) / f"e{index}.db"
            await _prepare(path)
            results.append(await measure(make(str(path)), path, turns))
            print(json.dumps(results[-1]), flush=True)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    out = asyncio.run(main(args.turns))
    if args.json:
        args.json.write_text(json.dumps(out, indent=2))
