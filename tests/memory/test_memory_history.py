"""Memory on storage alone: history order, threads, titles, read-only, options, round trips."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from mastra_storage import (
    ConfigurationError,
    MastraStorage,
    Message,
    NotFoundError,
    UnavailableError,
    ValidationError,
)
from mastra_storage.memory import Memory, MemoryOptions, SemanticRecallOptions, parse_options
from mastra_storage.memory.options import DEFAULT_WORKING_MEMORY_TEMPLATE, MessageRange
from mastra_storage.timeutil import utc_now

from .conftest import CountingStore, open_storage

pytestmark = pytest.mark.anyio


def turn(thread: str, resource: str, n: int, start: int = 0) -> list[Message]:
    """``n`` messages alternating user/assistant, 1 ms apart, texts ``m<start>..``."""
    base = utc_now() - timedelta(seconds=10) + timedelta(milliseconds=start)
    return [
        Memory.message("user" if i % 2 == 0 else "assistant", f"m{i}", id=f"{thread}-m{i}").replace(
            created_at=base + timedelta(milliseconds=i - start)
        )
        for i in range(start, start + n)
    ]


def texts(messages: Sequence[Message]) -> list[str]:
    return [m.text for m in messages]


async def test_recall_returns_newest_n_in_chronological_order(storage: MastraStorage) -> None:
    memory = Memory(storage, options={"lastMessages": 10})
    saved = await memory.save_turn("t1", "r1", turn("t1", "r1", 25))
    assert saved.thread_created and len(saved.saved) == 25

    result = await memory.recall("t1", "r1")
    assert texts(result.history) == [f"m{i}" for i in range(15, 25)]
    assert result.messages == result.history
    assert result.recalled == [] and result.hits == []
    assert result.thread is not None and result.thread.resource_id == "r1"


async def test_per_call_override_and_disabling_history(storage: MastraStorage) -> None:
    memory = Memory(storage)  # Mastra's default: lastMessages 10
    await memory.save_turn("t1", "r1", turn("t1", "r1", 12))
    assert texts((await memory.recall("t1", "r1")).history) == [f"m{i}" for i in range(2, 12)]
    five = await memory.recall("t1", "r1", options={"lastMessages": 5})
    assert texts(five.history) == [f"m{i}" for i in range(7, 12)]
    assert memory.options.last_messages == 10  # the override did not stick
    off = await memory.recall("t1", "r1", options=MemoryOptions(last_messages=False))
    assert off.messages == [] and off.history == []
    assert off.thread is not None


async def test_history_stays_in_its_thread_and_resource(storage: MastraStorage) -> None:
    memory = Memory(storage)
    await memory.save_turn("t1", "r1", turn("t1", "r1", 3))
    await memory.save_turn("t2", "r1", turn("t2", "r1", 3, start=100))
    assert texts((await memory.recall("t1", "r1")).history) == ["m0", "m1", "m2"]
    with pytest.raises(ValidationError, match="belongs to another resource than r2"):
        await memory.recall("t1", "r2")


async def test_save_turn_bumps_thread_and_fills_ids(storage: MastraStorage) -> None:
    memory = Memory(storage)
    thread = await memory.create_thread(resource_id="r1", thread_id="t1", title="hello")
    first = await memory.save_turn("t1", "r1", [Memory.message("user", "hi")])
    assert not first.thread_created
    assert first.saved[0].thread_id == "t1" and first.saved[0].resource_id == "r1"
    again = await memory.get_thread("t1")
    assert again is not None and again.updated_at >= thread.updated_at
    assert again.title == "hello" and again.created_at == thread.created_at


async def test_save_turn_rejects_foreign_messages_and_writes_nothing(
    storage: MastraStorage,
) -> None:
    memory = Memory(storage)
    good = Memory.message("user", "ok")
    foreign = Memory.message("user", "x", thread_id="other")
    with pytest.raises(ValidationError, match="another thread"):
        await memory.save_turn("t1", "r1", [good, foreign])
    with pytest.raises(ValidationError):
        await memory.save_turn("t1", "r1", "not a list")  # type: ignore[arg-type]
    assert await memory.get_thread("t1") is None


async def test_read_only_writes_nothing(storage: MastraStorage) -> None:
    memory = Memory(storage, options={"readOnly": True, "workingMemory": {"enabled": True}})
    result = await memory.save_turn("t1", "r1", turn("t1", "r1", 2))
    assert result.read_only and result.saved == []
    assert await memory.get_thread("t1") is None
    with pytest.raises(ConfigurationError, match="read-only"):
        await memory.update_working_memory("t1", "r1", "x")
    # per call: a writable memory asked for a read-only turn
    writable = Memory(storage)
    skipped = await writable.save_turn("t1", "r1", turn("t1", "r1", 2), options={"readOnly": True})
    assert skipped.read_only and await writable.get_thread("t1") is None


async def test_title_hook_runs_once_for_untitled_threads(storage: MastraStorage) -> None:
    seen: list[list[str]] = []

    async def title(messages: Sequence[Message]) -> str:
        seen.append(texts(messages))
        return "  About m0  "

    memory = Memory(storage, options=MemoryOptions(generate_title=title))
    first = await memory.save_turn("t1", "r1", turn("t1", "r1", 2))
    assert first.thread_created and first.title == "About m0"
    second = await memory.save_turn("t1", "r1", turn("t1", "r1", 2, start=2))
    assert second.title is None
    thread = await memory.get_thread("t1")
    assert thread is not None and thread.title == "About m0"
    assert seen == [["m0", "m1"]]

    # A thread created untitled (e.g. by an API call) gets its title on its first turn.
    await memory.create_thread(resource_id="r1", thread_id="t2")
    named = await memory.save_turn("t2", "r1", turn("t2", "r1", 1))
    assert named.title == "About m0" and not named.thread_created
    t2 = await memory.get_thread("t2")
    assert t2 is not None and t2.title == "About m0"
    # A new Memory object (another process) sees the stored title and does not re-title.
    other = Memory(storage, options=MemoryOptions(generate_title=title))
    assert (await other.save_turn("t2", "r1", turn("t2", "r1", 1, start=5))).title is None
    assert len(seen) == 2


async def test_threads_list_update_delete(storage: MastraStorage) -> None:
    memory = Memory(storage)
    await memory.create_thread(resource_id="r1", thread_id="a")
    await memory.create_thread(resource_id="r1", thread_id="b", metadata={"k": 1})
    await memory.create_thread(resource_id="r2", thread_id="c")
    await memory.save_turn("a", "r1", turn("a", "r1", 1))
    page = await memory.list_threads("r1")
    assert [t.id for t in page.items] == ["a", "b"]  # most recently updated first
    updated = await memory.update_thread("b", title="B", metadata={"j": 2})
    assert updated.title == "B" and updated.metadata == {"k": 1, "j": 2}
    await memory.delete_thread("a")
    assert await memory.get_thread("a") is None
    assert (await memory.recall("a", "r1")).messages == []
    with pytest.raises(NotFoundError):
        await memory.update_thread("a", title="gone")


async def test_delete_messages_validates_then_deletes(storage: MastraStorage) -> None:
    memory = Memory(storage)
    msgs = turn("t1", "r1", 3)
    await memory.save_turn("t1", "r1", msgs)
    with pytest.raises(ValidationError):
        await memory.delete_messages("t1-m0")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        await memory.delete_messages(["t1-m0", ""])
    assert len((await memory.recall("t1", "r1")).history) == 3  # nothing deleted
    await memory.delete_messages([msgs[0], "t1-m2"])
    assert texts((await memory.recall("t1", "r1")).history) == ["m1"]


def test_defaults_match_mastra() -> None:
    options = MemoryOptions()
    assert options.last_messages == 10
    assert options.semantic_recall is None
    assert options.working_memory.enabled is False
    assert options.working_memory.scope == "resource"
    assert options.working_memory.template == DEFAULT_WORKING_MEMORY_TEMPLATE
    assert options.generate_title is None and options.read_only is False
    sr = parse_options({"semanticRecall": True}).semantic_recall
    assert sr == SemanticRecallOptions(top_k=4, message_range=MessageRange(1, 1))
    assert sr is not None and sr.scope == "resource" and sr.threshold is None


def test_options_parse_mastra_shapes_and_merge() -> None:
    base = parse_options({"lastMessages": 10, "semanticRecall": {"topK": 3, "messageRange": 2}})
    assert base.semantic_recall is not None
    assert base.semantic_recall.window == MessageRange(2, 2)
    merged = parse_options({"semanticRecall": {"scope": "thread"}, "lastMessages": 5}, base=base)
    assert merged.last_messages == 5
    assert merged.semantic_recall == SemanticRecallOptions(
        top_k=3, message_range=MessageRange(2, 2), scope="thread"
    )
    ranged = parse_options({"semantic_recall": {"message_range": {"before": 0, "after": 3}}})
    assert ranged.semantic_recall is not None
    assert ranged.semantic_recall.window == MessageRange(0, 3)
    assert parse_options({"semanticRecall": False}, base=base).semantic_recall is None


@pytest.mark.parametrize(
    "raw",
    [
        {"lastMessages": -1},
        {"lastMessages": True},
        {"lastMessages": "10"},
        {"semanticRecall": {"topK": 0}},
        {"semanticRecall": {"messageRange": -1}},
        {"semanticRecall": {"scope": "global"}},
        {"semanticRecall": {"threshold": "high"}},
        {"workingMemory": {"scope": "user"}},
        {"workingMemory": {"enabled": "yes"}},
        {"lastMesages": 3},
        {"generateTitle": "not callable"},
    ],
)
def test_bad_options_raise_typed_errors(raw: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as info:
        parse_options(raw)
    assert info.value.id == "MASTRA_MEMORY_INVALID_OPTIONS"


async def test_semantic_recall_needs_vector_and_embedder(storage: MastraStorage) -> None:
    with pytest.raises(ConfigurationError, match="vector store"):
        Memory(storage, options={"semanticRecall": True})
    memory = Memory(storage)
    with pytest.raises(ConfigurationError, match="vector store"):
        await memory.recall("t1", "r1", query="x", options={"semanticRecall": True})
    with pytest.raises(ConfigurationError):
        Memory(object())  # type: ignore[arg-type]


async def test_round_trips_without_semantic_recall(
    storage: MastraStorage, counted: CountingStore
) -> None:
    memory = Memory(counted)  # type: ignore[arg-type]
    first = await memory.save_turn("t1", "r1", turn("t1", "r1", 2))
    assert first.thread_created
    # first turn: the ownership reads (thread, message ids), save_messages (thread
    # missing), the atomic check-and-replace finding no thread, save_thread, save_messages
    assert dict(counted.calls) == {
        "get_thread_by_id": 1,
        "list_messages_by_id": 1,
        "save_messages": 2,
        "backend.modify_thread": 1,
        "save_thread": 1,
    }
    counted.reset()
    await memory.save_turn("t1", "r1", turn("t1", "r1", 2, start=2))
    # the ownership reads (concurrent) and one save_messages
    assert dict(counted.calls) == {
        "get_thread_by_id": 1,
        "list_messages_by_id": 1,
        "save_messages": 1,
    }
    counted.reset()
    result = await memory.recall("t1", "r1")
    assert len(result.history) == 4
    assert dict(counted.calls) == {"get_thread_by_id": 1, "list_messages": 1}


async def test_storage_errors_surface_unwrapped(tmp_path: Path) -> None:
    # recall reads concurrently; a failure must still be the typed error, not a group
    storage = await open_storage("libsql", tmp_path)
    memory = Memory(storage)
    await memory.save_turn("t1", "r1", turn("t1", "r1", 2))
    await storage.close()
    with pytest.raises(UnavailableError, match="closed"):
        await memory.recall("t1", "r1")
    with pytest.raises(UnavailableError, match="closed"):
        await memory.save_turn("t1", "r1", turn("t1", "r1", 1, start=5))


def test_importing_memory_loads_no_driver_or_model() -> None:
    code = (
        "import sys, mastra_storage.memory, mastra_storage.memory.minilm; "
        "bad = {'libsql', 'torch', 'sentence_transformers', 'fastapi'} & set(sys.modules); "
        "print(sorted(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
