"""Fixtures for the MongoDB adapter tests (anyio on the asyncio backend).

The server is ``tests.support.servers.mongodb_uri()``: ``MASTRA_TEST_MONGODB_URI``
when set (a real mongod), else a SecantusDB wire-compatible server started for the session.
Tests that inspect or break the database itself get their own (``db_name``:
``mastra_test_<random>``, dropped afterwards). The conformance suite and the stateful test
share one initialised database per session (``shared_db_name``) and empty its collections
before each test: creating and indexing a fresh database per test cost ~0.5 s each on
the Python-implemented test server, emptying six collections costs milliseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from mastra_storage_mongodb import MongoDBStore  # does not import the driver
from tests.support.compat import Harness, harness_runner
from tests.support.servers import (
    ServerUnavailable,
    mongodb_database,
    mongodb_uri,
    skip_or_fail,
)

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests" / "compat" / "mastra_mongodb_harness.mjs"
MASTRA_MONGODB_VERSION = "1.19.0"
NPM_PACKAGES = (f"@mastra/mongodb@{MASTRA_MONGODB_VERSION}", "@mastra/core@1.71.0")

try:
    import pymongo  # noqa: F401

    DRIVER_MISSING = ""
except ImportError as exc:  # pragma: no cover - depends on the environment
    DRIVER_MISSING = f"pymongo is not installed (pip install -e '.[mongodb]'): {exc}"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def mongo_uri() -> str:
    if DRIVER_MISSING:
        skip_or_fail("mongodb", DRIVER_MISSING)
    try:
        return mongodb_uri()
    except ServerUnavailable as exc:
        skip_or_fail("mongodb", str(exc))


@pytest.fixture
async def db_name(mongo_uri: str) -> AsyncIterator[str]:
    async with mongodb_database(mongo_uri) as name:
        yield name


@pytest.fixture(scope="session")
def shared_db_name(mongo_uri: str) -> Iterator[str]:
    """One database for the session, initialised once (indexes), dropped at the end."""
    manager = mongodb_database(mongo_uri)

    async def setup() -> str:
        name = await manager.__aenter__()
        store = MongoDBStore(mongo_uri, db_name=name)
        await store.init()
        await store.close()
        return name

    name = asyncio.run(setup())
    try:
        yield name
    finally:
        asyncio.run(manager.__aexit__(None, None, None))


async def open_clean_store(uri: str, db_name: str, **options: Any) -> MongoDBStore:
    """A store on the shared database with every collection emptied (indexes kept)."""
    store = MongoDBStore(uri, db_name=db_name, **options)
    for domain in store.stores.values():
        await domain.dangerously_clear_all()
    await store.init()  # warm: one listIndexes per collection
    return store


@pytest.fixture
async def store(mongo_uri: str, db_name: str) -> AsyncIterator[MongoDBStore]:
    s = MongoDBStore(mongo_uri, db_name=db_name)
    await s.init()
    try:
        yield s
    finally:
        await s.close()


# --------------------------------------------------------------------------- Mastra (node)


@pytest.fixture(scope="session")
def mastra_harness() -> Harness:
    """``harness("write", uri, db)`` / ``harness("read", uri, db)``: parsed JSON."""
    return harness_runner(HARNESS, NPM_PACKAGES)


async def run_harness(harness: Harness, *args: str) -> dict[str, Any]:
    """Run the node harness off the event loop (it talks to the same server)."""
    return await asyncio.to_thread(harness, *args)
