"""What every libSQL domain shares: the database handle, schema init and clearing."""

from __future__ import annotations

from typing import ClassVar

from .connection import LibSQLDatabase, Tx
from .schema import ensure_schema


class LibSQLDomain:
    """Mixed in *before* a domain base class, so these override its defaults.

    ``tables`` lists what ``dangerously_clear_all`` empties, children before parents.
    """

    tables: ClassVar[tuple[str, ...]] = ()

    def __init__(self, db: LibSQLDatabase) -> None:
        self._db = db

    async def init(self) -> None:
        await ensure_schema(self._db)

    async def dangerously_clear_all(self) -> None:
        tables = self.tables

        def job(tx: Tx) -> None:
            for table in tables:
                tx.execute(f"DELETE FROM {table}")  # names are constants of the subclass

        await self._db.run("dangerouslyClearAll", job)


__all__ = ["LibSQLDomain"]
