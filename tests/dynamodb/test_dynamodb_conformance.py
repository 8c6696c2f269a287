"""The shared conformance suite and the stateful test on the DynamoDB adapter (moto)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any, ClassVar

import pytest
from hypothesis import settings

from mastra_storage import MastraStorage
from mastra_storage.testing.conformance import StorageConformance
from mastra_storage.testing.stateful import (
    ENV_EXAMPLES,
    MemoryStatefulConformance,
    stateful_settings,
)
from mastra_storage_dynamodb import DynamoDBStore

StoreFactory = Callable[..., DynamoDBStore]


async def _empty(store: DynamoDBStore) -> None:
    """Delete every item this test wrote (the session shares one private table)."""
    rows = await store.table.scan_all(filter="attribute_exists(pk)", expr=_NoExpr())
    await store.table.batch_write(deletes=[{"pk": r["pk"], "sk": r["sk"]} for r in rows])


class _NoExpr:
    def params(self, serialize: Any) -> dict[str, Any]:
        return {}


class TestDynamoDBConformance(StorageConformance):
    #: No observability domain (Mastra's DynamoDB store has none; see docs/dynamodb-layout.md).
    supports_observability: ClassVar[bool] = False
    #: No message-by-resource index in Mastra's layout; the store raises NotSupportedError.
    supports_resource_scoped_queries: ClassVar[bool] = False

    @pytest.fixture
    async def storage(self, new_store: StoreFactory) -> AsyncIterator[MastraStorage]:
        store = new_store()
        await store.init()
        try:
            yield store
        finally:
            await _empty(store)
            await store.close()


class TestDynamoDBStateful(MemoryStatefulConformance):
    """Random operation sequences on DynamoDB must match the in-memory reference."""

    supports_resource_scoped_queries: ClassVar[bool] = False
    #: Fewer examples than the default 25: every step is an HTTP round trip to moto.
    hypothesis_settings: ClassVar[settings | None] = stateful_settings(
        max_examples=int(os.environ.get(ENV_EXAMPLES, "5"))
    )
    factory: ClassVar[StoreFactory | None] = None

    @pytest.fixture(autouse=True)
    def _factory(self, new_store: StoreFactory) -> None:
        type(self).factory = staticmethod(new_store)  # type: ignore[assignment]

    async def make_storage(self) -> MastraStorage:
        assert self.factory is not None
        store = self.factory()
        await store.init()
        return store

    async def cleanup_storage(self, storage: MastraStorage) -> None:
        if isinstance(storage, DynamoDBStore):
            await _empty(storage)
        await storage.close()
