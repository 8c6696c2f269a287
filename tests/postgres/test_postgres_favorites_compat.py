"""Studio's favourites shared with the real ``@mastra/pg`` 1.27.1, both ways: favourites
and ``favoriteCount`` written by Mastra read and toggled by us, ours read and toggled by
Mastra, and the ``pinFavoritedFor``/``favoritedOnly`` listings equal on both sides."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage_postgres import PostgresStore
from tests.postgres.conftest import NPM_PACKAGES, REPO, SchemaFactory
from tests.support.compat import Harness, harness_runner
from tests.support.favorites_compat import our_view, toggle_ours, write_ours

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def favorites_harness() -> Harness:
    return harness_runner(REPO / "tests" / "compat" / "mastra_favorites_harness.mjs", NPM_PACKAGES)


async def favorites_shape(admin: Any, schema: str) -> dict[str, Any]:
    """Columns, constraints and indexes of ``mastra_favorites``."""
    columns = await admin.fetch(
        "SELECT column_name::text, data_type::text, is_nullable::text, column_default::text "
        "FROM information_schema.columns WHERE table_schema = $1 "
        "AND table_name = 'mastra_favorites' ORDER BY column_name",
        schema,
    )
    indexes = await admin.fetch(
        "SELECT indexname::text, replace(indexdef, $1, 'S.') FROM pg_indexes "
        "WHERE schemaname = $2 AND tablename = 'mastra_favorites' ORDER BY indexname",
        f"{schema}.",
        schema,
    )
    return {"columns": [tuple(c) for c in columns], "indexes": [tuple(i) for i in indexes]}


async def test_favorites_both_ways(
    pg_url: str, schema: str, schemas: SchemaFactory, favorites_harness: Harness, admin: Any
) -> None:
    # Mastra creates its schema and writes; we read the same, then toggle on its rows
    found = favorites_harness("pg", pg_url, schema, "write", "ts")
    toggles = found.pop("toggles")
    assert [t["favoriteCount"] for t in toggles] == [1, 1, 1, 1, 2, 1, 0]
    store = PostgresStore(pg_url, schema_name=schema)
    await store.init()
    try:
        assert await our_view(store, "ts") == found
        # u1's two favourites first, then the other agent
        assert found["pinned"][2] == "ts-a2" and set(found["pinned"][:2]) == {"ts-a1", "ts-a3"}
        ours_toggled = await toggle_ours(store, "ts")
        ours_after = await our_view(store, "ts")
    finally:
        await store.close()
    assert ours_toggled == [
        {"favorited": True, "favoriteCount": 1},
        {"favorited": False, "favoriteCount": 0},
    ]
    after = favorites_harness("pg", pg_url, schema, "read", "ts", "--no-init")
    assert after.pop("toggles") == []
    assert after == ours_after
    assert after["counts"] == {"ts-a1": 2, "ts-a2": 1, "ts-a3": 0, "ts-s1": 1}

    # our init creates the release's table; we write, Mastra (without its init) reads and
    # toggles on our rows, and we read what it wrote
    ours_schema = schemas.new()
    try:
        store = PostgresStore(pg_url, schema_name=ours_schema)
        await store.init()
        try:
            our_toggles = await write_ours(store, "py")
            expected = await our_view(store, "py")
        finally:
            await store.close()
        assert our_toggles == toggles
        read_back = favorites_harness("pg", pg_url, ours_schema, "read", "py", "--no-init")
        assert read_back.pop("toggles") == []
        assert read_back == expected
        theirs = favorites_harness("pg", pg_url, ours_schema, "toggle", "py", "--no-init")
        assert theirs.pop("toggles") == ours_toggled
        store = PostgresStore(pg_url, schema_name=ours_schema)
        await store.init()
        try:
            assert await our_view(store, "py") == theirs
        finally:
            await store.close()
        # the table, its key and its index are the ones @mastra/pg's init makes
        assert await favorites_shape(admin, ours_schema) == await favorites_shape(admin, schema)
    finally:
        await schemas.drop(ours_schema)
