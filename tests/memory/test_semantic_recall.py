"""Semantic recall on every storage backend: which messages come back, in which order, with
which context; Mastra's index names and metadata; vectors deleted with their messages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest

from mastra_storage import (
    ConfigurationError,
    MastraStorage,
    Message,
    MessageUpdate,
    ValidationError,
)
from mastra_storage.memory import HashingEmbedder, Memory, RecallHit, index_name
from mastra_storage.timeutil import utc_now

from .conftest import Counting, CountingStore

pytestmark = pytest.mark.anyio

SEMANTIC = {"lastMessages": 5, "semanticRecall": {"topK": 1, "messageRange": 1}}
FACTS = {3: "my favorite color is turquoise", 17: "I parked the car on level four"}


def conversation(thread: str, n: int, facts: dict[int, str], offset_ms: int = 0) -> list[Message]:
    base = utc_now() - timedelta(minutes=5) + timedelta(milliseconds=offset_ms)
    return [
        Memory.message(
            "user" if i % 2 == 0 else "assistant",
            facts.get(i, f"note {i} regarding weather and trains"),
            id=f"{thread}-{i}",
        ).replace(created_at=base + timedelta(milliseconds=i))
        for i in range(n)
    ]


def ids(messages: Sequence[Message]) -> list[str]:
    return [m.id for m in messages]


@pytest.fixture
async def memory(storage: MastraStorage, vector: Any) -> Memory:
    mem = Memory(storage, vector=vector, embedder=HashingEmbedder(), options=SEMANTIC)
    await mem.save_turn("t1", "r1", conversation("t1", 30, FACTS))
    return mem


async def test_recall_returns_history_plus_match_with_context(memory: Memory) -> None:
    result = await memory.recall("t1", "r1", query="what is my favorite color?")
    assert ids(result.history) == [f"t1-{i}" for i in range(25, 30)]
    assert ids(result.recalled) == ["t1-2", "t1-3", "t1-4"]
    assert ids(result.messages) == ["t1-2", "t1-3", "t1-4"] + [f"t1-{i}" for i in range(25, 30)]
    assert [h.message_id for h in result.hits] == ["t1-3"]
    assert result.hits[0].thread_id == "t1" and result.hits[0].score > 0.5


async def test_per_request_options_like_the_seed(memory: Memory) -> None:
    # memoryOptions: {lastMessages: 5, semanticRecall: {topK: 3, messageRange: 2}}
    result = await memory.recall(
        "t1",
        "r1",
        query="favorite color and where I parked the car",
        options={"lastMessages": 3, "semanticRecall": {"topK": 2, "messageRange": 2}},
    )
    assert ids(result.history) == ["t1-27", "t1-28", "t1-29"]
    assert ids(result.recalled) == [f"t1-{i}" for i in (1, 2, 3, 4, 5, 15, 16, 17, 18, 19)]
    assert {h.message_id for h in result.hits} == {"t1-3", "t1-17"}
    asymmetric = await memory.recall(
        "t1",
        "r1",
        query="favorite color",
        options={"semanticRecall": {"messageRange": {"before": 0, "after": 2}}},
    )
    assert ids(asymmetric.recalled) == ["t1-3", "t1-4", "t1-5"]


async def test_match_inside_history_is_not_duplicated(memory: Memory) -> None:
    await memory.save_turn("t1", "r1", [Memory.message("user", "remind me about turquoise")])
    result = await memory.recall("t1", "r1", query="turquoise", options={"lastMessages": 3})
    assert len(set(ids(result.messages))) == len(result.messages)
    assert ids(result.history)[-1] == result.messages[-1].id


async def test_no_query_or_no_history(memory: Memory) -> None:
    plain = await memory.recall("t1", "r1")
    assert plain.hits == [] and plain.recalled == []
    only_recall = await memory.recall(
        "t1", "r1", query="favorite color", options={"lastMessages": False}
    )
    assert only_recall.history == []
    assert ids(only_recall.recalled) == ["t1-2", "t1-3", "t1-4"]


async def test_threshold_drops_weak_matches(memory: Memory) -> None:
    strict = await memory.recall(
        "t1", "r1", query="color of the sky", options={"semanticRecall": {"threshold": 0.99}}
    )
    assert strict.hits == [] and strict.recalled == []


async def test_scope_resource_vs_thread_and_tenant_isolation(memory: Memory) -> None:
    await memory.save_turn("t2", "r1", conversation("t2", 6, {2: "my dog is called Rex"}, 100))
    await memory.save_turn("t3", "r2", conversation("t3", 6, {2: "my dog is called Fido"}, 200))
    across = await memory.recall("t1", "r1", query="what is my dog called")
    assert [h.message_id for h in across.hits] == ["t2-2"]
    assert ids(across.recalled) == ["t2-1", "t2-2", "t2-3"]
    only_thread = await memory.recall(
        "t1", "r1", query="what is my dog called", options={"semanticRecall": {"scope": "thread"}}
    )
    assert all(h.thread_id == "t1" for h in only_thread.hits)
    assert not {"t2-2", "t3-2"} & set(ids(only_thread.messages))
    other_tenant = await memory.recall("t3", "r2", query="what is my dog called")
    assert [h.message_id for h in other_tenant.hits] == ["t3-2"]
    with pytest.raises(ValidationError, match="no resourceId was provided"):
        await memory.recall("t1", None, query="dog")


async def test_index_name_and_metadata_match_mastra(memory: Memory, vector: Any) -> None:
    name = index_name(256)
    assert name == "memory_messages_256" and index_name(1536) == "memory_messages"
    assert index_name(384, "-") == "memory-messages-384"
    assert name in await vector.list_indexes()
    stats = await vector.describe_index(name)
    assert stats.count == 30 and stats.dimension == 256
    [hit] = await vector.query(
        index_name=name, query_vector=HashingEmbedder().embed_one("turquoise"), top_k=1
    )
    assert hit.id == "t1-3"
    assert hit.metadata == {"message_id": "t1-3", "thread_id": "t1", "resource_id": "r1"}
    # re-saving a message overwrites its vector instead of adding one
    await memory.save_turn("t1", "r1", conversation("t1", 1, {0: "edited"}))
    assert (await vector.describe_index(name)).count == 30


async def test_deleting_a_thread_deletes_its_vectors(memory: Memory, vector: Any) -> None:
    await memory.save_turn("t2", "r1", conversation("t2", 6, {2: "my dog is called Rex"}, 100))
    name = index_name(256)
    assert (await vector.describe_index(name)).count == 36
    await memory.delete_thread("t2")
    assert (await vector.describe_index(name)).count == 30
    assert (
        await vector.query(
            index_name=name, query_vector=[1.0] + [0.0] * 255, filter={"thread_id": "t2"}
        )
        == []
    )
    after = await memory.recall("t1", "r1", query="what is my dog called")
    assert all(h.thread_id == "t1" for h in after.hits)
    # vectors of other dimensions (another embedder) are cleaned too
    wide = Memory(memory._storage, vector=vector, embedder=HashingEmbedder(64), options=SEMANTIC)
    await wide.save_turn("t1", "r1", [Memory.message("user", "wide one", id="w1")])
    assert (await vector.describe_index(index_name(64))).count == 1
    await memory.delete_thread("t1")
    assert (await vector.describe_index(index_name(64))).count == 0
    assert (await vector.describe_index(name)).count == 0


async def test_deleting_messages_deletes_their_vectors(memory: Memory, vector: Any) -> None:
    await memory.delete_messages(["t1-3"])
    name = index_name(256)
    assert (await vector.describe_index(name)).count == 29
    result = await memory.recall("t1", "r1", query="what is my favorite color?")
    assert "t1-3" not in ids(result.messages)
    assert all(h.message_id != "t1-3" for h in result.hits)


async def test_round_trips_with_semantic_recall(
    storage: MastraStorage, vector: Any, counted: CountingStore
) -> None:
    vec = Counting(vector)
    memory = Memory(counted, vector=vec, embedder=HashingEmbedder(), options=SEMANTIC)  # type: ignore[arg-type]
    await memory.save_turn("t1", "r1", conversation("t1", 10, FACTS))
    assert dict(counted.calls) == {
        "get_thread_by_id": 1,
        "list_messages_by_id": 1,
        "save_messages": 2,
        "backend.modify_thread": 1,
        "save_thread": 1,
    }
    assert dict(vec.calls) == {"create_index": 1, "upsert": 1}
    counted.reset()
    vec.reset()
    await memory.save_turn("t1", "r1", [Memory.message("user", "next question")])
    assert dict(counted.calls) == {
        "get_thread_by_id": 1,
        "list_messages_by_id": 1,
        "save_messages": 1,
    }
    assert dict(vec.calls) == {"upsert": 1}
    counted.reset()
    vec.reset()
    result = await memory.recall("t1", "r1", query="favorite color")
    assert [h.message_id for h in result.hits] == ["t1-3"]
    assert dict(counted.calls) == {"get_thread_by_id": 1, "list_messages": 1}
    assert dict(vec.calls) == {"query": 1}


async def test_hits_are_typed(memory: Memory) -> None:
    result = await memory.recall("t1", "r1", query="parked the car")
    assert result.hits == [
        RecallHit(message_id="t1-17", thread_id="t1", score=result.hits[0].score)
    ]


async def test_editing_a_message_replaces_its_vector(memory: Memory, vector: Any) -> None:
    edit = "I changed my mind about colors entirely"
    [updated] = await memory.update_messages(
        [
            MessageUpdate(
                id="t1-3", content={"content": edit, "parts": [{"type": "text", "text": edit}]}
            )
        ]
    )
    assert updated.text == edit
    name = index_name(256)
    assert (await vector.describe_index(name)).count == 30
    old = await memory.recall("t1", "r1", query="turquoise")
    assert all(h.message_id != "t1-3" for h in old.hits)  # the old text is not recallable
    new = await memory.recall("t1", "r1", query="changed my mind about colors")
    assert [h.message_id for h in new.hits] == ["t1-3"]
    # an update that does not touch content leaves vectors alone
    await memory.update_messages([MessageUpdate(id="t1-4", type="v2")])
    assert (await vector.describe_index(name)).count == 30
    with pytest.raises(ConfigurationError, match="read-only"):
        await memory.update_messages([MessageUpdate(id="t1-4")], options={"readOnly": True})
