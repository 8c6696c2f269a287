"""Datasets, experiments and blobs shared with the real ``@mastra/pg`` 1.27.1 (which has
``ExperimentsPG`` and ``BlobsPG``), both ways: a dataset with item versions (update, delete
tombstone, a batch), an experiment with results, and blobs (text, binary, put twice, put
many, deleted), written by one side and read by the other through its public API (every
version's snapshot, every item's history, get/has/getMany of every blob); and our init makes
exactly Mastra's tables and indexes."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from mastra_storage.domains.datasets import DatasetsStore
from mastra_storage.domains.experiments import ExperimentsStore
from mastra_storage.eval_layout import DATASET_TABLES, EXPERIMENT_TABLES, SKILL_BLOBS
from mastra_storage.eval_records import (
    DatasetInput,
    ExperimentInput,
    ExperimentUpdate,
    ItemInput,
    ItemUpdate,
    ResultInput,
    ResultUpdate,
)
from mastra_storage.layout import record_columns
from mastra_storage.records import Record
from mastra_storage.timeutil import to_iso
from mastra_storage_postgres import PostgresStore
from tests.postgres.conftest import NPM_PACKAGES, REPO, SchemaFactory
from tests.support.compat import Harness, harness_runner
from tests.support.studio_compat import (
    blob_fixture_hashes,
    check_blobs_present,
    our_blob_view,
    write_blob_fixture,
)

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 3, 1, 10, 0, 0, tzinfo=timezone.utc)
T1 = datetime(2026, 3, 1, 10, 0, 1, 500_000, tzinfo=timezone.utc)
T2 = datetime(2026, 3, 1, 10, 0, 3, 250_000, tzinfo=timezone.utc)
#: @mastra/pg writes these without their ``Z`` twin and reads the twin first, so its own
#: view shows the time of the insert (or of its transaction) instead of the value written;
#: ours reads the written value, compared against the harness's fixed times instead.
_RUN_TIMES = ("startedAt", "completedAt")
_RESULT_TIMES = (*_RUN_TIMES, "createdAt")


@pytest.fixture(scope="module")
def evals_harness() -> Harness:
    return harness_runner(REPO / "tests" / "compat" / "mastra_evals_pg_harness.mjs", NPM_PACKAGES)


def norm(value: Any) -> Any:
    """Absent, ``None`` and ``isDeleted: false`` compare equal (Mastra's current-item reads
    leave out ``validTo``/``isDeleted``); dates as ISO strings."""
    if isinstance(value, dict):
        return {
            k: norm(v)
            for k, v in value.items()
            if v is not None and not (k == "isDeleted" and v is False)
        }
    if isinstance(value, list):
        return [norm(v) for v in value]
    return to_iso(value) if isinstance(value, datetime) else value


def row(record: Record, *, current: bool = False) -> dict[str, Any]:
    out = {col: getattr(record, attr) for attr, col in record_columns(type(record))}
    if current:
        out.pop("validTo", None)
        out.pop("isDeleted", None)
    result: dict[str, Any] = norm(out)
    return result


async def our_view(ds: DatasetsStore, ex: ExperimentsStore, did: str, eid: str) -> dict[str, Any]:
    """What we read, in the shape the harness prints."""
    dataset = await ds.get_dataset(did)
    assert dataset is not None
    versions = (await ds.list_dataset_versions(did, per_page=None)).items
    current = (await ds.list_items(did, per_page=None)).items
    snapshots: dict[str, Any] = {}
    item_ids: set[str] = set()
    for v in versions:
        items = await ds.get_items_by_version(did, v.version)
        item_ids.update(i.id for i in items)
        snapshots[str(v.version)] = sorted(
            (row(i, current=True) for i in items), key=lambda r: r["id"]
        )
    history = {i: [row(r) for r in await ds.get_item_history(i)] for i in sorted(item_ids)}
    experiment = await ex.get_experiment(eid)
    assert experiment is not None
    results = (await ex.list_experiment_results(eid, per_page=None)).items
    reviewed = (await ex.list_experiment_results(eid, status="reviewed", per_page=None)).items
    return {
        "dataset": row(dataset),
        "versions": [v.version for v in versions],
        "current": sorted((row(i, current=True) for i in current), key=lambda r: r["id"]),
        "snapshots": snapshots,
        "history": history,
        "experiment": row(experiment),
        "results": [row(r) for r in results],
        "reviewed": [r.id for r in reviewed],
        # we have no tag filter: the harness's tag query over our rows is what is checked
        "flaky": [r.id for r in results if "flaky" in (r.tags or [])],
    }


def without_run_times(view: dict[str, Any]) -> dict[str, Any]:
    out = dict(view)
    out["experiment"] = {k: v for k, v in view["experiment"].items() if k not in _RUN_TIMES}
    out["results"] = [
        {k: v for k, v in r.items() if k not in _RESULT_TIMES} for r in view["results"]
    ]
    return out


async def write_ours(ds: DatasetsStore, ex: ExperimentsStore, did: str, eid: str) -> None:
    """The harness's scenario, through our API."""
    await ds.create_dataset(
        DatasetInput(
            id=did,
            name="Py dataset",
            description="written by Python",
            metadata={"owner": "py", "nested": {"n": 2}},
            input_schema={"type": "object", "required": ["question"]},
        )
    )
    a = await ds.add_item(
        did,
        ItemInput(
            input={"question": "What is 2+2?"},
            ground_truth={"answer": "4"},
            metadata={"difficulty": "easy"},
        ),
    )
    await ds.update_item(
        did, a.id, ItemUpdate(input={"question": "What is 2+3? ✓"}, ground_truth={"answer": "5"})
    )
    b = await ds.add_item(did, ItemInput(input={"question": "deleted later"}))
    await ds.delete_item(did, b.id)
    batch = await ds.batch_insert_items(
        did,
        [
            ItemInput(input={"question": "batch 1"}),
            ItemInput(input={"question": "batch 2"}, ground_truth="x"),
        ],
    )
    await ex.create_experiment(
        ExperimentInput(
            id=eid,
            name="Py run",
            dataset_id=did,
            dataset_version=5,
            target_type="agent",
            target_id="py-agent",
            total_items=2,
        )
    )
    await ex.update_experiment(eid, ExperimentUpdate(status="running", started_at=T0))
    await ex.add_experiment_result(
        ResultInput(
            id=f"{eid}-r1",
            experiment_id=eid,
            item_id=a.id,
            item_dataset_version=2,
            input={"question": "What is 2+3? ✓"},
            output={"text": "5"},
            ground_truth={"answer": "5"},
            started_at=T0,
            completed_at=T1,
            trace_id="trace-1",
            status="passed",
        )
    )
    await ex.add_experiment_result(
        ResultInput(
            id=f"{eid}-r2",
            experiment_id=eid,
            item_id=batch[0].id,
            item_dataset_version=5,
            input={"question": "batch 1"},
            error={"message": "boom"},
            started_at=T1,
            completed_at=T2,
            retry_count=1,
        )
    )
    await ex.update_experiment_result(
        f"{eid}-r2", ResultUpdate(status="reviewed", tags=["flaky", "x"], comment="look again")
    )
    await ex.update_experiment(
        eid,
        ExperimentUpdate(status="completed", succeeded_count=1, failed_count=1, completed_at=T2),
    )


