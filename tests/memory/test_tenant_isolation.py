"""Tenant isolation through ``Memory`` (issue 15 point 5), on every storage backend.

Alice owns a thread with messages, thread-scoped and resource-scoped working memory and
vectors. Bob calls every public ``Memory`` method for his resource with alice's ids
(thread ids, message ids in updates, deletes and saves, working-memory scopes, semantic
recall scopes): each call is refused with :class:`ResourceMismatchError` or sees nothing
of hers, and afterwards alice's data is exactly what it was.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from mastra_storage import MastraStorage, MessageUpdate
from mastra_storage.memory import HashingEmbedder, Memory, ResourceMismatchError

from .conftest import CountingStore

pytestmark = pytest.mark.anyio

THREAD_WM = {"workingMemory": {"enabled": True, "scope": "thread"}}
RESOURCE_WM = {"workingMemory": {"enabled": True, "scope": "resource"}}
SEMANTIC = {"semanticRecall": {"topK": 3, "messageRange": 1, "scope": "resource"}}


async def alice_setup(memory: Memory) -> None:
    await memory.create_thread(
        resource_id="alice", thread_id="a1", title="Alice's", metadata={"k": 1}
    )
    messages = [
        Memory.message("user", "my pin is 4321", id="am1"),
        Memory.message("assistant", "noted", id="am2"),
    ]
    await memory.save_turn("a1", "alice", messages, options=SEMANTIC)
    await memory.update_working_memory("a1", "alice", "# alice thread", options=THREAD_WM)
    await memory.update_working_memory("a1", "alice", "# alice resource", options=RESOURCE_WM)
    await memory.create_thread(resource_id="bob", thread_id="b1", title="Bob's")


async def snapshot(storage: MastraStorage, memory: Memory) -> dict[str, Any]:
    """Everything of alice's, serialised (so a change in any field shows)."""
    store = await storage.require_store("memory")
    thread = await store.get_thread_by_id("a1")
    threads = await store.list_threads(resource_id="alice")
    messages = await store.list_messages(thread_id="a1", per_page=None)
    by_id = await store.list_messages_by_id(["am1", "am2"])
    resource = await store.get_resource_by_id("alice")
    assert memory.vector is not None
    vectors = await memory.vector.query(
        index_name=(await memory.vector.list_indexes())[0],
        query_vector=[1.0] * HashingEmbedder().dimension,
        top_k=50,
        filter={"resource_id": "alice"},
    )
    return {
        "thread": thread.to_dict() if thread else None,
        "threads": [t.to_dict() for t in threads.items],
        "messages": [m.to_dict() for m in messages.items],
        "by_id": [m.to_dict() for m in by_id],
        "resource": (resource.working_memory, resource.metadata) if resource else None,
        "vectors": sorted((v.id, repr(sorted(v.metadata.items()))) for v in vectors),
    }


Attempt = Callable[[Memory], Awaitable[Any]]

#: (case id, bob's call): each must raise ResourceMismatchError.
REFUSED: list[tuple[str, Attempt]] = [
    ("create_thread-takeover", lambda m: m.create_thread(resource_id="bob", thread_id="a1")),
    (
        "save_turn-into-her-thread",
        lambda m: m.save_turn("a1", "bob", [Memory.message("user", "hi")], options=SEMANTIC),
    ),
    (
        "save_turn-her-message-id",
        lambda m: m.save_turn("b1", "bob", [Memory.message("user", "x", id="am1")]),
    ),
    (
        "save_turn-her-message-id-new-thread",
        lambda m: m.save_turn("b2", "bob", [Memory.message("user", "x", id="am2")]),
    ),
    ("get_thread", lambda m: m.get_thread("a1", resource_id="bob")),
    ("update_thread", lambda m: m.update_thread("a1", resource_id="bob", title="pwned")),
    (
        "update_thread-working-memory-metadata",
        lambda m: m.update_thread(
            "a1", resource_id="bob", metadata={"workingMemory": "x"}, options=RESOURCE_WM
        ),
    ),
    ("delete_thread", lambda m: m.delete_thread("a1", resource_id="bob")),
    ("delete_messages", lambda m: m.delete_messages(["am1"], resource_id="bob")),
    (
        "delete_messages-mixed",
        lambda m: m.delete_messages(["nope", "am2"], resource_id="bob"),
    ),
    (
        "update_messages-content",
        lambda m: m.update_messages(
            [MessageUpdate(id="am1", content={"content": "x"})], resource_id="bob"
        ),
    ),
    (
        "update_messages-move-to-bob",
        lambda m: m.update_messages(
            [MessageUpdate(id="am1", thread_id="b1", resource_id="bob")], resource_id="bob"
        ),
    ),
    (
        "update_messages-give-to-alice",
        lambda m: m.update_messages(
            [MessageUpdate(id="bm1", resource_id="alice")], resource_id="bob"
        ),
    ),
    (
        "update_messages-move-into-her-thread",
        lambda m: m.update_messages([MessageUpdate(id="bm1", thread_id="a1")], resource_id="bob"),
    ),
    ("recall", lambda m: m.recall("a1", "bob")),
    (
        "recall-semantic-thread-scope",
        lambda m: m.recall(
            "a1", "bob", query="pin", options={"semanticRecall": {"scope": "thread"}}
        ),
    ),
    ("get_working_memory-thread", lambda m: m.get_working_memory("a1", "bob", options=THREAD_WM)),
    (
        "update_working_memory-thread",
        lambda m: m.update_working_memory("a1", "bob", "x", options=THREAD_WM),
    ),
    (
        "update_working_memory-thread-cas",
        lambda m: m.update_working_memory(
            "a1", "bob", "x", expected="# alice thread", options=THREAD_WM
        ),
    ),
    (
        "modify_working_memory-thread",
        lambda m: m.modify_working_memory("a1", "bob", lambda old: f"{old}!", options=THREAD_WM),
    ),
]


