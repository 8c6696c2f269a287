"""Configuration, URLs, secrets, the injected client, indexes and ``doctor``."""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import pytest
from pymongo import AsyncMongoClient

import mastra_storage
from mastra_storage import Thread
from mastra_storage.errors import ConfigurationError, UnavailableError
from mastra_storage.eval_layout import EVAL_TABLES
from mastra_storage.layout import EDITOR_TABLES
from mastra_storage_mongodb import MongoDBStore
from mastra_storage_mongodb.schema import ALL_INDEXES

pytestmark = pytest.mark.anyio
T0 = datetime(2024, 6, 1, tzinfo=timezone.utc)


# --------------------------------------------------------------------------- configuration


def test_uri_and_db_name_are_required() -> None:
    with pytest.raises(ConfigurationError) as missing:
        MongoDBStore(db_name="x")
    assert missing.value.id == "MASTRA_STORAGE_MONGODB_CONSTRUCTOR_MISSING_URI"
    with pytest.raises(ConfigurationError, match="url must be provided"):
        MongoDBStore("   ", db_name="x")
    with pytest.raises(ConfigurationError, match="dbName must be provided"):
        MongoDBStore("mongodb://localhost", db_name=" ")
    with pytest.raises(ConfigurationError, match="mongodb://"):
        MongoDBStore("postgres://localhost/x", db_name="x")


def test_deprecated_url_still_works_with_a_warning() -> None:
    with pytest.warns(DeprecationWarning, match="'url' is deprecated"):
        store = MongoDBStore(url="mongodb://localhost:1", db_name="x")
    assert store.db_name == "x"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MongoDBStore("mongodb://localhost:1", db_name="x")  # uri: no warning


def test_from_url_takes_the_database_from_the_path() -> None:
    store = MongoDBStore.from_url("mongodb://h1:27017,h2:27018/appdb?replicaSet=rs0")
    assert store.db_name == "appdb"
    srv = MongoDBStore.from_url(
        "mongodb+srv://user:pw@cluster0.example.net/mastra?retryWrites=true"
    )
    assert srv.db_name == "mastra"  # the SRV lookup waits for the first operation
    assert MongoDBStore.from_url("mongodb://h/ignored", db_name="chosen").db_name == "chosen"
    with pytest.raises(ConfigurationError, match="names no database"):
        MongoDBStore.from_url("mongodb://localhost:27017/")


def test_connect_picks_the_adapter_by_scheme() -> None:
    store = mastra_storage.connect("mongodb://localhost:1/viaconnect")
    assert isinstance(store, MongoDBStore) and store.db_name == "viaconnect"


def test_client_options_reach_the_driver() -> None:
    store = MongoDBStore(
        "mongodb://localhost:1",
        db_name="x",
        options={
            "retryWrites": False,
            "maxPoolSize": 7,
            "serverSelectionTimeoutMS": 1234,
            "socketTimeoutMS": 4500,
        },
    )
    opts = store.connection.client.options
    assert opts.retry_writes is False
    assert opts.pool_options.max_pool_size == 7
    assert opts.server_selection_timeout == pytest.approx(1.234)
    assert opts.pool_options.socket_timeout == pytest.approx(4.5)
    with pytest.raises(ConfigurationError, match="invalid connection settings"):
        MongoDBStore("mongodb://localhost:1", db_name="x", options={"maxPoolSize": "many"})


def test_password_never_appears_in_repr_or_errors() -> None:
    secret = "s3cr3t-pw"
    store = MongoDBStore(f"mongodb://app:{secret}@localhost:1/db", db_name="db")
    assert secret not in repr(store) and "app:***@" in repr(store)
    with pytest.raises(ConfigurationError) as bad:
        MongoDBStore(f"mongodb://app:{secret}@localhost:1", db_name="x", options={"w": -5})
    assert secret not in str(bad.value)
    with pytest.raises(ConfigurationError) as scheme:
        MongoDBStore(f"http://app:{secret}@localhost:1", db_name="x")
    assert secret not in str(scheme.value)


