"""Datasets (SCD-2 item rows), experiments and blobs on SQLite / libSQL.

Tables are ``@mastra/libsql`` 1.23.1's (:mod:`mastra_storage_libsql.schema`); rows use
:class:`~mastra_storage_libsql.editor.RowCodec` (JSON via ``jsonb(?)``/``json()``, ISO
timestamps, 0/1 booleans).

Every item mutation is one ``BEGIN IMMEDIATE`` transaction: read the dataset and the
current rows, close them, insert the new rows and the version row, set the dataset's
version. SQLite and sqld admit one writer at a time, so two writers of one dataset are
serialised and never produce the same dataset version; the release's unique
``(datasetId, version)`` index on ``mastra_dataset_versions`` is the second line of
defence, and the ``(id, datasetVersion)`` pair of item rows, which the release does not
constrain, is checked inside the transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
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

from .connection import LibSQLDatabase
from .domain import Keyset, LibSQLDomain, PageStatement
from .editor import RowCodec
from .sqlutil import in_list, q, ts
from .tx import Tx

R = TypeVar("R", bound=msgspec.Struct)
T = TypeVar("T")


class RecordCodec(RowCodec, Generic[R]):
    """A :class:`RowCodec` that also maps one record type to and from the row dict (every
    field of the record has a column of the table)."""

    def __init__(self, table: LogicalTable, record: type[R]) -> None:
        super().__init__(table)
        self.record = record
        self.fields = record_columns(record)
        missing = [c for _, c in self.fields if c not in self.columns]
        assert not missing, f"{record.__name__} fields without a column: {missing}"

    def row_of(self, value: msgspec.Struct) -> dict[str, Any]:
        return {column: getattr(value, name) for name, column in self.fields}

    def record_params(self, value: msgspec.Struct) -> list[Any]:
        return self.params(self.row_of(value))

    def record_update_params(self, value: msgspec.Struct) -> list[Any]:
        return self.update_params(self.row_of(value))

    def from_raw(self, raw: Sequence[Any]) -> R:
        row = self.decode(raw)
        return self.record(**{name: row[column] for name, column in self.fields})


DATASET_CODEC = RecordCodec(DATASETS, Dataset)
ITEM_CODEC = RecordCodec(DATASET_ITEMS, DatasetItem)
VERSION_CODEC = RecordCodec(DATASET_VERSIONS, DatasetVersion)
EXPERIMENT_CODEC = RecordCodec(EXPERIMENTS, Experiment)
RESULT_CODEC = RecordCodec(EXPERIMENT_RESULTS, ExperimentResult)
BLOB_CODEC = RecordCodec(SKILL_BLOBS, Blob)

#: An item row visible now (``?`` unused) or at a version (two ``?``: the version twice).
_CURRENT = '"validTo" IS NULL AND "isDeleted" = 0'
_AT_VERSION = '"isDeleted" = 0 AND "datasetVersion" <= ? AND ("validTo" IS NULL OR "validTo" > ?)'


def _scrubbed(columns: Sequence[str]) -> str:
    """The ``SET`` list of a purge: ``input`` JSON ``null`` (as Mastra writes it), the
    other columns NULL, then ``metadata`` (the first ``?``: the marker)."""
    sets = [f"{q(c)} = jsonb('null')" if c == "input" else f"{q(c)} = NULL" for c in columns]
    return ", ".join(['"metadata" = jsonb(?)', *sets])


class _Pages(LibSQLDomain):
    """Shared by the three backends: one record by id, and its atomic modification."""

    async def _insert(self, operation: str, codec: RecordCodec[R], value: R) -> None:
        params = codec.record_params(value)

        def job(tx: Tx) -> None:
            tx.execute(codec.insert, params)

        await self.db.run(operation, job)

    async def _by_id(self, operation: str, codec: RecordCodec[R], record_id: str) -> R | None:
        sql = f"SELECT {codec.select} FROM {codec.table} WHERE id = ?"
        return await self.read_one(operation, sql, (record_id,), codec.from_raw)

    async def _list_equal(
        self,
        operation: str,
        codec: RecordCodec[R],
        page: PageRequest,
        equal: dict[str, Any],
        *,
        column: str,
        descending: bool,
    ) -> tuple[list[R], int]:
        """A listing of ``codec``'s table whose ``equal`` columns hold those values, in
        :meth:`~.domain.LibSQLDomain.read_ordered` order."""
        return await self.read_ordered(
            operation,
            page,
            select=codec.select,
            source=codec.table,
            where=[f"{q(c)} = ?" for c in equal],
            params=list(equal.values()),
            column=column,
            descending=descending,
            from_row=codec.from_raw,
        )

    async def _modify(
        self,
        operation: str,
        codec: RecordCodec[R],
        record_id: str,
        mutate: Callable[[R], R],
        *,
        keep: Callable[[R, R], R] | None = None,
    ) -> R | None:
        """Read, ``mutate`` and write back in one ``BEGIN IMMEDIATE`` transaction
        (concurrent modifications are serialised; none is lost)."""
        select = f"SELECT {codec.select} FROM {codec.table} WHERE id = ?"

        def job(tx: Tx) -> R | None:
            row = tx.fetchone(select, (record_id,))
            if row is None:
                return None
            current = codec.from_raw(row)
            updated = mutate(current)
            if keep is not None:
                updated = keep(current, updated)
            tx.execute(codec.update_by_id, codec.record_update_params(updated))
            return updated

        return await self.db.run(operation, job)


# --------------------------------------------------------------------------- datasets


class LibSQLDatasetsBackend(_Pages, DatasetsBackend):
    """Datasets, their item rows and version rows. Every write is one ``BEGIN
    IMMEDIATE`` transaction; reads of a page and its total share one snapshot."""

    tables = (TABLE_DATASET_ITEMS, TABLE_DATASET_VERSIONS, TABLE_DATASETS)

    def __init__(self, db: LibSQLDatabase) -> None:
        _Pages.__init__(self, db)

    async def insert_dataset(self, dataset: Dataset) -> None:
        await self._insert("createDataset", DATASET_CODEC, dataset)

    async def get_dataset(self, dataset_id: str) -> Dataset | None:
        return await self._by_id("getDatasetById", DATASET_CODEC, dataset_id)

    async def modify_dataset(self, dataset_id: str, mutate: DatasetMutation) -> Dataset | None:
        """Replace the dataset's own fields atomically; its ``version`` stays as stored."""
        return await self._modify(
            "updateDataset",
            DATASET_CODEC,
            dataset_id,
            mutate,
            keep=lambda current, new: new.replace(version=current.version),
        )

    async def delete_dataset(self, dataset_id: str) -> None:
        """Delete the dataset, its item rows, its version rows and the results of its
        experiments, and detach those experiments, in one transaction."""

        def job(tx: Tx) -> None:
            tx.execute(f'DELETE FROM {TABLE_DATASET_ITEMS} WHERE "datasetId" = ?', (dataset_id,))
            tx.execute(f'DELETE FROM {TABLE_DATASET_VERSIONS} WHERE "datasetId" = ?', (dataset_id,))
            tx.execute(
                f'DELETE FROM {TABLE_EXPERIMENT_RESULTS} WHERE "experimentId" IN '
                f'(SELECT id FROM {TABLE_EXPERIMENTS} WHERE "datasetId" = ?)',
                (dataset_id,),
            )
            tx.execute(
                f'UPDATE {TABLE_EXPERIMENTS} SET "datasetId" = NULL, "datasetVersion" = NULL '
                'WHERE "datasetId" = ?',
                (dataset_id,),
            )
            tx.execute(f"DELETE FROM {TABLE_DATASETS} WHERE id = ?", (dataset_id,))

        await self.db.run("deleteDataset", job)

    async def query_datasets(self, query: DatasetQuery) -> tuple[list[Dataset], int]:
        """Exact filters in SQL; a ``name`` filter (Unicode case-insensitive substring,
        which SQLite's ``LIKE`` only does for ASCII) or ``target_ids`` (any shared id)
        through :meth:`DatasetQuery.execute`."""
        equal = equal_filters(query, DATASET_FILTERS)
        where, params = [f"{q(c)} = ?" for c in equal], list(equal.values())
        base = f"SELECT {DATASET_CODEC.select} FROM {TABLE_DATASETS}"
        where_sql = " WHERE " + " AND ".join(where) if where else ""
        if query.name is not None or query.target_ids:

            def job(tx: Tx) -> tuple[list[Dataset], int]:
                rows = tx.fetchall(base + where_sql, params)
                return query.execute(DATASET_CODEC.from_raw(r) for r in rows)

            return await self.db.run("listDatasets", job, mode="none")
        return await self.read_ordered(
            "listDatasets",
            query,
            select=DATASET_CODEC.select,
            source=TABLE_DATASETS,
            where=where,
            params=params,
            column="createdAt",
            descending=True,
            from_row=DATASET_CODEC.from_raw,
        )

    async def write_items(
        self, dataset_id: str, item_ids: list[str], mutate: ItemMutation
    ) -> tuple[Dataset, ItemChanges | None] | None:
        """One item mutation in one ``BEGIN IMMEDIATE`` transaction (see the module
        docstring); ``mutate`` runs inside it, so it sees the dataset as no other writer
        can change it until the commit."""
        select_dataset = f"SELECT {DATASET_CODEC.select} FROM {TABLE_DATASETS} WHERE id = ?"

        def job(tx: Tx) -> tuple[Dataset, ItemChanges | None] | None:
            row = tx.fetchone(select_dataset, (dataset_id,))
            if row is None:
                return None
            dataset: Dataset = DATASET_CODEC.from_raw(row)
            current: dict[str, DatasetItem] = {}
            if item_ids:
                cond, params = in_list("id", item_ids)
                for raw in tx.fetchall(
                    f"SELECT {ITEM_CODEC.select} FROM {TABLE_DATASET_ITEMS} "
                    f'WHERE {cond} AND "validTo" IS NULL',
                    params,
                ):
                    item: DatasetItem = ITEM_CODEC.from_raw(raw)
                    current[item.id] = item
            changes = mutate(dataset, current)
            if changes is None or not changes.rows:
                return dataset, None
            version = changes.version.version
            ids = sorted({r.id for r in changes.rows})
            cond, params = in_list("id", ids)

            def taken() -> BaseException:
                return ConflictError(
                    f"Dataset {dataset_id} version {version} exists",
                    id="MASTRA_STORAGE_DATASET_VERSION_CONFLICT",
                    details={"dataset_id": dataset_id},
                )

            tx.guard(
                f"SELECT NOT EXISTS (SELECT 1 FROM {TABLE_DATASET_ITEMS} "
                f'WHERE {cond} AND "datasetVersion" = ?)',
                [*params, version],
                taken,
            )
            tx.execute(
                f'UPDATE {TABLE_DATASET_ITEMS} SET "validTo" = ? WHERE {cond} AND {_CURRENT}',
                [version, *params],
            )
            tx.executemany(ITEM_CODEC.insert, [ITEM_CODEC.record_params(r) for r in changes.rows])
            tx.execute(VERSION_CODEC.insert, VERSION_CODEC.record_params(changes.version))
            tx.execute(
                f"UPDATE {TABLE_DATASETS} SET version = ? WHERE id = ?", (version, dataset_id)
            )
            return dataset.replace(version=version), changes

        return await self.db.run("writeItems", job)

    async def external_id_rows(self, dataset_id: str, external_ids: list[str]) -> list[DatasetItem]:
        cond, params = in_list('"externalId"', external_ids)
        sql = (
            f"SELECT {ITEM_CODEC.select} FROM {TABLE_DATASET_ITEMS} "
            f'WHERE "datasetId" = ? AND {cond}'
        )

        def job(tx: Tx) -> list[DatasetItem]:
            return [ITEM_CODEC.from_raw(r) for r in tx.fetchall(sql, [dataset_id, *params])]

        return await self.db.run("listItemsByExternalId", job, mode="none")

    async def purge_item(self, dataset_id: str, item_id: str, marker: dict[str, Any]) -> bool:
        """One ``BEGIN IMMEDIATE`` transaction (serialised with the item writers): every row
        of the item, then the results of this dataset's experiments for it."""
        marker_json = ITEM_CODEC.encode_value("metadata", marker)

        def job(tx: Tx) -> bool:
            found = tx.fetchone(
                f"SELECT COUNT(*) FROM {TABLE_DATASET_ITEMS} "
                f'WHERE id = ? AND "datasetId" = ? AND EXISTS '
                f"(SELECT 1 FROM {TABLE_DATASETS} WHERE id = ?)",
                (item_id, dataset_id, dataset_id),
            )
            if not found or not found[0]:
                return False
            tx.execute(
                f"UPDATE {TABLE_DATASET_ITEMS} SET {_scrubbed(ITEM_PURGE_COLUMNS)} "
                f'WHERE id = ? AND "datasetId" = ?',
                (marker_json, item_id, dataset_id),
            )
            tx.execute(
                f"UPDATE {TABLE_EXPERIMENT_RESULTS} SET {_scrubbed(RESULT_PURGE_COLUMNS)} "
                f'WHERE "itemId" = ? AND "experimentId" IN '
                f'(SELECT id FROM {TABLE_EXPERIMENTS} WHERE "datasetId" = ?)',
                (marker_json, item_id, dataset_id),
            )
            return True

        return await self.db.run("purgeItem", job)

    async def get_item(self, item_id: str, version: int | None) -> DatasetItem | None:
        params: list[Any]
        if version is None:
            where, params = _CURRENT, [item_id]
        else:
            where, params = _AT_VERSION, [item_id, version, version]
        sql = (
            f"SELECT {ITEM_CODEC.select} FROM {TABLE_DATASET_ITEMS} WHERE id = ? AND {where} "
            'ORDER BY "datasetVersion" DESC LIMIT 1'
        )
        return await self.read_one("getItemById", sql, params, ITEM_CODEC.from_raw)

    async def item_history(self, item_id: str) -> list[DatasetItem]:
        sql = (
            f"SELECT {ITEM_CODEC.select} FROM {TABLE_DATASET_ITEMS} WHERE id = ? "
            'ORDER BY "datasetVersion" DESC'
        )

        def job(tx: Tx) -> list[DatasetItem]:
            return [ITEM_CODEC.from_raw(r) for r in tx.fetchall(sql, (item_id,))]

        return await self.db.run("getItemHistory", job, mode="none")

    async def query_items(self, query: ItemQuery) -> tuple[list[DatasetItem], int]:
        where = ['"datasetId" = ?']
        params: list[Any] = [query.dataset_id]
        if query.version is None:
            where.append(_CURRENT)
        else:
            where.append(_AT_VERSION)
            params += [query.version, query.version]
        if query.search is not None:
            # Unicode case folding (SQLite's LIKE folds ASCII only): the dataset's visible
            # rows are read and searched through ItemQuery.execute.
            sql = f"SELECT {ITEM_CODEC.select} FROM {TABLE_DATASET_ITEMS} WHERE " + " AND ".join(
                where
            )

            def job(tx: Tx) -> tuple[list[DatasetItem], int]:
                return query.execute(ITEM_CODEC.from_raw(r) for r in tx.fetchall(sql, params))

            return await self.db.run("listItems", job, mode="none")
        return await self.read_ordered(
            "listItems",
            query,
            select=ITEM_CODEC.select,
            source=TABLE_DATASET_ITEMS,
            where=where,
            params=params,
            column="createdAt",
            descending=True,
            from_row=ITEM_CODEC.from_raw,
        )

    async def query_versions(self, query: VersionQuery) -> tuple[list[DatasetVersion], int]:
        where = ['"datasetId" = ?']
        params: list[Any] = [query.dataset_id]
        after: Keyset | None = None
        if query.after is not None:
            # (version, id) both descending.
            key, tie = query.after.key, str(query.after.tie)
            after = ("(version < ? OR (version = ? AND id < ?))", [key, key, tie])
        return await self.read_listing(
            "listDatasetVersions",
            query,
            PageStatement(
                select=VERSION_CODEC.select,
                source=TABLE_DATASET_VERSIONS,
                where=where,
                params=params,
                after=after,
                order_sql=" ORDER BY version DESC, id DESC",
                from_row=VERSION_CODEC.from_raw,
            ),
        )


