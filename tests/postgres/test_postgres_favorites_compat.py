"""Studio's favourites shared with the real ``@mastra/pg`` 1.27.1, both ways: favourites
and ``favoriteCount`` written by Mastra read and toggled by us, ours read and toggled by
Mastra, and the ``pinFavoritedFor``/``favoritedOnly`` listings equal on both sides."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage_postgres import PostgresStore
from tests.postgres.conftest import NPM_PACKAGES, REPO, SchemaFactory
from tests.support.compat import Harness, harness_runner
from tests.support.favorites_compat import both_ways

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
    ours_schema = schemas.new()
    try:
        await both_ways(
            favorites_harness,
            "pg",
            lambda target, in_schema: PostgresStore(target, schema_name=in_schema),
            (pg_url, schema),
            (pg_url, ours_schema),
        )
        # the table, its key and its index are the ones @mastra/pg's init makes
        assert await favorites_shape(admin, ours_schema) == await favorites_shape(admin, schema)
    finally:
        await schemas.drop(ours_schema)
