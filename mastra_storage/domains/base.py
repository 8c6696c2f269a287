"""What every storage domain has in common."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class StorageDomain(Protocol):
    """A storage domain (memory, workflows, scores, observability, ...).

    ``init`` creates or upgrades what the domain needs and must be idempotent;
    ``dangerously_clear_all`` deletes every record the domain owns (meant for tests).
    """

    async def init(self) -> None: ...

    async def dangerously_clear_all(self) -> None: ...


__all__ = ["StorageDomain"]
