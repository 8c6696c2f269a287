"""Data compatibility with the real ``@mastra/dynamodb`` 1.0.0 (through the node harness),
both directions, on one moto table: threads, messages and workflow snapshots."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest

from mastra_storage import Message, MessageContent, Thread
from mastra_storage.pagination import OrderBy
from mastra_storage.testing.compat import T0, UTC, Harness
from mastra_storage_dynamodb import DynamoDBStore, keys
from mastra_storage_dynamodb import items as conv

pytestmark = pytest.mark.anyio


def _prefix() -> str:
    return f"Compat-{uuid.uuid4().hex[:8]}"  # mixed case: ElectroDB lower-cases key values


async def test_python_reads_what_mastra_wrote(
    store: DynamoDBStore, mastra_harness: Harness
) -> None:
    prefix = _prefix()
    assert mastra_harness("write", store.table_name, prefix) == {"ok": True}
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")

    thread = await memory.get_thread_by_id(f"{prefix}-thread")
    assert thread is not None
    assert (thread.resource_id, thread.title) == (f"{prefix}-resource", "From TypeScript")
    assert thread.metadata == {"source": "ts", "nested": {"a": [1, 2]}}
    assert thread.created_at == datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
    listed = await memory.list_threads(resource_id=f"{prefix}-resource")
    assert [t.id for t in listed.items] == [thread.id] and listed.total == 1

    page = await memory.list_messages(thread_id=thread.id, per_page=None)
    assert [m.id for m in page.items] == [f"{prefix}-msg-{i}" for i in (1, 2, 3)]
    assert [m.text for m in page.items] == ["Hello from TS", "Hi, I am the assistant", "Thanks!"]
    assert [m.role for m in page.items] == ["user", "assistant", "user"]
    assert {m.type for m in page.items} == {"v2"}
    newest = await memory.list_messages(
        thread_id=thread.id, per_page=2, order_by=OrderBy(field="created_at", direction="DESC")
    )
    assert [m.id for m in newest.items] == [f"{prefix}-msg-3", f"{prefix}-msg-2"]
    assert (newest.total, newest.has_more) == (3, True)

    snapshot = await workflows.load_workflow_snapshot(
        workflow_name=f"{prefix}-wf", run_id=f"{prefix}-run"
    )
    assert isinstance(snapshot, dict) and snapshot["context"]["step1"]["output"] == {"x": 1}
    run = await workflows.get_workflow_run_by_id(f"{prefix}-run")  # via gsi2
    assert run is not None and run.workflow_name == f"{prefix}-wf"
    assert run.resource_id == f"{prefix}-resource"
    runs = await workflows.list_workflow_runs(workflow_name=f"{prefix}-wf")
    assert [r.run_id for r in runs.items] == [f"{prefix}-run"]

    # Our key builders reproduce ElectroDB's strings for every item Mastra wrote.
    for item in await store.table.scan_all():
        entity = item["__edb_e__"]
        if entity == "thread":
            rebuilt = conv.thread_item(conv.thread_from_item(item))
        elif entity == "message":
            rebuilt = conv.message_item(conv.message_from_item(item), seq=0, updated_at="")
        else:
            assert entity == "workflow_snapshot"
            rebuilt = conv.run_item(conv.run_from_item(item))
        for name in ("pk", "sk", "gsi1pk", "gsi1sk", "gsi2pk", "gsi2sk", "__edb_v__"):
            assert rebuilt.get(name) == item.get(name), (entity, name)


async def test_mastra_reads_what_python_wrote(
    store: DynamoDBStore, mastra_harness: Harness
) -> None:
    prefix = _prefix()
    resource_id, thread_id = f"{prefix}-resource", f"{prefix}-thread"
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    await memory.save_thread(
        Thread(
            id=thread_id,
            resource_id=resource_id,
            title="From Python",
            metadata={"source": "py", "n": [1, 2]},
            created_at=T0,
            updated_at=T0,
        )
    )
    texts = ["Hello from Python", "Hi!", "Bye"]
    messages = [
        Message(
            id=f"{prefix}-msg-{i + 1}",
            thread_id=thread_id,
            resource_id=resource_id,
            role="user" if i % 2 == 0 else "assistant",
            type="v2",
            created_at=datetime(2024, 6, 1, 12, 0, i + 1, tzinfo=UTC),
            content=MessageContent.text(text),
        )
        for i, text in enumerate(texts)
    ]
    await memory.save_messages(messages)
    await workflows.persist_workflow_snapshot(
        workflow_name=f"{prefix}-wf",
        run_id=f"{prefix}-run",
        resource_id=resource_id,
        snapshot={"status": "running", "context": {"a": {"status": "success"}}, "runId": "x"},
        created_at=T0,
    )
    await workflows.update_workflow_results(
        workflow_name=f"{prefix}-wf", run_id=f"{prefix}-run", step_id="b", result={"ok": 1}
    )

    seen = mastra_harness("read", store.table_name, resource_id, f"{prefix}-wf")
    assert [t["id"] for t in seen["threads"]] == [thread_id]
    thread = seen["threads"][0]
    assert thread["title"] == "From Python"
    assert thread["metadata"] == {"source": "py", "n": [1, 2]}
    assert thread["createdAt"] == "2024-06-01T12:00:00.000Z"
    got = seen["messages"][thread_id]
    assert [m["id"] for m in got] == [m.id for m in messages]
    assert [m["content"]["parts"][0]["text"] for m in got] == texts
    assert [m["role"] for m in got] == ["user", "assistant", "user"]
    assert [m["resourceId"] for m in got] == [resource_id] * 3
    assert [r["runId"] for r in seen["runs"]] == [f"{prefix}-run"]
    snapshot = seen["snapshots"][f"{prefix}-run"]
    assert snapshot["context"] == {"a": {"status": "success"}, "b": {"ok": 1}}
    assert snapshot["status"] == "running"


def test_key_strings_match_electrodb() -> None:
    """Spot checks against ElectroDB 3.9.3's ``.params()`` output for @mastra/dynamodb 1.0.0."""
    assert keys.thread_key("Th-1") == {
        "pk": "$mastra#entity_thread#id_th-1",
        "sk": "$thread_1#id_th-1",
    }
    assert keys.thread_gsi1pk("Res-A") == "$mastra#entity_thread#resourceid_res-a"
    assert (
        keys.created_sort_key("thread", "2024-01-02T03:04:05.678Z")
        == "$thread_1#createdat_2024-01-02t03:04:05.678z"
    )
    assert keys.message_key("M-1") == {
        "pk": "$mastra#entity_message#id_m-1",
        "sk": "$message_1#entity_message",
    }
    assert keys.message_gsi1pk("Th-1") == "$mastra#entity_message#threadid_th-1"
    assert keys.resource_key("R-1") == {
        "pk": "$mastra#entity_resource#id_r-1",
        "sk": "$resource_1#entity_resource",
    }
    assert keys.run_key("WF-a", "Run-1") == {
        "pk": "$mastra#entity_workflow_snapshot#workflow_name_wf-a",
        "sk": "$workflow_snapshot_1#run_id_run-1",
    }
    assert keys.run_gsi2("WF-a", "Run-1") == {
        "gsi2pk": "$mastra#entity_workflow_snapshot#run_id_run-1",
        "gsi2sk": "$workflow_snapshot_1#workflow_name_wf-a",
    }
    assert keys.score_gsi_pk("gsi7", ["Tr", "Sp"]) == "$mastra#entity_score#traceid_tr#spanid_sp"
    assert keys.score_gsi_pk("gsi3", [""]) == "$mastra#entity_score#traceid_"
