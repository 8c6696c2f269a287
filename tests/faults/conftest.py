"""Fixtures for the fault-injection tests: every network backend behind a :class:`FaultProxy`.

Each test gets a fresh store that talks to its server only through a private proxy, so the
test can cut or stall *its* connections without touching the servers other tests share
(the PostgreSQL on 5432 and the Redis on 6379 are never stopped).  Server-side namespaces
follow the adapter suites: a session database with a schema per test (PostgreSQL), a key
prefix (Redis), a private sqld per test (0.02 s), one table per session (DynamoDB: a table
with seven GSIs costs up to a second on moto), a database per test (MongoDB).

Every store is built with short client timeouts (:data:`TIMEOUT_S`), which is what a
stalled server must be answered with; :attr:`Backend.stall_bound_s` is the longest a call
may take against a stalled server under those settings (retries included).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from mastra_storage.composite import MastraStorage
from tests.support.faults import FaultProxy
from tests.support.servers import (
    ServerUnavailable,
    dynamodb_client_kwargs,
    dynamodb_table_name,
    dynamodb_url,
    mongodb_database,
    mongodb_uri,
    postgres_database,
    redis_key_prefix,
    redis_url,
    skip_or_fail,
    sqld_instance,
)

#: Client-side timeout every store under test is configured with (connect and request).
TIMEOUT_S = 1.0

BACKENDS = ("postgres", "redis", "sqld", "dynamodb", "mongodb")


@dataclass
class Backend:
    """A store factory for one backend; ``make(proxy)`` builds a store that uses the proxy."""

    name: str
    host: str
    port: int
    make: Callable[[FaultProxy], MastraStorage]
    stall_bound_s: float
    #: What the adapter promises about a multi-row write interrupted by a fault.
    atomic_batches: bool = True
    #: Writers the concurrent scenario runs (moto's server is not safe for concurrent
    #: transactions: it deep-copies the table while another request changes it).
    writers: int = 3
    #: A store with the adapter's *default* client settings except the given options
    #: (``operation_timeout``, ``close_timeout``, ...): what the stall tests use, so
    #: they test the documented bounds rather than driver timeouts set for the test.
    plain: Callable[..., MastraStorage] | None = None


@pytest.fixture(autouse=True)
def _collector_sees_only_this_test() -> Iterator[None]:
    """Freeze the collector's view of the objects earlier tests left (``gc.freeze``).

    Why: these tests hold calls to bounds of tenths of a second, and late in a run one full
    collection of the process's heap froze the loop for over half a second, which says
    nothing about the code under test (its own garbage is still collected)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _host_port(url: str, default_port: int) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or default_port


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _session_resource(backend: str, manager: Any) -> Iterator[Any]:
    """Enter an async context manager of :mod:`servers` on a private loop for the session."""
    loop = asyncio.new_event_loop()
    try:
        try:
            value = loop.run_until_complete(manager.__aenter__())
        except ServerUnavailable as exc:
            skip_or_fail(backend, str(exc))
        try:
            yield value
        finally:
            loop.run_until_complete(manager.__aexit__(None, None, None))
    finally:
        loop.close()


@pytest.fixture(scope="session")
def pg_session_url() -> Iterator[str]:
    pytest.importorskip("asyncpg")
    yield from _session_resource("postgres", postgres_database())


@pytest.fixture(scope="session")
def dynamo_session_table() -> Iterator[tuple[str, str]]:
    """(endpoint, table name) of one provisioned table shared by the session."""
    pytest.importorskip("aioboto3")
    try:
        endpoint = dynamodb_url()
    except ServerUnavailable as exc:
        skip_or_fail("dynamodb", str(exc))
    from mastra_storage_dynamodb import DynamoDBStore

    for name in _session_resource("dynamodb", dynamodb_table_name(endpoint)):

        async def create(table: str) -> None:
            store = DynamoDBStore(table, **_dynamo_options(endpoint))
            try:
                await store.create_table()
            finally:
                await store.close()

        asyncio.run(create(name))
        yield endpoint, name


def _dynamo_options(endpoint: str) -> dict[str, Any]:
    kwargs = dynamodb_client_kwargs(endpoint)
    return {
        "region": kwargs["region_name"],
        "endpoint": endpoint,
        "credentials": {
            "access_key_id": kwargs["aws_access_key_id"],
            "secret_access_key": kwargs["aws_secret_access_key"],
        },
    }


