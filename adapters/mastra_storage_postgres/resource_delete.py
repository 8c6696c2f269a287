"""Retention's optional ``_delete_resource`` primitive (mixed into :class:`PgMemoryStore`).

A resource is one row of ``mastra_resources`` keyed by ``id``: one ``DELETE`` removes it
atomically, and deleting a missing id deletes nothing (idempotent). Threads, messages and
workflow runs are removed by ``mastra_storage.retention`` through the domain APIs first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .connection import PgDatabase


class PgResourceDelete:
    _db: PgDatabase
    _resources: str  # the validated, quoted table name

    async def _delete_resource(self, resource_id: str) -> None:
        await self._db.execute(
            "deleteResource", f"DELETE FROM {self._resources} WHERE id = $1", resource_id
        )


__all__ = ["PgResourceDelete"]
