"""What every libSQL backend shares: the database handle, schema init and clearing."""

from __future__ import annotations

from typing import ClassVar

from .connection import LibSQLDatabase
from .schema import ensure_schema
from .tx import Tx


class LibSQLDomain:
    """Mixed in *before* a backend contract class, so these implement its ``init`` and
    ``dangerously_clear_all``.

    ``tables`` lists what ``dangerously_clear_all`` empties, children before parents.
    """

    tables: ClassVar[tuple[str, ...]] = ()

    def __init__(self, db: LibSQLDatabase) -> None:
        #: The store's database (one worker thread, one connection), shared by every domain.
        self.db = db

    async def init(self) -> None:
        """Create or upgrade every table of the store (idempotent; one transaction)."""
        await ensure_schema(self.db)

    async def dangerously_clear_all(self) -> None:
        """Delete every row of this domain's tables in one transaction (meant for tests)."""
        tables = self.tables

        def job(tx: Tx) -> None:
            for table in tables:
                tx.execute(f"DELETE FROM {table}")  # names are constants of the subclass

        await self.db.run("dangerouslyClearAll", job)


__all__ = ["LibSQLDomain"]
