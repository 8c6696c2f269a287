"""Data compatibility with the real ``@mastra/mongodb`` 1.19.0, through the node harness
``tests/compat/mastra_mongodb_harness.mjs``, on the same server and database."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from mastra_storage_mongodb import MongoDBStore
from tests.support.compat import (
    Harness,
    mastra_view,
    our_view,
    reply_in_mastra_thread,
    write_fixture,
)

from .conftest import run_harness

pytestmark = pytest.mark.anyio


def thread_dict(thread: dict[str, Any]) -> dict[str, Any]:
    """Mastra's ``listThreads`` reports a thread without metadata as ``metadata: {}``."""
    return {k: v for k, v in thread.items() if not (k == "metadata" and v == {})}


async def raw_doc(uri: str, db: str, collection: str, key: dict[str, Any]) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    try:
        doc = await client[db][collection].find_one(key)
    finally:
        await client.close()
    assert doc is not None
    return doc


# --------------------------------------------------------------------------- Mastra -> us


async def test_database_written_by_mastra_reads_the_same_here_and_back(
    mongo_uri: str, db_name: str, mastra_harness: Harness
) -> None:
    """Mastra writes (after its own init); we read the same; then we append to its thread,
    clone it and update working memory, and Mastra reads all of it as we do."""
    assert await run_harness(mastra_harness, "write", mongo_uri, db_name) == {"ok": True}
    reference = mastra_view(
        await run_harness(mastra_harness, "read", mongo_uri, db_name, "--no-init"),
        thread=thread_dict,
    )
    # The shapes Mastra 1.19.0 writes: BSON dates, message content as a JSON string,
    # metadata and snapshots as sub-documents.
    message = await raw_doc(mongo_uri, db_name, "mastra_messages", {"id": "ts-msg-1"})
    assert isinstance(message["createdAt"], datetime) and isinstance(message["content"], str)
    span = await raw_doc(mongo_uri, db_name, "mastra_ai_spans", {"spanId": "ts-span"})
    assert isinstance(span["startedAt"], datetime)

    store = MongoDBStore(mongo_uri, db_name=db_name)
    await store.init()  # our indexes are Mastra's: nothing conflicts
    try:
        ours = await our_view(store, ["ts-resource"], ["ts-scorer"], thread=thread_dict)
        assert ours == reference
        assert len(ours["messages"]["ts-thread-1"]) == 3
        assert ours["traces"][0]["input"] == "hello"
        assert (await store.doctor()).ok

        d = await reply_in_mastra_thread(store)
        await d.memory.clone_thread("ts-thread-1", new_thread_id="py-clone")
        await d.memory.update_resource("ts-resource", working_memory="# Updated in Python")
        expected = await our_view(store, ["ts-resource"], ["ts-scorer"], thread=thread_dict)
    finally:
        await store.close()
    theirs = mastra_view(
        await run_harness(mastra_harness, "read", mongo_uri, db_name, "--no-init"),
        thread=thread_dict,
    )
    assert theirs == expected
    assert [m["id"] for m in theirs["messages"]["ts-thread-1"]][-1] == "py-reply"
    assert len(theirs["messages"]["py-clone"]) == 4
    assert theirs["resources"]["ts-resource"]["workingMemory"] == "# Updated in Python"
    assert theirs["threads"][1]["metadata"]["py"] is True


# --------------------------------------------------------------------------- us -> Mastra


async def test_database_written_here_reads_the_same_in_mastra(
    mongo_uri: str, db_name: str, mastra_harness: Harness
) -> None:
    store = MongoDBStore(mongo_uri, db_name=db_name)
    await store.init()
    try:
        await write_fixture(store, provider_metadata=False, structured_output=False)
        ours = await our_view(store, ["py-resource"], ["py-scorer"], thread=thread_dict)
    finally:
        await store.close()
    message = await raw_doc(mongo_uri, db_name, "mastra_messages", {"id": "py-msg-3"})
    assert message["type"] == "v3" and isinstance(message["content"], str)
    assert isinstance(message["createdAt"], datetime)
    thread = await raw_doc(mongo_uri, db_name, "mastra_threads", {"id": "py-thread-1"})
    assert thread["metadata"]["nested"] == {"a": [1, 2.5, None]}  # a sub-document
    run = await raw_doc(mongo_uri, db_name, "mastra_workflow_snapshot", {"run_id": "py-run"})
    assert run["snapshot"]["status"] == "success" and isinstance(run["createdAt"], datetime)

    theirs = await run_harness(
        mastra_harness, "read", mongo_uri, db_name, "py-resource", "py-scorer", "--no-init"
    )
    assert mastra_view(theirs, thread=thread_dict) == ours
    assert [t["id"] for t in ours["threads"]] == ["py-thread-2", "py-thread-1"]
    assert ours["messages"]["py-thread-1"][1]["content"]["someFutureKey"] == {"kept": True}
    assert [t["status"] for t in ours["traces"]] == ["running", "success"]
