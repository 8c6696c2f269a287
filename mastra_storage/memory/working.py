"""Working memory: read, write and read-modify-write without lost updates.

Where it lives is Mastra's layout, so both runtimes see the same value: resource scope in
``mastra_resources.workingMemory``, thread scope in ``thread.metadata["workingMemory"]``.

Mastra guards updates with an in-process mutex only, so two server processes still lose
each other's edits (Mastra #24756). The memory domain has no version column; every memory
backend does have atomic read-modify-write methods
(:meth:`~mastra_storage.backend.MemoryBackend.modify_resource` /
:meth:`~mastra_storage.backend.MemoryBackend.modify_thread`: the backend reads and writes
inside one transaction and calls a pure function in between). On top of
them this module implements **compare-and-set on the value itself**: the write succeeds
only if the stored working memory still equals what the caller read, otherwise it raises
:class:`StaleWorkingMemory` and nothing is written. ``modify`` loops read -> compute (may
await an LLM) -> compare-and-set until it wins. Comparing values rather than a counter is
enough here: if the text is unchanged, a merge computed from it is still correct.
Per-key locks (:class:`~mastra_storage.memory.locks.KeyedLocks`) avoid pointless retries
between tasks of the same process.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Awaitable, Callable
from typing import Any

import anyio

from ..backend.memory import MemoryBackend
from ..domains.memory import MemoryStore
from ..errors import ConflictError, NotFoundError, NotSupportedError, ValidationError
from ..records import Resource, Thread
from ..timeutil import utc_now
from .locks import KeyedLocks
from .options import WorkingMemoryOptions
from .ownership import check_thread

WORKING_MEMORY_KEY = "workingMemory"
MAX_ATTEMPTS = 32
BACKOFF_BASE_S = 0.002
BACKOFF_CAP_S = 0.1

WorkingMemoryUpdate = Callable[[str | None], "str | Awaitable[str]"]


class StaleWorkingMemory(ConflictError):
    """The stored working memory changed since it was read; nothing was written."""


def atomic_backend(store: object) -> MemoryBackend | None:
    """The backend of a core :class:`~mastra_storage.domains.memory.MemoryStore`, whose
    ``modify_*`` methods are atomic; ``None`` for a custom memory domain (a user-composed
    store with only the public domain API), which gets the non-atomic fallbacks."""
    return store.backend if isinstance(store, MemoryStore) else None


def scope_key(options: WorkingMemoryOptions, thread_id: str, resource_id: str | None) -> str:
    """Mastra's mutex key, after checking the scope has the id it needs."""
    if options.scope == "resource":
        if not resource_id:
            raise ValidationError(
                "Memory error: Resource-scoped working memory is enabled but no resourceId "
                "was provided. Either provide a resourceId or explicitly set "
                "workingMemory.scope to 'thread'.",
                id="MASTRA_MEMORY_WORKING_MEMORY_MISSING_RESOURCE_ID",
            )
        return f"resource-{resource_id}"
    if not isinstance(thread_id, str) or not thread_id.strip():
        raise ValidationError(
            "thread_id must be a non-empty string", id="MASTRA_MEMORY_INVALID_ARGS"
        )
    return f"thread-{thread_id}"


def _thread_value(thread: Thread) -> str | None:
    value = (thread.metadata or {}).get(WORKING_MEMORY_KEY)
    return value if isinstance(value, str) else None


def _thread_missing(thread_id: str) -> NotFoundError:
    return NotFoundError(
        f"Thread {thread_id} not found",
        id="MASTRA_MEMORY_THREAD_NOT_FOUND",
        details={"thread_id": thread_id},
    )


