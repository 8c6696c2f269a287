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
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest

from mastra_storage import Message, MessageContent, Thread, connect
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


async def _session(url: str, **options: object) -> None:
    now = datetime.now(timezone.utc)
    async with connect(url, **options) as storage:
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
