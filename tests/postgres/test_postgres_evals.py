"""Datasets, experiments and blobs on PostgreSQL: the conformance tests, the tables and
indexes against ``@mastra/core`` 1.71.0 / ``@mastra/pg`` 1.27.1, ``init_mode="verify"``, and
writers in two stores racing on one dataset."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest

from mastra_storage import MastraStorage
from mastra_storage.errors import SchemaMismatchError
from mastra_storage.eval_layout import EVAL_TABLES
from mastra_storage.eval_records import DatasetInput, ItemInput
from mastra_storage.testing.conformance.evals import EvalsTests
from mastra_storage_postgres import PostgresStore
from mastra_storage_postgres.schema import EVAL_INDEXES

pytestmark = pytest.mark.anyio

_SQL_TYPE = {
    "text": "text",
    "jsonb": "jsonb",
    "integer": "integer",
    "boolean": "boolean",
    "timestamp": "timestamp without time zone",
}


class TestPostgresEvals(EvalsTests):
    supports_multiprocess = False  # two stores race in test_two_stores_never_share_a_version

    @pytest.fixture
    async def storage(self, schemas: Any, shared_schema: str) -> AsyncIterator[MastraStorage]:
        store = await schemas.open_emptied(shared_schema, max_size=4)
        try:
            yield store
        finally:
            await store.close()


async def test_eval_tables_match_the_release_and_verify(pg_url: str, schema: str) -> None:
    """Exactly the release's columns (type, nullability, ``Z`` twins), the composite key of
    the item rows and the release's default indexes; verify names a missing table."""
    store = PostgresStore(pg_url, schema_name=schema, max_size=2)
    await store.init()
    await store.close()
    conn = await asyncpg.connect(pg_url)
    try:
        rows = await conn.fetch(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text "
            "FROM information_schema.columns WHERE table_schema = $1",
            schema,
        )
        found: dict[str, dict[str, tuple[str, bool]]] = {}
        for table, column, data_type, nullable in rows:
            found.setdefault(table, {})[column] = (data_type, nullable == "NO")
        for table in EVAL_TABLES:
            expected = {}
            for c in table.columns:
                not_null = (
                    c.not_null
                    or c.primary_key
                    or (table.name == "mastra_dataset_items" and c.name in ("id", "datasetVersion"))
                )
                expected[c.name] = (_SQL_TYPE[c.logical], not_null)
                if c.logical == "timestamp":
                    expected[c.name + "Z"] = ("timestamp with time zone", False)
            assert found[table.name] == expected, table.name
        pk = await conn.fetchval(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE contype = 'p' "
            "AND conrelid = $1::regclass",
            f'"{schema}"."mastra_dataset_items"',
        )
        assert pk == 'PRIMARY KEY (id, "datasetVersion")'
        names = {
            r[0]
            for r in await conn.fetch(
                "SELECT indexname::text FROM pg_indexes WHERE schemaname = $1", schema
            )
        }
        assert {i.base for i in EVAL_INDEXES} <= names  # unprefixed, as @mastra/pg names them
        await conn.execute(f'DROP TABLE "{schema}"."mastra_experiment_results"')
    finally:
        await conn.close()
    verifier = PostgresStore(pg_url, schema_name=schema, max_size=1, init_mode="verify")
    try:
        with pytest.raises(SchemaMismatchError, match="mastra_experiment_results"):
            await verifier.init()
    finally:
        await verifier.close()


async def test_two_stores_never_share_a_version(pg_url: str, schema: str) -> None:
    """Two stores (two pools) adding items to one dataset at once: every mutation gets its
    own version, each recorded once."""
    one = PostgresStore(pg_url, schema_name=schema, max_size=4)
    two = PostgresStore(pg_url, schema_name=schema, max_size=4)
    try:
        a = await one.require_store("datasets")
        b = await two.require_store("datasets")
        dataset = await a.create_dataset(DatasetInput(name="race"))
        writes = [
            (a if n % 2 else b).add_item(dataset.id, ItemInput(input={"n": n})) for n in range(16)
        ]
        items = await asyncio.gather(*writes)
        assert sorted(i.dataset_version for i in items) == list(range(1, 17))
        versions = await a.list_dataset_versions(dataset.id, per_page=None)
        assert sorted(v.version for v in versions.items) == list(range(1, 17))
        assert (await b.get_dataset(dataset.id)).version == 16
    finally:
        await one.close()
        await two.close()
