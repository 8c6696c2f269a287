"""Multi-document atomicity (with and without transactions), the 16 MB document limit,
concurrent read-modify-writes and operator injection, on a real server.

A failure in the middle of a write is provoked with a server-side ``$jsonSchema``
validator (no mocks): it rejects one message, so the server fails the write after
earlier documents of the same operation were accepted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from mastra_storage import Message, MessageContent, Thread
from mastra_storage.domains.memory import MemoryStore
from mastra_storage.errors import MastraStorageError, ValidationError
from mastra_storage_mongodb import MongoDBStore
from mastra_storage_mongodb.errors import DocumentTooLargeError

pytestmark = pytest.mark.anyio
T0 = datetime(2024, 6, 1, tzinfo=timezone.utc)
MB = 1024 * 1024


@pytest.fixture(params=[True, False], ids=["transactions", "ordered"])
async def tx_store(
    request: pytest.FixtureRequest, mongo_uri: str, db_name: str
) -> AsyncIterator[MongoDBStore]:
    store = MongoDBStore(mongo_uri, db_name=db_name, transactions=request.param)
    await store.init()
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def raw(mongo_uri: str, db_name: str) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    try:
        yield client[db_name]
    finally:
        await client.close()


async def reject_messages(raw: Any, field: str, value: str) -> None:
    """Make the server refuse any message document whose ``field`` equals ``value``."""
    await raw.command(
        "collMod",
        "mastra_messages",
        validator={"$jsonSchema": {"properties": {field: {"not": {"enum": [value]}}}}},
        validationLevel="strict",
        validationAction="error",
    )


def message(mid: str, thread: str, seconds: int = 0) -> Message:
    return Message(
        id=mid,
        role="user",
        created_at=T0 + timedelta(seconds=seconds),
        thread_id=thread,
        resource_id="r",
        content=MessageContent.text(mid),
    )


async def seed(memory: MemoryStore) -> Thread:
    thread = await memory.save_thread(
        Thread(id="t1", resource_id="r", title="src", created_at=T0, updated_at=T0)
    )
    await memory.save_messages([message(f"m{i}", "t1", i) for i in range(3)])
    return thread


async def no_orphans(raw: Any) -> None:
    threads = {d["id"] for d in await raw.mastra_threads.find({}, {"id": 1}).to_list()}
    for doc in await raw.mastra_messages.find({}, {"thread_id": 1}).to_list():
        assert doc["thread_id"] in threads, f"orphaned message in {doc['thread_id']}"


async def test_failed_save_messages_batch(tx_store: MongoDBStore, raw: Any) -> None:
    memory = await tx_store.require_store("memory")
    await seed(memory)
    before = await memory.get_thread_by_id("t1")
    await reject_messages(raw, "id", "poison")
    with pytest.raises(MastraStorageError):
        await memory.save_messages([message("fine", "t1", 10), message("poison", "t1", 11)])
    stored = {d["id"] for d in await raw.mastra_messages.find({}, {"id": 1}).to_list()}
    if tx_store.uses_transactions:
        assert stored == {"m0", "m1", "m2"}  # all or nothing
        assert await memory.get_thread_by_id("t1") == before  # no bump either
    else:
        assert "poison" not in stored  # ordered: 'fine' may be in, but never orphaned
    await no_orphans(raw)


async def test_failed_clone_leaves_no_thread_and_no_messages(
    tx_store: MongoDBStore, raw: Any
) -> None:
    memory = await tx_store.require_store("memory")
    await seed(memory)
    await reject_messages(raw, "thread_id", "bad-clone")
    with pytest.raises(MastraStorageError):
        await memory.clone_thread("t1", new_thread_id="bad-clone")
    assert await memory.get_thread_by_id("bad-clone") is None
    assert await raw.mastra_messages.count_documents({"thread_id": "bad-clone"}) == 0
    assert await raw.mastra_messages.count_documents({"thread_id": "t1"}) == 3
    await no_orphans(raw)


async def test_delete_thread_removes_its_messages(tx_store: MongoDBStore, raw: Any) -> None:
    memory = await tx_store.require_store("memory")
    await seed(memory)
    await memory.delete_thread("t1")
    assert await raw.mastra_messages.count_documents({}) == 0
    assert await raw.mastra_threads.count_documents({}) == 0


async def test_concurrent_step_results_are_never_lost(tx_store: MongoDBStore) -> None:
    workflows = await tx_store.require_store("workflows")
    await workflows.persist_workflow_snapshot(
        workflow_name="wf", run_id="run", snapshot={"context": {}, "status": "running"}
    )
    await asyncio.gather(
        *(
            workflows.update_workflow_results(
                workflow_name="wf", run_id="run", step_id=f"s{i}", result={"i": i}
            )
            for i in range(12)
        )
    )
    snapshot = await workflows.load_workflow_snapshot(workflow_name="wf", run_id="run")
    assert isinstance(snapshot, dict)
    assert sorted(snapshot["context"]) == sorted(f"s{i}" for i in range(12))


async def test_concurrent_working_memory_updates_merge(tx_store: MongoDBStore) -> None:
    memory = await tx_store.require_store("memory")
    await asyncio.gather(*(memory.update_resource("res", metadata={f"k{i}": i}) for i in range(10)))
    resource = await memory.get_resource_by_id("res")
    assert resource is not None and resource.metadata == {f"k{i}": i for i in range(10)}


# --------------------------------------------------------------------------- 16 MB


async def test_oversized_snapshot_is_rejected_before_writing(store: MongoDBStore) -> None:
    workflows = await store.require_store("workflows")
    good = {"status": "suspended", "context": {"step": {"output": "small"}}}
    await workflows.persist_workflow_snapshot(workflow_name="wf", run_id="r", snapshot=good)
    huge = {"status": "suspended", "context": {"step": {"output": "x" * (17 * MB)}}}
    with pytest.raises(DocumentTooLargeError) as err:
        await workflows.persist_workflow_snapshot(workflow_name="wf", run_id="r", snapshot=huge)
    assert isinstance(err.value, ValidationError)
    assert err.value.details["limit"] == 16 * MB
    assert err.value.id == "MASTRA_STORAGE_MONGODB_PERSIST_WORKFLOW_SNAPSHOT_DOCUMENT_TOO_LARGE"
    # the run is not lost: the last good snapshot is still there and still updatable
    assert await workflows.load_workflow_snapshot(workflow_name="wf", run_id="r") == good
    with pytest.raises(DocumentTooLargeError):
        await workflows.update_workflow_results(
            workflow_name="wf", run_id="r", step_id="big", result={"o": "y" * (17 * MB)}
        )
    assert await workflows.load_workflow_snapshot(workflow_name="wf", run_id="r") == good
    context = await workflows.update_workflow_results(
        workflow_name="wf", run_id="r", step_id="next", result={"ok": True}
    )
    assert context["next"] == {"ok": True}


async def test_oversized_message_is_rejected_and_nothing_is_written(store: MongoDBStore) -> None:
    memory = await store.require_store("memory")
    await memory.save_thread(Thread(id="t", resource_id="r", created_at=T0, updated_at=T0))
    big = message("big", "t").replace(content=MessageContent.text("z" * (17 * MB)))
    with pytest.raises(DocumentTooLargeError):
        await memory.save_messages([message("small", "t"), big])
    assert await memory.list_messages_by_id(["small", "big"]) == []


# --------------------------------------------------------------------------- injection


async def test_query_operators_in_values_are_plain_data(store: MongoDBStore) -> None:
    memory = await store.require_store("memory")
    await memory.save_thread(
        Thread(id="t", resource_id="r", metadata={"k": "x"}, created_at=T0, updated_at=T0)
    )
    for value in ({"$ne": None}, {"$gt": ""}, {"$exists": True}):
        assert (await memory.list_threads(metadata={"k": value})).total == 0
    # A non-string id filter never reaches MongoDB: the core rejects it (typed error).
    with pytest.raises(ValidationError):
        await memory.list_threads(resource_id={"$ne": None})  # type: ignore[arg-type]
    assert (await memory.list_threads(metadata={"k": "x"})).total == 1
    await memory.save_thread(
        Thread(
            id="t2",
            resource_id="r",
            metadata={"k": {"$ne": None}},
            created_at=T0,
            updated_at=T0,
        )
    )
    found = await memory.list_threads(metadata={"k": {"$ne": None}})
    assert [t.id for t in found.items] == ["t2"]  # stored as data, matched as data


async def test_dollar_keys_in_stored_values_do_not_break_updates(tx_store: MongoDBStore) -> None:
    """The ordered path's compare-and-swap filter holds stored values: they must stay data."""
    memory = await tx_store.require_store("memory")
    await memory.save_thread(
        Thread(id="t", resource_id="r", metadata={"$foo": 1}, created_at=T0, updated_at=T0)
    )
    updated = await memory.update_thread("t", title="renamed", metadata={"k": 2})
    assert updated.metadata == {"$foo": 1, "k": 2}
    await memory.update_resource("res", metadata={"$where": "1"})
    resource = await memory.update_resource("res", working_memory="wm")
    assert resource.metadata == {"$where": "1"} and resource.working_memory == "wm"
