"""Memory domain, reading and writing messages (spec 12.3, 12.4, 5.3 and 5.4)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import NamedTuple

import msgspec
import pytest

from ...composite import MastraStorage
from ...domains.memory import IncludeSpec, MemoryStore
from ...errors import NotFoundError, NotSupportedError, ValidationError
from ...pagination import DateRange, OrderBy
from ...records import Message, Thread
from ...timeutil import UTC
from ..data import BASE_TIME, at, sample_message, sample_thread, uid
from ._base import ConformanceBase, resource_scoped_queries
from ._util import all_messages, ids, texts, thread_with_messages

ASC = OrderBy(field="created_at", direction="ASC")
DESC = OrderBy(field="created_at", direction="DESC")


class _Seed(NamedTuple):
    thread: Thread
    messages: list[Message]  # "Message 1".."Message 5" at BASE+1..5 s
    other_thread: Thread
    other_message: Message  # "Other 1" at BASE+6 s, same resource


async def _seed(memory: MemoryStore) -> _Seed:
    thread, messages = await thread_with_messages(memory, 5, base=BASE_TIME)
    other = await memory.save_thread(sample_thread(resource_id=thread.resource_id))
    other_message = sample_message(
        thread=other, text="Other 1", created_at=at(BASE_TIME, seconds=6)
    )
    await memory.save_messages([other_message])
    return _Seed(thread, messages, other, other_message)


async def _cursor_walk(
    memory: MemoryStore, thread_id: str, *, per_page: int, order: OrderBy
) -> tuple[list[str], int]:
    page = await memory.list_messages(thread_id=thread_id, per_page=per_page, order_by=order)
    seen = ids(page.items)
    pages = 1
    while page.next_cursor is not None:
        page = await memory.list_messages(
            thread_id=thread_id, per_page=per_page, order_by=order, cursor=page.next_cursor
        )
        seen.extend(ids(page.items))
        pages += 1
        assert pages < 50, "cursor paging does not terminate"
    return seen, pages


class MessageTests(ConformanceBase):
    """``save_messages``, ``list_messages``, ``list_messages_by_resource_id``, ``..._by_id``."""

    # ---- list_messages basics (12.3) ---------------------------------------------------------

    async def test_list_all_messages_of_a_thread(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(thread_id=seed.thread.id, per_page=None)
        assert texts(page.items) == [f"Message {i}" for i in range(1, 6)]
        assert (page.total, page.page, page.per_page, page.has_more) == (5, 0, None, False)
        assert all(isinstance(m, Message) and m.content.format == 2 for m in page.items)
        assert page.items == seed.messages

    async def test_message_parts_round_trip_exactly(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        parts = [
            {
                "type": "text",
                "text": "hello",
                "providerMetadata": {"mastra": {"tokenEstimate": {"v": 1, "count": 7}}},
            },
            {"type": "step-start"},
            {
                "type": "tool-invocation",
                "toolInvocation": {
                    "state": "result",
                    "toolCallId": "call-1",
                    "toolName": "search",
                    "args": {"q": "x", "n": 2},
                    "result": [{"title": "t", "score": 0.5, "ok": True, "none": None}],
                },
            },
            {"type": "data-progress", "id": "p1", "data": {"percent": 50}},
        ]
        message = sample_message(
            thread=thread,
            content={
                "parts": parts,
                "content": "hello",
                "metadata": {"source": "test"},
                "futureField": {"kept": True},
            },
        )
        await memory.save_messages([message])
        (stored,) = await all_messages(memory, thread.id)
        assert stored.to_dict() == message.to_dict()
        estimate = stored.content.parts[0]["providerMetadata"]["mastra"]["tokenEstimate"]
        assert estimate == {"v": 1, "count": 7}
        assert stored.to_dict()["content"]["futureField"] == {"kept": True}

    async def test_list_message_parts_matches_list_messages(self, storage: MastraStorage) -> None:
        """``list_message_parts`` (the records path, or a backend's stored-JSON path when it
        has ``SupportsMessageJSON``) returns what ``list_messages`` returns, and parts the
        caller may mutate without changing what is stored."""
        memory = await self.memory(storage)
        seed = await _seed(memory)
        for limit in (None, 3):
            newest = await memory.list_messages(
                thread_id=seed.thread.id,
                per_page=limit,
                order_by=OrderBy(field="created_at", direction="DESC"),
                include_total=False,
            )
            expected = [(m.id, m.role, m.content.parts) for m in reversed(newest.items)]
            got = await memory.list_message_parts(seed.thread.id, limit=limit)
            assert [(p.id, p.role, p.parts) for p in got] == expected
        got[0].parts.append({"type": "text", "text": "mutated"})
        again = await memory.list_message_parts(seed.thread.id, limit=3)
        assert again[0].parts == expected[0][2]
        assert await memory.list_message_parts(seed.thread.id, limit=0) == []

    async def test_list_messages_paginated(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        expected = [(2, True), (2, True), (1, False)]
        seen: list[str] = []
        for page_no, (count, more) in enumerate(expected):
            page = await memory.list_messages(thread_id=seed.thread.id, page=page_no, per_page=2)
            assert (len(page.items), page.has_more) == (count, more)
            assert (page.total, page.page, page.per_page) == (5, page_no, 2)
            seen.extend(texts(page.items))
        assert seen == [f"Message {i}" for i in range(1, 6)]

    async def test_filter_messages_by_resource_id(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        stranger = sample_message(
            thread=seed.thread, resource_id="other-resource", created_at=at(BASE_TIME, seconds=3)
        )
        await memory.save_messages([stranger])
        page = await memory.list_messages(
            thread_id=seed.thread.id, resource_id=seed.thread.resource_id
        )
        assert page.total == 5
        assert all(m.resource_id == seed.thread.resource_id for m in page.items)
        assert stranger.id not in ids(page.items)
        everything = await memory.list_messages(thread_id=seed.thread.id)
        assert everything.total == 6

    async def test_filter_messages_by_date_range_start(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        now = at(BASE_TIME, seconds=1000)
        yesterday = now - timedelta(days=1)
        two_days_ago = now - timedelta(days=2)
        await memory.save_messages(
            [
                sample_message(thread=thread, text="old", created_at=two_days_ago),
                sample_message(thread=thread, text="yesterday", created_at=yesterday),
                sample_message(thread=thread, text="now", created_at=now),
            ]
        )
        page = await memory.list_messages(
            thread_id=thread.id, date_range=DateRange(start=yesterday)
        )
        assert page.total == 2
        assert texts(page.items) == ["yesterday", "now"]

    async def test_include_with_previous_messages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        m = seed.messages
        page = await memory.list_messages(
            thread_id=seed.thread.id, include=[IncludeSpec(id=m[2].id, with_previous_messages=2)]
        )
        assert ids(page.items) == ids(m)
        # a page that does not contain the window: the window comes from outside the page
        narrow = await memory.list_messages(
            thread_id=seed.thread.id,
            per_page=1,
            page=0,
            include=[IncludeSpec(id=m[3].id, with_previous_messages=1)],
        )
        assert ids(narrow.items) == [m[0].id, m[2].id, m[3].id]
        assert (narrow.total, narrow.has_more) == (5, True)

    async def test_include_with_next_messages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        m = seed.messages
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            per_page=1,
            order_by=DESC,
            include=[IncludeSpec(id=m[0].id, with_next_messages=2)],
        )
        assert ids(page.items) == [m[4].id, m[2].id, m[1].id, m[0].id]

    async def test_include_with_previous_and_next_messages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        m = seed.messages
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            per_page=0,
            include=[IncludeSpec(id=m[2].id, with_previous_messages=1, with_next_messages=1)],
        )
        assert ids(page.items) == [m[1].id, m[2].id, m[3].id]
        full = await memory.list_messages(
            thread_id=seed.thread.id,
            include=[IncludeSpec(id=m[2].id, with_previous_messages=1, with_next_messages=1)],
        )
        assert ids(full.items) == ids(m)

    async def test_include_messages_from_different_threads(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            include=[
                IncludeSpec(id=seed.messages[1].id, with_previous_messages=1),
                IncludeSpec(id=seed.other_message.id, thread_id=seed.other_thread.id),
            ],
        )
        assert len(page.items) == 6
        assert sum(1 for m in page.items if m.thread_id == seed.thread.id) == 5
        assert ids(page.items)[-1] == seed.other_message.id
        assert page.total == 5
        assert page.has_more is False

    async def test_include_deduplicates_overlapping_windows(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        m = seed.messages
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            include=[
                IncludeSpec(id=m[1].id, with_next_messages=2),
                IncludeSpec(id=m[2].id, with_previous_messages=2, with_next_messages=1),
            ],
        )
        assert ids(page.items) == ids(m)

    async def test_messages_sorted_ascending_by_default(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(thread_id=seed.thread.id)
        assert ids(page.items) == ids(seed.messages)
        stamps = [m.created_at for m in page.items]
        assert stamps == sorted(stamps)

    async def test_messages_sorted_ascending_explicitly(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(thread_id=seed.thread.id, order_by=ASC)
        assert ids(page.items) == ids(seed.messages)
        direction_only = await memory.list_messages(
            thread_id=seed.thread.id, order_by=OrderBy(direction="ASC")
        )
        assert ids(direction_only.items) == ids(seed.messages)

    async def test_messages_sorted_descending(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(thread_id=seed.thread.id, order_by=DESC)
        assert ids(page.items) == list(reversed(ids(seed.messages)))
        first_two = await memory.list_messages(thread_id=seed.thread.id, order_by=DESC, per_page=2)
        assert texts(first_two.items) == ["Message 5", "Message 4"]

    async def test_empty_thread_lists_nothing(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        page = await memory.list_messages(thread_id=thread.id)
        assert page.items == []
        assert (page.total, page.has_more, page.next_cursor) == (0, False, None)
        missing = await memory.list_messages(thread_id="no-such-thread")
        assert (missing.items, missing.total) == ([], 0)

    async def test_include_of_missing_message_is_ignored(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            include=[IncludeSpec(id="no-such-message", with_previous_messages=2)],
        )
        assert ids(page.items) == ids(seed.messages)
        only = await memory.list_messages(
            thread_id=seed.thread.id, per_page=0, include=[IncludeSpec(id="no-such-message")]
        )
        assert only.items == []

    async def test_blank_thread_id_is_rejected(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        message = "threadId must be a non-empty string or array of non-empty strings"
        for bad in ("", "   ", [], ["ok", " "]):
            with pytest.raises(ValidationError, match=message):
                await memory.list_messages(thread_id=bad)

    async def test_pagination_with_include_counts_thread_messages(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            per_page=3,
            order_by=ASC,
            include=[IncludeSpec(id=seed.messages[0].id, with_next_messages=10)],
        )
        assert ids(page.items) == ids(seed.messages)
        assert (page.total, page.has_more) == (5, False)

    async def test_messages_are_v2(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        for message in await all_messages(memory, seed.thread.id):
            data = message.to_dict()
            assert data["content"]["format"] == 2
            assert isinstance(data["content"]["parts"], list)
            assert data["threadId"] == seed.thread.id
            assert data["role"] in ("user", "assistant")
            assert data["createdAt"].endswith("Z")

    async def test_include_uses_the_target_messages_own_thread(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        m = seed.messages
        page = await memory.list_messages(
            thread_id=seed.other_thread.id,
            include=[
                IncludeSpec(id=m[2].id, thread_id=seed.other_thread.id, with_previous_messages=1)
            ],
        )
        assert ids(page.items) == [m[1].id, m[2].id, seed.other_message.id]
        assert page.total == 1

    async def test_pagination_with_date_range(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, _ = await thread_with_messages(memory, 10, base=BASE_TIME)
        start = at(BASE_TIME, seconds=6)  # messages 6..10
        page = await memory.list_messages(
            thread_id=thread.id, per_page=3, date_range=DateRange(start=start)
        )
        assert texts(page.items) == ["Message 6", "Message 7", "Message 8"]
        assert (page.total, page.has_more) == (5, True)
        rest = await memory.list_messages(
            thread_id=thread.id, page=1, per_page=3, date_range=DateRange(start=start)
        )
        assert texts(rest.items) == ["Message 9", "Message 10"]
        assert rest.has_more is False

    async def test_messages_of_several_threads(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        third = await memory.save_thread(sample_thread())
        ignored = sample_message(thread=third, created_at=at(BASE_TIME, seconds=2))
        await memory.save_messages([ignored])
        page = await memory.list_messages(
            thread_id=[seed.other_thread.id, seed.thread.id], order_by=DESC
        )
        assert ids(page.items) == [seed.other_message.id, *reversed(ids(seed.messages))]
        assert page.total == 6
        included = await memory.list_messages(
            thread_id=[seed.thread.id, seed.other_thread.id],
            per_page=2,
            include=[IncludeSpec(id=seed.other_message.id)],
        )
        assert ids(included.items) == [*ids(seed.messages[:2]), seed.other_message.id]
        assert (included.total, included.has_more) == (6, True)

    # ---- per_page and page -------------------------------------------------------------------

    async def test_per_page_restricts_results(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(thread_id=seed.thread.id, per_page=3)
        assert texts(page.items) == ["Message 1", "Message 2", "Message 3"]
        assert (page.total, page.page, page.per_page, page.has_more) == (5, 0, 3, True)

    async def test_per_page_none_returns_everything(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 55, base=BASE_TIME)
        page = await memory.list_messages(thread_id=thread.id, per_page=None)
        assert ids(page.items) == ids(messages)
        assert (page.total, page.per_page, page.has_more) == (55, None, False)
        default = await memory.list_messages(thread_id=thread.id)
        assert (len(default.items), default.per_page, default.has_more) == (40, 40, True)

    async def test_page_skips_messages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(thread_id=seed.thread.id, page=1, per_page=2)
        assert texts(page.items) == ["Message 3", "Message 4"]
        last = await memory.list_messages(thread_id=seed.thread.id, page=2, per_page=2)
        assert texts(last.items) == ["Message 5"]
        assert (last.page, last.has_more) == (2, False)
        beyond = await memory.list_messages(thread_id=seed.thread.id, page=9, per_page=2)
        assert (beyond.items, beyond.total, beyond.has_more) == ([], 5, False)

    async def test_per_page_with_include(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            per_page=2,
            order_by=ASC,
            include=[IncludeSpec(id=seed.messages[2].id, with_previous_messages=1)],
        )
        assert texts(page.items) == ["Message 1", "Message 2", "Message 3"]
        assert (page.total, page.has_more) == (5, True)

    async def test_per_page_with_date_range(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, _ = await thread_with_messages(memory, 8, base=BASE_TIME)
        page = await memory.list_messages(
            thread_id=thread.id,
            per_page=3,
            date_range=DateRange(start=at(BASE_TIME, seconds=2), end=at(BASE_TIME, seconds=7)),
        )
        assert page.total == 6
        assert texts(page.items) == ["Message 2", "Message 3", "Message 4"]

    async def test_per_page_with_resource_filter(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        strangers = [
            sample_message(
                thread=seed.thread, resource_id="someone-else", created_at=at(BASE_TIME, ms=500 + i)
            )
            for i in range(3)
        ]
        await memory.save_messages(strangers)
        page = await memory.list_messages(
            thread_id=seed.thread.id, resource_id=seed.thread.resource_id, per_page=2
        )
        assert texts(page.items) == ["Message 1", "Message 2"]
        assert (page.total, page.has_more) == (5, True)

    async def test_invalid_per_page_and_page(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        zero = await memory.list_messages(thread_id=seed.thread.id, per_page=0)
        assert zero.items == []
        assert (zero.total, zero.per_page, zero.has_more) == (0, 0, False)
        with pytest.raises(ValidationError, match="perPage must be >= 0"):
            await memory.list_messages(thread_id=seed.thread.id, per_page=-5)
        with pytest.raises(ValidationError, match="page must be >= 0"):
            await memory.list_messages(thread_id=seed.thread.id, page=-1)
        with pytest.raises(ValidationError):
            await memory.list_messages(thread_id=seed.thread.id, page=1, per_page=None)
        with pytest.raises(ValidationError):
            await memory.list_messages(thread_id=seed.thread.id, include=[IncludeSpec(id="")])
        with pytest.raises(ValidationError):
            await memory.list_messages(
                thread_id=seed.thread.id,
                include=[IncludeSpec(id=seed.messages[0].id, with_next_messages=-1)],
            )

    # ---- per_page=0: the include-only fast path ----------------------------------------------

    async def test_per_page_zero_returns_only_included(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        m = seed.messages
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            per_page=0,
            include=[IncludeSpec(id=m[2].id, with_previous_messages=1, with_next_messages=1)],
        )
        assert ids(page.items) == [m[1].id, m[2].id, m[3].id]
        assert (page.total, page.per_page, page.has_more, page.next_cursor) == (0, 0, False, None)

    async def test_per_page_zero_includes_other_threads(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            per_page=0,
            include=[IncludeSpec(id=seed.messages[0].id), IncludeSpec(id=seed.other_message.id)],
        )
        assert ids(page.items) == [seed.messages[0].id, seed.other_message.id]
        assert (page.total, page.has_more) == (0, False)

    async def test_per_page_zero_with_empty_include(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(thread_id=seed.thread.id, per_page=0, include=[])
        assert page.items == []
        assert (page.total, page.has_more) == (0, False)

    async def test_per_page_zero_deduplicates_windows(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        m = seed.messages
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            per_page=0,
            include=[
                IncludeSpec(id=m[1].id, with_next_messages=1),
                IncludeSpec(id=m[2].id, with_previous_messages=1),
            ],
        )
        assert ids(page.items) == [m[1].id, m[2].id]

    async def test_per_page_zero_respects_descending_order(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        m = seed.messages
        page = await memory.list_messages(
            thread_id=seed.thread.id,
            per_page=0,
            order_by=DESC,
            include=[IncludeSpec(id=m[2].id, with_previous_messages=1, with_next_messages=1)],
        )
        assert ids(page.items) == [m[3].id, m[2].id, m[1].id]

    async def test_per_page_zero_ignores_the_date_range_for_includes(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        m = seed.messages

        async def list_for(resource_id: str) -> list[Message]:
            page = await memory.list_messages(
                thread_id=seed.thread.id,
                resource_id=resource_id,
                per_page=0,
                date_range=DateRange(start=at(BASE_TIME, days=9)),
                include=[IncludeSpec(id=m[4].id, with_previous_messages=1)],
            )
            return page.items

        assert ids(await list_for(seed.thread.resource_id)) == [m[3].id, m[4].id]
        other = await list_for("someone-else")
        assert other == []  # ... but never the resource filter

    async def test_high_volume_scattered_includes(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        messages = [
            sample_message(thread=thread, text=f"m{i}", created_at=at(BASE_TIME, ms=i))
            for i in range(200)
        ]
        await memory.save_messages(messages)
        targets = (10, 50, 100, 150, 190)
        page = await memory.list_messages(
            thread_id=thread.id,
            per_page=0,
            include=[
                IncludeSpec(id=messages[t].id, with_previous_messages=2, with_next_messages=2)
                for t in reversed(targets)
            ],
        )
        expected = [messages[i].id for t in targets for i in range(t - 2, t + 3)]
        assert ids(page.items) == expected
        assert (page.total, page.has_more) == (0, False)
        edges = await memory.list_messages(
            thread_id=thread.id,
            per_page=0,
            include=[
                IncludeSpec(id=messages[0].id, with_previous_messages=5),
                IncludeSpec(id=messages[199].id, with_next_messages=5, with_previous_messages=1),
            ],
        )
        assert ids(edges.items) == [messages[0].id, messages[198].id, messages[199].id]

    # ---- list_messages_by_resource_id --------------------------------------------------------

    async def test_resource_scoped_queries_follow_the_capability(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        assert memory.supports_resource_scoped_queries == resource_scoped_queries(memory)
        if not resource_scoped_queries(memory):
            with pytest.raises(NotSupportedError):
                await memory.list_messages_by_resource_id(resource_id="r")
        else:
            page = await memory.list_messages_by_resource_id(resource_id="r")
            assert (page.items, page.total) == ([], 0)

    async def _resource_fixture(
        self, memory: MemoryStore
    ) -> tuple[str, list[Message], list[Message]]:
        self.require_resource_scoped_queries(memory)
        resource = uid("resource")
        a = await memory.save_thread(sample_thread(resource_id=resource))
        b = await memory.save_thread(sample_thread(resource_id=resource))
        other = await memory.save_thread(sample_thread())
        mine = [
            sample_message(
                thread=a if i % 2 else b, text=f"R{i}", created_at=at(BASE_TIME, seconds=i)
            )
            for i in range(7)
        ]
        theirs = [
            sample_message(thread=other, created_at=at(BASE_TIME, seconds=i)) for i in range(3)
        ]
        await memory.save_messages(mine + theirs)
        return resource, mine, theirs

    async def test_list_messages_by_resource_across_threads(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, mine, theirs = await self._resource_fixture(memory)
        page = await memory.list_messages_by_resource_id(resource_id=resource, per_page=None)
        assert ids(page.items) == ids(mine)
        assert page.total == 7
        assert not set(ids(theirs)) & set(ids(page.items))
        desc = await memory.list_messages_by_resource_id(resource_id=resource, order_by=DESC)
        assert ids(desc.items) == list(reversed(ids(mine)))

    async def test_list_messages_by_resource_with_date_range(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, mine, _ = await self._resource_fixture(memory)
        page = await memory.list_messages_by_resource_id(
            resource_id=resource, date_range=DateRange(start=at(BASE_TIME, seconds=4))
        )
        assert ids(page.items) == ids(mine[4:])
        assert {m.thread_id for m in page.items} == {m.thread_id for m in mine}
        assert page.total == 3

    async def test_list_messages_by_unknown_resource(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        await self._resource_fixture(memory)
        page = await memory.list_messages_by_resource_id(resource_id="nobody")
        assert (page.items, page.total, page.has_more) == ([], 0, False)
        with pytest.raises(ValidationError):
            await memory.list_messages_by_resource_id(resource_id=" ")

    async def test_list_messages_by_resource_paginated(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, mine, _ = await self._resource_fixture(memory)
        page = await memory.list_messages_by_resource_id(resource_id=resource, per_page=2)
        assert ids(page.items) == ids(mine[:2])
        assert (page.total, page.has_more) == (7, True)
        seen = ids(page.items)
        while page.next_cursor is not None:
            page = await memory.list_messages_by_resource_id(
                resource_id=resource, per_page=2, cursor=page.next_cursor
            )
            seen.extend(ids(page.items))
        assert seen == ids(mine)

    async def test_list_messages_by_resource_with_include(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, mine, _ = await self._resource_fixture(memory)
        page = await memory.list_messages_by_resource_id(
            resource_id=resource,
            per_page=0,
            include=[IncludeSpec(id=mine[3].id, with_previous_messages=1)],
        )
        assert ids(page.items) == [mine[1].id, mine[3].id]  # the window is in mine[3]'s thread
        assert page.total == 0

    async def test_include_never_crosses_the_resource_filter(self, storage: MastraStorage) -> None:
        """An include id of another tenant's message reveals nothing (Mastra PR #20902)."""
        memory = await self.memory(storage)
        resource, mine, theirs = await self._resource_fixture(memory)
        for per_page in (0, 40):
            page = await memory.list_messages_by_resource_id(
                resource_id=resource,
                per_page=per_page,
                include=[IncludeSpec(id=theirs[1].id, with_previous_messages=1)],
            )
            assert not set(ids(page.items)) & set(ids(theirs))
            scoped = await memory.list_messages(
                thread_id=mine[0].thread_id or "",
                resource_id=resource,
                per_page=per_page,
                include=[IncludeSpec(id=theirs[1].id, with_next_messages=1)],
            )
            assert not set(ids(scoped.items)) & set(ids(theirs))
        unscoped = await memory.list_messages(
            thread_id=mine[0].thread_id or "",
            per_page=0,
            include=[IncludeSpec(id=theirs[1].id)],
        )
        assert ids(unscoped.items) == [theirs[1].id]

    # ---- include across batches and threads --------------------------------------------------

    async def test_include_sorts_messages_saved_in_separate_batches(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        batches = [(1, 4), (2, 5), (3,)]
        by_second: dict[int, Message] = {}
        for batch in batches:
            msgs = [
                sample_message(thread=thread, text=f"s{s}", created_at=at(BASE_TIME, seconds=s))
                for s in batch
            ]
            by_second.update(zip(batch, msgs, strict=True))
            await memory.save_messages(msgs)
        page = await memory.list_messages(
            thread_id=thread.id,
            per_page=0,
            include=[
                IncludeSpec(id=by_second[3].id, with_previous_messages=2, with_next_messages=2)
            ],
        )
        assert texts(page.items) == ["s1", "s2", "s3", "s4", "s5"]

    async def test_included_messages_interleave_by_timestamp(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        other = await memory.save_thread(sample_thread())
        await memory.save_messages(
            [
                sample_message(thread=thread, text=f"t{s}", created_at=at(BASE_TIME, seconds=s))
                for s in (1, 3, 5)
            ]
        )
        theirs = [
            sample_message(thread=other, text=f"o{s}", created_at=at(BASE_TIME, seconds=s))
            for s in (2, 4)
        ]
        await memory.save_messages(theirs)
        page = await memory.list_messages(
            thread_id=thread.id, include=[IncludeSpec(id=theirs[1].id)]
        )
        assert texts(page.items) == ["t1", "t3", "o4", "t5"]
        desc = await memory.list_messages(
            thread_id=thread.id, order_by=DESC, include=[IncludeSpec(id=theirs[1].id)]
        )
        assert texts(desc.items) == ["t5", "o4", "t3", "t1"]

    # ---- saving (12.4) -----------------------------------------------------------------------

    async def test_paginated_messages_saved_one_at_a_time(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        saved = []
        for i in range(15):
            message = sample_message(
                thread=thread, text=f"n{i}", created_at=at(BASE_TIME, seconds=i)
            )
            await memory.save_messages([message])
            saved.append(message)
        seen: list[str] = []
        for page_no, more in enumerate((True, True, False)):
            page = await memory.list_messages(thread_id=thread.id, page=page_no, per_page=5)
            assert (len(page.items), page.total, page.has_more) == (5, 15, more)
            seen.extend(ids(page.items))
        assert seen == ids(saved)

    async def test_date_filter_with_pagination(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        now = at(BASE_TIME, days=30)
        yesterday = now - timedelta(days=1)
        stamps = [
            now - timedelta(days=3),
            now - timedelta(days=2),
            yesterday,
            yesterday + timedelta(hours=1),
            now - timedelta(hours=1),
            now,
        ]
        await memory.save_messages([sample_message(thread=thread, created_at=s) for s in stamps])
        page = await memory.list_messages(
            thread_id=thread.id, per_page=3, date_range=DateRange(start=yesterday)
        )
        assert page.total == 4
        assert len(page.items) == 3
        assert all(m.created_at >= yesterday for m in page.items)
        assert page.has_more is True

    async def test_save_and_retrieve_messages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        messages = [
            sample_message(thread=thread, role="user", created_at=at(BASE_TIME, seconds=1)),
            sample_message(thread=thread, role="assistant", created_at=at(BASE_TIME, seconds=2)),
        ]
        result = await memory.save_messages(messages)
        assert result == messages
        listed = await all_messages(memory, thread.id)
        assert [m.to_dict() for m in listed] == [m.to_dict() for m in messages]

    async def test_save_empty_message_list(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        assert await memory.save_messages([]) == []
        assert await all_messages(memory, thread.id) == []
        after = await memory.get_thread_by_id(thread.id)
        assert after == thread

    async def test_messages_keep_creation_order(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        messages = [sample_message(thread=thread, text=f"o{i}") for i in range(5)]
        for message in messages:
            await memory.save_messages([message])
        listed = await all_messages(memory, thread.id)
        assert ids(listed) == ids(messages)
        stamps = [m.created_at for m in listed]
        assert stamps == sorted(stamps)

    async def test_invalid_message_rolls_back_the_batch(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        good = sample_message(thread=thread)
        bad = sample_message(thread=thread).replace(resource_id=None)
        with pytest.raises(ValidationError):
            await memory.save_messages([good, bad])
        assert await all_messages(memory, thread.id) == []
        assert await memory.list_messages_by_id([good.id, bad.id]) == []
        assert await memory.get_thread_by_id(thread.id) == thread

    async def test_invalid_batch_leaves_existing_messages_untouched(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        existing = sample_message(thread=thread, text="original")
        await memory.save_messages([existing])
        before = await memory.get_thread_by_id(thread.id)
        overwrite = existing.replace(content=existing.content.replace(content="changed"))
        unserialisable = sample_message(thread=thread, content={"parts": [{"x": object()}]})
        for batch in (
            [overwrite, sample_message(thread=thread).replace(thread_id=None)],
            [overwrite, sample_message(thread=thread).replace(thread_id="  ")],
            [overwrite, sample_message(thread=thread).replace(id="")],
            [overwrite, unserialisable],
        ):
            with pytest.raises(ValidationError):
                await memory.save_messages(batch)
        listed = await all_messages(memory, thread.id)
        assert [m.to_dict() for m in listed] == [existing.to_dict()]
        assert await memory.get_thread_by_id(thread.id) == before

    async def test_save_to_missing_thread_raises_and_writes_nothing(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        ok = sample_message(thread=thread)
        orphan = sample_message(thread_id="no-such-thread", resource_id=thread.resource_id)
        with pytest.raises(NotFoundError):
            await memory.save_messages([ok, orphan])
        with pytest.raises(NotFoundError):
            await memory.save_messages([orphan])
        assert await memory.list_messages_by_id([ok.id, orphan.id]) == []
        assert await memory.get_thread_by_id(thread.id) == thread
        assert await memory.get_thread_by_id("no-such-thread") is None

    async def test_resaving_a_stored_id_to_a_missing_thread_moves_nothing(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        stored = sample_message(thread=thread)
        await memory.save_messages([stored])
        before = await memory.get_thread_by_id(thread.id)
        moved = msgspec.structs.replace(stored, thread_id="no-such-thread")
        with pytest.raises(NotFoundError):
            await memory.save_messages([moved])
        assert [m.to_dict() for m in await memory.list_messages_by_id([stored.id])] == [
            stored.to_dict()
        ]
        assert await memory.get_thread_by_id(thread.id) == before

    async def test_naive_datetimes_in_messages_are_rejected(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        naive = datetime(2024, 1, 1, 12)  # naive on purpose
        with pytest.raises(ValidationError):
            sample_message(thread=seed.thread, created_at=naive)
        with pytest.raises(ValidationError):
            await memory.list_messages(thread_id=seed.thread.id, date_range=DateRange(start=naive))
        with pytest.raises(ValidationError):
            await memory.list_messages(
                thread_id=seed.thread.id, date_range=DateRange(end="not a date")
            )
        assert ids(await all_messages(memory, seed.thread.id)) == ids(seed.messages)

    async def test_cross_thread_includes_with_per_page_zero(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = uid("resource")
        t1 = await memory.save_thread(sample_thread(resource_id=resource))
        t2 = await memory.save_thread(sample_thread(resource_id=resource))
        t3 = await memory.save_thread(sample_thread())
        groups = {}
        for n, thread in enumerate((t1, t2, t3)):
            msgs = [
                sample_message(thread=thread, created_at=at(BASE_TIME, seconds=10 * n + i))
                for i in range(3)
            ]
            await memory.save_messages(msgs)
            groups[thread.id] = msgs
        a, b, c = groups[t1.id], groups[t2.id], groups[t3.id]
        includes = [
            IncludeSpec(id=b[1].id, with_previous_messages=1, with_next_messages=1),
            IncludeSpec(id=c[1].id, with_previous_messages=1, with_next_messages=1),
        ]
        six = await memory.list_messages(thread_id=t1.id, per_page=0, include=includes)
        assert ids(six.items) == ids(b) + ids(c)
        # Mastra returns all six here too; we scope includes to the resource filter.
        scoped = await memory.list_messages(
            thread_id=t1.id, resource_id=resource, per_page=0, include=includes
        )
        assert ids(scoped.items) == ids(b)
        clamped = await memory.list_messages(
            thread_id=t1.id,
            per_page=0,
            include=[IncludeSpec(id=a[0].id, with_next_messages=30)],
        )
        assert ids(clamped.items) == ids(a)
        previous = await memory.list_messages(
            thread_id=t2.id,
            per_page=0,
            include=[IncludeSpec(id=c[2].id, with_previous_messages=30)],
        )
        assert ids(previous.items) == ids(c)

    async def test_last_messages_plus_cross_thread_include(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        t = await memory.save_thread(sample_thread())
        t2 = await memory.save_thread(sample_thread(resource_id=t.resource_id))
        a, b, c = (
            sample_message(thread=t, text=x, created_at=at(BASE_TIME, seconds=i))
            for i, x in enumerate("ABC")
        )
        d, e, f = (
            sample_message(thread=t2, text=x, created_at=at(BASE_TIME, seconds=10 + i))
            for i, x in enumerate("DEF")
        )
        await memory.save_messages([a, b, c])
        await memory.save_messages([d, e, f])
        page = await memory.list_messages(
            thread_id=t.id,
            per_page=2,
            order_by=DESC,
            include=[
                IncludeSpec(
                    id=e.id, thread_id=t2.id, with_previous_messages=1, with_next_messages=1
                )
            ],
        )
        assert texts(page.items) == ["F", "E", "D", "C", "B"]
        assert (page.total, page.has_more) == (3, True)

    async def test_upsert_moves_message_to_another_thread(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        t1 = await memory.save_thread(sample_thread())
        t2 = await memory.save_thread(sample_thread(resource_id=t1.resource_id))
        message = sample_message(thread=t1, text="before")
        await memory.save_messages([message])
        moved = sample_message(
            thread=t2, id=message.id, text="after", created_at=message.created_at
        )
        await memory.save_messages([moved])
        assert await all_messages(memory, t1.id) == []
        (stored,) = await all_messages(memory, t2.id)
        assert (stored.id, stored.thread_id, stored.text) == (message.id, t2.id, "after")
        assert [m.thread_id for m in await memory.list_messages_by_id([message.id])] == [t2.id]
        bumped = await memory.get_thread_by_id(t2.id)
        assert bumped is not None and bumped.updated_at > t2.updated_at

    async def test_saving_messages_bumps_every_thread_of_the_batch(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        t1 = await memory.save_thread(sample_thread())
        t2 = await memory.save_thread(sample_thread())
        idle = await memory.save_thread(sample_thread())
        await memory.save_messages([sample_message(thread=t1), sample_message(thread=t2)])
        for thread in (t1, t2):
            after = await memory.get_thread_by_id(thread.id)
            assert after is not None
            assert after.updated_at > thread.updated_at
            assert after.created_at == thread.created_at
        assert await memory.get_thread_by_id(idle.id) == idle

    async def test_upsert_same_id_updates_in_place(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        same = at(BASE_TIME, seconds=5)
        first, second, third = (
            sample_message(thread=thread, text=f"v{i}", created_at=same) for i in range(3)
        )
        await memory.save_messages([first, second, third])
        rewritten = sample_message(
            thread=thread,
            id=second.id,
            text="rewritten",
            role="assistant",
            created_at=at(BASE_TIME, seconds=99),
        )
        await memory.save_messages([rewritten])
        listed = await all_messages(memory, thread.id)
        assert ids(listed) == [first.id, second.id, third.id]
        assert listed[1].text == "rewritten"
        assert listed[1].role == "assistant"
        assert listed[1].created_at == same, "an upsert must keep the stored created_at"
        assert (await memory.list_messages(thread_id=thread.id)).total == 3

    async def test_repeated_ids_in_one_batch_keep_the_last(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        same = at(BASE_TIME, seconds=1)
        x1 = sample_message(thread=thread, id="dup-x", text="x first", created_at=same)
        y = sample_message(thread=thread, id="dup-y", text="y", created_at=same)
        x2 = sample_message(thread=thread, id="dup-x", text="x last", created_at=same)
        await memory.save_messages([x1, y, x2])
        listed = await all_messages(memory, thread.id)
        assert texts(listed) == ["y", "x last"]

    async def test_save_messages_requires_thread_and_resource(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        with pytest.raises(ValidationError):
            await memory.save_messages([sample_message(thread=thread).replace(thread_id=None)])
        with pytest.raises(ValidationError):
            await memory.save_messages([sample_message(thread=thread).replace(resource_id="")])
        assert await all_messages(memory, thread.id) == []

    # ---- equal timestamps keep insertion order -----------------------------------------------

    async def test_equal_timestamps_keep_insertion_order_one_at_a_time(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        same = at(BASE_TIME, ms=42)
        # ids deliberately out of lexical order
        messages = [
            sample_message(thread=thread, id=f"{thread.id}-{k}", created_at=same)
            for k in ("e", "a", "d", "b", "c")
        ]
        for message in messages:
            await memory.save_messages([message])
        asc = await memory.list_messages(thread_id=thread.id, order_by=ASC)
        assert ids(asc.items) == ids(messages)
        desc = await memory.list_messages(thread_id=thread.id, order_by=DESC)
        assert ids(desc.items) == list(reversed(ids(messages)))
        by_id = await memory.list_messages_by_id(list(reversed(ids(messages))))
        assert ids(by_id) == ids(messages)

    async def test_equal_timestamps_keep_insertion_order_in_a_batch(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        same = at(BASE_TIME, ms=42)
        messages = [
            sample_message(thread=thread, id=f"{thread.id}-{k}", created_at=same)
            for k in ("e", "a", "d", "b", "c")
        ]
        await memory.save_messages(messages[:2])
        await memory.save_messages(messages[2:3])
        await memory.save_messages(messages[3:])
        asc = await memory.list_messages(thread_id=thread.id, order_by=ASC)
        assert ids(asc.items) == ids(messages)
        desc = await memory.list_messages(thread_id=thread.id, order_by=DESC)
        assert ids(desc.items) == list(reversed(ids(messages)))
        paged = [
            *ids((await memory.list_messages(thread_id=thread.id, per_page=2, page=0)).items),
            *ids((await memory.list_messages(thread_id=thread.id, per_page=2, page=1)).items),
            *ids((await memory.list_messages(thread_id=thread.id, per_page=2, page=2)).items),
        ]
        assert paged == ids(messages)
        window = await memory.list_messages(
            thread_id=thread.id,
            per_page=0,
            include=[
                IncludeSpec(id=messages[2].id, with_previous_messages=1, with_next_messages=1)
            ],
        )
        assert ids(window.items) == ids(messages[1:4])

    # ---- cursors -----------------------------------------------------------------------------

    async def test_message_cursor_visits_every_message_once_ascending(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        originals = [
            sample_message(thread=thread, created_at=at(BASE_TIME, seconds=100 + i // 2))
            for i in range(11)  # pairs share a timestamp; pages of 3 split the pairs
        ]
        await memory.save_messages(originals)
        page = await memory.list_messages(thread_id=thread.id, per_page=3, order_by=ASC)
        seen = ids(page.items)
        ahead: list[str] = []
        n = 0
        while page.next_cursor is not None:
            older = sample_message(thread=thread, created_at=at(BASE_TIME, seconds=n))
            newer = sample_message(thread=thread, created_at=at(BASE_TIME, seconds=500 + n))
            await memory.save_messages([older, newer])
            ahead.append(newer.id)
            n += 1
            page = await memory.list_messages(
                thread_id=thread.id, per_page=3, order_by=ASC, cursor=page.next_cursor
            )
            seen.extend(ids(page.items))
            assert n < 30, "cursor paging does not terminate"
        assert len(seen) == len(set(seen)), "a message was visited twice"
        assert seen[: len(originals)] == ids(originals)
        assert seen[len(originals) :] == ahead

    async def test_message_cursor_visits_every_message_once_descending(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        originals = [
            sample_message(thread=thread, created_at=at(BASE_TIME, seconds=100 + i // 2))
            for i in range(9)
        ]
        await memory.save_messages(originals)
        page = await memory.list_messages(thread_id=thread.id, per_page=2, order_by=DESC)
        seen = ids(page.items)
        n = 0
        while page.next_cursor is not None:
            # newer messages sort before the cursor in DESC order: never visited
            await memory.save_messages(
                [sample_message(thread=thread, created_at=at(BASE_TIME, seconds=900 + n))]
            )
            n += 1
            page = await memory.list_messages(
                thread_id=thread.id, per_page=2, order_by=DESC, cursor=page.next_cursor
            )
            seen.extend(ids(page.items))
            assert n < 30, "cursor paging does not terminate"
        assert seen == list(reversed(ids(originals)))
        assert page.has_more is False

    async def test_message_cursor_with_date_range_and_threads(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        window = DateRange(start=at(BASE_TIME, seconds=2), end=at(BASE_TIME, seconds=6))
        threads = [seed.thread.id, seed.other_thread.id]
        page = await memory.list_messages(thread_id=threads, per_page=2, date_range=window)
        seen = ids(page.items)
        while page.next_cursor is not None:
            page = await memory.list_messages(
                thread_id=threads, per_page=2, date_range=window, cursor=page.next_cursor
            )
            seen.extend(ids(page.items))
        assert seen == [*ids(seed.messages[1:]), seed.other_message.id]
        full, _ = await _cursor_walk(memory, seed.thread.id, per_page=5, order=ASC)
        assert full == ids(seed.messages)

    async def test_message_cursor_from_another_query_is_rejected(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        page = await memory.list_messages(thread_id=seed.thread.id, per_page=2)
        cursor = page.next_cursor
        assert cursor is not None
        with pytest.raises(ValidationError):
            await memory.list_messages(thread_id=seed.other_thread.id, per_page=2, cursor=cursor)
        with pytest.raises(ValidationError):
            await memory.list_messages(
                thread_id=seed.thread.id, per_page=2, order_by=DESC, cursor=cursor
            )
        with pytest.raises(ValidationError):
            await memory.list_messages(
                thread_id=seed.thread.id,
                per_page=2,
                date_range=DateRange(start=BASE_TIME),
                cursor=cursor,
            )
        with pytest.raises(ValidationError):
            await memory.list_messages(thread_id=seed.thread.id, per_page=2, cursor="garbage")
        with pytest.raises(ValidationError):
            await memory.list_threads(per_page=2, cursor=cursor)
        again = await memory.list_messages(thread_id=seed.thread.id, per_page=2, cursor=cursor)
        assert texts(again.items) == ["Message 3", "Message 4"]

    # ---- date ranges -------------------------------------------------------------------------

    async def test_end_exclusive_windows_are_stable_under_inserts(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread, _ = await thread_with_messages(memory, 8, base=BASE_TIME)
        newest = await memory.list_messages(thread_id=thread.id, per_page=3, order_by=DESC)
        assert texts(newest.items) == ["Message 8", "Message 7", "Message 6"]
        # new messages arrive; offset paging would now repeat "Message 6"
        await memory.save_messages(
            [
                sample_message(thread=thread, created_at=at(BASE_TIME, seconds=50 + i))
                for i in range(2)
            ]
        )
        shifted = await memory.list_messages(thread_id=thread.id, page=1, per_page=3, order_by=DESC)
        assert "Message 6" in texts(shifted.items)
        older = await memory.list_messages(
            thread_id=thread.id,
            per_page=None,
            order_by=DESC,
            date_range=DateRange(end=newest.items[-1].created_at, end_exclusive=True),
        )
        assert texts(older.items) == [f"Message {i}" for i in range(5, 0, -1)]
        assert older.total == 5

    async def test_exclusive_date_bounds(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, m = await thread_with_messages(memory, 5, base=BASE_TIME)
        start, end = m[1].created_at, m[3].created_at
        cases = {
            (False, False): ["Message 2", "Message 3", "Message 4"],
            (True, False): ["Message 3", "Message 4"],
            (False, True): ["Message 2", "Message 3"],
            (True, True): ["Message 3"],
        }
        for (start_exclusive, end_exclusive), expected in cases.items():
            page = await memory.list_messages(
                thread_id=thread.id,
                date_range=DateRange(
                    start=start,
                    end=end,
                    start_exclusive=start_exclusive,
                    end_exclusive=end_exclusive,
                ),
            )
            assert texts(page.items) == expected, (start_exclusive, end_exclusive)
            assert page.total == len(expected)

    async def test_date_range_with_only_end(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, m = await thread_with_messages(memory, 6, base=BASE_TIME)
        page = await memory.list_messages(
            thread_id=thread.id, date_range=DateRange(end=m[3].created_at)
        )
        assert page.total == 4
        assert texts(page.items) == [f"Message {i}" for i in range(1, 5)]

    async def test_date_range_accepts_iso_strings(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, m = await thread_with_messages(memory, 5, base=BASE_TIME)
        start = m[1].created_at.strftime("%Y-%m-%dT%H:%M:%S.") + "000Z"
        end_plus_two = (m[3].created_at + timedelta(hours=2)).replace(tzinfo=None).isoformat(
            timespec="milliseconds"
        ) + "+02:00"
        page = await memory.list_messages(
            thread_id=thread.id, date_range=DateRange(start=start, end=end_plus_two)
        )
        assert texts(page.items) == ["Message 2", "Message 3", "Message 4"]

    async def test_date_range_without_matches(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, _ = await thread_with_messages(memory, 3, base=BASE_TIME)
        page = await memory.list_messages(
            thread_id=thread.id,
            date_range=DateRange(start=at(BASE_TIME, days=5), end=at(BASE_TIME, days=6)),
        )
        assert (page.items, page.total, page.has_more) == ([], 0, False)

    async def test_paginate_within_date_range(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, m = await thread_with_messages(memory, 10, base=BASE_TIME)
        window = DateRange(start=m[2].created_at, end=m[7].created_at)
        seen: list[str] = []
        for page_no, more in enumerate((True, True, False)):
            page = await memory.list_messages(
                thread_id=thread.id, page=page_no, per_page=2, date_range=window
            )
            assert (len(page.items), page.total, page.has_more) == (2, 6, more)
            seen.extend(ids(page.items))
        assert seen == ids(m[2:8])

    async def test_date_range_has_millisecond_precision(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        base = datetime(2024, 3, 4, 5, 6, 7, 100_000, tzinfo=UTC)
        msgs = [
            sample_message(thread=thread, text=f"ms{i}", created_at=at(base, ms=i))
            for i in range(5)
        ]
        await memory.save_messages(msgs)
        inclusive = await memory.list_messages(
            thread_id=thread.id,
            date_range=DateRange(start=msgs[1].created_at, end=msgs[3].created_at),
        )
        assert texts(inclusive.items) == ["ms1", "ms2", "ms3"]
        exclusive = await memory.list_messages(
            thread_id=thread.id,
            date_range=DateRange(
                start=msgs[1].created_at,
                end=msgs[3].created_at,
                start_exclusive=True,
                end_exclusive=True,
            ),
        )
        assert texts(exclusive.items) == ["ms2"]

    # ---- list_messages_by_id (12.4 20-25) ----------------------------------------------------

    async def test_list_messages_by_id_empty(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        await _seed(memory)
        assert await memory.list_messages_by_id([]) == []
        with pytest.raises(ValidationError):
            await memory.list_messages_by_id("not-a-list")

    async def test_list_messages_by_id_sorted_ascending(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        wanted = [
            seed.messages[3].id,
            seed.other_message.id,
            seed.messages[0].id,
            seed.messages[2].id,
        ]
        found = await memory.list_messages_by_id(wanted)
        assert ids(found) == [
            seed.messages[0].id,
            seed.messages[2].id,
            seed.messages[3].id,
            seed.other_message.id,
        ]
        for previous, current in itertools.pairwise(found):
            assert current.created_at >= previous.created_at

    async def test_list_messages_by_id_returns_v2_records(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        found = await memory.list_messages_by_id(ids(seed.messages))
        assert [m.to_dict() for m in found] == [m.to_dict() for m in seed.messages]
        assert all(m.content.format == 2 for m in found)

    async def test_list_messages_by_id_across_threads_and_resources(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        seed = await _seed(memory)
        foreign = await memory.save_thread(sample_thread())
        foreign_message = sample_message(thread=foreign, created_at=at(BASE_TIME, seconds=7))
        await memory.save_messages([foreign_message])
        found = await memory.list_messages_by_id(
            [
                foreign_message.id,
                seed.other_message.id,
                seed.messages[4].id,
                "unknown-id",
                seed.messages[4].id,
            ]
        )
        assert ids(found) == [seed.messages[4].id, seed.other_message.id, foreign_message.id]
        assert {m.thread_id for m in found} == {seed.thread.id, seed.other_thread.id, foreign.id}
        assert {m.resource_id for m in found} == {seed.thread.resource_id, foreign.resource_id}


__all__ = ["MessageTests"]
