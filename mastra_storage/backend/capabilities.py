"""Optional backend capabilities, one mechanism: small runtime-checkable protocols.

A backend has a capability when it implements the protocol's method; the core checks with
``isinstance(backend, SupportsX)`` (:func:`has_capability`) and nothing else: no flags, no
sentinel methods, no ``NotSupportedError`` raised from inside a required method. The
conformance suite derives its skips from the same checks, so a declaration cannot lie.

What the core does without a capability:

* :class:`SupportsResourceMessages` missing: ``list_messages_by_resource_id`` (and
  ``Memory`` recall with ``scope="resource"``) raises
  :class:`~mastra_storage.errors.NotSupportedError`.
* :class:`SupportsResourceScan` missing: copies and exports find resources only through
  their threads.
* :class:`SupportsResourceDelete` missing: retention deletes a resource's threads, messages
  and runs but leaves the resource record.
* :class:`SupportsScoreScan` missing: copies walk scores through the score query's keyset
  pages instead.
* :class:`SupportsObservationalMemory` missing: ``MemoryStore.observational_memory``
  raises :class:`~mastra_storage.errors.NotSupportedError`.
* :class:`SupportsMessageJSON` missing: ``MemoryStore.list_message_parts`` builds the
  page's records and copies their parts (same result, more CPU).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from ..om_records import ObservationalMemoryRecord, OMUpdate
    from ..records import Resource, Score
    from .memory import MessageQuery, MessageQueryResult


@runtime_checkable
class SupportsResourceMessages(Protocol):
    """Messages of one resource across its threads (``MessageQuery.thread_ids is None``)."""

    async def query_resource_messages(self, query: MessageQuery) -> MessageQueryResult:
        """Execute a resource-scoped :class:`~mastra_storage.backend.memory.MessageQuery`
        (every message of ``query.resource_id``) with the same paging and include contract
        as :meth:`~mastra_storage.backend.memory.MemoryBackend.query_messages`."""
        ...


@runtime_checkable
class SupportsResourceScan(Protocol):
    """Enumerate every resource record (for copy and export)."""

    async def scan_resources(
        self, position: str | None, limit: int
    ) -> tuple[list[Resource], str | None]:
        """Up to ``limit`` resources after the opaque ``position`` (``None``: from the
        start) and the next position (``None``: done). Positions are keys (the last id, a
        scan cursor), never offsets, so concurrent writes do not shift a page."""
        ...


@runtime_checkable
class SupportsResourceDelete(Protocol):
    """Delete a resource record (for retention)."""

    async def delete_resource(self, resource_id: str) -> None:
        """Delete the resource record atomically; a missing id is a no-op. Threads and
        messages are not touched (retention removes them through the domain first)."""
        ...


@runtime_checkable
class SupportsScoreScan(Protocol):
    """Enumerate every score in key order (for copy and export), cheaper than the query."""

    async def scan_scores(self, position: str | None, limit: int) -> tuple[list[Score], str | None]:
        """Up to ``limit`` scores after the opaque ``position`` and the next position
        (``None``: done); positions are keys, never offsets."""
        ...


@runtime_checkable
class SupportsMessageJSON(Protocol):
    """A plain message page as the stored content JSON, without building records."""

    async def query_message_json(self, query: MessageQuery) -> list[tuple[str, str, Any]]:
        """Execute the main set of ``query`` (thread-scoped, ``count`` false, no
        ``include``, ``limit`` not 0) with the paging contract of
        :meth:`~mastra_storage.backend.memory.MemoryBackend.query_messages` (up to
        ``limit + 1`` rows, in the query's order) and return ``(id, role, content)`` per
        message: ``content`` is the stored ``content`` column as read (JSON text as ``str``
        or ``bytes``, or what an older writer stored), never decoded. One read, no write."""
        ...


#: The pure function :meth:`SupportsObservationalMemory.modify_om_record` applies.
OMMutation = Callable[["ObservationalMemoryRecord"], "OMUpdate"]


@runtime_checkable
class SupportsObservationalMemory(Protocol):
    """Store observational memory records (``mastra_observational_memory``).

    Four atomic primitives; every OM rule (initialising, flags, token counters, buffering,
    activation, reflection generations) lives once in
    :class:`~mastra_storage.domains.observational_memory.ObservationalMemoryStore`.
    Records arrive validated. The memory backend's ``dangerously_clear_all`` also deletes
    every OM record.
    """

    async def insert_om_record(self, record: ObservationalMemoryRecord) -> None:
        """Insert ``record`` (its lookup key is ``record.lookup_key``). Raise
        :class:`~mastra_storage.errors.ConflictError`, writing nothing, when a record with
        this id exists."""
        ...

    async def list_om_records(
        self, lookup_key: str, limit: int | None
    ) -> list[ObservationalMemoryRecord]:
        """The generations of ``lookup_key`` newest first (``generation_count``
        descending, then ``created_at`` descending), at most ``limit`` (``None``: all);
        ``[]`` when there are none."""
        ...

    async def modify_om_record(
        self, record_id: str, mutate: OMMutation
    ) -> ObservationalMemoryRecord | None:
        """Atomically read the record with this id, apply ``mutate`` to it and write
        ``update.record`` back (all columns); when ``update.new_generation`` is set, insert
        it in the same atomic unit. Return the written record, or ``None`` (writing
        nothing) when no record has this id. ``mutate`` is pure and may run more than once
        (optimistic retries); an exception from it aborts the write and propagates. When it
        returns the very record it was given and no new generation, the backend may skip
        the write. Concurrent calls on one record must not lose each other's changes."""
        ...

    async def delete_om_records(self, lookup_key: str) -> None:
        """Delete every generation of ``lookup_key`` atomically; none is a no-op."""
        ...


#: Every capability protocol, by the name the docs and the conformance suite use.
CAPABILITIES: dict[str, type[Any]] = {
    "resource_messages": SupportsResourceMessages,
    "resource_scan": SupportsResourceScan,
    "resource_delete": SupportsResourceDelete,
    "score_scan": SupportsScoreScan,
    "observational_memory": SupportsObservationalMemory,
    "message_json": SupportsMessageJSON,
}


def has_capability(backend: object, capability: type[Any]) -> bool:
    """Whether ``backend`` implements the capability protocol ``capability``."""
    return isinstance(backend, capability)


__all__ = [
    "CAPABILITIES",
    "OMMutation",
    "SupportsMessageJSON",
    "SupportsObservationalMemory",
    "SupportsResourceDelete",
    "SupportsResourceMessages",
    "SupportsResourceScan",
    "SupportsScoreScan",
    "has_capability",
]
