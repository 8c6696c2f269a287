"""Upstash with ``init_mode="verify"`` (issue 16 point 9). Redis has no schema: verify
checks connectivity only (a ``PING``), writes nothing, and an unreachable server is an
``UnavailableError``, never a ``SchemaMismatchError``."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from mastra_storage.errors import ConfigurationError, UnavailableError
from mastra_storage_upstash import UpstashStore

pytestmark = pytest.mark.anyio


async def test_verify_pings_and_writes_nothing(redis_server_url: str, prefix: str) -> None:
    admin = Redis.from_url(redis_server_url, decode_responses=True)
    store = UpstashStore(redis_server_url, prefix=prefix, init_mode="verify")
    try:
        before = await admin.dbsize()
        await store.init()
        assert store.init_mode == "verify"
        assert await admin.dbsize() == before
        assert [k async for k in admin.scan_iter(match=f"{prefix}*")] == []
        memory = await store.require_store("memory")
        assert (await memory.list_threads(resource_id="r")).total == 0
    finally:
        await store.close()
        await admin.aclose()


async def test_verify_on_an_unreachable_server_is_unavailable() -> None:
    store = UpstashStore(
        "redis://default:hunter22@127.0.0.1:1/0", init_mode="verify", socket_connect_timeout=1
    )
    try:
        with pytest.raises(UnavailableError) as info:
            await store.init()
        assert "hunter22" not in str(info.value)
    finally:
        await store.close()


def test_an_unknown_init_mode_is_refused() -> None:
    with pytest.raises(ConfigurationError):
        UpstashStore("redis://127.0.0.1:6379/0", init_mode="repair")  # type: ignore[arg-type]
