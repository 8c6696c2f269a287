"""The library logs its lifecycle at INFO and every call at DEBUG, with no value and no secret.

A connect, init, save and list at DEBUG must leave records on the ``mastra_storage``
logger (the issue: it logged nothing), argument values (a message's text, a thread's
title) must not appear, and the password of the URL must appear in no record of any
logger. With the level above DEBUG, calls log nothing.
"""

from __future__ import annotations

import asyncio
import logging
import urllib.parse
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timezone

import pytest

from mastra_storage import Message, MessageContent, Thread, connect
from mastra_storage.composite import MastraStorage
from tests.support import servers

PASSWORD = "Pw-logging-marker-7f3a"
CONTENT = "content-marker-8b1e"


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def text(self) -> str:
        formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
        return "\n".join(formatter.format(r) for r in self.records)


@pytest.fixture
def capture() -> Iterator[_Capture]:
    handler = _Capture()
    root = logging.getLogger()
    library = logging.getLogger("mastra_storage")
    old_root, old_library = root.level, library.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    library.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(old_root)
        library.setLevel(old_library)


async def _session(url: str | MastraStorage, **options: object) -> None:
    now = datetime.now(timezone.utc)
    async with connect(url, **options) if isinstance(url, str) else url as storage:
        memory = await storage.require_store("memory")
        await memory.save_thread(
            Thread(id="t-log", resource_id="r-log", title=CONTENT, created_at=now, updated_at=now)
        )
        await memory.save_messages(
            [
                Message(
                    id="m-log",
                    role="user",
                    created_at=now,
                    thread_id="t-log",
                    resource_id="r-log",
                    content=MessageContent.text(CONTENT),
                )
            ]
        )
        page = await memory.list_messages(thread_id="t-log")
        assert [m.id for m in page] == ["m-log"]
        await memory.delete_thread("t-log")


def _postgres_url_with_password() -> str:
    try:
        url = servers.postgres_url()
    except servers.ServerUnavailable as exc:
        servers.skip_or_fail("postgres", str(exc))
    parts = urllib.parse.urlsplit(url)
    user = parts.username or "postgres"
    netloc = f"{user}:{PASSWORD}@{parts.hostname}:{parts.port or 5432}"
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


@pytest.mark.parametrize("backend", ["libsql", "postgres"])
def test_debug_logs_lifecycle_and_calls_without_values_or_secrets(
    backend: str, capture: _Capture, tmp_path: object
) -> None:
    if backend == "postgres":
        asyncio.run(_session(_postgres_url_with_password(), schema_name="log_test"))
    else:
        asyncio.run(_session(f"file:{tmp_path}/log.db"))
    ours = [r for r in capture.records if r.name.startswith("mastra_storage")]
    text = capture.text()
    info = [r.getMessage() for r in ours if r.levelno == logging.INFO]
    assert any(m.startswith("connect: ") for m in info), info
    assert any(".init done in" in m for m in info), info
    assert any("closing" in m for m in info), info
    calls = [r.getMessage() for r in ours if r.name == "mastra_storage.calls"]
    for operation in ("save_thread(", "save_messages(<list[1]>)", "list_messages("):
        assert any(operation in m for m in calls), (operation, calls)
    assert CONTENT not in text  # values are never logged
    for spelling in (PASSWORD, urllib.parse.quote(PASSWORD)):
        assert spelling not in text


def test_calls_log_nothing_above_debug(capture: _Capture, tmp_path: object) -> None:
    logging.getLogger("mastra_storage").setLevel(logging.WARNING)
    asyncio.run(_session(f"file:{tmp_path}/quiet.db"))
    assert not [r for r in capture.records if r.name.startswith("mastra_storage")]


# ---- statements, commands and schema changes, per adapter -----------------------------

#: A store factory per adapter: each call opens the same (initially empty) location.
StoreFactory = Callable[[], MastraStorage]


