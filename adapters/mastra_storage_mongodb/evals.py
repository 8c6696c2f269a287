"""Datasets (SCD-2 item rows), experiments and blobs on MongoDB.

Collections, field names and indexes are ``@mastra/mongodb`` 1.19.0's: application ``id``
fields (``hash`` for blobs), JSON values as native sub-documents, timestamps as BSON dates,
``isDeleted`` a boolean, every field present (``null`` when unset) as the release writes
them.

An item mutation is one transaction when the deployment supports them: the dataset's
``version`` is claimed with a conditional ``findOneAndUpdate`` (``version`` must still be
the one ``mutate`` saw), so two writers of one dataset can never both commit the same
version; the release's unique ``(datasetId, version)`` index on
``mastra_dataset_versions`` backs that up. Without transactions the same conditional
claim serialises writers, and the writes follow it in an order that leaves readers a
consistent view if interrupted (rows first, the old rows closed last).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec

from mastra_storage.backend.blobs import BlobsBackend
from mastra_storage.backend.datasets import (
    ITEM_PURGE_COLUMNS,
    RESULT_PURGE_COLUMNS,
    DatasetMutation,
    DatasetQuery,
    DatasetsBackend,
    ItemChanges,
    ItemMutation,
    ItemQuery,
    VersionQuery,
)
from mastra_storage.backend.experiments import (
    ExperimentMutation,
    ExperimentQuery,
    ExperimentsBackend,
    ResultMutation,
    ResultQuery,
)
from mastra_storage.backend.paging import PageRequest
from mastra_storage.errors import ConflictError
from mastra_storage.eval_layout import (
    DATASET_FILTERS,
    DATASET_ITEMS,
    DATASET_VERSIONS,
    DATASETS,
    EXPERIMENT_FILTERS,
    EXPERIMENT_RESULTS,
    EXPERIMENTS,
    RESULT_FILTERS,
    SKILL_BLOBS,
    TABLE_DATASET_ITEMS,
    TABLE_DATASET_VERSIONS,
    TABLE_DATASETS,
    TABLE_EXPERIMENT_RESULTS,
    TABLE_EXPERIMENTS,
    TABLE_SKILL_BLOBS,
    equal_filters,
)
from mastra_storage.eval_records import (
    Blob,
    Dataset,
    DatasetItem,
    DatasetVersion,
    Experiment,
    ExperimentResult,
)
from mastra_storage.layout import LogicalTable, record_columns
from mastra_storage.timeutil import from_epoch_ms

from .connection import TX_RETRY, Document, Session
from .documents import eq, plain, read_date, read_optional_date
from .domain import MongoDomain
from .schema import EVAL_INDEXES, IndexSpec

#: How often an item write retries after another writer claimed the version it computed.
CLAIM_ATTEMPTS = 50


#: Without transactions, an item write holds the dataset for this long at most (the field
#: ``_writing`` on its document, removed when the write is done); a writer that died holding
#: it is taken over after that. Longer than any one write's few commands take.
WRITE_LEASE_S = 30.0


class _Lost(ConflictError):
    """Another writer claimed the dataset version first: read again and retry."""


R = TypeVar("R", bound=msgspec.Struct)


class DocCodec(Generic[R]):
    """One record type as the release's documents: ``{column: value}`` for every column
    (``None`` as ``null``), datetimes as BSON dates, JSON as native values."""

    def __init__(self, table: LogicalTable, record: type[R]) -> None:
        self.collection = table.name
        self.record = record
        self.fields = record_columns(record)
        logical = {c.name: c.logical for c in table.columns}
        missing = [c for _, c in self.fields if c not in logical]
        assert not missing, f"{record.__name__} fields without a column: {missing}"
        self._kinds = {column: logical[column] for _, column in self.fields}
        self._required_dates = frozenset(
            c.name for c in table.columns if c.logical == "timestamp" and c.not_null
        )

    def doc(self, value: R) -> Document:
        return {column: getattr(value, name) for name, column in self.fields}

    def record_of(self, doc: Mapping[str, Any]) -> R:
        values: dict[str, Any] = {}
        for name, column in self.fields:
            raw = doc.get(column)
            kind = self._kinds[column]
            if kind == "timestamp":
                if column in self._required_dates:
                    values[name] = read_date(raw, field=column)
                else:
                    values[name] = read_optional_date(raw, field=column)
            elif raw is None:
                continue  # the record's default (absent and null mean the same)
            elif kind == "boolean":
                values[name] = bool(raw)
            elif kind in ("integer", "bigint"):
                values[name] = int(raw)
            else:
                values[name] = plain(raw)
        return self.record(**values)


DATASET_DOC = DocCodec(DATASETS, Dataset)
ITEM_DOC = DocCodec(DATASET_ITEMS, DatasetItem)
VERSION_DOC = DocCodec(DATASET_VERSIONS, DatasetVersion)
EXPERIMENT_DOC = DocCodec(EXPERIMENTS, Experiment)
RESULT_DOC = DocCodec(EXPERIMENT_RESULTS, ExperimentResult)
BLOB_DOC = DocCodec(SKILL_BLOBS, Blob)


def _indexes_of(collections: tuple[str, ...]) -> tuple[IndexSpec, ...]:
    """The release's default indexes of ``collections``."""
    return tuple(s for s in EVAL_INDEXES if s.collection in collections)


