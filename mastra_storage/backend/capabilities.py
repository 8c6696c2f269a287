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
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
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


#: Every capability protocol, by the name the docs and the conformance suite use.
CAPABILITIES: dict[str, type[Any]] = {
    "resource_messages": SupportsResourceMessages,
    "resource_scan": SupportsResourceScan,
    "resource_delete": SupportsResourceDelete,
    "score_scan": SupportsScoreScan,
}


def has_capability(backend: object, capability: type[Any]) -> bool:
    """Whether ``backend`` implements the capability protocol ``capability``."""
    return isinstance(backend, capability)


__all__ = [
    "CAPABILITIES",
    "SupportsResourceDelete",
    "SupportsResourceMessages",
    "SupportsResourceScan",
    "SupportsScoreScan",
    "has_capability",
]
