"""Memory domain, ``clone_thread`` (spec 5.6)."""

from __future__ import annotations

import pytest

from ...composite import MastraStorage
from ...domains.memory import MessageFilter
from ...errors import ConflictError, NotFoundError, ValidationError
from ...timeutil import parse_iso
from ..data import BASE_TIME, at, sample_message, sample_thread, uid
from ._base import ConformanceBase
from ._util import all_messages, ids, thread_with_messages


class CloneThreadTests(ConformanceBase):
    """Copying a thread and a filtered subset of its messages under new ids."""

    async def test_clone_copies_thread_and_messages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        source, messages = await thread_with_messages(memory, 4, base=BASE_TIME)
        source_before = await memory.get_thread_by_id(source.id)
        result = await memory.clone_thread(source.id, new_thread_id="clone-1")
        thread = result.thread
        assert thread.id == "clone-1"
        assert thread.resource_id == source.resource_id
        assert thread.title == f"Clone of {source.title}"
        assert thread.created_at == thread.updated_at
        assert await memory.get_thread_by_id("clone-1") == thread
        copies = result.cloned_messages
        assert len(copies) == 4
        assert set(result.message_id_map) == set(ids(messages))
        assert [result.message_id_map[m.id] for m in messages] == ids(copies)
        assert not set(ids(copies)) & set(ids(messages))
        for original, copy in zip(messages, copies, strict=True):
            assert copy.thread_id == "clone-1"
            assert copy.resource_id == source.resource_id
            assert (copy.created_at, copy.role, copy.type) == (
                original.created_at,
                original.role,
                original.type,
            )
            assert copy.content == original.content
        stored = await all_messages(memory, "clone-1")
        assert [m.to_dict() for m in stored] == [m.to_dict() for m in copies]
        assert await all_messages(memory, source.id) == messages
        assert await memory.get_thread_by_id(source.id) == source_before

    async def test_clone_metadata_records_provenance(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        source, messages = await thread_with_messages(memory, 3, base=BASE_TIME)
        result = await memory.clone_thread(source.id, metadata={"purpose": "branch"})
        metadata = result.thread.metadata
        assert metadata is not None
        assert metadata["purpose"] == "branch"
        clone = metadata["clone"]
        assert clone["sourceThreadId"] == source.id
        assert clone["lastMessageId"] == messages[-1].id
        assert parse_iso(clone["clonedAt"]) == result.thread.created_at
        assert result.thread.id != source.id
        assert await memory.get_thread_by_id(result.thread.id) == result.thread

    async def test_clone_with_overrides(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        source, _ = await thread_with_messages(memory, 2, base=BASE_TIME)
        target_resource = uid("resource")
        result = await memory.clone_thread(
            source.id, new_thread_id=uid("thread"), resource_id=target_resource, title="Fork"
        )
        assert result.thread.title == "Fork"
        assert result.thread.resource_id == target_resource
        assert all(m.resource_id == target_resource for m in result.cloned_messages)
        listed = await memory.list_threads(resource_id=target_resource)
        assert ids(listed.items) == [result.thread.id]

    async def test_clone_of_untitled_thread(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        source = await memory.save_thread(sample_thread(title=""))
        result = await memory.clone_thread(source.id)
        assert result.thread.title == ""
        assert result.cloned_messages == []
        assert result.message_id_map == {}
        assert "lastMessageId" not in (result.thread.metadata or {})["clone"]

    async def test_clone_message_limit_keeps_most_recent(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        source, messages = await thread_with_messages(memory, 5, base=BASE_TIME)
        result = await memory.clone_thread(source.id, message_limit=2)
        assert [m.content for m in result.cloned_messages] == [m.content for m in messages[3:]]
        assert set(result.message_id_map) == set(ids(messages[3:]))
        stored = await all_messages(memory, result.thread.id)
        assert [m.created_at for m in stored] == [m.created_at for m in messages[3:]]

    async def test_clone_filters_by_message_ids_and_dates(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        source, m = await thread_with_messages(memory, 6, base=BASE_TIME)
        by_ids = await memory.clone_thread(
            source.id, message_filter=MessageFilter(message_ids=[m[4].id, m[1].id, "unknown"])
        )
        assert list(by_ids.message_id_map) == [m[1].id, m[4].id]
        by_dates = await memory.clone_thread(
            source.id,
            message_filter=MessageFilter(start_date=m[1].created_at, end_date=m[3].created_at),
        )
        assert list(by_dates.message_id_map) == ids(m[1:4])
        combined = await memory.clone_thread(
            source.id,
            message_limit=1,
            message_filter=MessageFilter(start_date=m[1].created_at, end_date=m[3].created_at),
        )
        assert list(combined.message_id_map) == [m[3].id]
        nothing = await memory.clone_thread(
            source.id, message_filter=MessageFilter(start_date=at(BASE_TIME, days=1))
        )
        assert nothing.cloned_messages == []
        assert await all_messages(memory, nothing.thread.id) == []

    async def test_clone_preserves_order_of_equal_timestamps(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        source = await memory.save_thread(sample_thread())
        same = at(BASE_TIME, ms=1)
        messages = [
            sample_message(thread=source, id=f"{source.id}-{k}", text=k, created_at=same)
            for k in "dacb"
        ]
        await memory.save_messages(messages)
        result = await memory.clone_thread(source.id)
        stored = await all_messages(memory, result.thread.id)
        assert [m.text for m in stored] == list("dacb")
        assert ids(stored) == [result.message_id_map[m.id] for m in messages]

    async def test_clone_missing_source_raises_not_found(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        with pytest.raises(NotFoundError):
            await memory.clone_thread("no-such-thread", new_thread_id="never")
        assert await memory.get_thread_by_id("never") is None

    async def test_clone_onto_existing_thread_raises_conflict(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        source, messages = await thread_with_messages(memory, 2, base=BASE_TIME)
        existing, existing_messages = await thread_with_messages(memory, 1, base=BASE_TIME)
        before = await memory.get_thread_by_id(existing.id)
        with pytest.raises(ConflictError):
            await memory.clone_thread(source.id, new_thread_id=existing.id)
        assert await memory.get_thread_by_id(existing.id) == before
        assert await all_messages(memory, existing.id) == existing_messages
        assert await all_messages(memory, source.id) == messages
        assert (await memory.list_threads()).total == 2

    async def test_clone_rejects_invalid_arguments(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        source, _ = await thread_with_messages(memory, 1, base=BASE_TIME)
        with pytest.raises(ValidationError):
            await memory.clone_thread(source.id, message_limit=-1)
        with pytest.raises(ValidationError):
            await memory.clone_thread("")
        with pytest.raises(ValidationError):
            await memory.clone_thread(source.id, new_thread_id=" ")
        with pytest.raises(ValidationError):
            await memory.clone_thread(source.id, metadata={"bad": object()})
        assert (await memory.list_threads()).total == 1


__all__ = ["CloneThreadTests"]
