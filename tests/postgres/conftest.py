"""Fixtures for the PostgreSQL adapter tests (anyio on the asyncio backend).

One database per test session (``tests.support.servers.postgres_database``: the
server from ``MASTRA_TEST_POSTGRES_URL``, else 127.0.0.1:5432 with trust auth, else a
throw-away cluster) and a fresh schema per test (``schema_name``), dropped afterwards:
creating a database per test would dominate the run time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from mastra_storage_postgres import PostgresStore  # does not import the driver
from mastra_storage_postgres.schema import SCHEMA_TABLE
from tests.support.compat import Harness, harness_runner
from tests.support.servers import ServerUnavailable, postgres_database, skip_or_fail

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests" / "compat" / "mastra_pg_harness.mjs"
MASTRA_PG_VERSION = "1.27.1"
NPM_PACKAGES = (f"@mastra/pg@{MASTRA_PG_VERSION}", "@mastra/core@1.71.0")

try:
    import asyncpg

    DRIVER_MISSING = ""
except ImportError as exc:  # pragma: no cover - depends on the environment
    DRIVER_MISSING = f"the asyncpg driver is not installed (pip install -e '.[postgres]'): {exc}"


#: Test stores commit without waiting for the WAL flush (a session setting; the shared
#: server runs with fsync on, and per-commit flushes dominated the suite's wall time).
FAST_COMMITS = {"synchronous_commit": "off"}


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """URL of a private database for this test session (dropped at the end)."""
    if DRIVER_MISSING:
        skip_or_fail("postgres", DRIVER_MISSING)
    manager = postgres_database()
    loop = asyncio.new_event_loop()
    try:
        try:
            url = loop.run_until_complete(manager.__aenter__())
        except ServerUnavailable as exc:
            skip_or_fail("postgres", str(exc))
        try:
            yield url
        finally:
            loop.run_until_complete(manager.__aexit__(None, None, None))
    finally:
        loop.close()


@pytest.fixture(scope="session")
def shared_schema(pg_url: str) -> Iterator[str]:
    """One initialised schema reused (emptied before each use) by the conformance suite and
    the stateful test: a cold init creates 7 tables and ~20 indexes (~0.35 s here), which
    would dominate a suite of ~290 tests if every test built its own schema."""
    name = f"shared_{uuid.uuid4().hex[:8]}"

    async def create() -> None:
        s = PostgresStore(pg_url, schema_name=name, max_size=1, server_settings=FAST_COMMITS)
        try:
            await s.init()
        finally:
            await s.close()

    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(create())
        yield name
        loop.run_until_complete(drop_schema(pg_url, name))
    finally:
        loop.close()


async def open_emptied(url: str, schema: str, **options: Any) -> PostgresStore:
    """A store on an existing schema, every table of every domain emptied first (one
    statement; the layout-version table stays, so ``init`` finds the schema current)."""
    options.setdefault("server_settings", FAST_COMMITS)
    store = PostgresStore(url, schema_name=schema, **options)
    script = (
        "DO $$ DECLARE t text; BEGIN "
        f"FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = '{schema}' "
        f"AND tablename <> '{SCHEMA_TABLE}' LOOP "
        f"EXECUTE format('DELETE FROM %I.%I', '{schema}', t); END LOOP; END $$"
    )
    await store.database.execute("clear", script)
    await store.init()
    return store


def new_schema_name() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


async def drop_schema(url: str, schema: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


class SchemaFactory:
    """Fresh schema names, and dropping them, for tests that build several stores."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def open_emptied(self, schema: str, **options: Any) -> PostgresStore:
        return await open_emptied(self.url, schema, **options)

    def new(self) -> str:
        return new_schema_name()

    async def drop(self, schema: str) -> None:
        await drop_schema(self.url, schema)


@pytest.fixture(scope="session")
def schemas(pg_url: str) -> SchemaFactory:
    return SchemaFactory(pg_url)


@pytest.fixture
async def schema(pg_url: str) -> AsyncIterator[str]:
    """A fresh schema name; the schema (if created) is dropped after the test."""
    name = new_schema_name()
    try:
        yield name
    finally:
        await drop_schema(pg_url, name)


@pytest.fixture
async def store(pg_url: str, schema: str) -> AsyncIterator[PostgresStore]:
    s = PostgresStore(pg_url, schema_name=schema, max_size=4, server_settings=FAST_COMMITS)
    await s.init()
    try:
        yield s
    finally:
        await s.close()


@pytest.fixture
async def admin(pg_url: str) -> AsyncIterator[Any]:
    """A plain asyncpg connection to the session database (for checks from outside)."""
    conn = await asyncpg.connect(pg_url)
    try:
        yield conn
    finally:
        await conn.close()


# --------------------------------------------------------------------------- Mastra (node)


@pytest.fixture(scope="session")
def mastra_harness() -> Harness:
    """``harness("write", url, schema)`` / ``harness("read", url, schema, ...)``: parsed JSON."""
    return harness_runner(HARNESS, NPM_PACKAGES)
