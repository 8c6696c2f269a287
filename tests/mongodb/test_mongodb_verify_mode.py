"""MongoDB with ``init_mode="verify"`` (issue 16 point 9): init lists the missing indexes
and creates nothing; once a migrating init has run, verify passes."""

from __future__ import annotations

import pytest

from mastra_storage.errors import SchemaMismatchError
from mastra_storage_mongodb import MongoDBStore

pytestmark = pytest.mark.anyio


async def test_verify_lists_missing_indexes_and_creates_nothing(
    mongo_uri: str, db_name: str
) -> None:
    store = MongoDBStore(uri=mongo_uri, db_name=db_name, init_mode="verify")
    try:
        with pytest.raises(SchemaMismatchError) as caught:
            await store.init()
        assert "mastra_messages.thread_id_1_createdAt_1" in caught.value.message
        assert await store.connection.client[db_name].list_collection_names() == []
    finally:
        await store.close()
    migrating = MongoDBStore(uri=mongo_uri, db_name=db_name)
    try:
        await migrating.init()
    finally:
        await migrating.close()
    verifying = MongoDBStore(uri=mongo_uri, db_name=db_name, init_mode="verify")
    try:
        await verifying.init()
        assert verifying.initialized
    finally:
        await verifying.close()
