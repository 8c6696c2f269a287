"""Statements per Memory primitive on a local libSQL file (BEGIN/COMMIT included).

Issue 9 measured the SDK against the raw driver doing the minimal work: a recall or a page
of threads is one ``SELECT`` there, an appended turn four statements. These tests pin the
adapter to the same counts (reads: page, total and include windows in one autocommit
``SELECT``; appends: the thread bump doubles as the existence check) and check that the
folding kept the semantics: totals of empty pages, order, all-or-nothing appends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

import pytest

from mastra_storage import IncludeSpec, Message, MessageContent, NotFoundError, OrderBy, Thread
from mastra_storage.timeutil import utc_now
from mastra_storage_libsql import LibSQLStore

pytestmark = pytest.mark.anyio
T = TypeVar("T")

NOW = utc_now() - timedelta(days=1)
NEWEST_FIRST = OrderBy(field="created_at", direction="DESC")


def thread(thread_id: str, resource_id: str = "r1", minutes: int = 0) -> Thread:
    at = NOW + timedelta(minutes=minutes)
    return Thread(id=thread_id, resource_id=resource_id, title="", created_at=at, updated_at=at)


def message(message_id: str, thread_id: str = "t1", seconds: int = 0) -> Message:
    return Message(
        id=message_id,
        role="user",
        created_at=NOW + timedelta(seconds=seconds),
        thread_id=thread_id,
        resource_id="r1",
        content=MessageContent.text(f"text of {message_id}"),
    )


@pytest.fixture
async def store(db_path: Path) -> AsyncIterator[LibSQLStore]:
    s = LibSQLStore(f"file:{db_path}")
    await s.init()
    memory = await s.require_store("memory")
    await memory.save_thread(thread("t1"))
    await memory.save_messages([message(f"m{i:03d}", seconds=i) for i in range(120)])
    try:
        yield s
    finally:
        await s.close()


async def cost(store: LibSQLStore, call: Awaitable[T]) -> tuple[int, T]:
    before = store.statements_executed
    result = await call
    return store.statements_executed - before, result


async def test_a_recall_page_with_its_total_is_one_statement(store: LibSQLStore) -> None:
    memory = await store.require_store("memory")
    n, page = await cost(
        store, memory.list_messages(thread_id="t1", per_page=40, order_by=NEWEST_FIRST)
    )
    assert n == 1
    assert [m.id for m in page.items] == [f"m{i:03d}" for i in range(119, 79, -1)]
    assert page.total == 120 and page.has_more


async def test_a_page_of_threads_with_its_total_is_one_statement(store: LibSQLStore) -> None:
    memory = await store.require_store("memory")
    for i in range(30):
        await memory.save_thread(thread(f"x{i:02d}", resource_id="rx", minutes=i))
    n, page = await cost(store, memory.list_threads(resource_id="rx", per_page=20))
    assert n == 1
    assert [t.id for t in page.items] == [f"x{i:02d}" for i in range(29, 9, -1)]
    assert page.total == 30 and page.has_more
    # Through the cursor: still one statement, still the total of the whole set.
    n, rest = await cost(
        store,
        memory.list_threads(resource_id="rx", per_page=20, cursor=page.next_cursor),
    )
    assert n == 1
    assert [t.id for t in rest.items] == [f"x{i:02d}" for i in range(9, -1, -1)]
    assert rest.total == 30 and not rest.has_more


async def test_a_page_past_the_end_still_carries_the_total(store: LibSQLStore) -> None:
    memory = await store.require_store("memory")
    n, page = await cost(store, memory.list_messages(thread_id="t1", page=50, per_page=40))
    assert n == 1
    assert page.items == [] and page.total == 120
    n, threads = await cost(store, memory.list_threads(resource_id="r1", page=9, per_page=5))
    assert n == 1
    assert threads.items == [] and threads.total == 1
    n, none = await cost(store, memory.list_threads(resource_id="nobody"))
    assert n == 1
    assert none.items == [] and none.total == 0


async def test_include_windows_travel_with_the_page(store: LibSQLStore) -> None:
    memory = await store.require_store("memory")
    include = [IncludeSpec(id="m010", with_previous_messages=1, with_next_messages=1)]
    n, page = await cost(
        store,
        memory.list_messages(thread_id="t1", include=include, per_page=2, order_by=NEWEST_FIRST),
    )
    assert n == 1
    assert [m.id for m in page.items] == ["m119", "m118", "m011", "m010", "m009"]
    assert page.total == 120


async def test_more_than_100_include_specs_read_one_snapshot(store: LibSQLStore) -> None:
    memory = await store.require_store("memory")
    include = [IncludeSpec(id=f"m{i:03d}") for i in range(0, 110)]
    n, page = await cost(store, memory.list_messages(thread_id="t1", include=include, per_page=5))
    # BEGIN, page + total + the first 100 specs, the other 10 specs, COMMIT
    assert n == 4
    assert [m.id for m in page.items] == [f"m{i:03d}" for i in range(110)]
    assert page.total == 120


async def test_appending_a_turn_costs_what_the_raw_driver_does(store: LibSQLStore) -> None:
    memory = await store.require_store("memory")
    n, _ = await cost(store, memory.save_messages([message("a1", seconds=500), message("a2")]))
    assert n == 4  # BEGIN IMMEDIATE, bump (+ existence check), upsert both, COMMIT
    got = await memory.get_thread_by_id("t1")
    assert got is not None and got.updated_at > NOW


async def test_a_missing_thread_among_existing_ones_writes_nothing(store: LibSQLStore) -> None:
    memory = await store.require_store("memory")
    before = await memory.get_thread_by_id("t1")
    with pytest.raises(NotFoundError) as info:
        await memory.save_messages([message("n1"), message("n2", thread_id="gone")])
    assert info.value.id == "MASTRA_STORAGE_SAVE_MESSAGES_THREAD_NOT_FOUND"
    assert await memory.list_messages_by_id(["n1", "n2"]) == []
    assert await memory.get_thread_by_id("t1") == before  # the bump was rolled back
    # The same thread twice in one batch is one thread, not a missing one.
    await memory.save_messages([message("n3"), message("n4")])
    assert len(await memory.list_messages_by_id(["n3", "n4"])) == 2
