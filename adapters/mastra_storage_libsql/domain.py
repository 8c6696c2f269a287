"""What every libSQL backend shares: the database handle, schema init, clearing, paging
reads and row decoding."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from mastra_storage.backend.paging import PageRequest
from mastra_storage.pagination import Cursor
from mastra_storage.timeutil import from_epoch_ms

from .connection import LibSQLDatabase
from .schema import ensure_schema
from .sqlutil import json_value, limit_offset, parse_ts_opt, q, ts
from .tx import Tx, TxMode

T = TypeVar("T")


def row_values(
    fields: Sequence[tuple[str, str]],
    row: Sequence[Any],
    *,
    json_columns: Collection[str],
    datetimes: Collection[str],
    convert: Mapping[str, Callable[[Any], Any]] | None = None,
) -> dict[str, Any]:
    """A record's keyword arguments from a row selected in ``fields`` order ((attribute,
    column) pairs): JSON columns parsed, datetimes parsed, ``convert`` applied by attribute
    name, anything else as stored. Columns past ``fields`` (extra selected values) are
    ignored. Raises what the parsers raise on a malformed stored value."""
    extra = convert or {}
    values: dict[str, Any] = {}
    # Not strict: a listing may select computed columns after the record's own.
    for (name, column), raw in zip(fields, row, strict=False):
        if column in json_columns:
            values[name] = json_value(raw)
        elif name in datetimes:
            values[name] = parse_ts_opt(raw)
        elif name in extra:
            values[name] = extra[name](raw)
        else:
            values[name] = raw
    return values


#: A keyset condition (``"(a, b) < (?, ?)"``, no leading ``AND``) and its values.
Keyset = tuple[str, Sequence[Any]]


def keyset_after(
    column: str, after: Cursor | None, *, descending: bool, timestamp: bool
) -> Keyset | None:
    """The keyset "strictly after ``after``" in the order "``column`` (``descending``),
    then ``id`` ascending" (``None`` without a cursor). ``timestamp``: the cursor key is
    epoch ms of an ISO timestamp column, compared as the stored text."""
    if after is None:
        return None
    value: Any = ts(from_epoch_ms(after.key)) if timestamp else after.key
    op = "<" if descending else ">"
    return f"({q(column)} {op} ? OR ({q(column)} = ? AND id > ?))", [value, value, str(after.tie)]


@dataclass(frozen=True, slots=True)
class PageStatement(Generic[T]):
    """What a listing reads: ``SELECT select FROM source`` under ``where`` (values
    ``params``), the page also under the ``after`` keyset and in ``order_sql``
    (`` ORDER BY ...``), each row decoded by ``from_row``."""

    select: str
    source: str
    where: Sequence[str]
    params: Sequence[Any]
    after: Keyset | None
    order_sql: str
    from_row: Callable[[tuple[Any, ...]], T]


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

    async def read_one(
        self,
        operation: str,
        sql: str,
        params: Sequence[Any],
        from_row: Callable[[tuple[Any, ...]], T],
    ) -> T | None:
        """The first row of one read statement, decoded, or ``None`` when it selects
        nothing (one statement: its own snapshot, no transaction). Driver errors are
        translated as :meth:`LibSQLDatabase.run` does."""

        def job(tx: Tx) -> T | None:
            row = tx.fetchone(sql, params)
            return None if row is None else from_row(row)

        return await self.db.run(operation, job, mode="none")

    async def read_page(
        self,
        operation: str,
        *,
        count: bool,
        limit: int | None,
        count_sql: str,
        count_params: Sequence[Any],
        page_sql: str,
        page_params: Sequence[Any],
        from_row: Callable[[tuple[Any, ...]], T],
    ) -> tuple[list[T], int]:
        """The paging contract's two reads as one job: the filtered total when ``count``
        (``count_sql`` is a one-value ``SELECT COUNT(*)``; else 0), then the page unless
        ``limit == 0`` (``page_sql`` already carries the keyset, order and ``limit + 1``).
        Count and page share one read transaction (one snapshot); a page alone is one
        statement, its own snapshot. Driver errors are translated as
        :meth:`LibSQLDatabase.run` does."""

        def job(tx: Tx) -> tuple[list[T], int]:
            total = 0
            if count:
                row = tx.fetchone(count_sql, count_params)
                total = int(row[0]) if row else 0
            if limit == 0:
                return [], total
            return [from_row(r) for r in tx.fetchall(page_sql, page_params)], total

        mode: TxMode = "read" if count and limit != 0 else "none"
        return await self.db.run(operation, job, mode=mode)

    async def read_listing(
        self, operation: str, page: PageRequest, stmt: PageStatement[T]
    ) -> tuple[list[T], int]:
        """:meth:`read_page` of ``stmt`` under ``page``: the total under ``stmt.where``,
        and the rows after the keyset, ``page.offset`` skipped, up to ``page.limit + 1``."""
        page_where, page_params = list(stmt.where), list(stmt.params)
        if stmt.after is not None:
            page_where.append(stmt.after[0])
            page_params.extend(stmt.after[1])
        limit_sql, limit_params = limit_offset(page.limit, page.offset, extra=1)
        return await self.read_page(
            operation,
            count=page.count,
            limit=page.limit,
            count_sql=f"SELECT COUNT(*) FROM {stmt.source}{where_sql(stmt.where)}",
            count_params=stmt.params,
            page_sql=f"SELECT {stmt.select} FROM {stmt.source}{where_sql(page_where)}"
            f"{stmt.order_sql}{limit_sql}",
            page_params=page_params + limit_params,
            from_row=stmt.from_row,
        )

    async def read_ordered(
        self,
        operation: str,
        page: PageRequest,
        *,
        select: str,
        source: str,
        where: Sequence[str],
        params: Sequence[Any],
        column: str,
        descending: bool,
        from_row: Callable[[tuple[Any, ...]], T],
        timestamp: bool = True,
    ) -> tuple[list[T], int]:
        """:meth:`read_listing` in the order "``column`` (``descending``), then ``id``
        ascending", resuming after ``page.after`` (see :func:`keyset_after`): the order of
        every Studio listing (datasets, items, experiments, results, editor records)."""
        return await self.read_listing(
            operation,
            page,
            PageStatement(
                select=select,
                source=source,
                where=where,
                params=params,
                after=keyset_after(column, page.after, descending=descending, timestamp=timestamp),
                order_sql=f" ORDER BY {q(column)} {'DESC' if descending else 'ASC'}, id ASC",
                from_row=from_row,
            ),
        )


def where_sql(conditions: Sequence[str]) -> str:
    """`` WHERE a AND b`` (empty without conditions)."""
    return " WHERE " + " AND ".join(conditions) if conditions else ""


__all__ = ["Keyset", "LibSQLDomain", "PageStatement", "keyset_after", "row_values"]
