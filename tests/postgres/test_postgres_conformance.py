"""The shared conformance suite and the stateful test on PostgreSQL (a schema per test)."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from mastra_storage import MastraStorage
from mastra_storage.testing.conformance import StorageConformance
from mastra_storage.testing.stateful import MemoryStatefulConformance
from mastra_storage_postgres import PostgresStore

#: As conftest's FAST_COMMITS (conftest is not importable from a test module here).
FAST_COMMITS = {"synchronous_commit": "off"}


class TestPostgresConformance(StorageConformance):
    hostile_divergences = {
        "float-integral-huge": "jsonb stores numbers as numeric and prints 1e300 as 1 followed "
        "by 300 zeros, which reads back as an int (equal decimal value, different type)",
    }

    @pytest.fixture
    async def storage(self, schemas: Any, shared_schema: str) -> AsyncIterator[MastraStorage]:
        store = await schemas.open_emptied(shared_schema, max_size=4)
        try:
            yield store
        finally:
            await store.close()

    @pytest.fixture
    def storage_opener(self, pg_url: str, shared_schema: str) -> Callable[[], MastraStorage]:
        return functools.partial(
            PostgresStore,
            pg_url,
            schema_name=shared_schema,
            max_size=4,
            server_settings=FAST_COMMITS,
        )

    @pytest.fixture
    def fresh_storage_opener(self, pg_url: str, schema: str) -> Callable[[], MastraStorage]:
        """A schema name not created yet (conftest's ``schema`` drops it afterwards)."""
        return functools.partial(
            PostgresStore, pg_url, schema_name=schema, max_size=2, server_settings=FAST_COMMITS
        )


class TestPostgresStateful(MemoryStatefulConformance):
    """Random operation sequences on PostgreSQL must match the in-memory reference."""

    schemas: Any = None
    shared_schema: str = ""

    @pytest.fixture(autouse=True)
    def _bind_schemas(self, schemas: Any, shared_schema: str) -> None:
        self.schemas = schemas
        self.shared_schema = shared_schema

    async def make_storage(self) -> MastraStorage:
        store: MastraStorage = await self.schemas.open_emptied(self.shared_schema, max_size=2)
        return store

    async def cleanup_storage(self, storage: MastraStorage) -> None:
        await storage.close()
