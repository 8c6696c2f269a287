"""Data compatibility with the real ``@mastra/pg`` 1.27.1 (through the node harness), in both
directions, on threads, messages, resources, workflow snapshots, scores and spans."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mastra_storage import (
    Message,
    MessageContent,
    Resource,
    ScorePayload,
    Span,
    Thread,
)
from mastra_storage.domains import (
    BaseMemoryStore,
    BaseObservabilityStore,
    BaseScoresStore,
    BaseWorkflowsStore,
)
from mastra_storage.records import Record
from mastra_storage_postgres import PostgresStore

Harness = Callable[..., dict[str, Any]]  # the ``mastra_harness`` fixture (conftest.py)
pytestmark = pytest.mark.anyio

UTC = timezone.utc
T0 = datetime(2024, 6, 1, 12, 0, 0, tzinfo=UTC)


def clean(record: dict[str, Any]) -> dict[str, Any]:
    """A record dict without null top-level fields (absent and null mean the same)."""
    return {k: v for k, v in record.items() if v is not None}


def as_dict(record: Record) -> dict[str, Any]:
    return clean(record.to_dict())


def span_dict(span: Span) -> dict[str, Any]:
    return {**as_dict(span), "status": span.status}


class Domains:
    def __init__(self, store: PostgresStore) -> None:
        memory, workflows = store.stores["memory"], store.stores["workflows"]
        scores, observability = store.stores["scores"], store.stores["observability"]
        assert isinstance(memory, BaseMemoryStore)
        assert isinstance(workflows, BaseWorkflowsStore)
        assert isinstance(scores, BaseScoresStore)
        assert isinstance(observability, BaseObservabilityStore)
        self.memory, self.workflows = memory, workflows
        self.scores, self.observability = scores, observability


async def our_view(store: PostgresStore, resource_ids: list[str], scorer_ids: list[str]) -> Any:
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
        "threads": [as_dict(t) for t in threads],
        "messages": messages,
        "resources": resources,
        "workflowRuns": {"runs": [as_dict(r) for r in runs.items], "total": runs.total},
        "scores": scores,
        "traces": [span_dict(s) for s in traces],
        "traceSpans": trace_spans,
    }


def mastra_view(data: dict[str, Any], *, drop: tuple[str, ...] = ()) -> Any:
    """The harness output with null fields dropped (and fields Mastra does not model)."""

    def strip(record: Any) -> Any:
        if not isinstance(record, dict):
            return record
        assert "error" not in record or set(record) != {"error"}, record
        return {k: v for k, v in clean(record).items() if k not in drop}

    return {
        "threads": [strip(t) for t in data["threads"]],
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


# --------------------------------------------------------------------------- Mastra -> us


async def column_types(admin: Any, schema: str, table: str) -> dict[str, str]:
    rows = await admin.fetch(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = $1 AND table_name = $2",
        schema,
        table,
    )
    return {r[0]: r[1] for r in rows}


async def test_schema_written_by_mastra_reads_the_same_here(
    pg_url: str, schema: str, admin: Any, mastra_harness: Harness
) -> None:
    reference = mastra_view(mastra_harness("write-read", pg_url, schema))
    types = await column_types(admin, schema, "mastra_threads")
    assert types["metadata"] == "jsonb" and types["createdAtZ"] == "timestamp with time zone"

    store = PostgresStore(pg_url, schema_name=schema)
    await store.init()  # adopts the schema: version row, seq column, our indexes
    try:
        ours = await our_view(store, ["ts-resource"], ["ts-scorer"])
        assert ours == reference
        assert len(ours["messages"]["ts-thread-1"]) == 3
        assert ours["traces"][0]["input"] == "hello"  # a JSON string stays a string
        assert (await store.doctor()).ok
    finally:
        await store.close()

    # Mastra still reads the adopted schema, with or without its own init
    both = mastra_harness("read-twice", pg_url, schema)
    assert mastra_view(both["noInit"]) == reference
    assert mastra_view(both["init"]) == reference

    # and after Mastra's init (43 tables), our warm init is still cheap and the data intact
    again = PostgresStore(pg_url, schema_name=schema)
    await again.init()
    assert again.statements_executed <= 3
    assert await our_view(again, ["ts-resource"], ["ts-scorer"]) == reference

    # mixed writers: we append to Mastra's thread and change its metadata; Mastra reads both
    d = Domains(again)
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
    await d.memory.update_resource("ts-resource", metadata={"py": 1})
    expected = await our_view(again, ["ts-resource"], ["ts-scorer"])
    await again.close()
    theirs = mastra_view(mastra_harness("read", pg_url, schema, "--no-init"))
    assert theirs == expected
    assert [m["id"] for m in theirs["messages"]["ts-thread-1"]][-1] == "py-reply"
    assert theirs["threads"][0]["metadata"]["py"] is True
    assert theirs["resources"]["ts-resource"]["metadata"] == {"k": 1, "py": 1}


# --------------------------------------------------------------------------- us -> Mastra


async def write_fixture(store: PostgresStore) -> None:
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
                "providerMetadata": {"openai": {"id": "r1"}},
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
            structured_output=True,
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


async def test_schema_written_here_reads_the_same_in_mastra(
    pg_url: str, schema: str, admin: Any, mastra_harness: Harness
) -> None:
    store = PostgresStore(pg_url, schema_name=schema)
    await store.init()
    await write_fixture(store)
    ours = await our_view(store, ["py-resource"], ["py-scorer"])
    await store.close()
    # structuredOutput is the one Score field Mastra has no column for
    for scores in ours["scores"].values():
        for score in scores:
            assert score.pop("structuredOutput") is True
    rows = await admin.fetch(f'SELECT type, content FROM "{schema}".mastra_messages ORDER BY id')
    assert [r["type"] for r in rows] == ["v2", "v2", "v3"]
    assert rows[0]["content"].startswith("{")  # JSON text in a text column, as Mastra writes

    # without Mastra's init, then with it (its init must not disturb our rows)
    both = mastra_harness("read-twice", pg_url, schema, "py-resource", "py-scorer")
    assert mastra_view(both["noInit"]) == ours
    assert mastra_view(both["init"]) == ours
    assert [t["id"] for t in ours["threads"]] == ["py-thread-2", "py-thread-1"]
    assert ours["messages"]["py-thread-1"][1]["content"]["someFutureKey"] == {"kept": True}
    assert [t["status"] for t in ours["traces"]] == ["running", "success"]

    reopened = PostgresStore(pg_url, schema_name=schema)
    await reopened.init()
    assert reopened.statements_executed <= 3
    await reopened.close()
