"""DynamoDB-specific behaviour: URL/options, table provisioning and doctor, the CLI, TTL,
the 400 KB item limit, paging past DynamoDB's 1 MB pages, batches, no Scan on hot paths."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from mastra_storage import connect
from mastra_storage.cli import main as cli_main
from mastra_storage.errors import ConfigurationError, NotFoundError
from mastra_storage.pagination import OrderBy
from mastra_storage.testing.data import BASE_TIME, sample_message, sample_thread
from mastra_storage_dynamodb import DynamoDBStore
from mastra_storage_dynamodb.config import EntityTtl
from mastra_storage_dynamodb.errors import ItemTooLargeError
from mastra_storage_dynamodb.keys import table_definition
from tests.support.servers import dynamodb_client_kwargs

from .conftest import stored_ttls

StoreFactory = Callable[..., DynamoDBStore]
pytestmark = pytest.mark.anyio
BIG = "x" * (410 * 1024)


def _table() -> str:
    return f"mastra-adapter-{uuid.uuid4().hex[:10]}"


async def _drop(store: DynamoDBStore) -> None:
    try:
        await store.table.call("delete_table", TableName=store.table_name)
    finally:
        await store.close()


def _spy(store: DynamoDBStore) -> list[str]:
    """Record every DynamoDB API call the store makes."""
    calls: list[str] = []
    original = store.table.call

    async def call(operation: str, **params: Any) -> dict[str, Any]:
        calls.append(operation)
        return await original(operation, **params)

    store.table.call = call  # type: ignore[method-assign]
    return calls


# ---- options and URL ---------------------------------------------------------------------


def test_url_options_and_validation() -> None:
    store = DynamoDBStore.from_url("dynamodb://my-table?region=eu-west-1&endpoint=http://h:1")
    assert (store.table_name, store.region, store.endpoint) == (
        "my-table",
        "eu-west-1",
        "http://h:1",
    )
    assert DynamoDBStore("abc").region == "us-east-1"
    assert isinstance(connect("dynamodb://other-table"), DynamoDBStore)
    for bad in ("dynamodb://a", "dynamodb://bad name!", "dynamodb://ok-table?foo=1", "redis://x"):
        with pytest.raises(ConfigurationError):
            DynamoDBStore.from_url(bad)
    with pytest.raises(ConfigurationError):
        DynamoDBStore("tbl", ttl={"nope": {"enabled": True}})
    with pytest.raises(ConfigurationError, match="single TTL attribute"):
        DynamoDBStore(
            "tbl",
            ttl={"message": {"enabled": True}, "thread": {"enabled": True, "attributeName": "exp"}},
        )
    secret = DynamoDBStore("tbl", credentials={"accessKeyId": "AKIA", "secretAccessKey": "s3cr3t"})
    assert "s3cr3t" not in repr(secret)


# ---- provisioning, doctor, CLI -----------------------------------------------------------


async def test_create_table_is_idempotent_and_doctor_checks_layout(
    dynamo_endpoint: str, new_store: StoreFactory
) -> None:
    store = new_store(table=_table(), ttl={"message": {"enabled": True, "default_ttl_seconds": 60}})
    try:
        report = await store.doctor()
        assert not report.ok and "does not exist" in report.checks[-1].detail
        with pytest.raises(ConfigurationError, match="does not exist"):
            await store.init()
        first = await store.create_table()
        assert first[0].startswith("created table") and "enabled TTL" in first[-1]
        again = await store.create_table()
        assert again[0].endswith("already exists") and "already enabled" in again[-1]
        await store.init()
        report = await store.doctor()
        assert report.ok, report.checks
        assert {c.name for c in report.checks} >= {"connectivity", "layout", "ttl"}
    finally:
        await _drop(store)


async def test_doctor_reports_wrong_gsis(new_store: StoreFactory) -> None:
    store = new_store(table=_table())
    definition: dict[str, Any] = table_definition(store.table_name)
    indexes = definition["GlobalSecondaryIndexes"]
    indexes[0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    definition["GlobalSecondaryIndexes"] = indexes[:2]  # only gsi1 (keys only) and gsi2
    definition["AttributeDefinitions"] = [
        a
        for a in definition["AttributeDefinitions"]
        if a["AttributeName"] in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk")
    ]
    await store.table.call("create_table", **definition)
    try:
        report = await store.doctor()
        layout = next(c for c in report.checks if c.name == "layout")
        assert not layout.ok
        assert "gsi1 projects KEYS_ONLY" in layout.detail
        assert "GSI gsi3 is missing" in layout.detail and "GSI gsi7 is missing" in layout.detail
        with pytest.raises(ConfigurationError, match="another layout"):
            await store.create_table()
    finally:
        await _drop(store)


def test_cli_create_table(
    dynamo_endpoint: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    kwargs = dynamodb_client_kwargs(dynamo_endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", kwargs["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", kwargs["aws_secret_access_key"])
    name = _table()
    url = f"dynamodb://{name}?region={kwargs['region_name']}&endpoint={dynamo_endpoint}"
    assert cli_main(["dynamodb", "create-table", url, "--ttl-attribute", "expiresAt"]) == 0
    out = capsys.readouterr().out
    assert f"created table {name}" in out and "enabled TTL on attribute 'expiresAt'" in out
    assert cli_main(["dynamodb", "create-table", url]) == 0
    assert "already exists" in capsys.readouterr().out
    assert cli_main(["dynamodb", "create-table", "dynamodb://x"]) == 2
    assert "invalid characters" in capsys.readouterr().err
    assert cli_main(["doctor", url]) == 0

    async def drop() -> None:
        await _drop(DynamoDBStore.from_url(url))

    asyncio.run(drop())


# ---- TTL ---------------------------------------------------------------------------------


async def test_ttl_attribute_written_per_entity(new_store: StoreFactory) -> None:
    store = new_store(
        ttl={
            "message": EntityTtl(enabled=True, default_ttl_seconds=3600),
            "thread": {"enabled": False, "default_ttl_seconds": 10},
            "workflow_snapshot": {"enabled": True, "defaultTtlSeconds": 120},
        }
    )
    try:
        ttls = await stored_ttls(store)
        now = ttls["now"]
        assert now is not None
        assert ttls["message"] is not None and now + 3590 <= ttls["message"] <= now + 3601
        assert ttls["thread"] is None  # disabled for threads
        run_ttl = ttls["workflow_snapshot"]
        assert run_ttl is not None and now + 110 <= run_ttl <= now + 121
    finally:
        await store.close()


# ---- 400 KB items ------------------------------------------------------------------------


async def test_oversized_items_are_rejected_before_any_write(store: DynamoDBStore) -> None:
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    thread = await memory.save_thread(sample_thread())
    small = sample_message(thread=thread, text="fits")
    calls = _spy(store)
    with pytest.raises(ItemTooLargeError) as info:
        await memory.save_messages([small, sample_message(thread=thread, text=BIG)])
    assert info.value.id == "MASTRA_STORAGE_DYNAMODB_ITEM_TOO_LARGE"
    assert info.value.details["limit"] == 400 * 1024
    assert calls == []  # rejected before any request
    assert (await memory.list_messages(thread_id=thread.id)).total == 0
    assert (await memory.get_thread_by_id(thread.id)) == thread  # updated_at untouched
    with pytest.raises(ItemTooLargeError):
        await workflows.persist_workflow_snapshot(
            workflow_name="big", run_id="r1", snapshot={"blob": BIG}
        )
    assert await workflows.load_workflow_snapshot(workflow_name="big", run_id="r1") is None
    await workflows.persist_workflow_snapshot(workflow_name="big", run_id="r2", snapshot={})
    with pytest.raises(ItemTooLargeError):
        await workflows.update_workflow_results(
            workflow_name="big", run_id="r2", step_id="s", result={"out": BIG}
        )
    assert await workflows.load_workflow_snapshot(workflow_name="big", run_id="r2") == {}


# ---- paging, batches, transactions -------------------------------------------------------


async def test_reads_follow_last_evaluated_key_past_1mb_pages(store: DynamoDBStore) -> None:
    """About 1.5 MB of messages: DynamoDB (and moto) return at most 1 MB per Query page."""
    memory = await store.require_store("memory")
    thread = await memory.save_thread(sample_thread())
    chunk = "y" * (60 * 1024)
    messages = [
        sample_message(
            thread=thread, text=f"{i}:{chunk}", created_at=BASE_TIME + timedelta(milliseconds=i)
        )
        for i in range(26)
    ]
    await memory.save_messages(messages)
    calls = _spy(store)
    everything = await memory.list_messages(thread_id=thread.id, per_page=None)
    assert [m.id for m in everything.items] == [m.id for m in messages]
    assert calls.count("query") >= 2  # more than one page was read
    newest = await memory.list_messages(
        thread_id=thread.id, per_page=3, order_by=OrderBy(field="created_at", direction="DESC")
    )
    assert [m.id for m in newest.items] == [m.id for m in messages[::-1][:3]]
    assert (newest.total, newest.has_more) == (26, True)


async def test_batch_write_groups_of_25_and_large_thread_delete(store: DynamoDBStore) -> None:
    calls = _spy(store)
    items = [{"pk": f"batch-{i}", "sk": "x", "n": i} for i in range(60)]
    await store.table.batch_write(puts=items)
    assert calls.count("batch_write_item") == 3  # 25 + 25 + 10
    found = await store.table.batch_get([{"pk": str(i["pk"]), "sk": "x"} for i in items])
    assert sorted(i["n"] for i in found) == list(range(60))

    memory = await store.require_store("memory")
    thread = await memory.save_thread(sample_thread())
    messages = [sample_message(thread=thread, text=f"m{i}") for i in range(130)]
    calls.clear()
    await memory.save_messages(messages)  # > 100 items: consecutive transactions
    assert calls.count("transact_write_items") == 2
    assert (await memory.list_messages(thread_id=thread.id, per_page=1)).total == 130
    calls.clear()
    await memory.delete_thread(thread.id)  # > 100 items: BatchWriteItem, messages first
    assert calls.count("batch_write_item") == 7  # ceil(130 / 25) + the thread
    assert await memory.get_thread_by_id(thread.id) is None
    assert await memory.list_messages_by_id([m.id for m in messages]) == []


async def test_missing_thread_in_any_chunk_writes_nothing(store: DynamoDBStore) -> None:
    memory = await store.require_store("memory")
    thread = await memory.save_thread(sample_thread())
    messages = [sample_message(thread=thread, text=f"m{i}") for i in range(120)]
    messages.append(sample_message(thread_id="no-such-thread", resource_id="r"))
    with pytest.raises(NotFoundError):
        await memory.save_messages(messages)
    assert (await memory.list_messages(thread_id=thread.id)).total == 0


async def test_hot_paths_do_not_scan(store: DynamoDBStore) -> None:
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    thread = await memory.save_thread(sample_thread())
    await workflows.persist_workflow_snapshot(workflow_name="w", run_id="r", snapshot={})
    calls = _spy(store)
    await memory.save_messages([sample_message(thread=thread), sample_message(thread=thread)])
    await memory.list_messages(
        thread_id=thread.id, per_page=40, order_by=OrderBy(field="created_at", direction="DESC")
    )
    await memory.list_threads(resource_id=thread.resource_id)
    await workflows.load_workflow_snapshot(workflow_name="w", run_id="r")
    assert "scan" not in calls
    assert calls == ["transact_write_items", "query", "query", "query", "get_item"]
    assert store.capacity.requests >= len(calls)
