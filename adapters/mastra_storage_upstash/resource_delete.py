"""Retention's optional ``_delete_resource`` primitive (mixed into the Upstash memory store).

A resource is the single key ``<prefix>mastra_resources:<id>`` (docs/upstash-layout.md): the
adapter keeps no index entry for resources, and a configured TTL is that key's own expiry,
so one ``DEL`` removes everything of it atomically; a missing key deletes nothing
(idempotent). A concurrent ``update_resource`` watches the key, so it retries on the new
state instead of resurrecting a stale one. The per-resource message and thread indexes are
emptied when ``mastra_storage.retention`` deletes the resource's threads first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .db import operation

if TYPE_CHECKING:
    from .db import RedisDB
    from .keys import Keys


class UpstashResourceDelete:
    _db: RedisDB
    _k: Keys

    @operation("deleteResource")
    async def _delete_resource(self, resource_id: str) -> None:
        await self._db.client.delete(self._k.resource(resource_id))


__all__ = ["UpstashResourceDelete"]
