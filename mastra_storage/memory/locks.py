"""Per-key async locks that do not grow without bound.

Working-memory updates and thread deletion serialise per key (``resource-<id>``,
``thread-<id>``) inside one process, as Mastra's mutex does; a lock is dropped as soon as
nobody holds or waits for it. Cross-process safety comes from the storage layer's atomic
compare-and-set (:mod:`mastra_storage.memory.working`), not from these locks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio


class KeyedLocks:
    def __init__(self) -> None:
        self._locks: dict[str, tuple[anyio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
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

    def __len__(self) -> int:
        return len(self._locks)


__all__ = ["KeyedLocks"]
