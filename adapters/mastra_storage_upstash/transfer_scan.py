"""Score and resource enumeration for ``mastra_storage.transfer`` (mixed into the
Upstash scores and memory stores).

Scores are only indexed by scorer, run, entity and span, so listing all of them walks the
``mastra_scorers:id:*`` keys with ``SCAN`` (a maintenance-only path, like clear-all). The
position is the SCAN cursor: stable under concurrent writes (SCAN guarantees every key
present for the whole walk is returned; a key may come twice, which the transfer's
idempotent sink absorbs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mastra_storage.records import Resource, Score

from .keys import TABLE_RESOURCES, TABLE_SCORES
from .rows import resource_from_json, score_from_json

if TYPE_CHECKING:
    from .db import RedisDB
    from .keys import Keys


class UpstashResourceScan:
    """Resources are plain keys ``mastra_resources:<id>``: the same ``SCAN`` walk."""

    _db: RedisDB
    _k: Keys

    async def _scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        prefix = self._k.resource("")
        cursor, keys = await self._db.client.scan(
            cursor=int(position or 0), match=self._k.table_pattern(TABLE_RESOURCES), count=limit
        )
        wanted = [str(k) for k in keys if str(k).startswith(prefix)]
        rows = await self._db.mget_json(wanted)
        found = [resource_from_json(r) for r in rows if isinstance(r, dict)]
        return found, None if int(cursor) == 0 else str(cursor)


class UpstashScoreScan:
    _db: RedisDB
    _k: Keys

    async def _scan_scores(
        self, position: str | None, limit: int
    ) -> tuple[list[Score], str | None]:
        prefix = self._k.score("")
        cursor, keys = await self._db.client.scan(
            cursor=int(position or 0), match=self._k.table_pattern(TABLE_SCORES), count=limit
        )
        wanted = [str(k) for k in keys if str(k).startswith(prefix)]
        rows = await self._db.mget_json(wanted)
        scores = [score_from_json(r) for r in rows if isinstance(r, dict)]
        return scores, None if int(cursor) == 0 else str(cursor)


__all__ = ["UpstashResourceScan", "UpstashScoreScan"]
