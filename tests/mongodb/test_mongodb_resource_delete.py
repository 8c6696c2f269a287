"""``delete_resource`` removes the resource's document on MongoDB (not just empties it)."""

from __future__ import annotations

import pytest

from mastra_storage_mongodb import MongoDBStore
from tests.support.resource_delete import delete_one_of_two

pytestmark = pytest.mark.anyio


async def test_no_document_of_the_deleted_resource_remains(store: MongoDBStore) -> None:
    _gone, kept = await delete_one_of_two(store)
    conn = store.connection
    docs = await conn.collection("mastra_resources").find({}, {"id": 1}).to_list()
    assert [d["id"] for d in docs] == [kept]
    for name in ("mastra_threads", "mastra_messages"):
        assert await conn.collection(name).distinct("resourceId") == [kept]
