"""Fixtures for the Memory tests: every test body runs on each storage backend.

``storage`` is parametrised over every adapter: in-memory, a libSQL file, PostgreSQL,
Upstash (Redis), MongoDB and DynamoDB (moto). The servers come from
:mod:`tests.support.servers`; without one a test skips, or fails when
``MASTRA_TEST_REQUIRE`` names the backend. Each server backend is set up once per session
(a private database / schema / table, initialised once, dropped at the end) and every test
starts from an empty store: PostgreSQL and MongoDB empty the shared schema / database,
DynamoDB empties the shared table, Redis gets a fresh key prefix (deleted afterwards).
Creating and initialising a store per test would dominate the run time.
Another adapter joins by adding a param, a session fixture and a branch in ``open_storage``.
``counted`` wraps the memory domain so tests can assert how many storage calls an
operation makes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import MastraStorage, MemoryStore
from tests.support.servers import (
    ServerUnavailable,
    dynamodb_client_kwargs,
    dynamodb_table_name,
    mongodb_database,
    postgres_database,
    redis_key_prefix,
    server_url_or_skip,
    skip_or_fail,
)

BACKENDS = ["inmemory", "libsql", "postgres", "upstash", "mongodb", "dynamodb"]
SERVER_BACKENDS = {"postgres", "upstash", "mongodb", "dynamodb"}

#: The ``MASTRA_TEST_REQUIRE`` name and the driver module of each backend.
REQUIRE_NAME = {"libsql": "libsql", "postgres": "postgres", "upstash": "redis"}
REQUIRE_NAME |= {"mongodb": "mongodb", "dynamodb": "dynamodb"}
DRIVERS = {
    "libsql": ("libsql", "libsql"),
    "postgres": ("asyncpg", "postgres"),
    "upstash": ("redis", "upstash"),
    "mongodb": ("pymongo", "mongodb"),
    "dynamodb": ("aioboto3", "dynamodb"),
}

#: Test stores commit without waiting for the WAL flush (as in tests/postgres).
PG_FAST_COMMITS = {"synchronous_commit": "off"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def require_driver(backend: str) -> None:
    module, extra = DRIVERS[backend]
    try:
        importlib.import_module(module)
    except ImportError as exc:
        skip_or_fail(
            REQUIRE_NAME[backend],
            f"{module} is not installed (pip install -e '.[{extra}]'): {exc}",
        )


@dataclass(frozen=True)
class Server:
    """Where a server backend's session-wide store lives: ``url`` and ``name`` (the
    PostgreSQL schema, MongoDB database or DynamoDB table; unused for Redis)."""

    backend: str
    url: str
    name: str = ""


def _session_resource(
    backend: str, enter: Callable[[], Awaitable[Server]], leave: Callable[[], Awaitable[None]]
) -> Iterator[Server]:
    """Set a session resource up and tear it down on a private event loop (the tests'
    loops are per test)."""
    loop = asyncio.new_event_loop()
    try:
        try:
            server = loop.run_until_complete(enter())
        except ServerUnavailable as exc:
            skip_or_fail(REQUIRE_NAME[backend], exc.reason)
        try:
            yield server
        finally:
            loop.run_until_complete(leave())
    finally:
        loop.close()


def _postgres_tables() -> tuple[str, ...]:
    from mastra_storage_postgres.schema import TABLE_NAMES

    return tuple(TABLE_NAMES)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[Server]:
    """A private database (``postgres_database``) with one initialised schema."""
    require_driver("postgres")
    from mastra_storage_postgres import PostgresStore

    manager = postgres_database()

    async def enter() -> Server:
        url = await manager.__aenter__()
        store = PostgresStore(url, schema_name="memory", max_size=1)
        try:
            await store.init()
        finally:
            await store.close()
        return Server("postgres", url, "memory")

    async def leave() -> None:
        await manager.__aexit__(None, None, None)

    yield from _session_resource("postgres", enter, leave)


@pytest.fixture(scope="session")
def upstash_server() -> str:
    require_driver("upstash")
    return server_url_or_skip("redis")


@pytest.fixture(scope="session")
def mongodb_server() -> Iterator[Server]:
    """A private database (``mongodb_database``), indexed once."""
    require_driver("mongodb")
    uri = server_url_or_skip("mongodb")
    from mastra_storage_mongodb import MongoDBStore

    manager = mongodb_database(uri)

    async def enter() -> Server:
        name = await manager.__aenter__()
        store = MongoDBStore(uri, db_name=name)
        try:
            await store.init()
        finally:
            await store.close()
        return Server("mongodb", uri, name)

    async def leave() -> None:
        await manager.__aexit__(None, None, None)

    yield from _session_resource("mongodb", enter, leave)


def dynamodb_store(endpoint: str, table: str) -> Any:
    from mastra_storage_dynamodb import DynamoDBStore

    kwargs = dynamodb_client_kwargs(endpoint)
    credentials = {
        "access_key_id": kwargs["aws_access_key_id"],
        "secret_access_key": kwargs["aws_secret_access_key"],
    }
    return DynamoDBStore(
        table, endpoint=endpoint, region=kwargs["region_name"], credentials=credentials
    )


@pytest.fixture(scope="session")
def dynamodb_server() -> Iterator[Server]:
    """A private moto table (``dynamodb_table_name``), created once."""
    require_driver("dynamodb")
    endpoint = server_url_or_skip("dynamodb")
    manager = dynamodb_table_name(endpoint)

    async def enter() -> Server:
        name = await manager.__aenter__()
        store = dynamodb_store(endpoint, name)
        try:
            await store.create_table()
        finally:
            await store.close()
        return Server("dynamodb", endpoint, name)

    async def leave() -> None:
        await manager.__aexit__(None, None, None)

    yield from _session_resource("dynamodb", enter, leave)


async def empty_dynamodb_table(store: Any) -> None:
    """Delete every item. Like ``empty_table`` in tests/dynamodb, but the scan fetches only
    the keys: moto serialises whole items, which made emptying 3x slower."""
    table = store.table
    params: dict[str, Any] = {"TableName": table.name, "ProjectionExpression": "pk, sk"}
    keys: list[dict[str, Any]] = []
    while True:
        page = await table.call("scan", **params)
        keys.extend(table.de_item(raw) for raw in page.get("Items", []))
        if not page.get("LastEvaluatedKey"):
            break
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    await table.batch_write(deletes=keys)


async def open_storage(backend: str, tmp_path: Path, server: Any = None) -> MastraStorage:
    """An initialised, empty store. Server backends need ``server``: their session
    fixture's :class:`Server`, or for Upstash the pair ``(url, key prefix)``."""
    store: Any
    if backend == "inmemory":
        from mastra_storage.inmemory import InMemoryStore

        store = InMemoryStore()
    elif backend == "libsql":
        require_driver("libsql")
        from mastra_storage_libsql import LibSQLStore

        store = LibSQLStore(f"file:{tmp_path / 'memory.db'}")
    elif backend == "postgres":
        from mastra_storage_postgres import PostgresStore

        schema = server.name
        store = PostgresStore(
            server.url, schema_name=schema, max_size=4, server_settings=PG_FAST_COMMITS
        )
        script = "; ".join(f'DELETE FROM "{schema}"."{t}"' for t in _postgres_tables())
        await store.database.execute("clear", script)
    elif backend == "upstash":
        from mastra_storage_upstash import UpstashStore

        url, prefix = server
        store = UpstashStore(url, prefix=prefix)
    elif backend == "mongodb":
        from mastra_storage_mongodb import MongoDBStore

        store = MongoDBStore(server.url, db_name=server.name)
        for domain in store.stores.values():
            await domain.dangerously_clear_all()
    elif backend == "dynamodb":
        store = dynamodb_store(server.url, server.name)
        await empty_dynamodb_table(store)
    else:  # pragma: no cover - a new backend must be wired here
        raise AssertionError(backend)
    await store.init()
    return store  # type: ignore[no-any-return]


