"""Value encoding shared by the domains: JSON text for ``jsonb``, UTC timestamps.

Every Mastra ``timestamp`` column ``X`` is a ``TIMESTAMP`` (no time zone) holding UTC wall
time, with a ``TIMESTAMPTZ`` twin ``XZ``. Writes bind a naive UTC datetime to ``X`` and an
aware one to ``XZ``; neither conversion depends on the session's ``TimeZone``, so the
stored values and every comparison are UTC whatever the server or session setting.
Reads take ``XZ`` when present (asyncpg returns it as an aware UTC datetime) and fall
back to ``X`` read as UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mastra_storage.codec import dumps, parse_json_column
from mastra_storage.layout import LogicalTable
from mastra_storage.pagination import Cursor, ResolvedDateRange
from mastra_storage.timeutil import UTC, from_epoch_ms, normalize_datetime, utc_wall

from .schema import q


def naive(value: datetime) -> datetime:
    """UTC wall time for a ``TIMESTAMP`` column. ``value`` is already normalised (aware
    UTC, milliseconds): records normalise their datetimes on construction and the core
    normalises every bound and clock value before it reaches a backend, so the ``XZ``
    twin takes ``value`` itself."""
    return utc_wall(value)


def naive_opt(value: datetime | None) -> datetime | None:
    return None if value is None else utc_wall(value)


def read_ts(zoned: datetime | None, wall: datetime | None) -> datetime | None:
    """``XZ`` if set, else ``X`` (UTC wall time), as an aware UTC datetime."""
    if zoned is not None:
        return normalize_datetime(zoned)
    if wall is None:
        return None
    if wall.tzinfo is None:
        wall = wall.replace(tzinfo=UTC)
    return normalize_datetime(wall)


def read_ts_required(zoned: datetime | None, wall: datetime | None) -> datetime:
    value = read_ts(zoned, wall)
    if value is None:
        raise ValueError("timestamp column is NULL")
    return value


def select_columns(table: LogicalTable, alias: str | None = None) -> str:
    """A select list of ``table``'s columns in Mastra's order, each timestamp ``X``
    followed by its twin ``XZ`` (what the ``*_from_row`` readers index)."""
    prefix = f"{alias}." if alias else ""
    parts: list[str] = []
    for column in table.columns:
        parts.append(f"{prefix}{q(column.name)}")
        if column.logical == "timestamp":
            parts.append(f"{prefix}{q(column.name + 'Z')}")
    return ", ".join(parts)


def json_param(value: Any) -> str | None:
    """JSON text for a nullable ``jsonb`` parameter (``None`` is SQL NULL)."""
    return None if value is None else dumps(value)


def json_param_required(value: Any) -> str:
    """JSON text for a ``NOT NULL jsonb`` column: ``None`` is stored as JSON ``null``."""
    return dumps(value)


def json_value(raw: Any) -> Any:
    return parse_json_column(raw)


def json_param_text(value: Any) -> str:
    """A ``jsonb`` *string* holding ``value``'s JSON text: how ``@mastra/pg`` writes the
    columns it stringifies before its generic insert (score payload fields, resource
    metadata). Writing the same bytes keeps both readers identical."""
    return dumps(dumps(value))


def json_value_unwrapped(raw: Any) -> Any:
    """Decode a ``jsonb`` column Mastra may have written as JSON text inside a JSON string
    (see :func:`json_param_text`): a string value is parsed once more when it is JSON,
    as Mastra's ``safelyParseJSON`` does."""
    value = parse_json_column(raw)
    if isinstance(value, str):
        return parse_json_column(value)
    return value


def json_dict(raw: Any) -> dict[str, Any] | None:
    value = parse_json_column(raw)
    return value if isinstance(value, dict) else None


