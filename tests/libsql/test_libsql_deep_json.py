"""Rows another client nested far deeper than ``MAX_JSON_DEPTH`` (issue 15) read back
whole, and never break the listing of the records next to them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mastra_storage.testing.hostile_corpus import nested_text, nesting_depth
from mastra_storage_libsql import LibSQLStore

pytestmark = pytest.mark.anyio
DEPTH = 5000  # past the decoder's recursion limit (issue 15 stored 600-900 on MongoDB)


async def test_deep_rows_read_back_and_do_not_poison_listings(
    store: LibSQLStore, db_path: Path
) -> None:
    raw = sqlite3.connect(db_path, timeout=10)
    try:
        with raw:
            for n, metadata in enumerate(('{"ok":1}', nested_text(DEPTH), '{"ok":2}')):
                created = f"2024-06-01T12:00:0{n}.000Z"
                raw.execute(
                    'INSERT INTO mastra_threads (id, "resourceId", title, metadata, '
                    '"createdAt", "updatedAt") VALUES (?, ?, ?, ?, ?, ?)',
                    (f"t{n}", "r", "", metadata, created, created),
                )
            raw.execute(
                "INSERT INTO mastra_messages (id, thread_id, content, role, type, "
                '"resourceId", "createdAt") VALUES (?, ?, ?, ?, ?, ?, ?)',
                (
                    "m1",
                    "t1",
                    '{"format":2,"parts":[],"metadata":' + nested_text(DEPTH) + "}",
                    "user",
                    "v2",
                    "r",
                    "2024-06-01T12:00:05.000Z",
                ),
            )
    finally:
        raw.close()
    memory = await store.require_store("memory")
    page = await memory.list_threads(resource_id="r", per_page=None)
    assert [t.id for t in page.items] == ["t2", "t1", "t0"]
    deep = await memory.get_thread_by_id("t1")
    assert deep is not None and nesting_depth(deep.metadata) == DEPTH
    (message,) = (await memory.list_messages(thread_id="t1")).items
    assert nesting_depth(message.content.metadata) == DEPTH
