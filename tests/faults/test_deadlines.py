"""``mastra_storage.deadlines``: deadlines of one length on one shared timer, as an ``async
with`` block that behaves like ``asyncio.timeout`` (the PostgreSQL pool wait uses it)."""

from __future__ import annotations

import asyncio
import sys
import time

import pytest

from mastra_storage.deadlines import SharedDeadlines

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.skipif(sys.version_info < (3, 11), reason="Task.uncancel needs 3.11"),
]


async def test_the_deadline_raises_timeout_error_and_takes_its_cancellation_back() -> None:
    deadlines = SharedDeadlines()
    started = time.monotonic()
    scope = deadlines.scope(0.1)
    with pytest.raises(TimeoutError):
        async with scope:
            await asyncio.sleep(3)
    assert scope.expired()
    assert 0.08 < time.monotonic() - started < 1.0
    task = asyncio.current_task()
    assert task is not None and task.cancelling() == 0
    async with deadlines.scope(0.1):  # the same queue serves the next block
        await asyncio.sleep(0)


async def test_a_cancellation_from_elsewhere_stays_a_cancellation() -> None:
    deadlines = SharedDeadlines()

    async def waits() -> None:
        async with deadlines.scope(30):
            await asyncio.sleep(3)

    task = asyncio.ensure_future(waits())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_an_inner_timeout_is_the_inner_blocks_own() -> None:
    deadlines = SharedDeadlines()
    async with deadlines.scope(30):
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.05):
                await asyncio.sleep(3)
        await asyncio.sleep(0)  # still inside ours, not cancelled


async def test_another_length_while_one_runs_falls_back_and_both_expire() -> None:
    deadlines = SharedDeadlines()
    outcomes: list[tuple[str, float]] = []
    started = time.monotonic()

    async def bounded(name: str, seconds: float) -> None:
        try:
            async with deadlines.scope(seconds):
                await asyncio.sleep(3)
        except TimeoutError:
            outcomes.append((name, time.monotonic() - started))

    long_block = asyncio.ensure_future(bounded("long", 0.4))
    await asyncio.sleep(0.01)
    assert type(deadlines.scope(0.1)).__name__ == "Timeout"  # asyncio.timeout's, not ours
    await asyncio.gather(bounded("short", 0.1), long_block)
    assert [name for name, _ in outcomes] == ["short", "long"]
    assert outcomes[0][1] < 0.35 < outcomes[1][1] < 1.5
