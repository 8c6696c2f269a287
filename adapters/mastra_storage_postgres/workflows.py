"""Workflows backend on PostgreSQL: ``mastra_workflow_snapshot``, unique on (workflow_name, run_id).

Step updates are read-modify-write under a row lock (``SELECT ... FOR UPDATE``); a run that
does not exist yet is inserted with ``ON CONFLICT DO NOTHING`` and the update retried under
the lock if another writer created it first, so concurrent step results never overwrite
each other.
"""

from __future__ import annotations

from typing import Any

from mastra_storage.backend.concurrency import RetryPolicy
from mastra_storage.backend.workflows import RunMutation, WorkflowRunQuery, WorkflowsBackend
from mastra_storage.errors import ConflictError
from mastra_storage.layout import TABLE_WORKFLOW_SNAPSHOT, WORKFLOW_SNAPSHOT
from mastra_storage.records import WorkflowRun

from .domain import PgBackend, PgContext
from .sqlutil import (
    Params,
    json_param_required,
    json_value,
    keyset_after,
    naive,
    read_ts_required,
    select_columns,
)

RUN_COLUMNS = select_columns(WORKFLOW_SNAPSHOT)
_ORDER = ' ORDER BY "createdAt" DESC, run_id DESC'

#: A missing run is inserted with ``ON CONFLICT DO NOTHING``; losing that race means the
#: row now exists and the next try takes its lock, so a second try always succeeds unless
#: the run is deleted in between. Three tries, without a pause (the winner has committed).
MODIFY_RUN_RETRY = RetryPolicy(attempts=3, base_s=0.0)


def run_from_row(row: Any, offset: int = 0) -> WorkflowRun:
    o = offset
    value = json_value(row[o + 3])
    return WorkflowRun(
        workflow_name=row[o],
        run_id=row[o + 1],
        snapshot=value if isinstance(value, (dict, str)) else {},
        resource_id=row[o + 2],
        created_at=read_ts_required(row[o + 5], row[o + 4]),
        updated_at=read_ts_required(row[o + 7], row[o + 6]),
    )


def run_params(run: WorkflowRun) -> tuple[Any, ...]:
    return (
        run.workflow_name,
        run.run_id,
        run.resource_id,
        json_param_required(run.snapshot),
        naive(run.created_at),
        run.created_at,
        naive(run.updated_at),
        run.updated_at,
    )


