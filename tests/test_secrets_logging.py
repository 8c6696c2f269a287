"""No credential reaches any log record, at any level, on any backend.

Root logging is set to DEBUG with a handler that formats every record of every logger
(drivers included: botocore, aiobotocore, urllib3, asyncpg, pymongo, redis, http
clients). Each backend then runs a few operations against its real test server with
credentials set to distinctive markers; no formatted record may contain a marker, its
percent-encoded spelling or its base64 form.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest

from mastra_storage import MastraStorage
from mastra_storage.records import Thread
from tests.support import servers
from tests.support.servers import ServerUnavailable, skip_or_fail

pytestmark = pytest.mark.anyio

#: Loggers of the drivers the adapters use; set to DEBUG explicitly in case a library
#: quietened its own.
DRIVER_LOGGERS = (
    "botocore",
    "aiobotocore",
    "boto3",
    "aioboto3",
    "urllib3",
    "asyncpg",
    "pymongo",
    "redis",
    "httpx",
    "httpcore",
    "aiohttp",
    "asyncio",
    "mastra_storage",
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.texts: list[str] = []
        self.names: set[str] = set()

    def emit(self, record: logging.LogRecord) -> None:
        self.names.add(record.name)
        self.texts.append(self.format(record))


@pytest.fixture
def debug_logs() -> Iterator[_Capture]:
    capture = _Capture()
    root = logging.getLogger()
    saved = root.level, {n: logging.getLogger(n).level for n in DRIVER_LOGGERS}
    root.addHandler(capture)
    root.setLevel(logging.DEBUG)
    for name in DRIVER_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield capture
    finally:
        root.removeHandler(capture)
        root.setLevel(saved[0])
        for name, level in saved[1].items():
            logging.getLogger(name).setLevel(level)


def marker(kind: str) -> str:
    return f"Mk{kind}Secret4711Zq"


def spellings(secret: str) -> list[str]:
    raw = secret.encode()
    return [
        secret,
        urllib.parse.quote(secret, safe=""),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    ]


def assert_no_secret(capture: _Capture, secrets: list[str]) -> None:
    assert capture.texts, "DEBUG logging captured nothing: the test would prove nothing"
    for text in capture.texts:
        for secret in secrets:
            for form in spellings(secret):
                assert form not in text, text[:500]


async def exercise(store: MastraStorage) -> None:
    """init, a write, reads, doctor, close: the paths every backend logs on."""
    try:
        await store.init()
        memory = await store.require_store("memory")
        now = datetime.now(timezone.utc)
        await memory.save_thread(
            Thread(
                id="log-thread",
                resource_id="log-resource",
                title="t",
                metadata={},
                created_at=now,
                updated_at=now,
            )
        )
        assert await memory.get_thread_by_id("log-thread") is not None
        await memory.list_threads(resource_id="log-resource")
        await store.doctor()
    finally:
        await store.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def redis_with_password() -> Iterator[tuple[int, str]]:
    """A private redis-server that requires the marker password."""
    binary = shutil.which("redis-server")
    if binary is None:
        skip_or_fail("redis", "redis-server is not installed")
    password = marker("redis")
    port = _free_port()
    workdir = tempfile.mkdtemp(prefix="mastra-redis-auth-")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
            "--requirepass",
            password,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    skip_or_fail("redis", "the private redis-server did not start")
                time.sleep(0.02)
        yield port, password
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


async def test_postgres_password_never_logged(debug_logs: _Capture) -> None:
    from mastra_storage_postgres import PostgresStore

    password = marker("pg")
    try:
        async with servers.postgres_database() as url:
            # Trust authentication accepts any password; the driver still holds and sends it.
            with_password = url.replace("://postgres@", f"://postgres:{password}@", 1)
            assert password in with_password
            await exercise(PostgresStore(with_password))
    except ServerUnavailable as exc:
        skip_or_fail("postgres", exc.reason)
    assert_no_secret(debug_logs, [password])


async def test_mongodb_password_never_logged(debug_logs: _Capture) -> None:
    from pymongo import AsyncMongoClient

    from mastra_storage_mongodb import MongoDBStore

    password = marker("mongo")
    try:
        uri = await asyncio.to_thread(servers.mongodb_uri)
    except ServerUnavailable as exc:
        skip_or_fail("mongodb", exc.reason)
    user = f"loguser{_free_port()}"
    admin: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    await admin["admin"].command("createUser", user, pwd=password, roles=["root"])
    try:
        with_password = uri.replace("mongodb://", f"mongodb://{user}:{password}@", 1)
        await exercise(MongoDBStore(with_password, db_name=f"logs_{user}"))
        assert any(name.startswith("pymongo") for name in debug_logs.names)
    finally:
        await admin["admin"].command("dropUser", user)
        await admin.close()
    assert_no_secret(debug_logs, [password])


async def test_redis_password_never_logged(
    debug_logs: _Capture, redis_with_password: tuple[int, str]
) -> None:
    from mastra_storage_upstash import UpstashStore

    port, password = redis_with_password
    await exercise(UpstashStore(f"redis://:{password}@127.0.0.1:{port}/0"))
    await exercise(UpstashStore(f"redis://127.0.0.1:{port}/0", token=password))
    assert_no_secret(debug_logs, [password])


async def test_aws_credentials_never_logged(debug_logs: _Capture) -> None:
    from mastra_storage_dynamodb import DynamoDBStore

    key_id, secret, session = marker("AKIA"), marker("awssecret"), marker("awssession")
    try:
        endpoint = await asyncio.to_thread(servers.dynamodb_url)
        async with servers.dynamodb_table_name(endpoint) as table:
            store = DynamoDBStore(
                table,
                endpoint=endpoint,
                credentials={
                    "access_key_id": key_id,
                    "secret_access_key": secret,
                    "session_token": session,
                },
            )
            await store.create_table()
            await exercise(store)
    except ServerUnavailable as exc:
        skip_or_fail("dynamodb", exc.reason)
    assert any(name.startswith("botocore") for name in debug_logs.names)
    assert_no_secret(debug_logs, [key_id, secret, session])


async def test_libsql_token_never_logged(debug_logs: _Capture) -> None:
    from mastra_storage_libsql import LibSQLStore

    token = marker("libsql")
    try:
        url = await asyncio.to_thread(servers.sqld_url)
    except ServerUnavailable as exc:
        skip_or_fail("sqld", exc.reason)
    # sqld without --auth-jwt-key-file accepts any token; the client still sends it.
    logging.getLogger("mastra_storage").debug("probe")  # the capture is live
    await exercise(LibSQLStore(url, auth_token=token))
    await exercise(LibSQLStore(f"{url}?authToken={token}"))
    assert_no_secret(debug_logs, [token])


def test_records_logged_while_a_store_lives_are_scrubbed(debug_logs: _Capture) -> None:
    """The scrubber works on any logger, child loggers created later included."""
    from mastra_storage.redact import protect_logs

    class Owner:
        pass

    owner = Owner()
    secret = marker("unit")
    protect_logs(owner, [secret])
    log = logging.getLogger(f"some.driver.child{_free_port()}")
    log.debug("header x-token:%s", secret)
    log.debug("encoded %s", urllib.parse.quote(secret))
    log.debug("b64 %s", base64.b64encode(secret.encode()).decode())
    try:
        raise RuntimeError(f"boom {secret}")
    except RuntimeError:
        log.exception("failed")
    assert_no_secret(debug_logs, [secret])
    assert any("x-token:***" in text for text in debug_logs.texts)


def test_stores_collected_while_secrets_are_registered_do_not_deadlock(
    debug_logs: _Capture,
) -> None:
    """A store's finalizer (which forgets its secrets) may run inside garbage collection
    while ``protect_logs`` holds its lock on the same thread; it must not wait for it."""
    import gc
    import threading

    from mastra_storage.redact import protect_logs

    class CyclicOwner:  # only the cyclic collector frees it, at an arbitrary allocation
        def __init__(self) -> None:
            self.me = self

    def churn() -> None:
        for i in range(3000):
            protect_logs(CyclicOwner(), [f"churn-secret-{i:05d}"])

    thresholds = gc.get_threshold()
    # Frozen, the rest of the process's heap is not rescanned by the collection that now
    # runs at every allocation (in a full test run that heap made this test take 40 s).
    gc.freeze()
    gc.set_threshold(1, 1, 1)
    try:
        worker = threading.Thread(target=churn, daemon=True)
        worker.start()
        worker.join(timeout=60)
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()
    assert not worker.is_alive(), "protect_logs deadlocked in a finalizer"
    gc.collect()
    protect_logs(CyclicOwner(), ["one-more-secret"])  # applies the queued removals
    # A collected store's secret is no longer scrubbed: the registry does not grow forever.
    logging.getLogger("churn").warning("churn-secret-00001 is free text again")
    assert "churn-secret-00001 is free text again" in debug_logs.texts[-1]
