"""What every PostgreSQL backend shares: the database, the schema, one-time init, clearing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, ClassVar

from mastra_storage.backend.paging import PageRequest
from mastra_storage.layout import LogicalTable

from .connection import PgDatabase
from .indexes import IndexManager, IndexSpec
from .migrate import DEFAULT_DDL_LOCK_TIMEOUT_S, ensure_schema, verify_schema
from .schema import q
from .sqlutil import Params, keyset_after, page_limit, split_total, where_sql, with_total

logger = logging.getLogger("mastra_storage_postgres")


class PgContext:
    """The database handle, the schema name and the init state shared by a store's backends.

    ``ensure()`` runs the schema setup once per context (concurrent callers share one run;
    a failure is not cached), then creates the custom ``indexes`` given at construction
    (failures are logged, not raised, as in Mastra). With ``verify_only`` it only checks
    the layout, read-only (``migrate.verify_schema``; custom indexes are not checked).
    """

    def __init__(
        self,
        db: PgDatabase,
        schema: str,
        *,
        skip_default_indexes: bool = False,
        indexes: Sequence[IndexSpec] = (),
        ddl_lock_timeout: float = DEFAULT_DDL_LOCK_TIMEOUT_S,
        verify_only: bool = False,
    ) -> None:
        self.db = db
        self.verify_only = verify_only
        self.ddl_lock_timeout = ddl_lock_timeout
        self.schema = schema
        self.skip_default_indexes = skip_default_indexes
        self.custom_indexes = list(indexes)
        self._ready = False
        self._lock: asyncio.Lock | None = None

    def table(self, name: str) -> str:
        """``"schema"."table"``."""
        return f"{q(self.schema)}.{q(name)}"

    @property
    def ready(self) -> bool:
        return self._ready

    def index_manager(self) -> IndexManager:
        return IndexManager(self.db, self.schema)

    async def ensure(self) -> None:
        if self._ready:
            return
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self.ready and self.verify_only:
                await verify_schema(
                    self.db, self.schema, skip_default_indexes=self.skip_default_indexes
                )
                self._ready = True
            if not self.ready:  # another caller may have finished while we waited
                await ensure_schema(
                    self.db,
                    self.schema,
                    skip_default_indexes=self.skip_default_indexes,
                    lock_timeout_s=self.ddl_lock_timeout,
                )
                if self.custom_indexes:
                    await self.index_manager().ensure_indexes(self.custom_indexes)
                self._ready = True


def column_slots(table: LogicalTable) -> tuple[list[str], list[str]]:
    """The quoted column names of a full row of ``table`` and their ``$n`` placeholders,
    in order: JSON cast to ``jsonb``, each timestamp ``X`` followed by its ``XZ`` twin
    (how ``@mastra/pg`` stores every timestamp)."""
    names: list[str] = []
    placeholders: list[str] = []
    for column in table.columns:
        names.append(q(column.name))
        placeholders.append(f"${len(names)}{'::jsonb' if column.logical == 'jsonb' else ''}")
        if column.logical == "timestamp":
            names.append(q(column.name + "Z"))
            placeholders.append(f"${len(names)}")
    return names, placeholders


class PgBackend:
    """The base of every PostgreSQL backend, listed *before* the contract's class so its
    ``init`` and ``dangerously_clear_all`` are the ones used.

    ``tables`` lists what ``dangerously_clear_all`` empties.
    """

    tables: ClassVar[tuple[str, ...]] = ()

    def __init__(self, ctx: PgContext) -> None:
        self._ctx = ctx
        self._db = ctx.db

    def t(self, name: str) -> str:
        return self._ctx.table(name)

    async def init(self) -> None:
        """Create or upgrade the schema once per store (shared by all its backends)."""
        await self._ctx.ensure()

    async def dangerously_clear_all(self) -> None:
        """Empty this backend's tables in one round trip (meant for tests)."""
        script = "; ".join(f"DELETE FROM {self.t(name)}" for name in self.tables)
        await self._db.execute("dangerouslyClearAll", script)

    async def fetch_page(
        self,
        operation: str,
        p: Params,
        *,
        select: str,
        source: str,
        where: Sequence[str],
        after: str | None,
        order_sql: str,
        limit: int | None,
        offset: int,
        count: bool,
    ) -> tuple[list[Any], int]:
        """One statement, one snapshot: the page (``SELECT select FROM source`` under
        ``where`` plus the ``after`` keyset condition, ``order_sql`` (`` ORDER BY ...``),
        ``offset`` skipped, up to ``limit + 1`` rows) and, when ``count``, the total of
        ``where`` alone (else 0). Rows come as :func:`~.sqlutil.split_total` returns
        them (the page's columns from index 1). ``p`` holds the conditions' values; driver
        errors are translated by the database handle."""
        page_where = [*where] if after is None else [*where, after]
        lim = p.add(page_limit(limit), "::bigint")
        off = p.add(offset, "::bigint")
        page = (
            f"SELECT {select} FROM {source}{where_sql(page_where)}{order_sql} "
            f"LIMIT {lim} OFFSET {off}"
        )
        sql = with_total(f"{source}{where_sql(where)}", page, count=count)
        return split_total(await self._db.fetch(operation, sql, *p.values))

    async def fetch_time_page(
        self,
        operation: str,
        p: Params,
        page: PageRequest,
        *,
        select: str,
        source: str,
        where: Sequence[str],
        time_sql: str,
        descending: bool,
    ) -> tuple[list[Any], int]:
        """:meth:`fetch_page` of ``page`` in the order "``time_sql`` (``descending``),
        then ``id`` ascending", resuming strictly after ``page.after``: the order of every
        Studio listing (datasets, items, experiments, results, editor entities)."""
        after = (
            None
            if page.after is None
            else keyset_after(
                time_sql, "id", page.after, p, descending=descending, tie_descending=False
            )
        )
        return await self.fetch_page(
            operation,
            p,
            select=select,
            source=source,
            where=where,
            after=after,
            order_sql=f" ORDER BY {time_sql} {'DESC' if descending else 'ASC'}, id ASC",
            limit=page.limit,
            offset=page.offset,
            count=page.count,
        )


__all__ = ["PgBackend", "PgContext", "column_slots"]
