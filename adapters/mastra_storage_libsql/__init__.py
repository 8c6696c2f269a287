"""libSQL / SQLite adapter for mastra-storage, data-compatible with ``@mastra/libsql``.

``import mastra_storage_libsql`` does not import the ``libsql`` driver; the driver is
imported when a store opens its database (on its worker thread).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import LibSQLStore

__all__ = ["LibSQLStore"]


def __getattr__(name: str) -> Any:
    if name == "LibSQLStore":
        from .store import LibSQLStore

        return LibSQLStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
