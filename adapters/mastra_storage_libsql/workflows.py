"""Workflows domain on SQLite: ``mastra_workflow_snapshot``, unique on (workflow_name, run_id)."""

from __future__ import annotations

from typing import Any

from mastra_storage.domains.workflows import BaseWorkflowsStore, RunMutation, WorkflowRunQuery
from mastra_storage.records import WorkflowRun

from .connection import Tx
from .domain import LibSQLDomain
from .sqlutil import json_param, json_read, json_value, limit_offset, parse_ts, ts

RUN_COLUMNS = (
    f'workflow_name, run_id, "resourceId", {json_read("snapshot")}, "createdAt", "updatedAt"'
)
UPSERT_RUN = (
    "INSERT INTO mastra_workflow_snapshot "
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


class LibSQLWorkflowsStore(LibSQLDomain, BaseWorkflowsStore):
    tables = ("mastra_workflow_snapshot",)

    async def _upsert_run(self, run: WorkflowRun) -> None:
        params = run_params(run)

        def job(tx: Tx) -> None:
            tx.execute(UPSERT_RUN, params)

        await self._db.run("persistWorkflowSnapshot", job)

    async def _get_run(self, workflow_name: str, run_id: str) -> WorkflowRun | None:
        def job(tx: Tx) -> WorkflowRun | None:
            row = tx.fetchone(
                f"SELECT {RUN_COLUMNS} FROM mastra_workflow_snapshot "
                "WHERE workflow_name = ? AND run_id = ?",
                (workflow_name, run_id),
            )
            return None if row is None else run_from_row(row)

        return await self._db.run("loadWorkflowSnapshot", job, mode="none")

    async def _modify_run(
        self, workflow_name: str, run_id: str, mutate: RunMutation
    ) -> WorkflowRun | None:
        def job(tx: Tx) -> WorkflowRun | None:
            row = tx.fetchone(
                f"SELECT {RUN_COLUMNS} FROM mastra_workflow_snapshot "
                "WHERE workflow_name = ? AND run_id = ?",
                (workflow_name, run_id),
            )
            updated = mutate(None if row is None else run_from_row(row))
            if updated is not None:
                tx.execute(UPSERT_RUN, run_params(updated))
            return updated

        return await self._db.run("updateWorkflowRun", job)

    async def _query_runs(self, query: WorkflowRunQuery) -> tuple[list[WorkflowRun], int]:
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
        where_sql = " WHERE " + " AND ".join(where) if where else ""
        limit_sql, limit_params = limit_offset(query.limit, query.offset)

        def job(tx: Tx) -> tuple[list[WorkflowRun], int]:
            row = tx.fetchone(f"SELECT COUNT(*) FROM mastra_workflow_snapshot{where_sql}", params)
            rows = tx.fetchall(
                f"SELECT {RUN_COLUMNS} FROM mastra_workflow_snapshot{where_sql}{_ORDER}{limit_sql}",
                params + limit_params,
            )
            return [run_from_row(r) for r in rows], int(row[0]) if row else 0

        return await self._db.run("listWorkflowRuns", job, mode="read")

    async def _find_run(self, run_id: str, workflow_name: str | None) -> WorkflowRun | None:
        sql = f"SELECT {RUN_COLUMNS} FROM mastra_workflow_snapshot WHERE run_id = ?"
        params: list[Any] = [run_id]
        if workflow_name is not None:
            sql += " AND workflow_name = ?"
            params.append(workflow_name)

        def job(tx: Tx) -> WorkflowRun | None:
            row = tx.fetchone(sql + _ORDER + " LIMIT 1", params)
            return None if row is None else run_from_row(row)

        return await self._db.run("getWorkflowRunById", job, mode="none")

    async def _delete_run(self, run_id: str, workflow_name: str) -> None:
        def job(tx: Tx) -> None:
            tx.execute(
                "DELETE FROM mastra_workflow_snapshot WHERE run_id = ? AND workflow_name = ?",
                (run_id, workflow_name),
            )

        await self._db.run("deleteWorkflowRunById", job)


__all__ = ["LibSQLWorkflowsStore"]
