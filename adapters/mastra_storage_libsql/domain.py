"""What every libSQL backend shares: the database handle, schema init, clearing, paging
reads and row decoding."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, ClassVar, TypeVar

from .connection import LibSQLDatabase
from .schema import ensure_schema
from .sqlutil import json_value, parse_ts_opt
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


def count_then_page(
    tx: Tx,
    *,
    count: bool,
    limit: int | None,
    count_sql: str,
    count_params: Sequence[Any],
    page_sql: str,
    page_params: Sequence[Any],
    from_row: Callable[[tuple[Any, ...]], T],
) -> tuple[list[T], int]:
    """The paging contract's two reads inside one job: the filtered total when ``count``
    (``count_sql`` is a one-value ``SELECT COUNT(*)``; else 0), then the page unless
    ``limit == 0`` (``page_sql`` already carries the keyset, order and ``limit + 1``).
    Atomic as the job's transaction mode makes it (``"read"``: one snapshot)."""
    total = 0
    if count:
        row = tx.fetchone(count_sql, count_params)
        total = int(row[0]) if row else 0
    if limit == 0:
        return [], total
    return [from_row(r) for r in tx.fetchall(page_sql, page_params)], total


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
        """:func:`count_then_page` as one job: count and page share one read transaction
        (one snapshot); a page alone is one statement, its own snapshot. Driver errors are
        translated as :meth:`LibSQLDatabase.run` does."""

        def job(tx: Tx) -> tuple[list[T], int]:
            return count_then_page(
                tx,
                count=count,
                limit=limit,
                count_sql=count_sql,
                count_params=count_params,
                page_sql=page_sql,
                page_params=page_params,
                from_row=from_row,
            )

        mode: TxMode = "read" if count and limit != 0 else "none"
        return await self.db.run(operation, job, mode=mode)


__all__ = ["LibSQLDomain", "count_then_page", "row_values"]
