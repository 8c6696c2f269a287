"""Data compatibility with the real ``@mastra/mongodb`` 1.19.0, through the node harness
``tests/compat/mastra_mongodb_harness.mjs``, on the same server and database."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from mastra_storage import Message, MessageContent, Resource, ScorePayload, Span, Thread
from mastra_storage.domains import (
    BaseMemoryStore,
    BaseObservabilityStore,
    BaseScoresStore,
    BaseWorkflowsStore,
)
from mastra_storage.records import Record
from mastra_storage_mongodb import MongoDBStore

from .conftest import Harness, run_harness

pytestmark = pytest.mark.anyio

UTC = timezone.utc
T0 = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def clean(record: dict[str, Any]) -> dict[str, Any]:
    """A record dict without null top-level fields (absent and null mean the same)."""
    return {k: v for k, v in record.items() if v is not None}


def as_dict(record: Record) -> dict[str, Any]:
    return clean(record.to_dict())


def thread_dict(thread: dict[str, Any]) -> dict[str, Any]:
    """Mastra's ``listThreads`` reports a thread without metadata as ``metadata: {}``."""
    return {k: v for k, v in thread.items() if not (k == "metadata" and v == {})}


class Domains:
    def __init__(self, store: MongoDBStore) -> None:
        memory, workflows = store.stores["memory"], store.stores["workflows"]
        scores, observability = store.stores["scores"], store.stores["observability"]
        assert isinstance(memory, BaseMemoryStore)
        assert isinstance(workflows, BaseWorkflowsStore)
        assert isinstance(scores, BaseScoresStore)
        assert isinstance(observability, BaseObservabilityStore)
        self.memory, self.workflows = memory, workflows
        self.scores, self.observability = scores, observability


async def our_view(store: MongoDBStore, resource_ids: list[str], scorer_ids: list[str]) -> Any:
    """What the harness' ``read`` prints, computed through our store."""
    d = Domains(store)
    threads = (await d.memory.list_threads(per_page=None)).items
    messages = {
        t.id: [as_dict(m) for m in (await d.memory.list_messages(thread_id=t.id, per_page=None))]
        for t in threads
    }
    resources = {}
    for rid in resource_ids:
        resource = await d.memory.get_resource_by_id(rid)
        resources[rid] = None if resource is None else as_dict(resource)
    runs = await d.workflows.list_workflow_runs()
    scores = {
        sid: [as_dict(s) for s in await d.scores.list_scores_by_scorer_id(sid, per_page=None)]
        for sid in scorer_ids
    }
    traces = (await d.observability.list_traces(per_page=100)).items
    trace_spans = {}
    for root in traces:
        trace = await d.observability.get_trace(root.trace_id)
        assert trace is not None
        trace_spans[root.trace_id] = [as_dict(s) for s in trace.spans]
    return {
        "threads": [thread_dict(as_dict(t)) for t in threads],
        "messages": messages,
        "resources": resources,
        "workflowRuns": {"runs": [as_dict(r) for r in runs.items], "total": runs.total},
        "scores": scores,
        "traces": [{**as_dict(s), "status": s.status} for s in traces],
        "traceSpans": trace_spans,
    }


def mastra_view(data: dict[str, Any]) -> Any:
    """The harness output with null fields dropped; every section must have succeeded."""

    def strip(record: Any) -> Any:
        if not isinstance(record, dict):
            return record
        assert set(record) != {"error"}, record
        return clean(record)

    return {
        "threads": [thread_dict(strip(t)) for t in data["threads"]],
        "messages": {k: [strip(m) for m in v] for k, v in data["messages"].items()},
        "resources": {k: strip(v) for k, v in data["resources"].items()},
        "workflowRuns": {
            "runs": [strip(r) for r in data["workflowRuns"]["runs"]],
            "total": data["workflowRuns"]["total"],
        },
        "scores": {k: [strip(s) for s in v] for k, v in data["scores"].items()},
        "traces": [strip(s) for s in data["traces"]],
        "traceSpans": {k: [strip(s) for s in v] for k, v in data["traceSpans"].items()},
    }


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
        await run_harness(mastra_harness, "read", mongo_uri, db_name, "--no-init")
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
        ours = await our_view(store, ["ts-resource"], ["ts-scorer"])
        assert ours == reference
        assert len(ours["messages"]["ts-thread-1"]) == 3
        assert ours["traces"][0]["input"] == "hello"
        assert (await store.doctor()).ok

        d = Domains(store)
        await d.memory.save_messages(
            [
                Message(
                    id="py-reply",
                    role="assistant",
                    created_at=datetime(2024, 5, 1, 10, 0, 4, tzinfo=UTC),
                    thread_id="ts-thread-1",
                    resource_id="ts-resource",
                    content=MessageContent.text("reply from Python"),
                )
            ]
        )
        await d.memory.update_thread("ts-thread-1", metadata={"py": True})
        await d.memory.clone_thread("ts-thread-1", new_thread_id="py-clone")
        await d.memory.update_resource("ts-resource", working_memory="# Updated in Python")
        expected = await our_view(store, ["ts-resource"], ["ts-scorer"])
    finally:
        await store.close()
    theirs = mastra_view(await run_harness(mastra_harness, "read", mongo_uri, db_name, "--no-init"))
    assert theirs == expected
    assert [m["id"] for m in theirs["messages"]["ts-thread-1"]][-1] == "py-reply"
    assert len(theirs["messages"]["py-clone"]) == 4
    assert theirs["resources"]["ts-resource"]["workingMemory"] == "# Updated in Python"
    assert theirs["threads"][1]["metadata"]["py"] is True


