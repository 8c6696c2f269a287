"""Issue 15, point 10: waiting for a pooled connection is bounded.

With every pooled connection held elsewhere, a call waits at most the pool timeout and
then fails with ``UnavailableError`` (with no overall deadline, or a longer one: the pool
bound is what ends it); once a connection is free again the same store works.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest

from mastra_storage.errors import UnavailableError
from tests.support.servers import ServerUnavailable, redis_key_prefix, redis_url

pytestmark = pytest.mark.anyio

POOL_TIMEOUT_S = 0.3
SLACK_S = 1.5


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.parametrize("operation_timeout", [None, 30.0])
async def test_postgres_pool_wait_is_bounded(
    pg_session_url: str, operation_timeout: float | None
) -> None:
    """Alone, or inside a call's own (longer) deadline, the pool bound ends the wait and
    names itself; a waiting call that gets its connection in time goes on."""
    from mastra_storage_postgres import PostgresStore

    store = PostgresStore(
        pg_session_url,
        schema_name=f"poolwait_{uuid.uuid4().hex[:8]}",
        min_size=0,
        max_size=1,
        pool_timeout=POOL_TIMEOUT_S,
        operation_timeout=operation_timeout,
    )
    try:
        await store.init()
        memory = await store.require_store("memory")
        pool = await store.get_pool()
        held = await pool.acquire()
        started = time.monotonic()
        with pytest.raises(UnavailableError, match="acquire a pooled connection"):
            await memory.get_thread_by_id("t1")
        waited = time.monotonic() - started
        assert POOL_TIMEOUT_S * 0.8 < waited < POOL_TIMEOUT_S + SLACK_S, waited
        waiting = asyncio.ensure_future(memory.get_thread_by_id("t1"))
        await asyncio.sleep(POOL_TIMEOUT_S / 3)
        await pool.release(held)
        assert await waiting is None
        assert pool.get_idle_size() == 1  # the slot went back after each wait
        assert await memory.get_thread_by_id("t1") is None
    finally:
        await store.close()


async def test_redis_pool_wait_is_bounded() -> None:
    pytest.importorskip("redis")
    from mastra_storage_upstash import UpstashStore

    try:
        url = await asyncio.to_thread(redis_url)
    except ServerUnavailable as exc:
        pytest.skip(str(exc))
    async with redis_key_prefix(url) as prefix:
        store = UpstashStore(
            url,
            prefix=prefix,
            max_connections=1,
            pool_timeout_s=POOL_TIMEOUT_S,
            operation_timeout=None,
        )
        try:
            await store.init()
            memory = await store.require_store("memory")
            held = await store.client.connection_pool.get_connection()
            started = time.monotonic()
            with pytest.raises(UnavailableError):
                await memory.get_thread_by_id("t1")
            waited = time.monotonic() - started
            assert POOL_TIMEOUT_S * 0.8 < waited < POOL_TIMEOUT_S + SLACK_S, waited
            await store.client.connection_pool.release(held)
            assert await memory.get_thread_by_id("t1") is None
        finally:
            await store.close()
