"""The shared conformance suite and the stateful test on PostgreSQL (a schema per test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from mastra_storage import MastraStorage
from mastra_storage.testing.conformance import StorageConformance
from mastra_storage.testing.stateful import MemoryStatefulConformance


class TestPostgresConformance(StorageConformance):
    @pytest.fixture
    async def storage(self, schemas: Any, shared_schema: str) -> AsyncIterator[MastraStorage]:
        store = await schemas.open_emptied(shared_schema, max_size=4)
        try:
            yield store
        finally:
            await store.close()


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
