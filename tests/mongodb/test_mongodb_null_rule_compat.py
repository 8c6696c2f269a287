"""Issue 16 on MongoDB against the real ``@mastra/mongodb`` 1.19.0: the same dataset
(supplied score ids, string / number-like / JSON-looking score inputs and outputs, unset
optional fields) written by Mastra into one database and by the SDK into another must
read the same through each app's API, field by field, and be stored the same way."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient

from mastra_storage_mongodb import MongoDBStore
from tests.support.compat import Harness
from tests.support.compat_dataset import read_dataset, volatile_free, write_dataset
from tests.support.servers import mongodb_database

from .conftest import run_harness

pytestmark = pytest.mark.anyio

#: (collection, key field, ids) of every stored dataset document.
_DOCS = (
    ("mastra_threads", "id", ["ds-thread"]),
    ("mastra_messages", "id", ["ds-m1", "ds-m2"]),
    ("mastra_resources", "id", ["ds-res-bare", "ds-res-full"]),
    ("mastra_workflow_snapshot", "run_id", ["ds-run-bare"]),
    (
        "mastra_scorers",
        "id",
        ["ds-score-str", "ds-score-num", "ds-score-json", "ds-score-bare", "ds-score-over"],
    ),
)
#: Set to "now" by a write: compared as "present".
_NOW = frozenset(
    {
        ("mastra_scorers", "createdAt"),
        ("mastra_scorers", "updatedAt"),
        ("mastra_threads", "updatedAt"),
    }
)


async def stored(uri: str, db: str) -> dict[str, Any]:
    """Every dataset document as stored (without ``_id``; write-time fields as presence)."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(uri)
    out: dict[str, Any] = {}
    try:
        for collection, key, ids in _DOCS:
            for doc_id in ids:
                docs = await client[db][collection].find({key: doc_id}).to_list()
                out[f"{collection}/{doc_id}"] = [
                    {
                        k: (v is not None) if (collection, k) in _NOW else v
                        for k, v in doc.items()
                        if k != "_id"
                    }
                    for doc in docs
                ]
    finally:
        await client.close()
    return out


def _records_without_nulls(view: dict[str, Any]) -> dict[str, Any]:
    """Each record of a dataset view without its null fields."""

    def record(value: Any) -> Any:
        return {k: v for k, v in value.items() if v is not None} if value else value

    return {
        key: record(part) if key in ("thread", "run") else {k: record(v) for k, v in part.items()}
        for key, part in view.items()
    }


async def test_dataset_reads_and_is_stored_alike_whoever_wrote_it(
    mongo_uri: str, db_name: str, mastra_harness: Harness
) -> None:
    # Mastra writes into db_name, the SDK into another database of the same server.
    assert await run_harness(mastra_harness, "write-dataset", mongo_uri, db_name) == {"ok": True}
    async with mongodb_database(mongo_uri) as ours_db:
        store = MongoDBStore(mongo_uri, db_name=ours_db)
        await store.init()
        try:
            await write_dataset(store)
            sdk_reads_ours = await read_dataset(store)
        finally:
            await store.close()
        store = MongoDBStore(mongo_uri, db_name=db_name)
        try:
            sdk_reads_theirs = await read_dataset(store)
        finally:
            await store.close()
        mastra_reads_theirs = volatile_free(
            await run_harness(mastra_harness, "read-dataset", mongo_uri, db_name, "--no-init")
        )
        mastra_reads_ours = volatile_free(
            await run_harness(mastra_harness, "read-dataset", mongo_uri, ours_db, "--no-init")
        )
        theirs_stored = await stored(mongo_uri, db_name)
        ours_stored = await stored(mongo_uri, ours_db)

    # Each app's read API returns the same, field by field, whoever wrote the data.
    assert sdk_reads_ours == sdk_reads_theirs
    assert mastra_reads_ours == mastra_reads_theirs
    # What is stored is what the release stores: same keys, nulls, values and BSON types.
    for key, docs in theirs_stored.items():
        assert [sorted(d.items()) for d in ours_stored[key]] == [sorted(d.items()) for d in docs], (
            key
        )
    for doc in ours_stored.values():
        assert len(doc) == 1  # one document per id: the supplied score id replaced it

    # And the two apps agree with each other, up to how each shows an unset field: Mastra
    # returns some as null, the SDK leaves them out, and Mastra's getResourceById shows a
    # resource without working memory as "".
    mastra_view = _records_without_nulls(mastra_reads_theirs)
    assert mastra_view["resources"]["ds-res-bare"].pop("workingMemory") == ""
    assert _records_without_nulls(sdk_reads_theirs) == mastra_view

    # The supplied ids are kept, and the replaced score is the second write.
    over = sdk_reads_ours["scores"]["ds-score-over"]
    assert over["id"] == "ds-score-over" and over["score"] == 0.9 and "reason" not in over
    assert mastra_reads_ours["scores"]["ds-score-over"]["output"] == {"second": True}
