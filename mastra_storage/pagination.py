"""Pagination arithmetic, order-by parsing, date ranges and opaque cursors.

Every adapter uses these helpers, so ``page``/``per_page``/``has_more`` mean exactly the
same thing on every backend. ``per_page=None`` means "everything" (Mastra's
``perPage: false``). Offset pages skip or repeat rows when rows are inserted between two
requests; the opaque ``next_cursor`` gives stable forward paging (keyset pagination).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Generic, Literal, TypeVar

import msgspec

from .errors import ValidationError
from .timeutil import MAX_EPOCH_MS, MIN_EPOCH_MS, parse_iso

T = TypeVar("T")

MAX_SAFE_INTEGER = 2**53 - 1
Direction = Literal["ASC", "DESC"]
ThreadOrderField = Literal["created_at", "updated_at"]


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of results.

    ``per_page`` is ``None`` when everything was requested. ``next_cursor`` (when the
    method supports cursors) continues after the last item of this page, whatever was
    inserted meanwhile; it is ``None`` on the last page. ``total`` is ``None`` when the
    caller passed ``include_total=False`` (the count was skipped).
    """

    items: list[T]
    total: int | None
    page: int
    per_page: int | None
    has_more: bool
    next_cursor: str | None = None

    def __iter__(self) -> Iterator[T]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class OrderBy(msgspec.Struct, kw_only=True, frozen=True):
    """Sort order for list methods (``field`` is ``created_at`` or ``updated_at``)."""

    field: ThreadOrderField | None = None
    direction: Direction | None = None


class ResolvedOrder(msgspec.Struct, frozen=True):
    field: ThreadOrderField
    direction: Direction

    @property
    def descending(self) -> bool:
        return self.direction == "DESC"


def parse_order_by(
    order_by: OrderBy | None,
    *,
    default_field: ThreadOrderField = "created_at",
    default_direction: Direction = "DESC",
    allowed_fields: tuple[ThreadOrderField, ...] = ("created_at", "updated_at"),
) -> ResolvedOrder:
    """Mastra's ``parseOrderBy``: unknown fields/directions fall back to the defaults."""
    field: ThreadOrderField = default_field
    direction: Direction = default_direction
    if order_by is not None:
        if order_by.field in allowed_fields:
            field = order_by.field
        if order_by.direction is not None:
            upper = str(order_by.direction).upper()
            if upper in ("ASC", "DESC"):
                direction = "ASC" if upper == "ASC" else "DESC"
    return ResolvedOrder(field, direction)


def _is_safe_int(value: Any) -> bool:
    return (
        isinstance(value, int)
        and not isinstance(value, bool)
        and -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER
    )


def validate_page_args(page: int, per_page: int | None, *, operation: str) -> None:
    """Reject bad ``page``/``per_page`` before any I/O (Mastra's ``validatePaginationInput``)."""
    if not _is_safe_int(page) or page < 0:
        raise ValidationError(
            "page must be >= 0",
            id=f"MASTRA_STORAGE_{operation}_INVALID_PAGE",
            details={"page": repr(page)},
        )
    if per_page is None:
        if page != 0:
            raise ValidationError(
                "page must be 0 when per_page is None (all results)",
                id=f"MASTRA_STORAGE_{operation}_INVALID_PAGE",
            )
        return
    if not _is_safe_int(per_page):
        raise ValidationError(
            "perPage must be None or a safe integer",
            id=f"MASTRA_STORAGE_{operation}_INVALID_PAGE",
        )
    if per_page < 0:
        raise ValidationError(
            "perPage must be >= 0",
            id=f"MASTRA_STORAGE_{operation}_INVALID_PAGE",
            details={"per_page": per_page},
        )
    if per_page and page * per_page > MAX_SAFE_INTEGER:
        raise ValidationError("page value too large", id=f"MASTRA_STORAGE_{operation}_INVALID_PAGE")


class Window(msgspec.Struct, frozen=True):
    """A resolved page request: ``limit`` is ``None`` for "no limit"."""

    offset: int
    limit: int | None


def page_window(page: int, per_page: int | None) -> Window:
    """Offset and limit for ``page``/``per_page`` (``per_page=None``: everything)."""
    if per_page is None:
        return Window(0, None)
    return Window(page * per_page, per_page)


def has_more(page: int, per_page: int | None, total: int) -> bool:
    """``offset + per_page < total``; always ``False`` when everything was requested."""
    if per_page is None:
        return False
    return page * per_page + per_page < total


