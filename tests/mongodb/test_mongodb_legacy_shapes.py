"""Documents in shapes older ``@mastra/mongodb`` releases wrote are read, not rejected:
ISO-string dates (spans before PR #18366), JSON-string metadata and snapshots, plain-text
message content, ``Int64`` numbers and nested BSON dates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import pytest
from bson.int64 import Int64
from pymongo import AsyncMongoClient

from mastra_storage.domains.observability import TraceFilter
from mastra_storage.pagination import DateRange
from mastra_storage_mongodb import MongoDBStore

pytestmark = pytest.mark.anyio
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)


@pytest.fixture
async def raw(mongo_uri: str, db_name: str) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    try:
        yield client[db_name]
    finally:
        await client.close()


async def test_legacy_documents_are_read(store: MongoDBStore, raw: Any) -> None:
    await raw.mastra_threads.insert_one(
        {
            "id": "old-thread",
            "resourceId": "r",
            "title": None,
            "metadata": '{"from": "string"}',
            "createdAt": "2024-06-01T12:00:00.000Z",
            "updatedAt": T0,
        }
    )
    await raw.mastra_messages.insert_many(
        [
            {
                "id": "plain",
                "thread_id": "old-thread",
                "resourceId": "r",
                "role": "user",
                "type": "v2",
                "content": "just text",
                "createdAt": "2024-06-01T12:00:01.000Z",
            },
            {
                "id": "native",
                "thread_id": "old-thread",
                "resourceId": "r",
                "role": "assistant",
                "content": {"format": 2, "parts": [{"type": "text", "text": "obj"}]},
                "createdAt": T0.replace(second=2),
            },
        ]
    )
    await raw.mastra_resources.insert_one(
        {
            "id": "r",
            "workingMemory": None,
            "metadata": '{"tier": "gold"}',
            "createdAt": "2024-06-01T12:00:00.000Z",
            "updatedAt": "2024-06-01T12:00:00.000Z",
        }
    )
    await raw.mastra_workflow_snapshot.insert_one(
        {
            "workflow_name": "wf",
            "run_id": "run",
            "snapshot": '{"status": "success", "context": {"n": 1}}',
            "createdAt": T0,
            "updatedAt": T0,
        }
    )
    await raw.mastra_ai_spans.insert_one(
        {
            "traceId": "tr",
            "spanId": "sp",
            "parentSpanId": None,
            "name": "old span",
            "spanType": "agent_run",
            "isEvent": False,
            "startedAt": "2024-06-01T12:00:00.000Z",
            "endedAt": "2024-06-01T12:00:05.000Z",
            "createdAt": "2024-06-01T12:00:00.000Z",
            "updatedAt": None,
            "attributes": {"tokens": Int64(5_000_000_000), "at": T0},
        }
    )

    memory = await store.require_store("memory")
    thread = await memory.get_thread_by_id("old-thread")
    assert thread is not None
    assert thread.metadata == {"from": "string"} and thread.title == ""
    assert thread.created_at == T0
    messages = (await memory.list_messages(thread_id="old-thread")).items
    assert [m.text for m in messages] == ["just text", "obj"]
    resource = await memory.get_resource_by_id("r")
    assert resource is not None and resource.metadata == {"tier": "gold"}

    workflows = await store.require_store("workflows")
    snapshot = await workflows.load_workflow_snapshot(workflow_name="wf", run_id="run")
    assert snapshot == {"status": "success", "context": {"n": 1}}
    runs = await workflows.list_workflow_runs(status="success")  # filter needs a sub-document
    assert runs.total == 0  # a JSON-string snapshot has no snapshot.status to match

    observability = await store.require_store("observability")
    span = await observability.get_span("tr", "sp")
    assert span is not None
    assert span.started_at == T0 and span.status == "success"
    assert span.attributes == {"tokens": 5_000_000_000, "at": "2024-06-01T12:00:00.000Z"}
    assert type(span.attributes["tokens"]) is int
    listed = await observability.list_traces()
    assert [s.span_id for s in listed.items] == ["sp"]
    window = DateRange(start=T0, end=T0.replace(second=1))
    found = await observability.list_traces(filter=TraceFilter(started_at=window))
    assert [s.span_id for s in found.items] == ["sp"]  # string dates match a date range
    later = DateRange(start=T0.replace(second=1))
    assert (await observability.list_traces(filter=TraceFilter(started_at=later))).total == 0
