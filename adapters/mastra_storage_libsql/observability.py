"""Observability domain on SQLite: ``mastra_ai_spans``, unique on (spanId, traceId).

``list_traces`` runs in SQL: root spans, equality filters, status, ``has_child_error`` as an
``EXISTS`` subquery, and JSON containment for ``scope``/``metadata``/``tags`` compiled to
``json_type``/``json_extract``/``json_each`` conditions (strictly typed: ``True`` is not
``1``). Only a filter key SQLite's JSON paths cannot address (one containing ``"``) makes
the query fall back to filtering in Python; ``total`` and paging are exact either way.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from mastra_storage.backend.observability import (
    NULL_TIME_KEY,
    TRACE_EQUALITY_FILTERS,
    ObservabilityBackend,
    SpanUpdate,
    TraceQuery,
)
from mastra_storage.layout import SPAN_FIELD_COLUMNS, TABLE_SPANS
from mastra_storage.records import Span
from mastra_storage.sqltext import TRACE_STATUS_SQL
from mastra_storage.timeutil import from_epoch_ms

from .domain import Keyset, LibSQLDomain, PageStatement, row_values
from .schema import SPANS
from .sqlutil import (
    date_range_conditions,
    in_list,
    json_param,
    json_read,
    json_source,
    q,
    ts,
    ts_opt,
)
from .tx import Tx

_COLUMN_OF: dict[str, str] = dict(SPAN_FIELD_COLUMNS)
_FIELDS = SPAN_FIELD_COLUMNS
_JSON = SPANS.json_columns
_DATETIMES = frozenset(Span._datetime_fields)
_COLUMN_NAMES = {c.name for c in SPANS.all_columns}
assert all(column in _COLUMN_NAMES for _, column in _FIELDS), "Span field without a column"


def _span_columns(alias: str) -> str:
    return ", ".join(
        json_read(col, alias) if col in _JSON else f"{alias}.{q(col)}" for _, col in _FIELDS
    )


SPAN_COLUMNS = _span_columns("s")
_INSERT_COLUMNS = ", ".join(q(col) for _, col in _FIELDS)
_INSERT_VALUES = ", ".join("jsonb(?)" if col in _JSON else "?" for _, col in _FIELDS)
_UPDATE_ON_CONFLICT = ", ".join(
    f"{q(col)} = excluded.{q(col)}"
    for _, col in _FIELDS
    if col not in ("traceId", "spanId", "createdAt")
)
# Re-creating a span replaces every field but keeps the stored createdAt (and the row).
UPSERT_SPAN = (
    f"INSERT INTO {TABLE_SPANS} ({_INSERT_COLUMNS}) VALUES ({_INSERT_VALUES}) "
    f'ON CONFLICT("spanId", "traceId") DO UPDATE SET {_UPDATE_ON_CONFLICT}'
)
_CHILD_ERROR = (
    f'EXISTS (SELECT 1 FROM {TABLE_SPANS} c WHERE c."traceId" = s."traceId" '
    "AND c.error IS NOT NULL)"
)


def _encode(name: str, value: Any) -> Any:
    column = _COLUMN_OF[name]
    if column in _JSON:
        return json_param(value)
    if name in _DATETIMES:
        return ts_opt(value)
    if isinstance(value, bool):
        return int(value)
    return value


def span_params(span: Span) -> list[Any]:
    return [_encode(name, getattr(span, name)) for name, _ in _FIELDS]


def span_from_row(row: tuple[Any, ...]) -> Span:
    return Span(
        **row_values(
            _FIELDS, row, json_columns=_JSON, datetimes=_DATETIMES, convert={"is_event": bool}
        )
    )


# --------------------------------------------------------------------------- JSON containment


class _Unsupported(Exception):
    """A filter SQLite JSON paths cannot express; the caller filters in Python instead."""


class _Path:
    """A JSON path as SQL: a literal (``'$."a"'``) or an element's ``fullkey`` plus a suffix."""

    def __init__(self, base: str | None, suffix: str) -> None:
        self.base = base
        self.suffix = suffix

    def child(self, key: str) -> _Path:
        if not isinstance(key, str) or '"' in key:
            raise _Unsupported(key)
        return _Path(self.base, f'{self.suffix}."{key}"')

    def sql(self) -> tuple[str, list[Any]]:
        if self.base is None:
            return "?", ["$" + self.suffix]
        if not self.suffix:
            return self.base, []
        return f"({self.base} || ?)", [self.suffix]