class _MongoEvals(MongoDomain):
    """What the three backends share beyond :class:`MongoDomain`: records by id, their
    atomic modification, and listings decoded."""

    async def _page(
        self,
        operation: str,
        codec: DocCodec[R],
        match: Document,
        page: PageRequest,
        *,
        field: str,
        ascending: bool,
        tie_ascending: bool = True,
        key_value: Callable[[int], Any] = from_epoch_ms,
    ) -> tuple[list[R], int]:
        """:meth:`MongoDomain.find_page` of ``codec``'s collection in the order "``field``
        (``ascending``), then ``id`` (``tie_ascending``)", decoded. A page of ``limit``
        0 reads the total alone and no row."""
        if page.limit == 0:
            coll = self._conn.collection(codec.collection)
            if not page.count:
                return [], 0
            return [], int(await self._conn.guard(operation, coll.count_documents(match)))
        docs, total = await self.find_page(
            operation,
            codec.collection,
            match,
            page,
            sort=[(field, 1 if ascending else -1), ("id", 1 if tie_ascending else -1)],
            keyset=(field, "id"),
            ascending=ascending,
            tie_ascending=tie_ascending,
            key_value=key_value,
        )
        return [codec.record_of(d) for d in docs], total

    async def _get(self, operation: str, codec: DocCodec[R], record_id: str) -> R | None:
        coll = self._conn.collection(codec.collection)
        doc = await self._conn.guard(operation, coll.find_one({"id": eq(record_id)}))
        return None if doc is None else codec.record_of(doc)

    async def _insert(self, operation: str, codec: DocCodec[R], value: R) -> None:
        doc = codec.doc(value)
        self._conn.check_size(doc, operation)
        await self._conn.guard(operation, self._conn.collection(codec.collection).insert_one(doc))

    async def _modify(
        self,
        operation: str,
        codec: DocCodec[R],
        record_id: str,
        mutate: Callable[[R], R],
        keep: Callable[[R, R], R] | None = None,
    ) -> R | None:
        """Read, ``mutate`` and write back atomically (a transaction, or a compare-and-swap
        retried when another writer got there first)."""

        def compute(current: Document | None) -> tuple[Document | None, R | None]:
            if current is None:
                return None, None
            before = codec.record_of(current)
            updated = mutate(before)
            if keep is not None:
                updated = keep(before, updated)
            fields = codec.doc(updated)
            fields.pop("id", None)
            return fields, updated

        return await self._conn.read_modify_write(
            operation, codec.collection, {"id": eq(record_id)}, compute
        )


def _equal(equal: dict[str, Any]) -> Document:
    """A filter matching each of ``equal``'s fields to exactly that value."""
    return {field: eq(value) for field, value in equal.items()}


_CURRENT: Document = {"validTo": None, "isDeleted": False}


