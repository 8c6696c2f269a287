"""Retention's optional ``_delete_resource`` primitive (mixed into :class:`DynamoMemoryStore`).

A resource is one item (``$mastra#entity_resource#id_<id>``) with no GSI entries; its TTL,
when configured, is an attribute of that item, so nothing else is kept per resource. One
conditional ``DeleteItem`` removes it atomically. The condition matters: ElectroDB
lower-cases key values, so ``"User-A"`` and ``"user-a"`` share a key, and the item must be
deleted only when its ``id`` is exactly the one asked for. A failed condition (missing item,
or the item of another spelling) means there is nothing of this resource to delete
(idempotent).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import keys
from .table import ConditionFailed, Expr

if TYPE_CHECKING:
    from .table import DynamoTable


class DynamoResourceDelete:
    _table: DynamoTable

    async def _delete_resource(self, resource_id: str) -> None:
        expr = Expr()
        condition = f"{expr.n('id')} = {expr.v(resource_id)}"
        try:
            async with self._table.locked(f"resource:{resource_id}"):
                await self._table.delete(
                    keys.resource_key(resource_id), expr=expr, condition=condition
                )
        except ConditionFailed:
            return


__all__ = ["DynamoResourceDelete"]
