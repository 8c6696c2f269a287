"""The message-by-resource index (gsi2): refusal while incomplete, the resumable backfill
over messages Mastra's own store wrote, stale entries, and the CLI."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from mastra_storage.errors import ValidationError
from mastra_storage.records import Message, MessageContent, Thread
from mastra_storage_dynamodb import DynamoDBStore
from mastra_storage_dynamodb.cli import main as cli_main
from mastra_storage_dynamodb.resource_index import (
    STATE_KEY,
    IndexState,
    ResourceIndexIncompleteError,
    backfill_resource_index,
    read_state,
    write_state,
)
from mastra_storage_dynamodb.table import Expr
from tests.support.compat import UTC, Harness
from tests.support.servers import dynamodb_client_kwargs

pytestmark = pytest.mark.anyio


def _message(i: int, thread: Thread, resource: str) -> Message:
    return Message(
        id=f"{thread.id}-m{i}",
        role="user",
        created_at=datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=i // 2),
        thread_id=thread.id,
        resource_id=resource,
        content=MessageContent.from_dict({"format": 2, "parts": [{"type": "text", "text": "x"}]}),
    )


async def _strip_index(store: DynamoDBStore) -> int:
    """Make every message look as a Mastra app wrote it: no gsi2 attributes."""
    expr = Expr()
    rows = await store.table.scan_all(
        filter=f"{expr.n('__edb_e__')} = {expr.v('message')}", expr=expr
    )
    for row in rows:
        e = Expr()
        await store.table.update(
            {"pk": row["pk"], "sk": row["sk"]}, f"REMOVE {e.n('gsi2pk')}, {e.n('gsi2sk')}", e
        )
    return len(rows)


async def _unindexed(store: DynamoDBStore) -> int:
    expr = Expr()
    entity = f"{expr.n('__edb_e__')} = {expr.v('message')}"
    rows = await store.table.scan_all(
        filter=f"{entity} AND attribute_not_exists({expr.n('gsi2pk')})", expr=expr
    )
    return len(rows)


async def test_backfill_indexes_mastra_written_messages_resumably(
    store: DynamoDBStore, mastra_harness: Harness, new_store: Callable[[], DynamoDBStore]
) -> None:
    prefix = f"Idx-{uuid.uuid4().hex[:8]}"
    assert mastra_harness("write", store.table_name, prefix)["ok"] is True
    memory = await store.require_store("memory")
    resource = f"{prefix}-resource"
    ours = Thread(
        id=f"{prefix}-ours",
        resource_id=resource,
        title="",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
        updated_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    await memory.save_thread(ours)
    await memory.save_messages([_message(i, ours, resource) for i in range(30)])
    mastra_ids = {
        m.id
        for t in (await memory.list_threads(resource_id=resource, per_page=None)).items
        for m in (await memory.list_messages(thread_id=t.id, per_page=None)).items
    }
    assert len(mastra_ids) > 30  # Mastra's messages plus ours

    # The table's state says "not backfilled": resource queries refuse rather than miss.
    await write_state(store.table, IndexState())
    missing = await _unindexed(store)
    assert missing == len(mastra_ids) - 30  # Mastra's app does not write the index
    fresh = new_store()
    try:
        fresh_memory = await fresh.require_store("memory")
        with pytest.raises(ResourceIndexIncompleteError) as info:
            await fresh_memory.list_messages_by_resource_id(resource_id=resource)
        assert info.value.id == "MASTRA_STORAGE_DYNAMODB_RESOURCE_INDEX_INCOMPLETE"
        assert "backfill-resource-index" in str(info.value)

        # A bounded run stops with a checkpoint; the next run resumes and completes.
        first = await backfill_resource_index(store.table, batch=10, max_items=10)
        assert not first.done and first.messages >= 10 and not first.resumed
        state = await read_state(store.table)
        assert state.position is not None and not state.complete
        rest = await backfill_resource_index(store.table, batch=10)
        assert rest.done and rest.resumed
        assert first.updated + rest.updated == missing and await _unindexed(store) == 0
        assert (await read_state(store.table)).complete

        page = await fresh_memory.list_messages_by_resource_id(resource_id=resource, per_page=None)
        assert {m.id for m in page.items} == mastra_ids
        newest = await fresh_memory.list_messages_by_resource_id(resource_id=resource, per_page=4)
        assert newest.total == len(mastra_ids) and newest.has_more

        # Idempotent: a new pass writes nothing.
        again = await backfill_resource_index(store.table, restart=True)
        assert again.done and again.updated == 0
    finally:
        await fresh.close()


async def test_stale_entry_is_not_returned_and_backfill_repairs_it(store: DynamoDBStore) -> None:
    memory = await store.require_store("memory")
    now = datetime(2024, 1, 1, tzinfo=UTC)
    thread = Thread(id="t-stale", resource_id="R1", title="", created_at=now, updated_at=now)
    await memory.save_thread(thread)
    await memory.save_messages([_message(i, thread, "R1") for i in range(3)])
    # What a Mastra update moving a message to another resource leaves: a stale entry.
    e = Expr()
    key = {"pk": "$mastra#entity_message#id_t-stale-m0", "sk": "$message_1#entity_message"}
    await store.table.update(key, f"SET {e.n('resourceId')} = {e.v('R2')}", e)
    r1 = await memory.list_messages_by_resource_id(resource_id="R1", per_page=None)
    assert [m.id for m in r1.items] == ["t-stale-m1", "t-stale-m2"] and r1.total == 2
    assert (await memory.list_messages_by_resource_id(resource_id="R2")).items == []
    report = await backfill_resource_index(store.table, restart=True)
    assert report.updated == 1
    r2 = await memory.list_messages_by_resource_id(resource_id="R2")
    assert [m.id for m in r2.items] == ["t-stale-m0"]


async def test_backfill_options_and_cli(
    store: DynamoDBStore, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for bad in ({"batch": 0}, {"batch": 1001}, {"max_items": -1}, {"max_writes_per_second": 0}):
        with pytest.raises(ValidationError):
            await backfill_resource_index(store.table, **bad)  # type: ignore[arg-type]
    memory = await store.require_store("memory")
    now = datetime(2024, 1, 1, tzinfo=UTC)
    thread = Thread(id="t-cli", resource_id="Rc", title="", created_at=now, updated_at=now)
    await memory.save_thread(thread)
    await memory.save_messages([_message(i, thread, "Rc") for i in range(5)])
    assert await _strip_index(store) == 5
    kwargs = dynamodb_client_kwargs(str(store.endpoint))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", kwargs["aws_access_key_id"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", kwargs["aws_secret_access_key"])
    url = f"dynamodb://{store.table_name}?region={store.region}&endpoint={store.endpoint}"
    code = await asyncio.to_thread(
        cli_main,
        ["backfill-resource-index", url, "--batch", "2", "--max-writes-per-second", "1000"],
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "5 indexed" in out.out and "complete" in out.out
    assert await store.table.get(STATE_KEY) is not None
    page = await memory.list_messages_by_resource_id(resource_id="Rc", per_page=None)
    assert len(page.items) == 5
