"""Bringing a schema to our layout without stalling the apps that use it.

A Mastra app may be reading and writing the tables while a Python service runs
``init()`` for the first time (issue 16 point 8). What that costs the app:

* objects that do not exist yet (a table, the schema, our version table) are created in
  one transaction, with their indexes: nothing else can be using them;
* every change to a table that exists is one statement in its own transaction under
  ``SET LOCAL lock_timeout`` (``ddl_lock_timeout``, default 0.2 s): such a statement needs
  ``ACCESS EXCLUSIVE`` for an instant (metadata only: a nullable column, a constant
  default, a sequence default, attaching a built index), but waiting for that lock behind
  a long transaction would queue every later read and write of the table behind it. Past
  the timeout the statement gives up and is retried after a pause, until ``init_timeout``;
* indexes on existing tables are built with ``CREATE INDEX CONCURRENTLY`` (outside any
  transaction; reads and writes continue). An INVALID index of the same name, left by a
  build that failed or was cancelled, is dropped ``CONCURRENTLY`` and built again;
* init runs of several processes take turns on a session advisory lock, polled with
  ``pg_try_advisory_lock`` (a blocking wait would sit in a transaction that
  ``CREATE INDEX CONCURRENTLY`` in the other process waits for: a deadlock).

Everything runs on one pooled connection (a pool of one connection works).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Sequence

from mastra_storage.errors import BackendError, MastraStorageError, SchemaMismatchError
from mastra_storage.layout import TABLE_SPANS
from mastra_storage.logs import SCHEMA_LOGGER_NAME, log_schema_change

from .connection import PgDatabase, Runner
from .errors import import_asyncpg
from .schema import (
    SCHEMA_VERSION,
    IndexDef,
    SchemaPlan,
    Step,
    analyze,
    empty_state,
    expected_indexes,
    missing_objects,
    plan_ddl,
    q,
    read_state,
    render_plan,
    warm_check,
)

# Under the library's logger, so ``logging.getLogger("mastra_storage")`` settings apply.
logger = logging.getLogger(SCHEMA_LOGGER_NAME)

#: How long one schema statement may wait for its table lock before it gives up (and is
#: retried): the longest a live app's queries queue behind it.
DEFAULT_DDL_LOCK_TIMEOUT_S = 0.2
_RETRY_PAUSE_S = (0.05, 1.0)
_LOCK_POLL_S = 0.1
_LOCK_NOT_AVAILABLE = "55P03"


def _cause(exc: BaseException) -> BaseException:
    return exc.__cause__ if exc.__cause__ is not None else exc


def _sqlstate(exc: BaseException) -> str:
    return str(getattr(_cause(exc), "sqlstate", "") or "")


async def _advisory_lock(runner: Runner, key: str) -> None:
    """Wait for the session advisory lock by polling (never a blocking wait, module doc)."""
    waited = 0.0
    while not await runner.fetchval("SELECT pg_try_advisory_lock(hashtext($1))", key):
        await asyncio.sleep(_LOCK_POLL_S)
        waited += _LOCK_POLL_S
        if waited >= 10 and waited % 10 < _LOCK_POLL_S:
            logger.info("init: waiting for another process's init of %s", key)


async def run_ddl(runner: Runner, sql: str, *, lock_timeout_s: float) -> int:
    """Run one short-lock statement in its own transaction under ``lock_timeout``; on a
    lock timeout pause and retry (the caller's deadline bounds the whole). Returns the
    number of attempts."""
    timeout_ms = max(1, int(lock_timeout_s * 1000))
    attempt = 0
    pause = _RETRY_PAUSE_S[0]
    while True:
        attempt += 1
        try:
            async with runner.conn.transaction():
                await runner.execute(f"SET LOCAL lock_timeout = '{timeout_ms}ms'")
                await runner.execute(sql)
            return attempt
        except Exception as exc:
            if _sqlstate(exc) != _LOCK_NOT_AVAILABLE:
                raise
            if attempt % 20 == 0:
                logger.warning(
                    "init: %s still waits for a table lock after %d attempts (a long "
                    "transaction holds it)",
                    sql.split(" (")[0][:120],
                    attempt,
                )
            await asyncio.sleep(pause * (0.5 + random.random()))
            pause = min(pause * 2, _RETRY_PAUSE_S[1])


async def _index_is_invalid(runner: Runner, schema: str, name: str) -> bool:
    found = await runner.fetchval(
        "SELECT NOT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relnamespace = to_regnamespace($1) AND c.relname = $2",
        schema,
        name,
    )
    return bool(found)


async def build_index(runner: Runner, schema: str, name: str, sql: str) -> None:
    """``CREATE INDEX CONCURRENTLY``; an INVALID leftover of that name is rebuilt, and a
    build that fails leaves none behind."""
    drop = f"DROP INDEX CONCURRENTLY IF EXISTS {q(schema)}.{q(name)}"
    if await _index_is_invalid(runner, schema, name):
        logger.warning("init: rebuilding invalid index %s.%s", schema, name)
        await runner.execute(drop)
    try:
        await runner.execute(sql)
    except asyncio.CancelledError:
        raise  # the connection is closed; the next init finds the INVALID index
    except Exception:
        try:
            if await _index_is_invalid(runner, schema, name):
                await runner.execute(drop)
        except Exception as cleanup:  # pragma: no cover - best effort
            logger.warning("init: could not drop invalid index %s: %s", name, cleanup)
        raise


async def run_online(
    runner: Runner, schema: str, steps: Sequence[Step], *, lock_timeout_s: float
) -> None:
    """Apply :class:`Step` s in order (outside any transaction)."""
    for step in steps:
        started = time.perf_counter()
        log_schema_change("postgres", step.sql)
        if step.kind == "ddl":
            await run_ddl(runner, step.sql, lock_timeout_s=lock_timeout_s)
        elif step.kind == "index":
            assert step.index is not None
            await build_index(runner, schema, step.index, step.sql)
        else:
            await runner.execute(step.sql)
        logger.debug("init: %s took %.3f s", step.sql[:160], time.perf_counter() - started)


async def _check_spans(runner: Runner, schema: str, plan: SchemaPlan) -> None:
    if not any(TABLE_SPANS in step.sql and "PRIMARY KEY" in step.sql for step in plan.online):
        return
    duplicates = await runner.fetchval(
        f"SELECT count(*) FROM (SELECT 1 FROM {q(schema)}.{q(TABLE_SPANS)} "
        'GROUP BY "traceId", "spanId" HAVING count(*) > 1) d'
    )
    if duplicates:
        raise BackendError(
            f"{schema}.mastra_ai_spans has duplicate (traceId, spanId) rows; run "
            "`npx mastra migrate` (or deduplicate them) before init()",
            id="MASTRA_STORAGE_PG_MIGRATION_REQUIRED_DUPLICATE_SPANS",
            details={"duplicates": int(duplicates)},
        )


async def ensure_schema(
    db: PgDatabase,
    schema: str,
    *,
    skip_default_indexes: bool,
    lock_timeout_s: float = DEFAULT_DDL_LOCK_TIMEOUT_S,
) -> None:
    """Create or upgrade the layout. Warm path: one statement (plus ``ANALYZE`` of tables
    that hold rows but were never analyzed, once). Cold path: module doc."""
    indexes: list[IndexDef] = expected_indexes(schema, skip_default=skip_default_indexes)
    names = [i.name(schema) for i in indexes]
    async with db.connection("init") as runner:
        found = await warm_check(runner, schema, names)
        if found is not None and found[0] is not None and found[0] >= SCHEMA_VERSION:
            _, present, never_analyzed = found
            if not set(names) - present:
                await analyze(runner, schema, never_analyzed)
                return
        key = f"mastra_storage:{schema}"
        await _advisory_lock(runner, key)
        try:
            state = await read_state(runner, schema)
            plan = plan_ddl(schema, state, indexes)
            await _check_spans(runner, schema, plan)
            for statement in plan.script:
                log_schema_change("postgres", statement)
            if plan.script:
                # One round trip: a parameterless multi-statement script in one transaction.
                async with runner.conn.transaction():
                    await runner.execute(";\n".join(plan.script))
            await run_online(runner, schema, plan.online, lock_timeout_s=lock_timeout_s)
            await run_ddl(runner, plan.finish, lock_timeout_s=lock_timeout_s)
        except asyncio.CancelledError:
            raise  # the connection is closed, which releases the lock
        except BaseException:
            await _unlock(runner, key)
            raise
        await _unlock(runner, key)
        found = await warm_check(runner, schema, [])
        if found is not None:
            await analyze(runner, schema, found[2])


async def verify_schema(db: PgDatabase, schema: str, *, skip_default_indexes: bool) -> None:
    """``init_mode="verify"``: read-only. One statement when our current version row and
    every index are there; else the catalog is read and :class:`SchemaMismatchError` lists
    every missing table, column, key and index (nothing is created or changed)."""
    indexes = expected_indexes(schema, skip_default=skip_default_indexes)
    names = [i.name(schema) for i in indexes]
    async with db.connection("init") as runner:
        found = await warm_check(runner, schema, names)
        if found is not None and found[0] is not None and found[0] >= SCHEMA_VERSION:
            if not set(names) - found[1]:
                return
        state = await read_state(runner, schema)
    missing = missing_objects(schema, state, indexes)
    if missing:
        raise SchemaMismatchError(
            f"PostgresStore: schema {schema!r} is not ready and init_mode='verify' may not "
            f"change it; missing: {', '.join(missing)}. `mastra-storage schema URL` prints "
            "the DDL that adds them",
            id="MASTRA_STORAGE_PG_SCHEMA_MISMATCH",
            details={"schema": schema, "missing": "; ".join(missing)},
        )


async def schema_script(
    db: PgDatabase | None,
    schema: str,
    *,
    skip_default_indexes: bool,
    lock_timeout_s: float = DEFAULT_DDL_LOCK_TIMEOUT_S,
) -> str:
    """The DDL that brings ``schema`` to our layout, as a script (read-only). ``db=None``:
    for an empty database, without connecting."""
    indexes = expected_indexes(schema, skip_default=skip_default_indexes)
    if db is None:
        state = empty_state()
    else:
        async with db.connection("schema") as runner:
            state = await read_state(runner, schema)
    plan = plan_ddl(schema, state, indexes)
    return render_plan(schema, plan, lock_timeout_s=lock_timeout_s)


async def _unlock(runner: Runner, key: str) -> None:
    asyncpg = import_asyncpg()
    try:
        await runner.execute("SELECT pg_advisory_unlock(hashtext($1))", key)
    except (MastraStorageError, asyncpg.PostgresError, OSError) as exc:
        # A broken connection releases the lock itself when it closes.
        logger.warning("init: could not release the init lock: %s", exc)


__all__ = [
    "DEFAULT_DDL_LOCK_TIMEOUT_S",
    "build_index",
    "ensure_schema",
    "run_ddl",
    "run_online",
    "schema_script",
    "verify_schema",
]
