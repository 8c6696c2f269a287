"""Memory domain, ``update_messages`` and ``delete_messages`` (spec 12.5 and 5.4)."""

from __future__ import annotations

import asyncio

import pytest

from ...composite import MastraStorage
from ...errors import ValidationError
from ...pagination import OrderBy
from ...records import MessageUpdate
from ..data import BASE_TIME, at, sample_message, sample_thread
from ._base import ConformanceBase
from ._util import all_messages, ids, texts, thread_with_messages


class UpdateDeleteMessageTests(ConformanceBase):
    """Partial message updates (content merge, moves) and bulk deletes."""

    # ---- update_messages ---------------------------------------------------------------------

    async def test_update_a_single_field(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, (message,) = await thread_with_messages(memory, 1, base=BASE_TIME)
        result = await memory.update_messages([MessageUpdate(id=message.id, role="assistant")])
        assert len(result) == 1
        assert result[0].role == "assistant"
        assert result[0].content == message.content
        assert result[0].created_at == message.created_at
        (stored,) = await all_messages(memory, thread.id)
        assert stored.role == "assistant"
        assert stored == result[0]

    async def test_update_with_an_invalid_role_is_rejected_and_changes_nothing(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread, (message,) = await thread_with_messages(memory, 1, base=BASE_TIME)
        with pytest.raises(ValidationError):
            await memory.update_messages(
                [
                    MessageUpdate(id=message.id, content={"content": "changed"}),
                    MessageUpdate(id=message.id, role="robot"),  # type: ignore[arg-type]
                ]
            )
        (stored,) = await all_messages(memory, thread.id)
        assert stored == message

    async def test_system_messages_are_stored_listed_and_counted(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        system = sample_message(
            thread=thread, role="system", text="be brief", created_at=at(BASE_TIME, seconds=1)
        )
        user = sample_message(thread=thread, text="hi", created_at=at(BASE_TIME, seconds=2))
        await memory.save_messages([system, user])
        page = await memory.list_messages(thread_id=thread.id)
        assert [m.id for m in page.items] == [system.id, user.id]
        assert page.total == 2
        assert not page.has_more

    async def test_update_only_content_metadata(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        message = sample_message(
            thread=thread, text="keep me", content={"metadata": {"initial": True}}
        )
        await memory.save_messages([message])
        await memory.update_messages(
            [MessageUpdate(id=message.id, content={"metadata": {"updated": True}})]
        )
        (stored,) = await all_messages(memory, thread.id)
        assert stored.content.content == "keep me"
        assert stored.content.parts == message.content.parts
        assert stored.content.metadata == {"initial": True, "updated": True}

    async def test_update_only_content_string(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        message = sample_message(thread=thread, text="old", content={"metadata": {"k": "v"}})
        await memory.save_messages([message])
        await memory.update_messages([MessageUpdate(id=message.id, content={"content": "new"})])
        (stored,) = await all_messages(memory, thread.id)
        assert stored.content.content == "new"
        assert stored.content.metadata == {"k": "v"}
        assert stored.content.parts == message.content.parts
        assert stored.content.format == 2

    async def test_update_merges_metadata_one_level_deep(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        message = sample_message(
            thread=thread, content={"metadata": {"initial": True, "nested": {"a": 1}}}
        )
        await memory.save_messages([message])
        await memory.update_messages(
            [
                MessageUpdate(
                    id=message.id, content={"metadata": {"updated": True, "nested": {"b": 2}}}
                )
            ]
        )
        (stored,) = await all_messages(memory, thread.id)
        assert stored.content.metadata == {"initial": True, "updated": True, "nested": {"b": 2}}

    async def test_update_several_messages_at_once(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 3, base=BASE_TIME)
        result = await memory.update_messages(
            [
                MessageUpdate(id=messages[0].id, content={"content": "first"}),
                MessageUpdate(id=messages[2].id, role="assistant", type="custom"),
            ]
        )
        assert sorted(ids(result)) == sorted([messages[0].id, messages[2].id])
        stored = await all_messages(memory, thread.id)
        assert [m.content.content for m in stored] == ["first", "Message 2", "Message 3"]
        assert (stored[2].role, stored[2].type) == ("assistant", "custom")
        assert stored[1] == messages[1]

    async def test_update_bumps_thread_updated_at(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 2, base=BASE_TIME)
        before = await memory.get_thread_by_id(thread.id)
        assert before is not None
        await memory.update_messages([MessageUpdate(id=messages[0].id, content={"content": "x"})])
        after = await memory.get_thread_by_id(thread.id)
        assert after is not None
        assert after.updated_at > before.updated_at
        assert after.created_at == before.created_at

    async def test_update_moves_message_and_bumps_both_threads(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        source, (message,) = await thread_with_messages(memory, 1, base=BASE_TIME)
        target = await memory.save_thread(sample_thread(resource_id=source.resource_id))
        source_before = await memory.get_thread_by_id(source.id)
        assert source_before is not None
        result = await memory.update_messages([MessageUpdate(id=message.id, thread_id=target.id)])
        assert [m.thread_id for m in result] == [target.id]
        assert await all_messages(memory, source.id) == []
        moved = await all_messages(memory, target.id)
        assert ids(moved) == [message.id]
        assert moved[0].created_at == message.created_at
        source_after = await memory.get_thread_by_id(source.id)
        target_after = await memory.get_thread_by_id(target.id)
        assert source_after is not None and target_after is not None
        assert source_after.updated_at > source_before.updated_at
        assert target_after.updated_at > target.updated_at

    async def test_update_of_missing_message_is_ignored(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 2, base=BASE_TIME)
        before = await memory.get_thread_by_id(thread.id)
        result = await memory.update_messages([MessageUpdate(id="missing", role="assistant")])
        assert result == []
        assert await all_messages(memory, thread.id) == messages
        assert await memory.get_thread_by_id(thread.id) == before
        mixed = await memory.update_messages(
            [
                MessageUpdate(id="missing", role="assistant"),
                MessageUpdate(id=messages[1].id, content={"content": "hit"}),
            ]
        )
        assert ids(mixed) == [messages[1].id]
        assert texts(await all_messages(memory, thread.id))[0] == "Message 1"
        assert (await all_messages(memory, thread.id))[1].content.content == "hit"

    async def test_update_empty_list(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 1, base=BASE_TIME)
        assert await memory.update_messages([]) == []
        assert await all_messages(memory, thread.id) == messages

    async def test_invalid_update_changes_nothing(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 2, base=BASE_TIME)
        before = await memory.get_thread_by_id(thread.id)
        good = MessageUpdate(id=messages[0].id, content={"content": "should not land"})
        for bad in (
            MessageUpdate(id=""),
            MessageUpdate(id=messages[1].id, thread_id="  "),
            MessageUpdate(id=messages[1].id, content={"x": object()}),
        ):
            with pytest.raises(ValidationError):
                await memory.update_messages([good, bad])
        assert await all_messages(memory, thread.id) == messages
        assert await memory.get_thread_by_id(thread.id) == before

    async def test_concurrent_updates_of_different_messages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 5, base=BASE_TIME)
        await asyncio.gather(
            *(
                memory.update_messages([MessageUpdate(id=m.id, content={"metadata": {"n": i}})])
                for i, m in enumerate(messages)
            )
        )
        stored = await all_messages(memory, thread.id)
        assert [m.content.metadata for m in stored] == [{"n": i} for i in range(5)]
        assert ids(stored) == ids(messages)

    # ---- delete_messages ---------------------------------------------------------------------

    async def test_delete_several_messages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 5, base=BASE_TIME)
        await memory.delete_messages([messages[1].id, messages[2].id, messages[4].id])
        remaining = await all_messages(memory, thread.id)
        assert ids(remaining) == [messages[0].id, messages[3].id]
        assert await memory.list_messages_by_id(ids(messages)) == remaining

    async def test_delete_empty_list(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 2, base=BASE_TIME)
        before = await memory.get_thread_by_id(thread.id)
        await memory.delete_messages([])
        assert await all_messages(memory, thread.id) == messages
        assert await memory.get_thread_by_id(thread.id) == before

    async def test_delete_missing_messages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 2, base=BASE_TIME)
        await memory.delete_messages(["missing-1", "missing-2"])
        assert await all_messages(memory, thread.id) == messages

    async def test_delete_bumps_thread_updated_at(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 2, base=BASE_TIME)
        before = await memory.get_thread_by_id(thread.id)
        assert before is not None
        await memory.delete_messages([messages[0].id])
        after = await memory.get_thread_by_id(thread.id)
        assert after is not None
        assert after.updated_at > before.updated_at

    async def test_delete_messages_of_different_threads(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        t1, m1 = await thread_with_messages(memory, 2, base=BASE_TIME)
        t2, m2 = await thread_with_messages(memory, 2, base=BASE_TIME)
        idle, m3 = await thread_with_messages(memory, 1, base=BASE_TIME)
        befores = {t.id: await memory.get_thread_by_id(t.id) for t in (t1, t2, idle)}
        await memory.delete_messages([m1[0].id, m2[1].id])
        assert ids(await all_messages(memory, t1.id)) == [m1[1].id]
        assert ids(await all_messages(memory, t2.id)) == [m2[0].id]
        assert ids(await all_messages(memory, idle.id)) == ids(m3)
        for thread in (t1, t2):
            after = await memory.get_thread_by_id(thread.id)
            before = befores[thread.id]
            assert after is not None and before is not None
            assert after.updated_at > before.updated_at
        assert await memory.get_thread_by_id(idle.id) == befores[idle.id]

    async def test_delete_large_batch(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        messages = [
            sample_message(thread=thread, text=f"bulk {i}", created_at=at(BASE_TIME, ms=i))
            for i in range(100)
        ]
        await memory.save_messages(messages)
        await memory.delete_messages(ids(messages[::2]))
        page = await memory.list_messages(
            thread_id=thread.id,
            per_page=100,
            order_by=OrderBy(field="created_at", direction="DESC"),
        )
        assert page.total == 50
        assert ids(page.items) == list(reversed(ids(messages[1::2])))

    async def test_delete_mixed_valid_and_missing_ids(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 3, base=BASE_TIME)
        await memory.delete_messages(["missing", messages[1].id, "also-missing", messages[1].id])
        assert ids(await all_messages(memory, thread.id)) == [messages[0].id, messages[2].id]

    async def test_delete_rejects_invalid_ids(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 2, base=BASE_TIME)
        with pytest.raises(ValidationError):
            await memory.delete_messages(messages[0].id)
        with pytest.raises(ValidationError):
            await memory.delete_messages([messages[0].id, ""])
        assert await all_messages(memory, thread.id) == messages


__all__ = ["UpdateDeleteMessageTests"]