def _contains(
    column: str, path: _Path, wanted: Any, aliases: Iterator[int]
) -> tuple[str, list[Any]]:
    """SQL for "the JSON at ``column``/``path`` contains ``wanted``" (PostgreSQL ``@>``
    semantics, as :func:`mastra_storage.backend.observability.trace_matches`)."""
    path_sql, path_params = path.sql()
    type_sql = f"json_type({column}, {path_sql})"
    if isinstance(wanted, dict):
        parts = [f"{type_sql} = 'object'"]
        params = list(path_params)
        for key, value in wanted.items():
            sql, sub = _contains(column, path.child(key), value, aliases)
            parts.append(sql)
            params.extend(sub)
        return "(" + " AND ".join(parts) + ")", params
    if isinstance(wanted, (list, tuple)):
        parts = [f"{type_sql} = 'array'"]
        params = list(path_params)
        for item in wanted:
            alias = f"e{next(aliases)}"
            sql, sub = _contains(column, _Path(f"{alias}.fullkey", ""), item, aliases)
            parts.append(
                f"EXISTS (SELECT 1 FROM json_each({column}, {path_sql}) {alias} WHERE {sql})"
            )
            params.extend(path_params)
            params.extend(sub)
        return "(" + " AND ".join(parts) + ")", params
    if wanted is None:
        return f"{type_sql} = 'null'", list(path_params)
    if isinstance(wanted, bool):
        return f"{type_sql} = ?", [*path_params, "true" if wanted else "false"]
    if isinstance(wanted, (int, float)):
        return (
            f"({type_sql} IN ('integer', 'real') AND json_extract({column}, {path_sql}) = ?)",
            [*path_params, *path_params, wanted],
        )
    if isinstance(wanted, str):
        return (
            f"({type_sql} = 'text' AND json_extract({column}, {path_sql}) = ?)",
            [*path_params, *path_params, wanted],
        )
    raise _Unsupported(type(wanted).__name__)


def _trace_where(query: TraceQuery, *, json_in_sql: bool) -> tuple[list[str], list[Any]]:
    f = query.filter
    where = ['s."parentSpanId" IS NULL']
    params: list[Any] = []
    for name in TRACE_EQUALITY_FILTERS:
        value = getattr(f, name)
        if value is not None:
            where.append(f"s.{q(_COLUMN_OF[name])} = ?")
            params.append(value)
    if query.started_range is not None:
        sub_where, sub_params = date_range_conditions('s."startedAt"', query.started_range)
        where.extend(sub_where)
        params.extend(sub_params)
    if query.ended_range is not None:
        where.append('s."endedAt" IS NOT NULL')
        sub_where, sub_params = date_range_conditions('s."endedAt"', query.ended_range)
        where.extend(sub_where)
        params.extend(sub_params)
    if f.status is not None:
        where.append(TRACE_STATUS_SQL[f.status])
    if f.has_child_error is not None:
        where.append(_CHILD_ERROR if f.has_child_error else f"NOT {_CHILD_ERROR}")
    if json_in_sql:
        aliases = itertools.count(1)
        for column, wanted in (
            ("scope", f.scope),
            ("metadata", f.metadata),
            ("tags", None if f.tags is None else list(f.tags)),
        ):
            if wanted is not None:
                source = json_source(f"s.{q(column)}")
                sql, sub = _contains(source, _Path(None, ""), wanted, aliases)
                where.append(sql)
                params.extend(sub)
    return where, params


def _trace_order(query: TraceQuery) -> str:
    # Every key in one direction, so the partial root-span indexes deliver the order.
    d = query.direction
    if query.order_field == "started_at":
        return f' ORDER BY s."startedAt" {d}, s."traceId" {d}, s.rowid {d}'
    # ended_at: running traces (NULL) first for DESC, last for ASC
    return f' ORDER BY (s."endedAt" IS NULL) {d}, s."endedAt" {d}, s."traceId" {d}, s.rowid {d}'


def _trace_after(query: TraceQuery) -> Keyset | None:
    """The roots strictly after ``query.after`` in the listing's order
    (order field, then trace id, both in ``query.direction``; a null ``endedAt`` sorts as
    the largest value, :data:`NULL_TIME_KEY`)."""
    cursor = query.after
    if cursor is None:
        return None
    op = "<" if query.direction == "DESC" else ">"
    tie = str(cursor.tie)
    if query.order_field == "started_at":
        return f'(s."startedAt", s."traceId") {op} (?, ?)', [
            ts(from_epoch_ms(cursor.key)),
            tie,
        ]
    after_value = f'(s."endedAt" IS NOT NULL AND (s."endedAt", s."traceId") {op} (?, ?))'
    if cursor.key == NULL_TIME_KEY:
        # The cursor is on a running trace: later running traces by id, then (DESC) every
        # finished one.
        running = f'(s."endedAt" IS NULL AND s."traceId" {op} ?)'
        if query.direction == "DESC":
            return f'({running} OR s."endedAt" IS NOT NULL)', [tie]
        return running, [tie]
    ended = ts(from_epoch_ms(cursor.key))
    if query.direction == "DESC":
        return after_value, [ended, tie]
    return f'({after_value} OR s."endedAt" IS NULL)', [ended, tie]