def _at_version(version: int) -> Document:
    return {
        "isDeleted": False,
        "datasetVersion": {"$lte": version},
        "$or": [{"validTo": None}, {"validTo": {"$gt": version}}],
    }


# --------------------------------------------------------------------------- datasets


class MongoDatasetsBackend(_MongoEvals, DatasetsBackend):
    """Datasets, their item rows and version rows (see the module docstring)."""

    collections = (TABLE_DATASET_ITEMS, TABLE_DATASET_VERSIONS, TABLE_DATASETS)
    indexes = _indexes_of(collections)

    async def insert_dataset(self, dataset: Dataset) -> None:
        await self._insert("createDataset", DATASET_DOC, dataset)

    async def get_dataset(self, dataset_id: str) -> Dataset | None:
        return await self._get("getDatasetById", DATASET_DOC, dataset_id)

    async def modify_dataset(self, dataset_id: str, mutate: DatasetMutation) -> Dataset | None:
        """Replace the dataset's own fields atomically; its ``version`` stays as stored."""
        return await self._modify(
            "updateDataset",
            DATASET_DOC,
            dataset_id,
            mutate,
            keep=lambda current, new: new.replace(version=current.version),
        )

    async def delete_dataset(self, dataset_id: str) -> None:
        """Delete the item rows, version rows and results of the dataset's experiments,
        detach those experiments, then delete the dataset: one transaction (without: in
        that order, so the dataset goes last)."""
        conn = self._conn
        key = eq(dataset_id)

        async def work(session: Session) -> None:
            experiments = conn.collection(TABLE_EXPERIMENTS)
            ids = [
                str(d["id"])
                for d in await experiments.find(
                    {"datasetId": key}, {"id": 1}, session=session
                ).to_list()
            ]
            await conn.collection(TABLE_DATASET_ITEMS).delete_many(
                {"datasetId": key}, session=session
            )
            await conn.collection(TABLE_DATASET_VERSIONS).delete_many(
                {"datasetId": key}, session=session
            )
            if ids:
                await conn.collection(TABLE_EXPERIMENT_RESULTS).delete_many(
                    {"experimentId": {"$in": ids}}, session=session
                )
                await experiments.update_many(
                    {"datasetId": key},
                    {"$set": {"datasetId": None, "datasetVersion": None}},
                    session=session,
                )
            await conn.collection(TABLE_DATASETS).delete_one({"id": key}, session=session)

        await conn.atomic("deleteDataset", work)

    async def query_datasets(self, query: DatasetQuery) -> tuple[list[Dataset], int]:
        """Exact filters on the server; a ``name`` filter (Unicode case-insensitive
        substring) or ``target_ids`` (any shared id) through :meth:`DatasetQuery.execute`."""
        match = _equal(equal_filters(query, DATASET_FILTERS))
        coll = self._conn.collection(TABLE_DATASETS)
        if query.name is not None or query.target_ids:
            docs = await self._conn.guard("listDatasets", coll.find(match).to_list())
            return query.execute(DATASET_DOC.record_of(d) for d in docs)
        return await self._page(
            "listDatasets", DATASET_DOC, match, query, field="createdAt", ascending=False
        )

    async def write_items(
        self, dataset_id: str, item_ids: list[str], mutate: ItemMutation
    ) -> tuple[Dataset, ItemChanges | None] | None:
        """One item mutation (see the module docstring): read the dataset and the current
        rows, run ``mutate``, claim the new version with a conditional update, write the
        rows and the version row, close the replaced rows. Retried (bounded) when another
        writer claimed the version first."""
        conn = self._conn
        datasets = conn.collection(TABLE_DATASETS)
        items = conn.collection(TABLE_DATASET_ITEMS)
        versions = conn.collection(TABLE_DATASET_VERSIONS)

        async def work(session: Session) -> tuple[Dataset, ItemChanges | None] | None:
            doc = await datasets.find_one({"id": eq(dataset_id)}, session=session)
            if doc is None:
                return None
            # Without a transaction the claim alone does not serialise the writes after it:
            # a writer that claimed the next version could read rows the previous one was
            # still closing, and the previous one's close could end the newer current row.
            # A write lease on the dataset document keeps the next writer out until then.
            lease: str | None = None
            now = time.time()
            if session is None:
                held = doc.get("_writing")
                if isinstance(held, dict) and float(held.get("until", 0)) > now:
                    raise _Lost("another writer holds the dataset")
                lease = uuid.uuid4().hex
            dataset: Dataset = DATASET_DOC.record_of(doc)
            current: dict[str, DatasetItem] = {}
            if item_ids:
                for raw in await items.find(
                    {"id": {"$in": list(item_ids)}, "validTo": None}, session=session
                ).to_list():
                    row: DatasetItem = ITEM_DOC.record_of(raw)
                    current[row.id] = row
            changes = mutate(dataset, current)
            if changes is None or not changes.rows:
                return dataset, None
            version = changes.version.version
            new_docs = [ITEM_DOC.doc(r) for r in changes.rows]
            for new in new_docs:
                conn.check_size(new, "writeItems")
            claim: Document = {"id": eq(dataset_id), "version": eq(dataset.version)}
            change: Document = {"version": version}
            if lease is not None:
                claim["$or"] = [{"_writing": None}, {"_writing.until": {"$lte": now}}]
                change["_writing"] = {"lease": lease, "until": now + WRITE_LEASE_S}
            claimed = await datasets.find_one_and_update(claim, {"$set": change}, session=session)
            if claimed is None:
                raise _Lost("the dataset version was claimed by another writer")
            try:
                await write(session, version, changes, new_docs)
            finally:
                if lease is not None:
                    await datasets.update_one(
                        {"id": eq(dataset_id), "_writing.lease": eq(lease)},
                        {"$unset": {"_writing": ""}},
                    )
            return dataset.replace(version=version), changes

        async def write(
            session: Session, version: int, changes: ItemChanges, new_docs: list[Document]
        ) -> None:
            ids = sorted({r.id for r in changes.rows})
            if await items.find_one(
                {"id": {"$in": ids}, "datasetVersion": eq(version)}, {"_id": 1}, session=session
            ):
                raise ConflictError(
                    f"Dataset {dataset_id} version {version} exists",
                    id="MASTRA_STORAGE_DATASET_VERSION_CONFLICT",
                    details={"dataset_id": dataset_id},
                )
            await versions.insert_one(VERSION_DOC.doc(changes.version), session=session)
            await items.insert_many(new_docs, session=session)
            await items.update_many(
                {"id": {"$in": ids}, "datasetVersion": {"$lt": version}, **_CURRENT},
                {"$set": {"validTo": version}},
                session=session,
            )

        for attempt in range(CLAIM_ATTEMPTS):
            try:
                return await conn.atomic("writeItems", work)
            except _Lost:
                if attempt + 1 == CLAIM_ATTEMPTS:
                    break
                await TX_RETRY.pause(attempt)
        raise ConflictError(
            f"Dataset {dataset_id}: gave up after {CLAIM_ATTEMPTS} concurrent writers",
            id="MASTRA_STORAGE_DATASET_VERSION_CONFLICT",
            details={"dataset_id": dataset_id},
        )

    async def external_id_rows(self, dataset_id: str, external_ids: list[str]) -> list[DatasetItem]:
        coll = self._conn.collection(TABLE_DATASET_ITEMS)
        match = {"datasetId": eq(dataset_id), "externalId": {"$in": list(external_ids)}}
        docs = await self._conn.guard("listItemsByExternalId", coll.find(match).to_list())
        return [ITEM_DOC.record_of(d) for d in docs]

    async def purge_item(self, dataset_id: str, item_id: str, marker: dict[str, Any]) -> bool:
        """Every row of the item, then the results of this dataset's experiments for it:
        one transaction where the deployment has them (a concurrent item write then
        conflicts and retries); without, a write racing the purge can copy the old payload
        into its new row, and purging again scrubs it."""
        conn = self._conn
        scrub_items = {"$set": {**dict.fromkeys(ITEM_PURGE_COLUMNS), "metadata": marker}}
        scrub_results = {"$set": {**dict.fromkeys(RESULT_PURGE_COLUMNS), "metadata": marker}}

        async def work(session: Session) -> bool:
            datasets = conn.collection(TABLE_DATASETS)
            if await datasets.find_one({"id": eq(dataset_id)}, {"_id": 1}, session=session) is None:
                return False
            done = await conn.collection(TABLE_DATASET_ITEMS).update_many(
                {"id": eq(item_id), "datasetId": eq(dataset_id)}, scrub_items, session=session
            )
            if done.matched_count == 0:
                return False
            experiments = [
                str(d["id"])
                for d in await conn.collection(TABLE_EXPERIMENTS)
                .find({"datasetId": eq(dataset_id)}, {"id": 1}, session=session)
                .to_list()
            ]
            if experiments:
                await conn.collection(TABLE_EXPERIMENT_RESULTS).update_many(
                    {"itemId": eq(item_id), "experimentId": {"$in": experiments}},
                    scrub_results,
                    session=session,
                )
            return True

        return await conn.atomic("purgeItem", work)

    async def get_item(self, item_id: str, version: int | None) -> DatasetItem | None:
        coll = self._conn.collection(TABLE_DATASET_ITEMS)
        match: Document = {"id": eq(item_id)}
        match.update(_CURRENT if version is None else _at_version(version))
        doc = await self._conn.guard(
            "getItemById", coll.find_one(match, sort=[("datasetVersion", -1)])
        )
        return None if doc is None else ITEM_DOC.record_of(doc)

    async def item_history(self, item_id: str) -> list[DatasetItem]:
        coll = self._conn.collection(TABLE_DATASET_ITEMS)
        docs = await self._conn.guard(
            "getItemHistory",
            coll.find({"id": eq(item_id)}).sort([("datasetVersion", -1)]).to_list(),
        )
        return [ITEM_DOC.record_of(d) for d in docs]

    async def query_items(self, query: ItemQuery) -> tuple[list[DatasetItem], int]:
        match: Document = {"datasetId": eq(query.dataset_id)}
        match.update(_CURRENT if query.version is None else _at_version(query.version))
        if query.search is not None:
            # a search looks into the JSON text of native documents: the dataset's visible
            # rows are read and searched through ItemQuery.execute
            coll = self._conn.collection(TABLE_DATASET_ITEMS)
            docs = await self._conn.guard("listItems", coll.find(match).to_list())
            return query.execute(ITEM_DOC.record_of(d) for d in docs)
        return await self._page(
            "listItems", ITEM_DOC, match, query, field="createdAt", ascending=False
        )

    async def query_versions(self, query: VersionQuery) -> tuple[list[DatasetVersion], int]:
        return await self._page(
            "listDatasetVersions",
            VERSION_DOC,
            {"datasetId": eq(query.dataset_id)},
            query,
            field="version",
            ascending=False,
            tie_ascending=False,
            key_value=int,
        )