@pytest.fixture
async def memory(storage: MastraStorage, vector: Any) -> Memory:
    mem = Memory(storage, vector=vector, embedder=HashingEmbedder())
    await alice_setup(mem)
    await mem.save_turn("b1", "bob", [Memory.message("user", "bob here", id="bm1")])
    return mem


@pytest.mark.parametrize(("case", "attempt"), REFUSED, ids=[c for c, _ in REFUSED])
async def test_bob_is_refused(
    storage: MastraStorage, memory: Memory, case: str, attempt: Attempt
) -> None:
    before = await snapshot(storage, memory)
    with pytest.raises(ResourceMismatchError) as info:
        await attempt(memory)
    assert "alice" not in str(info.value)  # the owner's id is not revealed
    assert await snapshot(storage, memory) == before


async def test_bob_sees_nothing_of_hers(storage: MastraStorage, memory: Memory) -> None:
    before = await snapshot(storage, memory)
    threads = await memory.list_threads("bob")
    assert [t.id for t in threads.items] == ["b1"]
    # resource-scoped semantic recall from his own thread finds only his messages
    found = await memory.recall("b1", "bob", query="my pin is 4321", options=SEMANTIC)
    assert {m.resource_id for m in found.messages} == {"bob"}
    assert all(h.message_id == "bm1" for h in found.hits)
    # resource-scoped working memory is his own, whatever thread id he names
    wm = await memory.get_working_memory("a1", "bob", options=RESOURCE_WM)
    assert wm is None
    await memory.update_working_memory("a1", "bob", "# bob", options=RESOURCE_WM)
    # a thread id that does not exist yet is his to create
    assert (await memory.get_thread("a9", resource_id="bob")) is None
    assert await snapshot(storage, memory) == before


async def test_owner_keeps_full_access(storage: MastraStorage, memory: Memory) -> None:
    # the checks refuse only other resources: alice can still do everything
    assert (await memory.get_thread("a1", resource_id="alice")) is not None
    await memory.update_thread("a1", resource_id="alice", title="renamed")
    await memory.update_messages(
        [MessageUpdate(id="am2", content={"content": "edited"})], resource_id="alice"
    )
    text = await memory.modify_working_memory(
        "a1", "alice", lambda old: f"{old} +", options=THREAD_WM
    )
    assert text == "# alice thread +"
    await memory.create_thread(resource_id="alice", thread_id="a1", title="again")
    await memory.delete_messages(["am1"], resource_id="alice")
    await memory.delete_thread("a1", resource_id="alice")
    assert (await memory.get_thread("a1")) is None


class StaleReads(CountingStore):
    """A memory store whose ``get_thread_by_id`` answers from before alice created her
    thread: what a check-then-write sees when another process writes in between."""

    async def get_thread_by_id(self, thread_id: str) -> Any:
        return None


async def test_owner_check_is_atomic_with_the_write(storage: MastraStorage) -> None:
    """The owner checks of create_thread and update_thread run inside the store's atomic
    read-modify-write, so a stale read cannot let a takeover through."""
    memory = Memory(storage)
    await memory.create_thread(resource_id="alice", thread_id="a1", title="Alice's")
    store = await storage.require_store("memory")
    before = (await store.get_thread_by_id("a1")).to_dict()  # type: ignore[union-attr]
    stale = Memory(StaleReads(store))
    with pytest.raises(ResourceMismatchError):
        await stale.create_thread(resource_id="bob", thread_id="a1")
    with pytest.raises(ResourceMismatchError):
        await stale.update_thread("a1", resource_id="bob", title="pwned")
    with pytest.raises(ResourceMismatchError):
        await stale.update_working_memory("a1", "bob", "x", options=THREAD_WM)
    assert (await store.get_thread_by_id("a1")).to_dict() == before  # type: ignore[union-attr]
