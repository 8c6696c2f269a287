"""Stores for the transfer tests: a seeded source per backend (once per session) and an
empty destination per test.

The server fixtures are tests/memory's (re-exported here). Each backend's source lives
beside the destination: its own PostgreSQL schema, MongoDB database, DynamoDB table, Redis
key prefix, sqld server or libSQL file. The CLI runs in-process through
``mastra_storage.transfer.cli.open_store``, which the tests point at these stores (the
stores need test-only isolation options a URL cannot carry).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from memory.conftest import (  # the session servers, shared with the Memory tests
    Server,
    dynamodb_server,
    dynamodb_store,
    mongodb_server,
    open_storage,
    postgres_server,
    require_driver,
    upstash_server,
)

from mastra_storage import MastraStorage
from tests.support.servers import (
    ServerUnavailable,
    dynamodb_table_name,
    mongodb_database,
    redis_key_prefix,
    skip_or_fail,
    sqld_instance,
)

from .dataset import dump, seed

__all__ = ["dynamodb_server", "mongodb_server", "postgres_server", "upstash_server"]

PERSISTENT = ["libsql", "sqld", "postgres", "mongodb", "dynamodb", "upstash"]
#: Backends without an observability domain (none today: DynamoDB and Upstash gained one);
#: a copy into such a destination prints a notice instead of copying spans.
NO_OBSERVABILITY: frozenset[str] = frozenset()
REQUIRE = {"libsql": "libsql", "sqld": "sqld", "postgres": "postgres", "mongodb": "mongodb"}
REQUIRE |= {"dynamodb": "dynamodb", "upstash": "redis"}


@dataclass
class Place:
    """Where one store lives: ``make()`` builds a new (uninitialised) store object on it."""

    backend: str
    make: Callable[[], MastraStorage]


class Managers:
    """Async context managers entered and left on one private loop (sync fixtures)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.entered: list[AbstractAsyncContextManager[Any]] = []

    def enter(self, backend: str, manager: AbstractAsyncContextManager[Any]) -> Any:
        try:
            value = self.loop.run_until_complete(manager.__aenter__())
        except ServerUnavailable as exc:
            skip_or_fail(REQUIRE[backend], exc.reason)
        self.entered.append(manager)
        return value

    def close(self) -> None:
        try:
            for manager in reversed(self.entered):
                self.loop.run_until_complete(manager.__aexit__(None, None, None))
        finally:
            self.loop.close()


def _driver(backend: str) -> None:
    require_driver("libsql" if backend == "sqld" else backend)


def _libsql(url: str) -> MastraStorage:
    from mastra_storage_libsql import LibSQLStore

    return LibSQLStore(url)


def _place(
    backend: str, managers: Managers, request: pytest.FixtureRequest, directory: Path, role: str
) -> Place:
    """A place of ``backend``; ``role`` ("src"/"dst") keeps the two apart."""
    _driver(backend)
    if backend == "libsql":
        return Place(backend, lambda: _libsql(f"file:{directory / (role + '.db')}"))
    if backend == "sqld":
        url = managers.enter(backend, sqld_instance())
        return Place(backend, lambda: _libsql(url))
    if backend == "postgres":
        server: Server = request.getfixturevalue("postgres_server")
        from mastra_storage_postgres import PostgresStore

        schema = server.name if role == "dst" else "transfer_src"
        return Place(backend, lambda: PostgresStore(server.url, schema_name=schema, max_size=2))
    if backend == "mongodb":
        server = request.getfixturevalue("mongodb_server")
        from mastra_storage_mongodb import MongoDBStore

        name = server.name
        if role == "src":
            name = managers.enter(backend, mongodb_database(server.url))
        return Place(backend, lambda: MongoDBStore(server.url, db_name=name))
    if backend == "dynamodb":
        server = request.getfixturevalue("dynamodb_server")
        if role == "dst":
            return Place(backend, lambda: dynamodb_store(server.url, server.name))
        table = managers.enter(backend, dynamodb_table_name(server.url))

        async def create() -> None:
            store = dynamodb_store(server.url, table)
            try:
                await store.create_table()
            finally:
                await store.close()

        managers.loop.run_until_complete(create())
        return Place(backend, lambda: dynamodb_store(server.url, table))
    url = request.getfixturevalue("upstash_server")
    from mastra_storage_upstash import UpstashStore

    prefix = managers.enter(backend, redis_key_prefix(url))
    return Place(backend, lambda: UpstashStore(url, prefix=prefix))


async def _seed_and_dump(place: Place) -> dict[str, Any]:
    store = place.make()
    try:
        await store.init()
        await seed(store)
        return await dump(store)
    finally:
        await store.close()


@dataclass
class Source:
    place: Place
    expected: dict[str, Any]


@pytest.fixture(scope="session")
def sources(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], Source]]:
    """``sources(backend)``: that backend's seeded source and its dump (built on first use)."""
    managers = Managers()
    built: dict[str, Source] = {}
    directory = tmp_path_factory.mktemp("transfer-sources")

    def get(backend: str) -> Source:
        if backend not in built:
            place = _place(backend, managers, request, directory, "src")
            built[backend] = Source(place, asyncio.run(_seed_and_dump(place)))
        return built[backend]

    try:
        yield get
    finally:
        managers.close()


async def _clear(place: Place, server: Any, tmp_path: Path) -> None:
    """Empty a destination the way tests/memory does (faster than re-creating it)."""
    if place.backend in ("postgres", "mongodb", "dynamodb"):
        store = await open_storage(place.backend, tmp_path, server)
        await store.close()
    elif place.backend != "upstash":  # libSQL places are fresh; Redis gets a fresh prefix
        store = place.make()
        await store.init()
        await store.close()


@pytest.fixture
def destinations(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[[str], Place]]:
    """``destinations(backend)``: an empty, initialised store of that backend."""
    managers = Managers()

    def get(backend: str) -> Place:
        place = _place(backend, managers, request, tmp_path, "dst")
        server = (
            request.getfixturevalue(f"{backend}_server")
            if backend in ("postgres", "mongodb", "dynamodb")
            else None
        )
        asyncio.run(_clear(place, server, tmp_path))
        return place

    try:
        yield get
    finally:
        managers.close()