# --------------------------------------------------------------------------- experiments


class MongoExperimentsBackend(_MongoEvals, ExperimentsBackend):
    """Experiments and their results; deletes of an experiment with its results are one
    transaction (without: results first)."""

    collections = (TABLE_EXPERIMENT_RESULTS, TABLE_EXPERIMENTS)
    indexes = _indexes_of(collections)

    async def insert_experiment(self, experiment: Experiment) -> None:
        await self._insert("createExperiment", EXPERIMENT_DOC, experiment)

    async def get_experiment(self, experiment_id: str) -> Experiment | None:
        return await self._get("getExperimentById", EXPERIMENT_DOC, experiment_id)

    async def modify_experiment(
        self, experiment_id: str, mutate: ExperimentMutation
    ) -> Experiment | None:
        return await self._modify("updateExperiment", EXPERIMENT_DOC, experiment_id, mutate)

    async def _delete_with_results(self, operation: str, ids: list[str]) -> int:
        conn = self._conn

        async def work(session: Session) -> int:
            gone = await conn.collection(TABLE_EXPERIMENT_RESULTS).delete_many(
                {"experimentId": {"$in": ids}}, session=session
            )
            await conn.collection(TABLE_EXPERIMENTS).delete_many(
                {"id": {"$in": ids}}, session=session
            )
            return int(gone.deleted_count)

        return await conn.atomic(operation, work)

    async def delete_experiment(self, experiment_id: str) -> None:
        await self._delete_with_results("deleteExperiment", [experiment_id])

    async def query_experiments(self, query: ExperimentQuery) -> tuple[list[Experiment], int]:
        match = _equal(equal_filters(query, EXPERIMENT_FILTERS))
        return await self._page(
            "listExperiments", EXPERIMENT_DOC, match, query, field="createdAt", ascending=False
        )

    async def insert_result(self, result: ExperimentResult) -> None:
        await self._insert("addExperimentResult", RESULT_DOC, result)

    async def get_result(self, result_id: str) -> ExperimentResult | None:
        return await self._get("getExperimentResultById", RESULT_DOC, result_id)

    async def modify_result(
        self, result_id: str, mutate: ResultMutation
    ) -> ExperimentResult | None:
        return await self._modify("updateExperimentResult", RESULT_DOC, result_id, mutate)

    async def query_results(self, query: ResultQuery) -> tuple[list[ExperimentResult], int]:
        match = _equal(equal_filters(query, RESULT_FILTERS))
        return await self._page(
            "listExperimentResults", RESULT_DOC, match, query, field="startedAt", ascending=True
        )

    async def delete_results(self, experiment_id: str) -> None:
        coll = self._conn.collection(TABLE_EXPERIMENT_RESULTS)
        await self._conn.guard(
            "deleteExperimentResults", coll.delete_many({"experimentId": eq(experiment_id)})
        )

    async def prune_experiments(self, completed_before: datetime, limit: int) -> tuple[int, int]:
        """Delete up to ``limit`` experiments completed before ``completed_before`` (oldest
        first) with their results, in one transaction."""
        coll = self._conn.collection(TABLE_EXPERIMENTS)
        docs = await self._conn.guard(
            "pruneExperiments",
            coll.find({"completedAt": {"$ne": None, "$lt": completed_before}}, {"id": 1})
            .sort([("completedAt", 1), ("id", 1)])
            .limit(limit)
            .to_list(),
        )
        ids = [str(d["id"]) for d in docs]
        if not ids:
            return 0, 0
        results = await self._delete_with_results("pruneExperiments", ids)
        return len(ids), results


