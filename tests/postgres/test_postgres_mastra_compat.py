"""Data compatibility with the real ``@mastra/pg`` 1.27.1 (through the node harness), in both
directions, on threads, messages, resources, workflow snapshots, scores and spans."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage_postgres import PostgresStore
from tests.support.compat import (
    Harness,
    mastra_view,
    our_view,
    pop_structured_output,
    reply_in_mastra_thread,
    write_fixture,
)

pytestmark = pytest.mark.anyio

# --------------------------------------------------------------------------- Mastra -> us


async def column_types(admin: Any, schema: str, table: str) -> dict[str, str]:
    rows = await admin.fetch(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = $1 AND table_name = $2",
        schema,
        table,
    )
    return {r[0]: r[1] for r in rows}


async def test_schema_written_by_mastra_reads_the_same_here(
    pg_url: str, schema: str, admin: Any, mastra_harness: Harness
) -> None:
    reference = mastra_view(mastra_harness("write-read", pg_url, schema))
    types = await column_types(admin, schema, "mastra_threads")
    assert types["metadata"] == "jsonb" and types["createdAtZ"] == "timestamp with time zone"

    store = PostgresStore(pg_url, schema_name=schema)
    await store.init()  # adopts the schema: version row, seq column, our indexes
    try:
        ours = await our_view(store, ["ts-resource"], ["ts-scorer"])
        assert ours == reference
        assert len(ours["messages"]["ts-thread-1"]) == 3
        assert ours["traces"][0]["input"] == "hello"  # a JSON string stays a string
        assert (await store.doctor()).ok
    finally:
        await store.close()

    # Mastra still reads the adopted schema, with or without its own init
    both = mastra_harness("read-twice", pg_url, schema)
    assert mastra_view(both["noInit"]) == reference
    assert mastra_view(both["init"]) == reference

    # and after Mastra's init (43 tables), our warm init is still cheap and the data intact
    again = PostgresStore(pg_url, schema_name=schema)
    await again.init()
    assert again.statements_executed <= 3
    assert await our_view(again, ["ts-resource"], ["ts-scorer"]) == reference

    # mixed writers: we append to Mastra's thread and change its metadata; Mastra reads both
    d = await reply_in_mastra_thread(again)
    await d.memory.update_resource("ts-resource", metadata={"py": 1})
    expected = await our_view(again, ["ts-resource"], ["ts-scorer"])
    await again.close()
    theirs = mastra_view(mastra_harness("read", pg_url, schema, "--no-init"))
    assert theirs == expected
    assert [m["id"] for m in theirs["messages"]["ts-thread-1"]][-1] == "py-reply"
    assert theirs["threads"][0]["metadata"]["py"] is True
    assert theirs["resources"]["ts-resource"]["metadata"] == {"k": 1, "py": 1}


# --------------------------------------------------------------------------- us -> Mastra


async def test_schema_written_here_reads_the_same_in_mastra(
    pg_url: str, schema: str, admin: Any, mastra_harness: Harness
) -> None:
    store = PostgresStore(pg_url, schema_name=schema)
    await store.init()
    await write_fixture(store)
    ours = await our_view(store, ["py-resource"], ["py-scorer"])
    await store.close()
    pop_structured_output(ours)
    rows = await admin.fetch(f'SELECT type, content FROM "{schema}".mastra_messages ORDER BY id')
    assert [r["type"] for r in rows] == ["v2", "v2", "v3"]
    assert rows[0]["content"].startswith("{")  # JSON text in a text column, as Mastra writes

    # without Mastra's init, then with it (its init must not disturb our rows)
    both = mastra_harness("read-twice", pg_url, schema, "py-resource", "py-scorer")
    assert mastra_view(both["noInit"]) == ours
    assert mastra_view(both["init"]) == ours
    assert [t["id"] for t in ours["threads"]] == ["py-thread-2", "py-thread-1"]
    assert ours["messages"]["py-thread-1"][1]["content"]["someFutureKey"] == {"kept": True}
    assert [t["status"] for t in ours["traces"]] == ["running", "success"]

    reopened = PostgresStore(pg_url, schema_name=schema)
    await reopened.init()
    assert reopened.statements_executed <= 3
    await reopened.close()
