"""Value encoding shared by the domains (JSON via ``jsonb(?)``/``json()``, ISO timestamps)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from mastra_storage.codec import dumps, parse_json_column
from mastra_storage.pagination import ResolvedDateRange
from mastra_storage.timeutil import UTC, parse_iso, to_iso

#: Above this many values an ``IN`` list is passed as one JSON array parameter instead.
MAX_INLINE_PARAMS = 500


def q(name: str) -> str:
    """A quoted identifier (our identifiers are constants; never user input)."""
    return f'"{name}"'


def json_read(column: str, alias: str | None = None) -> str:
    """Select a JSON column as JSON text: JSONB blobs through ``json()``, TEXT as stored.

    Mastra writes ``jsonb(?)`` blobs; rows from older Mastra versions hold TEXT JSON, which
    is returned raw and parsed in Python (so one malformed legacy value cannot fail a query).
    """
    col = q(column) if alias is None else f"{alias}.{q(column)}"
    return f"CASE WHEN typeof({col}) = 'blob' THEN json({col}) ELSE {col} END"


def json_source(column: str) -> str:
    """``column`` as an argument of SQLite JSON functions, NULL when it holds malformed
    legacy TEXT (so one bad row cannot fail a filtered query with "malformed JSON")."""
    return f"(CASE WHEN typeof({column}) = 'blob' OR json_valid({column}) THEN {column} END)"


def json_param(value: Any) -> str | None:
    """A JSON value for ``jsonb(?)``: ``None`` is SQL NULL (as Mastra writes it)."""
    return None if value is None else dumps(value)


def json_value(raw: Any) -> Any:
    """Decode a JSON column read with :func:`json_read`."""
    return parse_json_column(raw)


def json_dict(raw: Any) -> dict[str, Any] | None:
    value = parse_json_column(raw)
    return value if isinstance(value, dict) else None


def ts(value: datetime) -> str:
    return to_iso(value)


def ts_opt(value: datetime | None) -> str | None:
    return None if value is None else to_iso(value)


def parse_ts(raw: Any) -> datetime:
    """A stored timestamp as an aware UTC datetime.

    Fast path for what this SDK and Mastra write (``2024-01-01T00:00:00.000Z``): one C
    parse, already UTC at millisecond precision; anything else takes :func:`parse_iso`.
    """
    if type(raw) is str:
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is UTC and not parsed.microsecond % 1000:
                return parsed
    return parse_iso(str(raw))


def parse_ts_opt(raw: Any) -> datetime | None:
    return None if raw is None or raw == "" else parse_ts(raw)


def in_list(column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
    """``column IN (...)`` for any number of values (one JSON parameter when many)."""
    if len(values) == 1:
        return f"{column} = ?", [values[0]]
    if len(values) <= MAX_INLINE_PARAMS:
        return f"{column} IN ({', '.join('?' * len(values))})", list(values)
    return f"{column} IN (SELECT value FROM json_each(?))", [dumps(list(values))]


def limit_offset(limit: int | None, offset: int, *, extra: int = 0) -> tuple[str, list[Any]]:
    """``LIMIT ? OFFSET ?`` (``limit=None``: no limit); ``extra`` rows beyond ``limit``."""
    return " LIMIT ? OFFSET ?", [-1 if limit is None else limit + extra, offset]


#: First column of the rows of :func:`with_total` and :func:`page_rows` statements.
PAGE_ROW, INCLUDED_ROW, TOTAL_ROW = 0, 1, 2


def page_rows(page_sql: str, kind: int = PAGE_ROW) -> str:
    """``page_sql`` (with its ``ORDER BY``/``LIMIT``) as rows ``(kind, *columns)``, in order,
    so it can be one member of a ``UNION ALL``."""
    return f"SELECT {kind}, p.* FROM ({page_sql}) p"


def with_total(count_sql: str, page_sql: str, width: int) -> str:
    """A page and the size of the whole filtered set as one statement (one snapshot).

    ``count_sql`` is a one-value ``SELECT COUNT(*) ...`` (bind its parameters first),
    ``page_sql`` the page query of ``width`` columns. The first row is always
    ``(TOTAL_ROW, total, NULL, ...)``, then one ``(PAGE_ROW, *columns)`` per page row in
    the page's order. A ``UNION ALL`` rather than a join: SQLite streams the page straight
    through (a ``LEFT JOIN`` materialises it first, which cost more than the count here),
    and the total arrives even when the page is empty.
    """
    padding = ", NULL" * (width - 1)
    return f"SELECT {TOTAL_ROW}, ({count_sql}){padding} UNION ALL {page_rows(page_sql)}"


def date_range_conditions(
    column: str, date_range: ResolvedDateRange | None
) -> tuple[list[str], list[Any]]:
    """``WHERE`` conditions (and their parameters) for an inclusive/exclusive date range."""
    where: list[str] = []
    params: list[Any] = []
    if date_range is None:
        return where, params
    if date_range.start is not None:
        where.append(f"{column} {'>' if date_range.start_exclusive else '>='} ?")
        params.append(ts(date_range.start))
    if date_range.end is not None:
        where.append(f"{column} {'<' if date_range.end_exclusive else '<='} ?")
        params.append(ts(date_range.end))
    return where, params


__all__ = [
    "INCLUDED_ROW",
    "PAGE_ROW",
    "TOTAL_ROW",
    "date_range_conditions",
    "in_list",
    "json_dict",
    "json_param",
    "json_read",
    "json_source",
    "json_value",
    "limit_offset",
    "page_rows",
    "parse_ts",
    "parse_ts_opt",
    "q",
    "ts",
    "ts_opt",
    "with_total",
]
