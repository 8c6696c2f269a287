"""Workflows domain on SQLite: ``mastra_workflow_snapshot``, unique on (workflow_name, run_id)."""

from __future__ import annotations

from typing import Any

from mastra_storage.backend.workflows import RunMutation, WorkflowRunQuery, WorkflowsBackend
from mastra_storage.layout import TABLE_WORKFLOW_SNAPSHOT
from mastra_storage.records import WorkflowRun
from mastra_storage.timeutil import from_epoch_ms

from .domain import Keyset, LibSQLDomain, PageStatement
from .sqlutil import json_param, json_read, json_value, parse_ts, ts
from .tx import Tx

RUN_COLUMNS = (
    f'workflow_name, run_id, "resourceId", {json_read("snapshot")}, "createdAt", "updatedAt"'
)
UPSERT_RUN = (
    f"INSERT INTO {TABLE_WORKFLOW_SNAPSHOT} "
    '(workflow_name, run_id, "resourceId", snapshot, "createdAt", "updatedAt") '
    "VALUES (?, ?, ?, jsonb(?), ?, ?) "
    'ON CONFLICT(workflow_name, run_id) DO UPDATE SET "resourceId" = excluded."resourceId", '
    'snapshot = excluded.snapshot, "updatedAt" = excluded."updatedAt"'
)
# Guarded so that one malformed legacy TEXT snapshot cannot fail the whole listing.
_STATUS = (
    "CASE WHEN typeof(snapshot) = 'blob' OR json_valid(snapshot) "
    "THEN json_extract(snapshot, '$.status') END"
)
_ORDER = ' ORDER BY "createdAt" DESC, run_id DESC, rowid ASC'


def run_from_row(row: tuple[Any, ...]) -> WorkflowRun:
    workflow_name, run_id, resource_id, snapshot, created, updated = row
    value = json_value(snapshot)
    return WorkflowRun(
        workflow_name=workflow_name,
        run_id=run_id,
        snapshot=value if isinstance(value, (dict, str)) else {},
        resource_id=resource_id,
        created_at=parse_ts(created),
        updated_at=parse_ts(updated),
    )


def run_params(run: WorkflowRun) -> tuple[Any, ...]:
    return (
        run.workflow_name,
        run.run_id,
        run.resource_id,
        json_param(run.snapshot),
        ts(run.created_at),
        ts(run.updated_at),
    )


class LibSQLWorkflowsBackend(LibSQLDomain, WorkflowsBackend):
    """Workflow runs in ``mastra_workflow_snapshot``. Every method is one job: writes and
    read-modify-writes one ``BEGIN IMMEDIATE`` transaction (so concurrent step updates of
    one run queue instead of losing either), reads one statement or one read
    transaction. Driver errors surface as :func:`~mastra_storage_libsql.errors.translate`
    says."""

    tables = (TABLE_WORKFLOW_SNAPSHOT,)

    async def upsert_run(self, run: WorkflowRun) -> None:
        params = run_params(run)

        def job(tx: Tx) -> None:
            tx.execute(UPSERT_RUN, params)

        await self.db.run("persistWorkflowSnapshot", job)

    async def get_run(self, workflow_name: str, run_id: str) -> WorkflowRun | None:
        return await self.read_one(
            "loadWorkflowSnapshot",
            f"SELECT {RUN_COLUMNS} FROM {TABLE_WORKFLOW_SNAPSHOT} "
            "WHERE workflow_name = ? AND run_id = ?",
            (workflow_name, run_id),
            run_from_row,
        )

    async def modify_run(
        self, workflow_name: str, run_id: str, mutate: RunMutation
    ) -> WorkflowRun | None:
        def job(tx: Tx) -> WorkflowRun | None:
            row = tx.fetchone(
                f"SELECT {RUN_COLUMNS} FROM {TABLE_WORKFLOW_SNAPSHOT} "
                "WHERE workflow_name = ? AND run_id = ?",
                (workflow_name, run_id),
            )
            updated = mutate(None if row is None else run_from_row(row))
            if updated is not None:
                tx.execute(UPSERT_RUN, run_params(updated))
            return updated

        return await self.db.run("updateWorkflowRun", job)

    async def query_runs(self, query: WorkflowRunQuery) -> tuple[list[WorkflowRun], int]:
        where: list[str] = []
        params: list[Any] = []
        if query.workflow_name is not None:
            where.append("workflow_name = ?")
            params.append(query.workflow_name)
        if query.resource_id is not None:
            where.append('"resourceId" = ?')
            params.append(query.resource_id)
        if query.status is not None:
            where.append(f"{_STATUS} = ?")
            params.append(query.status)
        if query.from_date is not None:
            where.append('"createdAt" >= ?')
            params.append(ts(query.from_date))
        if query.to_date is not None:
            where.append('"createdAt" <= ?')
            params.append(ts(query.to_date))
        after: Keyset | None = None
        if query.after is not None:
            # Keyset in the listing's order: (createdAt, run_id) both descending.
            after = (
                '("createdAt", run_id) < (?, ?)',
                [ts(from_epoch_ms(query.after.key)), str(query.after.tie)],
            )
        return await self.read_listing(
            "listWorkflowRuns",
            query,
            PageStatement(
                RUN_COLUMNS, TABLE_WORKFLOW_SNAPSHOT, where, params, after, _ORDER, run_from_row
            ),
        )

    async def find_run(self, run_id: str, workflow_name: str | None) -> WorkflowRun | None:
        sql = f"SELECT {RUN_COLUMNS} FROM {TABLE_WORKFLOW_SNAPSHOT} WHERE run_id = ?"
        params: list[Any] = [run_id]
        if workflow_name is not None:
            sql += " AND workflow_name = ?"
            params.append(workflow_name)
        return await self.read_one(
            "getWorkflowRunById", sql + _ORDER + " LIMIT 1", params, run_from_row
        )

    async def delete_run(self, run_id: str, workflow_name: str) -> None:
        def job(tx: Tx) -> None:
            tx.execute(
                f"DELETE FROM {TABLE_WORKFLOW_SNAPSHOT} WHERE run_id = ? AND workflow_name = ?",
                (run_id, workflow_name),
            )

        await self.db.run("deleteWorkflowRunById", job)


__all__ = ["LibSQLWorkflowsBackend"]
