"""Commands per operation do not grow with the thread or the database (Upstash bills each).

Three workloads, each measured at a small and a large size on a private ``redis-server``:

* append-turn: ``save_messages`` of a user + assistant message into a thread of 100 vs
  1,000 messages;
* recall-last-40: the newest 40 messages of a thread of 100 vs 1,000 messages;
* list-threads: the first 20 threads of a resource among 1,000 vs 10,000 threads, on a
  quiet database (the listing + one ``DBSIZE``, ``adopt.py``) and during an adoption pass
  (+ one bounded step).

Counted on the client (every packed command) and on the server (``INFO commandstats``
after ``CONFIG RESETSTAT``); both must agree, be equal at both sizes and stay small.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from redis.asyncio import Redis
from upstash_counting import counting_client, private_redis, server_calls

from mastra_storage.pagination import OrderBy
from mastra_storage.records import Message, MessageContent, ScorePayload, Thread
from mastra_storage.timeutil import utc_now
from mastra_storage_upstash import UpstashStore
from mastra_storage_upstash.adopt import ADOPT_SCAN_COUNT
from mastra_storage_upstash.indexes import thread_index_ops
from mastra_storage_upstash.rows import thread_to_json
from tests.support.servers import skip_or_fail

pytestmark = pytest.mark.anyio

SMALL_THREAD, LARGE_THREAD = 100, 1_000
SMALL_DB, LARGE_DB = 1_000, 10_000
#: Hard ceilings: constant budgets, whatever the sizes.
BUDGET = {"append-turn": 16, "recall-last-40": 4, "list-threads": 4}
MEASURED: dict[str, dict[int, int]] = {}
#: What one adoption step adds to a listing while nothing is missing from our indexes:
#: DBSIZE, HGETALL + HSET (pass state), SCAN, MGET (records found), ZMSCORE (index check).
ADOPT_STEP = 6


@pytest.fixture(scope="module")
def quiet_url() -> Any:
    with private_redis() as url:
        if url is None:
            skip_or_fail("redis", "no redis-server binary for a private, quiet server")
        yield url


@pytest.fixture
async def counted(quiet_url: str) -> AsyncIterator[tuple[UpstashStore, Counter[str], Redis]]:
    client, counter = counting_client(quiet_url)
    admin = Redis.from_url(quiet_url, decode_responses=True)
    await admin.flushdb()
    store = UpstashStore(client=client)
    await store.init()
    try:
        yield store, counter, admin
    finally:
        await admin.flushdb()
        await admin.aclose()
        await client.aclose()


async def measure(
    counter: Counter[str], admin: Redis, op: Callable[[], Awaitable[Any]]
) -> tuple[int, int, Any]:
    """(client-side commands, server-side commands, result) of one operation."""
    await op()  # warm the connection pool: no connection set-up inside the measurement
    counter.clear()
    await admin.config_resetstat()
    result = await op()
    return sum(counter.values()), sum((await server_calls(admin)).values()), result


def _thread(thread_id: str, resource_id: str, minutes: int) -> Thread:
    t = utc_now() - timedelta(days=30) + timedelta(minutes=minutes)
    return Thread(
        id=thread_id, resource_id=resource_id, title=thread_id, created_at=t, updated_at=t
    )


def _message(thread: Thread, index: int, role: str = "user") -> Message:
    return Message(
        id=f"{thread.id}-m{index}",
        role=role,  # type: ignore[arg-type]
        thread_id=thread.id,
        resource_id=thread.resource_id,
        created_at=thread.created_at + timedelta(seconds=index),
        content=MessageContent.text(f"message {index}"),
    )


async def _bulk_threads(store: UpstashStore, threads: list[Thread]) -> None:
    """Seed many threads fast: exactly the keys ``save_thread`` writes (thread JSON and its
    four index entries), sent in large plain pipelines instead of one transaction each."""
    db = store.db
    for start in range(0, len(threads), 2000):
        async with db.client.pipeline(transaction=False) as pipe:
            for thread in threads[start : start + 2000]:
                db.set_json(pipe, db.keys.thread(thread.id), thread_to_json(thread), "thread")
                thread_index_ops(db, pipe, None, thread)
            await pipe.execute()


async def _fill_thread(store: UpstashStore, thread: Thread, count: int) -> None:
    memory = await store.require_store("memory")
    await memory.save_thread(thread)
    for start in range(0, count, 200):
        await memory.save_messages(
            [_message(thread, i) for i in range(start, min(count, start + 200))]
        )


async def _thread_workloads(
    store: UpstashStore, counter: Counter[str], admin: Redis, size: int
) -> None:
    memory = await store.require_store("memory")
    thread = _thread(f"t{size}", "user-1", 0)
    await _fill_thread(store, thread, size)
    turn = iter(range(size, size + 1000, 2))

    async def append() -> Any:
        i = next(turn)
        return await memory.save_messages(
            [_message(thread, i), _message(thread, i + 1, "assistant")]
        )

    client_n, server_n, _ = await measure(counter, admin, append)
    assert client_n == server_n
    MEASURED.setdefault("append-turn", {})[size] = client_n

    async def recall() -> Any:
        return await memory.list_messages(
            thread_id=thread.id,
            per_page=40,
            order_by=OrderBy(field="created_at", direction="DESC"),
        )

    client_n, server_n, page = await measure(counter, admin, recall)
    assert client_n == server_n
    assert len(page.items) == 40 and page.total == size + 4
    assert page.items[0].id == f"{thread.id}-m{size + 3}"  # newest first
    MEASURED.setdefault("recall-last-40", {})[size] = client_n

    # Without following Mastra writers (no Mastra app on the database): one command less.
    alone = UpstashStore(client=store.client, follow_mastra_writes=False)
    alone_memory = await alone.require_store("memory")

    async def recall_alone() -> Any:
        return await alone_memory.list_messages(
            thread_id=thread.id,
            per_page=40,
            order_by=OrderBy(field="created_at", direction="DESC"),
        )

    client_n, server_n, page = await measure(counter, admin, recall_alone)
    assert client_n == server_n == MEASURED["recall-last-40"][size] - 1
    assert page.items[0].id == f"{thread.id}-m{size + 3}"


async def test_append_turn_and_recall_do_not_grow_with_thread_size(
    counted: tuple[UpstashStore, Counter[str], Redis],
) -> None:
    store, counter, admin = counted
    for size in (SMALL_THREAD, LARGE_THREAD):
        await _thread_workloads(store, counter, admin, size)
    for name in ("append-turn", "recall-last-40"):
        small, large = MEASURED[name][SMALL_THREAD], MEASURED[name][LARGE_THREAD]
        assert small == large, (
            f"{name}: {small} commands at {SMALL_THREAD}, {large} at {LARGE_THREAD}"
        )
        assert large <= BUDGET[name], f"{name}: {large} commands"


async def test_list_threads_does_not_grow_with_database_size(
    counted: tuple[UpstashStore, Counter[str], Redis],
) -> None:
    store, counter, admin = counted
    memory = await store.require_store("memory")
    mine = [_thread(f"mine-{i}", "user-1", i) for i in range(30)]
    for thread in mine:
        await memory.save_thread(thread)
    seeded = len(mine)
    for size in (SMALL_DB, LARGE_DB):
        others = [_thread(f"other-{i}", f"user-{i % 500 + 2}", i) for i in range(seeded, size)]
        await _bulk_threads(store, others)
        seeded = size
        assert await admin.zcard(store.db.keys.threads_by("created_at", None)) == size

        async def list_page() -> Any:
            return await memory.list_threads(resource_id="user-1", per_page=20)

        # The bulk write moved DBSIZE: listings run bounded adoption steps (adopt.py) until
        # one pass over the thread keys completes. Each step costs the same at both sizes.
        client_n, server_n, page = await measure(counter, admin, list_page)
        assert client_n == server_n
        MEASURED.setdefault("list-threads (adoption step)", {})[size] = client_n
        steps = 2
        while client_n != MEASURED["list-threads (adoption step)"][size] - ADOPT_STEP + 1:
            counter.clear()
            await list_page()
            client_n = sum(counter.values())
            steps += 1
            assert steps <= size // ADOPT_SCAN_COUNT * 3 + 3, "the adoption pass never ends"
        # A quiet database: the listing plus one DBSIZE.
        client_n, server_n, page = await measure(counter, admin, list_page)
        assert client_n == server_n
        assert [t.id for t in page.items] == [f"mine-{i}" for i in range(29, 9, -1)]
        assert page.total == 30 and page.has_more
        MEASURED.setdefault("list-threads", {})[size] = client_n
    small, large = MEASURED["list-threads"][SMALL_DB], MEASURED["list-threads"][LARGE_DB]
    assert small == large and large <= BUDGET["list-threads"]
    step = MEASURED["list-threads (adoption step)"]
    assert step[SMALL_DB] == step[LARGE_DB] == large - 1 + ADOPT_STEP, step
    print(f"\ncommands per operation: {MEASURED}")


async def test_save_score_commands_do_not_grow_and_a_supplied_id_costs_two_more(
    counted: tuple[UpstashStore, Counter[str], Redis],
) -> None:
    """``save_score``: a generated id is ``MULTI``, ``SET``, 3 ``ZADD``, ``EXEC`` (6); a
    supplied id adds ``WATCH`` + ``GET`` (the stored score it may replace), and replacing
    one adds a ``ZREM`` per old index entry. Equal whether the scorer has 10 or 1,000."""
    store, counter, admin = counted
    scores = await store.require_store("scores")

    def payload(i: int, score_id: str | None = None) -> ScorePayload:
        return ScorePayload(
            id=score_id,
            scorer_id="scorer-1",
            entity_id="agent-1",
            run_id=f"run-{i}",
            score=0.5,
            scorer={"id": "scorer-1"},
            output={"text": "o"},
            source="LIVE",
        )

    def saving(ids: Iterator[str | None]) -> Callable[[], Awaitable[Any]]:
        return lambda: scores.save_score(payload(0, next(ids)))

    counts: dict[int, tuple[int, int, int]] = {}
    stored = 0
    for size in (10, 1_000):
        for i in range(stored, size):
            await scores.save_score(payload(i))
        stored = size
        generated = await measure(counter, admin, saving(iter([None, None])))
        # A new id per call; then one id twice, so the measured call replaces a score.
        supplied = await measure(counter, admin, saving(f"id-{size}-{n}" for n in range(2)))
        replaced = await measure(counter, admin, saving(iter([f"same-{size}"] * 2)))
        for client_n, server_n, _ in (generated, supplied, replaced):
            assert client_n == server_n
        counts[size] = (generated[0], supplied[0], replaced[0])
    assert counts[10] == counts[1_000] == (6, 8, 11), counts
