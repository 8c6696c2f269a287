"""Both directions against the real ``@mastra/upstash`` 1.3.1, through an Upstash REST shim.

Mastra's adapter only speaks Upstash's REST API; :mod:`upstash_rest_shim` serves that API
over the same real Redis server (and the same key prefix) our store uses. So:

* Mastra writes a thread, messages, a resource, two workflow snapshots (one under a
  resource) and a score; we read them, records by id and listings, without a reindex
  (``adopt.py``), also while our store stays open and Mastra keeps writing (command
  counts pinned, on a private quiet server);
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

from mastra_storage.codec import dumps, loads
from mastra_storage.pagination import OrderBy
from mastra_storage.records import (
    Message,
    MessageContent,
    MessageUpdate,
    Resource,
    ScorePayload,
    Thread,
)
from mastra_storage_upstash import UpstashStore
from tests.support.compat import T0
from tests.support.node import mastra_npm_dir, run_node_harness
from tests.support.servers import skip_or_fail

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
    # A run stored under Mastra's resource suffix loads directly (found as Mastra finds it).
    res_snap = await workflows.load_workflow_snapshot(workflow_name="ts-wf", run_id="ts-run-res")
    assert isinstance(res_snap, dict) and res_snap["runId"] == "ts-run-res"
    # Listings show Mastra's records without a reindex (adopt.py).
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


# ---- the layout dataset: both apps write the same records, compared key by key ----------

LAYOUT_T0 = datetime(2024, 7, 1, 9, 0, 0, tzinfo=timezone.utc)
LAYOUT_T1 = LAYOUT_T0 + timedelta(seconds=5)
#: Message ids of the layout thread in the order they are saved: one batch, then one more.
LAYOUT_BATCH = ("b", "a", "c")
LAYOUT_SINGLE = "0"


async def _python_writes_layout(store: UpstashStore, p: str) -> str:
    """The harness' ``layout-write`` dataset, written through our store; returns the score id."""
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    scores = await store.require_store("scores")
    await memory.save_thread(
        Thread(
            id=f"{p}-eq",
            resource_id=f"{p}-res",
            title="Equal times",
            created_at=LAYOUT_T0,
            updated_at=LAYOUT_T0,
        )
    )

    def message(name: str, type_: str | None = None) -> Message:
        return Message(
            id=f"{p}-{name}",
            role="user",
            thread_id=f"{p}-eq",
            resource_id=f"{p}-res",
            created_at=LAYOUT_T1,
            type=type_,
            content=MessageContent.from_dict(
                {"format": 2, "parts": [{"type": "text", "text": name}]}
            ),
        )

    await memory.save_messages([message("b"), message("a"), message("c", "v3")])
    await memory.save_messages([message(LAYOUT_SINGLE)])
    await memory.save_resource(Resource(id=f"{p}-res", created_at=LAYOUT_T0, updated_at=LAYOUT_T0))
    await workflows.persist_workflow_snapshot(
        workflow_name=f"{p}-wf",
        run_id=f"{p}-run",
        snapshot={"status": "running", "context": {}, "runId": f"{p}-run", "value": {}},
        created_at=LAYOUT_T0,
        updated_at=LAYOUT_T0,
    )
    saved = await scores.save_score(
        ScorePayload(
            id=f"{p}-score",  # kept (@mastra/upstash 1.3.1 itself always generates one)
            scorer_id=f"{p}-scorer",
            entity_id=f"{p}-agent",
            run_id=f"{p}-run",
            source="LIVE",
            score=1,
            scorer={"id": f"{p}-scorer"},
            entity={"id": f"{p}-agent"},
            input="hello",
            output="123",
        )
    )
    return saved.id


def _neutral(value: Any, p: str) -> Any:
    """``value`` with the id prefix ``p-`` replaced by ``X-`` (the two datasets then agree)."""
    return loads(dumps(value).replace(f'"{p}-', '"X-').replace(f":{p}-", ":X-"))


def _without(record: Any, *fields: str) -> Any:
    """A record dict without the fields that differ by nature (times of writing, new ids)."""
    assert isinstance(record, dict), record
    return {k: v for k, v in record.items() if k not in fields}