class PgWorkflowsBackend(PgBackend, WorkflowsBackend):
    """Workflow run snapshots in ``mastra_workflow_snapshot``; each method is one statement
    or one transaction, and errors are typed (:mod:`.errors`)."""

    tables = (TABLE_WORKFLOW_SNAPSHOT,)

    def __init__(self, ctx: PgContext) -> None:
        super().__init__(ctx)
        table = self.t(TABLE_WORKFLOW_SNAPSHOT)
        self._table = table
        insert = (
            f'INSERT INTO {table} (workflow_name, run_id, "resourceId", snapshot, "createdAt", '
            '"createdAtZ", "updatedAt", "updatedAtZ") '
            "VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8)"
        )
        self._upsert_sql = (
            f"{insert} ON CONFLICT (workflow_name, run_id) DO UPDATE SET "
            '"resourceId" = EXCLUDED."resourceId", snapshot = EXCLUDED.snapshot, '
            '"updatedAt" = EXCLUDED."updatedAt", "updatedAtZ" = EXCLUDED."updatedAtZ"'
        )
        self._insert_if_absent_sql = (
            f"{insert} ON CONFLICT (workflow_name, run_id) DO NOTHING RETURNING 1"
        )
        self._select_sql = (
            f"SELECT {RUN_COLUMNS} FROM {table} WHERE workflow_name = $1 AND run_id = $2"
        )

    async def upsert_run(self, run: WorkflowRun) -> None:
        """One ``INSERT ... ON CONFLICT DO UPDATE`` (keeps the stored ``createdAt``)."""
        await self._db.execute("persistWorkflowSnapshot", self._upsert_sql, *run_params(run))

    async def get_run(self, workflow_name: str, run_id: str) -> WorkflowRun | None:
        """The run with this key, or ``None``."""
        row = await self._db.fetchrow(
            "loadWorkflowSnapshot", self._select_sql, workflow_name, run_id
        )
        return None if row is None else run_from_row(row)

    async def modify_run(
        self, workflow_name: str, run_id: str, mutate: RunMutation
    ) -> WorkflowRun | None:
        """Read-modify-write under the row lock (or insert-if-absent, retried under the
        lock when another writer created the run first); :class:`ConflictError` when the
        budget (:data:`MODIFY_RUN_RETRY`) runs out."""
        for attempt in MODIFY_RUN_RETRY.tries():
            async with self._db.transaction("updateWorkflowRun") as tx:
                row = await tx.fetchrow(self._select_sql + " FOR UPDATE", workflow_name, run_id)
                updated = mutate(None if row is None else run_from_row(row))
                if updated is None:
                    return None
                if row is not None:
                    await tx.execute(self._upsert_sql, *run_params(updated))
                    return updated
                if await tx.fetchval(self._insert_if_absent_sql, *run_params(updated)):
                    return updated
            await MODIFY_RUN_RETRY.pause(attempt)
        raise ConflictError(
            f"workflow run {workflow_name}/{run_id} kept changing during update",
            id="MASTRA_STORAGE_PG_UPDATE_WORKFLOW_RUN_CONFLICT",
        )

    async def query_runs(self, query: WorkflowRunQuery) -> tuple[list[WorkflowRun], int]:
        """One statement: the keyset/offset page (up to ``limit + 1`` runs, newest first)
        and, when ``query.count``, the total of the filtered set."""
        p = Params()
        where: list[str] = []
        if query.workflow_name is not None:
            where.append(f"workflow_name = {p.add(query.workflow_name)}")
        if query.resource_id is not None:
            where.append(f'"resourceId" = {p.add(query.resource_id)}')
        if query.status is not None:
            where.append(f"(snapshot ->> 'status') = {p.add(query.status)}")
        if query.from_date is not None:
            where.append(f'"createdAt" >= {p.add(naive(query.from_date), "::timestamp")}')
        if query.to_date is not None:
            where.append(f'"createdAt" <= {p.add(naive(query.to_date), "::timestamp")}')
        after = None
        if query.after is not None:
            after = keyset_after('"createdAt"', "run_id", query.after, p, descending=True)
        rows, total = await self.fetch_page(
            "listWorkflowRuns",
            p,
            select=RUN_COLUMNS,
            source=self._table,
            where=where,
            after=after,
            order_sql=_ORDER,
            limit=query.limit,
            offset=query.offset,
            count=query.count,
        )
        return [run_from_row(r, 1) for r in rows], total

    async def find_run(self, run_id: str, workflow_name: str | None) -> WorkflowRun | None:
        """The newest run with this id (in ``workflow_name`` when given), or ``None``."""
        sql = f"SELECT {RUN_COLUMNS} FROM {self._table} WHERE run_id = $1"
        params: list[Any] = [run_id]
        if workflow_name is not None:
            sql += " AND workflow_name = $2"
            params.append(workflow_name)
        row = await self._db.fetchrow("getWorkflowRunById", sql + _ORDER + " LIMIT 1", *params)
        return None if row is None else run_from_row(row)

    async def delete_run(self, run_id: str, workflow_name: str) -> None:
        """One ``DELETE``; a missing run is a no-op."""
        await self._db.execute(
            "deleteWorkflowRunById",
            f"DELETE FROM {self._table} WHERE run_id = $1 AND workflow_name = $2",
            run_id,
            workflow_name,
        )


__all__ = ["MODIFY_RUN_RETRY", "PgWorkflowsBackend"]
