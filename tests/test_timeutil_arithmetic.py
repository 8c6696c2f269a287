"""Datetime conversions on the write path computed by arithmetic instead of
``datetime.replace`` (issue 19): the same values as the plain definitions, edges included."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mastra_storage.errors import ValidationError
from mastra_storage.timeutil import UTC, normalize_datetime, utc_wall

_OFFSETS = st.integers(min_value=-23 * 60 + 1, max_value=23 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
#: Aware datetimes whose UTC instant is representable (the definition's own domain).
_AWARE = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=_OFFSETS | st.just(UTC)
)


def _reference(value: datetime) -> datetime:
    value = value.astimezone(UTC)
    return value.replace(microsecond=value.microsecond - value.microsecond % 1000)


@given(_AWARE)
def test_normalize_is_the_definition(value: datetime) -> None:
    got = normalize_datetime(value)
    assert got == _reference(value)
    assert got.tzinfo is UTC and got.microsecond % 1000 == 0


@given(_AWARE)
def test_utc_wall_is_the_utc_wall_time(value: datetime) -> None:
    got = utc_wall(value)
    assert got.tzinfo is None
    assert got == value.astimezone(UTC).replace(tzinfo=None)


@pytest.mark.parametrize(
    "value",
    [
        datetime.min.replace(microsecond=999, tzinfo=UTC),
        datetime.max.replace(tzinfo=UTC),
        datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
    ],
)
def test_edges_of_the_range(value: datetime) -> None:
    assert normalize_datetime(value) == _reference(value)
    assert utc_wall(normalize_datetime(value)) == _reference(value).replace(tzinfo=None)


def test_naive_and_unrepresentable_values_are_refused() -> None:
    with pytest.raises(ValidationError, match="naive"):
        normalize_datetime(datetime(2024, 1, 1, 0, 0, 0, 1))
    with pytest.raises(ValidationError, match="outside the datetime range"):
        normalize_datetime(datetime(1, 1, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(hours=5))))
