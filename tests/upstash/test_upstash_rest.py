"""The adapter over Upstash's REST API: the conformance suite, command counts, and the transport.

A small REST server (``upstash_rest_shim``: ``/``, ``/pipeline``, ``/multi-exec``, bearer
auth, base64 replies) runs on 127.0.0.1 in front of the real Redis server the TCP tests use.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import pytest
import test_upstash_conformance as tcp_conformance
import test_upstash_cost as cost
from redis.asyncio import Redis
from redis.exceptions import WatchError
from upstash_counting import counting_client, private_redis
from upstash_rest_shim import RestShim, rest_shim

from mastra_storage import MastraStorage, connect
from mastra_storage.codec import dumps
from mastra_storage.errors import ConfigurationError, UnavailableError
from mastra_storage.pagination import OrderBy
from mastra_storage.records import Thread
from mastra_storage_upstash import UpstashStore
from mastra_storage_upstash.adopt import ADOPT_SCAN_COUNT
from mastra_storage_upstash.cli import main as cli_main
from mastra_storage_upstash.keys import Keys
from mastra_storage_upstash.rest import RestRedis, RestTransport
from mastra_storage_upstash.rows import thread_to_json
from mastra_storage_upstash.store import rest_endpoint
from tests.support.servers import redis_key_prefix, skip_or_fail

pytestmark = pytest.mark.anyio

TOKEN = f"rest-token-{secrets.token_hex(8)}"


@pytest.fixture(scope="module")
def rest_server(redis_server_url: str) -> Iterator[RestShim]:
    """The REST server for this module's tests (no key prefixing of its own)."""
    with rest_shim(redis_server_url, "", TOKEN) as shim:
        yield shim


class TestUpstashRestConformance(tcp_conformance.TestUpstashConformance):
    """The whole conformance suite, every call going over REST."""

    @pytest.fixture
    def storage_opener(self, rest_server: RestShim, prefix: str) -> Callable[[], MastraStorage]:
        return functools.partial(UpstashStore, rest_server.url, TOKEN, prefix=prefix)

    @pytest.fixture
    async def fresh_storage_opener(
        self, redis_server_url: str, rest_server: RestShim
    ) -> AsyncIterator[Callable[[], MastraStorage]]:
        async with redis_key_prefix(redis_server_url) as fresh:
            yield functools.partial(UpstashStore, rest_server.url, TOKEN, prefix=fresh)


class TestUpstashRestStateful(tcp_conformance.TestUpstashStateful):
    """Random operation sequences over REST must match the in-memory reference."""

    @pytest.fixture(autouse=True)
    def _rest_url(self, rest_server: RestShim) -> None:
        self.rest_url = rest_server.url

    async def make_storage(self) -> MastraStorage:
        stack = contextlib.AsyncExitStack()
        prefix = await stack.enter_async_context(redis_key_prefix())
        store = UpstashStore(self.rest_url, TOKEN, prefix=prefix)
        store._test_stack = stack  # type: ignore[attr-defined]
        await store.init()
        return store


# --------------------------------------------------------------------------- command counts


@pytest.fixture(scope="module")
def quiet_pair() -> Iterator[tuple[str, RestShim]]:
    """A private ``redis-server`` and a REST server in front of it (nobody else's commands)."""
    with private_redis() as url:
        if url is None:
            skip_or_fail("redis", "no redis-server binary for a private, quiet server")
        with rest_shim(url, "", TOKEN) as shim:
            yield url, shim


@pytest.fixture
async def both(
    quiet_pair: tuple[str, RestShim],
) -> AsyncIterator[tuple[UpstashStore, Counter[str], UpstashStore, RestShim]]:
    """(TCP store with a counting client, its counter, REST store, REST server): one database."""
    url, shim = quiet_pair
    client, counter = counting_client(url)
    admin = Redis.from_url(url, decode_responses=True)
    await admin.flushdb()
    tcp = UpstashStore(client=client)
    rest = UpstashStore(shim.url, TOKEN)
    await tcp.init()
    await rest.init()
    try:
        yield tcp, counter, rest, shim
    finally:
        await rest.close()
        await admin.flushdb()
        await admin.aclose()
        await client.aclose()


