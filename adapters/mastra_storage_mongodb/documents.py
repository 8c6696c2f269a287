"""Reading values back from documents either side wrote.

Mastra's MongoDB adapter has stored the same field in different shapes over its releases
(dates as BSON ``Date`` or ISO strings; metadata as a sub-document or a JSON string), so
every read goes through these helpers and accepts each shape; writes always use the shape
``@mastra/mongodb`` 1.19.0 writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bson import Decimal128, ObjectId

from mastra_storage.codec import copy_json, parse_json_column, safely_parse_json
from mastra_storage.errors import ValidationError
from mastra_storage.pagination import ResolvedDateRange
from mastra_storage.timeutil import UTC, parse_iso, to_iso

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def plain(value: Any) -> Any:
    """A decoded BSON value as plain JSON data: ``Int64`` becomes ``int``, a nested date an
    ISO string (what ``JSON.stringify`` makes of a ``Date``), an ``ObjectId`` its hex.

    Iterative, not recursive: a document another client nested deeper than the recursion
    limit must still read back (a ``RecursionError`` here once failed every listing of the
    threads next to it)."""
    return copy_json(value, _plain_scalar)


def _plain_scalar(value: Any) -> Any:
    kind = type(value)
    if kind in (str, int, float, bool) or value is None:
        return value
    if isinstance(value, datetime):
        return to_iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)  # bson.Int64
    if isinstance(value, float):
        return float(value)
    if isinstance(value, (ObjectId, Decimal128)):
        return str(value)
    return value


def read_date(value: Any, *, field: str = "date") -> datetime:
    """A stored date (BSON date, ISO string or epoch ms) as an aware UTC datetime."""
    if isinstance(value, datetime):
        return parse_iso(value if value.tzinfo else value.replace(tzinfo=UTC), field=field)
    if isinstance(value, str):
        return parse_iso(value, field=field)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return parse_iso(datetime.fromtimestamp(value / 1000, tz=UTC), field=field)
    if value is None:
        return _EPOCH
    raise ValidationError(
        f"stored {field} is not a date: {type(value).__name__}",
        id="MASTRA_STORAGE_MONGODB_INVALID_DOCUMENT",
    )


def read_optional_date(value: Any, *, field: str = "date") -> datetime | None:
    return None if value is None else read_date(value, field=field)


def read_object(value: Any) -> dict[str, Any] | None:
    """A JSON object stored natively or as a JSON string (``None`` stays ``None``)."""
    if value is None:
        return None
    parsed = safely_parse_json(value) if isinstance(value, str) else plain(value)
    return parsed if isinstance(parsed, dict) else None


def read_json(value: Any) -> Any:
    """Any JSON value, native or as a JSON string that is kept as is when it isn't JSON."""
    return parse_json_column(value) if isinstance(value, str) else plain(value)


def eq(value: Any) -> dict[str, Any]:
    """An equality condition that treats ``value`` as data, never as a query operator:
    ``{"$eq": {"$ne": null}}`` matches only that literal object (no operator injection)."""
    return {"$eq": value}


def date_range_filter(
    field: str, date_range: ResolvedDateRange | None, *, iso_strings_too: bool = False
) -> dict[str, Any]:
    """``{field: {$gte/$gt: start, $lte/$lt: end}}`` (empty when there is no bound).

    ``iso_strings_too`` also matches the same range on ISO-string values, which older
    releases wrote for span times (Mastra 1.19.0 queries both the same way).
    """
    if date_range is None:
        return {}
    condition: dict[str, Any] = {}
    if date_range.start is not None:
        condition["$gt" if date_range.start_exclusive else "$gte"] = date_range.start
    if date_range.end is not None:
        condition["$lt" if date_range.end_exclusive else "$lte"] = date_range.end
    if not condition:
        return {}
    if not iso_strings_too:
        return {field: condition}
    as_text = {op: to_iso(value) for op, value in condition.items()}
    return {"$or": [{field: condition}, {field: as_text}]}


def position_filter(
    field: str,
    tie: str,
    key: Any,
    tie_value: Any,
    after: bool,
    tie_after: bool | None = None,
) -> dict[str, Any]:
    """Documents strictly after ``(key, tie_value)`` in ``(field, tie)`` order: a keyset
    condition. ``after`` says whether "after" means a larger ``field`` (ascending order);
    ``tie_after`` the same for the tie-break (default: as ``after``)."""
    op = "$gt" if after else "$lt"
    tie_op = op if tie_after is None else ("$gt" if tie_after else "$lt")
    return {"$or": [{field: {op: key}}, {field: key, tie: {tie_op: tie_value}}]}


def and_filters(*filters: dict[str, Any]) -> dict[str, Any]:
    """Combine filters without one overwriting another's key."""
    parts = [f for f in filters if f]
    if not parts:
        return {}
    if len(parts) == 1:
        return parts[0]
    return {"$and": parts}


__all__ = [
    "and_filters",
    "date_range_filter",
    "eq",
    "plain",
    "position_filter",
    "read_date",
    "read_json",
    "read_object",
    "read_optional_date",
]
