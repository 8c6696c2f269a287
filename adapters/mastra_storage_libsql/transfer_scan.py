"""Resource enumeration for ``mastra_storage.transfer`` (mixed into the libSQL memory store).

Keyset pagination on the primary key (``id > ? ORDER BY id``): concurrent writes never
shift a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mastra_storage.records import Resource

if TYPE_CHECKING:
    from .connection import LibSQLDatabase, Tx


class LibSQLResourceScan:
    _db: LibSQLDatabase

    async def _scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        from .memory import RESOURCE_COLUMNS, resource_from_row  # memory.py imports this

        def job(tx: Tx) -> list[Resource]:
            select = f"SELECT {RESOURCE_COLUMNS} FROM mastra_resources"
            if position is None:
                rows = tx.fetchall(f"{select} ORDER BY id LIMIT ?", (limit,))
            else:
                rows = tx.fetchall(f"{select} WHERE id > ? ORDER BY id LIMIT ?", (position, limit))
            return [resource_from_row(row) for row in rows]

        found = await self._db.run("scanResources", job, mode="none")
        return found, found[-1].id if len(found) == limit else None


__all__ = ["LibSQLResourceScan"]
