"""``reindex`` on data laid out the way ``@mastra/upstash`` writes it (raw keys, no node).

Covers what the node-driven compat test cannot easily produce: equal ``_index`` values across
single-message saves, a stale copy an older Mastra release left behind after a move, a
malformed record, and running the job twice.
"""

from __future__ import annotations

import pytest

from mastra_storage.codec import dumps
from mastra_storage_upstash import UpstashStore
from mastra_storage_upstash.reindex import reindex

pytestmark = pytest.mark.anyio


def _message(message_id: str, thread_id: str, second: int, index: int = 0) -> str:
    return dumps(
        {
            "id": message_id,
            "role": "user",
            "content": {"format": 2, "parts": [{"type": "text", "text": message_id}]},
            "createdAt": f"2024-05-01T10:00:{second:02d}.000Z",
            "threadId": thread_id,
            "resourceId": "res",
            "type": "v2",
            "_index": index,
        }
    )


async def test_reindex_makes_mastra_data_listable(store: UpstashStore, prefix: str) -> None:
    raw = store.client
    p = prefix
    thread = {
        "id": "t1",
        "resourceId": "res",
        "title": "T",
        "metadata": {},
        "createdAt": "2024-05-01T10:00:00.000Z",
        "updatedAt": "2024-05-01T10:00:00.000Z",
    }
    await raw.set(f"{p}mastra_threads:id:t1", dumps(thread))
    # Saved one at a time (Mastra scores each 0), out of key order.
    for message_id, second in (("m-c", 3), ("m-a", 1), ("m-b", 2)):
        await raw.set(
            f"{p}mastra_messages:threadId:t1:id:{message_id}", _message(message_id, "t1", second)
        )
        await raw.set(f"{p}msg-idx:{message_id}", "t1")
        await raw.zadd(f"{p}thread:t1:messages", {message_id: 0})
    # A copy an older release left behind in another thread when m-b moved to t1.
    await raw.set(f"{p}mastra_messages:threadId:t0:id:m-b", _message("m-b", "t0", 2))
    await raw.set(f"{p}mastra_messages:threadId:t1:id:broken", "{not json")
    await raw.set(
        f"{p}mastra_workflow_snapshot:namespace:workflows:workflow_name:wf:run_id:r1:resourceId:res",
        dumps(
            {
                "namespace": "workflows",
                "workflow_name": "wf",
                "run_id": "r1",
                "resourceId": "res",
                "snapshot": {"status": "success", "runId": "r1"},
                "createdAt": "2024-05-01T10:00:00.000Z",
                "updatedAt": "2024-05-01T10:00:00.000Z",
            }
        ),
    )

    report = await reindex(store.db)
    assert (report.threads, report.messages, report.workflow_runs) == (1, 3, 1)
    assert any("stale copy of m-b" in line for line in report.skipped)
    assert any("broken" in line for line in report.skipped)

    memory = await store.require_store("memory")
    page = await memory.list_messages(thread_id="t1")
    assert [m.id for m in page.items] == ["m-a", "m-b", "m-c"]
    by_id = await memory.list_messages_by_id(["m-b"])
    assert [(m.id, m.thread_id) for m in by_id] == [("m-b", "t1")]
    assert [t.id for t in (await memory.list_threads(resource_id="res")).items] == ["t1"]
    workflows = await store.require_store("workflows")
    run = await workflows.get_workflow_run_by_id("r1")
    assert run is not None and run.resource_id == "res"
    assert (await workflows.list_workflow_runs(resource_id="res")).total == 1

    metas = await raw.mget([store.db.keys.message_meta(i) for i in ("m-a", "m-b", "m-c")])
    again = await reindex(store.db)  # idempotent; known sequences are kept
    assert again.messages == 3
    assert await raw.mget([store.db.keys.message_meta(i) for i in ("m-a", "m-b", "m-c")]) == metas
    assert [m.id for m in (await memory.list_messages(thread_id="t1")).items] == [
        "m-a",
        "m-b",
        "m-c",
    ]


async def test_reading_a_thread_adopts_what_a_mastra_app_added(
    store: UpstashStore, prefix: str
) -> None:
    """No reindex needed for a thread's messages: Mastra's additions (and its deletes, which
    leave ids behind in its set) are noticed by one ZCARD and reconciled once."""
    from datetime import datetime, timezone

    from mastra_storage.records import Message, MessageContent, Thread

    memory = await store.require_store("memory")
    t0 = datetime(2024, 5, 1, 10, 0, tzinfo=timezone.utc)
    await memory.save_thread(Thread(id="t1", resource_id="res", created_at=t0, updated_at=t0))
    await memory.save_messages(
        [
            Message(
                id=f"py-{i}",
                role="user",
                thread_id="t1",
                resource_id="res",
                created_at=t0.replace(second=i * 2),
                content=MessageContent.text(str(i)),
            )
            for i in range(3)
        ]
    )
    raw, p = store.client, prefix
    for message_id, second, index in (("ts-b", 3, 1), ("ts-a", 1, 0)):  # a Mastra batch
        await raw.set(
            f"{p}mastra_messages:threadId:t1:id:{message_id}",
            _message(message_id, "t1", second, index),
        )
        await raw.set(f"{p}msg-idx:{message_id}", "t1")
        await raw.zadd(f"{p}thread:t1:messages", {message_id: index})
    await raw.zadd(f"{p}thread:t1:messages", {"deleted-by-mastra": 0})  # record gone

    page = await memory.list_messages(thread_id="t1")
    assert [m.id for m in page.items] == ["py-0", "ts-a", "py-1", "ts-b", "py-2"]
    assert page.total == 5
    assert await raw.zscore(f"{p}thread:t1:messages", "deleted-by-mastra") is None
    assert await raw.zcard(f"{p}thread:t1:messages") == await raw.zcard(
        store.db.keys.thread_messages("t1")
    )
    assert [m.id for m in await memory.list_messages_by_id(["ts-a"])] == ["ts-a"]
