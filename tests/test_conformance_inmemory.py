"""The shared conformance suite and the stateful memory test, run on the in-memory store."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mastra_storage import MastraStorage
from mastra_storage.testing.conformance import StorageConformance
from mastra_storage.testing.stateful import MemoryStatefulConformance


async def _in_memory() -> MastraStorage:
    from mastra_storage.inmemory import InMemoryStore

    store = InMemoryStore()
    await store.init()
    return store


class TestInMemoryConformance(StorageConformance):
    supports_multiprocess = False  # the data lives in this process only

    @pytest.fixture
    async def storage(self) -> AsyncIterator[MastraStorage]:
        store = await _in_memory()
        yield store
        await store.close()


class TestInMemoryStateful(MemoryStatefulConformance):
    async def make_storage(self) -> MastraStorage:
        return await _in_memory()
