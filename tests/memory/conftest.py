"""Fixtures for the Memory tests: every test body runs on each storage backend.

``storage`` is parametrised over the backends this suite covers (in-memory and a libSQL
file); another adapter joins by adding a param and a branch in ``_open``. ``counted`` wraps
the memory domain so tests can assert how many storage calls an operation makes.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from mastra_storage import MastraStorage, MemoryStore

BACKENDS = ["inmemory", "libsql"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def open_storage(backend: str, tmp_path: Path) -> MastraStorage:
    if backend == "inmemory":
        from mastra_storage.inmemory import InMemoryStore

        store: MastraStorage = InMemoryStore()
    elif backend == "libsql":
        pytest.importorskip("libsql", reason="the libsql driver is not installed")
        from mastra_storage_libsql import LibSQLStore

        store = LibSQLStore(f"file:{tmp_path / 'memory.db'}")
    else:  # pragma: no cover - a new backend must be wired here
        raise AssertionError(backend)
    await store.init()
    return store


@pytest.fixture(params=BACKENDS)
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MastraStorage]:
    store = await open_storage(request.param, tmp_path)
    try:
        yield store
    finally:
        await store.close()


class Counting:
    """Delegates to a memory domain (or a vector store) and counts each call by name.

    On the embedded backends each domain call is one round trip (one transaction on the
    libSQL worker), so this count is the number of storage round trips.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        if not callable(attr):
            return attr

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls[name] + 1
            return await attr(*args, **kwargs)

        return counted

    @property
    def total(self) -> int:
        return sum(self.calls.values())

    def reset(self) -> None:
        self.calls.clear()


class CountingStore(Counting):
    def __init__(self, inner: MemoryStore) -> None:
        super().__init__(inner)
        self.supports_resource_scoped_queries = inner.supports_resource_scoped_queries


@pytest.fixture
async def counted(storage: MastraStorage) -> CountingStore:
    return CountingStore(await storage.require_store("memory"))


@pytest.fixture
async def vector(storage: MastraStorage) -> AsyncIterator[Any]:
    """The vector store paired with ``storage``: on libSQL, LibSQLVector on the same
    database (sharing the store's connection), else the in-memory reference vector store."""
    from mastra_storage.vector import InMemoryVector

    store: Any = InMemoryVector()
    if type(storage).__name__ == "LibSQLStore":
        from mastra_storage_libsql.vector import LibSQLVector

        store = LibSQLVector.from_store(storage)
    try:
        yield store
    finally:
        await store.close()
