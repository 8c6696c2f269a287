"""What every MongoDB domain shares: the connection, index creation and clearing."""

from __future__ import annotations

from typing import ClassVar

from .connection import MongoConnection
from .schema import IndexSpec, ensure_indexes


class MongoDomain:
    """Mixed in *before* a domain base class, so these override its defaults.

    ``collections`` lists what ``dangerously_clear_all`` empties (children first);
    ``indexes`` what ``init`` creates.
    """

    collections: ClassVar[tuple[str, ...]] = ()
    indexes: ClassVar[tuple[IndexSpec, ...]] = ()

    def __init__(self, conn: MongoConnection) -> None:
        self._conn = conn

    async def init(self) -> None:
        await ensure_indexes(self._conn, self.indexes)

    async def dangerously_clear_all(self) -> None:
        for name in self.collections:
            await self._conn.guard(
                "dangerouslyClearAll", self._conn.collection(name).delete_many({})
            )


__all__ = ["MongoDomain"]
