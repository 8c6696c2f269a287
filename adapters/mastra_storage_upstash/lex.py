"""Lexicographic range bounds (``[x``, ``(x``, ``-``, ``+``) for ``ZRANGE ... BYLEX``.

Index members start with a fixed-width time (:func:`keys.ms_text`), so a date bound is a
prefix bound and a cursor is a member bound; several bounds combine into the tightest one.
"""

from __future__ import annotations

from datetime import datetime

from .keys import datetime_us, ms_text

LOWEST = "-"
HIGHEST = "+"


def _ceil_ms(value: datetime) -> int:
    return -((-datetime_us(value)) // 1000)


def _floor_ms(value: datetime) -> int:
    return datetime_us(value) // 1000


def lower_from_date(start: datetime, exclusive: bool) -> str:
    """Members whose time is >= ``start`` (> when ``exclusive``)."""
    ms = _floor_ms(start) + 1 if exclusive else _ceil_ms(start)
    return "[" + ms_text(ms)


def upper_from_date(end: datetime, exclusive: bool) -> str:
    """Members whose time is <= ``end`` (< when ``exclusive``)."""
    ms = _ceil_ms(end) if exclusive else _floor_ms(end) + 1
    return "(" + ms_text(ms)


def tighter_lower(a: str, b: str) -> str:
    if a == LOWEST:
        return b
    if b == LOWEST:
        return a
    if a[1:] != b[1:]:
        return a if a[1:] > b[1:] else b
    return a if a[0] == "(" else b


def tighter_upper(a: str, b: str) -> str:
    if a == HIGHEST:
        return b
    if b == HIGHEST:
        return a
    if a[1:] != b[1:]:
        return a if a[1:] < b[1:] else b
    return a if a[0] == "(" else b


def after_member(member_prefix: str) -> str:
    """Lower bound: strictly after every member starting with ``member_prefix + ':'``."""
    return "(" + member_prefix + ";"


def before_member(member_prefix: str) -> str:
    """Upper bound: strictly before every member starting with ``member_prefix + ':'``."""
    return "(" + member_prefix + ":"


def empty(lower: str, upper: str) -> bool:
    """Whether the range certainly holds nothing (saves a round trip)."""
    if lower == LOWEST or upper == HIGHEST:
        return False
    if lower[1:] > upper[1:]:
        return True
    return lower[1:] == upper[1:] and (lower[0] == "(" or upper[0] == "(")


__all__ = [
    "HIGHEST",
    "LOWEST",
    "after_member",
    "before_member",
    "empty",
    "lower_from_date",
    "tighter_lower",
    "tighter_upper",
    "upper_from_date",
]
