"""MongoDB adapter for mastra-storage, document-compatible with ``@mastra/mongodb``.

``import mastra_storage_mongodb`` does not import the ``pymongo`` driver; the driver is
imported when a store is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import MongoDBStore

__all__ = ["MongoDBStore"]


def __getattr__(name: str) -> Any:
    if name == "MongoDBStore":
        from .store import MongoDBStore

        return MongoDBStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