async def tables_shape(admin: Any, schema: str) -> dict[str, Any]:
    names = [t.name for t in (*DATASET_TABLES, *EXPERIMENT_TABLES, SKILL_BLOBS)]
    columns = await admin.fetch(
        "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text "
        "FROM information_schema.columns WHERE table_schema = $1 "
        "AND table_name = ANY($2::text[]) ORDER BY table_name, column_name",
        schema,
        names,
    )
    indexes = await admin.fetch(
        "SELECT tablename::text, replace(replace(indexdef, $1, 'S.'), $3, '') FROM pg_indexes "
        "WHERE schemaname = $2 AND tablename = ANY($4::text[]) ORDER BY indexname",
        f"{schema}.",
        schema,
        f"{schema}_",
        names,
    )
    return {"columns": [tuple(c) for c in columns], "indexes": sorted(tuple(i) for i in indexes)}


async def test_datasets_and_experiments_both_ways(
    pg_url: str, schema: str, schemas: SchemaFactory, evals_harness: Harness, admin: Any
) -> None:
    # Mastra creates its schema and writes; we read the same records
    reference = evals_harness(pg_url, schema, "write", "ts-ds", "ts-exp")
    blob_write = reference.pop("blobWrite")
    ts_hashes = blob_write["hashes"]
    assert (ts_hashes, blob_write["deleted"]) == (blob_fixture_hashes("ts"), [True, False])
    store = PostgresStore(pg_url, schema_name=schema)
    await store.init()
    try:
        ds = await store.require_store("datasets")
        ex = await store.require_store("experiments")
        ours = await our_view(ds, ex, "ts-ds", "ts-exp")
        mastra_blobs = reference.pop("blobs")
        assert without_run_times(ours) == without_run_times(norm(reference))
        # compared as printed (norm would drop a deleted blob's null)
        our_blobs = await our_blob_view(store, ts_hashes)
        assert our_blobs == mastra_blobs
        check_blobs_present(our_blobs, "ts", ts_hashes)
        # the first put's time, not the second's (a put of a stored hash is a no-op)
        assert our_blobs["get"][ts_hashes[0]]["createdAt"] == "2026-03-01T09:00:00.000Z"
        assert ours["versions"] == [5, 4, 3, 2, 1] and len(ours["current"]) == 3
        assert ours["reviewed"] == ours["flaky"] == ["ts-exp-r2"]
        assert ours["results"][1]["comment"] == "look again"
        iso = [to_iso(t) for t in (T0, T1, T2)]
        assert (ours["experiment"]["startedAt"], ours["experiment"]["completedAt"]) == (
            iso[0],
            iso[2],
        )
        assert [(r["startedAt"], r["completedAt"]) for r in ours["results"]] == [
            (iso[0], iso[1]),
            (iso[1], iso[2]),
        ]
        # our next item mutation follows Mastra's version
        added = await ds.add_item("ts-ds", ItemInput(input={"question": "from Python"}))
        assert added.dataset_version == 6
    finally:
        await store.close()

    # our init creates the release's tables; we write, Mastra (without its init) reads
    ours_schema = schemas.new()
    try:
        store = PostgresStore(pg_url, schema_name=ours_schema)
        await store.init()
        try:
            ds = await store.require_store("datasets")
            ex = await store.require_store("experiments")
            await write_ours(ds, ex, "py-ds", "py-exp")
            blobs = await write_blob_fixture(store, "py")
            assert blobs["deleted"] == [True, False]
            expected = await our_view(ds, ex, "py-ds", "py-exp")
            our_blobs = await our_blob_view(store, blobs["hashes"])
        finally:
            await store.close()
        hashes = ",".join(blobs["hashes"])
        found = evals_harness(pg_url, ours_schema, "read", "py-ds", "py-exp", hashes, "--no-init")
        assert found.pop("blobs") == our_blobs
        assert norm(found) == expected
        assert expected["reviewed"] == expected["flaky"] == ["py-exp-r2"]
        check_blobs_present(our_blobs, "py", blobs["hashes"])
        assert expected["snapshots"]["4"][0]["input"] == {"question": "What is 2+3? ✓"}
        assert await tables_shape(admin, ours_schema) == await tables_shape(admin, schema)
    finally:
        await schemas.drop(ours_schema)
