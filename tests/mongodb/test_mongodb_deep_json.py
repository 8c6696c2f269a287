"""Documents another client nested far deeper than ``MAX_JSON_DEPTH`` (issue 15) read back
whole, and never break the listing of the records next to them."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from mastra_storage.testing.hostile_corpus import nested, nesting_depth
from mastra_storage_mongodb import MongoDBStore

pytestmark = pytest.mark.anyio
T0 = datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
DEPTH = 900  # what issue 15 stored; past Python's recursion limit for a recursive reader


@pytest.fixture
async def raw(mongo_uri: str, db_name: str) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongo_uri)
    try:
        yield client[db_name]
    finally:
        await client.close()


async def test_deep_thread_metadata_reads_back_and_does_not_poison_listing(
    store: MongoDBStore, raw: Any
) -> None:
    memory = await store.require_store("memory")
    for n, metadata in enumerate(({"ok": 1}, nested(DEPTH), {"ok": 2})):
        try:
            await raw.mastra_threads.insert_one(
                {
                    "id": f"t{n}",
                    "resourceId": "r",
                    "title": "",
                    "metadata": metadata,
                    "createdAt": T0.replace(second=n),
                    "updatedAt": T0.replace(second=n),
                }
            )
        except Exception as exc:  # a real MongoDB refuses > 100 levels itself
            pytest.skip(f"this server refuses deep documents itself: {type(exc).__name__}")
    page = await memory.list_threads(resource_id="r", per_page=None)
    assert [t.id for t in page.items] == ["t2", "t1", "t0"]
    deep = await memory.get_thread_by_id("t1")
    assert deep is not None and nesting_depth(deep.metadata) == DEPTH


async def test_deep_json_string_snapshot_and_content_read_back(
    store: MongoDBStore, raw: Any
) -> None:
    """Older releases stored snapshots and content as JSON strings: text nested 5000 levels
    (past msgspec's recursion limit) decodes through the iterative fallback."""
    deep_text = '{"n":' * 5000 + "1" + "}" * 5000
    await raw.mastra_workflow_snapshot.insert_one(
        {
            "workflow_name": "wf",
            "run_id": "run",
            "snapshot": deep_text,
            "createdAt": T0,
            "updatedAt": T0,
        }
    )
    workflows = await store.require_store("workflows")
    snapshot: Any = await workflows.load_workflow_snapshot(workflow_name="wf", run_id="run")
    levels = 0
    while isinstance(snapshot, dict):
        snapshot = snapshot["n"]
        levels += 1
    assert levels == 5000 and snapshot == 1
