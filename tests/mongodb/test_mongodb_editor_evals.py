"""Mastra Studio's stored agents (with versions), the other versioned editor domains,
datasets (with item versions), experiments (with results) and blobs on MongoDB: cross-read
both ways with the real
``@mastra/mongodb`` 1.19.0 (the release has ``MongoDBExperimentsStorage`` and
``MongoDBBlobStore``; our init makes the release's indexes, our documents its field types),
version numbers and dataset versions under concurrent writers with and without
transactions, and ``init_mode="verify"``."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from mastra_storage.backend.editor import EDITOR_DOMAINS_BY_NAME
from mastra_storage.domains.datasets import DatasetsStore
from mastra_storage.domains.editor import VersionedStore
from mastra_storage.errors import SchemaMismatchError
from mastra_storage.eval_layout import EVAL_TABLES
from mastra_storage.eval_records import DatasetInput, ItemInput, ItemUpdate
from mastra_storage_mongodb import MongoDBStore
from tests.support.compat import Harness, harness_runner
from tests.support.servers import mongodb_database
from tests.support.studio_compat import (
    STUDIO_EDITOR_DOMAINS,
    as_release_reads,
    blob_fixture_hashes,
    check_fixture_present,
    editor_id,
    our_studio_view,
    our_view_of_written,
    write_studio_fixture,
)

pytestmark = pytest.mark.anyio

HARNESS = Path(__file__).resolve().parents[2] / "tests" / "compat" / "mastra_studio_harness.mjs"
NPM_PACKAGES = ("@mastra/mongodb@1.19.0", "@mastra/core@1.71.0")
# Editor domains: @mastra/mongodb 1.19.0 offers all seven (MongoDBStore's ``stores`` in
# node_modules/@mastra/mongodb/dist/index.js: agents, promptBlocks, scorerDefinitions,
# mcpClients, mcpServers, workspaces, skills), so all seven are crossed here: agents with
# the experiments that point at them, the six others from tests/compat/editor_fixture.json.


@pytest.fixture(scope="module")
def studio_harness() -> Harness:
    return harness_runner(HARNESS, NPM_PACKAGES)


async def _run(harness: Harness, *args: str) -> dict[str, Any]:
    # Off the event loop: the node process talks to the same server.
    return await asyncio.to_thread(harness, *args)


async def test_cross_read_both_ways(mongo_uri: str, db_name: str, studio_harness: Harness) -> None:
    written = await _run(studio_harness, "write", "mongodb", mongo_uri, db_name)
    assert written["blobDeleted"] == [True, False]
    await _init_matches_the_release(mongo_uri, db_name)
    ids = (written["datasetIds"], written["experimentIds"], written["blobHashes"])
    reference = await _run(
        studio_harness,
        "read",
        "mongodb",
        mongo_uri,
        db_name,
        "ts-agent",
        *(",".join(i) for i in ids),
        written["editorPrefix"],
    )
    store = MongoDBStore(mongo_uri, db_name=db_name)
    await store.init()
    try:
        ours_of_theirs = await our_studio_view(
            store, ["ts-agent"], *ids, editor_prefix=written["editorPrefix"]
        )
        assert ours_of_theirs == reference
        assert reference["agents"]["ts-agent"]["count"] == 2
        assert reference["datasets"][written["datasetIds"][0]]["versions"] == [4, 3, 2, 1]
        check_fixture_present(reference, "ts", written["blobHashes"], release="mongodb")
        ours = await write_studio_fixture(store)
        view = await our_view_of_written(store, ours)
        assert (await store.doctor()).ok
        py_types, ts_types = await _field_types(store, "py"), await _field_types(store, "ts")
        for collection, docs in ts_types.items():  # per collection: a failure names it
            ours_docs = [_without_our_extras(collection, d) for d in py_types[collection]]
            assert ours_docs == docs, collection
    finally:
        await store.close()
    assert ours["blobDeleted"] == [True, False]
    mastra = await _run(
        studio_harness,
        "read",
        "mongodb",
        mongo_uri,
        db_name,
        "py-agent",
        "py-dataset",
        "py-exp",
        ",".join(ours["blobHashes"]),
        ours["editorPrefix"],
    )
    # our documents as Mastra reads them: a scorer definition's organizationId and
    # projectId and a skill's favoriteCount are not read (studio_compat says why)
    editor = view["editor"]
    assert list(mastra["editor"]) == list(editor)
    for domain, found in editor.items():  # per domain: a failure names it
        assert mastra["editor"][domain] == as_release_reads(domain, found, "mongodb"), domain
    assert mastra | {"editor": None} == view | {"editor": None}
    assert editor["scorerDefinitions"]["thin"]["organizationId"] == "org-1"  # kept by us
    assert [len(v) for v in view["datasets"]["py-dataset"]["history"].values()] == [2, 2]
    check_fixture_present(view, "py", ours["blobHashes"])


async def _indexes(store: MongoDBStore) -> dict[str, set[tuple[str, bool]]]:
    """(keys, unique) of every index of the datasets, experiments and blobs collections."""
    out: dict[str, set[tuple[str, bool]]] = {}
    for table in EVAL_TABLES:
        info = await store.connection.collection(table.name).index_information()
        out[table.name] = {(str(i["key"]), bool(i.get("unique"))) for i in info.values()}
    return out


async def _init_matches_the_release(mongo_uri: str, mastra_db: str) -> None:
    """Every index the release's init made in ``mastra_db`` (before ours runs there) is
    made by our init on an empty database, for the datasets, experiments and blobs
    collections."""
    mastra = MongoDBStore(mongo_uri, db_name=mastra_db)
    try:
        made = await _indexes(mastra)
    finally:
        await mastra.close()
    async with mongodb_database(mongo_uri) as empty:
        store = MongoDBStore(mongo_uri, db_name=empty)
        await store.init()
        try:
            ours = await _indexes(store)
        finally:
            await store.close()
    assert all(len(keys) > 1 for keys in made.values())  # the release indexed each one
    for name, keys in made.items():
        assert keys <= ours[name], (name, keys - ours[name])


async def _field_types(store: MongoDBStore, prefix: str) -> dict[str, Any]:
    """BSON type of each set field of the experiment, results, blobs and editor entities
    (thin document and versions) a ``prefix`` write made (dates stay dates, JSON values
    stay sub-documents, numbers stay numbers, booleans booleans)."""
    text_hash = blob_fixture_hashes(prefix)[0]
    found: dict[str, Any] = {}
    queries: list[tuple[str, dict[str, Any]]] = [
        ("mastra_experiments", {"id": f"{prefix}-exp"}),
        ("mastra_experiment_results", {"experimentId": f"{prefix}-exp"}),
        ("mastra_skill_blobs", {"hash": text_hash}),
    ]
    for domain in STUDIO_EDITOR_DOMAINS:
        spec = EDITOR_DOMAINS_BY_NAME[domain]
        entity_id = editor_id(prefix, domain)
        queries.append((spec.entity_table.name, {"id": entity_id}))
        queries.append((spec.version_table.name, {spec.parent_column: entity_id}))
    for collection, query in queries:
        docs = await store.connection.collection(collection).find(query).to_list()
        assert docs, (collection, query)
        found[collection] = [
            {k: type(v).__name__ for k, v in sorted(d.items()) if v is not None and k != "_id"}
            for d in sorted(docs, key=_doc_order)
        ]
    return found


#: Thin fields our documents have and @mastra/mongodb 1.19.0's do not, which the release
#: does not read either (UNREAD_BY_RELEASE in tests/support/studio_compat.py): a scorer
#: definition's organizationId and projectId, and a skill's favoriteCount (0 from create,
#: for Mastra Studio's favourites; the release has no favourites domain).
_OUR_EXTRA_FIELDS: dict[str, frozenset[str]] = {
    "mastra_scorer_definitions": frozenset({"organizationId", "projectId"}),
    "mastra_skills": frozenset({"favoriteCount"}),
}


def _without_our_extras(collection: str, types: dict[str, str]) -> dict[str, str]:
    extras = _OUR_EXTRA_FIELDS.get(collection, frozenset())
    assert extras <= types.keys(), (collection, extras - types.keys())  # still written
    return {k: v for k, v in types.items() if k not in extras}


def _doc_order(doc: dict[str, Any]) -> Any:
    # versions by number (their ids differ between the writers), the rest by id or hash
    if "versionNumber" in doc:
        return (0, doc["versionNumber"])
    return (1, str(doc["id"] if "id" in doc else doc["hash"]))


@pytest.mark.parametrize("transactions", [True, False], ids=["transactions", "no-transactions"])
async def test_concurrent_writers_never_share_a_number(
    mongo_uri: str, db_name: str, transactions: bool
) -> None:
    """Two stores (two clients) add versions of one agent and update one dataset item at
    once: version numbers and dataset versions stay unique and gapless, with or without
    multi-document transactions."""
    stores = [MongoDBStore(mongo_uri, db_name=db_name, transactions=transactions) for _ in range(2)]
    for s in stores:
        await s.init()
    try:
        agents = [await s.require_store("agents") for s in stores]
        datasets = [await s.require_store("datasets") for s in stores]
        assert all(isinstance(a, VersionedStore) for a in agents)
        assert all(isinstance(d, DatasetsStore) for d in datasets)
        first, second = agents[0], agents[1]
        d_first, d_second = datasets[0], datasets[1]
        assert isinstance(first, VersionedStore) and isinstance(second, VersionedStore)
        assert isinstance(d_first, DatasetsStore) and isinstance(d_second, DatasetsStore)
        await first.create("a", config={"name": "A", "instructions": "i", "model": {}})
        versions = await asyncio.gather(
            *(
                (first if i % 2 else second).create_version(
                    "a", config={"name": "A", "instructions": f"v{i}", "model": {}}
                )
                for i in range(12)
            )
        )
        assert sorted(v.version_number for v in versions) == list(range(2, 14))
        ds = await d_first.create_dataset(DatasetInput(name="d"))
        item = await d_first.add_item(ds.id, ItemInput(input={"n": 0}))
        await asyncio.gather(
            *(
                (d_first if i % 2 else d_second).update_item(
                    ds.id, item.id, ItemUpdate(input={"n": i})
                )
                for i in range(1, 9)
            )
        )
        history = await d_second.get_item_history(item.id)
        assert [r.dataset_version for r in history] == list(range(9, 0, -1))
        assert [r.valid_to for r in history] == [None, *range(9, 1, -1)]
        assert sum(r.valid_to is None for r in history) == 1
    finally:
        for s in stores:
            await s.close()


async def test_verify_mode_names_missing_studio_indexes(mongo_uri: str, db_name: str) -> None:
    store = MongoDBStore(mongo_uri, db_name=db_name)
    await store.init()
    await store.connection.collection("mastra_dataset_versions").drop_index(
        "idx_dataset_versions_datasetid_version"
    )
    await store.connection.collection("mastra_agent_versions").drop_index(
        "agentId_1_versionNumber_-1"
    )
    await store.close()
    bad = MongoDBStore(mongo_uri, db_name=db_name, init_mode="verify")
    with pytest.raises(SchemaMismatchError) as caught:
        await bad.init()
    await bad.close()
    assert "idx_dataset_versions_datasetid_version" in str(caught.value)
    assert "agentId_1_versionNumber_-1" in str(caught.value)
