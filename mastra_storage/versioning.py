"""Version tokens for compare-and-set writes of workflow snapshots and working memory.

Why a *derived* token and not a version column: a Mastra TypeScript app shares the
database, so the layout must stay Mastra's (no new column or attribute). A version is
therefore computed from what is stored: ``"<updated_at in epoch ms>.<16 hex digits>"``,
the hex being a BLAKE2b digest of the canonical JSON (sorted keys) of the state that
matters (a run's snapshot and resource id; a resource's working memory and metadata).
Two consequences, both intended:

* any write changes the version, including one made by a Mastra app that knows nothing
  about versions (it changes the state or ``updated_at``), so it is detected too;
* two reads of the same stored state give the same token on every backend, so a
  compare-and-set on the token is a compare-and-set on the state: it can only let a write
  through when the stored state is exactly what the writer read (no lost update).

A version-checked write also moves ``updated_at`` forward by at least 1 ms
(:func:`next_updated_at`), so every such write changes the token even when it stores
identical content. :data:`NEW` is the version of "no such record": writing with
``expected_version=NEW`` creates and fails if the record exists.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

import msgspec

from .errors import ValidationError, VersionConflictError
from .timeutil import to_epoch_ms

#: The version of a record that does not exist: ``expected_version=NEW`` means create-only.
NEW: Final = "new"

_TOKEN = re.compile(r"^-?[0-9]{1,16}\.[0-9a-f]{16}\Z")
_ENCODER = msgspec.json.Encoder(order="sorted")
_ONE_MS = timedelta(milliseconds=1)


def _canonical_number(text: str) -> int | float:
    """One form per JSON number value: integral numbers become ints (``1.0`` -> ``1``,
    ``1e20`` -> ``100000000000000000000``). Why: PostgreSQL's ``jsonb`` rewrites numbers
    (``1e20`` comes back as an integer), and the token must not change on the way
    through a backend."""
    value = Decimal(text)
    if value.is_finite() and value == value.to_integral_value():
        return int(value)
    return float(text)


_NUMBERS = msgspec.json.Decoder(float_hook=_canonical_number)


def version_token(updated_at: datetime, *state: Any) -> str:
    """The version of a stored record: its ``updated_at`` and a digest of ``state``
    (canonical JSON: sorted keys, numbers by value)."""
    try:
        canonical = _ENCODER.encode(_NUMBERS.decode(_ENCODER.encode(state)))
    except RecursionError:
        # Only a record written by another client can nest this deep (ours stop at
        # MAX_JSON_DEPTH): a typed error for this record, not a crash.
        raise ValidationError(
            "the stored record nests too deeply to compute its version",
            id="MASTRA_STORAGE_RECORD_TOO_DEEP",
        ) from None
    digest = hashlib.blake2b(canonical, digest_size=8).hexdigest()
    return f"{to_epoch_ms(updated_at)}.{digest}"


def next_updated_at(previous: datetime | None, now: datetime) -> datetime:
    """``updated_at`` for a version-checked write: ``now``, but at least 1 ms after the
    stored value, so the new version always differs from the one the writer checked."""
    if previous is None:
        return now
    return max(now, previous + _ONE_MS)


def check_expected_version(value: object, *, operation: str) -> str | None:
    """Validate an ``expected_version`` argument before any I/O.

    ``None`` (no check), :data:`NEW`, or a token as returned by this library. Anything
    else is a caller bug (a token can never match a malformed string), so it is a
    :class:`ValidationError` rather than a conflict.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(
            f"expected_version must be a version string, NEW or None, got {type(value).__name__}",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
        )
    if value != NEW and not _TOKEN.match(value):
        raise ValidationError(
            f"expected_version {value[:64]!r} is not a version returned by this library",
            id=f"MASTRA_STORAGE_{operation}_INVALID_ARGS",
        )
    return value


def check_version(
    stored: str,
    expected: str | None,
    *,
    operation: str,
    details: Mapping[str, str] | None = None,
) -> None:
    """Raise :class:`VersionConflictError` unless ``stored`` is what the caller expected.

    Called inside an adapter's atomic read-modify-write, so the check and the write it
    guards see the same row. ``stored`` is :data:`NEW` when the record does not exist.
    """
    if expected is None or stored == expected:
        return
    if expected == NEW:
        message = "the record already exists (expected_version=NEW)"
    elif stored == NEW:
        message = "the record no longer exists"
    else:
        message = "the record was changed by another writer"
    raise VersionConflictError(
        f"version conflict: {message}",
        id=f"MASTRA_STORAGE_{operation}_VERSION_CONFLICT",
        details={**(details or {}), "expected_version": expected, "actual_version": stored},
    )


__all__ = [
    "NEW",
    "check_expected_version",
    "check_version",
    "next_updated_at",
    "version_token",
]