class LibSQLObservabilityBackend(LibSQLDomain, ObservabilityBackend):
    """AI-tracing spans in ``mastra_ai_spans``. Every write is one ``BEGIN IMMEDIATE``
    transaction (a batch of spans or updates included); ``query_traces`` is one read
    transaction (count and page see one snapshot). Driver errors surface as
    :func:`~mastra_storage_libsql.errors.translate` says."""

    tables = (TABLE_SPANS,)

    async def upsert_spans(self, spans: list[Span]) -> None:
        rows = [span_params(s) for s in spans]

        def job(tx: Tx) -> None:
            if len(rows) == 1:
                tx.execute(UPSERT_SPAN, rows[0])
            else:
                tx.executemany(UPSERT_SPAN, rows)

        await self.db.run("createSpan" if len(rows) == 1 else "batchCreateSpans", job)

    async def get_span(self, trace_id: str, span_id: str) -> Span | None:
        return await self.read_one(
            "getSpan",
            f'SELECT {SPAN_COLUMNS} FROM {TABLE_SPANS} s WHERE s."traceId" = ? AND s."spanId" = ?',
            (trace_id, span_id),
            span_from_row,
        )

    async def get_root_span(self, trace_id: str) -> Span | None:
        return await self.read_one(
            "getRootSpan",
            f'SELECT {SPAN_COLUMNS} FROM {TABLE_SPANS} s WHERE s."traceId" = ? '
            'AND s."parentSpanId" IS NULL ORDER BY s.rowid LIMIT 1',
            (trace_id,),
            span_from_row,
        )

    async def get_trace_spans(self, trace_id: str) -> list[Span]:
        def job(tx: Tx) -> list[Span]:
            rows = tx.fetchall(
                f'SELECT {SPAN_COLUMNS} FROM {TABLE_SPANS} s WHERE s."traceId" = ? '
                'ORDER BY s."startedAt" ASC, s."spanId" ASC',
                (trace_id,),
            )
            return [span_from_row(r) for r in rows]

        return await self.db.run("getTrace", job, mode="none")

    async def update_spans(self, updates: list[SpanUpdate], now: datetime) -> None:
        now_text = ts(now)
        statements: list[tuple[str, list[Any]]] = []
        for update in updates:
            sets = []
            params: list[Any] = []
            for name, value in update.changes.items():
                column = _COLUMN_OF[name]
                sets.append(f"{q(column)} = jsonb(?)" if column in _JSON else f"{q(column)} = ?")
                params.append(_encode(name, value))
            sets.append('"updatedAt" = ?')
            params.extend([now_text, update.trace_id, update.span_id])
            statements.append(
                (
                    f"UPDATE {TABLE_SPANS} SET {', '.join(sets)} "
                    'WHERE "traceId" = ? AND "spanId" = ?',
                    params,
                )
            )

        def job(tx: Tx) -> None:
            for sql, params in statements:
                tx.execute(sql, params)

        await self.db.run("updateSpan" if len(updates) == 1 else "batchUpdateSpans", job)

    async def delete_traces(self, trace_ids: list[str]) -> None:
        clause, params = in_list('"traceId"', trace_ids)

        def job(tx: Tx) -> None:
            tx.execute(f"DELETE FROM {TABLE_SPANS} WHERE {clause}", params)

        await self.db.run("batchDeleteTraces", job)

    async def query_traces(self, query: TraceQuery) -> tuple[list[Span], int]:
        try:
            where, params = _trace_where(query, json_in_sql=True)
            in_python = False
        except _Unsupported:
            where, params = _trace_where(query, json_in_sql=False)
            in_python = True
        where_sql = " WHERE " + " AND ".join(where)
        order = _trace_order(query)

        if in_python:

            def job(tx: Tx) -> tuple[list[Span], int]:
                rows = tx.fetchall(
                    f"SELECT {SPAN_COLUMNS}, {_CHILD_ERROR} FROM {TABLE_SPANS} s{where_sql}",
                    params,
                )
                roots = [span_from_row(r) for r in rows]
                errored = {span.trace_id for span, row in zip(roots, rows, strict=True) if row[-1]}
                return query.execute(roots, errored)

            return await self.db.run("listTraces", job, mode="none")
        return await self.read_listing(
            "listTraces",
            query,
            PageStatement(
                SPAN_COLUMNS,
                f"{TABLE_SPANS} s",
                where,
                params,
                _trace_after(query),
                order,
                span_from_row,
            ),
        )


__all__ = ["LibSQLObservabilityBackend"]
