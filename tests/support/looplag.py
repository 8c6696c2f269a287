"""Event-loop lag measurement: does code under test keep the asyncio loop free?

A store that promises "async" must never make the event loop wait: not on a lock held by
another process, not on a long query, not on a driver that keeps the GIL while it works.
:class:`LoopLag` checks that from the outside. While it is active, a ticker task sleeps
``interval`` (1 ms by default) over and over and records how much later than asked each
sleep ended. A loop that stays free wakes the ticker within a millisecond or two; a loop
frozen for 2 s shows one 2 s sample.

Usage::

    async with LoopLag() as lag:
        await store.do_something()
    assert lag.max < 0.1, lag.summary()

While active it also freezes the garbage collector's view of every object that existed
before (``gc.freeze``), so a full collection inside the window walks only the objects made
inside it. Why: late in a long test run the process holds millions of objects from earlier
tests, and one full collection of them froze the loop for over half a second, which says
nothing about the code under test (whose own garbage is still collected as usual).

Only the standard library is used, so third-party adapters can reuse it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import time
from types import TracebackType


class LoopLag:
    """An async context manager that measures the event loop's lag while it is active.

    ``samples`` holds, per tick, how many seconds later than ``interval`` the ticker woke;
    :attr:`max` and :meth:`percentile` summarise them. Entering starts the ticker (and
    yields once so it has started before the code under test runs); leaving stops it.
    """

    def __init__(self, interval: float = 0.001) -> None:
        if not interval > 0:
            raise ValueError("interval must be > 0")
        self.interval = interval
        self.samples: list[float] = []
        self._task: asyncio.Task[None] | None = None
        self._started = 0.0
        self.elapsed = 0.0

    async def _tick(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, time.perf_counter() - before - self.interval))

    async def __aenter__(self) -> LoopLag:
        gc.freeze()  # earlier objects: not the code under test's (module docstring)
        self._started = time.perf_counter()
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(self.interval)  # let the ticker take its first sample
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        task, self._task = self._task, None
        try:
            if task is not None:
                # One more tick, so a freeze at the very end of the block is sampled too.
                await asyncio.sleep(self.interval)
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self.elapsed = time.perf_counter() - self._started
        finally:
            gc.unfreeze()

    @property
    def max(self) -> float:
        """The longest lag seen, in seconds (0 without samples)."""
        return max(self.samples, default=0.0)

    def percentile(self, fraction: float) -> float:
        """The lag below which ``fraction`` (0..1) of the samples lie, in seconds."""
        if not self.samples:
            return 0.0
        ordered = sorted(self.samples)
        index = min(len(ordered) - 1, int(fraction * len(ordered)))
        return ordered[index]

    def summary(self) -> str:
        """One line for assertion messages and reports: ticks, max and p99 in ms."""
        return (
            f"{len(self.samples)} ticks over {self.elapsed * 1000:.0f} ms: "
            f"max lag {self.max * 1000:.1f} ms, p99 {self.percentile(0.99) * 1000:.1f} ms"
        )


__all__ = ["LoopLag"]