async def _stored_layout(store: UpstashStore, prefix: str, p: str, score_id: str) -> Any:
    """The stored JSON of every record of one dataset, and Mastra's per-thread sorted set."""
    raw = store.client
    names = [*LAYOUT_BATCH, LAYOUT_SINGLE]
    keys = {
        "thread": f"{prefix}mastra_threads:id:{p}-eq",
        **{f"message {n}": f"{prefix}mastra_messages:threadId:{p}-eq:id:{p}-{n}" for n in names},
        "resource": f"{prefix}mastra_resources:{p}-res",
        "run": f"{prefix}mastra_workflow_snapshot:namespace:workflows:"
        f"workflow_name:{p}-wf:run_id:{p}-run",
        "score": f"{prefix}mastra_scorers:id:{score_id}",
    }
    values = {name: loads(await raw.get(key)) for name, key in keys.items()}
    values["thread"] = _without(values["thread"], "updatedAt")  # bumped by saveMessages
    values["score"] = _without(values["score"], "id", "createdAt", "updatedAt")
    values["mastra set"] = await raw.zrange(
        f"{prefix}thread:{p}-eq:messages", 0, -1, withscores=True
    )
    return _neutral(values, p)


async def test_python_stores_what_mastra_stores(
    npm_dir: Any, shim: Any, store: UpstashStore, prefix: str
) -> None:
    """Same records, same stored values: unset fields absent (no ``metadata: null``, no
    ``type`` a message was not given), ``_index`` and Mastra's per-thread set scored by it."""
    written = mastra(npm_dir, shim, "layout-write", "ts")
    py_score = await _python_writes_layout(store, "py")
    assert py_score == "py-score" and written["scoreId"] != "ts-score"
    theirs = await _stored_layout(store, prefix, "ts", written["scoreId"])
    ours = await _stored_layout(store, prefix, "py", py_score)
    assert "metadata" not in ours["thread"]
    assert "type" not in ours["message a"] and ours["message c"]["type"] == "v3"
    assert ours["mastra set"] == theirs["mastra set"]
    assert ours == theirs


async def test_mastra_reads_python_data_as_its_own(
    npm_dir: Any, shim: Any, store: UpstashStore
) -> None:
    """Mastra's own reads (thread, messages in order, an include window, resource, run,
    score) of Python-written records equal its reads of the same records it wrote itself."""
    written = mastra(npm_dir, shim, "layout-write", "ts")
    py_score = await _python_writes_layout(store, "py")
    out = mastra(npm_dir, shim, "layout-read", "ts,py", f"{written['scoreId']},{py_score}")
    views = {}
    for p in ("ts", "py"):
        entry = dict(out[p])
        for name in ("thread", "resource", "run", "score"):
            assert isinstance(entry[name], dict) and "error" not in entry[name], entry[name]
        entry["thread"] = _without(entry["thread"], "updatedAt")
        entry["score"] = _without(entry["score"], "id", "createdAt", "updatedAt")
        views[p] = _neutral(entry, p)
    # Mastra orders equal times by its set: (_index, id), the batch position first.
    assert [m["id"] for m in views["ts"]["messages"]] == ["X-0", "X-b", "X-a", "X-c"]
    assert views["py"]["messages"] == views["ts"]["messages"]
    assert views["py"] == views["ts"]


async def test_python_reads_mastra_data_as_mastra_does(
    npm_dir: Any, shim: Any, store: UpstashStore, prefix: str
) -> None:
    """Our reads of Mastra-written records equal our reads of the same records written by
    us, field by field; a Mastra thread's equal times come back in Mastra's own order, ours
    in insertion order (the documented guarantee)."""
    written = mastra(npm_dir, shim, "layout-write", "ts")
    py_score = await _python_writes_layout(store, "py")
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    scores = await store.require_store("scores")
    mastra_set = f"{prefix}thread:ts-eq:messages"
    before = await store.client.zrange(mastra_set, 0, -1, withscores=True)
    views = {}
    for p, score_id in (("ts", written["scoreId"]), ("py", py_score)):
        thread = await memory.get_thread_by_id(f"{p}-eq")
        resource = await memory.get_resource_by_id(f"{p}-res")
        run = await workflows.get_workflow_run_by_id(f"{p}-run", workflow_name=f"{p}-wf")
        score = await scores.get_score_by_id(score_id)
        assert thread is not None and resource is not None and run is not None
        assert score is not None
        page = await memory.list_messages(thread_id=f"{p}-eq", per_page=None)
        views[p] = _neutral(
            {
                "thread": _without(thread.to_dict(), "updatedAt"),
                "messages": {m.id: m.to_dict() for m in page.items},
                "order": [m.id for m in page.items],
                "resource": resource.to_dict(),
                "run": _without(run.to_dict(), "version"),
                "score": _without(score.to_dict(), "id", "createdAt", "updatedAt"),
            },
            p,
        )
    # Following Mastra's writes indexed its messages without touching Mastra's own set.
    assert await store.client.zrange(mastra_set, 0, -1, withscores=True) == before
    assert views["ts"].pop("order") == ["X-0", "X-b", "X-a", "X-c"]
    assert views["py"].pop("order") == ["X-b", "X-a", "X-c", "X-0"]
    assert views["py"] == views["ts"]


