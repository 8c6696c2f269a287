"""The deadline per call (``mastra_storage.lifecycle``) against drivers that misbehave.

Each call under ``operation_timeout`` runs as a task of its own, so its caller is answered at
the deadline (or at its own cancellation) however the driver waits: on a task (whose
cancellation is only a request), with a bare ``yield``, with a cleanup that outlives the
deadline, with a timeout of its own or anyio cancel scopes (httpx), or with a timeout
changed between calls.

An earlier version ran calls inline in the caller's task, moving an abandoned call to a task
of its own; every Upstash REST call (httpx, on anyio) then ended in ``CancelledError``,
so it was withdrawn (the task per call costs about 15 us).
"""

from __future__ import annotations

import asyncio
import contextvars
import sys
import time
import types
from collections.abc import Generator
from typing import Any

import pytest

from mastra_storage.composite import MastraStorage
from mastra_storage.errors import UnavailableError

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout needs 3.11"),
]

#: A value a driver sets inside a call: must not leak to the caller once it is abandoned.
DRIVER_VAR: contextvars.ContextVar[str] = contextvars.ContextVar("driver_var", default="unset")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Driver:
    """Domain methods standing in for a driver's ways of waiting."""

    def __init__(self) -> None:
        self.cleaned_up = 0

    async def init(self) -> None:
        return None

    async def dangerously_clear_all(self) -> None:
        return None

    async def quick(self, value: int) -> int:
        await asyncio.sleep(0)
        return value * 2

    async def wait_on_task(self, seconds: float) -> str:
        # ``await task``: cancelling the caller only asks the task to stop.
        inner = asyncio.ensure_future(self._stubborn_sleep(seconds))
        return await inner

    async def _stubborn_sleep(self, seconds: float) -> str:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            await asyncio.sleep(seconds)  # takes its time to let go
            raise
        return "slept"

    async def spin(self, seconds: float) -> str:
        # Bare ``yield`` only (``sleep(0)``): no future to cancel at the deadline.
        until = time.monotonic() + seconds
        while True:
            await asyncio.sleep(0)
            if time.monotonic() >= until:
                return "spun"

    async def slow_cleanup(self, seconds: float) -> str:
        DRIVER_VAR.set("inside")
        try:
            await asyncio.sleep(seconds)
        finally:
            await asyncio.sleep(0.3)  # a cleanup that waits (a pool release, a rollback)
            self.cleaned_up += 1
        return "done"

    async def bad_yield(self) -> None:
        await _yield_junk()

    async def anyio_scopes(self) -> str:
        # What httpx (over anyio) does to connect: a task group whose scope is cancelled
        # once the first attempt wins, and a timeout scope around a wait. anyio cancels the
        # host task until the scope exits, then takes the cancellation back.
        import anyio

        async with anyio.create_task_group() as group:
            group.start_soon(anyio.sleep_forever)
            await anyio.sleep(0.01)
            group.cancel_scope.cancel()
        with anyio.move_on_after(0.02):
            await anyio.sleep(5)
        await anyio.lowlevel.checkpoint()
        return "connected"

    async def own_timeout(self) -> str:
        # A driver's own timeout cancels the task it runs in and takes that back itself.
        try:
            async with asyncio.timeout(0.05):
                await asyncio.sleep(5)
        except TimeoutError:
            await asyncio.sleep(0.01)  # its handling may wait too
            return "handled"
        return "not reached"


@types.coroutine
def _yield_junk() -> Generator[Any, None, None]:
    yield 42  # not a future: asyncio answers with "bad yield", as for a plain await


class DriverStore(MastraStorage):
    name = "DriverStore"

    def __init__(self, **options: Any) -> None:
        super().__init__(id="driver")
        for key, value in options.items():
            setattr(self, key, value)
        self.abandoned_calls = 0
        self.stores = {"memory": Driver()}  # type: ignore[dict-item]

    def _on_call_abandoned(self) -> None:
        self.abandoned_calls += 1


