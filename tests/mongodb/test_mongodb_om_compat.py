"""Observational memory shared with the real ``@mastra/mongodb`` 1.19.0, both ways, and
the collection's indexes our ``init`` creates compared with the ones Mastra's creates."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mastra_storage.om_records import TABLE_OBSERVATIONAL_MEMORY
from mastra_storage_mongodb import MongoDBStore
from tests.support.compat import Harness, harness_runner
from tests.support.om_compat import check_written_shape, mastra_om_view, our_read, write_ours
from tests.support.servers import mongodb_database

from .conftest import NPM_PACKAGES, REPO

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def om_harness() -> Harness:
    return harness_runner(REPO / "tests" / "compat" / "mastra_om_harness.mjs", NPM_PACKAGES)


async def om_indexes(store: MongoDBStore) -> dict[str, tuple[Any, bool]]:
    """Name -> (key pattern, unique) of the OM collection's indexes."""
    coll = store.stores["memory"].backend._conn.collection(TABLE_OBSERVATIONAL_MEMORY)  # type: ignore[attr-defined]
    infos = await (await coll.list_indexes()).to_list()
    return {i["name"]: (list(i["key"].items()), bool(i.get("unique"))) for i in infos}


async def field_names(store: MongoDBStore) -> set[str]:
    coll = store.stores["memory"].backend._conn.collection(TABLE_OBSERVATIONAL_MEMORY)  # type: ignore[attr-defined]
    return {name for doc in await coll.find({}).to_list() for name in doc}


async def test_observational_memory_both_ways(
    mongo_uri: str, db_name: str, om_harness: Harness
) -> None:
    # Mastra initialises its database and writes; we read the same records
    reference = mastra_om_view(
        await _run(om_harness, "mongodb", mongo_uri, db_name, "write", "ts-res", "ts-thread")
    )
    check_written_shape(reference)
    store = MongoDBStore(mongo_uri, db_name=db_name)
    try:
        mastra_indexes = await om_indexes(store)
        mastra_fields = await field_names(store)
        om = (await store.require_store("memory")).observational_memory
        assert await our_read(om, "ts-res", "ts-thread") == reference
    finally:
        await store.close()

    # our init creates the release's indexes; we write, Mastra (without its init) reads
    async with mongodb_database(mongo_uri) as ours_db:
        store = MongoDBStore(mongo_uri, db_name=ours_db)
        await store.init()
        try:
            om = (await store.require_store("memory")).observational_memory
            await write_ours(om, "py-res", "py-thread")
            ours = await our_read(om, "py-res", "py-thread")
            assert await om_indexes(store) == mastra_indexes
            # every field the release writes, plus the two buffered fields it has no
            # column for (it reads bufferedObservationTokens, ignores bufferedMessageIds)
            assert await field_names(store) == mastra_fields | {
                "bufferedObservationTokens",
                "bufferedMessageIds",
            }
        finally:
            await store.close()
        check_written_shape(ours)
        args = ("mongodb", mongo_uri, ours_db, "read", "py-res", "py-thread", "--no-init")
        assert mastra_om_view(await _run(om_harness, *args)) == ours


async def _run(harness: Harness, *args: str) -> Any:
    """The node harness, off the event loop (it talks to the same server)."""
    return await asyncio.to_thread(harness, *args)
