"""What every MongoDB backend shares: the connection, index creation and clearing."""

from __future__ import annotations

from typing import ClassVar

from .connection import MongoConnection
from .schema import IndexSpec, ensure_indexes


class MongoDomain:
    """Mixed in *before* a backend contract class (``MemoryBackend``, ...), so its
    ``init`` and ``dangerously_clear_all`` are the backend's.

    ``collections`` lists what ``dangerously_clear_all`` empties (children first);
    ``indexes`` what ``init`` creates.
    """

    collections: ClassVar[tuple[str, ...]] = ()
    indexes: ClassVar[tuple[IndexSpec, ...]] = ()

    def __init__(self, conn: MongoConnection) -> None:
        self._conn = conn

    async def init(self) -> None:
        """Create the missing default indexes of this domain (idempotent). Raises
        ``BackendError`` when a unique index cannot be built over stored duplicates."""
        await ensure_indexes(self._conn, self.indexes)

    async def dangerously_clear_all(self) -> None:
        """Empty this domain's collections, one ``delete_many`` each, children first (not
        atomic across collections; meant for tests)."""
        for name in self.collections:
            await self._conn.guard(
                "dangerouslyClearAll", self._conn.collection(name).delete_many({})
            )


__all__ = ["MongoDomain"]
