"""Data compatibility with the real ``@mastra/libsql`` 1.23.1 (through the node harness),
and with legacy Mastra layouts (TEXT JSON, odd timestamps, missing columns)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
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
from mastra_storage.testing.servers import ServerUnavailable, skip_or_fail, sqld_instance
from mastra_storage_libsql import LibSQLStore

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
    def __init__(self, store: LibSQLStore) -> None:
        memory, workflows = store.stores["memory"], store.stores["workflows"]
        scores, observability = store.stores["scores"], store.stores["observability"]
        assert isinstance(memory, BaseMemoryStore)
        assert isinstance(workflows, BaseWorkflowsStore)
        assert isinstance(scores, BaseScoresStore)
        assert isinstance(observability, BaseObservabilityStore)
        self.memory, self.workflows = memory, workflows
        self.scores, self.observability = scores, observability


async def our_view(store: LibSQLStore, resource_ids: list[str], scorer_ids: list[str]) -> Any:
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


def column_types(path: Path, sql: str) -> list[Any]:
    import libsql

    conn = libsql.connect(str(path))
    try:
        return [row[0] for row in conn.execute(sql).fetchall()]
    finally:
        conn.close()


# --------------------------------------------------------------------------- Mastra -> us


async def test_file_written_by_mastra_reads_the_same_here(
    tmp_path: Path, mastra_harness: Harness
) -> None:
    path = tmp_path / "from-mastra.db"
    assert mastra_harness("write", str(path)) == {"ok": True}
    reference = mastra_view(mastra_harness("read", str(path), "--no-init"))
    # Mastra stores JSON columns as JSONB blobs: this test reads them through json()
    assert column_types(path, "SELECT typeof(metadata) FROM mastra_threads") == ["blob"]
    assert column_types(path, "SELECT typeof(input) FROM mastra_ai_spans") == ["blob"]

    store = LibSQLStore(f"file:{path}")
    await store.init()  # adopts the file: version row, our indexes, missing columns
    try:
        ours = await our_view(store, ["ts-resource"], ["ts-scorer"])
        assert ours == reference
        assert len(ours["messages"]["ts-thread-1"]) == 3
        assert ours["traces"][0]["input"] == "hello"  # a JSON string stays a string
        assert (await store.doctor()).ok
    finally:
        await store.close()

    # Mastra still reads the adopted file, with or without its own init
    assert mastra_view(mastra_harness("read", str(path), "--no-init")) == reference
    assert mastra_view(mastra_harness("read", str(path))) == reference

    # and after Mastra's init (44 tables), our warm init is still cheap and data intact
    again = LibSQLStore(f"file:{path}")
    await again.init()
    assert again.statements_executed <= 3
    assert await our_view(again, ["ts-resource"], ["ts-scorer"]) == reference
    await again.close()


# --------------------------------------------------------------------------- us -> Mastra


async def write_fixture(store: LibSQLStore) -> None:
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


async def test_file_written_here_reads_the_same_in_mastra(
    tmp_path: Path, mastra_harness: Harness
) -> None:
    path = tmp_path / "from-python.db"
    store = LibSQLStore(f"file:{path}")
    await store.init()
    await write_fixture(store)
    ours = await our_view(store, ["py-resource"], ["py-scorer"])
    await store.close()
    # structuredOutput is the one Score field Mastra has no column for
    for scores in ours["scores"].values():
        for score in scores:
            assert score.pop("structuredOutput") is True
    assert column_types(path, "SELECT typeof(metadata) FROM mastra_threads ORDER BY id") == [
        "blob",
        "null",
    ]
    assert column_types(path, "SELECT type FROM mastra_messages ORDER BY id") == [
        "v2",
        "v2",
        "v3",
    ]

    for extra in (("--no-init",), ()):  # without Mastra's init, then with it
        theirs = mastra_harness("read", str(path), "py-resource", "py-scorer", *extra)
        assert mastra_view(theirs) == ours
    assert [t["id"] for t in ours["threads"]] == ["py-thread-2", "py-thread-1"]
    assert ours["messages"]["py-thread-1"][1]["content"]["someFutureKey"] == {"kept": True}
    assert [t["status"] for t in ours["traces"]] == ["running", "success"]

    reopened = LibSQLStore(f"file:{path}")
    await reopened.init()
    assert reopened.statements_executed <= 3
    await reopened.close()


async def test_mixed_writers_on_one_file(tmp_path: Path, mastra_harness: Harness) -> None:
    """Mastra writes, we append to its thread, Mastra reads both (JSONB and our rows)."""
    path = tmp_path / "mixed.db"
    mastra_harness("write", str(path))
    store = LibSQLStore(f"file:{path}")
    await store.init()
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
    expected = await our_view(store, ["ts-resource"], ["ts-scorer"])
    await store.close()
    theirs = mastra_view(mastra_harness("read", str(path), "--no-init"))
    assert theirs == expected
    assert [m["id"] for m in theirs["messages"]["ts-thread-1"]][-1] == "py-reply"
    assert theirs["threads"][0]["metadata"]["py"] is True


# --------------------------------------------------------------------------- on sqld


@pytest.fixture
async def sqld() -> AsyncIterator[str]:
    """A fresh sqld that both Mastra (its npm client over HTTP) and we write to."""
    try:
        async with sqld_instance() as url:
            yield url
    except ServerUnavailable as exc:
        skip_or_fail("sqld", exc.reason)


async def test_mastra_and_we_share_one_sqld(sqld: str, mastra_harness: Harness) -> None:
    """Both directions on one server, in three node runs (each costs seconds): Mastra
    writes, we read the same; we write, Mastra (with its init) reads the same."""
    assert mastra_harness("write", sqld) == {"ok": True}
    reference = mastra_view(mastra_harness("read", sqld, "--no-init"))
    store = LibSQLStore(sqld)
    await store.init()
    try:
        assert await our_view(store, ["ts-resource"], ["ts-scorer"]) == reference
        assert len(reference["messages"]["ts-thread-1"]) == 3
        await write_fixture(store)
        ours = await our_view(store, ["py-resource"], ["py-scorer"])
        assert (await store.doctor()).ok
    finally:
        await store.close()
    for scores in ours["scores"].values():
        for score in scores:
            assert score.pop("structuredOutput") is True
    assert mastra_view(mastra_harness("read", sqld, "py-resource", "py-scorer")) == ours
    ids = [t["id"] for t in ours["threads"]]
    assert [i for i in ids if i.startswith("py-")] == ["py-thread-2", "py-thread-1"]
    assert "ts-thread-1" in ids  # Mastra's rows and ours side by side


# --------------------------------------------------------------------------- legacy layouts


async def test_legacy_mastra_layout_is_adopted(db_path: Path) -> None:
    """An old Mastra file: TEXT JSON columns, odd timestamps, columns added since."""
    import libsql

    conn = libsql.connect(str(db_path))
    conn.executescript(
        """
        CREATE TABLE mastra_threads ("id" TEXT NOT NULL PRIMARY KEY, "resourceId" TEXT NOT NULL,
          "title" TEXT NOT NULL, "metadata" TEXT, "createdAt" TEXT NOT NULL,
          "updatedAt" TEXT NOT NULL);
        CREATE TABLE mastra_messages ("id" TEXT NOT NULL PRIMARY KEY, "thread_id" TEXT NOT NULL,
          "content" TEXT NOT NULL, "role" TEXT NOT NULL, "type" TEXT NOT NULL,
          "createdAt" TEXT NOT NULL);
        CREATE TABLE mastra_scorers ("id" TEXT NOT NULL PRIMARY KEY, "scorerId" TEXT,
          "runId" TEXT, "scorer" TEXT, "score" REAL, "input" TEXT, "output" TEXT,
          "entityId" TEXT, "entityType" TEXT, "source" TEXT, "createdAt" TEXT, "updatedAt" TEXT);
        INSERT INTO mastra_threads VALUES ('old', 'res', 'Old', '{"legacy": true}',
          '1970-01-01 00:00:00', '2023-01-02T03:04:05.678Z');
        INSERT INTO mastra_threads VALUES ('broken', 'res', 'Broken', 'not json {',
          '2023-01-01T00:00:00.000Z', '2023-01-01T00:00:00.000Z');
        INSERT INTO mastra_messages VALUES ('m1', 'old', 'plain text body', 'user', 'v2',
          '2023-01-02T03:04:05.000Z');
        INSERT INTO mastra_messages VALUES ('m2', 'old',
          '{"format":2,"parts":[{"type":"text","text":"json"}]}', 'assistant', '',
          '2023-01-02T03:04:06.000Z');
        INSERT INTO mastra_scorers VALUES ('s1', 'sc', 'run', '{"id":"sc"}', 1.0,
          '"a string"', 'not json at all', 'e', 'AGENT', 'TEST',
          '2023-01-02T03:04:05.000Z', '2023-01-02T03:04:05.000Z');
        """
    )
    conn.commit()
    conn.close()

    store = LibSQLStore(f"file:{db_path}")
    await store.init()
    d = Domains(store)
    thread = await d.memory.get_thread_by_id("old")
    assert thread is not None and thread.metadata == {"legacy": True}
    assert thread.created_at == datetime(1970, 1, 1, tzinfo=UTC)
    broken = await d.memory.get_thread_by_id("broken")
    assert broken is not None and broken.metadata is None  # unreadable metadata is dropped
    legacy = await d.memory.list_threads(metadata={"legacy": True})
    assert [t.id for t in legacy.items] == ["old"]  # the malformed row does not fail the query
    messages = (await d.memory.list_messages(thread_id="old")).items
    assert [m.text for m in messages] == ["plain text body", "json"]
    assert [m.type for m in messages] == [None, None]
    assert messages[0].resource_id is None  # column added by init
    score = await d.scores.get_score_by_id("s1")
    assert score is not None and score.input == "a string" and score.output == "not json at all"
    report = await store.doctor()
    assert report.ok, report
    # our writes go into the upgraded tables
    await d.memory.save_messages(
        [
            Message(
                id="m3",
                role="user",
                created_at=datetime(2023, 1, 2, 3, 4, 7, tzinfo=UTC),
                thread_id="old",
                resource_id="res",
                content=MessageContent.text("new"),
            )
        ]
    )
    by_resource = await d.memory.list_messages_by_resource_id(resource_id="res")
    assert [m.id for m in by_resource.items] == ["m3"]
    await store.close()
