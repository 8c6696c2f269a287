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

    async def _scan_resources(self, after_id: str | None, limit: int) -> list[Resource]:
        from .memory import resource_from_doc  # memory.py imports this module

        where: dict[str, Any] = {} if after_id is None else {"id": {"$gt": after_id}}
        cursor = self._conn.collection(RESOURCES).find(where).sort("id", 1).limit(limit)
        docs = await self._conn.guard("scanResources", cursor.to_list())
        return [resource_from_doc(doc) for doc in docs]


__all__ = ["MongoResourceScan"]