# --------------------------------------------------------------------------- experiments


class LibSQLExperimentsBackend(_Pages, ExperimentsBackend):
    """Experiments and their results. Every write is one ``BEGIN IMMEDIATE``
    transaction."""

    tables = (TABLE_EXPERIMENT_RESULTS, TABLE_EXPERIMENTS)

    def __init__(self, db: LibSQLDatabase) -> None:
        _Pages.__init__(self, db)

    async def insert_experiment(self, experiment: Experiment) -> None:
        await self._insert("createExperiment", EXPERIMENT_CODEC, experiment)

    async def get_experiment(self, experiment_id: str) -> Experiment | None:
        return await self._by_id("getExperimentById", EXPERIMENT_CODEC, experiment_id)

    async def modify_experiment(
        self, experiment_id: str, mutate: ExperimentMutation
    ) -> Experiment | None:
        return await self._modify("updateExperiment", EXPERIMENT_CODEC, experiment_id, mutate)

    async def delete_experiment(self, experiment_id: str) -> None:
        def job(tx: Tx) -> None:
            tx.execute(
                f'DELETE FROM {TABLE_EXPERIMENT_RESULTS} WHERE "experimentId" = ?',
                (experiment_id,),
            )
            tx.execute(f"DELETE FROM {TABLE_EXPERIMENTS} WHERE id = ?", (experiment_id,))

        await self.db.run("deleteExperiment", job)

    async def query_experiments(self, query: ExperimentQuery) -> tuple[list[Experiment], int]:
        return await self._list_equal(
            "listExperiments",
            EXPERIMENT_CODEC,
            query,
            equal_filters(query, EXPERIMENT_FILTERS),
            column="createdAt",
            descending=True,
        )

    async def insert_result(self, result: ExperimentResult) -> None:
        await self._insert("addExperimentResult", RESULT_CODEC, result)

    async def get_result(self, result_id: str) -> ExperimentResult | None:
        return await self._by_id("getExperimentResultById", RESULT_CODEC, result_id)

    async def modify_result(
        self, result_id: str, mutate: ResultMutation
    ) -> ExperimentResult | None:
        return await self._modify("updateExperimentResult", RESULT_CODEC, result_id, mutate)

    async def query_results(self, query: ResultQuery) -> tuple[list[ExperimentResult], int]:
        return await self._list_equal(
            "listExperimentResults",
            RESULT_CODEC,
            query,
            equal_filters(query, RESULT_FILTERS),
            column="startedAt",
            descending=False,
        )

    async def delete_results(self, experiment_id: str) -> None:
        def job(tx: Tx) -> None:
            tx.execute(
                f'DELETE FROM {TABLE_EXPERIMENT_RESULTS} WHERE "experimentId" = ?',
                (experiment_id,),
            )

        await self.db.run("deleteExperimentResults", job)

    async def prune_experiments(self, completed_before: datetime, limit: int) -> tuple[int, int]:
        """Delete up to ``limit`` experiments completed before ``completed_before`` (oldest
        first) and their results in one transaction."""
        cutoff = ts(completed_before)

        def job(tx: Tx) -> tuple[int, int]:
            ids = [
                str(r[0])
                for r in tx.fetchall(
                    f'SELECT id FROM {TABLE_EXPERIMENTS} WHERE "completedAt" IS NOT NULL '
                    'AND "completedAt" < ? ORDER BY "completedAt", id LIMIT ?',
                    (cutoff, limit),
                )
            ]
            if not ids:
                return 0, 0
            cond, params = in_list('"experimentId"', ids)
            row = tx.fetchone(
                f"SELECT COUNT(*) FROM {TABLE_EXPERIMENT_RESULTS} WHERE {cond}", params
            )
            tx.execute(f"DELETE FROM {TABLE_EXPERIMENT_RESULTS} WHERE {cond}", params)
            id_cond, id_params = in_list("id", ids)
            tx.execute(f"DELETE FROM {TABLE_EXPERIMENTS} WHERE {id_cond}", id_params)
            return len(ids), int(row[0]) if row else 0

        return await self.db.run("pruneExperiments", job)