async def _counts(
    counter: Counter[str],
    shim: RestShim,
    over_tcp: Callable[[], Awaitable[Any]],
    over_rest: Callable[[], Awaitable[Any]],
) -> tuple[int, int]:
    """(commands over TCP, commands the REST server executed) for the same operation."""
    await over_tcp()  # warm the TCP pool: no connection set-up inside the measurement
    counter.clear()
    await over_tcp()
    tcp_n = sum(counter.values())
    shim.commands = 0
    await over_rest()
    return tcp_n, shim.commands


async def test_rest_command_counts_match_tcp_and_do_not_grow(
    both: tuple[UpstashStore, Counter[str], UpstashStore, RestShim],
) -> None:
    """Reads cost exactly what they cost over TCP; an optimistic write costs less (its
    ``MULTI`` + writes + ``EXEC`` are one script); neither grows with the thread or the
    database, and both stay within the TCP budgets."""
    tcp, counter, rest, shim = both
    tcp_memory = await tcp.require_store("memory")
    rest_memory = await rest.require_store("memory")
    measured: dict[str, dict[int, tuple[int, int]]] = {}
    for size in (cost.SMALL_THREAD, cost.LARGE_THREAD):
        thread = cost._thread(f"t{size}", "user-1", 0)
        await cost._fill_thread(tcp, thread, size)
        turn = iter(range(size, size + 1000, 2))

        def append(
            memory: Any, thread: Thread = thread, turn: Iterator[int] = turn
        ) -> Callable[[], Awaitable[Any]]:
            async def run() -> Any:
                i = next(turn)
                return await memory.save_messages(
                    [cost._message(thread, i), cost._message(thread, i + 1, "assistant")]
                )

            return run

        def recall(memory: Any, thread: Thread = thread) -> Callable[[], Awaitable[Any]]:
            async def run() -> Any:
                return await memory.list_messages(
                    thread_id=thread.id,
                    per_page=40,
                    order_by=OrderBy(field="created_at", direction="DESC"),
                )

            return run

        tcp_n, rest_n = await _counts(counter, shim, append(tcp_memory), append(rest_memory))
        measured.setdefault("append-turn", {})[size] = (tcp_n, rest_n)
        tcp_n, rest_n = await _counts(counter, shim, recall(tcp_memory), recall(rest_memory))
        measured.setdefault("recall-last-40", {})[size] = (tcp_n, rest_n)
        page = await recall(rest_memory)()
        assert page.items[0].id == f"{thread.id}-m{size + 5}" and page.total == size + 6

    steps: dict[int, tuple[int, int]] = {}
    mine = [cost._thread(f"mine-{i}", "user-1", i) for i in range(30)]
    for thread in mine:
        await tcp_memory.save_thread(thread)
    seeded = len(mine)
    for size in (cost.SMALL_DB, cost.LARGE_DB):
        others = [cost._thread(f"o-{i}", f"user-{i % 500 + 2}", i) for i in range(seeded, size)]
        await cost._bulk_threads(tcp, others)
        seeded = size

        def list_page(memory: Any) -> Callable[[], Awaitable[Any]]:
            async def run() -> Any:
                return await memory.list_threads(resource_id="user-1", per_page=20)

            return run

        # The bulk write moved DBSIZE: listings first run bounded adoption steps (adopt.py),
        # over REST as over TCP (they share the pass cursor), then the database is quiet.
        tcp_n, rest_n = await _counts(counter, shim, list_page(tcp_memory), list_page(rest_memory))
        steps.setdefault(size, (tcp_n, rest_n))
        for memory in (tcp.stores["memory"], rest.stores["memory"]):
            for _ in range(size // ADOPT_SCAN_COUNT * 3 + 3):
                if not await memory.backend.adopter.pending():
                    break
                await list_page(memory)()
            assert not await memory.backend.adopter.pending(), "the adoption pass never ends"
        tcp_n, rest_n = await _counts(counter, shim, list_page(tcp_memory), list_page(rest_memory))
        measured.setdefault("list-threads", {})[size] = (tcp_n, rest_n)
        page = await list_page(rest_memory)()
        assert [t.id for t in page.items] == [f"mine-{i}" for i in range(29, 9, -1)]

    print(f"\ncommands per operation (tcp, rest): {measured}; adoption steps {steps}")
    quiet = measured["list-threads"][cost.LARGE_DB][0]
    for tcp_n, rest_n in steps.values():  # one step: at most 6 commands on top (adopt.py)
        assert quiet < tcp_n <= quiet - 1 + cost.ADOPT_STEP, steps
        assert quiet < rest_n <= quiet - 1 + cost.ADOPT_STEP, steps
    for name, by_size in measured.items():
        (small_tcp, small_rest), (large_tcp, large_rest) = by_size.values()
        assert small_rest == large_rest and small_tcp == large_tcp, (name, by_size)
        assert large_rest <= cost.BUDGET[name], (name, by_size)
        if name == "append-turn":
            assert large_rest < large_tcp, (name, by_size)
        else:
            assert large_rest == large_tcp, (name, by_size)


# --------------------------------------------------------------------------- configuration


def test_rest_urls_select_the_rest_transport() -> None:
    """Upstash's REST URL + token (the seed's configuration) goes over HTTPS, not port 6379;
    ``connect`` takes ``upstash+https://`` (plain ``https://`` belongs to no one adapter)."""
    store = UpstashStore("https://eu1-fine-cat-123.upstash.io", "AX/y+z")
    assert isinstance(store.client, RestRedis)
    assert store.client.transport.url == "https://eu1-fine-cat-123.upstash.io"
    assert "AX/y+z" not in repr(store)
    for url, kwargs in [
        ("upstash+https://default:tok@h.upstash.io", {}),
        ("upstash+https://h.upstash.io?token=tok", {}),
        ("upstash+https://h.upstash.io", {"token": "tok"}),
    ]:
        via_connect = connect(url, **kwargs)
        assert isinstance(via_connect, UpstashStore)
        assert isinstance(via_connect.client, RestRedis)
        assert via_connect.client.transport.url == "https://h.upstash.io"
        assert "tok" not in repr(via_connect)
    assert rest_endpoint("upstash+http://127.0.0.1:8080/", "t") == ("http://127.0.0.1:8080", "t")
    assert rest_endpoint("redis://localhost:6379") is None
    tcp = UpstashStore("upstash://tok@h.upstash.io")  # the TLS Redis endpoint stays available
    assert not isinstance(tcp.client, RestRedis)


@pytest.mark.parametrize(
    ("url", "kwargs", "message"),
    [
        ("upstash+https://h.upstash.io", {}, "token is required"),
        ("https://h.upstash.io", {"token": " "}, "token is required and cannot be empty"),
        ("upstash+https://h:99999999", {"token": "t"}, "invalid URL"),
        ("https://h.upstash.io", {"token": "t", "socket_timeout": 1}, "do not apply to a REST"),
    ],
)
def test_bad_rest_configuration_is_a_clear_error(
    url: str, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ConfigurationError, match=message):
        UpstashStore(url, **kwargs)


# --------------------------------------------------------------------------- failures


async def test_a_refused_token_is_unavailable_and_never_shown(rest_server: RestShim) -> None:
    wrong = f"wrong-{secrets.token_hex(6)}"
    store = UpstashStore(rest_server.url, wrong)
    with pytest.raises(UnavailableError) as info:
        await store.init()
    assert "refused the token" in str(info.value) and wrong not in str(info.value)
    await store.close()


async def test_an_unreachable_endpoint_is_unavailable() -> None:
    store = UpstashStore("http://127.0.0.1:1", "secret-unreachable", connect_timeout=1)
    memory = store.stores["memory"]
    with pytest.raises(UnavailableError) as info:
        await memory.get_thread_by_id("t")
    assert "secret-unreachable" not in str(info.value)
    await store.close()


async def test_a_server_that_never_answers_hits_the_operation_deadline() -> None:
    """The REST path has the TCP path's bounds: ``operation_timeout`` per call and a bounded
    ``close()``, against a server that accepts connections and then says nothing."""
    silent: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        silent.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    store = UpstashStore(f"http://127.0.0.1:{port}", "tok", operation_timeout=0.5)
    memory = store.stores["memory"]
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(UnavailableError):
        await memory.get_thread_by_id("t")
    assert loop.time() - started < 3
    started = loop.time()
    await store.close()
    assert loop.time() - started <= store.close_timeout + 1
    for writer in silent:
        writer.close()
    server.close()
    await server.wait_closed()


# --------------------------------------------------------------------------- transactions


async def test_a_watched_key_changed_before_commit_writes_nothing(
    rest_server: RestShim, redis_server_url: str, prefix: str
) -> None:
    """REST has no WATCH: the commit script compares digests and refuses, like EXEC."""
    # Typed ``Any``: redis-py's stubs type commands by client protocol, not by our class.
    client: Any = RestRedis(
        RestTransport(rest_server.url, TOKEN, connect_timeout=5, pool_timeout=5, max_connections=4)
    )
    other = Redis.from_url(redis_server_url, decode_responses=True)
    key, target = f"{prefix}watched", f"{prefix}target"
    try:
        await other.set(key, "v1")
        async with client.pipeline(transaction=True) as pipe:
            await pipe.watch(key)
            assert await pipe.get(key) == "v1"  # immediate while watching
            await other.set(key, "v2")  # another writer gets in between
            pipe.multi()
            pipe.set(target, "written")
            with pytest.raises(WatchError):
                await pipe.execute()
        assert await other.get(target) is None
        async with client.pipeline(transaction=True) as pipe:  # unchanged: the write lands
            await pipe.watch(key, f"{prefix}missing")
            pipe.multi()
            pipe.set(target, "written")
            pipe.delete(key)
            assert await pipe.execute() == [True, 1]
        assert await other.get(target) == "written" and await other.get(key) is None
        index = f"{prefix}index"  # sorted sets (message and list indexes) are watched too
        await other.zadd(index, {"a": 0, "b": 1})
        for change in ({"c": 0}, {"a": 5}):  # a new member; a changed score
            async with client.pipeline(transaction=True) as pipe:
                await pipe.watch(index)
                await other.zadd(index, change)
                pipe.multi()
                pipe.set(target, "again")
                with pytest.raises(WatchError):
                    await pipe.execute()
            assert await other.get(target) == "written"
    finally:
        await other.aclose()
        await client.aclose()


async def test_concurrent_read_modify_writes_from_two_processes_lose_nothing(
    rest_server: RestShim, prefix: str
) -> None:
    """Two stores (no shared in-process locks, as two processes) update one resource's
    metadata concurrently; every update survives."""
    stores = [UpstashStore(rest_server.url, TOKEN, prefix=prefix) for _ in range(2)]
    memories = [await s.require_store("memory") for s in stores]
    await memories[0].update_resource(resource_id="r", metadata={"start": True})

    async def add(memory: Any, name: str) -> None:
        for i in range(8):
            current = await memory.get_resource_by_id("r")
            assert current is not None
            await memory.update_resource(resource_id="r", metadata={f"{name}-{i}": i})

    await asyncio.gather(add(memories[0], "a"), add(memories[1], "b"))
    final = await memories[0].get_resource_by_id("r")
    assert final is not None and final.metadata is not None
    assert {f"{n}-{i}" for n in "ab" for i in range(8)} <= set(final.metadata)
    for s in stores:
        await s.close()


async def test_a_batch_too_long_for_one_lua_call_is_split(
    rest_server: RestShim, prefix: str
) -> None:
    """5,000 messages in one save: ``MSET``/``ZADD`` with more values than Lua's ``unpack``
    takes are split inside the one commit script; all land, in order."""
    store = UpstashStore(rest_server.url, TOKEN, prefix=prefix)
    memory = await store.require_store("memory")
    thread = cost._thread("big", "r", 0)
    await memory.save_thread(thread)
    await memory.save_messages([cost._message(thread, i) for i in range(5000)])
    page = await memory.list_messages(thread_id="big", per_page=None)
    assert page.total == 5000
    assert [m.id for m in page.items] == [f"big-m{i}" for i in range(5000)]
    await store.close()


async def test_the_token_stays_out_of_logs_and_errors(
    rest_server: RestShim, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Every logger at DEBUG (httpx and httpcore log each request) while the store works and
    fails: the token appears in no record."""
    caplog.set_level(logging.DEBUG)
    store = UpstashStore(f"upstash+{rest_server.url}?token={TOKEN}", prefix=prefix)
    memory = await store.require_store("memory")
    await memory.save_thread(cost._thread("logged", "r", 0))
    assert await memory.get_thread_by_id("logged") is not None
    await store.close()
    assert any(r.name.startswith(("httpx", "httpcore")) for r in caplog.records)  # it logged
    assert TOKEN not in caplog.text


async def test_cli_reindex_runs_over_rest(
    rest_server: RestShim,
    redis_server_url: str,
    prefix: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``mastra-storage upstash reindex upstash+http://...`` with the token from the
    environment indexes a thread a Mastra app wrote (raw key, no index entries)."""
    thread = cost._thread("from-mastra", "res", 0)
    raw = Redis.from_url(redis_server_url, decode_responses=True)
    try:
        await raw.set(Keys(prefix).thread(thread.id), dumps(thread_to_json(thread)))
    finally:
        await raw.aclose()
    monkeypatch.setenv("UPSTASH_REDIS_REST_TOKEN", TOKEN)
    # The CLI runs its own event loop: in a thread, as from a shell.
    argv = ["reindex", f"upstash+{rest_server.url}", "--prefix", prefix]
    code = await asyncio.to_thread(cli_main, argv)
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "reindexed 1 threads" in out.out and TOKEN not in out.out + out.err
    store = UpstashStore(f"upstash+{rest_server.url}", TOKEN, prefix=prefix)
    memory = await store.require_store("memory")
    assert [t.id for t in (await memory.list_threads(resource_id="res")).items] == [thread.id]
    await store.close()


async def test_records_a_mastra_app_writes_are_listed_over_rest(
    rest_server: RestShim, redis_server_url: str, prefix: str
) -> None:
    """Issue 16 point 5 over REST: records stored the way ``@mastra/upstash`` stores them
    (its keys and JSON, none of our indexes) are listed by the next listing, and a run under
    Mastra's resource suffix loads directly, without a reindex."""
    from datetime import datetime, timezone

    from mastra_storage.records import Score, WorkflowRun
    from mastra_storage_upstash.rows import run_to_json, score_to_json

    at = datetime(2025, 3, 1, tzinfo=timezone.utc)
    keys = Keys(prefix)
    thread = Thread(id="m-thread", resource_id="m-res", title="t", created_at=at, updated_at=at)
    run = WorkflowRun(
        workflow_name="m-wf",
        run_id="m-run",
        resource_id="m-res",
        snapshot={"status": "running", "runId": "m-run"},
        created_at=at,
        updated_at=at,
    )
    score = Score.from_dict(
        {
            "id": "m-score",
            "scorerId": "m-scorer",
            "entityId": "agent",
            "runId": "m-run",
            "score": 0.5,
            "scorer": {"id": "m-scorer"},
            "output": {"text": "o"},
            "source": "LIVE",
            "createdAt": at.isoformat(),
            "updatedAt": at.isoformat(),
        }
    )
    store = UpstashStore(rest_server.url, TOKEN, prefix=prefix)
    admin = Redis.from_url(redis_server_url, decode_responses=True)
    try:
        memory = await store.require_store("memory")
        workflows = await store.require_store("workflows")
        scores = await store.require_store("scores")
        assert (await memory.list_threads(resource_id="m-res")).total == 0
        await admin.mset(
            {
                keys.thread(thread.id): dumps(thread_to_json(thread)),
                keys.workflow("m-wf", "m-run", "m-res"): dumps(run_to_json(run)),
                keys.score("m-score"): dumps(score_to_json(score)),
            }
        )
        snapshot = await workflows.load_workflow_snapshot(workflow_name="m-wf", run_id="m-run")
        assert snapshot == {"status": "running", "runId": "m-run"}
        # The shared test server holds other tests' keys: a pass may take several steps.
        bound = int(await admin.dbsize()) // ADOPT_SCAN_COUNT * 2 + 3
        for _ in range(bound):
            listed = await memory.list_threads(resource_id="m-res")
            if listed.total:
                break
        assert [t.id for t in listed.items] == ["m-thread"]
        runs = await workflows.list_workflow_runs(resource_id="m-res")
        assert [r.run_id for r in runs.items] == ["m-run"]
        for _ in range(bound):
            by_scorer = await scores.list_scores_by_scorer_id("m-scorer")
            if by_scorer.total:
                break
        assert [s.id for s in by_scorer.items] == ["m-score"]
    finally:
        await admin.aclose()
        await store.close()
