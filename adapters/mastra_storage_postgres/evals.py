"""Datasets, experiments and blobs on PostgreSQL, in ``@mastra/pg`` 1.27.1's tables.

Rows are written as ``@mastra/pg`` writes them (JSON columns as ``jsonb`` values, each
timestamp ``X`` with its ``XZ`` twin). An item mutation is one transaction that first locks
the dataset's row (``SELECT ... FOR UPDATE``), so writers of one dataset queue and never
share a version; the unique ``(datasetId, version)`` index backs that up.

Experiment timestamps are read from the ``X`` column first: ``@mastra/pg`` updates
``startedAt``/``completedAt`` without their ``Z`` twin, whose default holds the insert time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

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
from mastra_storage.pagination import Cursor
from mastra_storage.records import Record

from .connection import PgDatabase
from .domain import PgBackend, PgContext, column_slots
from .schema import q
from .sqlutil import (
    Params,
    json_param,
    json_param_required,
    json_value,
    naive,
    read_ts,
    select_columns,
)

R = TypeVar("R", bound=Record)


class _Rows(Generic[R]):
    """One table's rows <-> one record type: select list, insert and full-row update
    statements, parameters and decoding."""

    def __init__(
        self, table: LogicalTable, record: type[R], full: str, *, wall_first: bool = False
    ) -> None:
        fields = record_columns(record)
        assert tuple(c for _, c in fields) == table.column_names, table.name
        self.table = table
        self.record = record
        self.fields = fields
        self.full = full
        self.wall_first = wall_first
        self.select = select_columns(table)
        names, placeholders = column_slots(table)
        self.insert_sql = (
            f"INSERT INTO {full} ({', '.join(names)}) VALUES ({', '.join(placeholders)})"
        )
        key = self.key = names[0]
        sets = [f"{n} = {p}" for n, p in zip(names[1:], placeholders[1:], strict=True)]
        self.update_sql = f"UPDATE {full} SET {', '.join(sets)} WHERE {key} = $1"

    def params(self, record: R) -> list[Any]:
        out: list[Any] = []
        for (attr, _), column in zip(self.fields, self.table.columns, strict=True):
            value = getattr(record, attr)
            if column.logical == "jsonb":
                out.append(json_param_required(value) if column.not_null else json_param(value))
            elif column.logical == "timestamp":
                out += [None if value is None else naive(value), value]
            else:
                out.append(value)
        return out

    def decode(self, row: Any, offset: int = 0) -> R:
        values: dict[str, Any] = {}
        index = offset
        for (attr, _), column in zip(self.fields, self.table.columns, strict=True):
            raw = row[index]
            index += 1
            if column.logical == "timestamp":
                zoned = row[index]
                index += 1
                values[attr] = (
                    read_ts(None, raw) if self.wall_first and raw else read_ts(zoned, raw)
                )
            elif column.logical == "jsonb":
                values[attr] = json_value(raw)
            elif column.logical == "boolean":
                values[attr] = bool(raw)
            else:
                values[attr] = raw
        return self.record(**values)

    async def get(self, db: PgDatabase, operation: str, key: str) -> R | None:
        """The row whose first column is ``key``, decoded, or ``None``."""
        row = await db.fetchrow(
            operation, f"SELECT {self.select} FROM {self.full} WHERE {self.key} = $1", key
        )
        return None if row is None else self.decode(row)

    async def modify(
        self, db: PgDatabase, operation: str, key: str, mutate: Callable[[R], R]
    ) -> R | None:
        """One transaction: the row locked (``FOR UPDATE``), ``mutate``, the full row
        rewritten. ``None`` (nothing written) when there is no such row."""
        async with db.transaction(operation) as tx:
            row = await tx.fetchrow(
                f"SELECT {self.select} FROM {self.full} WHERE {self.key} = $1 FOR UPDATE", key
            )
            if row is None:
                return None
            updated = mutate(self.decode(row))
            await tx.execute(self.update_sql, *self.params(updated))
            return updated

    async def page(
        self,
        backend: PgBackend,
        operation: str,
        p: Params,
        page: PageRequest,
        where: Sequence[str],
        *,
        time_sql: str,
        descending: bool,
    ) -> tuple[list[R], int]:
        """:meth:`PgBackend.fetch_time_page` of this table, decoded."""
        rows, total = await backend.fetch_time_page(
            operation,
            p,
            page,
            select=self.select,
            source=self.full,
            where=where,
            time_sql=time_sql,
            descending=descending,
        )
        return [self.decode(r, 1) for r in rows], total


def _equal(p: Params, equal: dict[str, Any]) -> list[str]:
    """``column = $n`` conditions of ``equal`` (values as parameters)."""
    return [f"{q(column)} = {p.add(value)}" for column, value in equal.items()]


def _contains(p: Params, text: str) -> str:
    """The ``ILIKE`` pattern parameter matching ``text`` anywhere, its wildcards escaped
    (PostgreSQL's default escape character is the backslash)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return p.add("%" + escaped + "%")


def _scrubbed(columns: Sequence[str]) -> str:
    """The ``SET`` list of a purge: ``input`` JSON ``null`` (as ``@mastra/pg`` writes it),
    the other columns NULL, ``metadata`` the marker (``$3``)."""
    sets = [f"{q(c)} = 'null'::jsonb" if c == "input" else f"{q(c)} = NULL" for c in columns]
    return ", ".join([*sets, '"metadata" = $3::jsonb'])


def _int_after(column: str, cursor: Cursor, p: Params, *, descending: bool) -> str:
    """ "Strictly after ``cursor``" for an integer key, then ``id`` in the same direction."""
    op = "<" if descending else ">"
    return f"({column}, id) {op} ({p.add(cursor.key, '::bigint')}, {p.add(cursor.tie)})"


class PgDatasetsBackend(PgBackend, DatasetsBackend):
    """Datasets in ``mastra_datasets``, item rows in ``mastra_dataset_items`` (key ``(id,
    datasetVersion)``), versions in ``mastra_dataset_versions``."""

    tables = ("mastra_dataset_items", "mastra_dataset_versions", "mastra_datasets")

    def __init__(self, ctx: PgContext) -> None:
        super().__init__(ctx)
        self._d = _Rows(DATASETS, Dataset, self.t(DATASETS.name))
        self._i = _Rows(DATASET_ITEMS, DatasetItem, self.t(DATASET_ITEMS.name))
        self._v = _Rows(DATASET_VERSIONS, DatasetVersion, self.t(DATASET_VERSIONS.name))
        self._ex = self.t(EXPERIMENTS.name)
        self._er = self.t(EXPERIMENT_RESULTS.name)

    async def insert_dataset(self, dataset: Dataset) -> None:
        """One ``INSERT``; an existing id is a unique violation, typed ``ConflictError``."""
        await self._db.execute("createDataset", self._d.insert_sql, *self._d.params(dataset))

    async def get_dataset(self, dataset_id: str) -> Dataset | None:
        return await self._d.get(self._db, "getDatasetById", dataset_id)

    async def modify_dataset(self, dataset_id: str, mutate: DatasetMutation) -> Dataset | None:
        """Row-locked read, ``mutate``, full-row update (the stored version kept)."""
        return await self._d.modify(
            self._db,
            "updateDataset",
            dataset_id,
            lambda current: mutate(current).replace(version=current.version),
        )

    async def delete_dataset(self, dataset_id: str) -> None:
        """One transaction: results of its experiments, the experiments detached, version
        rows, item rows, the dataset (as ``@mastra/pg`` deletes it)."""
        async with self._db.transaction("deleteDataset") as tx:
            found = await tx.fetchval(
                f"SELECT 1 FROM {self._d.full} WHERE id = $1 FOR UPDATE", dataset_id
            )
            if found is None:
                return
            await tx.execute(
                f'DELETE FROM {self._er} WHERE "experimentId" IN '
                f'(SELECT id FROM {self._ex} WHERE "datasetId" = $1)',
                dataset_id,
            )
            await tx.execute(
                f'UPDATE {self._ex} SET "datasetId" = NULL, "datasetVersion" = NULL '
                f'WHERE "datasetId" = $1',
                dataset_id,
            )
            await tx.execute(f'DELETE FROM {self._v.full} WHERE "datasetId" = $1', dataset_id)
            await tx.execute(f'DELETE FROM {self._i.full} WHERE "datasetId" = $1', dataset_id)
            await tx.execute(f"DELETE FROM {self._d.full} WHERE id = $1", dataset_id)

    async def query_datasets(self, query: DatasetQuery) -> tuple[list[Dataset], int]:
        p = Params()
        where = _equal(p, equal_filters(query, DATASET_FILTERS))
        if query.name is not None:
            where.append(f"name ILIKE {_contains(p, query.name)}")
        if query.target_ids:
            # jsonb ``?|``: the array holds any of these strings (as @mastra/pg filters)
            where.append(f'"targetIds" ?| {p.add(list(query.target_ids), "::text[]")}')
        return await self._d.page(
            self, "listDatasets", p, query, where, time_sql='"createdAt"', descending=True
        )

    async def write_items(
        self, dataset_id: str, item_ids: list[str], mutate: ItemMutation
    ) -> tuple[Dataset, ItemChanges | None] | None:
        """One transaction: lock the dataset row, read the current rows, ``mutate``, close
        the replaced rows, insert the new rows and the version row, set the version."""
        async with self._db.transaction("writeDatasetItems") as tx:
            row = await tx.fetchrow(
                f"SELECT {self._d.select} FROM {self._d.full} WHERE id = $1 FOR UPDATE",
                dataset_id,
            )
            if row is None:
                return None
            dataset = self._d.decode(row)
            current: dict[str, DatasetItem] = {}
            if item_ids:
                rows = await tx.fetch(
                    f"SELECT {self._i.select} FROM {self._i.full} "
                    f'WHERE id = ANY($1::text[]) AND "validTo" IS NULL',
                    item_ids,
                )
                current = {r.id: r for r in (self._i.decode(x) for x in rows)}
            changes = mutate(dataset, current)
            if changes is None or not changes.rows:
                return dataset, None
            version = changes.version.version
            await tx.execute(
                f'UPDATE {self._i.full} SET "validTo" = $1 WHERE id = ANY($2::text[]) '
                f'AND "datasetId" = $3 AND "validTo" IS NULL AND "isDeleted" = false',
                version,
                [r.id for r in changes.rows],
                dataset_id,
            )
            await tx.executemany(self._i.insert_sql, [self._i.params(r) for r in changes.rows])
            await tx.execute(self._v.insert_sql, *self._v.params(changes.version))
            await tx.execute(
                f"UPDATE {self._d.full} SET version = $2 WHERE id = $1", dataset_id, version
            )
            return dataset.replace(version=version), changes

    async def external_id_rows(self, dataset_id: str, external_ids: list[str]) -> list[DatasetItem]:
        rows = await self._db.fetch(
            "listItemsByExternalId",
            f"SELECT {self._i.select} FROM {self._i.full} "
            f'WHERE "datasetId" = $1 AND "externalId" = ANY($2::text[])',
            dataset_id,
            external_ids,
        )
        return [self._i.decode(r) for r in rows]

    async def purge_item(self, dataset_id: str, item_id: str, marker: dict[str, Any]) -> bool:
        """One transaction, the dataset row locked as a writer: every row of the item, then
        the results of this dataset's experiments for it (as ``@mastra/pg`` purges)."""
        async with self._db.transaction("purgeItem") as tx:
            found = await tx.fetchval(
                f"SELECT 1 FROM {self._d.full} WHERE id = $1 FOR UPDATE", dataset_id
            )
            if found is None:
                return False
            status = await tx.execute(
                f"UPDATE {self._i.full} SET {_scrubbed(ITEM_PURGE_COLUMNS)} "
                f'WHERE id = $1 AND "datasetId" = $2',
                item_id,
                dataset_id,
                json_param(marker),
            )
            if status.endswith(" 0"):
                return False
            await tx.execute(
                f"UPDATE {self._er} SET {_scrubbed(RESULT_PURGE_COLUMNS)} "
                f'WHERE "itemId" = $1 AND "experimentId" IN '
                f'(SELECT id FROM {self._ex} WHERE "datasetId" = $2)',
                item_id,
                dataset_id,
                json_param(marker),
            )
            return True

    async def get_item(self, item_id: str, version: int | None) -> DatasetItem | None:
        if version is None:
            row = await self._db.fetchrow(
                "getItemById",
                f"SELECT {self._i.select} FROM {self._i.full} "
                f'WHERE id = $1 AND "validTo" IS NULL AND "isDeleted" = false',
                item_id,
            )
        else:
            row = await self._db.fetchrow(
                "getItemById",
                f"SELECT {self._i.select} FROM {self._i.full} WHERE id = $1 "
                f'AND "datasetVersion" <= $2 AND ("validTo" IS NULL OR "validTo" > $2) '
                f'AND "isDeleted" = false ORDER BY "datasetVersion" DESC LIMIT 1',
                item_id,
                version,
            )
        return None if row is None else self._i.decode(row)

    async def item_history(self, item_id: str) -> list[DatasetItem]:
        rows = await self._db.fetch(
            "getItemHistory",
            f"SELECT {self._i.select} FROM {self._i.full} WHERE id = $1 "
            'ORDER BY "datasetVersion" DESC',
            item_id,
        )
        return [self._i.decode(r) for r in rows]

    async def query_items(self, query: ItemQuery) -> tuple[list[DatasetItem], int]:
        p = Params()
        where = [f'"datasetId" = {p.add(query.dataset_id)}', '"isDeleted" = false']
        if query.version is None:
            where.append('"validTo" IS NULL')
        else:
            v = p.add(query.version, "::integer")
            where += [f'"datasetVersion" <= {v}', f'("validTo" IS NULL OR "validTo" > {v})']
        if query.search is not None:
            # the stored JSON text, as @mastra/pg searches
            needle = _contains(p, query.search)
            text = "COALESCE(\"groundTruth\"::text, '')"
            where.append(f'("input"::text ILIKE {needle} OR {text} ILIKE {needle})')
        return await self._i.page(
            self, "listItems", p, query, where, time_sql='"createdAt"', descending=True
        )

    async def query_versions(self, query: VersionQuery) -> tuple[list[DatasetVersion], int]:
        p = Params()
        where = [f'"datasetId" = {p.add(query.dataset_id)}']
        after = (
            None if query.after is None else _int_after("version", query.after, p, descending=True)
        )
        rows, total = await self.fetch_page(
            "listDatasetVersions",
            p,
            select=self._v.select,
            source=self._v.full,
            where=where,
            after=after,
            order_sql=" ORDER BY version DESC, id DESC",
            limit=query.limit,
            offset=query.offset,
            count=query.count,
        )
        return [self._v.decode(r, 1) for r in rows], total


class PgExperimentsBackend(PgBackend, ExperimentsBackend):
    """Experiments in ``mastra_experiments``, results in ``mastra_experiment_results``."""

    tables = ("mastra_experiment_results", "mastra_experiments")

    def __init__(self, ctx: PgContext) -> None:
        super().__init__(ctx)
        self._e = _Rows(EXPERIMENTS, Experiment, self.t(EXPERIMENTS.name), wall_first=True)
        self._r = _Rows(
            EXPERIMENT_RESULTS, ExperimentResult, self.t(EXPERIMENT_RESULTS.name), wall_first=True
        )

    async def insert_experiment(self, experiment: Experiment) -> None:
        await self._db.execute("createExperiment", self._e.insert_sql, *self._e.params(experiment))

    async def get_experiment(self, experiment_id: str) -> Experiment | None:
        return await self._e.get(self._db, "getExperimentById", experiment_id)

    async def modify_experiment(
        self, experiment_id: str, mutate: ExperimentMutation
    ) -> Experiment | None:
        return await self._e.modify(self._db, "updateExperiment", experiment_id, mutate)

    async def delete_experiment(self, experiment_id: str) -> None:
        await self._db.execute(
            "deleteExperiment",
            f'WITH r AS (DELETE FROM {self._r.full} WHERE "experimentId" = $1) '
            f"DELETE FROM {self._e.full} WHERE id = $1",
            experiment_id,
        )

    async def query_experiments(self, query: ExperimentQuery) -> tuple[list[Experiment], int]:
        p = Params()
        where = _equal(p, equal_filters(query, EXPERIMENT_FILTERS))
        return await self._e.page(
            self, "listExperiments", p, query, where, time_sql='"createdAt"', descending=True
        )

    async def insert_result(self, result: ExperimentResult) -> None:
        await self._db.execute("addExperimentResult", self._r.insert_sql, *self._r.params(result))

    async def get_result(self, result_id: str) -> ExperimentResult | None:
        return await self._r.get(self._db, "getExperimentResultById", result_id)

    async def modify_result(
        self, result_id: str, mutate: ResultMutation
    ) -> ExperimentResult | None:
        return await self._r.modify(self._db, "updateExperimentResult", result_id, mutate)

    async def query_results(self, query: ResultQuery) -> tuple[list[ExperimentResult], int]:
        p = Params()
        where = _equal(p, equal_filters(query, RESULT_FILTERS))
        return await self._r.page(
            self, "listExperimentResults", p, query, where, time_sql='"startedAt"', descending=False
        )

    async def delete_results(self, experiment_id: str) -> None:
        await self._db.execute(
            "deleteExperimentResults",
            f'DELETE FROM {self._r.full} WHERE "experimentId" = $1',
            experiment_id,
        )

    async def prune_experiments(self, completed_before: datetime, limit: int) -> tuple[int, int]:
        """One statement: up to ``limit`` aged experiments (rows another pruner holds are
        skipped) and their results, deleted together."""
        row = await self._db.fetchrow(
            "pruneExperiments",
            f"WITH old AS (SELECT id FROM {self._e.full} "
            f'WHERE "completedAt" < $1 LIMIT $2 FOR UPDATE SKIP LOCKED), '
            f'r AS (DELETE FROM {self._r.full} WHERE "experimentId" IN (SELECT id FROM old) '
            f"RETURNING 1), "
            f"e AS (DELETE FROM {self._e.full} WHERE id IN (SELECT id FROM old) RETURNING 1) "
            f"SELECT (SELECT count(*) FROM e), (SELECT count(*) FROM r)",
            naive(completed_before),
            limit,
        )
        return int(row[0]), int(row[1])


class PgBlobsBackend(PgBackend, BlobsBackend):
    """Blobs in ``mastra_skill_blobs``, keyed by hash."""

    tables = ("mastra_skill_blobs",)

    def __init__(self, ctx: PgContext) -> None:
        super().__init__(ctx)
        self._b = _Rows(SKILL_BLOBS, Blob, self.t(SKILL_BLOBS.name))

    async def put_blobs(self, blobs: list[Blob]) -> None:
        """One transaction of ``INSERT ... ON CONFLICT (hash) DO NOTHING``."""
        sql = self._b.insert_sql + " ON CONFLICT (hash) DO NOTHING"
        if len(blobs) == 1:
            await self._db.execute("putBlob", sql, *self._b.params(blobs[0]))
            return
        async with self._db.transaction("putBlobs") as tx:
            await tx.executemany(sql, [self._b.params(b) for b in blobs])

    async def get_blobs(self, hashes: list[str]) -> dict[str, Blob]:
        rows = await self._db.fetch(
            "getBlobs",
            f"SELECT {self._b.select} FROM {self._b.full} WHERE hash = ANY($1::text[])",
            hashes,
        )
        found = [self._b.decode(r) for r in rows]
        return {b.hash: b for b in found}

    async def delete_blob(self, blob_hash: str) -> bool:
        row = await self._db.fetchrow(
            "deleteBlob", f"DELETE FROM {self._b.full} WHERE hash = $1 RETURNING 1", blob_hash
        )
        return row is not None


def pg_evals_stores(ctx: PgContext) -> dict[str, Any]:
    """The three domain stores over ``ctx`` (what ``PostgresStore`` adds to ``stores``)."""
    from mastra_storage.domains.blobs import BlobsStore
    from mastra_storage.domains.datasets import DatasetsStore
    from mastra_storage.domains.experiments import ExperimentsStore

    return {
        "datasets": DatasetsStore(PgDatasetsBackend(ctx)),
        "experiments": ExperimentsStore(PgExperimentsBackend(ctx)),
        "blobs": BlobsStore(PgBlobsBackend(ctx)),
    }


__all__ = ["PgBlobsBackend", "PgDatasetsBackend", "PgExperimentsBackend", "pg_evals_stores"]
