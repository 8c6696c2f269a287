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
from mastra_storage.pagination import ResolvedDateRange
from mastra_storage.timeutil import UTC, normalize_datetime

from .schema import q


def naive(value: datetime) -> datetime:
    """UTC wall time for a ``TIMESTAMP`` column."""
    return normalize_datetime(value).replace(tzinfo=None)


def naive_opt(value: datetime | None) -> datetime | None:
    return None if value is None else naive(value)


def aware(value: datetime) -> datetime:
    return normalize_datetime(value)


def aware_opt(value: datetime | None) -> datetime | None:
    return None if value is None else normalize_datetime(value)


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


def ts_columns(name: str, alias: str | None = None) -> str:
    """``X, XZ`` for a select list."""
    prefix = f"{alias}." if alias else ""
    return f"{prefix}{q(name)}, {prefix}{q(name + 'Z')}"


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


__all__ = [
    "Params",
    "aware",
    "aware_opt",
    "date_range_conditions",
    "json_dict",
    "json_param",
    "json_param_required",
    "json_param_text",
    "json_value",
    "json_value_unwrapped",
    "naive",
    "naive_opt",
    "read_ts",
    "read_ts_required",
    "ts_columns",
    "where_sql",
]