async def _python_changes_layout(store: UpstashStore, p: str) -> None:
    """The harness' ``layout-change``, through our store."""
    memory = await store.require_store("memory")
    await memory.update_messages(
        [MessageUpdate(id=f"{p}-a", content={"parts": [{"type": "text", "text": "a2"}]})]
    )
    await memory.clone_thread(f"{p}-eq", new_thread_id=f"{p}-clone")
    await memory.save_thread(
        Thread(
            id=f"{p}-eq2",
            resource_id=f"{p}-res",
            title="Moved to",
            created_at=LAYOUT_T0,
            updated_at=LAYOUT_T0,
        )
    )
    await memory.update_messages([MessageUpdate(id=f"{p}-b", thread_id=f"{p}-eq2")])


async def _changed_layout(store: UpstashStore, prefix: str, p: str) -> Any:
    """Stored values after the changes: updated and moved messages, Mastra's sets (the
    clone's members are new random ids: its scores, and its copies without ids)."""
    raw = store.client
    values: dict[str, Any] = {}
    for name, thread in (("a", "eq"), ("b", "eq2")):
        key = f"{prefix}mastra_messages:threadId:{p}-{thread}:id:{p}-{name}"
        values[f"message {name}"] = loads(await raw.get(key))
    for thread in ("eq", "eq2"):
        key = f"{prefix}thread:{p}-{thread}:messages"
        values[f"mastra set {thread}"] = await raw.zrange(key, 0, -1, withscores=True)
    clone = await raw.zrange(f"{prefix}thread:{p}-clone:messages", 0, -1, withscores=True)
    values["clone scores"] = [score for _, score in clone]
    copies = []
    for member, _ in clone:
        copy = loads(await raw.get(f"{prefix}mastra_messages:threadId:{p}-clone:id:{member}"))
        copies.append(_without(copy, "id"))
    values["clone copies"] = copies
    return _neutral(values, p)


async def test_changes_leave_mastras_structures_as_mastra_leaves_them(
    npm_dir: Any, shim: Any, store: UpstashStore, prefix: str
) -> None:
    """An update in place, a clone and a move leave the stored values and Mastra's sets as
    Mastra's own calls leave them, and Mastra reads the clones in the same order."""
    mastra(npm_dir, shim, "layout-write", "ts")
    ts_clone = mastra(npm_dir, shim, "layout-change", "ts")["clone"]
    await _python_writes_layout(store, "py")
    await _python_changes_layout(store, "py")
    theirs = await _changed_layout(store, prefix, "ts")
    ours = await _changed_layout(store, prefix, "py")
    assert ours == theirs
    py_clone = mastra(npm_dir, shim, "layout-read-clone", "py")["clone"]
    assert ts_clone == ["0", "b", "a2", "c"]
    assert py_clone == ts_clone


ARRAY_SNAPSHOT = {
    "status": "running",
    "activePaths": [],
    "context": {"s": {"payload": []}},
    "n": 1234567890123456,
}


async def test_snapshot_arrays_are_kept_where_mastra_loses_them(
    npm_dir: Any, shim: Any, store: UpstashStore
) -> None:
    """Mastra's ``persistWorkflowSnapshot`` re-encodes the record with Redis' Lua ``cjson``,
    which stores ``[]`` as ``{}`` and rounds integers to 14 digits. We read what it stored,
    exactly as Mastra reads it back; we do not copy the loss: Mastra reads our snapshots
    with their arrays and numbers intact (documented in docs/upstash-layout.md)."""
    workflows = await store.require_store("workflows")
    mastra(npm_dir, shim, "snapshot-write", "ts")
    theirs = mastra(npm_dir, shim, "snapshot-read", "ts")["snapshot"]
    assert theirs["activePaths"] == {} and theirs["n"] != ARRAY_SNAPSHOT["n"]
    ours_of_theirs = await workflows.load_workflow_snapshot(
        workflow_name="ts-wf", run_id="ts-arrays"
    )
    assert ours_of_theirs == theirs
    await workflows.persist_workflow_snapshot(
        workflow_name="py-wf", run_id="py-arrays", snapshot=ARRAY_SNAPSHOT
    )
    assert mastra(npm_dir, shim, "snapshot-read", "py")["snapshot"] == ARRAY_SNAPSHOT


# ---- live sharing: a Mastra app writes while our store is open (issue 16 point 5) -----------

#: Commands one adoption step adds to a listing after the database changed: ``DBSIZE``,
#: ``HGETALL`` + ``HSET`` (pass state), ``SCAN``, ``MGET`` (the records found) and the index
#: check (``ZMSCORE``, or ``MGET`` of run pointers); then the index writes of each record
#: adopted, the same a save of it would queue (:data:`ADOPT_WRITES`). None grows with data.
STEP = 6
ADOPT_WRITES = {"thread": 4, "run": 4, "run with resource": 5, "score": 3}
QUIET_EXTRA = 1  # ``DBSIZE`` on a database whose key count did not move


