"""The shared conformance suite and the stateful test on MongoDB (transactions and not)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import pytest

from mastra_storage import MastraStorage
from mastra_storage.testing.conformance import MemoryConformance, StorageConformance
from mastra_storage.testing.servers import mongodb_database
from mastra_storage.testing.stateful import MemoryStatefulConformance
from mastra_storage_mongodb import MongoDBStore


class TestMongoDBConformance(StorageConformance):
    """Every domain, with multi-document transactions (the server reports a replica set)."""

    @pytest.fixture
    async def storage(self, mongo_uri: str, db_name: str) -> AsyncIterator[MastraStorage]:
        store = MongoDBStore(mongo_uri, db_name=db_name)
        await store.init()
        assert store.uses_transactions in (True, False)
        try:
            yield store
        finally:
            await store.close()


class TestMongoDBNoTransactionsMemory(MemoryConformance):
    """The memory domain on the ordered, non-transactional path (standalone servers)."""

    @pytest.fixture
    async def storage(self, mongo_uri: str, db_name: str) -> AsyncIterator[MastraStorage]:
        store = MongoDBStore(mongo_uri, db_name=db_name, transactions=False)
        await store.init()
        assert store.uses_transactions is False
        try:
            yield store
        finally:
            await store.close()


class TestMongoDBStateful(MemoryStatefulConformance):
    """Random operation sequences on MongoDB must match the in-memory reference."""

    @pytest.fixture(autouse=True)
    def _uri(self, mongo_uri: str) -> None:
        type(self).uri = mongo_uri

    uri = ""

    async def make_storage(self) -> MastraStorage:
        manager = mongodb_database(self.uri)
        name = await manager.__aenter__()
        store = MongoDBStore(self.uri, db_name=name)
        store._test_db = manager  # type: ignore[attr-defined]
        await store.init()
        return store

    async def cleanup_storage(self, storage: MastraStorage) -> None:
        await storage.close()
        manager = getattr(storage, "_test_db", None)  # the reference store has none
        if manager is not None:
            with contextlib.suppress(Exception):
                await manager.__aexit__(None, None, None)
