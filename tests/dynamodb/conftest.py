"""Fixtures for the DynamoDB adapter tests: one moto table per session, emptied per test.

The moto server comes from :mod:`tests.support.servers` (``MASTRA_TEST_REQUIRE``
name ``dynamodb``). Creating a table with seven GSIs costs 0.2-1 s on moto, so the session
shares one private table (named and dropped by ``dynamodb_table_name``) and every test
deletes what it wrote afterwards, which keeps each test's view of the table empty.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mastra_storage_dynamodb import DynamoDBStore  # does not import the driver
from tests.support.compat import Harness, harness_runner
from tests.support.servers import (
    dynamodb_client_kwargs,
    dynamodb_table_name,
    server_url_or_skip,
    skip_or_fail,
)

REPO = Path(__file__).resolve().parents[2]
HARNESS = REPO / "tests" / "compat" / "mastra_dynamodb_harness.mjs"
MASTRA_DYNAMODB_VERSION = "1.0.0"
NPM_PACKAGES = (f"@mastra/dynamodb@{MASTRA_DYNAMODB_VERSION}", "@mastra/core@1.71.0")

try:
    import aioboto3  # noqa: F401

    DRIVER_MISSING = ""
except ImportError as exc:  # pragma: no cover - depends on the environment
    DRIVER_MISSING = f"aioboto3 is not installed (pip install -e '.[dynamodb]'): {exc}"


@pytest.fixture(autouse=True)
def _require_driver() -> None:
    if DRIVER_MISSING:
        skip_or_fail("dynamodb", DRIVER_MISSING)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def dynamo_endpoint() -> str:
    if DRIVER_MISSING:
        skip_or_fail("dynamodb", DRIVER_MISSING)
    return server_url_or_skip("dynamodb")


def store_options(endpoint: str) -> dict[str, Any]:
    kwargs = dynamodb_client_kwargs(endpoint)
    return {
        "endpoint": endpoint,
        "region": kwargs["region_name"],
        "credentials": {
            "access_key_id": kwargs["aws_access_key_id"],
            "secret_access_key": kwargs["aws_secret_access_key"],
        },
    }


def make_store(endpoint: str, table: str, **options: Any) -> DynamoDBStore:
    return DynamoDBStore(table, **{**store_options(endpoint), **options})


async def _create(endpoint: str, table: str) -> None:
    store = make_store(endpoint, table)
    try:
        await store.create_table()
    finally:
        await store.close()


@pytest.fixture(scope="session")
def table_name(dynamo_endpoint: str) -> Iterator[str]:
    """A private table for the session (created here, dropped by ``dynamodb_table_name``)."""
    names = dynamodb_table_name(dynamo_endpoint)
    name = asyncio.run(names.__aenter__())
    try:
        asyncio.run(_create(dynamo_endpoint, name))
        yield name
    finally:
        asyncio.run(names.__aexit__(None, None, None))


async def empty_table(store: DynamoDBStore) -> None:
    """Delete every item (Scan + BatchWriteItem): the next test starts from an empty table."""
    from mastra_storage_dynamodb.resource_index import STATE_KEY

    rows = await store.table.scan_all()
    # The resource index's state item stays: the table itself is still the one
    # create_table made, whose index is complete.
    await store.table.batch_write(
        deletes=[{"pk": r["pk"], "sk": r["sk"]} for r in rows if r["pk"] != STATE_KEY["pk"]]
    )


@pytest.fixture
def emptier() -> Callable[[DynamoDBStore], Awaitable[None]]:
    """:func:`empty_table`, for test modules (conftest is not importable as a module)."""
    return empty_table


StoreFactory = Callable[..., DynamoDBStore]


@pytest.fixture
def new_store(dynamo_endpoint: str, table_name: str) -> StoreFactory:
    """``new_store(table=None, **options)``: a store on the session table (or ``table``),
    not initialised."""

    def factory(table: str | None = None, **options: Any) -> DynamoDBStore:
        return make_store(dynamo_endpoint, table or table_name, **options)

    return factory


@pytest.fixture
def store_opener(dynamo_endpoint: str, table_name: str) -> Callable[[], DynamoDBStore]:
    """A picklable opener of a store on the session table (for worker processes)."""
    return functools.partial(DynamoDBStore, table_name, **store_options(dynamo_endpoint))


@pytest.fixture
async def store(dynamo_endpoint: str, table_name: str) -> AsyncIterator[DynamoDBStore]:
    s = make_store(dynamo_endpoint, table_name)
    await s.init()
    try:
        yield s
    finally:
        await empty_table(s)
        await s.close()


# --------------------------------------------------------------------------- Mastra (node)


@pytest.fixture(scope="session")
def mastra_harness(dynamo_endpoint: str) -> Harness:
    """``harness("write", table, ...)`` / ``harness("read", table, ...)``: parsed JSON."""
    kwargs = dynamodb_client_kwargs(dynamo_endpoint)
    env = {
        "DYNAMODB_ENDPOINT": dynamo_endpoint,
        "AWS_REGION": kwargs["region_name"],
        "AWS_ACCESS_KEY_ID": kwargs["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": kwargs["aws_secret_access_key"],
    }
    return harness_runner(HARNESS, NPM_PACKAGES, env=env)


# --------------------------------------------------------------------------- TTL helpers


async def stored_ttls(store: DynamoDBStore) -> dict[str, float | None]:
    """Write a thread, a message and a workflow snapshot through ``store``, read their raw
    items back and return each one's ``ttl`` attribute (``None`` when absent), keyed by
    entity, plus ``"now"``: the time just after the writes."""
    from mastra_storage.testing.data import sample_message, sample_thread

    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    thread = await memory.save_thread(sample_thread())
    message = sample_message(thread=thread)
    await memory.save_messages([message])
    await workflows.persist_workflow_snapshot(workflow_name="w", run_id="r", snapshot={})
    now = time.time()
    keys = {
        "message": {
            "pk": f"$mastra#entity_message#id_{message.id}",
            "sk": "$message_1#entity_message",
        },
        "thread": {
            "pk": f"$mastra#entity_thread#id_{thread.id}",
            "sk": f"$thread_1#id_{thread.id}",
        },
        "workflow_snapshot": {
            "pk": "$mastra#entity_workflow_snapshot#workflow_name_w",
            "sk": "$workflow_snapshot_1#run_id_r",
        },
    }
    ttls: dict[str, float | None] = {"now": now}
    for entity, key in keys.items():
        item = await store.table.get(key)
        assert item is not None, f"the {entity} item was not written"
        ttls[entity] = item.get("ttl")
    return ttls
