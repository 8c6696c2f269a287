"""Timestamps the way Mastra stores them: UTC, millisecond precision, ISO-8601 with ``Z``.

JavaScript ``Date`` has millisecond precision, so every datetime that enters a record is
converted to UTC and truncated to the millisecond. That keeps ``save`` then ``get``
round trips exactly equal and makes a Python service and a Mastra app agree on order.
Naive datetimes are rejected: guessing a time zone is how Mastra users got threads
"6 hours in the future".
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

from .errors import ValidationError

UTC = timezone.utc
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_WALL = datetime(1970, 1, 1)


def normalize_datetime(value: datetime, *, field: str = "datetime") -> datetime:
    """Return ``value`` in UTC truncated to milliseconds; reject naive datetimes."""
    if type(value) is datetime and value.tzinfo is UTC:
        sub = value.microsecond % 1000
        if not sub:
            # Fast path: already normalised (every datetime this SDK produces or decodes).
            # Records normalise on every construction, so this runs per decoded row.
            return value
        # ``datetime.now(timezone.utc)``, the usual input: only the truncation to do.
        return value - _sub_ms(sub)
    if not isinstance(value, datetime):
        raise ValidationError(
            f"{field} must be a datetime, got {type(value).__name__}",
            id="MASTRA_STORAGE_INVALID_DATETIME",
        )
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(
            f"{field} is a naive datetime; pass a timezone-aware datetime "
            "(e.g. datetime.now(timezone.utc))",
            id="MASTRA_STORAGE_NAIVE_DATETIME",
            details={"field": field},
        )
    if value.tzinfo is not UTC:
        value = _to_utc(value, field)
    sub = value.microsecond % 1000
    return value - _sub_ms(sub) if sub else value


#: ``timedelta(microseconds=n)`` for the sub-millisecond remainders met so far (at most 999).
_SUB_MS: dict[int, timedelta] = {}


def _sub_ms(microseconds: int) -> timedelta:
    """``timedelta(microseconds=n)``, cached. Why the subtraction at all, not
    ``replace(microsecond=...)``: its keyword parsing costs ten times this on CPython 3.11,
    and every datetime a caller builds with ``datetime.now(timezone.utc)`` is truncated
    (issue 19)."""
    below = _SUB_MS.get(microseconds)
    if below is None:
        below = _SUB_MS[microseconds] = timedelta(0, 0, microseconds)
    return below


def _to_utc(value: datetime, field: str) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # e.g. 0001-01-01 00:00+05:00 is before the first representable UTC instant.
        raise ValidationError(
            f"{field} is outside the datetime range once converted to UTC",
            id="MASTRA_STORAGE_INVALID_DATETIME",
            details={"field": field},
        ) from None


def utc_wall(value: datetime) -> datetime:
    """The naive UTC wall time of an aware datetime (for ``TIMESTAMP`` columns).

    Why not ``value.replace(tzinfo=None)``: its keyword parsing costs ten times this
    arithmetic on CPython 3.11, and a saved turn converts three datetimes (issue 19); the
    arithmetic also converts a non-UTC value to UTC instead of dropping its offset."""
    return _EPOCH_WALL + (value - _EPOCH)


def to_iso(value: datetime) -> str:
    """Format like JavaScript's ``Date.prototype.toISOString()``: ``2024-01-01T00:00:00.000Z``."""
    value = normalize_datetime(value)
    # Not strftime: glibc's %Y does not zero-pad years before 1000 ("1-01-02"), which
    # fromisoformat then rejects, so such a row could be written but never read back.
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}T{value.hour:02d}:"
        f"{value.minute:02d}:{value.second:02d}.{value.microsecond // 1000:03d}Z"
    )


def parse_iso(value: str | datetime, *, field: str = "datetime") -> datetime:
    """Parse an ISO-8601 string as Mastra writes it (or a datetime) into aware UTC.

    Strings without an offset are read as UTC, which is what Mastra's SQLite rows mean
    (``'1970-01-01 00:00:00'`` defaults included).
    """
    if isinstance(value, datetime):
        return normalize_datetime(value, field=field)
    if not isinstance(value, str):
        raise ValidationError(
            f"{field} must be a datetime or an ISO-8601 string, got {type(value).__name__}",
            id="MASTRA_STORAGE_INVALID_DATETIME",
        )
    try:
        # Fast path for what Mastra and this SDK write (``2024-01-01T00:00:00.000Z``):
        # Python 3.11+ parses the ``Z`` itself, and the result is already normalised.
        parsed = datetime.fromisoformat(value)
    except (ValueError, TypeError):
        pass
    else:
        if parsed.tzinfo is UTC and not parsed.microsecond % 1000:
            return parsed
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(
            f"{field} is not an ISO-8601 timestamp: {value!r}",
            id="MASTRA_STORAGE_INVALID_DATETIME",
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return normalize_datetime(parsed, field=field)


def to_epoch_ms(value: datetime) -> int:
    """Milliseconds since the epoch (integer, exact for normalized datetimes)."""
    if type(value) is not datetime or value.tzinfo is not UTC or value.microsecond % 1000:
        value = normalize_datetime(value)  # inline check: called per row when paging
    delta = value - _EPOCH
    return delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000


#: Epoch milliseconds of the first and last instants a ``datetime`` can hold (UTC).
MIN_EPOCH_MS = (datetime(1, 1, 1, tzinfo=UTC) - _EPOCH) // timedelta(milliseconds=1)
MAX_EPOCH_MS = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - _EPOCH) // timedelta(
    milliseconds=1
)


def from_epoch_ms(ms: int) -> datetime:
    """The UTC datetime ``ms`` milliseconds after the epoch; :class:`ValidationError` when
    ``ms`` is not an int or falls outside years 1-9999 (a forged cursor, a corrupt row)."""
    if isinstance(ms, bool) or not isinstance(ms, int) or not MIN_EPOCH_MS <= ms <= MAX_EPOCH_MS:
        raise ValidationError(
            f"epoch milliseconds {ms!r:.40} are outside years 1-9999",
            id="MASTRA_STORAGE_INVALID_DATETIME",
        )
    return _EPOCH + timedelta(milliseconds=ms)


class _MonotonicClock:
    """A UTC millisecond clock that never returns the same value twice in one process.

    Mastra's tests (and its users) require ``updatedAt`` to be *strictly* greater after a
    write, and messages created in one batch to keep their order; two writes within one
    millisecond would otherwise tie.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_ms = 0

    def now(self) -> datetime:
        with self._lock:
            ms = time.time_ns() // 1_000_000
            if ms <= self._last_ms:
                ms = self._last_ms + 1
            self._last_ms = ms
        return from_epoch_ms(ms)

    def observe(self, value: datetime) -> None:
        """Make later ``now()`` values strictly greater than a stored timestamp."""
        ms = to_epoch_ms(value)
        with self._lock:
            if ms > self._last_ms:
                self._last_ms = ms


_clock = _MonotonicClock()


def utc_now() -> datetime:
    """Current time, UTC, millisecond precision, strictly increasing within the process."""
    return _clock.now()


def later_than(value: datetime) -> datetime:
    """``utc_now()``, but strictly after ``value`` (for ``updatedAt`` bumps)."""
    _clock.observe(value)
    return _clock.now()


__all__ = [
    "MAX_EPOCH_MS",
    "MIN_EPOCH_MS",
    "UTC",
    "from_epoch_ms",
    "later_than",
    "normalize_datetime",
    "parse_iso",
    "to_epoch_ms",
    "to_iso",
    "utc_now",
    "utc_wall",
]