@contextlib.asynccontextmanager
async def _backend(name: str, session: Any) -> AsyncIterator[Backend]:
    if name == "postgres":
        from mastra_storage_postgres import PostgresStore

        url = session
        schema = f"faults_{uuid.uuid4().hex[:8]}"
        host, port = _host_port(url, 5432)
        yield Backend(
            name,
            host,
            port,
            lambda proxy: PostgresStore(
                proxy.url_for(url),
                schema_name=schema,
                max_size=4,
                connect_timeout=TIMEOUT_S,
                command_timeout=TIMEOUT_S,
                server_settings={"synchronous_commit": "off"},
            ),
            # One connect attempt, or one query, each bounded by the timeout.
            stall_bound_s=2 * TIMEOUT_S + 1.0,
            plain=lambda proxy, **options: PostgresStore(
                proxy.url_for(url), schema_name=schema, max_size=4, **options
            ),
        )
    elif name == "redis":
        pytest.importorskip("redis")
        from mastra_storage_upstash import UpstashStore

        try:
            url = await asyncio.to_thread(redis_url)
        except ServerUnavailable as exc:
            skip_or_fail("redis", str(exc))
        host, port = _host_port(url, 6379)
        async with redis_key_prefix(url) as prefix:
            yield Backend(
                name,
                host,
                port,
                lambda proxy: UpstashStore(
                    proxy.url_for(url),
                    prefix=prefix,
                    socket_timeout=TIMEOUT_S,
                    socket_connect_timeout=TIMEOUT_S,
                ),
                stall_bound_s=2 * TIMEOUT_S + 1.0,
                plain=lambda proxy, **options: UpstashStore(
                    proxy.url_for(url), prefix=prefix, **options
                ),
            )
    elif name == "sqld":
        pytest.importorskip("libsql")
        from mastra_storage_libsql import LibSQLStore

        try:
            async with sqld_instance() as url:
                host, port = _host_port(url, 8080)
                yield Backend(
                    name,
                    host,
                    port,
                    lambda proxy: LibSQLStore(
                        proxy.url_for(url),
                        request_timeout_s=TIMEOUT_S,
                        max_retries=1,
                        initial_backoff_ms=50,
                    ),
                    stall_bound_s=2 * TIMEOUT_S + 1.0,
                    plain=lambda proxy, **options: LibSQLStore(proxy.url_for(url), **options),
                )
        except ServerUnavailable as exc:
            skip_or_fail("sqld", str(exc))
    elif name == "dynamodb":
        from botocore.config import Config

        from mastra_storage_dynamodb import DynamoDBStore

        endpoint, table = session
        host, port = _host_port(endpoint, 80)
        config = Config(
            connect_timeout=TIMEOUT_S,
            read_timeout=TIMEOUT_S,
            # One attempt: the bound below is then one timeout (botocore's retries would
            # multiply it: attempts x timeout + backoff).
            retries={"mode": "standard", "total_max_attempts": 1},
        )
        yield Backend(
            name,
            host,
            port,
            lambda proxy: DynamoDBStore(
                table,
                **{
                    **_dynamo_options(endpoint),
                    "endpoint": f"http://{proxy.host}:{proxy.port}",
                },
                config=config,
            ),
            stall_bound_s=2 * TIMEOUT_S + 1.0,
            writers=1,
            plain=lambda proxy, **options: DynamoDBStore(
                table,
                **{
                    **_dynamo_options(endpoint),
                    "endpoint": f"http://{proxy.host}:{proxy.port}",
                },
                **options,
            ),
        )
    elif name == "mongodb":
        pytest.importorskip("pymongo")
        from mastra_storage_mongodb import MongoDBStore

        try:
            uri = await asyncio.to_thread(mongodb_uri)
        except ServerUnavailable as exc:
            skip_or_fail("mongodb", str(exc))
        host, port = _host_port(uri, 27017)
        ms = int(TIMEOUT_S * 1000)
        async with mongodb_database(uri) as db_name:
            yield Backend(
                name,
                host,
                port,
                lambda proxy: MongoDBStore(
                    f"mongodb://{proxy.host}:{proxy.port}/?directConnection=true"
                    f"&serverSelectionTimeoutMS={ms}&connectTimeoutMS={ms}&socketTimeoutMS={ms}",
                    db_name=db_name,
                ),
                # A transaction: up to 2 attempts, each a write (retried once by pymongo)
                # and an abort, each waiting up to one timeout (measured: 7.7 s).
                stall_bound_s=8 * TIMEOUT_S + 2.0,
                plain=lambda proxy, **options: MongoDBStore(
                    f"mongodb://{proxy.host}:{proxy.port}/?directConnection=true",
                    db_name=db_name,
                    **options,
                ),
            )
    else:  # pragma: no cover - the parametrisation lists every name
        raise AssertionError(name)


@dataclass
class Faulty:
    """A store under test, the proxy in front of its server, and the backend's promises."""

    backend: Backend
    proxy: FaultProxy
    store: MastraStorage


_SESSION_FIXTURES = {"postgres": "pg_session_url", "dynamodb": "dynamo_session_table"}


@pytest.fixture(params=BACKENDS)
def backend_session(request: pytest.FixtureRequest) -> tuple[str, Any]:
    """The backend's name and its session-wide resource (set up outside any event loop)."""
    name: str = request.param
    fixture = _SESSION_FIXTURES.get(name)
    return name, request.getfixturevalue(fixture) if fixture else None


@pytest.fixture
async def backend(backend_session: tuple[str, Any]) -> AsyncIterator[Backend]:
    """The backend's factories (for tests that build several stores)."""
    async with _backend(*backend_session) as found:
        yield found


@pytest.fixture
async def faulty(backend_session: tuple[str, Any]) -> AsyncIterator[Faulty]:
    """A not yet initialised store of each network backend, behind a fresh proxy."""
    async with _backend(*backend_session) as backend:
        proxy = FaultProxy(backend.host, backend.port).start()
        store = backend.make(proxy)
        try:
            yield Faulty(backend, proxy, store)
        finally:
            proxy.restore()
            with contextlib.suppress(Exception):
                await store.close()
            proxy.close()
