"""What backends share for concurrency: one per-key lock and one retry policy.

:class:`KeyedLocks` serialises writers of one key inside a process (a thread's key, a
resource's key, a Redis key) so that optimistic writers queue instead of colliding; it
never replaces the backend's own atomicity across processes (transactions, conditional
writes, ``WATCH``). Locks are dropped as soon as nobody holds or waits for them.

:class:`RetryPolicy` is the one way a backend retries an optimistic write that lost a race
(a serialization failure, a transaction conflict, a failed condition): a bounded number of
attempts with jittered exponential backoff. Each adapter declares its budget as a
``RetryPolicy`` constant next to the code that retries, and ``docs/writing-a-backend.md``
lists them.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager

import anyio
import msgspec


class KeyedLocks:
    """Reference-counted in-process locks per key; unused locks are dropped at once."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        """Hold the lock of ``key`` for the ``async with`` block."""
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = anyio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            current, count = self._locks[key]
            if count <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (current, count - 1)

    @asynccontextmanager
    async def hold_many(self, keys: Iterable[str]) -> AsyncIterator[None]:
        """Hold the locks of every key (taken in sorted order, so two holders of
        overlapping sets cannot deadlock)."""
        async with AsyncExitStack() as stack:
            for key in sorted(set(keys)):
                await stack.enter_async_context(self.hold(key))
            yield

    def __len__(self) -> int:
        return len(self._locks)


class RetryPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """How often and how patiently a backend retries an optimistic write that lost a race.

    ``attempts`` bounds the tries (the first included); between tries the backend waits
    :meth:`delay` seconds: a random pause between ``floor * d`` and ``d``, where
    ``d = min(cap_s, base_s * 2**attempt)``. ``floor=0`` is full jitter (spreads writers
    most); a floor such as ``0.5`` keeps a minimum pause, for a backend where an immediate
    retry tends to meet the same writer again.
    """

    attempts: int
    base_s: float = 0.002
    cap_s: float = 0.2
    floor: float = 0.0

    def delay(self, attempt: int) -> float:
        """The pause after failed try number ``attempt`` (0-based), in seconds."""
        ceiling = min(self.cap_s, self.base_s * 2 ** min(attempt, 30))
        return random.uniform(self.floor * ceiling, ceiling)

    async def pause(self, attempt: int) -> None:
        """Sleep :meth:`delay` seconds (no-op for a zero delay); logs the retry at ``INFO``
        on the ``mastra_storage`` logger (no record contents)."""
        seconds = self.delay(attempt)
        import logging  # imported by asyncio already; not at ``import mastra_storage``

        logger = logging.getLogger("mastra_storage")
        if logger.isEnabledFor(logging.INFO):
            logger.info(
                "write lost a race; retrying (try %d of %d) after %.1f ms",
                attempt + 2,
                self.attempts,
                seconds * 1000,
            )
        if seconds > 0:
            await anyio.sleep(seconds)

    def tries(self) -> range:
        """``range(attempts)``, for ``for attempt in policy.tries():`` loops."""
        return range(self.attempts)


__all__ = ["KeyedLocks", "RetryPolicy"]
