"""Keyspace walks. Only maintenance uses them (``dangerously_clear_all``, ``reindex``):
``SCAN`` costs grow with the size of the whole database, so no request path may call this.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from redis.asyncio import Redis

SCAN_COUNT = 1000


async def scan_keys(client: Redis, pattern: str) -> AsyncIterator[list[str]]:
    """Batches of keys matching ``pattern`` (a key may repeat, as SCAN allows)."""
    cursor: int = 0
    while True:
        cursor, keys = await client.scan(cursor=cursor, match=pattern, count=SCAN_COUNT)
        if keys:
            yield [str(k) for k in keys]
        if int(cursor) == 0:
            return


async def delete_matching(client: Redis, pattern: str) -> int:
    deleted = 0
    async for batch in scan_keys(client, pattern):
        deleted += int(await client.unlink(*batch))
    return deleted


__all__ = ["SCAN_COUNT", "delete_matching", "scan_keys"]
