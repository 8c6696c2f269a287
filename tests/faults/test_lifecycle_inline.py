"""The deadline of a ``cancels_promptly`` store: kept in the caller's task by
``asyncio.timeout`` instead of a task per call (``mastra_storage.lifecycle``).

Such an adapter promises to let go at once when cancelled; these tests hold the core to its
side: the same answers at the same times as the task path (``test_lifecycle_deadline``) for
drivers that keep that promise, no task per call, and the caller's task left as it was."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import pytest

from mastra_storage.errors import UnavailableError

from .test_lifecycle_deadline import Driver, DriverStore

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout needs 3.11"),
]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class PromptDriver(Driver):
    """A driver that keeps the promise: it lets go as soon as it is cancelled."""

    def __init__(self) -> None:
        super().__init__()
        self.tasks: list[asyncio.Task[Any] | None] = []

    async def sleep(self, seconds: float) -> str:
        self.tasks.append(asyncio.current_task())
        await asyncio.sleep(seconds)
        return "slept"

    async def converts_cancellation(self, seconds: float) -> str:
        try:
            await asyncio.sleep(seconds)
        except asyncio.CancelledError:
            raise UnavailableError("the driver's own words", id="DRIVER_GAVE_UP") from None
        return "slept"

    async def raises_timeout(self) -> None:
        raise TimeoutError("the driver's own timeout")

    async def nested(self, store: DriverStore, seconds: float) -> str:
        # A domain method calling another of the same store: one deadline, the outer one.
        domain = store.stores["memory"]
        return str(await domain.sleep(seconds))


class PromptStore(DriverStore):
    cancels_promptly = True

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.stores = {"memory": PromptDriver()}  # type: ignore[dict-item]


def _domain(store: PromptStore) -> Any:
    return store.stores["memory"]


async def test_the_call_runs_in_the_callers_task() -> None:
    store = PromptStore(operation_timeout=30.0)
    domain = _domain(store)
    assert await domain.sleep(0) == "slept"
    assert domain.tasks == [asyncio.current_task()]
    await store.close()


async def test_the_deadline_answers_with_unavailable_error() -> None:
    store = PromptStore(operation_timeout=0.2)
    started = time.monotonic()
    with pytest.raises(UnavailableError, match=r"no answer within 0\.2 s \(operation_timeout\)"):
        await _domain(store).sleep(3.0)
    assert 0.15 < time.monotonic() - started < 1.5
    assert store.abandoned_calls == 1 and not store.lifecycle.stragglers
    current = asyncio.current_task()
    assert current is not None and current.cancelling() == 0  # the caller is not left cancelled
    assert await _domain(store).sleep(0) == "slept"  # and the store goes on working
    await store.close()


async def test_a_cancelling_caller_is_answered_at_once() -> None:
    store = PromptStore(operation_timeout=30.0)
    started = time.monotonic()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(_domain(store).sleep(3.0), 0.2)
    assert time.monotonic() - started < 1.5
    assert store.abandoned_calls == 1
    await store.close()


async def test_a_drivers_own_timeout_is_its_business() -> None:
    store = PromptStore(operation_timeout=30.0)
    assert await _domain(store).own_timeout() == "handled"
    with pytest.raises(TimeoutError, match="the driver's own timeout"):
        await _domain(store).raises_timeout()
    assert store.abandoned_calls == 0
    await store.close()


async def test_a_driver_that_words_its_cancellation_keeps_its_words() -> None:
    store = PromptStore(operation_timeout=0.2)
    with pytest.raises(UnavailableError, match="the driver's own words"):
        await _domain(store).converts_cancellation(3.0)
    assert store.abandoned_calls == 1
    current = asyncio.current_task()
    assert current is not None and current.cancelling() == 0
    await store.close()


async def test_a_nested_call_runs_under_the_outer_deadline() -> None:
    store = PromptStore(operation_timeout=0.2)
    with pytest.raises(UnavailableError, match="nested"):
        await _domain(store).nested(store, 3.0)
    assert store.abandoned_calls == 1
    await store.close()


async def test_anyio_cancel_scopes_inside_a_call_are_the_calls_own() -> None:
    store = PromptStore(operation_timeout=30.0)
    assert await _domain(store).anyio_scopes() == "connected"
    assert store.abandoned_calls == 0
    await store.close()


async def test_each_call_keeps_its_own_timeout() -> None:
    store = PromptStore(operation_timeout=30.0)
    domain = _domain(store)
    long_call = asyncio.ensure_future(domain.sleep(0.6))
    await asyncio.sleep(0.01)
    store.operation_timeout = 0.1
    with pytest.raises(UnavailableError, match=r"0\.1 s"):
        await domain.sleep(3.0)
    assert await long_call == "slept"
    await store.close()


async def test_calls_share_one_timer(monkeypatch: pytest.MonkeyPatch) -> None:
    """No timer per call (``mastra_storage.deadlines``): 200 calls arm the store's timer once."""
    store = PromptStore(operation_timeout=30.0)
    domain = _domain(store)
    loop = asyncio.get_running_loop()
    armed: list[float] = []
    call_at = loop.call_at

    def counting_call_at(when: float, callback: Any, *args: Any, **kwargs: Any) -> Any:
        armed.append(when)
        return call_at(when, callback, *args, **kwargs)

    monkeypatch.setattr(loop, "call_at", counting_call_at)
    for _ in range(200):
        assert await domain.sleep(0) == "slept"
    assert len(armed) == 1  # asyncio.sleep(0) arms none; asyncio.timeout would arm 200
    queue = store.lifecycle._deadlines._queue
    assert queue is not None and queue.running == 0
    await store.close()


