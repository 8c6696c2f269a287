"""PostgreSQL: the SDK's ``PostgresStore`` against hand-written asyncpg SQL.

The raw side is the best a careful asyncpg user would write for the same tables (Mastra's
``@mastra/pg`` layout, created by the SDK): one statement per operation, a pool of the same
size as the SDK's, no reset query on release (as the SDK), stdlib ``json``. It skips what
the SDK adds for correctness (the missing-thread check, upsert of existing message ids).

The server and database come from :mod:`tests.support.servers` as in the tests:
by default a private throw-away cluster (``fsync=off``, ``synchronous_commit=off``), so
figures measure CPU and round trips, not the disk.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Sequence
from typing import Any

from mastra_storage import MastraStorage

from ..ops import Ops, Turn
from ..timefmt import now, text_content
from .base import Address, Backend, Unavailable, address_of, require_module, url_via

SCHEMA = '"public"'
POOL_MAX = 20  # the SDK's default max_size


def _naive(value: Any) -> Any:
    return value.replace(tzinfo=None)


async def _no_reset(connection: Any) -> None:
    """Release without the reset round trip (asyncpg still rolls back open transactions)."""


class RawPostgres(Ops):
    """One statement per operation on a plain asyncpg pool."""

    def __init__(self, pool: Any) -> None:
        self.pool = pool
        self._statements = 0
        m, t, w = (
            f"{SCHEMA}.mastra_messages",
            f"{SCHEMA}.mastra_threads",
            (f"{SCHEMA}.mastra_workflow_snapshot"),
        )
        self.append_sql = (
            f'WITH bumped AS (UPDATE {t} SET "updatedAt" = $13, "updatedAtZ" = $14 '
            f"WHERE id = $2) INSERT INTO {m} "
            '(id, thread_id, content, role, type, "createdAt", "createdAtZ", "resourceId") '
            "VALUES ($1, $2, $3, $4, 'v2', $5, $6, $7), ($8, $2, $9, $10, 'v2', $11, $12, $7)"
        )
        self.recall_sql = (
            f'SELECT id, thread_id, content, role, type, "createdAt", "createdAtZ", '
            f'"resourceId" FROM {m} WHERE thread_id = $1 '
            'ORDER BY "createdAt" DESC, seq DESC LIMIT $2'
        )
        self.threads_sql = (
            f'SELECT id, "resourceId", title, metadata, "createdAt", "createdAtZ", "updatedAt", '
            f'"updatedAtZ" FROM {t} WHERE "resourceId" = $1 '
            'ORDER BY "createdAt" DESC, id DESC LIMIT $2'
        )
        self.persist_sql = (
            f'INSERT INTO {w} (workflow_name, run_id, "resourceId", snapshot, "createdAt", '
            '"createdAtZ", "updatedAt", "updatedAtZ") VALUES ($1, $2, NULL, $3::jsonb, $4, $5, '
            "$4, $5) ON CONFLICT (workflow_name, run_id) DO UPDATE SET snapshot = "
            'EXCLUDED.snapshot, "updatedAt" = EXCLUDED."updatedAt", '
            '"updatedAtZ" = EXCLUDED."updatedAtZ"'
        )
        self.load_sql = f"SELECT snapshot FROM {w} WHERE workflow_name = $1 AND run_id = $2"

    @classmethod
    async def open(cls, url: str) -> RawPostgres:
        import asyncpg

        pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_MAX, reset=_no_reset)
        return cls(pool)

    async def append_turn(self, turn: Turn) -> None:
        u, a = turn.user, turn.assistant
        at = now()
        self._statements += 1
        await self.pool.execute(
            self.append_sql,
            u.id,
            turn.thread_id,
            json.dumps(text_content(u.text)),
            u.role,
            _naive(u.created_at),
            u.created_at,
            turn.resource_id,
            a.id,
            json.dumps(text_content(a.text)),
            a.role,
            _naive(a.created_at),
            a.created_at,
            _naive(at),
            at,
        )

    async def recall(self, thread_id: str, limit: int) -> Sequence[str]:
        self._statements += 1
        rows = await self.pool.fetch(self.recall_sql, thread_id, limit)
        messages = [
            {
                "id": r[0],
                "threadId": r[1],
                "content": json.loads(r[2]),
                "role": r[3],
                "type": r[4],
                "createdAt": r[6] or r[5],
                "resourceId": r[7],
            }
            for r in reversed(rows)
        ]
        return [m["id"] for m in messages]

    async def list_threads(self, resource_id: str, limit: int) -> Sequence[str]:
        self._statements += 1
        rows = await self.pool.fetch(self.threads_sql, resource_id, limit)
        threads = [
            {
                "id": r[0],
                "resourceId": r[1],
                "title": r[2],
                "metadata": json.loads(r[3]) if r[3] is not None else None,
                "createdAt": r[5] or r[4],
                "updatedAt": r[7] or r[6],
            }
            for r in rows
        ]
        return [t["id"] for t in threads]

    async def persist_snapshot(
        self, workflow_name: str, run_id: str, snapshot: dict[str, Any]
    ) -> None:
        at = now()
        self._statements += 1
        await self.pool.execute(
            self.persist_sql, workflow_name, run_id, json.dumps(snapshot), _naive(at), at
        )

    async def load_snapshot(self, workflow_name: str, run_id: str) -> dict[str, Any] | None:
        self._statements += 1
        raw = await self.pool.fetchval(self.load_sql, workflow_name, run_id)
        value = json.loads(raw) if raw is not None else None
        return value if isinstance(value, dict) else None

    def statements(self) -> int | None:
        return self._statements

    async def close(self) -> None:
        await self.pool.close()


class PostgresBackend(Backend):
    name = "postgres"
    raw_driver = "asyncpg (pool, one statement per operation)"

    def __init__(self) -> None:
        self._exit = contextlib.AsyncExitStack()
        self._url = ""
        self._version = ""
        self._stores: list[MastraStorage] = []

    async def start(self) -> None:
        require_module("mastra_storage_postgres.store", "PostgreSQL adapter")
        require_module("asyncpg", "asyncpg")
        from tests.support.servers import ServerUnavailable, postgres_database

        try:
            self._url = await self._exit.enter_async_context(postgres_database())
        except ServerUnavailable as exc:
            raise Unavailable(f"no PostgreSQL server: {exc.reason}") from exc
        import asyncpg

        conn = await asyncpg.connect(self._url)
        try:
            self._version = str(await conn.fetchval("SHOW server_version"))
        finally:
            await conn.close()

    def address(self) -> Address | None:
        return address_of(self._url, 5432)

    async def open_sdk(self, via: Address | None = None) -> MastraStorage:
        from mastra_storage_postgres.store import PostgresStore

        store = PostgresStore(url_via(self._url, via))
        await store.init()
        self._stores.append(store)
        return store

    async def open_raw(self, via: Address | None = None) -> Ops | None:
        return await RawPostgres.open(url_via(self._url, via))

    def describe(self) -> str:
        port = address_of(self._url, 5432).port
        return f"PostgreSQL {self._version} on port {port}, private database, schema public"

    async def stop(self) -> None:
        for store in self._stores:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(store.close(), 10)
        await self._exit.aclose()


BACKEND = PostgresBackend
