"""libSQL on a local file: the SDK's ``LibSQLStore`` against the raw ``libsql`` driver.

The raw side is what an async application would hand-write without the SDK: one worker
thread owning the connection (the driver is synchronous), one transaction per write, the same
PRAGMAs (WAL, ``synchronous=NORMAL``, busy timeout), stdlib ``json`` and plain tuples, on the
tables the SDK created (Mastra's ``@mastra/libsql`` layout).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import shutil
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from mastra_storage import MastraStorage, connect

from ..ops import Ops, Turn
from .base import Address, Backend, require_module

T = TypeVar("T")

INSERT_MESSAGE = (
    'INSERT INTO mastra_messages (id, thread_id, content, role, type, "createdAt", "resourceId") '
    "VALUES (?, ?, ?, ?, 'v2', ?, ?)"
)
BUMP_THREAD = 'UPDATE mastra_threads SET "updatedAt" = ? WHERE id = ?'
RECALL = (
    'SELECT id, thread_id, content, role, type, "createdAt", "resourceId" FROM mastra_messages '
    'WHERE thread_id = ? ORDER BY "createdAt" DESC, rowid DESC LIMIT ?'
)
LIST_THREADS = (
    'SELECT id, "resourceId", title, json(metadata), "createdAt", "updatedAt" '
    'FROM mastra_threads WHERE "resourceId" = ? ORDER BY "createdAt" DESC, id DESC LIMIT ?'
)
UPSERT_RUN = (
    "INSERT INTO mastra_workflow_snapshot "
    '(workflow_name, run_id, "resourceId", snapshot, "createdAt", "updatedAt") '
    "VALUES (?, ?, NULL, jsonb(?), ?, ?) ON CONFLICT(workflow_name, run_id) "
    'DO UPDATE SET snapshot = excluded.snapshot, "updatedAt" = excluded."updatedAt"'
)
LOAD_RUN = (
    "SELECT json(snapshot) FROM mastra_workflow_snapshot WHERE workflow_name = ? AND run_id = ?"
)


def driver() -> Any:
    """The ``libsql`` module (untyped), imported only when the backend runs."""
    return importlib.import_module("libsql")


def iso(value: Any) -> str:
    text: str = value.isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def now_iso() -> str:
    from datetime import datetime, timezone

    return iso(datetime.now(timezone.utc))


class RawLibSQL(Ops):
    """Hand-written async access: one thread owns the connection; every call is one job."""

    def __init__(self, path: str) -> None:
        self._path = path
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="raw-libsql")
        self._conn: Any = None
        self._statements = 0

    async def open(self) -> RawLibSQL:
        def job() -> None:
            libsql = driver()
            self._conn = libsql.connect(self._path, isolation_level=None, timeout=5.0)
            self._conn.executescript(
                "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; "
                "PRAGMA synchronous = NORMAL;"
            )

        await asyncio.get_running_loop().run_in_executor(self._pool, job)
        return self

    async def _run(self, job: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, job)

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        self._statements += 1
        return self._conn.execute(sql, tuple(params))

    def _write(self, body: Callable[[], None]) -> None:
        self._execute("BEGIN IMMEDIATE")
        try:
            body()
            self._execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    async def append_turn(self, turn: Turn) -> None:
        rows = [
            (
                m.id,
                turn.thread_id,
                json.dumps({"format": 2, "parts": [{"type": "text", "text": m.text}]}),
                m.role,
                iso(m.created_at),
                turn.resource_id,
            )
            for m in (turn.user, turn.assistant)
        ]
        bump = (now_iso(), turn.thread_id)

        def body() -> None:
            self._statements += 1
            self._conn.executemany(INSERT_MESSAGE, rows)
            self._execute(BUMP_THREAD, bump)

        await self._run(lambda: self._write(body))

    async def recall(self, thread_id: str, limit: int) -> Sequence[str]:
        rows = await self._run(lambda: self._execute(RECALL, (thread_id, limit)).fetchall())
        messages = [
            {
                "id": r[0],
                "threadId": r[1],
                "content": json.loads(r[2]),
                "role": r[3],
                "type": r[4],
                "createdAt": r[5],
                "resourceId": r[6],
            }
            for r in reversed(rows)
        ]
        return [m["id"] for m in messages]

    async def list_threads(self, resource_id: str, limit: int) -> Sequence[str]:
        rows = await self._run(lambda: self._execute(LIST_THREADS, (resource_id, limit)).fetchall())
        threads = [
            {
                "id": r[0],
                "resourceId": r[1],
                "title": r[2],
                "metadata": json.loads(r[3]) if r[3] is not None else None,
                "createdAt": r[4],
                "updatedAt": r[5],
            }
            for r in rows
        ]
        return [t["id"] for t in threads]

    async def persist_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any]
    ) -> None:
        at = now_iso()
        params = (workflow_name, run_id, json.dumps(snapshot), at, at)
        await self._run(lambda: self._write(lambda: self._execute(UPSERT_RUN, params)))

    async def load_snapshot(self, workflow_name: str, run_id: str) -> dict[str, Any] | None:
        rows = await self._run(lambda: self._execute(LOAD_RUN, (workflow_name, run_id)).fetchall())
        if not rows:
            return None
        value = json.loads(rows[0][0])
        return value if isinstance(value, dict) else None

    def statements(self) -> int | None:
        return self._statements

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(self._conn.close)
        self._pool.shutdown(wait=True)


class LibSQLBackend(Backend):
    name = "libsql"
    raw_driver = "libsql (sync driver on one worker thread)"

    def __init__(self) -> None:
        self._dir: str | None = None
        self._stores: list[MastraStorage] = []

    @property
    def path(self) -> str:
        assert self._dir is not None, "start() first"
        return str(Path(self._dir) / "bench.db")

    async def start(self) -> None:
        require_module("mastra_storage_libsql.store", "libSQL adapter")
        require_module("libsql", "libSQL driver")
        self._dir = tempfile.mkdtemp(prefix="mastra-bench-libsql-")

    async def open_sdk(self, via: Address | None = None) -> MastraStorage:
        store = connect(f"file:{self.path}")
        await store.init()
        self._stores.append(store)
        return store

    async def open_raw(self, via: Address | None = None) -> Ops | None:
        return await RawLibSQL(self.path).open()

    def describe(self) -> str:
        conn = driver().connect(":memory:")
        try:
            version = conn.execute("select sqlite_version()").fetchall()[0][0]
        finally:
            conn.close()
        return f"local file, libsql engine SQLite {version}"

    async def stop(self) -> None:
        for store in self._stores:
            await store.close()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)


BACKEND = LibSQLBackend
