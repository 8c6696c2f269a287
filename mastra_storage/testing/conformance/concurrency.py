"""Concurrent writers, deletes racing appends, concurrent init.

Nothing may be lost, duplicated or orphaned. The in-process tests run many asyncio tasks
on one store (its connection pool gives real parallelism on the server); the multi-process
tests use :func:`mastra_storage.testing.processes.run_in_processes` and the adapter's
``storage_opener`` (skipped when the class sets ``supports_multiprocess = False``).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import ClassVar

import pytest

from ...composite import MastraStorage
from ...domains.memory import MemoryStore
from ...errors import NotFoundError
from ...pagination import OrderBy
from ...records import Message, MessageUpdate, Thread
from ..data import BASE_TIME, at, sample_message, sample_thread, uid
from ..processes import run_in_processes, values
from ._base import ConformanceBase, resource_scoped_queries
from ._util import all_messages, ids, texts

ASC = OrderBy(field="created_at", direction="ASC")
DESC = OrderBy(field="created_at", direction="DESC")

#: Messages share ``created_at`` in groups of this size, so the tie-break is exercised.
_TIE_GROUP = 10


def _message(thread: Thread, index: int, *, prefix: str = "w") -> Message:
    """Message ``<prefix>-<index>``; its ``created_at`` is shared with ``_TIE_GROUP - 1``
    others (``BASE_TIME + index // _TIE_GROUP`` seconds)."""
    return sample_message(
        thread=thread,
        id=f"{thread.id}-{prefix}-{index}",
        text=f"{prefix}-{index}",
        created_at=at(BASE_TIME, seconds=index // _TIE_GROUP),
    )


def _assert_order_consistent(
    stored: Sequence[Message], windows: dict[str, tuple[float, float]]
) -> None:
    """``stored`` (ascending) is sorted by ``created_at``, and among equal ``created_at``
    a message whose save returned before another's save started comes first (the
    insertion-order tie-break, docs/decisions.md)."""
    created = [m.created_at for m in stored]
    assert created == sorted(created), "list_messages is not sorted by created_at"
    position = {m.id: i for i, m in enumerate(stored)}
    for a in stored:
        for b in stored:
            if a.created_at != b.created_at or a.id not in windows or b.id not in windows:
                continue
            if windows[a.id][1] < windows[b.id][0]:  # a's save returned before b's began
                assert position[a.id] < position[b.id], (
                    f"{a.id} was saved before {b.id} (same created_at) but is listed after it"
                )


async def _timed_save(
    memory: MemoryStore, message: Message, windows: dict[str, tuple[float, float]]
) -> None:
    started = time.monotonic()
    await memory.save_messages([message])
    windows[message.id] = (started, time.monotonic())


# --------------------------------------------------------------------------- process workers
# Module-level so they can be pickled into worker processes.


async def _init_then_append(
    storage: MastraStorage, index: int, thread_id: str, count: int
) -> list[tuple[str, float, float]]:
    """Race ``init()`` against the other processes, then append ``count`` messages to
    ``thread_id`` (saving the thread first if it is missing); return each save's window
    as ``(id, started, returned)`` on the machine's monotonic clock."""
    await storage.init()
    memory = await storage.require_store("memory")
    thread = await memory.get_thread_by_id(thread_id)
    if thread is None:
        thread = sample_thread(id=thread_id, resource_id=f"{thread_id}-resource")
        await memory.save_thread(thread)
    windows: list[tuple[str, float, float]] = []
    for i in range(count):
        message = _message(thread, index * count + i, prefix=f"p{index}")
        started = time.monotonic()
        await memory.save_messages([message])
        windows.append((message.id, started, time.monotonic()))
    return windows


class ConcurrencyTests(ConformanceBase):
    """Concurrent writers, deletes racing appends, concurrent init."""

    #: Concurrent asyncio tasks in the many-writers test. An adapter whose test server is
    #: too slow for 100 may lower it on its test class (and say why).
    concurrent_writers: ClassVar[int] = 100
    #: Worker processes in the multi-process tests, and messages each one appends.
    writer_processes: ClassVar[int] = 3
    messages_per_process: ClassVar[int] = 10

    @pytest.fixture
    def fresh_storage_opener(self) -> Callable[[], MastraStorage]:
        """Like ``storage_opener``, but on a namespace never initialised (no tables,
        indexes or keys yet), removed after the test. Adapters override it where a fresh
        namespace is cheap; without it the fresh-namespace init test is skipped (the
        existing-namespace one still runs)."""
        pytest.skip("the adapter's test class provides no fresh_storage_opener")

    # ---- many writers on one thread -----------------------------------------------------

    async def test_concurrent_writers_on_one_thread_lose_and_duplicate_nothing(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        old = BASE_TIME - timedelta(days=1)
        thread = await memory.save_thread(sample_thread(resource_id=uid("resource"), date=old))
        count = self.concurrent_writers
        messages = [_message(thread, i) for i in range(count)]
        windows: dict[str, tuple[float, float]] = {}
        await asyncio.gather(*(_timed_save(memory, m, windows) for m in messages))

        stored = await all_messages(memory, thread.id, order_by=ASC)
        assert sorted(ids(stored)) == sorted(ids(messages)), "lost or duplicated messages"
        assert len(stored) == count
        _assert_order_consistent(stored, windows)
        # The order is stable: the same on every read, DESC is its reverse, pages agree.
        assert ids(await all_messages(memory, thread.id, order_by=ASC)) == ids(stored)
        assert ids(await all_messages(memory, thread.id, order_by=DESC)) == ids(stored)[::-1]
        paged: list[str] = []
        cursor: str | None = None
        while True:
            page = await memory.list_messages(
                thread_id=thread.id, per_page=37, order_by=ASC, cursor=cursor
            )
            paged += ids(page.items)
            if not page.has_more:
                break
            cursor = page.next_cursor
        assert paged == ids(stored)
        by_id = await memory.list_messages_by_id(ids(messages))
        assert ids(by_id) == ids(stored)
        if resource_scoped_queries(memory):
            page = await memory.list_messages_by_resource_id(
                resource_id=thread.resource_id, per_page=None, order_by=ASC
            )
            assert ids(page.items) == ids(stored)
        # Re-saving one message in the middle (an upsert) keeps its place.
        middle = stored[count // 2]
        await memory.save_messages([middle.replace(content=messages[0].content)])
        assert ids(await all_messages(memory, thread.id, order_by=ASC)) == ids(stored)
        reloaded = await memory.get_thread_by_id(thread.id)
        assert reloaded is not None and reloaded.updated_at > old

    # ---- delete_thread racing appends ---------------------------------------------------

    async def test_delete_thread_racing_appends_leaves_no_orphans(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        resource = uid("resource")
        appended: list[str] = []
        refused = 0
        for round_ in range(4):
            thread = await memory.save_thread(sample_thread(resource_id=resource))
            await memory.save_messages([_message(thread, i, prefix="seed") for i in range(5)])

            async def append(i: int, thread: Thread = thread) -> bool:
                await asyncio.sleep(0.001 * (i % 7))
                try:
                    await memory.save_messages([_message(thread, i)])
                except NotFoundError:
                    return False
                return True

            async def delete(thread: Thread = thread) -> None:
                await asyncio.sleep(0.004)
                await memory.delete_thread(thread.id)

            outcomes = await asyncio.gather(
                *(append(i) for i in range(20)), delete(), return_exceptions=True
            )
            errors = [o for o in outcomes if isinstance(o, BaseException)]
            assert not errors, f"round {round_}: appends fail only with NotFoundError: {errors}"
            refused += sum(1 for o in outcomes[:-1] if o is False)
            appended += [f"{thread.id}-w-{i}" for i in range(20)]
            appended += [f"{thread.id}-seed-{i}" for i in range(5)]
            assert await memory.get_thread_by_id(thread.id) is None
            assert await all_messages(memory, thread.id) == [], f"round {round_}: orphans"
        assert await memory.list_messages_by_id(appended) == [], "orphans reachable by id"
        if resource_scoped_queries(memory):
            page = await memory.list_messages_by_resource_id(resource_id=resource, per_page=None)
            assert page.items == [], "orphans reachable by resource"
        # Appending after the delete is refused with the typed error, and writes nothing.
        ghost = sample_thread(resource_id=resource)
        with pytest.raises(NotFoundError):
            await memory.save_messages([_message(ghost, 0)])
        assert refused >= 0  # how many lost the race varies; both outcomes are allowed

    # ---- update_messages on one message ---------------------------------------------------

    async def test_concurrent_updates_of_one_message_lose_no_field(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread(resource_id=uid("resource")))
        message = _message(thread, 0)
        await memory.save_messages([message])
        writers = 12
        await asyncio.gather(
            *(
                memory.update_messages(
                    [MessageUpdate(id=message.id, content={"metadata": {f"k{i}": i}})]
                )
                for i in range(writers)
            ),
            memory.update_messages([MessageUpdate(id=message.id, type="concurrent")]),
        )
        (stored,) = await memory.list_messages_by_id([message.id])
        assert stored.content.metadata == {f"k{i}": i for i in range(writers)}
        assert stored.type == "concurrent"
        assert stored.text == message.text

    # ---- clone_thread racing appends ------------------------------------------------------

    async def test_clone_thread_racing_appends_copies_a_consistent_snapshot(
        self, storage: MastraStorage
    ) -> None:
        memory = await self.memory(storage)
        source = await memory.save_thread(sample_thread(resource_id=uid("resource")))
        await memory.save_messages([_message(source, i, prefix="seed") for i in range(10)])

        async def append(i: int) -> None:
            await asyncio.sleep(0.001 * (i % 5))
            await memory.save_messages([_message(source, 100 + i)])

        clones = await asyncio.gather(
            *(memory.clone_thread(source.id) for _ in range(3)),
            *(append(i) for i in range(15)),
        )
        final = texts(await all_messages(memory, source.id, order_by=ASC))
        assert len(final) == 25
        for result in clones[:3]:
            assert result is not None
            copied = await all_messages(memory, result.thread.id, order_by=ASC)
            assert {m.thread_id for m in copied} == {result.thread.id}
            assert texts(copied) == texts(result.cloned_messages)
            assert len(set(texts(copied))) == len(copied), "a message was copied twice"
            assert [t for t in final if t in set(texts(copied))] == texts(copied)
            assert {f"seed-{i}" for i in range(10)} <= set(texts(copied))
        # The source is untouched by the clones.
        assert len(await all_messages(memory, source.id)) == 25

    # ---- several processes --------------------------------------------------------------

    async def test_concurrent_init_from_processes_keeps_data_and_every_write(
        self, storage: MastraStorage, storage_opener: Callable[[], MastraStorage]
    ) -> None:
        """Processes racing ``init()`` on an initialised namespace destroy nothing, and
        their writers on one thread store every message exactly once, in order."""
        if not self.supports_multiprocess:
            pytest.skip("adapter declares supports_multiprocess = False")
        memory = await self.memory(storage)
        thread = await memory.save_thread(sample_thread(resource_id=uid("resource")))
        before = [_message(thread, i, prefix="before") for i in range(3)]
        await memory.save_messages(before)
        procs, per = self.writer_processes, self.messages_per_process
        results = await run_in_processes(
            storage_opener, _init_then_append, procs, args=(thread.id, per), init=False
        )
        windows = {mid: (start, end) for batch in values(results) for mid, start, end in batch}
        stored = await all_messages(memory, thread.id, order_by=ASC)
        assert len(stored) == len(before) + procs * per
        assert set(ids(stored)) == set(ids(before)) | set(windows)
        _assert_order_consistent(stored, windows)
        assert await memory.get_thread_by_id(thread.id) is not None

    async def test_concurrent_init_from_processes_on_a_fresh_namespace(
        self, fresh_storage_opener: Callable[[], MastraStorage]
    ) -> None:
        """The first ``init()`` of a namespace, run by several processes at once: all
        succeed, and writes made right after one process's init survive the others'."""
        if not self.supports_multiprocess:
            pytest.skip("adapter declares supports_multiprocess = False")
        thread_id = uid("thread")
        procs, per = self.writer_processes, 3
        results = await run_in_processes(
            fresh_storage_opener, _init_then_append, procs, args=(thread_id, per), init=False
        )
        written = {mid for batch in values(results) for mid, _, _ in batch}
        async with fresh_storage_opener() as reopened:
            memory = await self.memory(reopened)
            assert await memory.get_thread_by_id(thread_id) is not None
            stored = await all_messages(memory, thread_id)
            assert sorted(ids(stored)) == sorted(written)
            assert len(stored) == procs * per
