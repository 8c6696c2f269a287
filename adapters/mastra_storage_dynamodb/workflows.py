"""Workflows domain on DynamoDB: one ``workflow_snapshot`` item per (workflow, run).

Primary key ``$mastra#entity_workflow_snapshot#workflow_name_<w>`` /
``$workflow_snapshot_1#run_id_<r>``; ``gsi2`` finds a run by id alone. Loading a snapshot
is one ``GetItem``. ``update_workflow_results``/``update_workflow_state`` are optimistic
read-modify-writes (``updatedAt`` + ``rev`` conditions, retried), so concurrent step
updates never overwrite each other. A snapshot over 400 KB is rejected before the write
(:class:`~mastra_storage_dynamodb.table.ItemTooLargeError`).

Keys are lower-cased, so runs ``WF``/``Run-1`` and ``wf``/``run-1`` share an item: every
write is conditioned on the exact workflow name and run id, and a twin is refused with
``KeyCollisionError`` (:mod:`.identity`).
"""

from __future__ import annotations

import contextlib

from mastra_storage.backend.workflows import RunMutation, WorkflowRunQuery, WorkflowsBackend
from mastra_storage.records import WorkflowRun

from . import items as conv
from . import keys
from .domain import DynamoBackendBase
from .errors import ConditionFailed
from .identity import holds_other, key_collision, same_record_condition
from .optimistic import optimistic
from .table import Expr, Item, cas_condition, check_item_size, next_rev


class DynamoWorkflowsBackend(DynamoBackendBase, WorkflowsBackend):
    """Workflow runs as ``workflow_snapshot`` items; every write is one conditional
    ``PutItem``/``UpdateItem`` (atomic), read-modify-writes are optimistic and retried."""

    entities = ("workflow_snapshot",)

    async def _get_item(self, workflow_name: str, run_id: str) -> Item | None:
        item = await self.table.get(keys.run_key(workflow_name, run_id))
        if item is None or item.get("workflow_name") != workflow_name:
            return None
        return item if item.get("run_id") == run_id else None

    def _checked_item(self, run: WorkflowRun) -> Item:
        item = self.with_ttl("workflow_snapshot", conv.run_item(run))
        check_item_size(item, what=f"workflow snapshot {run.workflow_name}/{run.run_id}")
        return item

    async def upsert_run(self, run: WorkflowRun) -> None:
        """One conditional ``UpdateItem`` keeping a stored ``createdAt``; a case twin under
        the key raises ``KeyCollisionError`` and nothing is written."""
        item = self._checked_item(run)
        expr = Expr()
        sets: list[str] = []
        removes: list[str] = []
        for name, value in item.items():
            if name in ("pk", "sk"):
                continue
            if name == "createdAt":
                sets.append(f"{expr.n(name)} = if_not_exists({expr.n(name)}, {expr.v(value)})")
            elif value is None:
                removes.append(expr.n(name))
            else:
                sets.append(f"{expr.n(name)} = {expr.v(value)}")
        update = (
            "SET "
            + ", ".join(sets)
            + (" REMOVE " + ", ".join(removes) if removes else "")
            + f" ADD {expr.n('rev')} {expr.v(1)}"
        )
        identity = {"workflow_name": run.workflow_name, "run_id": run.run_id}
        try:
            await self.table.update(
                keys.run_key(run.workflow_name, run.run_id),
                update,
                expr,
                condition=same_record_condition(expr, identity),
            )
        except ConditionFailed:
            raise key_collision("workflow run", identity) from None

    async def get_run(self, workflow_name: str, run_id: str) -> WorkflowRun | None:
        """One consistent ``GetItem``; an item of a case twin is not this run."""
        item = await self._get_item(workflow_name, run_id)
        return None if item is None else conv.run_from_item(item)

    async def modify_run(
        self, workflow_name: str, run_id: str, mutate: RunMutation
    ) -> WorkflowRun | None:
        """Optimistic read-modify-write of the item (``updatedAt`` + ``rev`` condition),
        retried while other writers win (``ConflictError`` once the budget is spent); a
        case twin under the key raises ``KeyCollisionError``."""
        identity = {"workflow_name": workflow_name, "run_id": run_id}

        async def attempt() -> WorkflowRun | None:
            old = await self.table.get(keys.run_key(workflow_name, run_id))
            if holds_other(old, identity):
                raise key_collision("workflow run", identity)
            updated = mutate(None if old is None else conv.run_from_item(old))
            if updated is None:
                return None
            item = {**(old or {}), **self._checked_item(updated), "rev": next_rev(old)}
            if item.get("resourceId") is None:
                item.pop("resourceId", None)
            expr = Expr()
            await self.table.put(item, expr=expr, condition=cas_condition(expr, old))
            return updated

        return await optimistic(
            self.table,
            [f"run:{workflow_name}:{run_id}"],
            attempt,
            what=f"update workflow run {workflow_name}/{run_id}",
        )

    async def query_runs(self, query: WorkflowRunQuery) -> tuple[list[WorkflowRun], int]:
        """A workflow's partition (or, without a workflow name, a table scan), filtered,
        ordered and paged in memory by the core's reference executor."""
        if query.workflow_name is not None:
            found = await self.query_prefix(
                ("pk", keys.run_partition(query.workflow_name)),
                ("sk", keys.sort_prefix("workflow_snapshot", "run_id")),
                equal={"workflow_name": query.workflow_name},
            )
        else:
            found = await self.scan_all_of("workflow_snapshot")
        return query.execute(map(conv.run_from_item, found))

    async def find_run(self, run_id: str, workflow_name: str | None) -> WorkflowRun | None:
        """By key with a workflow name, else the newest run of ``gsi2`` (by run id)."""
        if workflow_name is not None:
            return await self.get_run(workflow_name, run_id)
        found = await self.query_prefix(
            ("gsi2pk", keys.run_gsi2pk(run_id)),
            ("gsi2sk", keys.sort_prefix("workflow_snapshot", "workflow_name")),
            index="gsi2",
            equal={"run_id": run_id},
        )
        runs = [conv.run_from_item(i) for i in found]
        return max(runs, key=WorkflowRunQuery.key) if runs else None

    async def delete_run(self, run_id: str, workflow_name: str) -> None:
        """One conditional ``DeleteItem`` on the exact ids (a case twin is kept)."""
        expr = Expr()
        condition = (
            f"{expr.n('workflow_name')} = {expr.v(workflow_name)} AND "
            f"{expr.n('run_id')} = {expr.v(run_id)}"
        )
        # missing, or another run that shares the lower-cased key: nothing to delete
        with contextlib.suppress(ConditionFailed):
            await self.table.delete(
                keys.run_key(workflow_name, run_id), expr=expr, condition=condition
            )


__all__ = ["DynamoWorkflowsBackend"]
