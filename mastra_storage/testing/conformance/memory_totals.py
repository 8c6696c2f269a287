"""Memory domain, list pages without their total (``include_total=False``, issue 9).

Skipping the count must change nothing but ``total``: the same items, ``has_more``,
``next_cursor`` and page numbers as the counted page, on every page of a walk.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from ...composite import MastraStorage
from ...domains.memory import IncludeSpec
from ...pagination import OrderBy, Page
from ..data import BASE_TIME, at, sample_message, sample_thread, uid
from ._base import ConformanceBase
from ._util import ids, thread_with_messages

Lister = Callable[..., Awaitable[Page[Any]]]

ASC = OrderBy(field="created_at", direction="ASC")
DESC = OrderBy(field="created_at", direction="DESC")


async def _same_page(list_: Lister, expected_total: int, **kwargs: Any) -> Page[Any]:
    """The page with and without its total; assert they agree except for ``total``."""
    counted = await list_(**kwargs)
    bare = await list_(include_total=False, **kwargs)
    assert counted.total == expected_total
    assert bare.total is None
    assert ids(bare.items) == ids(counted.items)
    assert (bare.has_more, bare.next_cursor, bare.page, bare.per_page) == (
        counted.has_more,
        counted.next_cursor,
        counted.page,
        counted.per_page,
    )
    return counted


async def _walk_pages(list_: Lister, expected: list[str], per_page: int, **kwargs: Any) -> None:
    """Page numbers 0.. past the end, then the cursor chain: both modes, both ways."""
    seen: list[str] = []
    page_no = 0
    while True:
        page = await _same_page(list_, len(expected), page=page_no, per_page=per_page, **kwargs)
        seen.extend(ids(page.items))
        assert page.has_more == (len(seen) < len(expected))
        if not page.has_more:
            break
        page_no += 1
        assert page_no <= len(expected), "page walk does not end"
    assert seen == expected
    beyond = await _same_page(list_, len(expected), page=page_no + 1, per_page=per_page, **kwargs)
    assert (beyond.items, beyond.has_more) == ([], False)

    cursor: str | None = None
    seen = []
    for _ in range(len(expected) + 1):
        extra = {"cursor": cursor} if cursor else {}
        page = await _same_page(list_, len(expected), per_page=per_page, **kwargs, **extra)
        seen.extend(ids(page.items))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected


class ListTotalTests(ConformanceBase):
    """``include_total=False`` on ``list_threads``, ``list_messages`` and by resource."""

    async def test_list_threads_without_total(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        resource = uid("resource")
        threads = [
            await memory.save_thread(
                sample_thread(
                    resource_id=resource,
                    date=at(BASE_TIME, seconds=i),
                    metadata={"kind": "odd" if i % 2 else "even", "shape": {"n": i % 2}},
                )
            )
            for i in range(7)
        ]
        await memory.save_thread(sample_thread())  # another resource, never listed
        newest_first = list(reversed(ids(threads)))
        await _walk_pages(memory.list_threads, newest_first, 3, resource_id=resource)
        await _walk_pages(memory.list_threads, ids(threads), 2, resource_id=resource, order_by=ASC)
        await _walk_pages(memory.list_threads, newest_first, 7, resource_id=resource)
        odd = [t.id for t in reversed(threads) if t.metadata and t.metadata["kind"] == "odd"]
        await _walk_pages(
            memory.list_threads, odd, 2, resource_id=resource, metadata={"kind": "odd"}
        )
        # An object value: adapters that filter it in Python page there instead.
        await _walk_pages(
            memory.list_threads, odd, 2, resource_id=resource, metadata={"shape": {"n": 1}}
        )
        everything = await _same_page(memory.list_threads, 7, resource_id=resource, per_page=None)
        assert (ids(everything.items), everything.has_more) == (newest_first, False)
        none = await _same_page(memory.list_threads, 7, resource_id=resource, per_page=0)
        assert (none.items, none.has_more) == ([], True)
        empty = await _same_page(memory.list_threads, 0, resource_id=uid("resource"))
        assert (empty.items, empty.has_more) == ([], False)

    async def test_list_messages_without_total(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 8, base=BASE_TIME)
        other, theirs = await thread_with_messages(memory, 2, base=BASE_TIME, prefix="Other")
        oldest_first = ids(messages)
        await _walk_pages(memory.list_messages, oldest_first, 3, thread_id=thread.id)
        await _walk_pages(
            memory.list_messages, oldest_first[::-1], 3, thread_id=thread.id, order_by=DESC
        )
        await _walk_pages(memory.list_messages, oldest_first, 8, thread_id=thread.id)
        counted = await _same_page(
            memory.list_messages, 10, thread_id=[thread.id, other.id], per_page=None
        )
        assert sorted(ids(counted.items)) == sorted(ids(messages) + ids(theirs))
        none = await _same_page(memory.list_messages, 0, thread_id=thread.id, per_page=0)
        assert (none.items, none.has_more) == ([], False)

    async def test_list_messages_with_include_windows_without_total(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread, messages = await thread_with_messages(memory, 8, base=BASE_TIME)
        _, theirs = await thread_with_messages(memory, 3, base=BASE_TIME, prefix="Other")
        # Newest 3 plus a window round message 2: more remain, has_more stays true.
        around = [IncludeSpec(id=messages[1].id, with_previous_messages=1, with_next_messages=1)]
        page = await _same_page(
            memory.list_messages,
            8,
            thread_id=thread.id,
            per_page=3,
            order_by=DESC,
            include=around,
        )
        assert set(ids(messages[:3]) + ids(messages[5:])) == set(ids(page.items))
        assert page.has_more and page.next_cursor is not None
        # The windows bring back every other message: nothing more to page to.
        rest = [IncludeSpec(id=messages[0].id, with_next_messages=4)]
        whole = await _same_page(
            memory.list_messages, 8, thread_id=thread.id, per_page=3, order_by=DESC, include=rest
        )
        assert (sorted(ids(whole.items)), whole.has_more) == (sorted(ids(messages)), False)
        # Windows from another thread do not count towards this thread's set.
        foreign = [IncludeSpec(id=theirs[0].id, with_next_messages=2)]
        mixed = await _same_page(
            memory.list_messages, 8, thread_id=thread.id, per_page=6, include=foreign
        )
        assert set(ids(mixed.items)) == set(ids(messages[:6]) + ids(theirs))
        assert mixed.has_more
        # The recall fast path: only the windows, never a count.
        fast = await memory.list_messages(
            thread_id=thread.id, per_page=0, include=around, include_total=False
        )
        assert (sorted(ids(fast.items)), fast.total, fast.has_more) == (
            sorted(ids(messages[:3])),
            None,
            False,
        )
        # Cursor pages with windows agree as well.
        second = await _same_page(
            memory.list_messages,
            8,
            thread_id=thread.id,
            per_page=3,
            order_by=DESC,
            include=around,
            cursor=page.next_cursor,
        )
        assert set(ids(messages[2:5])) <= set(ids(second.items))

    async def test_list_messages_by_resource_without_total(self, storage: MastraStorage) -> None:
        memory = await self.memory(storage)
        self.require_resource_scoped_queries(memory)
        resource = uid("resource")
        a = await memory.save_thread(sample_thread(resource_id=resource))
        b = await memory.save_thread(sample_thread(resource_id=resource))
        mine = [
            sample_message(thread=a if i % 2 else b, created_at=at(BASE_TIME, seconds=i))
            for i in range(7)
        ]
        await memory.save_messages(mine)
        await thread_with_messages(memory, 2, base=BASE_TIME)  # another resource
        lister = memory.list_messages_by_resource_id
        await _walk_pages(lister, ids(mine), 3, resource_id=resource)
        await _walk_pages(lister, ids(mine)[::-1], 4, resource_id=resource, order_by=DESC)
        window = [IncludeSpec(id=mine[0].id, with_next_messages=1)]
        page = await _same_page(
            lister, 7, resource_id=resource, per_page=2, order_by=DESC, include=window
        )
        assert set(ids(page.items)) == set(ids(mine[5:]) + ids(mine[:1]) + [mine[2].id])
        assert page.has_more


__all__ = ["ListTotalTests"]