async def test_listings_follow_a_live_mastra_app_without_reindex(npm_dir: Any) -> None:
    from upstash_counting import counting_client, private_redis

    with private_redis() as url:
        if url is None:
            skip_or_fail("redis", "no redis-server binary for a private, quiet server")
        from upstash_rest_shim import rest_shim

        client, counter = counting_client(url)
        store = UpstashStore(client=client)
        alone = UpstashStore(client=client, follow_mastra_writes=False)
        await store.init()
        await alone.init()
        try:
            with rest_shim(url, "", secrets.token_hex(8)) as shim_server:
                await _live_sharing(npm_dir, shim_server, store, alone, counter)
        finally:
            await client.flushdb()
            await client.aclose()


async def _live_sharing(
    npm_dir: Any, shim_server: Any, store: UpstashStore, alone: UpstashStore, counter: Any
) -> None:
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    lists: dict[str, Any] = {
        "threads": lambda s: s.list_threads(resource_id="live-res"),
        "runs": lambda s: s.list_workflow_runs(workflow_name="live-wf"),
        "scores": lambda s: s.list_scores_by_scorer_id("live-scorer"),
    }
    domain = {"threads": "memory", "runs": "workflows", "scores": "scores"}

    async def listed(name: str, on: UpstashStore = store) -> tuple[list[str], int]:
        counter.clear()
        page = await lists[name](await on.require_store(domain[name]))
        ids = [item.run_id if name == "runs" else item.id for item in page.items]
        return ids, sum(counter.values())

    # Our own data first: the SDK writes a thread; listings settle into the quiet state.
    await memory.save_thread(
        Thread(id="py-thread", resource_id="live-res", title="py", created_at=T0, updated_at=T0)
    )
    for name in lists:
        await listed(name)
    plain = {name: (await listed(name, alone))[1] for name in lists}
    for name in lists:
        ids, quiet = await listed(name)
        assert quiet == plain[name] + QUIET_EXTRA, (name, quiet, plain[name])

    scores_seen: list[str] = []
    for n in (1, 2):
        written = mastra(npm_dir, shim_server, "live-write", "live", str(n))
        scores_seen.append(written["scoreId"])
        if n == 2:
            # A run under Mastra's resource suffix loads directly, before any listing.
            snap = await workflows.load_workflow_snapshot(workflow_name="live-wf", run_id="live-r2")
            assert isinstance(snap, dict) and snap["runId"] == "live-r2"
            counter.clear()
            assert await workflows.load_workflow_snapshot(workflow_name="live-wf", run_id="live-r2")
            assert sum(counter.values()) == 2  # adopted: pointer + record (MGET, GET)
        # The very next listing of each kind shows what Mastra wrote: no reindex.
        ids, step = await listed("threads")
        assert ids == [f"live-t{i}" for i in range(n, 0, -1)] + ["py-thread"]
        assert step == (await listed("threads", alone))[1] + STEP + ADOPT_WRITES["thread"], step
        ids, step = await listed("runs")
        expected = {f"live-{kind}{i}" for kind in "rp" for i in range(1, n + 1)}
        assert set(ids) == expected
        # live-r2 was adopted by its load above, so only live-p2 is left to adopt then.
        adopted = ADOPT_WRITES["run"] + (ADOPT_WRITES["run with resource"] if n == 1 else 0)
        assert step == (await listed("runs", alone))[1] + STEP + adopted, step
        ids, step = await listed("scores")
        assert ids == scores_seen[::-1]
        assert step == (await listed("scores", alone))[1] + STEP + ADOPT_WRITES["score"], step
        listed_threads = await memory.list_threads(resource_id="live-res")
        assert listed_threads.total == n + 1
        # Index keys the adoption created moved DBSIZE, so each family checks once more
        # (one step, nothing to adopt); then quiet again: one command more than without.
        for name in lists:
            _, settle = await listed(name)
            assert settle <= (await listed(name, alone))[1] + STEP, (name, settle)
        for name in lists:
            _, quiet = await listed(name)
            assert quiet == (await listed(name, alone))[1] + QUIET_EXTRA, (name, quiet)
    runs = await workflows.list_workflow_runs(resource_id="live-res")
    assert {r.run_id for r in runs.items} == {"live-r1", "live-r2"}
    # Mastra's thread is ours to read and extend like any other.
    thread = await memory.get_thread_by_id("live-t2")
    assert thread is not None and thread.title == "live 2"
