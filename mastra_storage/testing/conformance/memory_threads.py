"""Memory domain, threads (spec 12.2 and 5.2)."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any, cast

import pytest

from ...composite import MastraStorage
from ...domains.memory import MemoryStore
from ...errors import NotFoundError, ValidationError
from ...pagination import OrderBy
from ...records import Thread
from ...timeutil import UTC, to_epoch_ms
from ..data import BASE_TIME, at, sample_message, sample_thread, uid
from ._base import ConformanceBase
from ._util import all_messages, ids


async def _sorting_fixture(memory: MemoryStore) -> tuple[str, list[str]]:
    """Five threads of one resource: created base+{0..4}s, updated base+{5,1,4,2,3}s."""
    resource = uid("resource")
    thread_ids = [f"{resource}-t{i}" for i in range(5)]
    for i, offset in enumerate((5, 1, 4, 2, 3)):
        await memory.save_thread(
            sample_thread(
                id=thread_ids[i],
                resource_id=resource,
                created_at=at(BASE_TIME, seconds=i),
                updated_at=at(BASE_TIME, seconds=offset),
                metadata={"category": "support" if i % 2 == 0 else "sales"},
            )
        )
    return resource, thread_ids


async def _filter_fixture(memory: MemoryStore) -> tuple[str, str, list[Thread]]:
    r1, r2 = uid("resource"), uid("resource")
    threads = [
        sample_thread(
            resource_id=r1,
            metadata={"category": "support-filter", "priority": "high", "status": "open"},
        ),
        sample_thread(
            resource_id=r1,
            metadata={"category": "support-filter", "priority": "low", "status": "closed"},
        ),
        sample_thread(
            resource_id=r2,
            metadata={"category": "sales-filter", "priority": "high", "status": "open"},
        ),
        sample_thread(resource_id=r2, metadata={"category": "sales-filter", "priority": "medium"}),
    ]
    for thread in threads:
        await memory.save_thread(thread)
    return r1, r2, threads


class ThreadTests(ConformanceBase):
    """Threads: CRUD, timestamps, pagination, sorting, filtering, cursors, concurrency."""

    # ---- create / read / update / delete -------------------------------------------------

    async def test_create_and_retrieve_thread(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = sample_thread()
        saved = await memory.save_thread(thread)
        assert saved == thread
        fetched = await memory.get_thread_by_id(thread.id)
        assert fetched is not None
        assert fetched.title == thread.title
        assert fetched == thread

    async def test_thread_ids_and_timestamps_round_trip_exactly(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        created = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
        updated = datetime(2024, 5, 6, 7, 8, 10, 456000, tzinfo=UTC)
        thread = sample_thread(
            id="1346362547862769664",
            resource_id="532423151341235",
            created_at=created,
            updated_at=updated,
        )
        await memory.save_thread(thread)
        fetched = await memory.get_thread_by_id("1346362547862769664")
        assert fetched is not None
        assert fetched.resource_id == "532423151341235"
        assert fetched.created_at == created
        assert fetched.updated_at == updated
        assert fetched.to_dict()["createdAt"] == "2024-05-06T07:08:09.123Z"
        assert fetched.to_dict() == thread.to_dict()

    async def test_get_missing_thread_returns_none(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        await memory.save_thread(sample_thread())
        assert await memory.get_thread_by_id("non-existent") is None

    async def test_save_thread_is_an_upsert(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread(title="first"))
        replacement = thread.replace(title="second", metadata={"other": 1})
        await memory.save_thread(replacement)
        assert await memory.get_thread_by_id(thread.id) == replacement
        page = await memory.list_threads()
        assert page.total == 1
        assert ids(page.items) == [thread.id]

    async def test_thread_without_metadata_round_trips(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread(metadata=None, title=""))
        fetched = await memory.get_thread_by_id(thread.id)
        assert fetched is not None
        assert fetched.metadata is None
        assert fetched.title == ""

    async def test_save_thread_rejects_invalid_input(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        existing = await memory.save_thread(sample_thread())
        with pytest.raises(ValidationError):
            await memory.save_thread(sample_thread(id="  "))
        with pytest.raises(ValidationError):
            await memory.save_thread(sample_thread(resource_id=""))
        with pytest.raises(ValidationError):
            await memory.save_thread(existing.replace(title="changed", metadata={"bad": object()}))
        page = await memory.list_threads()
        assert page.items == [existing]

    async def test_naive_datetimes_are_rejected(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        with pytest.raises(ValidationError):
            sample_thread(date=datetime(2024, 1, 1))  # naive on purpose
        assert (await memory.list_threads()).total == 0

    async def test_update_thread_title_and_metadata(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread(metadata={"key": "value"}))
        updated = await memory.update_thread(
            thread.id, title="Updated Title", metadata={"newKey": "newValue"}
        )
        assert updated.title == "Updated Title"
        assert updated.metadata == {"key": "value", "newKey": "newValue"}
        assert updated.created_at == thread.created_at
        assert updated.updated_at > thread.updated_at
        assert await memory.get_thread_by_id(thread.id) == updated

    async def test_update_thread_keeps_unspecified_fields(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread(title="keep", metadata={"a": 1}))
        only_meta = await memory.update_thread(thread.id, metadata={"a": 2, "b": None})
        assert only_meta.title == "keep"
        assert only_meta.metadata == {"a": 2, "b": None}
        only_title = await memory.update_thread(thread.id, title="new")
        assert only_title.title == "new"
        assert only_title.metadata == {"a": 2, "b": None}
        assert only_title.updated_at > only_meta.updated_at > thread.updated_at
        assert await memory.get_thread_by_id(thread.id) == only_title

    async def test_update_missing_thread_raises_not_found(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        with pytest.raises(NotFoundError):
            await memory.update_thread("missing-thread", title="x", metadata={"a": 1})
        assert await memory.get_thread_by_id("missing-thread") is None
        assert (await memory.list_threads()).total == 0

    async def test_update_thread_rejects_invalid_metadata(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        with pytest.raises(ValidationError):
            await memory.update_thread(thread.id, title="x", metadata={"bad": object()})
        with pytest.raises(ValidationError):
            await memory.update_thread("", title="x")
        assert await memory.get_thread_by_id(thread.id) == thread

    async def test_timestamps_consistent_between_get_list_and_update(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        updated = await memory.update_thread(thread.id, title="Updated")
        fetched = await memory.get_thread_by_id(thread.id)
        listed = (await memory.list_threads(resource_id=thread.resource_id)).items
        assert fetched is not None
        assert len(listed) == 1
        for other in (fetched, listed[0]):
            assert to_epoch_ms(other.created_at) == to_epoch_ms(updated.created_at)
            assert to_epoch_ms(other.updated_at) == to_epoch_ms(updated.updated_at)
        assert fetched == listed[0] == updated

    async def test_delete_thread(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        other = await memory.save_thread(sample_thread())
        await memory.delete_thread(thread.id)
        assert await memory.get_thread_by_id(thread.id) is None
        assert await memory.get_thread_by_id(other.id) == other

    async def test_delete_missing_thread_is_a_noop(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        await memory.delete_thread("missing-thread")
        assert await memory.get_thread_by_id(thread.id) == thread

    async def test_delete_thread_deletes_its_messages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        keep = await memory.save_thread(sample_thread())
        doomed = [sample_message(thread=thread) for _ in range(3)]
        kept = [sample_message(thread=keep) for _ in range(2)]
        await memory.save_messages(doomed + kept)
        await memory.delete_thread(thread.id)
        page = await memory.list_messages(thread_id=thread.id)
        assert page.items == []
        assert page.total == 0
        assert await memory.list_messages_by_id(ids(doomed)) == []
        assert ids(await all_messages(memory, keep.id)) == ids(kept)

    async def test_saving_a_message_bumps_thread_updated_at(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        await memory.save_messages([sample_message(thread=thread)])
        fetched = await memory.get_thread_by_id(thread.id)
        assert fetched is not None
        assert fetched.updated_at > thread.updated_at
        assert fetched.created_at == thread.created_at

    async def test_stringified_json_content_is_not_double_nested(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        original = {"type": "structured", "items": [1, 2, {"x": "y"}]}
        text = json.dumps(original)
        await memory.save_messages([sample_message(thread=thread, text=text)])
        (message,) = await all_messages(memory, thread.id)
        content = message.to_dict()["content"]
        assert isinstance(content, dict)
        assert content["format"] == 2
        assert content["content"] == text
        assert json.loads(content["content"]) == original
        assert isinstance(content["parts"], list)

    async def test_returned_thread_is_a_copy(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread(metadata={"nested": {"a": 1}}))
        fetched = await memory.get_thread_by_id(thread.id)
        assert fetched is not None and fetched.metadata is not None
        fetched.metadata["nested"]["a"] = 2
        fetched.metadata["added"] = True
        again = await memory.get_thread_by_id(thread.id)
        assert again is not None
        assert again.metadata == {"nested": {"a": 1}}

    # ---- list_threads: pagination ----------------------------------------------------------

    async def test_list_threads_by_resource_id(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = uid("resource")
        first = await memory.save_thread(sample_thread(resource_id=resource))
        second = await memory.save_thread(sample_thread(resource_id=resource))
        await memory.save_thread(sample_thread())
        page = await memory.list_threads(resource_id=resource, page=0, per_page=10)
        assert sorted(ids(page.items)) == sorted([first.id, second.id])
        assert page.total == 2

    async def test_list_threads_paginated_with_total(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = uid("resource")
        for i in range(17):
            await memory.save_thread(
                sample_thread(resource_id=resource, date=at(BASE_TIME, seconds=i))
            )
        first = await memory.list_threads(resource_id=resource, page=0, per_page=7)
        assert len(first.items) == 7
        assert (first.total, first.page, first.per_page, first.has_more) == (17, 0, 7, True)
        middle = await memory.list_threads(resource_id=resource, page=1, per_page=7)
        assert (len(middle.items), middle.has_more) == (7, True)
        last = await memory.list_threads(resource_id=resource, page=2, per_page=7)
        assert len(last.items) == 3
        assert (last.total, last.page, last.per_page, last.has_more) == (17, 2, 7, False)
        seen = ids(first.items) + ids(middle.items) + ids(last.items)
        assert len(set(seen)) == 17

    async def test_list_threads_default_pagination(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        page = await memory.list_threads(resource_id=thread.resource_id)
        assert ids(page.items) == [thread.id]
        assert (page.total, page.page, page.per_page, page.has_more) == (1, 0, 100, False)

    async def test_list_threads_per_page_zero_counts_without_items(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        for _ in range(3):
            await memory.save_thread(sample_thread())
        page = await memory.list_threads(per_page=0)
        assert page.items == []
        assert (page.total, page.per_page) == (3, 0)

    async def test_list_threads_rejects_invalid_pagination(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        await memory.save_thread(sample_thread())
        with pytest.raises(ValidationError):
            await memory.list_threads(page=-1)
        with pytest.raises(ValidationError, match="perPage must be >= 0"):
            await memory.list_threads(per_page=-5)
        with pytest.raises(ValidationError):
            await memory.list_threads(page=1, per_page=None)
        with pytest.raises(ValidationError):
            await memory.list_threads(page=2**52, per_page=100)

    # ---- list_threads: sorting -------------------------------------------------------------

    async def test_sort_threads_created_at_desc_by_default(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, t = await _sorting_fixture(memory)
        page = await memory.list_threads(resource_id=resource, per_page=3)
        assert ids(page.items) == [t[4], t[3], t[2]]
        assert (page.total, page.has_more) == (5, True)

    async def test_sort_threads_created_at_asc(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, t = await _sorting_fixture(memory)
        page = await memory.list_threads(
            resource_id=resource, per_page=3, order_by=OrderBy(field="created_at", direction="ASC")
        )
        assert ids(page.items) == [t[0], t[1], t[2]]
        full = await memory.list_threads(
            resource_id=resource, order_by=OrderBy(field="created_at", direction="ASC")
        )
        assert ids(full.items) == t

    async def test_sort_threads_created_at_desc(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, t = await _sorting_fixture(memory)
        page = await memory.list_threads(
            resource_id=resource, order_by=OrderBy(field="created_at", direction="DESC")
        )
        assert ids(page.items) == list(reversed(t))

    async def test_sort_threads_updated_at_asc(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, t = await _sorting_fixture(memory)
        page = await memory.list_threads(
            resource_id=resource, per_page=3, order_by=OrderBy(field="updated_at", direction="ASC")
        )
        assert ids(page.items) == [t[1], t[3], t[4]]
        full = await memory.list_threads(
            resource_id=resource, order_by=OrderBy(field="updated_at", direction="ASC")
        )
        assert ids(full.items) == [t[1], t[3], t[4], t[2], t[0]]

    async def test_sort_threads_updated_at_desc(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, t = await _sorting_fixture(memory)
        page = await memory.list_threads(
            resource_id=resource, order_by=OrderBy(field="updated_at", direction="DESC")
        )
        assert ids(page.items) == [t[0], t[2], t[4], t[3], t[1]]

    async def test_sort_threads_field_only_defaults_to_desc(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, t = await _sorting_fixture(memory)
        created = await memory.list_threads(
            resource_id=resource, order_by=OrderBy(field="created_at")
        )
        assert ids(created.items) == list(reversed(t))
        updated = await memory.list_threads(
            resource_id=resource, order_by=OrderBy(field="updated_at")
        )
        assert ids(updated.items) == [t[0], t[2], t[4], t[3], t[1]]

    async def test_sort_threads_direction_only_defaults_to_created_at(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        resource, t = await _sorting_fixture(memory)
        asc = await memory.list_threads(resource_id=resource, order_by=OrderBy(direction="ASC"))
        assert ids(asc.items) == t
        desc = await memory.list_threads(resource_id=resource, order_by=OrderBy(direction="DESC"))
        assert ids(desc.items) == list(reversed(t))

    async def test_sort_threads_unknown_order_falls_back_to_default(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        resource, t = await _sorting_fixture(memory)
        order = OrderBy(field=cast(Any, "title"), direction=cast(Any, "sideways"))
        page = await memory.list_threads(resource_id=resource, order_by=order)
        assert ids(page.items) == list(reversed(t))

    async def test_sort_order_consistent_across_pages(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, _ = await _sorting_fixture(memory)
        for field in ("created_at", "updated_at"):
            for direction in ("ASC", "DESC"):
                order = OrderBy(field=cast(Any, field), direction=cast(Any, direction))
                whole = await memory.list_threads(resource_id=resource, per_page=10, order_by=order)
                paged: list[str] = []
                for page_no in range(3):
                    page = await memory.list_threads(
                        resource_id=resource, page=page_no, per_page=2, order_by=order
                    )
                    paged.extend(ids(page.items))
                    assert page.has_more == (page_no < 2)
                assert paged == ids(whole.items), (field, direction)

    async def test_sort_threads_empty_result(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        await _sorting_fixture(memory)
        page = await memory.list_threads(
            resource_id="no-such-resource",
            per_page=10,
            order_by=OrderBy(field="updated_at", direction="ASC"),
        )
        assert page.items == []
        assert (page.total, page.page, page.per_page, page.has_more) == (0, 0, 10, False)

    async def test_sort_single_thread(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        page = await memory.list_threads(
            resource_id=thread.resource_id, order_by=OrderBy(field="updated_at", direction="ASC")
        )
        assert page.items == [thread]
        assert (page.total, page.has_more) == (1, False)

    async def test_threads_with_identical_timestamps_all_returned(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        resource = uid("resource")
        same = at(BASE_TIME, ms=123)
        saved = [
            await memory.save_thread(sample_thread(resource_id=resource, date=same))
            for _ in range(3)
        ]
        page = await memory.list_threads(resource_id=resource)
        assert sorted(ids(page.items)) == sorted(ids(saved))
        assert all(t.created_at == same and t.updated_at == same for t in page.items)

    async def test_identical_timestamps_tie_break_by_id(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = uid("resource")
        same = at(BASE_TIME, ms=7)
        for suffix in ("b", "c", "a", "d"):
            await memory.save_thread(
                sample_thread(id=f"{resource}-{suffix}", resource_id=resource, date=same)
            )
        expected = [f"{resource}-{s}" for s in "abcd"]
        for field in ("created_at", "updated_at"):
            asc = await memory.list_threads(
                resource_id=resource, order_by=OrderBy(field=cast(Any, field), direction="ASC")
            )
            assert ids(asc.items) == expected
            desc = await memory.list_threads(
                resource_id=resource, order_by=OrderBy(field=cast(Any, field), direction="DESC")
            )
            assert ids(desc.items) == list(reversed(expected))

    async def test_sort_filtered_threads(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource, t = await _sorting_fixture(memory)
        support = {"category": "support"}  # threads 0, 2, 4
        default = await memory.list_threads(resource_id=resource, metadata=support)
        assert ids(default.items) == [t[4], t[2], t[0]]
        asc = await memory.list_threads(
            metadata=support, order_by=OrderBy(field="created_at", direction="ASC")
        )
        assert ids(asc.items) == [t[0], t[2], t[4]]
        by_updated = await memory.list_threads(
            metadata=support, order_by=OrderBy(field="updated_at", direction="DESC")
        )
        assert ids(by_updated.items) == [t[0], t[2], t[4]]
        assert by_updated.total == 3

    # ---- list_threads: filtering ----------------------------------------------------------

    async def test_filter_threads_by_resource_only(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        r1, _, threads = await _filter_fixture(memory)
        page = await memory.list_threads(resource_id=r1)
        assert sorted(ids(page.items)) == sorted(ids(threads[:2]))
        assert page.total == 2

    async def test_filter_threads_by_metadata_only(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        _, _, threads = await _filter_fixture(memory)
        page = await memory.list_threads(metadata={"category": "support-filter"})
        assert sorted(ids(page.items)) == sorted(ids(threads[:2]))
        assert page.total == 2

    async def test_filter_threads_by_several_metadata_keys(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        _, _, threads = await _filter_fixture(memory)
        page = await memory.list_threads(
            metadata={"category": "support-filter", "priority": "high"}
        )
        assert ids(page.items) == [threads[0].id]
        assert page.total == 1

    async def test_filter_threads_by_resource_and_metadata(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        _, r2, threads = await _filter_fixture(memory)
        page = await memory.list_threads(
            resource_id=r2, metadata={"category": "sales-filter", "priority": "high"}
        )
        assert ids(page.items) == [threads[2].id]

    async def test_list_all_threads_without_filter(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        _, _, threads = await _filter_fixture(memory)
        page = await memory.list_threads()
        assert sorted(ids(page.items)) == sorted(ids(threads))
        assert page.total == 4

    async def test_filter_threads_without_match(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        r1, _, _ = await _filter_fixture(memory)
        for kwargs in (
            {"metadata": {"category": "nope"}},
            {"resource_id": "no-such-resource"},
            {"resource_id": r1, "metadata": {"category": "sales-filter"}},
            {"metadata": {"category": "support-filter", "priority": "high", "status": "closed"}},
        ):
            page = await memory.list_threads(**cast(Any, kwargs))
            assert page.items == [], kwargs
            assert (page.total, page.has_more) == (0, False)

    async def test_paginate_filtered_threads(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        _, _, _threads = await _filter_fixture(memory)
        meta = {"category": "support-filter"}
        first = await memory.list_threads(metadata=meta, page=0, per_page=1)
        second = await memory.list_threads(metadata=meta, page=1, per_page=1)
        assert (len(first.items), first.total, first.has_more) == (1, 2, True)
        assert (len(second.items), second.total, second.has_more) == (1, 2, False)
        assert first.items[0].id != second.items[0].id

    async def test_filtered_threads_per_page_none_returns_all(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        _, _, _threads = await _filter_fixture(memory)
        page = await memory.list_threads(metadata={"category": "sales-filter"}, per_page=None)
        assert len(page.items) == 2
        assert (page.total, page.per_page, page.has_more) == (2, None, False)

    async def test_metadata_filter_excludes_threads_without_the_key(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        _, _, threads = await _filter_fixture(memory)
        page = await memory.list_threads(metadata={"status": "open"})
        assert sorted(ids(page.items)) == sorted([threads[0].id, threads[2].id])

    async def test_metadata_filter_booleans_are_not_numbers(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        flag_true = await memory.save_thread(sample_thread(metadata={"flag": True}))
        flag_one = await memory.save_thread(sample_thread(metadata={"flag": 1}))
        flag_false = await memory.save_thread(sample_thread(metadata={"flag": False}))
        flag_zero = await memory.save_thread(sample_thread(metadata={"flag": 0}))
        assert ids((await memory.list_threads(metadata={"flag": True})).items) == [flag_true.id]
        assert ids((await memory.list_threads(metadata={"flag": 1})).items) == [flag_one.id]
        assert ids((await memory.list_threads(metadata={"flag": False})).items) == [flag_false.id]
        assert ids((await memory.list_threads(metadata={"flag": 0})).items) == [flag_zero.id]
        assert (await memory.list_threads(metadata={"flag": "true"})).total == 0

    async def test_metadata_filter_null_is_not_missing(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        explicit_null = await memory.save_thread(sample_thread(metadata={"k": None}))
        await memory.save_thread(sample_thread(metadata={"other": 1}))
        await memory.save_thread(sample_thread(metadata=None))
        await memory.save_thread(sample_thread(metadata={"k": "v"}))
        page = await memory.list_threads(metadata={"k": None})
        assert ids(page.items) == [explicit_null.id]
        assert page.total == 1

    async def test_metadata_filter_numbers_compare_by_value(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        one = await memory.save_thread(sample_thread(metadata={"n": 1}))
        await memory.save_thread(sample_thread(metadata={"n": 2}))
        assert ids((await memory.list_threads(metadata={"n": 1.0})).items) == [one.id]

    async def test_metadata_filter_structured_values_match_exactly(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        exact = await memory.save_thread(
            sample_thread(metadata={"tags": ["a", "b"], "obj": {"x": 1}})
        )
        await memory.save_thread(
            sample_thread(metadata={"tags": ["a", "b", "c"], "obj": {"x": 1, "y": 2}})
        )
        assert ids((await memory.list_threads(metadata={"tags": ["a", "b"]})).items) == [exact.id]
        assert ids((await memory.list_threads(metadata={"obj": {"x": 1}})).items) == [exact.id]
        assert (await memory.list_threads(metadata={"tags": ["a"]})).total == 0

    async def test_metadata_filter_rejects_unsafe_keys(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        await memory.save_thread(sample_thread())
        for key in ("bad-key", "__proto__", "constructor", "1abc", "a.b", "k" * 129, "x' OR 1=1"):
            with pytest.raises(ValidationError):
                await memory.list_threads(metadata={key: "value"})
        ok = await memory.list_threads(metadata={"k" * 128: "value", "_under_score1": 1})
        assert ok.total == 0

    # ---- list_threads: cursors ------------------------------------------------------------

    async def test_thread_cursor_visits_every_thread_once(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = uid("resource")
        originals = []
        for i in range(9):
            thread = sample_thread(
                id=f"{resource}-{i:02d}",
                resource_id=resource,
                date=at(BASE_TIME, seconds=10 + (i // 2)),  # pairs share a timestamp
            )
            originals.append(await memory.save_thread(thread))
        seen: list[str] = []
        page = await memory.list_threads(resource_id=resource, per_page=2)
        seen.extend(ids(page.items))
        inserted_newer = 0
        pages = 1
        while page.next_cursor is not None:
            # newer threads sort before the cursor (DESC): offset paging would repeat rows
            await memory.save_thread(
                sample_thread(
                    id=f"{resource}-new-{inserted_newer}",
                    resource_id=resource,
                    date=at(BASE_TIME, seconds=100 + inserted_newer),
                )
            )
            inserted_newer += 1
            page = await memory.list_threads(
                resource_id=resource, per_page=2, cursor=page.next_cursor
            )
            seen.extend(ids(page.items))
            pages += 1
            assert pages < 20, "cursor paging does not terminate"
        assert len(seen) == len(set(seen)), "a thread was visited twice"
        assert sorted(seen) == sorted(ids(originals))
        assert page.has_more is False

    async def test_thread_cursor_includes_rows_inserted_ahead(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = uid("resource")
        for i in range(4):
            await memory.save_thread(
                sample_thread(resource_id=resource, date=at(BASE_TIME, seconds=50 + i))
            )
        order = OrderBy(field="created_at", direction="ASC")
        page = await memory.list_threads(resource_id=resource, per_page=3, order_by=order)
        assert page.next_cursor is not None
        late = await memory.save_thread(
            sample_thread(resource_id=resource, date=at(BASE_TIME, seconds=99))
        )
        early = await memory.save_thread(
            sample_thread(resource_id=resource, date=at(BASE_TIME, seconds=1))
        )
        rest = await memory.list_threads(
            resource_id=resource, per_page=3, order_by=order, cursor=page.next_cursor
        )
        assert ids(rest.items)[-1] == late.id
        assert early.id not in ids(rest.items)
        assert len(rest.items) == 2
        assert rest.next_cursor is None

    async def test_thread_cursor_from_another_query_is_rejected(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        resource = uid("resource")
        for i in range(3):
            await memory.save_thread(
                sample_thread(resource_id=resource, date=at(BASE_TIME, seconds=i))
            )
        page = await memory.list_threads(resource_id=resource, per_page=1)
        assert page.next_cursor is not None
        with pytest.raises(ValidationError):
            await memory.list_threads(resource_id="other", per_page=1, cursor=page.next_cursor)
        with pytest.raises(ValidationError):
            await memory.list_threads(
                resource_id=resource,
                per_page=1,
                order_by=OrderBy(direction="ASC"),
                cursor=page.next_cursor,
            )
        with pytest.raises(ValidationError):
            await memory.list_threads(resource_id=resource, per_page=1, cursor="not-a-cursor!")
        with pytest.raises(ValidationError):
            await memory.list_messages(thread_id="t", per_page=1, cursor=page.next_cursor)

    # ---- concurrency and edge cases ---------------------------------------------------------

    async def test_large_metadata_round_trips(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        metadata = {
            "items": [
                {"id": i, "name": f"item-{i}", "tags": ["a", "b"], "nested": {"deep": [i, None]}}
                for i in range(10)
            ],
            "flag": True,
            "ratio": 0.25,
            "nothing": None,
        }
        thread = await memory.save_thread(sample_thread(metadata=metadata))
        fetched = await memory.get_thread_by_id(thread.id)
        assert fetched is not None
        assert fetched.metadata == metadata

    async def test_special_characters_in_title(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        title = "Special 'quotes' and \"double quotes\" and emoji 🎉 \\ % _ ; -- \u00e9\u4e2d"
        thread = await memory.save_thread(sample_thread(title=title))
        fetched = await memory.get_thread_by_id(thread.id)
        assert fetched is not None
        assert fetched.title == title

    async def test_concurrent_thread_updates(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread(metadata={}))
        results = await asyncio.gather(
            *(
                memory.update_thread(thread.id, title=f"Title {i}", metadata={f"key{i}": i})
                for i in range(5)
            )
        )
        assert len(results) == 5
        final = await memory.get_thread_by_id(thread.id)
        assert final is not None
        assert final.title in {f"Title {i}" for i in range(5)}
        assert final.metadata == {f"key{i}": i for i in range(5)}, "an update was lost"

    async def test_dangerously_clear_all_empties_memory(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        message = sample_message(thread=thread)
        await memory.save_messages([message])
        await memory.update_resource(thread.resource_id, working_memory="wm")
        await memory.dangerously_clear_all()
        assert await memory.get_thread_by_id(thread.id) is None
        assert (await memory.list_threads()).total == 0
        assert await memory.list_messages_by_id([message.id]) == []
        assert await memory.get_resource_by_id(thread.resource_id) is None

    async def test_init_is_idempotent(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread())
        await storage.init()
        await memory.init()
        await memory.init()
        assert await memory.get_thread_by_id(thread.id) == thread


__all__ = ["ThreadTests"]
