"""What every DynamoDB domain shares: the table handle, TTL, and clearing its entities."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .config import EntityTtl, ttl_fields
from .table import DynamoTable, Expr


class DynamoDomain:
    """Mixed in *before* a domain base class, so these override its defaults.

    ``entities`` lists the ElectroDB entities ``dangerously_clear_all`` removes.
    """

    entities: ClassVar[tuple[str, ...]] = ()

    def __init__(self, table: DynamoTable, ttl: Mapping[str, EntityTtl]) -> None:
        self._table = table
        self._ttl = dict(ttl)

    async def init(self) -> None:
        """Nothing per domain: the store checks the table once (``DescribeTable``)."""

    def with_ttl(self, entity: str, item: dict[str, Any]) -> dict[str, Any]:
        """``item`` plus the TTL attribute when TTL is enabled for ``entity``."""
        item.update(ttl_fields(self._ttl, entity))
        return item

    async def dangerously_clear_all(self) -> None:
        """Scan for this domain's entities and delete them in batches of 25 (tests only)."""
        expr = Expr()
        names = ", ".join(expr.v(e) for e in self.entities)
        items = await self._table.scan_all(filter=f"{expr.n('__edb_e__')} IN ({names})", expr=expr)
        await self._table.batch_write(deletes=[{"pk": i["pk"], "sk": i["sk"]} for i in items])


__all__ = ["DynamoDomain"]