class DateRange(msgspec.Struct, kw_only=True, frozen=True):
    """Inclusive-by-default date range filter; ``start``/``end`` accept ISO strings too."""

    start: datetime | str | None = None
    end: datetime | str | None = None
    start_exclusive: bool = False
    end_exclusive: bool = False

    def resolved(self) -> ResolvedDateRange:
        """The range with its bounds parsed to aware UTC datetimes.

        :raises ValidationError: a bound that is not an ISO-8601 date or datetime.
        """
        return ResolvedDateRange(
            start=None if self.start is None else parse_iso(self.start, field="start"),
            end=None if self.end is None else parse_iso(self.end, field="end"),
            start_exclusive=self.start_exclusive,
            end_exclusive=self.end_exclusive,
        )


class ResolvedDateRange(msgspec.Struct, kw_only=True, frozen=True):
    start: datetime | None
    end: datetime | None
    start_exclusive: bool = False
    end_exclusive: bool = False

    def contains(self, value: datetime) -> bool:
        if self.start is not None:
            if value < self.start or (self.start_exclusive and value == self.start):
                return False
        if self.end is not None:
            if value > self.end or (self.end_exclusive and value == self.end):
                return False
        return True


class Cursor(msgspec.Struct, array_like=True, frozen=True):
    """Position after the last item of a page: ``(sort key ms, tie-break, direction)``.

    ``tie`` is the adapter's stable tie-break (insertion sequence for messages, id for
    threads). ``scope`` fingerprints the query so a cursor is not reused with different
    filters.
    """

    key: int
    tie: int | str
    direction: Direction
    scope: str


_cursor_encoder = msgspec.msgpack.Encoder()
_cursor_decoder = msgspec.msgpack.Decoder(Cursor)


def encode_cursor(cursor: Cursor) -> str:
    return base64.urlsafe_b64encode(_cursor_encoder.encode(cursor)).decode().rstrip("=")


_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
#: Longest string tie-break a cursor may carry (ids are at most 256 UTF-8 bytes, a
#: document store's sequence 24 hex digits).
_MAX_TIE_CHARS = 256
#: Longest cursor token accepted: an honest one is under 200 characters.
_MAX_TOKEN_CHARS = 4096


def _invalid_cursor(reason: str) -> ValidationError:
    return ValidationError(
        f"invalid cursor: {reason}",
        id="MASTRA_STORAGE_INVALID_CURSOR",
        details={"reason": reason},
    )


#: The cursor key of a null ``ended_at`` (JavaScript's largest safe integer).
_NULL_TIME_KEY = 2**53 - 1


def decode_cursor(
    token: str, *, scope: str, tie_kind: type[int] | type[str] | None = None
) -> Cursor:
    """Decode an opaque cursor; :class:`ValidationError` when it is not a string, is
    corrupt (bad base64 or msgpack, wrong shape), forged out of range (a time key outside
    years 1-9999, a tie-break outside int64 or not a storable id) or of the wrong kind
    (``tie_kind``: what this store's tie-breaks are), or belongs to another query.

    Why so strict: a cursor comes back from a client, so it is input like any other; its
    fields reach SQL parameters, key ranges and datetime arithmetic."""
    if not isinstance(token, str):
        raise _invalid_cursor(f"expected a string, got {type(token).__name__}")
    if len(token) > _MAX_TOKEN_CHARS:
        raise _invalid_cursor("too long")
    try:
        padded = token + "=" * (-len(token) % 4)
        cursor = _cursor_decoder.decode(base64.urlsafe_b64decode(padded))
    except (binascii.Error, ValueError, msgspec.DecodeError, TypeError):
        raise _invalid_cursor("not a cursor issued by this library") from None
    if cursor.scope != scope:
        raise ValidationError(
            "cursor belongs to a different query (filters or order changed)",
            id="MASTRA_STORAGE_INVALID_CURSOR",
        )
    # A trace page ordered by ``ended_at`` ends on a running trace with the null time key
    # (``backend.observability.NULL_TIME_KEY``, not imported: it imports this module).
    if not MIN_EPOCH_MS <= cursor.key <= MAX_EPOCH_MS and cursor.key != _NULL_TIME_KEY:
        raise _invalid_cursor("time key out of range")
    tie = cursor.tie
    if isinstance(tie, int):
        if not _INT64_MIN <= tie <= _INT64_MAX:
            raise _invalid_cursor("tie-break out of range")
    elif not tie or len(tie) > _MAX_TIE_CHARS or "\x00" in tie or not _encodable(tie):
        raise _invalid_cursor("tie-break is not a storable id")
    if tie_kind is not None and type(tie) is not tie_kind:
        raise _invalid_cursor("tie-break of the wrong kind for this store")
    return cursor


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


__all__ = [
    "MAX_SAFE_INTEGER",
    "Cursor",
    "DateRange",
    "Direction",
    "OrderBy",
    "Page",
    "ResolvedDateRange",
    "ResolvedOrder",
    "ThreadOrderField",
    "Window",
    "decode_cursor",
    "encode_cursor",
    "has_more",
    "page_window",
    "parse_order_by",
    "validate_page_args",
]
