"""Fixtures for the Upstash/Redis adapter tests: a real Redis server, one key prefix per test.

The server comes from :func:`tests.support.servers.redis_url` (``MASTRA_TEST_REDIS_URL``,
127.0.0.1:6379, or an ephemeral ``redis-server``); without one the tests skip with a reason,
or fail when ``MASTRA_TEST_REQUIRE`` names ``redis``. Every store gets its own key prefix,
and the prefix's keys are deleted afterwards, so parallel test runs never see each other.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from mastra_storage_upstash import UpstashStore
from tests.support.servers import (
    ServerUnavailable,
    redis_key_prefix,
    redis_url,
    skip_or_fail,
)

try:
    import redis  # noqa: F401

    DRIVER_MISSING = ""
except ImportError as exc:  # pragma: no cover - depends on the environment
    DRIVER_MISSING = f"redis-py is not installed (pip install -e '.[upstash]'): {exc}"


@pytest.fixture(autouse=True)
def _require_driver() -> None:
    if DRIVER_MISSING:
        skip_or_fail("redis", DRIVER_MISSING)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def redis_server_url() -> str:
    try:
        return redis_url()
    except ServerUnavailable as exc:
        skip_or_fail("redis", f"no Redis server: {exc}")


@pytest.fixture
async def prefix(redis_server_url: str) -> AsyncIterator[str]:
    async with redis_key_prefix(redis_server_url) as value:
        yield value


@pytest.fixture
async def store(redis_server_url: str, prefix: str) -> AsyncIterator[UpstashStore]:
    s = UpstashStore(redis_server_url, prefix=prefix)
    await s.init()
    try:
        yield s
    finally:
        await s.close()


def run(coro: Any) -> Any:
    return asyncio.run(coro)
