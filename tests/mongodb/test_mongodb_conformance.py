"""The shared conformance suite and the stateful test on MongoDB (transactions and not)."""

from __future__ import annotations

import functools
import os
from collections.abc import AsyncIterator, Callable
from typing import ClassVar

import pytest

from mastra_storage import MastraStorage
from mastra_storage.testing.conformance import (
    CloneThreadTests,
    ResourceTests,
    StorageConformance,
    ThreadTests,
    UpdateDeleteMessageTests,
)
from mastra_storage.testing.stateful import (
    ENV_EXAMPLES,
    MemoryStatefulConformance,
    stateful_settings,
)
from mastra_storage_mongodb import MongoDBStore

from .conftest import open_clean_store


class TestMongoDBConformance(StorageConformance):
    """Every domain, with multi-document transactions (the server reports a replica set)."""

    #: 50 concurrent writers, not 100: the test server is a pure-Python MongoDB (SecantusDB)
    #: that runs every transaction retry of 100 racing writers on one thread in one
    #: process; at 100 the slowest append passed the 30 s operation deadline in a full run.
    concurrent_writers: ClassVar[int] = 50

    @pytest.fixture
    async def storage(self, mongo_uri: str, shared_db_name: str) -> AsyncIterator[MastraStorage]:
        store = await open_clean_store(mongo_uri, shared_db_name)
        assert store.uses_transactions in (True, False)
        try:
            yield store
        finally:
            await store.close()

    @pytest.fixture
    def storage_opener(self, mongo_uri: str, shared_db_name: str) -> Callable[[], MastraStorage]:
        return functools.partial(MongoDBStore, mongo_uri, db_name=shared_db_name)

    @pytest.fixture
    def fresh_storage_opener(self, mongo_uri: str, db_name: str) -> Callable[[], MastraStorage]:
        """A database not created yet (conftest's ``db_name`` drops it afterwards)."""
        return functools.partial(MongoDBStore, mongo_uri, db_name=db_name)


class TestMongoDBNoTransactionsMemory(
    ThreadTests, UpdateDeleteMessageTests, ResourceTests, CloneThreadTests
):
    """The memory domain's writes on the ordered, non-transactional path (standalone
    servers). ``MessageTests`` is left out: it exercises the read path, which is the same
    with and without transactions (and its fixtures save messages through this path)."""

    @pytest.fixture
    async def storage(self, mongo_uri: str, shared_db_name: str) -> AsyncIterator[MastraStorage]:
        store = await open_clean_store(mongo_uri, shared_db_name, transactions=False)
        assert store.uses_transactions is False
        try:
            yield store
        finally:
            await store.close()

    @pytest.fixture
    def storage_opener(self, mongo_uri: str, shared_db_name: str) -> Callable[[], MastraStorage]:
        return functools.partial(
            MongoDBStore, mongo_uri, db_name=shared_db_name, transactions=False
        )


class TestMongoDBStateful(MemoryStatefulConformance):
    """Random operation sequences on MongoDB must match the in-memory reference.

    15 examples by default (not 25): every step is several round trips to a server written
    in Python, and the directory must stay under its time budget on two shared cores.
    ``MASTRA_STORAGE_STATEFUL_EXAMPLES`` still overrides it.
    """

    hypothesis_settings = stateful_settings(
        max_examples=None if os.environ.get(ENV_EXAMPLES) else 15
    )

    @pytest.fixture(autouse=True)
    def _database(self, mongo_uri: str, shared_db_name: str) -> None:
        type(self).target = (mongo_uri, shared_db_name)

    target = ("", "")

    async def make_storage(self) -> MastraStorage:
        uri, name = self.target
        return await open_clean_store(uri, name)
