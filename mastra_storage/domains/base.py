"""What every storage domain has in common."""

from __future__ import annotations

from typing import Generic, Protocol, TypeVar, runtime_checkable


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


B = TypeVar("B")
SB = TypeVar("SB", bound=StorageDomain)


class BackendView(Generic[B]):
    """A core object over one backend: holds it as ``backend`` and shows it in ``repr``."""

    def __init__(self, backend: B) -> None:
        self.backend = backend

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.backend!r})"


class DomainStore(BackendView[SB]):
    """The base of the core's domain stores: ``init`` and ``dangerously_clear_all`` go to
    the backend as they are; the subclass adds the domain's validated public API."""

    async def init(self) -> None:
        """Create or upgrade what the backend needs for this domain (tables, indexes,
        keys). Idempotent.

        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        :raises SchemaMismatchError: a verify-only store whose schema is not ready.
        """
        await self.backend.init()

    async def dangerously_clear_all(self) -> None:
        """Delete every record of this domain (meant for tests; no undo)."""
        await self.backend.dangerously_clear_all()


__all__ = ["BackendView", "DomainStore", "StorageDomain"]
