"""Resource enumeration for ``mastra_storage.transfer`` (mixed into :class:`PgMemoryStore`).

Keyset pagination on the primary key (``id > $1 ORDER BY id``): concurrent inserts and
deletes never shift a page, and each page is one index range scan.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mastra_storage.records import Resource

if TYPE_CHECKING:
    from .connection import PgDatabase


class PgResourceScan:
    _db: PgDatabase
    _resources: str

    async def _scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        from .memory import RESOURCE_COLUMNS, resource_from_row  # memory.py imports this

        select = f"SELECT {RESOURCE_COLUMNS} FROM {self._resources}"
        args: list[Any]
        if position is None:
            sql, args = f"{select} ORDER BY id LIMIT $1", [limit]
        else:  # a separate statement, so the plan is always an index range scan
            sql, args = f"{select} WHERE id > $1 ORDER BY id LIMIT $2", [position, limit]
        rows = await self._db.fetch("scanResources", sql, *args)
        found = [resource_from_row(row) for row in rows]
        return found, found[-1].id if len(found) == limit else None


__all__ = ["PgResourceScan"]