async def test_unreachable_server_is_a_typed_error_without_the_password() -> None:
    secret = "n0t-here-pw"
    store = MongoDBStore(
        f"mongodb://app:{secret}@127.0.0.1:9/db",
        db_name="db",
        options={"serverSelectionTimeoutMS": 200},
    )
    try:
        with pytest.raises(UnavailableError) as err:
            await store.init()
        assert secret not in str(err.value)
        assert secret not in str(err.value.to_json())
        report = await store.doctor()
        assert not report.ok and secret not in str(report)
    finally:
        await store.close()


# --------------------------------------------------------------------------- live server


@pytest.fixture
async def client(mongo_uri: str) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    c: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    try:
        yield c
    finally:
        await c.close()


async def test_injected_client_is_used_and_left_open(
    client: AsyncMongoClient[dict[str, Any]], db_name: str
) -> None:
    store = MongoDBStore(client=client, db_name=db_name)
    assert "<injected client>" in repr(store)
    await store.init()
    memory = await store.require_store("memory")
    await memory.save_thread(Thread(id="t", resource_id="r", created_at=T0, updated_at=T0))
    await store.close()
    assert await client[db_name]["mastra_threads"].count_documents({"id": "t"}) == 1
    with pytest.raises(ConfigurationError, match="not both"):
        MongoDBStore("mongodb://localhost", client=client, db_name=db_name)


async def test_init_creates_mastras_indexes_and_is_idempotent(
    store: MongoDBStore, client: AsyncMongoClient[dict[str, Any]], db_name: str
) -> None:
    await store.init()
    await MongoDBStore.init(store)  # a second init on an initialised database
    fresh = MongoDBStore(client=client, db_name=db_name)
    await fresh.init()
    db = client[db_name]
    for spec in ALL_INDEXES:
        info = await db[spec.collection].index_information()
        assert spec.name in info, (spec.collection, spec.name)
        assert bool(info[spec.name].get("unique")) == spec.unique
    assert sorted(await db.list_collection_names()) == sorted(
        [
            "mastra_ai_spans",
            "mastra_messages",
            "mastra_observational_memory",
            "mastra_resources",
            "mastra_scorers",
            "mastra_threads",
            "mastra_workflow_snapshot",
            *(t.name for t in EDITOR_TABLES),
            *(t.name for t in EVAL_TABLES),
        ]
    )
    report = await store.doctor()
    assert report.ok, report
    assert store.uses_transactions is not None


async def test_doctor_reports_a_missing_index(
    store: MongoDBStore, client: AsyncMongoClient[dict[str, Any]], db_name: str
) -> None:
    await client[db_name]["mastra_messages"].drop_index("thread_id_1_createdAt_1")
    report = await store.doctor()
    assert not report.ok
    assert "mastra_messages.thread_id_1_createdAt_1" in str(report)


async def test_unique_index_conflict_fails_init_with_an_explanation(
    client: AsyncMongoClient[dict[str, Any]], db_name: str
) -> None:
    await client[db_name]["mastra_threads"].insert_many([{"id": "dup"}, {"id": "dup"}])
    store = MongoDBStore(client=client, db_name=db_name)
    with pytest.raises(mastra_storage.errors.BackendError) as err:
        await store.init()
    assert err.value.id == "MASTRA_STORAGE_MONGODB_CREATE_DEFAULT_INDEXES_FAILED"
    assert "duplicate" in str(err.value)


async def test_doctor_does_not_wait_out_server_selection(monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from mastra_storage_mongodb import store as store_module

    monkeypatch.setattr(store_module, "DOCTOR_CONNECT_TIMEOUT_S", 0.3)
    store = MongoDBStore("mongodb://127.0.0.1:9/db", db_name="db")  # driver default: 30 s
    started = time.monotonic()
    try:
        report = await store.doctor()
    finally:
        await store.close()
    assert time.monotonic() - started < 5
    assert not report.ok and "no answer within 0.3 s" in str(report)
