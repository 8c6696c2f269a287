"""The one paging contract every ``query_*`` method of a backend follows, and its reference.

Every query type (threads, messages, workflow runs, scores, traces) carries the same four
paging fields:

* ``after``: a keyset position (:class:`~mastra_storage.pagination.Cursor`: the sort key in
  epoch milliseconds and the tie-break of the last row of the previous page); only rows
  strictly after it in the query's order are returned. ``None``: from the start.
* ``offset``: rows to skip (after ``after``; the core never sends both).
* ``limit``: the page size. A backend returns up to ``limit + 1`` rows so the core can tell
  whether more follow without counting; ``None`` means every row. ``0`` follows the same
  rule (at most the one extra row: whether any row exists), except in a
  :class:`~mastra_storage.backend.memory.MessageQuery`, where ``0`` skips the main set and
  only the include windows are read.
* ``count``: whether the caller wants the total of the filtered set (ignoring ``after``,
  ``offset`` and ``limit``); when false a backend returns 0 and skips the count, which is
  the dearest part of a small page.

A query's order is "primary key (epoch ms) in ``descending`` order, then the tie-break",
with the tie-break ascending unless the query says otherwise (``tie_descending``).
:func:`run_page` executes that contract over rows already in Python: it is the reference the
in-memory backend uses, and what an adapter that filters in Python (a key-value store) calls
instead of writing the routine again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from ..pagination import Cursor

T = TypeVar("T")

#: The sort key of a row as a cursor sees it: ``(epoch ms, tie-break)``.
PageKey = tuple[int, Any]


class PageRequest(Protocol):
    """The four paging fields every query type carries (see the module docstring), so an
    adapter's one page-reading helper can take any query."""

    @property
    def after(self) -> Cursor | None: ...

    @property
    def offset(self) -> int: ...

    @property
    def limit(self) -> int | None: ...

    @property
    def count(self) -> bool: ...


def is_after(
    key: PageKey, cursor: Cursor | None, *, descending: bool, tie_descending: bool | None = None
) -> bool:
    """Whether a row with sort key ``key`` comes strictly after ``cursor`` in the order
    "primary ``descending``, then tie ``tie_descending`` (default: same as primary)"."""
    if cursor is None:
        return True
    tie_desc = descending if tie_descending is None else tie_descending
    ms, tie = key
    if ms != cursor.key:
        return ms < cursor.key if descending else ms > cursor.key
    if tie == cursor.tie:
        return False
    return bool(tie < cursor.tie) if tie_desc else bool(tie > cursor.tie)


def sort_rows(
    rows: Iterable[T],
    key: Callable[[T], PageKey],
    *,
    descending: bool,
    tie_descending: bool | None = None,
) -> list[T]:
    """``rows`` in the order of a query (primary ``descending``, tie ``tie_descending``)."""
    tie_desc = descending if tie_descending is None else tie_descending
    if tie_desc == descending:  # the usual order: one sort on the whole key, one key per row
        return sorted(rows, key=key, reverse=descending)
    ordered = sorted(rows, key=lambda row: key(row)[1], reverse=tie_desc)
    ordered.sort(key=lambda row: key(row)[0], reverse=descending)  # stable: keeps ties
    return ordered


def run_page(
    rows: Iterable[T],
    *,
    key: Callable[[T], PageKey],
    descending: bool,
    after: Cursor | None,
    offset: int,
    limit: int | None,
    count: bool,
    tie_descending: bool | None = None,
) -> tuple[list[T], int]:
    """The reference executor: sort the (already filtered) ``rows``, count them when
    ``count``, cut after the cursor, skip ``offset`` and return up to ``limit + 1`` rows
    with the total (0 when not counted)."""
    ordered = sort_rows(rows, key, descending=descending, tie_descending=tie_descending)
    total = len(ordered) if count else 0
    if after is not None:
        ordered = [
            row
            for row in ordered
            if is_after(key(row), after, descending=descending, tie_descending=tie_descending)
        ]
    end = None if limit is None else offset + limit + 1
    return ordered[offset:end], total


def cut_page(rows: list[T], limit: int | None) -> tuple[list[T], bool]:
    """A backend's ``limit + 1`` rows as ``(page, more rows follow)``."""
    if limit is None or len(rows) <= limit:
        return rows, False
    return rows[:limit], True


__all__ = ["PageKey", "PageRequest", "cut_page", "is_after", "run_page", "sort_rows"]
