"""Data compatibility with the real ``@mastra/libsql`` 1.23.1 (through the node harness),
and with legacy Mastra layouts (TEXT JSON, odd timestamps, missing columns)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import Message, MessageContent
from mastra_storage_libsql import LibSQLStore
from tests.support.compat import (
    UTC,
    Domains,
    Harness,
    mastra_view,
    our_view,
    pop_structured_output,
    reply_in_mastra_thread,
    write_fixture,
)
from tests.support.servers import ServerUnavailable, skip_or_fail, sqld_instance

pytestmark = pytest.mark.anyio


def column_types(path: Path, sql: str) -> list[Any]:
    import libsql

    conn = libsql.connect(str(path))
    try:
        return [row[0] for row in conn.execute(sql).fetchall()]
    finally:
        conn.close()


# --------------------------------------------------------------------------- Mastra -> us


async def test_file_written_by_mastra_reads_the_same_here(
    tmp_path: Path, mastra_harness: Harness
) -> None:
    path = tmp_path / "from-mastra.db"
    assert mastra_harness("write", str(path)) == {"ok": True}
    reference = mastra_view(mastra_harness("read", str(path), "--no-init"))
    # Mastra stores JSON columns as JSONB blobs: this test reads them through json()
    assert column_types(path, "SELECT typeof(metadata) FROM mastra_threads") == ["blob"]
    assert column_types(path, "SELECT typeof(input) FROM mastra_ai_spans") == ["blob"]

    store = LibSQLStore(f"file:{path}")
    await store.init()  # adopts the file: version row, our indexes, missing columns
    try:
        ours = await our_view(store, ["ts-resource"], ["ts-scorer"])
        assert ours == reference
        assert len(ours["messages"]["ts-thread-1"]) == 3
        assert ours["traces"][0]["input"] == "hello"  # a JSON string stays a string
        assert (await store.doctor()).ok
    finally:
        await store.close()

    # Mastra still reads the adopted file, with or without its own init
    assert mastra_view(mastra_harness("read", str(path), "--no-init")) == reference
    assert mastra_view(mastra_harness("read", str(path))) == reference

    # and after Mastra's init (44 tables), our warm init is still cheap and data intact
    again = LibSQLStore(f"file:{path}")
    await again.init()
    assert again.statements_executed <= 3
    assert await our_view(again, ["ts-resource"], ["ts-scorer"]) == reference
    await again.close()


# --------------------------------------------------------------------------- us -> Mastra


async def test_file_written_here_reads_the_same_in_mastra(
    tmp_path: Path, mastra_harness: Harness
) -> None:
    path = tmp_path / "from-python.db"
    store = LibSQLStore(f"file:{path}")
    await store.init()
    await write_fixture(store)
    ours = await our_view(store, ["py-resource"], ["py-scorer"])
    await store.close()
    pop_structured_output(ours)
    assert column_types(path, "SELECT typeof(metadata) FROM mastra_threads ORDER BY id") == [
        "blob",
        "null",
    ]
    assert column_types(path, "SELECT type FROM mastra_messages ORDER BY id") == [
        "v2",
        "v2",
        "v3",
    ]

    for extra in (("--no-init",), ()):  # without Mastra's init, then with it
        theirs = mastra_harness("read", str(path), "py-resource", "py-scorer", *extra)
        assert mastra_view(theirs) == ours
    assert [t["id"] for t in ours["threads"]] == ["py-thread-2", "py-thread-1"]
    assert ours["messages"]["py-thread-1"][1]["content"]["someFutureKey"] == {"kept": True}
    assert [t["status"] for t in ours["traces"]] == ["running", "success"]

    reopened = LibSQLStore(f"file:{path}")
    await reopened.init()
    assert reopened.statements_executed <= 3
    await reopened.close()


async def test_mixed_writers_on_one_file(tmp_path: Path, mastra_harness: Harness) -> None:
    """Mastra writes, we append to its thread, Mastra reads both (JSONB and our rows)."""
    path = tmp_path / "mixed.db"
    mastra_harness("write", str(path))
    store = LibSQLStore(f"file:{path}")
    await store.init()
    await reply_in_mastra_thread(store)
    expected = await our_view(store, ["ts-resource"], ["ts-scorer"])
    await store.close()
    theirs = mastra_view(mastra_harness("read", str(path), "--no-init"))
    assert theirs == expected
    assert [m["id"] for m in theirs["messages"]["ts-thread-1"]][-1] == "py-reply"
    assert theirs["threads"][0]["metadata"]["py"] is True


# --------------------------------------------------------------------------- on sqld


@pytest.fixture
async def sqld() -> AsyncIterator[str]:
    """A fresh sqld that both Mastra (its npm client over HTTP) and we write to."""
    try:
        async with sqld_instance() as url:
            yield url
    except ServerUnavailable as exc:
        skip_or_fail("sqld", exc.reason)


async def test_mastra_and_we_share_one_sqld(sqld: str, mastra_harness: Harness) -> None:
    """Both directions on one server, in three node runs (each costs seconds): Mastra
    writes, we read the same; we write, Mastra (with its init) reads the same."""
    assert mastra_harness("write", sqld) == {"ok": True}
    reference = mastra_view(mastra_harness("read", sqld, "--no-init"))
    store = LibSQLStore(sqld)
    await store.init()
    try:
        assert await our_view(store, ["ts-resource"], ["ts-scorer"]) == reference
        assert len(reference["messages"]["ts-thread-1"]) == 3
        await write_fixture(store)
        ours = await our_view(store, ["py-resource"], ["py-scorer"])
        assert (await store.doctor()).ok
    finally:
        await store.close()
    pop_structured_output(ours)
    assert mastra_view(mastra_harness("read", sqld, "py-resource", "py-scorer")) == ours
    ids = [t["id"] for t in ours["threads"]]
    assert [i for i in ids if i.startswith("py-")] == ["py-thread-2", "py-thread-1"]
    assert "ts-thread-1" in ids  # Mastra's rows and ours side by side


# --------------------------------------------------------------------------- legacy layouts


async def test_legacy_mastra_layout_is_adopted(db_path: Path) -> None:
    """An old Mastra file: TEXT JSON columns, odd timestamps, columns added since."""
    import libsql

    conn = libsql.connect(str(db_path))
    conn.executescript(
        """
        CREATE TABLE mastra_threads ("id" TEXT NOT NULL PRIMARY KEY, "resourceId" TEXT NOT NULL,
          "title" TEXT NOT NULL, "metadata" TEXT, "createdAt" TEXT NOT NULL,
          "updatedAt" TEXT NOT NULL);
        CREATE TABLE mastra_messages ("id" TEXT NOT NULL PRIMARY KEY, "thread_id" TEXT NOT NULL,
          "content" TEXT NOT NULL, "role" TEXT NOT NULL, "type" TEXT NOT NULL,
          "createdAt" TEXT NOT NULL);
        CREATE TABLE mastra_scorers ("id" TEXT NOT NULL PRIMARY KEY, "scorerId" TEXT,
          "runId" TEXT, "scorer" TEXT, "score" REAL, "input" TEXT, "output" TEXT,
          "entityId" TEXT, "entityType" TEXT, "source" TEXT, "createdAt" TEXT, "updatedAt" TEXT);
        INSERT INTO mastra_threads VALUES ('old', 'res', 'Old', '{"legacy": true}',
          '1970-01-01 00:00:00', '2023-01-02T03:04:05.678Z');
        INSERT INTO mastra_threads VALUES ('broken', 'res', 'Broken', 'not json {',
          '2023-01-01T00:00:00.000Z', '2023-01-01T00:00:00.000Z');
        INSERT INTO mastra_messages VALUES ('m1', 'old', 'plain text body', 'user', 'v2',
          '2023-01-02T03:04:05.000Z');
        INSERT INTO mastra_messages VALUES ('m2', 'old',
          '{"format":2,"parts":[{"type":"text","text":"json"}]}', 'assistant', '',
          '2023-01-02T03:04:06.000Z');
        INSERT INTO mastra_scorers VALUES ('s1', 'sc', 'run', '{"id":"sc"}', 1.0,
          '"a string"', 'not json at all', 'e', 'AGENT', 'TEST',
          '2023-01-02T03:04:05.000Z', '2023-01-02T03:04:05.000Z');
        """
    )
    conn.commit()
    conn.close()

    store = LibSQLStore(f"file:{db_path}")
    await store.init()
    d = Domains(store)
    thread = await d.memory.get_thread_by_id("old")
    assert thread is not None and thread.metadata == {"legacy": True}
    assert thread.created_at == datetime(1970, 1, 1, tzinfo=UTC)
    broken = await d.memory.get_thread_by_id("broken")
    assert broken is not None and broken.metadata is None  # unreadable metadata is dropped
    legacy = await d.memory.list_threads(metadata={"legacy": True})
    assert [t.id for t in legacy.items] == ["old"]  # the malformed row does not fail the query
    messages = (await d.memory.list_messages(thread_id="old")).items
    assert [m.text for m in messages] == ["plain text body", "json"]
    assert [m.type for m in messages] == [None, None]
    assert messages[0].resource_id is None  # column added by init
    score = await d.scores.get_score_by_id("s1")
    assert score is not None and score.input == "a string" and score.output == "not json at all"
    report = await store.doctor()
    assert report.ok, report
    # our writes go into the upgraded tables
    await d.memory.save_messages(
        [
            Message(
                id="m3",
                role="user",
                created_at=datetime(2023, 1, 2, 3, 4, 7, tzinfo=UTC),
                thread_id="old",
                resource_id="res",
                content=MessageContent.text("new"),
            )
        ]
    )
    by_resource = await d.memory.list_messages_by_resource_id(resource_id="res")
    assert [m.id for m in by_resource.items] == ["m3"]
    await store.close()
