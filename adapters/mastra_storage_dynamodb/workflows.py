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

from mastra_storage.domains.workflows import (
    BaseWorkflowsStore,
    RunMutation,
    WorkflowRunQuery,
    run_matches,
)
from mastra_storage.records import WorkflowRun
from mastra_storage.timeutil import to_epoch_ms

from . import items as conv
from . import keys
from .domain import DynamoDomain
from .identity import holds_other, key_collision, same_record_condition
from .memory import optimistic
from .table import ConditionFailed, Expr, Item, cas_condition, check_item_size, next_rev


def _order_key(run: WorkflowRun) -> tuple[int, str]:
    return (to_epoch_ms(run.created_at), run.run_id)


class DynamoWorkflowsStore(DynamoDomain, BaseWorkflowsStore):
    entities = ("workflow_snapshot",)

    async def _get_item(self, workflow_name: str, run_id: str) -> Item | None:
        item = await self._table.get(keys.run_key(workflow_name, run_id))
        if item is None or item.get("workflow_name") != workflow_name:
            return None
        return item if item.get("run_id") == run_id else None

    def _checked_item(self, run: WorkflowRun) -> Item:
        item = self.with_ttl("workflow_snapshot", conv.run_item(run))
        check_item_size(item, what=f"workflow snapshot {run.workflow_name}/{run.run_id}")
        return item

    async def _upsert_run(self, run: WorkflowRun) -> None:
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
            await self._table.update(
                keys.run_key(run.workflow_name, run.run_id),
                update,
                expr,
                condition=same_record_condition(expr, identity),
            )
        except ConditionFailed:
            raise key_collision("workflow run", identity) from None

    async def _get_run(self, workflow_name: str, run_id: str) -> WorkflowRun | None:
        item = await self._get_item(workflow_name, run_id)
        return None if item is None else conv.run_from_item(item)

    async def _modify_run(
        self, workflow_name: str, run_id: str, mutate: RunMutation
    ) -> WorkflowRun | None:
        identity = {"workflow_name": workflow_name, "run_id": run_id}

        async def attempt() -> WorkflowRun | None:
            old = await self._table.get(keys.run_key(workflow_name, run_id))
            if holds_other(old, identity):
                raise key_collision("workflow run", identity)
            updated = mutate(None if old is None else conv.run_from_item(old))
            if updated is None:
                return None
            item = {**(old or {}), **self._checked_item(updated), "rev": next_rev(old)}
            if item.get("resourceId") is None:
                item.pop("resourceId", None)
            expr = Expr()
            await self._table.put(item, expr=expr, condition=cas_condition(expr, old))
            return updated

        return await optimistic(
            self._table,
            [f"run:{workflow_name}:{run_id}"],
            attempt,
            what=f"update workflow run {workflow_name}/{run_id}",
        )

    async def _query_runs(self, query: WorkflowRunQuery) -> tuple[list[WorkflowRun], int]:
        expr = Expr()
        if query.workflow_name is not None:
            found = await self._table.query_all(
                key_condition=(
                    f"{expr.n('pk')} = {expr.v(keys.run_partition(query.workflow_name))} AND "
                    f"begins_with({expr.n('sk')}, "
                    f"{expr.v(keys.sort_prefix('workflow_snapshot', 'run_id'))})"
                ),
                filter=f"{expr.n('workflow_name')} = {expr.v(query.workflow_name)}",
                expr=expr,
            )
        else:
            found = await self._table.scan_all(
                filter=f"{expr.n('__edb_e__')} = {expr.v('workflow_snapshot')}", expr=expr
            )
        runs = sorted(
            (r for r in map(conv.run_from_item, found) if run_matches(r, query)),
            key=_order_key,
            reverse=True,
        )
        end = None if query.limit is None else query.offset + query.limit
        return runs[query.offset : end], len(runs)

    async def _find_run(self, run_id: str, workflow_name: str | None) -> WorkflowRun | None:
        if workflow_name is not None:
            return await self._get_run(workflow_name, run_id)
        expr = Expr()
        found = await self._table.query_all(
            index="gsi2",
            key_condition=(
                f"{expr.n('gsi2pk')} = {expr.v(keys.run_gsi2pk(run_id))} AND "
                f"begins_with({expr.n('gsi2sk')}, "
                f"{expr.v(keys.sort_prefix('workflow_snapshot', 'workflow_name'))})"
            ),
            filter=f"{expr.n('run_id')} = {expr.v(run_id)}",
            expr=expr,
        )
        runs = sorted(map(conv.run_from_item, found), key=_order_key, reverse=True)
        return runs[0] if runs else None

    async def _delete_run(self, run_id: str, workflow_name: str) -> None:
        expr = Expr()
        condition = (
            f"{expr.n('workflow_name')} = {expr.v(workflow_name)} AND "
            f"{expr.n('run_id')} = {expr.v(run_id)}"
        )
        # missing, or another run that shares the lower-cased key: nothing to delete
        with contextlib.suppress(ConditionFailed):
            await self._table.delete(
                keys.run_key(workflow_name, run_id), expr=expr, condition=condition
            )


__all__ = ["DynamoWorkflowsStore"]