# --------------------------------------------------------------------------- blobs


class LibSQLBlobsBackend(_Pages, BlobsBackend):
    """Content-addressed blobs in ``mastra_skill_blobs`` (key: the hash)."""

    tables = (TABLE_SKILL_BLOBS,)

    def __init__(self, db: LibSQLDatabase) -> None:
        _Pages.__init__(self, db)

    async def put_blobs(self, blobs: list[Blob]) -> None:
        """Insert the absent hashes in one transaction; present ones stay as stored."""
        if not blobs:
            return
        sql = BLOB_CODEC.insert + " ON CONFLICT (hash) DO NOTHING"
        rows = [BLOB_CODEC.record_params(b) for b in blobs]

        def job(tx: Tx) -> None:
            tx.executemany(sql, rows)

        await self.db.run("putBlobs", job)

    async def get_blobs(self, hashes: list[str]) -> dict[str, Blob]:
        if not hashes:
            return {}
        cond, params = in_list("hash", hashes)
        sql = f"SELECT {BLOB_CODEC.select} FROM {TABLE_SKILL_BLOBS} WHERE {cond}"

        def job(tx: Tx) -> dict[str, Blob]:
            found = [BLOB_CODEC.from_raw(r) for r in tx.fetchall(sql, params)]
            return {b.hash: b for b in found}

        return await self.db.run("getBlobs", job, mode="none")

    async def delete_blob(self, blob_hash: str) -> bool:
        def job(tx: Tx) -> bool:
            row = tx.fetchone(
                f"SELECT EXISTS (SELECT 1 FROM {TABLE_SKILL_BLOBS} WHERE hash = ?)", (blob_hash,)
            )
            tx.execute(f"DELETE FROM {TABLE_SKILL_BLOBS} WHERE hash = ?", (blob_hash,))
            return bool(row and row[0])

        return await self.db.run("deleteBlob", job)


__all__ = [
    "LibSQLBlobsBackend",
    "LibSQLDatasetsBackend",
    "LibSQLExperimentsBackend",
    "RecordCodec",
]
