"""Key identity on Redis (issue 15, point 1): no two distinct records ever share one key.

Mastra's layout joins ids with ``:`` (``mastra_messages:threadId:<t>:id:<m>``,
``…:workflow_name:<w>:run_id:<r>[:resourceId:<x>]``), so ids holding those separators could
name another record's key. The adapter refuses the few ids that would make a key ambiguous
(before any write) and checks that every record it loads is the one it asked for.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis

from mastra_storage.codec import dumps
from mastra_storage.errors import ValidationError
from mastra_storage.records import Message, MessageContent, MessageUpdate, Thread
from mastra_storage_upstash import UpstashStore
from mastra_storage_upstash.keys import Keys
from tests.support.servers import redis_key_prefix

pytestmark = pytest.mark.anyio
T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)

#: Pieces random ids are built from: every separator of Mastra's key layout, and its halves.
FRAGMENTS = [
    "a",
    "b",
    ":",
    "id",
    ":id",
    "id:",
    ":id:",
    "threadId",
    ":threadId:",
    "run_id",
    ":run_id:",
    "resourceId",
    ":resourceId:",
    "workflow_name:",
]
fragment_ids = st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=5).map("".join)


def _thread(thread_id: str, resource_id: str) -> Thread:
    return Thread(
        id=thread_id,
        resource_id=resource_id,
        title=f"title of {thread_id}",
        created_at=T0,
        updated_at=T0,
    )


def _message(message_id: str, thread_id: str, resource_id: str, n: int = 0) -> Message:
    return Message(
        id=message_id,
        role="user",
        thread_id=thread_id,
        resource_id=resource_id,
        created_at=T0 + timedelta(seconds=n),
        content=MessageContent.text(f"{resource_id} says {message_id}"),
    )


def _raw(store: UpstashStore) -> Redis:
    client: Redis = store.client
    return client


# ----------------------------------------------------------------------- the examples


async def test_message_of_a_thread_named_with_id_separator_cannot_overwrite_another(
    store: UpstashStore,
) -> None:
    """Message ``c`` of thread ``a:id:b`` (mallory) would be message ``b:id:c`` of ``a``."""
    memory = await store.require_store("memory")
    await memory.save_thread(_thread("a", "alice"))
    await memory.save_messages([_message("b:id:c", "a", "alice")])
    with pytest.raises(ValidationError, match="thread"):
        await memory.save_thread(_thread("a:id:b", "mallory"))
    with pytest.raises(ValidationError, match="thread"):
        await memory.save_messages([_message("c", "a:id:b", "mallory")])
    assert await memory.get_thread_by_id("a:id:b") is None
    page = await memory.list_messages(thread_id="a")
    assert [(m.id, m.resource_id) for m in page.items] == [("b:id:c", "alice")]
    assert page.items[0].content.content == "alice says b:id:c"


async def test_run_with_resource_separator_in_its_id_cannot_overwrite_another(
    store: UpstashStore,
) -> None:
    """Run ``w``/``r:resourceId:x`` would be run ``w``/``r`` of resource ``x``."""
    workflows = await store.require_store("workflows")
    await workflows.persist_workflow_snapshot(
        workflow_name="w", run_id="r", resource_id="x", snapshot={"owner": "x"}
    )
    with pytest.raises(ValidationError, match="run_id"):
        await workflows.persist_workflow_snapshot(
            workflow_name="w", run_id="r:resourceId:x", snapshot={"owner": "mallory"}
        )
    assert await workflows.load_workflow_snapshot(workflow_name="w", run_id="r") == {"owner": "x"}
    assert (
        await workflows.load_workflow_snapshot(workflow_name="w", run_id="r:resourceId:x") is None
    )
    runs = await workflows.list_workflow_runs(workflow_name="w")
    assert [(r.run_id, r.resource_id) for r in runs.items] == [("r", "x")]


async def test_deleting_a_run_never_deletes_the_run_sharing_its_key(store: UpstashStore) -> None:
    """Deleting run ``a:run_id:b``/``c`` would delete run ``a``/``b:run_id:c``."""
    workflows = await store.require_store("workflows")
    await workflows.persist_workflow_snapshot(
        workflow_name="a", run_id="b:run_id:c", snapshot={"keep": True}
    )
    await workflows.delete_workflow_run_by_id("c", workflow_name="a:run_id:b")
    assert await workflows.load_workflow_snapshot(workflow_name="a", run_id="b:run_id:c") == {
        "keep": True
    }
    assert await workflows.get_workflow_run_by_id("c", workflow_name="a:run_id:b") is None
    with pytest.raises(ValidationError, match="workflow_name"):
        await workflows.persist_workflow_snapshot(
            workflow_name="a:run_id:b", run_id="c", snapshot={"evil": True}
        )
    assert await workflows.load_workflow_snapshot(workflow_name="a", run_id="b:run_id:c") == {
        "keep": True
    }


# ------------------------------------------------------- other writes that build a message key


async def test_moving_or_cloning_into_an_ambiguous_thread_is_refused(store: UpstashStore) -> None:
    memory = await store.require_store("memory")
    await memory.save_thread(_thread("a", "alice"))
    await memory.save_messages([_message("b:id:c", "a", "alice"), _message("m", "a", "alice", 1)])
    # A thread only a Mastra app could have written (its key itself is unambiguous).
    await _raw(store).set(
        store.db.keys.thread("a:id:b"), dumps(_thread("a:id:b", "mallory").to_dict())
    )
    with pytest.raises(ValidationError, match="thread"):
        await memory.update_messages([MessageUpdate(id="b:id:c", thread_id="a:id:b")])
    with pytest.raises(ValidationError, match="thread"):
        await memory.update_messages([MessageUpdate(id="m", thread_id="a:id:b")])
    with pytest.raises(ValidationError, match="thread"):
        await memory.clone_thread("a", new_thread_id="a:id:b")
    with pytest.raises(ValidationError, match="thread"):
        await memory.clone_thread("a", new_thread_id="x:id")
    page = await memory.list_messages(thread_id="a")
    assert sorted(m.id for m in page.items) == ["b:id:c", "m"]
    assert all(m.thread_id == "a" for m in page.items)


async def test_ordinary_ids_with_colons_are_accepted(store: UpstashStore) -> None:
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    for n, thread_id in enumerate(["user:42", "a:b", "id:x", ":ix", "x:i", "run_id:1"]):
        await memory.save_thread(_thread(thread_id, "user:42"))
        await memory.save_messages([_message(f"{thread_id}:id:{n}", thread_id, "user:42", n)])
        page = await memory.list_messages(thread_id=thread_id)
        assert [m.id for m in page.items] == [f"{thread_id}:id:{n}"]
    await workflows.persist_workflow_snapshot(
        workflow_name="wf:resourceId:1",
        run_id="run_id:2:run_id:",
        resource_id="x:resourceId:y",
        snapshot={"ok": 1},
    )
    run = await workflows.get_workflow_run_by_id(
        "run_id:2:run_id:", workflow_name="wf:resourceId:1"
    )
    assert run is not None and run.resource_id == "x:resourceId:y"


# ---------------------------------------------------------- reads check what they loaded


async def test_reads_treat_a_record_stored_for_another_identity_as_absent(
    store: UpstashStore,
) -> None:
    """A Mastra app may still write ambiguous keys; our reads never return the wrong record."""
    memory = await store.require_store("memory")
    workflows = await store.require_store("workflows")
    keys, client = store.db.keys, _raw(store)
    await memory.save_thread(_thread("a", "alice"))
    await memory.save_messages([_message("b:id:c", "a", "alice")])
    # Mastra saves message c into thread a:id:b: same key as alice's message b:id:c.
    await client.set(
        keys.message("a:id:b", "c"), dumps(_message("c", "a:id:b", "mallory").to_dict())
    )
    page = await memory.list_messages(thread_id="a")
    assert all(m.id == "b:id:c" and m.resource_id == "alice" for m in page.items)
    assert await memory.list_messages_by_id(["b:id:c"]) == []
    # Mastra saves run a:run_id:b / c: same key as our run a / b:run_id:c.
    await workflows.persist_workflow_snapshot(
        workflow_name="a", run_id="b:run_id:c", snapshot={"mine": True}
    )
    evil = {
        "namespace": "workflows",
        "workflow_name": "a:run_id:b",
        "run_id": "c",
        "snapshot": {"mine": False},
        "createdAt": "2025-01-01T00:00:00.000Z",
        "updatedAt": "2025-01-01T00:00:00.000Z",
    }
    await client.set(keys.workflow("a", "b:run_id:c", None), dumps(evil))
    assert await workflows.load_workflow_snapshot(workflow_name="a", run_id="b:run_id:c") is None
    assert await workflows.get_workflow_run_by_id("b:run_id:c", workflow_name="a") is None
    runs = await workflows.list_workflow_runs(workflow_name="a")
    assert all(r.workflow_name == "a" and r.run_id == "b:run_id:c" for r in runs.items)
    # A thread / resource / score key holding another id's record reads as absent.
    await client.set(keys.thread("t"), dumps(_thread("u", "alice").to_dict()))
    assert await memory.get_thread_by_id("t") is None
    await client.set(keys.resource("r"), dumps({"id": "s", "createdAt": "2025-01-01T00:00:00Z"}))
    assert await memory.get_resource_by_id("r") is None


# ----------------------------------------------------------------------- properties


def _identity_keys(keys: Keys, ids: list[str]) -> dict[str, tuple[Any, ...]]:
    """Every key the adapter can write for records built from ``ids`` (those the rule
    accepts), mapped to the identity of the record it holds."""
    from mastra_storage_upstash.keys import check_run_key_ids, check_thread_key_id

    out: dict[str, tuple[Any, ...]] = {}

    def put(key: str, identity: tuple[Any, ...]) -> None:
        assert out.setdefault(key, identity) == identity, (key, out[key], identity)

    for a, b, c in itertools.product(ids, repeat=3):
        put(keys.resource(a), ("resource", a))
        put(keys.score(a), ("score", a))
        put(keys.message_index(a), ("msg-idx", a))
        put(keys.message_meta(a), ("meta", a))
        try:
            check_thread_key_id(a, operation="TEST")
        except ValidationError:
            pass
        else:
            put(keys.thread(a), ("thread", a))
            put(keys.mastra_thread_messages(a), ("mastra-set", a))
            put(keys.message(a, b), ("message", a, b))
            put(keys.thread_messages(a), ("thread-messages", a))
            put(keys.thread_resource_messages(a, b), ("thread-resource-messages", a, b))
        try:
            check_run_key_ids(a, b, operation="TEST")
        except ValidationError:
            continue
        put(keys.workflow(a, b, None), ("run", a, b, None))
        put(keys.workflow(a, b, c), ("run", a, b, c))
        put(keys.run_meta(a, b), ("run-meta", a, b))
    return out


@settings(max_examples=300, deadline=None)
@given(
    ids=st.lists(fragment_ids, min_size=1, max_size=6, unique=True),
    prefix=st.sampled_from(["", "p:"]),
)
def test_accepted_ids_map_to_distinct_keys(ids: list[str], prefix: str) -> None:
    """Injectivity of the whole layout over ids built from separator fragments."""
    _identity_keys(Keys(prefix), ids)


def _splits(text: str, sep: str) -> list[tuple[str, str]]:
    """Every way of reading ``text`` as ``left + sep + right``."""
    out = []
    start = text.find(sep)
    while start != -1:
        out.append((text[:start], text[start + len(sep) :]))
        start = text.find(sep, start + 1)
    return out


@st.composite
def colliding_messages(draw: st.DrawFn) -> list[tuple[str, str]]:
    """(thread, message) pairs whose naive keys ``<t>:id:<m>`` collide with each other."""
    parts = draw(st.lists(fragment_ids, min_size=2, max_size=4))
    pairs = [(t, m) for t, m in _splits(":id:".join(parts), ":id:") if t and m]
    return draw(st.permutations(pairs))[:6]


@st.composite
def colliding_runs(draw: st.DrawFn) -> list[tuple[str, str, str | None]]:
    """(workflow, run, resource) triples whose naive keys collide with each other."""
    parts = draw(st.lists(fragment_ids, min_size=2, max_size=4))
    seps = draw(st.lists(st.sampled_from([":run_id:", ":resourceId:"]), min_size=1, max_size=3))
    text = parts[0] + "".join(s + p for s, p in zip(itertools.cycle(seps), parts[1:]))
    triples: list[tuple[str, str, str | None]] = []
    for w, rest in _splits(text, ":run_id:"):
        if w and rest:
            triples.append((w, rest, None))
            triples += [(w, r, x) for r, x in _splits(rest, ":resourceId:") if r and x]
    return draw(st.permutations(triples))[:5]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=colliding_messages(), runs=colliding_runs())
def test_random_separator_ids_never_merge_records(
    redis_server_url: str,
    pairs: list[tuple[str, str]],
    runs: list[tuple[str, str, str | None]],
) -> None:
    """Each (thread, message) and (workflow, run) is written by its own tenant; every write
    is either refused with ValidationError or reads back exactly, never someone else's."""

    async def scenario() -> None:
        async with redis_key_prefix(redis_server_url) as prefix:
            store = UpstashStore(redis_server_url, prefix=prefix)
            try:
                memory = await store.require_store("memory")
                workflows = await store.require_store("workflows")
                messages: dict[str, tuple[str, str]] = {}  # message id -> (thread, tenant)
                threads: dict[str, str] = {}
                for n, (thread_id, message_id) in enumerate(pairs):
                    tenant = f"tenant{n}"
                    try:
                        if thread_id not in threads:
                            await memory.save_thread(_thread(thread_id, tenant))
                            threads[thread_id] = tenant
                        owner = threads[thread_id]
                        await memory.save_messages([_message(message_id, thread_id, owner, n)])
                        messages[message_id] = (thread_id, owner)
                    except ValidationError:
                        continue
                for thread_id, tenant in threads.items():
                    thread = await memory.get_thread_by_id(thread_id)
                    assert thread is not None and thread.resource_id == tenant
                    page = await memory.list_messages(thread_id=thread_id)
                    got = sorted((m.id, m.thread_id, m.resource_id) for m in page.items)
                    want = sorted((m, t, o) for m, (t, o) in messages.items() if t == thread_id)
                    assert got == want
                    for m in page.items:
                        assert m.content.content == f"{m.resource_id} says {m.id}"
                written: dict[tuple[str, str], tuple[str | None, int]] = {}
                for n, (workflow_name, run_id, resource_id) in enumerate(runs):
                    if (workflow_name, run_id) in written:
                        continue
                    try:
                        await workflows.persist_workflow_snapshot(
                            workflow_name=workflow_name,
                            run_id=run_id,
                            resource_id=resource_id,
                            snapshot={"n": n},
                        )
                    except ValidationError:
                        continue
                    written[(workflow_name, run_id)] = (resource_id, n)
                for (workflow_name, run_id), expected in written.items():
                    run = await workflows.get_workflow_run_by_id(
                        run_id, workflow_name=workflow_name
                    )
                    assert run is not None
                    assert (run.workflow_name, run.run_id, run.resource_id) == (
                        workflow_name,
                        run_id,
                        expected[0],
                    )
                    assert run.snapshot == {"n": expected[1]}
                for workflow_name, run_id in list(written)[:1]:
                    await workflows.delete_workflow_run_by_id(run_id, workflow_name=workflow_name)
                    del written[(workflow_name, run_id)]
                for (workflow_name, run_id), expected in written.items():
                    run = await workflows.get_workflow_run_by_id(
                        run_id, workflow_name=workflow_name
                    )
                    assert run is not None and run.snapshot == {"n": expected[1]}
            finally:
                await store.close()

    asyncio.run(scenario())
