"""What every storage domain has in common."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class StorageDomain(Protocol):
    """A storage domain (memory, workflows, scores, observability, ...).

    ``init`` creates or upgrades what the domain needs and must be idempotent;
    ``dangerously_clear_all`` deletes every record the domain owns (meant for tests).
    """

    async def init(self) -> None:
        """Create or upgrade the tables, indexes or keys the domain needs. Idempotent.

        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        :raises SchemaMismatchError: a verify-only store whose schema is not ready.
        """
        ...

    async def dangerously_clear_all(self) -> None:
        """Delete every record the domain owns (meant for tests; no undo)."""
        ...


__all__ = ["StorageDomain"]
