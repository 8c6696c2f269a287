"""Observational memory shared with the real ``@mastra/pg`` 1.27.1, both ways, and the table
our ``init`` creates compared with the one Mastra's creates."""

from __future__ import annotations

from typing import Any

import pytest

from mastra_storage_postgres import PostgresStore
from tests.postgres.conftest import NPM_PACKAGES, REPO, SchemaFactory
from tests.support.compat import Harness, harness_runner
from tests.support.om_compat import check_written_shape, mastra_om_view, our_read, write_ours

pytestmark = pytest.mark.anyio

OM_TABLE = "mastra_observational_memory"


@pytest.fixture(scope="module")
def om_harness() -> Harness:
    return harness_runner(REPO / "tests" / "compat" / "mastra_om_harness.mjs", NPM_PACKAGES)


async def table_shape(admin: Any, schema: str) -> tuple[list[tuple[Any, ...]], list[str]]:
    """Columns (name, type, nullable, default) and index definitions of the OM table."""
    columns = await admin.fetch(
        "SELECT column_name, data_type, is_nullable, column_default "
        "FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 "
        "ORDER BY ordinal_position",
        schema,
        OM_TABLE,
    )
    indexes = await admin.fetch(
        "SELECT replace(indexdef, $1, 'S') FROM pg_indexes "
        "WHERE schemaname = $2 AND tablename = $3 ORDER BY indexname",
        f"{schema}.",
        schema,
        OM_TABLE,
    )
    return [tuple(c) for c in columns], [i[0] for i in indexes]


async def test_observational_memory_both_ways(
    pg_url: str, schema: str, schemas: SchemaFactory, admin: Any, om_harness: Harness
) -> None:
    # Mastra creates its schema and writes; we adopt it and read the same records
    reference = mastra_om_view(om_harness("pg", pg_url, schema, "write", "ts-res", "ts-thread"))
    check_written_shape(reference)
    store = PostgresStore(pg_url, schema_name=schema)
    await store.init()
    try:
        om = (await store.require_store("memory")).observational_memory
        assert await our_read(om, "ts-res", "ts-thread") == reference
    finally:
        await store.close()

    # our init creates the release's table; we write, Mastra (without its init) reads
    ours_schema = schemas.new()
    try:
        store = PostgresStore(pg_url, schema_name=ours_schema)
        await store.init()
        try:
            om = (await store.require_store("memory")).observational_memory
            await write_ours(om, "py-res", "py-thread")
            ours = await our_read(om, "py-res", "py-thread")
            assert (await store.doctor()).ok
        finally:
            await store.close()
        check_written_shape(ours)
        args = ("pg", pg_url, ours_schema, "read", "py-res", "py-thread", "--no-init")
        assert mastra_om_view(om_harness(*args)) == ours
        assert await table_shape(admin, ours_schema) == await table_shape(admin, schema)
    finally:
        await schemas.drop(ours_schema)
