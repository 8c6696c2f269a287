"""Keyspace walks: ``SCAN`` costs grow with the size of the whole database. Maintenance uses
them (``dangerously_clear_all``, ``reindex``), and one request path only when it must find
what a Mastra app wrote as Mastra finds it: loading a run stored under Mastra's resource
suffix while the adoption detector says un-indexed runs may exist (``adopt.py``). Listings
use bounded single ``SCAN`` steps (``adopt.Adopter``), never this.
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
