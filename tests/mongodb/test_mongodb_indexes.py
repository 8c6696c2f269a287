"""MongoDBStore index options: ``skip_default_indexes``, custom ``indexes`` and TTL indexes
from a ``RetentionPolicy`` (checked on the server with ``index_information``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from mastra_storage.errors import ConfigurationError
from mastra_storage.layout import TABLE_MESSAGES, TABLE_SPANS, TABLE_THREADS
from mastra_storage.retention import RetentionPolicy
from mastra_storage_mongodb import MongoDBStore
from mastra_storage_mongodb.schema import ALL_INDEXES, TTL_FIELDS

pytestmark = pytest.mark.anyio


async def _indexes(store: MongoDBStore, collection: str) -> dict[str, Any]:
    info: dict[str, Any] = await store.connection.collection(collection).index_information()
    return info


async def test_skip_default_indexes_and_custom_indexes(mongo_uri: str, db_name: str) -> None:
    custom = [
        {"collection": TABLE_THREADS, "keys": {"metadata.type": 1, "createdAt": -1}},
        {
            "collection": "my_app_events",
            "keys": {"tenant": 1},
            "options": {"name": "tenant_unique", "unique": True},
        },
    ]
    store = MongoDBStore(mongo_uri, db_name=db_name, skip_default_indexes=True, indexes=custom)
    try:
        await store.init()
        await store.init()  # idempotent
        threads = await _indexes(store, TABLE_THREADS)
        assert set(threads) == {"_id_", "metadata.type_1_createdAt_-1"}
        events = await _indexes(store, "my_app_events")
        assert events["tenant_unique"]["unique"] is True
        assert events["tenant_unique"]["key"] == [("tenant", 1)]
        report = await store.doctor()  # checks the indexes asked for, not skipped defaults
        assert [c.ok for c in report.checks if c.name == "indexes"] == [True]
    finally:
        await store.close()


async def test_defaults_are_created_without_the_option(mongo_uri: str, db_name: str) -> None:
    store = MongoDBStore(mongo_uri, db_name=db_name)
    try:
        await store.init()
        for spec in ALL_INDEXES:
            assert spec.name in await _indexes(store, spec.collection), spec
    finally:
        await store.close()


async def test_retention_creates_and_retimes_ttl_indexes(mongo_uri: str, db_name: str) -> None:
    policy = RetentionPolicy(
        threads=timedelta(days=90), messages=timedelta(days=30), traces=timedelta(hours=12)
    )
    store = MongoDBStore(mongo_uri, db_name=db_name, retention=policy)
    try:
        await store.init()
        messages = await _indexes(store, TABLE_MESSAGES)
        assert messages["mastra_ttl_createdAt"]["expireAfterSeconds"] == 30 * 86400
        assert messages["mastra_ttl_createdAt"]["key"] == [("createdAt", 1)]
        spans = await _indexes(store, TABLE_SPANS)
        assert spans["mastra_ttl_startedAt"]["expireAfterSeconds"] == 12 * 3600
        threads = await _indexes(store, TABLE_THREADS)
        assert not any("expireAfterSeconds" in info for info in threads.values())
        workflow_collection = TTL_FIELDS["workflow_snapshot"][0]
        runs = await _indexes(store, workflow_collection)
        assert not any("expireAfterSeconds" in info for info in runs.values())
    finally:
        await store.close()
    # a new period: the index is changed in place (collMod), not duplicated
    shorter = RetentionPolicy(messages=timedelta(days=7))
    store = MongoDBStore(mongo_uri, db_name=db_name, retention=shorter)
    try:
        await store.init()
        messages = await _indexes(store, TABLE_MESSAGES)
        ttl = [info for info in messages.values() if "expireAfterSeconds" in info]
        assert [info["expireAfterSeconds"] for info in ttl] == [7 * 86400]
    finally:
        await store.close()


@pytest.mark.parametrize(
    "indexes",
    [
        "mastra_threads",
        [{"collection": "bad name", "keys": {"a": 1}}],
        [{"collection": "system.users", "keys": {"a": 1}}],
        [{"collection": "c", "keys": {}}],
        [{"collection": "c", "keys": {"a": 2}}],
        [{"collection": "c", "keys": {"a": True}}],
        [{"collection": "c", "keys": {"$where": 1}}],
        [{"collection": "c", "keys": {"a..b": 1}}],
        [{"collection": "c", "keys": {"a": 1}, "options": {"background": True, "x": 1}}],
        [{"collection": "c", "keys": {"a": 1}, "options": {"expireAfterSeconds": -1}}],
        [{"collection": "c", "keys": {"a": 1}, "options": {"unique": "yes"}}],
        [{"collection": "c", "keys": {"a": 1}, "extra": 1}],
        [["c", {"a": 1}]],
        [{"collection": "c", "keys": {"a": 1}}] * 65,
    ],
)
def test_invalid_custom_indexes_are_refused_at_construction(mongo_uri: str, indexes: Any) -> None:
    with pytest.raises(ConfigurationError):
        MongoDBStore(mongo_uri, db_name="unused", indexes=indexes)


def test_retention_must_be_a_policy(mongo_uri: str) -> None:
    with pytest.raises(ConfigurationError):
        MongoDBStore(mongo_uri, db_name="unused", retention={"messages": 3600})  # type: ignore[arg-type]
