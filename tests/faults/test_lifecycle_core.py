"""The core's promises (``mastra_storage.lifecycle``) with a driver that misbehaves on purpose.

A fake store whose domain method ignores cancellation (as asyncpg's pool release did while
waiting for a stalled server's cancel acknowledgement) and whose ``close()`` never ends:
the caller must still be answered at the deadline, a cancelling caller at once, and
``close()`` within ``close_timeout``.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from mastra_storage.composite import MastraStorage
from mastra_storage.errors import ConfigurationError, StoreClosedError, UnavailableError
from mastra_storage.lifecycle import check_timeout

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class StubbornDomain:
    """A domain whose calls take ``seconds`` and shrug off the first cancellation."""

    def __init__(self) -> None:
        self.finished = 0
        self.inner_calls = 0

    async def init(self) -> None:
        return None

    async def dangerously_clear_all(self) -> None:
        return None

    async def slow(self, seconds: float) -> str:
        deadline = time.monotonic() + seconds
        ignored = False
        while time.monotonic() < deadline:
            try:
                await asyncio.sleep(deadline - time.monotonic())
            except asyncio.CancelledError:
                if ignored:
                    raise  # (the test loop's teardown)
                ignored = True  # a driver that does not let go
        self.finished += 1
        return "done"

    async def nested(self) -> str:
        self.inner_calls += 1
        return await self.slow(0.01)


class StubbornStore(MastraStorage):
    name = "StubbornStore"

    def __init__(self, *, close_seconds: float = 0.0, **options: Any) -> None:
        super().__init__(id="stubborn")
        for key, value in options.items():
            setattr(self, key, value)
        self.close_seconds = close_seconds
        self.abandoned = 0
        self.abandoned_calls = 0
        self.domain = StubbornDomain()
        self.stores = {"memory": self.domain}  # type: ignore[dict-item]

    async def close(self) -> None:
        await self.domain.slow(self.close_seconds)

    def _abandon_connections(self) -> None:
        self.abandoned += 1

    def _on_call_abandoned(self) -> None:
        self.abandoned_calls += 1


async def test_deadline_answers_even_if_the_driver_ignores_cancellation() -> None:
    store = StubbornStore(operation_timeout=0.2)
    domain: Any = store.stores["memory"]
    started = time.monotonic()
    with pytest.raises(UnavailableError, match=r"no answer within 0\.2 s") as info:
        await domain.slow(3.0)
    assert time.monotonic() - started < 2.0
    assert info.value.id == "MASTRA_STORAGE_STUBBORN_STORE_SLOW_TIMEOUT"
    assert store.abandoned_calls == 1
    assert await domain.slow(0.01) == "done"  # the store still works


async def test_cancelling_caller_is_answered_at_once() -> None:
    store = StubbornStore(operation_timeout=30.0)
    domain: Any = store.stores["memory"]
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(domain.slow(3.0), 0.2)
    assert time.monotonic() - started < 2.0


async def test_nested_calls_share_the_outer_deadline() -> None:
    store = StubbornStore(operation_timeout=5.0)
    domain: Any = store.stores["memory"]
    assert await domain.nested() == "done"
    assert domain.inner_calls == 1


async def test_close_is_bounded_and_drops_connections() -> None:
    store = StubbornStore(close_seconds=3.0, close_timeout=0.2)
    started = time.monotonic()
    await store.close()
    assert time.monotonic() - started < 2.0
    assert store.abandoned == 1 and store.closed
    await store.close()  # idempotent: nothing more to wait for
    assert store.abandoned == 1
    with pytest.raises(StoreClosedError):
        await store.stores["memory"].slow(0.01)  # type: ignore[attr-defined]


async def test_composite_close_closes_the_default_and_refuses_calls() -> None:
    inner = StubbornStore()
    composite = MastraStorage(default=inner)
    domain: Any = await composite.get_store("memory")
    await composite.close()
    assert composite.closed and inner.closed
    with pytest.raises(StoreClosedError):
        await composite.get_store("memory")
    with pytest.raises(StoreClosedError):
        await domain.slow(0.01)


class SlowInitStore(StubbornStore):
    async def _initialize(self) -> None:
        await asyncio.sleep(0.5)


async def test_init_and_get_store_use_init_timeout() -> None:
    """Schema work (``init``, and ``get_store``, which may run it) has its own bound."""
    store = SlowInitStore(operation_timeout=0.1, init_timeout=5.0)
    assert await store.get_store("memory") is not None
    slow = SlowInitStore(operation_timeout=5.0, init_timeout=0.1)
    with pytest.raises(UnavailableError, match="init_timeout"):
        await slow.init()


@pytest.mark.parametrize("value", [0, -1, float("inf"), float("nan"), True, "5"])
def test_timeouts_are_validated(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="operation_timeout"):
        check_timeout("Store", "operation_timeout", value)
    assert check_timeout("Store", "operation_timeout", None) is None
    assert check_timeout("Store", "operation_timeout", 2) == 2.0