@asynccontextmanager
async def _location(backend: str, tmp_path: object) -> AsyncIterator[StoreFactory]:
    """A fresh place for ``backend``'s store, and how to open it (with a password in the
    URL where the adapter takes one)."""
    if backend == "libsql":
        from mastra_storage_libsql import LibSQLStore

        yield lambda: LibSQLStore(f"file:{tmp_path}/wire.db")
    elif backend == "postgres":
        from mastra_storage_postgres import PostgresStore

        url, schema = _postgres_url_with_password(), f"log_{uuid.uuid4().hex[:10]}"
        try:
            yield lambda: PostgresStore(url, schema_name=schema)
        finally:
            import asyncpg

            conn = await asyncpg.connect(servers.postgres_url())
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            await conn.close()
    elif backend == "upstash":
        from mastra_storage_upstash import UpstashStore

        try:
            url = await asyncio.to_thread(servers.redis_url)
        except servers.ServerUnavailable as exc:
            servers.skip_or_fail("redis", str(exc))
        async with servers.redis_key_prefix(url) as prefix:
            yield lambda: UpstashStore(url, prefix=prefix)
    elif backend == "mongodb":
        from mastra_storage_mongodb import MongoDBStore

        try:
            uri = await asyncio.to_thread(servers.mongodb_uri)
        except servers.ServerUnavailable as exc:
            servers.skip_or_fail("mongodb", str(exc))
        db_name = f"log_{uuid.uuid4().hex[:10]}"
        yield lambda: MongoDBStore(uri, db_name=db_name)
    else:
        from mastra_storage_dynamodb import DynamoDBStore

        try:
            endpoint = await asyncio.to_thread(servers.dynamodb_url)
        except servers.ServerUnavailable as exc:
            servers.skip_or_fail("dynamodb", str(exc))
        credentials = {"access_key_id": "testing", "secret_access_key": PASSWORD}
        async with servers.dynamodb_table_name(endpoint) as table:
            first = DynamoDBStore(table, endpoint=endpoint, credentials=credentials)
            await first.create_table()  # DynamoDB's schema change: not part of init
            await first.close()
            yield lambda: DynamoDBStore(table, endpoint=endpoint, credentials=credentials)


#: Logger of each adapter's wire records, and a fragment every save+list must show.
_WIRE = {
    "libsql": ("mastra_storage.sql", "INSERT INTO"),
    "postgres": ("mastra_storage.sql", "INSERT INTO"),
    "upstash": ("mastra_storage.commands", "MULTI/EXEC"),
    "mongodb": ("mastra_storage.commands", "mongodb find log_"),
    "dynamodb": ("mastra_storage.commands", "dynamodb transact_write_items"),
}


@pytest.mark.parametrize("backend", list(_WIRE))
def test_wire_and_schema_logs_without_values(
    backend: str, capture: _Capture, tmp_path: object
) -> None:
    """At DEBUG a first init, save and list log their statements or commands (no value, no
    id, no password) and each schema change once at INFO; a second init at INFO logs none."""
    wire_logger, fragment = _WIRE[backend]
    runs: list[list[logging.LogRecord]] = []

    async def run() -> None:
        async with _location(backend, tmp_path) as open_store:
            await _session(open_store())
            runs.append(capture.records[:])
            del capture.records[:]
            logging.getLogger("mastra_storage").setLevel(logging.INFO)
            await _session(open_store())
            runs.append(capture.records[:])

    asyncio.run(run())
    first, second = runs
    wire = [r.getMessage() for r in first if r.name == wire_logger]
    assert any(fragment in m for m in wire), wire[:20]
    assert {r.levelno for r in first if r.name == wire_logger} == {logging.DEBUG}
    assert not any("t-log" in m or "r-log" in m for m in wire)  # ids stay out too
    if backend != "upstash":  # Redis has no schema to change
        created = {"dynamodb": "create_table", "mongodb": "createIndexes"}.get(
            backend, "CREATE TABLE"
        )
        changes = _schema_records(first)
        assert any(created in m for m in changes), changes
        assert len(changes) == len(set(changes)), "a schema change was logged twice"
    assert not _schema_records(second), "the second init changed nothing but logged it"
    assert not [r for r in second if r.name == wire_logger]  # INFO: no wire records
    # Drivers' own DEBUG loggers (pymongo.command) may show values; the library's never.
    assert not [
        r
        for r in first + second
        if r.name.startswith("mastra_storage") and CONTENT in r.getMessage()
    ]
    text = "\n".join(r.getMessage() for r in first + second)
    assert PASSWORD not in text and urllib.parse.quote(PASSWORD) not in text


def _schema_records(records: list[logging.LogRecord]) -> list[str]:
    return [
        r.getMessage()
        for r in records
        if r.name == "mastra_storage.schema" and r.levelno == logging.INFO
    ]