async def test_concurrent_calls_expire_in_their_own_time() -> None:
    """One timer, many deadlines: each call ends at its own deadline, not its neighbours'."""
    store = PromptStore(operation_timeout=0.3)
    domain = _domain(store)
    started = time.monotonic()

    async def call(delay: float, seconds: float) -> tuple[str, float]:
        await asyncio.sleep(delay)
        try:
            outcome = await domain.sleep(seconds)
        except UnavailableError:
            outcome = "timed out"
        return outcome, time.monotonic() - started

    results = await asyncio.gather(call(0, 3.0), call(0.1, 0.05), call(0.2, 3.0), call(0.25, 0))
    (first, t1), (quick, _), (third, t3), (instant, _) = results
    assert (first, quick, third, instant) == ("timed out", "slept", "timed out", "slept")
    assert 0.25 < t1 < 0.9 and 0.45 < t3 < 1.2 and t3 - t1 > 0.1
    assert store.abandoned_calls == 2
    await store.close()


async def test_finished_calls_behind_a_long_one_are_not_kept() -> None:
    """A call that runs long holds the front of the queue; the calls that finish behind it
    are compacted away instead of piling up until it ends."""
    store = PromptStore(operation_timeout=30.0)
    domain = _domain(store)
    long_call = asyncio.ensure_future(domain.sleep(0.5))
    await asyncio.sleep(0)
    for _ in range(2000):
        await domain.sleep(0)
    queue = store.lifecycle._deadlines._queue
    assert queue is not None and queue.running == 1
    assert len(queue._entries) < 600
    assert await long_call == "slept"
    assert queue.running == 0
    await store.close()


def test_a_store_used_from_a_second_loop_keeps_its_deadlines() -> None:
    """A store that binds no loop (libSQL) may be used by one ``asyncio.run`` after another:
    the second loop gets its own queue, and its deadlines still fire."""
    store = PromptStore(operation_timeout=0.2)

    async def quick() -> str:
        return str(await _domain(store).sleep(0))

    async def stalled() -> None:
        with pytest.raises(UnavailableError, match="operation_timeout"):
            await _domain(store).sleep(3.0)

    assert asyncio.run(quick()) == "slept"
    started = time.monotonic()
    asyncio.run(stalled())
    assert time.monotonic() - started < 1.5
    assert store.abandoned_calls == 1


def test_the_collector_leaves_earlier_tests_objects_alone_here() -> None:
    """The faults suite's timing bounds are not spent on a full collection of what earlier
    tests left (``conftest._collector_sees_only_this_test``)."""
    import gc

    assert gc.get_freeze_count() > 0
