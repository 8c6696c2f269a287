"""The domain side of the one paging contract: a page request in, a :class:`Page` out.

Every ``list_*`` method of the workflows, scores and observability domains pages the same
way as ``list_threads``: ``page``/``per_page`` offsets, or a ``cursor`` (a previous page's
``next_cursor``) that continues after the last row by key, so concurrent inserts never
shift or repeat a row; ``include_total=False`` skips the count. The backend returns up to
``limit + 1`` rows (:mod:`mastra_storage.backend.paging`), so ``has_more`` never needs the
count.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import msgspec

from ..backend.paging import PageKey, cut_page
from ..codec import dumps
from ..pagination import (
    Cursor,
    Direction,
    Page,
    decode_cursor,
    encode_cursor,
    page_window,
    validate_page_args,
)
from ..validation import check_bool

T = TypeVar("T")
Q = TypeVar("Q", bound=msgspec.Struct)

#: ``run(offset, limit, after, count)``: the backend query for one page.
PageRunner = Callable[[int, "int | None", "Cursor | None", bool], Awaitable[tuple[list[T], int]]]


def cursor_scope(*parts: Any) -> str:
    """A fingerprint of a query's filters and order: a cursor only continues its own query."""
    return _scope_of(dumps(list(parts)))


@functools.lru_cache(maxsize=1024)
def _scope_of(query: str) -> str:
    # Cached: a page read repeats the same query, and uuid5 was ~40% of list_threads' own
    # Python time. The value never changes, so issued cursors stay valid.
    return str(uuid.uuid5(uuid.NAMESPACE_OID, query))


async def fetch_page(
    run: PageRunner[T],
    *,
    page: int,
    per_page: int | None,
    cursor: str | None,
    include_total: bool,
    scope: str,
    key: Callable[[T], PageKey],
    direction: Direction,
    tie_kind: type[int] | type[str] = str,
    operation: str,
) -> Page[T]:
    """One page through ``run``, with ``has_more`` from the extra row and a
    ``next_cursor`` from the last row's key. Raises ``ValidationError`` for a malformed
    cursor or one issued for another query (before any I/O)."""
    check_bool(include_total, field="include_total", operation=operation)
    after = (
        decode_cursor(cursor, scope=scope, tie_kind=tie_kind)
        if cursor is not None and cursor != ""
        else None
    )
    window = page_window(page, per_page)
    rows, total = await run(0 if after else window.offset, window.limit, after, include_total)
    items, more = cut_page(rows, window.limit)
    next_cursor = None
    if more and items:
        ms, tie = key(items[-1])
        next_cursor = encode_cursor(Cursor(ms, tie, direction, scope))
    return Page(
        items=items,
        total=total if include_total else None,
        page=page,
        per_page=per_page,
        has_more=more,
        next_cursor=next_cursor,
    )


async def page_query(
    execute: Callable[[Q], Awaitable[tuple[list[T], int]]],
    query: Q,
    *,
    scope: tuple[Any, ...],
    key: Callable[[T], PageKey],
    direction: Direction,
    page: int,
    per_page: int | None,
    cursor: str | None,
    include_total: bool,
    operation: str,
) -> Page[T]:
    """One page of a backend query struct (one with ``offset``, ``limit``, ``after`` and
    ``count`` fields, as every ``*Query`` of :mod:`mastra_storage.backend`): validates the
    paging arguments, then runs ``execute`` on a copy of ``query`` carrying the page window.

    The cursor is scoped to ``scope`` (the domain, and a kind when it lists several) plus
    the query's filters and ``per_page``, so a cursor only continues its own listing.
    """
    validate_page_args(page, per_page, operation=operation)

    async def run(
        offset: int, limit: int | None, after: Cursor | None, count: bool
    ) -> tuple[list[T], int]:
        return await execute(
            msgspec.structs.replace(query, offset=offset, limit=limit, after=after, count=count)
        )

    return await fetch_page(
        run,
        page=page,
        per_page=per_page,
        cursor=cursor,
        include_total=include_total,
        scope=cursor_scope(*scope, msgspec.to_builtins(query), per_page),
        key=key,
        direction=direction,
        operation=operation,
    )


__all__ = ["cursor_scope", "fetch_page", "page_query"]
