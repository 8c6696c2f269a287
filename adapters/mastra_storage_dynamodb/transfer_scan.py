"""Score enumeration for ``mastra_storage.transfer`` (mixed into :class:`DynamoScoresStore`).

The score GSIs need a scorer, run, entity or span, so listing every score is a table
``Scan`` filtered on the entity discriminator, paged by ``LastEvaluatedKey`` (the
position, JSON-encoded): a keyset walk that concurrent writes do not shift.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mastra_storage.records import Score

from . import items as conv
from .table import Expr

if TYPE_CHECKING:
    from .table import DynamoTable


class DynamoScoreScan:
    _table: DynamoTable

    async def _scan_scores(
        self, position: str | None, limit: int
    ) -> tuple[list[Score], str | None]:
        expr = Expr()
        params: dict[str, Any] = {
            "TableName": self._table.name,
            "FilterExpression": f"{expr.n('__edb_e__')} = {expr.v('score')}",
            "Limit": limit,
            **expr.params(self._table.ser),
        }
        if position is not None:
            params["ExclusiveStartKey"] = json.loads(position)
        response = await self._table.call("scan", **params)
        found = [self._table.de_item(raw) for raw in response.get("Items", [])]
        last = response.get("LastEvaluatedKey")
        return [conv.score_from_item(i) for i in found], json.dumps(last) if last else None


__all__ = ["DynamoScoreScan"]
