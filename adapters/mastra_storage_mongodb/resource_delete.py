"""Retention's optional ``_delete_resource`` primitive (mixed into the MongoDB memory store).

A resource is one document of ``mastra_resources`` (unique ``id`` index): ``delete_one``
removes it atomically, and a missing id deletes nothing (idempotent). Threads, messages and
workflow runs are removed by ``mastra_storage.retention`` through the domain APIs first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .schema import RESOURCES

if TYPE_CHECKING:
    from .connection import MongoConnection


class MongoResourceDelete:
    _conn: MongoConnection

    async def _delete_resource(self, resource_id: str) -> None:
        await self._conn.guard(
            "deleteResource", self._conn.collection(RESOURCES).delete_one({"id": resource_id})
        )


__all__ = ["MongoResourceDelete"]
