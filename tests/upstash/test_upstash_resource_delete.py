"""``delete_resource`` leaves no key of the resource on Redis (its row, and the per-resource
thread and message indexes), with or without a TTL configured for resources."""

from __future__ import annotations

import pytest

from mastra_storage_upstash import UpstashStore
from tests.support.resource_delete import delete_one_of_two

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize("ttl", [None, {"resource": {"enabled": True, "default_ttl_seconds": 600}}])
async def test_no_key_of_the_deleted_resource_remains(
    redis_server_url: str, prefix: str, ttl: dict[str, object] | None
) -> None:
    store = UpstashStore(redis_server_url, prefix=prefix, ttl=ttl)
    try:
        await store.init()
        gone, kept = await delete_one_of_two(store)
        keys = [str(k) async for k in store.client.scan_iter(match=f"{prefix}*", count=1000)]
        assert keys and not [k for k in keys if gone in k]
        assert store.db.keys.resource(kept) in keys
        assert [k for k in keys if kept in k and "messages" in k]  # the kept indexes stay
    finally:
        await store.close()
