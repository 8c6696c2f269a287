"""What every DynamoDB backend shares: the table handle, TTL, and clearing its entities."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .config import EntityTtl, ttl_fields
from .table import DynamoTable, Expr


class DynamoBackendBase:
    """The table and TTL settings of one domain's backend; listed *before* the contract's
    base class, so :meth:`dangerously_clear_all` implements it.

    ``entities`` lists the ElectroDB entities ``dangerously_clear_all`` removes.
    """

    entities: ClassVar[tuple[str, ...]] = ()

    def __init__(self, table: DynamoTable, ttl: Mapping[str, EntityTtl]) -> None:
        self.table = table
        self.ttl = dict(ttl)

    def with_ttl(self, entity: str, item: dict[str, Any]) -> dict[str, Any]:
        """``item`` plus the TTL attribute when TTL is enabled for ``entity``."""
        item.update(ttl_fields(self.ttl, entity))
        return item

    async def dangerously_clear_all(self) -> None:
        """Scan for this domain's entities and delete them in batches of 25 (tests only;
        not atomic)."""
        expr = Expr()
        names = ", ".join(expr.v(e) for e in self.entities)
        items = await self.table.scan_all(filter=f"{expr.n('__edb_e__')} IN ({names})", expr=expr)
        await self.table.batch_write(deletes=[{"pk": i["pk"], "sk": i["sk"]} for i in items])

    async def scan_entity(
        self, entity: str, position: str | None, limit: int
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page of every item of ``entity`` (a filtered table ``Scan``) and the next
        position: the copy/export walk for entities without an index over all of them."""
        expr = Expr()
        return await self.table.scan_page(
            filter=f"{expr.n('__edb_e__')} = {expr.v(entity)}",
            expr=expr,
            position=position,
            limit=limit,
        )


__all__ = ["DynamoBackendBase"]
