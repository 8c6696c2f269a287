"""Score and resource enumeration for ``mastra_storage.transfer`` (mixed into
:class:`DynamoScoresStore` and :class:`DynamoMemoryStore`).

The score GSIs need a scorer, run, entity or span and resources have no index at all, so
listing every one is a table ``Scan`` filtered on the entity discriminator, paged by
``LastEvaluatedKey`` (the position, JSON-encoded): a keyset walk that concurrent writes do
not shift. It reads the whole table (maintenance path: copy/export only).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mastra_storage.records import Resource, Score

from . import items as conv
from .table import Expr

if TYPE_CHECKING:
    from .table import DynamoTable


async def scan_entity(
    table: DynamoTable, entity: str, position: str | None, limit: int
) -> tuple[list[dict[str, Any]], str | None]:
    """One page of a table ``Scan`` for one entity, and the next position."""
    expr = Expr()
    params: dict[str, Any] = {
        "TableName": table.name,
        "FilterExpression": f"{expr.n('__edb_e__')} = {expr.v(entity)}",
        "Limit": limit,
        **expr.params(table.ser),
    }
    if position is not None:
        params["ExclusiveStartKey"] = json.loads(position)
    response = await table.call("scan", **params)
    found = [table.de_item(raw) for raw in response.get("Items", [])]
    last = response.get("LastEvaluatedKey")
    return found, json.dumps(last) if last else None


class DynamoResourceScan:
    """Resources have no index over all of them: the same filtered table scan."""

    _table: DynamoTable

    async def _scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        found, position = await scan_entity(self._table, "resource", position, limit)
        return [conv.resource_from_item(i) for i in found], position


class DynamoScoreScan:
    _table: DynamoTable

    async def _scan_scores(
        self, position: str | None, limit: int
    ) -> tuple[list[Score], str | None]:
        found, position = await scan_entity(self._table, "score", position, limit)
        return [conv.score_from_item(i) for i in found], position


__all__ = ["DynamoResourceScan", "DynamoScoreScan", "scan_entity"]
