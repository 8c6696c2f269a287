"""Both directions against the real ``@mastra/upstash`` 1.3.1, through an Upstash REST shim.

Mastra's adapter only speaks Upstash's REST API; :mod:`upstash_rest_shim` serves that API
over the same real Redis server (and the same key prefix) our store uses. So:

* Mastra writes a thread, messages, a resource, two workflow snapshots (one under a
  resource) and a score; we read them: records by id at once, listings after the one-time
  ``reindex``;
* we write the same kinds of records; Mastra reads them back through its own code.

The last test measures what Mastra's own design costs for the three workloads of the cost
test (commands the shim receives), for the closing note's comparison.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mastra_storage.pagination import OrderBy
from mastra_storage.records import Message, MessageContent, Resource, ScorePayload, Thread
from mastra_storage.testing.compat import T0
from mastra_storage.testing.node import mastra_npm_dir, run_node_harness
from mastra_storage.testing.servers import skip_or_fail
from mastra_storage_upstash import UpstashStore
from mastra_storage_upstash.cli import main as cli_main

pytestmark = pytest.mark.anyio

HARNESS = (
    __import__("pathlib").Path(__file__).resolve().parents[1]
    / "compat"
    / "mastra_upstash_harness.mjs"
)
NPM_PACKAGES = ("@mastra/upstash@1.3.1", "@mastra/core@1.71.0")


@pytest.fixture(scope="module")
def npm_dir() -> Any:
    return mastra_npm_dir(NPM_PACKAGES)


@pytest.fixture
def shim(redis_server_url: str, prefix: str) -> Iterator[Any]:
    try:
        from upstash_rest_shim import rest_shim  # needs aiohttp (test extra)
    except ImportError as exc:
        skip_or_fail("node", f"the Upstash REST shim needs aiohttp: {exc}")
    with rest_shim(redis_server_url, prefix, secrets.token_hex(8)) as server:
        yield server


def mastra(npm_dir: Any, shim: Any, *args: str) -> dict[str, Any]:
    env = {"UPSTASH_URL": shim.url, "UPSTASH_TOKEN": shim.token}
    return run_node_harness(HARNESS, npm_dir, *args, env=env, timeout=120)


async def test_python_reads_what_mastra_wrote(
    npm_dir: Any, shim: Any, store: UpstashStore, redis_server_url: str, prefix: str
) -> None:
    written = mastra(npm_dir, shim, "write")
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    scores = await store.require_store("scores")

    # Records by id need no index.
    thread = await memory.get_thread_by_id("ts-thread-1")
    assert thread is not None and thread.title == "From TypeScript"
    assert thread.metadata == {"source": "ts", "nested": {"a": [1, 2]}}
    resource = await memory.get_resource_by_id("ts-resource")
    assert resource is not None and resource.working_memory == "# Notes"
    assert resource.metadata == {"k": 1}
    snap = await workflows.load_workflow_snapshot(workflow_name="ts-wf", run_id="ts-run")
    assert isinstance(snap, dict) and snap["runId"] == "ts-run"
    score = await scores.get_score_by_id(written["scoreId"])
    assert score is not None and score.score == 0.75 and score.scorer_id == "ts-scorer"
    # Listings read our indexes, which Mastra does not write.
    before = await memory.list_threads(resource_id="ts-resource")
    assert before.total == 0

    # The one-time job, through the real CLI entry point (it runs its own event loop).
    argv = ["reindex", redis_server_url, "--prefix", prefix]
    assert await asyncio.to_thread(cli_main, argv, "mastra-storage upstash") == 0

    threads = await memory.list_threads(resource_id="ts-resource")
    assert [t.id for t in threads.items] == ["ts-thread-1"]
    page = await memory.list_messages(thread_id="ts-thread-1")
    assert [m.id for m in page.items] == ["ts-msg-1", "ts-msg-2", "ts-msg-3"]
    assert [m.text for m in page.items] == ["Hello from TS", "Hi, I am the assistant", "Thanks!"]
    assert page.items[0].role == "user" and page.items[0].type is None
    by_id = await memory.list_messages_by_id(["ts-msg-3", "ts-msg-1"])
    assert [m.id for m in by_id] == ["ts-msg-1", "ts-msg-3"]
    runs = await workflows.list_workflow_runs(workflow_name="ts-wf")
    assert [r.run_id for r in runs.items] == ["ts-run-res", "ts-run"]
    assert runs.items[0].resource_id == "ts-resource"
    res_snap = await workflows.load_workflow_snapshot(workflow_name="ts-wf", run_id="ts-run-res")
    assert isinstance(res_snap, dict) and res_snap["runId"] == "ts-run-res"
    listed = await scores.list_scores_by_scorer_id("ts-scorer")
    assert [s.id for s in listed.items] == [written["scoreId"]]
    # And we can keep writing into Mastra's thread.
    await memory.save_messages(
        [
            Message(
                id="py-after",
                role="assistant",
                thread_id="ts-thread-1",
                resource_id="ts-resource",
                created_at=datetime(2024, 5, 1, 10, 0, 9, tzinfo=timezone.utc),
                content=MessageContent.text("from Python"),
            )
        ]
    )
    page = await memory.list_messages(thread_id="ts-thread-1")
    assert [m.id for m in page.items][-1] == "py-after"


async def test_mastra_reads_what_python_wrote(npm_dir: Any, shim: Any, store: UpstashStore) -> None:
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    scores = await store.require_store("scores")
    await memory.save_thread(
        Thread(
            id="py-thread",
            resource_id="py-resource",
            title="From Python",
            metadata={"lang": "py", "n": [1, 2]},
            created_at=T0,
            updated_at=T0,
        )
    )
    texts = ["Hello from Python", "Hi from the assistant", "Bye"]
    await memory.save_messages(
        [
            Message(
                id=f"py-msg-{i}",
                role="user" if i % 2 == 0 else "assistant",
                thread_id="py-thread",
                resource_id="py-resource",
                created_at=T0 + timedelta(seconds=i),
                content=MessageContent.text(text),
            )
            for i, text in enumerate(texts)
        ]
    )
    await memory.save_resource(
        Resource(
            id="py-resource", working_memory="# Py", metadata={"a": 1}, created_at=T0, updated_at=T0
        )
    )
    snapshot = {"status": "running", "context": {"s": {"status": "success"}}, "runId": "r1"}
    await workflows.persist_workflow_snapshot(workflow_name="py-wf", run_id="r1", snapshot=snapshot)
    await workflows.persist_workflow_snapshot(
        workflow_name="py-wf",
        run_id="r2",
        snapshot={**snapshot, "runId": "r2"},
        resource_id="py-resource",
    )
    await workflows.update_workflow_results(
        workflow_name="py-wf", run_id="r1", step_id="s2", result={"status": "success", "output": 2}
    )
    saved = await scores.save_score(
        ScorePayload(
            scorer_id="py-scorer",
            entity_id="agent-1",
            entity_type="AGENT",
            run_id="r1",
            score=0.5,
            scorer={"id": "py-scorer", "name": "n"},
            output={"text": "o"},
            source="LIVE",
        )
    )

    out = mastra(npm_dir, shim, "read", "py-resource", "py-wf/r1,py-wf/r2", "py-scorer")
    assert [t["id"] for t in out["threads"]] == ["py-thread"]
    thread = out["threads"][0]
    assert thread["title"] == "From Python" and thread["metadata"] == {"lang": "py", "n": [1, 2]}
    assert thread["createdAt"] == "2024-06-01T12:00:00.000Z"
    messages = out["messages"]["py-thread"]
    assert [m["id"] for m in messages] == ["py-msg-0", "py-msg-1", "py-msg-2"]
    assert [m["content"]["parts"][0]["text"] for m in messages] == texts
    assert messages[1]["role"] == "assistant" and messages[0]["threadId"] == "py-thread"
    assert out["messagesById"]["py-thread"] == ["py-msg-0", "py-msg-1", "py-msg-2"]
    assert out["resource"]["workingMemory"] == "# Py" and out["resource"]["metadata"] == {"a": 1}
    assert out["snapshots"]["py-wf/r1"]["context"]["s2"] == {"status": "success", "output": 2}
    assert out["snapshots"]["py-wf/r2"]["runId"] == "r2"  # found under its resourceId key
    assert out["runs"]["py-wf/r2"]["resourceId"] == "py-resource"
    assert [s["id"] for s in out["scores"]] == [saved.id]
    assert out["scores"][0]["score"] == 0.5 and out["scores"][0]["entityType"] == "AGENT"


async def test_mastra_command_counts_grow_with_data(
    npm_dir: Any, shim: Any, store: UpstashStore
) -> None:
    """Mastra's own design, measured: what our cost test proves constant grows here.

    At each size the thread holds ``size`` messages and the database ``size`` threads of
    other users; the harness runs append-turn, recall-last-40 and list-threads and reads
    the shim's command counter around each.
    """
    memory = await store.require_store("memory")
    counts: dict[str, dict[int, int]] = {}
    others = 0
    for size in (50, 500):
        thread = Thread(id=f"big-{size}", resource_id="user-1", created_at=T0, updated_at=T0)
        await memory.save_thread(thread)
        await memory.save_messages(
            [
                Message(
                    id=f"big-{size}-{i}",
                    role="user",
                    thread_id=thread.id,
                    resource_id="user-1",
                    created_at=T0 + timedelta(seconds=i),
                    content=MessageContent.text(str(i)),
                )
                for i in range(size)
            ]
        )
        await asyncio.gather(
            *(
                memory.save_thread(
                    Thread(id=f"other-{i}", resource_id=f"u{i}", created_at=T0, updated_at=T0)
                )
                for i in range(others, size)
            )
        )
        others = size
        out = mastra(npm_dir, shim, "costs", thread.id, "user-1")
        for name, measured in out.items():
            counts.setdefault(name, {})[size] = measured["commands"]
        assert len(out["recall-last-40"]["result"]["ids"]) == 40
        assert out["recall-last-40"]["result"]["total"] == size + 2
        # Mastra appended a turn to our thread: we follow it without a reindex, and its
        # rewrite of the thread's updatedAt leaves no duplicate in our thread listing.
        page = await memory.list_messages(
            thread_id=thread.id, per_page=3, order_by=OrderBy(field="created_at", direction="DESC")
        )
        assert page.total == size + 2
        assert [m.id for m in page.items] == [
            f"{thread.id}-turn-1-1",
            f"{thread.id}-turn-1-0",
            f"big-{size}-{size - 1}",
        ]
        listed = await memory.list_threads(
            resource_id="user-1", order_by=OrderBy(field="updated_at", direction="DESC")
        )
        expected = ["big-500", "big-50"] if size == 500 else ["big-50"]
        assert [t.id for t in listed.items] == expected
        assert listed.total == len(expected)
    print(f"\nMastra @mastra/upstash 1.3.1 commands per operation: {counts}")
    assert counts["recall-last-40"][500] >= counts["recall-last-40"][50] + 450
    assert counts["list-threads"][500] >= counts["list-threads"][50] + 450