# --------------------------------------------------------------------------- us -> Mastra


async def write_fixture(store: MongoDBStore) -> None:
    d = Domains(store)
    await d.memory.save_thread(
        Thread(
            id="py-thread-1",
            resource_id="py-resource",
            title="Från Python ✓",
            metadata={"source": "py", "flag": True, "nested": {"a": [1, 2.5, None]}},
            created_at=T0,
            updated_at=T0,
        )
    )
    await d.memory.save_thread(
        Thread(
            id="py-thread-2",
            resource_id="py-resource",
            title="",
            created_at=T0 + timedelta(minutes=1),
            updated_at=T0 + timedelta(minutes=1),
        )
    )
    contents = [
        MessageContent.text("Hello from Python"),
        MessageContent.from_dict(
            {
                "format": 2,
                "parts": [
                    {"type": "text", "text": "calling a tool"},
                    {
                        "type": "tool-invocation",
                        "toolInvocation": {
                            "state": "result",
                            "toolCallId": "c1",
                            "toolName": "weather",
                            "args": {"city": "Oslo"},
                            "result": {"temp": -3.5},
                        },
                    },
                ],
                "metadata": {"model": "x"},
                "someFutureKey": {"kept": True},
            }
        ),
        MessageContent(parts=[{"type": "text", "text": "bye"}], content="bye", reasoning="r"),
    ]
    await d.memory.save_messages(
        [
            Message(
                id=f"py-msg-{i + 1}",
                role="assistant" if i == 1 else "user",
                created_at=T0 + timedelta(seconds=i + 1),
                thread_id="py-thread-1",
                resource_id="py-resource",
                type="v3" if i == 2 else None,
                content=content,
            )
            for i, content in enumerate(contents)
        ]
    )
    await d.memory.save_resource(
        Resource(
            id="py-resource",
            working_memory="# Notes\n- likes tea",
            metadata={"tier": "gold", "n": 3},
            created_at=T0,
            updated_at=T0,
        )
    )
    await d.workflows.persist_workflow_snapshot(
        workflow_name="py-wf",
        run_id="py-run",
        resource_id="py-resource",
        snapshot={
            "status": "success",
            "context": {"step1": {"status": "success", "output": {"x": 1}}},
            "runId": "py-run",
            "value": {},
            "activePaths": [],
            "timestamp": 1717243200000,
        },
        created_at=T0,
        updated_at=T0,
    )
    await d.scores.save_score(
        ScorePayload(
            scorer_id="py-scorer",
            entity_id="py-agent",
            entity_type="AGENT",
            run_id="py-run",
            score=0.25,
            scorer={"id": "py-scorer", "name": "n"},
            entity={"id": "py-agent"},
            input=[{"a": 1}],
            output={"text": "o"},
            source="LIVE",
            reason="ok",
            metadata={"m": [1]},
            analyze_step_result={"r": True},
            trace_id="py-trace",
            span_id="py-root",
        )
    )
    await d.observability.batch_create_spans(
        [
            Span(
                trace_id="py-trace",
                span_id="py-root",
                name="agent run",
                span_type="agent_run",
                started_at=T0,
                ended_at=T0 + timedelta(seconds=5),
                input="hello",
                output={"text": "hi"},
                tags=["prod", "py"],
                metadata={"k": "v"},
                attributes={"model": "x"},
                entity_type="agent",
                entity_id="py-agent",
                user_id="u1",
            ),
            Span(
                trace_id="py-trace",
                span_id="py-child",
                parent_span_id="py-root",
                name="tool",
                span_type="tool_call",
                is_event=True,
                started_at=T0 + timedelta(seconds=1),
                error={"message": "boom", "id": "E"},
            ),
            Span(
                trace_id="py-trace-2",
                span_id="py-root-2",
                name="still running",
                span_type="workflow_run",
                started_at=T0 + timedelta(seconds=10),
            ),
        ]
    )


async def test_database_written_here_reads_the_same_in_mastra(
    mongo_uri: str, db_name: str, mastra_harness: Harness
) -> None:
    store = MongoDBStore(mongo_uri, db_name=db_name)
    await store.init()
    try:
        await write_fixture(store)
        ours = await our_view(store, ["py-resource"], ["py-scorer"])
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
    assert mastra_view(theirs) == ours
    assert [t["id"] for t in ours["threads"]] == ["py-thread-2", "py-thread-1"]
    assert ours["messages"]["py-thread-1"][1]["content"]["someFutureKey"] == {"kept": True}
    assert [t["status"] for t in ours["traces"]] == ["running", "success"]
