"""Per-key async locks for ``Memory``: the shared ``backend.concurrency.KeyedLocks``.

Working-memory updates and thread deletion serialise per key (``resource-<id>``,
``thread-<id>``) inside one process, as Mastra's mutex does. Cross-process safety comes from
the storage layer's atomic compare-and-set (:mod:`mastra_storage.memory.working`), not from
these locks.
"""

from __future__ import annotations

from ..backend.concurrency import KeyedLocks

__all__ = ["KeyedLocks"]
