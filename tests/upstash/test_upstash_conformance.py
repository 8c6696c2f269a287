"""The shared conformance suite and the stateful memory test on a real Redis server."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable

import pytest

from mastra_storage import MastraStorage
from mastra_storage.testing.conformance import StorageConformance
from mastra_storage.testing.stateful import MemoryStatefulConformance
from mastra_storage_upstash import UpstashStore
from tests.support.servers import redis_key_prefix


class TestUpstashConformance(StorageConformance):
    @pytest.fixture
    def storage_opener(self, redis_server_url: str, prefix: str) -> Callable[[], MastraStorage]:
        return functools.partial(UpstashStore, redis_server_url, prefix=prefix)

    @pytest.fixture
    async def fresh_storage_opener(
        self, redis_server_url: str
    ) -> AsyncIterator[Callable[[], MastraStorage]]:
        """A second key prefix, never initialised; its keys are deleted afterwards."""
        async with redis_key_prefix(redis_server_url) as fresh:
            yield functools.partial(UpstashStore, redis_server_url, prefix=fresh)

    @pytest.fixture
    async def storage(
        self, storage_opener: Callable[[], MastraStorage]
    ) -> AsyncIterator[MastraStorage]:
        store = storage_opener()
        await store.init()
        try:
            yield store
        finally:
            await store.close()


class TestUpstashStateful(MemoryStatefulConformance):
    """Random operation sequences on Redis must match the in-memory reference."""

    async def make_storage(self) -> MastraStorage:
        stack = contextlib.AsyncExitStack()
        prefix = await stack.enter_async_context(redis_key_prefix())
        store = UpstashStore(_url(), prefix=prefix)
        store._test_stack = stack  # type: ignore[attr-defined]
        await store.init()
        return store

    async def cleanup_storage(self, storage: MastraStorage) -> None:
        await storage.close()
        stack = getattr(storage, "_test_stack", None)  # the reference store has none
        if stack is not None:
            await stack.aclose()


def _url() -> str:
    from tests.support.servers import redis_url

    return redis_url()