@pytest.fixture(params=BACKENDS)
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path, _server: Any
) -> AsyncIterator[MastraStorage]:
    backend: str = request.param
    async with contextlib.AsyncExitStack() as stack:
        server = _server
        if backend == "upstash":
            server = (_server, await stack.enter_async_context(redis_key_prefix(_server)))
        store = await open_storage(backend, tmp_path, server)
        stack.push_async_callback(store.close)
        yield store


@pytest.fixture
def _server(request: pytest.FixtureRequest) -> Any:
    """The session fixture of ``storage``'s backend, requested only when it is a server
    backend (a synchronous fixture, so the session set-up runs outside the test's loop)."""
    backend = request.node.callspec.params.get("storage")
    if backend not in SERVER_BACKENDS:
        return None
    return request.getfixturevalue(f"{backend}_server")


class Counting:
    """Delegates to a memory domain (or a vector store) and counts each call by name.

    On the embedded backends each domain call is one round trip (one transaction on the
    libSQL worker), so this count is the number of storage round trips; on the server
    backends it is the number of domain calls (an adapter may make several requests).
    Calls on the domain's ``backend`` (the atomic read-modify-writes ``Memory`` makes
    directly) are counted too, as ``backend.<name>``.
    """

    def __init__(self, inner: Any, calls: Counter[str] | None = None, prefix: str = "") -> None:
        self._inner = inner
        self._prefix = prefix
        self.calls: Counter[str] = Counter() if calls is None else calls

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if name == "backend":
            return Counting(attr, self.calls, "backend.")
        if not callable(attr):
            return attr

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[self._prefix + name] += 1
            return await attr(*args, **kwargs)

        return counted

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()


class CountingStore(Counting):
    """A counting stand-in for the memory domain that passes for a core ``MemoryStore``
    (``isinstance`` reads ``__class__``), so ``Memory`` takes the same atomic paths as
    with the real store."""

    @property  # type: ignore[misc]
    def __class__(self) -> type[Any]:
        return MemoryStore


@pytest.fixture
async def counted(storage: MastraStorage) -> CountingStore:
    return CountingStore(await storage.require_store("memory"))


@pytest.fixture
async def vector(storage: MastraStorage) -> AsyncIterator[Any]:
    """The vector store paired with ``storage``: on libSQL, LibSQLVector on the same
    database (sharing the store's connection), else the in-memory reference vector store."""
    from mastra_storage.vector import InMemoryVector

    store: Any = InMemoryVector()
    if type(storage).__name__ == "LibSQLStore":
        from mastra_storage_libsql.vector import LibSQLVector

        store = LibSQLVector.from_store(storage)
    try:
        yield store
    finally:
        await store.close()
