"""In-process locks per Redis key, so writers in one process queue instead of colliding.

Optimistic transactions retry when a watched key changes. Many coroutines appending to one
thread all watch (and bump) the same thread key, so without coordination all but one of
them fail each round and retry (measured: of 200 concurrent appends, 124 gave up after 50
attempts, in 36 s; with these locks: none, 0.55 s). Taking
a lock per watched key first makes them run one after another inside the process (one
attempt each); ``WATCH`` still guards against other processes (e.g. a Mastra app), with
jittered backoff between retries.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager


class KeyLocks:
    """Reference-counted ``asyncio.Lock`` per key; unused locks are dropped at once."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def _one(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @asynccontextmanager
    async def hold(self, keys: list[str]) -> AsyncIterator[None]:
        """Hold the locks of ``keys`` (taken in sorted order: no deadlock between holders)."""
        async with AsyncExitStack() as stack:
            for key in sorted(set(keys)):
                await stack.enter_async_context(self._one(key))
            yield

    def __len__(self) -> int:
        return len(self._locks)


__all__ = ["KeyLocks"]