def _domain(store: DriverStore) -> Any:
    return store.stores["memory"]


async def test_deadline_while_the_call_awaits_a_task() -> None:
    store = DriverStore(operation_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(UnavailableError, match="operation_timeout"):
        await _domain(store).wait_on_task(3.0)
    assert time.monotonic() - started < 1.5  # not the task's 3 s of letting go
    assert store.abandoned_calls == 1
    assert len(store.lifecycle.stragglers) == 1  # finishing in the background
    await store.close()


async def test_caller_cancelling_while_the_call_awaits_a_task() -> None:
    store = DriverStore(operation_timeout=30.0)
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(_domain(store).wait_on_task(3.0), 0.2)
    assert time.monotonic() - started < 1.5
    assert store.abandoned_calls == 1
    await store.close()


async def test_deadline_with_no_future_to_cancel() -> None:
    store = DriverStore(operation_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(UnavailableError):
        await _domain(store).spin(3.0)
    assert time.monotonic() - started < 1.5
    assert store.abandoned_calls == 1
    await store.close()


async def test_cleanup_outliving_the_deadline_finishes_in_the_background() -> None:
    store = DriverStore(operation_timeout=0.1)
    domain = _domain(store)
    started = time.monotonic()
    with pytest.raises(UnavailableError):
        await domain.slow_cleanup(5.0)
    assert time.monotonic() - started < 0.3 + 0.1  # answered before the 0.3 s cleanup
    assert domain.cleaned_up == 0
    assert DRIVER_VAR.get() == "unset"  # the call's context stays the call's
    (straggler,) = store.lifecycle.stragglers
    await asyncio.wait({straggler}, timeout=2.0)
    assert domain.cleaned_up == 1 and not store.lifecycle.stragglers
    # The store goes on working, in the caller's task again.
    assert await domain.quick(4) == 8


async def test_cancelled_caller_with_a_slow_cleanup_is_answered_at_once() -> None:
    store = DriverStore(operation_timeout=30.0)
    domain = _domain(store)
    task = asyncio.ensure_future(domain.slow_cleanup(5.0))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert time.monotonic() - started < 0.2
    assert store.abandoned_calls == 1
    await asyncio.sleep(0.5)
    assert domain.cleaned_up == 1


async def test_a_drivers_own_timeout_is_not_a_cancellation_of_the_call() -> None:
    store = DriverStore(operation_timeout=30.0)
    assert await _domain(store).own_timeout() == "handled"
    assert store.abandoned_calls == 0
    current = asyncio.current_task()
    assert current is not None and current.cancelling() == 0


async def test_each_timeout_keeps_its_own_deadline() -> None:
    """A call under a shorter timeout expires on time while a longer one is pending."""
    store = DriverStore(operation_timeout=30.0)
    domain = _domain(store)
    long_call = asyncio.ensure_future(domain.spin(1.0))
    await asyncio.sleep(0.01)
    store.operation_timeout = 0.1
    started = time.monotonic()
    with pytest.raises(UnavailableError, match=r"0\.1 s"):
        await domain.wait_on_task(3.0)
    assert time.monotonic() - started < 0.8
    assert await long_call == "spun"  # its 30 s deadline is not touched


async def test_a_bad_yield_fails_as_it_would_when_awaited() -> None:
    store = DriverStore(operation_timeout=0.2)
    with pytest.raises(RuntimeError, match="bad yield"):
        await _domain(store).bad_yield()
    await asyncio.sleep(0.3)  # the deadline passes with nothing left to cancel
    assert await _domain(store).quick(1) == 2


async def test_anyio_cancel_scopes_inside_a_call_are_the_calls_own() -> None:
    """httpx (the Upstash REST transport) runs on anyio, whose cancel scopes cancel the
    task they run in; inside a call they are the driver's business, not the caller's
    cancellation (the call must return, nothing abandoned)."""
    store = DriverStore(operation_timeout=30.0)
    assert await _domain(store).anyio_scopes() == "connected"
    assert store.abandoned_calls == 0
    await store.close()
