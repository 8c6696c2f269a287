"""Observational memory on MongoDB: the conformance group on the non-transactional path
(the transactional one runs in ``test_mongodb_conformance.py``), the stored document and
the release's indexes."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable

import pytest

from mastra_storage import MastraStorage
from mastra_storage.om_records import TABLE_OBSERVATIONAL_MEMORY
from mastra_storage.testing.conformance import ObservationalMemoryTests
from mastra_storage_mongodb import MongoDBStore

from .conftest import open_clean_store


class TestMongoDBNoTransactionsOM(ObservationalMemoryTests):
    """Compare-and-swap updates, insert-before-swap generations (standalone servers)."""

    @pytest.fixture
    async def storage(self, mongo_uri: str, shared_db_name: str) -> AsyncIterator[MastraStorage]:
        store = await open_clean_store(mongo_uri, shared_db_name, transactions=False)
        try:
            yield store
        finally:
            await store.close()

    @pytest.fixture
    def storage_opener(self, mongo_uri: str, shared_db_name: str) -> Callable[[], MastraStorage]:
        return functools.partial(
            MongoDBStore, mongo_uri, db_name=shared_db_name, transactions=False
        )


@pytest.mark.anyio
async def test_document_shape_and_indexes(store: MongoDBStore) -> None:
    memory = await store.require_store("memory")
    om = memory.observational_memory
    record = await om.initialize_observational_memory(
        thread_id="t-1", resource_id="r-1", scope="thread", config={"a": {"b": 1}}
    )
    coll = store.stores["memory"].backend._conn.collection(TABLE_OBSERVATIONAL_MEMORY)  # type: ignore[attr-defined]
    doc = await coll.find_one({"id": record.id})
    assert doc is not None
    assert doc["lookupKey"] == "thread:t-1" and doc["threadId"] == "t-1"
    assert doc["config"] == {"a": {"b": 1}} and doc["generationCount"] == 0
    assert doc["createdAt"] == record.created_at  # a BSON date, as the release writes it
    assert doc["activeObservationsPendingUpdate"] is None
    infos = await (await coll.list_indexes()).to_list()
    names = {info["name"]: bool(info.get("unique")) for info in infos}
    assert names.get("id_1") is True and "lookupKey_1_generationCount_-1" in names
