"""The shared conformance suite and the stateful test on the DynamoDB adapter (moto)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
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


Emptier = Callable[[DynamoDBStore], Awaitable[None]]
#: The conftest fixtures, for the state machine's fixture-less make/cleanup hooks.
_FIXTURES: dict[str, Any] = {}


class TestDynamoDBConformance(StorageConformance):
    #: 25 concurrent writers, not 100: moto serves every request in this process under
    #: the GIL (100 took ~9 s here, and moto's own request threads raced on its dicts).
    concurrent_writers: ClassVar[int] = 25
    messages_per_process: ClassVar[int] = 4

    @pytest.fixture
    async def storage(
        self, new_store: StoreFactory, emptier: Emptier
    ) -> AsyncIterator[MastraStorage]:
        store = new_store()
        await store.init()
        try:
            yield store
        finally:
            if store.closed:  # closed by the test (LifecycleTests): empty through a new one
                store = new_store()
            await emptier(store)
            await store.close()

    @pytest.fixture
    def storage_opener(
        self, store_opener: Callable[[], DynamoDBStore]
    ) -> Callable[[], MastraStorage]:
        return store_opener


class TestDynamoDBStateful(MemoryStatefulConformance):
    """Random operation sequences on DynamoDB must match the in-memory reference."""

    #: Fewer examples than the default 25: every step is an HTTP round trip to moto.
    hypothesis_settings: ClassVar[settings | None] = stateful_settings(
        max_examples=int(os.environ.get(ENV_EXAMPLES, "5"))
    )

    @pytest.fixture(autouse=True)
    def _factory(self, new_store: StoreFactory, emptier: Emptier) -> None:
        _FIXTURES.update(factory=new_store, empty=emptier)

    async def make_storage(self) -> MastraStorage:
        store: DynamoDBStore = _FIXTURES["factory"]()
        await store.init()
        return store

    async def cleanup_storage(self, storage: MastraStorage) -> None:
        if isinstance(storage, DynamoDBStore):
            await _FIXTURES["empty"](storage)
        await storage.close()
