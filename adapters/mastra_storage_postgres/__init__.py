"""PostgreSQL adapter for mastra-storage, data-compatible with ``@mastra/pg``.

``import mastra_storage_postgres`` does not import the ``asyncpg`` driver; the driver is
imported when a store is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import PostgresStore

__all__ = ["PostgresStore"]


def __getattr__(name: str) -> Any:
    if name == "PostgresStore":
        from .store import PostgresStore

        return PostgresStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