class WorkingMemory:
    """Working-memory operations of one :class:`~mastra_storage.memory.Memory`."""

    def __init__(self, store: MemoryStore, locks: KeyedLocks) -> None:
        self._store = store
        self._locks = locks

    async def get(
        self, options: WorkingMemoryOptions, thread_id: str, resource_id: str | None
    ) -> str | None:
        """The stored text, ``None`` when unset or disabled (one storage call)."""
        if not options.enabled:
            return None
        scope_key(options, thread_id, resource_id)
        if options.scope == "resource":
            assert resource_id is not None
            resource = await self._store.get_resource_by_id(resource_id)
            return resource.working_memory if resource is not None else None
        thread = await self._store.get_thread_by_id(thread_id)
        check_thread(thread, resource_id)  # thread scope: never another resource's thread
        return _thread_value(thread) if thread is not None else None

    async def set(
        self,
        options: WorkingMemoryOptions,
        thread_id: str,
        resource_id: str | None,
        text: str,
        *,
        expected: Any = ...,
        expected_version: str | None = None,
    ) -> str:
        """Write ``text``; with ``expected`` (a str or ``None``), only if the stored value
        still equals it (else :class:`StaleWorkingMemory`); with ``expected_version``
        (resource scope), only if the resource is at that version (the check is the
        store's ``update_resource(expected_version=...)``)."""
        _require_enabled(options)
        if not isinstance(text, str):
            raise ValidationError(
                "working memory must be a string", id="MASTRA_MEMORY_INVALID_WORKING_MEMORY"
            )
        key = scope_key(options, thread_id, resource_id)
        if expected_version is not None:
            if options.scope != "resource" or expected is not ...:
                raise ValidationError(
                    "expected_version needs resource-scoped working memory and no "
                    "expected value (thread scope: use expected=)",
                    id="MASTRA_MEMORY_INVALID_ARGS",
                )
            assert resource_id is not None
            async with self._locks.hold(key):
                await self._store.update_resource(
                    resource_id, working_memory=text, expected_version=expected_version
                )
            return text
        async with self._locks.hold(key):
            await self._write(options, thread_id, resource_id, text, expected)
        return text

    async def modify(
        self,
        options: WorkingMemoryOptions,
        thread_id: str,
        resource_id: str | None,
        update: WorkingMemoryUpdate,
        *,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> str:
        """Read, compute ``update(current)`` (sync or async), compare-and-set; retry on
        a concurrent change (another task or another process) after a jittered backoff.
        Returns the stored text; :class:`ConflictError` after ``max_attempts`` losses."""
        _require_enabled(options)
        key = scope_key(options, thread_id, resource_id)
        async with self._locks.hold(key):
            for attempt in range(max_attempts):
                if attempt:
                    # Full jitter, so two writers that keep colliding drift apart.
                    cap = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt)
                    await anyio.sleep(random.uniform(0, cap))
                current = await self.get(options, thread_id, resource_id)
                result = update(current)
                new = await result if inspect.isawaitable(result) else result
                if not isinstance(new, str):
                    raise ValidationError(
                        "working memory update must return a string",
                        id="MASTRA_MEMORY_INVALID_WORKING_MEMORY",
                    )
                try:
                    await self._write(options, thread_id, resource_id, new, current)
                except StaleWorkingMemory:
                    continue
                return new
        raise ConflictError(
            f"working memory for {key} kept changing; gave up after {max_attempts} attempts",
            id="MASTRA_MEMORY_WORKING_MEMORY_CONTENDED",
            details={"attempts": max_attempts},
        )

    async def _write(
        self,
        options: WorkingMemoryOptions,
        thread_id: str,
        resource_id: str | None,
        text: str,
        expected: Any,
    ) -> None:
        check = expected is not ...
        backend = atomic_backend(self._store)
        if check and backend is None:
            raise NotSupportedError(
                f"{type(self._store).__name__} is not a core MemoryStore; compare-and-set "
                "working memory needs a backend's atomic read-modify-write",
                id="MASTRA_MEMORY_CAS_NOT_SUPPORTED",
            )
        now = utc_now()
        if options.scope == "resource":
            assert resource_id is not None
            if not check:
                await self._store.update_resource(resource_id, working_memory=text)
                return
            assert backend is not None

            def mutate_resource(existing: Resource | None) -> Resource:
                stored = existing.working_memory if existing is not None else None
                if stored != expected:
                    raise StaleWorkingMemory(
                        "working memory changed concurrently",
                        id="MASTRA_MEMORY_WORKING_MEMORY_STALE",
                    )
                if existing is None:
                    return Resource(
                        id=resource_id,
                        working_memory=text,
                        metadata={},
                        created_at=now,
                        updated_at=now,
                    )
                return existing.replace(
                    working_memory=text, updated_at=max(now, existing.updated_at)
                )

            await backend.modify_resource(resource_id, mutate_resource)
            return

        if backend is None:
            # No atomic read-modify-write: check, then update_thread (merges; NotFoundError
            # if missing).
            check_thread(await self._store.get_thread_by_id(thread_id), resource_id)
            await self._store.update_thread(thread_id, metadata={WORKING_MEMORY_KEY: text})
            return

        def mutate_thread(existing: Thread) -> Thread:
            # The ownership check runs inside the backend's read-modify-write: atomic with it.
            check_thread(existing, resource_id)
            if check and _thread_value(existing) != expected:
                raise StaleWorkingMemory(
                    "working memory changed concurrently",
                    id="MASTRA_MEMORY_WORKING_MEMORY_STALE",
                )
            metadata = {**(existing.metadata or {}), WORKING_MEMORY_KEY: text}
            return existing.replace(metadata=metadata, updated_at=max(now, existing.updated_at))

        if await backend.modify_thread(thread_id, mutate_thread) is None:
            raise _thread_missing(thread_id)


def _require_enabled(options: WorkingMemoryOptions) -> None:
    if not options.enabled:
        raise NotSupportedError(
            "Working memory is not enabled for this memory instance",
            id="MASTRA_MEMORY_WORKING_MEMORY_DISABLED",
        )


__all__ = [
    "WORKING_MEMORY_KEY",
    "StaleWorkingMemory",
    "WorkingMemory",
    "WorkingMemoryUpdate",
    "atomic_backend",
    "scope_key",
]