# --------------------------------------------------------------------------- blobs


class MongoBlobsBackend(_MongoEvals, BlobsBackend):
    """Content-addressed blobs in ``mastra_skill_blobs`` (unique ``hash``)."""

    collections = (TABLE_SKILL_BLOBS,)
    indexes = _indexes_of(collections)

    async def put_blobs(self, blobs: list[Blob]) -> None:
        """Insert the absent hashes (an upsert that only sets on insert, so a present
        blob stays as stored), in one transaction when supported."""
        if not blobs:
            return
        docs = [BLOB_DOC.doc(b) for b in blobs]
        for doc in docs:
            self._conn.check_size(doc, "putBlobs")
        coll = self._conn.collection(TABLE_SKILL_BLOBS)

        async def work(session: Session) -> None:
            for doc in docs:
                await coll.update_one(
                    {"hash": eq(doc["hash"])},
                    {"$setOnInsert": doc},
                    upsert=True,
                    session=session,
                )

        await self._conn.atomic("putBlobs", work)

    async def get_blobs(self, hashes: list[str]) -> dict[str, Blob]:
        if not hashes:
            return {}
        coll = self._conn.collection(TABLE_SKILL_BLOBS)
        docs = await self._conn.guard(
            "getBlobs", coll.find({"hash": {"$in": list(hashes)}}).to_list()
        )
        found = [BLOB_DOC.record_of(d) for d in docs]
        return {b.hash: b for b in found}

    async def delete_blob(self, blob_hash: str) -> bool:
        coll = self._conn.collection(TABLE_SKILL_BLOBS)
        outcome = await self._conn.guard("deleteBlob", coll.delete_one({"hash": eq(blob_hash)}))
        return bool(outcome.deleted_count)


__all__ = [
    "CLAIM_ATTEMPTS",
    "MongoBlobsBackend",
    "MongoDatasetsBackend",
    "MongoExperimentsBackend",
]
