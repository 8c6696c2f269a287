"""Resource enumeration for ``mastra_storage.transfer`` (mixed into the MongoDB memory store).

Keyset pagination on the unique ``id`` index (``{id: {$gt: after}}`` sorted by ``id``):
concurrent writes never shift a page.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mastra_storage.records import Resource

from .schema import RESOURCES

if TYPE_CHECKING:
    from .connection import MongoConnection


class MongoResourceScan:
    _conn: MongoConnection

    async def _scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        from .memory import resource_from_doc  # memory.py imports this module

        where: dict[str, Any] = {} if position is None else {"id": {"$gt": position}}
        cursor = self._conn.collection(RESOURCES).find(where).sort("id", 1).limit(limit)
        docs = await self._conn.guard("scanResources", cursor.to_list())
        found = [resource_from_doc(doc) for doc in docs]
        return found, found[-1].id if len(found) == limit else None


__all__ = ["MongoResourceScan"]
