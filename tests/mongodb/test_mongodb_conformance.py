"""The shared conformance suite and the stateful test on MongoDB (transactions and not)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mastra_storage import MastraStorage
from mastra_storage.testing.conformance import MemoryConformance, StorageConformance
from mastra_storage.testing.stateful import MemoryStatefulConformance

from .conftest import open_clean_store


class TestMongoDBConformance(StorageConformance):
    """Every domain, with multi-document transactions (the server reports a replica set)."""

    @pytest.fixture
    async def storage(self, mongo_uri: str, shared_db_name: str) -> AsyncIterator[MastraStorage]:
        store = await open_clean_store(mongo_uri, shared_db_name)
        assert store.uses_transactions in (True, False)
        try:
            yield store
        finally:
            await store.close()


class TestMongoDBNoTransactionsMemory(MemoryConformance):
    """The memory domain on the ordered, non-transactional path (standalone servers)."""

    @pytest.fixture
    async def storage(self, mongo_uri: str, shared_db_name: str) -> AsyncIterator[MastraStorage]:
        store = await open_clean_store(mongo_uri, shared_db_name, transactions=False)
        assert store.uses_transactions is False
        try:
            yield store
        finally:
            await store.close()


class TestMongoDBStateful(MemoryStatefulConformance):
    """Random operation sequences on MongoDB must match the in-memory reference."""

    @pytest.fixture(autouse=True)
    def _database(self, mongo_uri: str, shared_db_name: str) -> None:
        type(self).target = (mongo_uri, shared_db_name)

    target = ("", "")

    async def make_storage(self) -> MastraStorage:
        uri, name = self.target
        return await open_clean_store(uri, name)
