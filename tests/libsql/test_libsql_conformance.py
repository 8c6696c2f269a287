"""The shared conformance suite and the stateful test on the libSQL adapter: file and :memory:."""

from __future__ import annotations

import functools
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import ClassVar

import pytest

from mastra_storage import MastraStorage
from mastra_storage.testing.conformance import StorageConformance
from mastra_storage.testing.stateful import MemoryStatefulConformance
from mastra_storage_libsql import LibSQLStore


class TestLibSQLFileConformance(StorageConformance):
    @pytest.fixture
    def storage_opener(self, tmp_path: Path) -> Callable[[], MastraStorage]:
        return functools.partial(LibSQLStore, f"file:{tmp_path / 'conformance.db'}")

    @pytest.fixture
    def fresh_storage_opener(self, tmp_path: Path) -> Callable[[], MastraStorage]:
        return functools.partial(LibSQLStore, f"file:{tmp_path / 'fresh.db'}")

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


class TestLibSQLMemoryConformance(StorageConformance):
    #: A ``:memory:`` database lives and dies with its connection: no other process sees it.
    supports_multiprocess: ClassVar[bool] = False

    @pytest.fixture
    async def storage(self) -> AsyncIterator[MastraStorage]:
        store = LibSQLStore(":memory:")
        await store.init()
        try:
            yield store
        finally:
            await store.close()


class TestLibSQLStateful(MemoryStatefulConformance):
    """Random operation sequences on a libSQL file must match the in-memory reference."""

    async def make_storage(self) -> MastraStorage:
        directory = tempfile.mkdtemp(prefix="mastra-stateful-")
        store = LibSQLStore(f"file:{Path(directory) / 'stateful.db'}")
        store._stateful_dir = directory  # type: ignore[attr-defined]
        await store.init()
        return store

    async def cleanup_storage(self, storage: MastraStorage) -> None:
        import shutil

        await storage.close()
        directory = getattr(storage, "_stateful_dir", None)  # the reference store has none
        if directory is not None:
            shutil.rmtree(directory, ignore_errors=True)