class Params:
    """Numbered placeholders (``$1``, ``$2``...) built alongside their values."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def add(self, value: Any, cast: str = "") -> str:
        self.values.append(value)
        return f"${len(self.values)}{cast}"


def date_range_conditions(
    column: str, date_range: ResolvedDateRange | None, params: Params
) -> list[str]:
    """Inclusive/exclusive bounds on a UTC ``TIMESTAMP`` column."""
    where: list[str] = []
    if date_range is None:
        return where
    if date_range.start is not None:
        op = ">" if date_range.start_exclusive else ">="
        where.append(f"{column} {op} {params.add(naive(date_range.start), '::timestamp')}")
    if date_range.end is not None:
        op = "<" if date_range.end_exclusive else "<="
        where.append(f"{column} {op} {params.add(naive(date_range.end), '::timestamp')}")
    return where


def where_sql(conditions: Sequence[str]) -> str:
    return " WHERE " + " AND ".join(conditions) if conditions else ""


def page_limit(limit: int | None) -> int | None:
    """The ``LIMIT`` of a page under the paging contract: ``limit + 1`` rows so the core
    sees whether more follow (for ``0``, the one row that says whether any exists), every
    row for ``None``."""
    return None if limit is None else limit + 1


def keyset_after(
    time_sql: str,
    tie_sql: str,
    cursor: Cursor,
    params: Params,
    *,
    descending: bool,
    tie_descending: bool | None = None,
    tie_cast: str = "",
    null_key: int | None = None,
) -> str:
    """The keyset condition "strictly after ``cursor``" in the order "``time_sql``
    (``descending``), then ``tie_sql`` (``tie_descending``, default the same)". The
    cursor's key is epoch ms of a UTC ``TIMESTAMP`` column (stored at millisecond
    precision, so comparing the column is comparing its epoch ms, and its index applies).
    ``null_key``: the cursor key that stands for a NULL time, which sorts as the largest
    (``time_sql`` must then map NULL to ``'infinity'``)."""
    if null_key is not None and cursor.key == null_key:
        key = "'infinity'::timestamp"
    else:
        key = params.add(naive(from_epoch_ms(cursor.key)), "::timestamp")
    tie = params.add(cursor.tie, tie_cast)
    op = "<" if descending else ">"
    tie_desc = descending if tie_descending is None else tie_descending
    if tie_desc == descending:  # one row comparison walks a composite index
        return f"({time_sql}, {tie_sql}) {op} ({key}, {tie})"
    tie_op = "<" if tie_desc else ">"
    return f"({time_sql} {op} {key} OR ({time_sql} = {key} AND {tie_sql} {tie_op} {tie}))"


def with_total(count_from: str, page: str, *, count: bool) -> str:
    """One statement for a page and the total of its filtered set: ``count(*)`` over
    ``count_from`` (``table alias WHERE ...``) joined with a ``LATERAL`` ``page`` query,
    so both come in one round trip even when the page is empty. Without ``count`` the
    total column is 0 and no count runs. Read the rows with :func:`split_total`; page
    columns start at index 1."""
    if not count:
        return f"SELECT 0, pg.* FROM ({page}) pg"
    return (
        f"SELECT c.total, pg.* FROM (SELECT count(*) AS total FROM {count_from}) c "
        f"LEFT JOIN LATERAL ({page}) pg ON true"
    )


def split_total(rows: Sequence[Any]) -> tuple[list[Any], int]:
    """The page rows (an empty page leaves one row of NULLs, dropped here; a page's first
    column is never NULL) and the total of a :func:`with_total` statement."""
    total = int(rows[0][0]) if rows else 0
    return [r for r in rows if r[1] is not None], total


__all__ = [
    "Params",
    "date_range_conditions",
    "json_dict",
    "json_param",
    "json_param_required",
    "json_param_text",
    "json_value",
    "json_value_unwrapped",
    "keyset_after",
    "naive",
    "naive_opt",
    "page_limit",
    "read_ts",
    "read_ts_required",
    "select_columns",
    "split_total",
    "where_sql",
    "with_total",
]
