"""Observability backend on PostgreSQL: ``mastra_ai_spans``, primary key (traceId, spanId).

``list_traces`` runs entirely in SQL, in one statement with its total: equality filters,
status, ``has_child_error`` as an ``EXISTS`` subquery, and ``scope``/``metadata``/``tags``
as ``jsonb @>`` containment (the semantics the core defines, which are PostgreSQL's).
PostgreSQL's default ``NULLS FIRST`` for ``DESC`` / ``NULLS LAST`` for ``ASC`` is exactly
the contract for ordering by ``ended_at`` (a null sorts as the largest value, so the keyset
condition reads it as ``'infinity'``).
"""

from __future__ import annotations

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

from .domain import PgBackend, PgContext
from .schema import SPANS, q
from .sqlutil import (
    Params,
    date_range_conditions,
    json_param,
    json_value,
    keyset_after,
    naive_opt,
    read_ts,
    read_ts_required,
)

_COLUMN_OF: dict[str, str] = dict(SPAN_FIELD_COLUMNS)
_FIELDS: tuple[tuple[str, str], ...] = SPAN_FIELD_COLUMNS
_JSON = SPANS.json_columns
_DATETIMES = frozenset(Span._datetime_fields)
_KNOWN = set(SPANS.all_column_names())
assert all(column in _KNOWN for _, column in _FIELDS), "Span field without a column"


def _select_list(alias: str) -> str:
    parts = []
    for name, column in _FIELDS:
        parts.append(f"{alias}.{q(column)}")
        if name in _DATETIMES:
            parts.append(f"{alias}.{q(column + 'Z')}")
    return ", ".join(parts)


# Insert columns: every field, and the Z twin of every timestamp.
_INSERT_COLUMNS: list[str] = []
for _name, _column in _FIELDS:
    _INSERT_COLUMNS.append(_column)
    if _name in _DATETIMES:
        _INSERT_COLUMNS.append(_column + "Z")


def _encode(name: str, value: Any) -> list[Any]:
    """The parameter(s) of one field: timestamps give two (wall time and instant)."""
    column = _COLUMN_OF[name]
    if column in _JSON:
        return [json_param(value)]
    if name in _DATETIMES:
        return [naive_opt(value), value]
    return [value]


def span_params(span: Span) -> list[Any]:
    out: list[Any] = []
    for name, _ in _FIELDS:
        out.extend(_encode(name, getattr(span, name)))
    return out


def span_from_row(row: Any) -> Span:
    values: dict[str, Any] = {}
    index = 0
    for name, column in _FIELDS:
        raw = row[index]
        if name in _DATETIMES:
            zoned = row[index + 1]
            index += 2
            values[name] = (
                read_ts_required(zoned, raw) if name == "started_at" else read_ts(zoned, raw)
            )
            continue
        index += 1
        if column in _JSON:
            values[name] = json_value(raw)
        elif name == "is_event":
            values[name] = bool(raw)
        else:
            values[name] = raw
    return Span(**values)


class PgObservabilityBackend(PgBackend, ObservabilityBackend):
    """Spans in ``mastra_ai_spans``; each method is one statement or one transaction,
    and errors are typed (:mod:`.errors`)."""

    tables = (TABLE_SPANS,)

    def __init__(self, ctx: PgContext) -> None:
        super().__init__(ctx)
        table = self.t(TABLE_SPANS)
        self._table = table
        self._columns = _select_list("s")
        json_cols = {c for c in _INSERT_COLUMNS if c in _JSON}
        values = [
            f"${i}::jsonb" if col in json_cols else f"${i}"
            for i, col in enumerate(_INSERT_COLUMNS, 1)
        ]
        updates = ", ".join(
            f"{q(c)} = EXCLUDED.{q(c)}"
            for c in _INSERT_COLUMNS
            if c not in ("traceId", "spanId", "createdAt", "createdAtZ")
        )
        self._upsert_sql = (
            f"INSERT INTO {table} ({', '.join(q(c) for c in _INSERT_COLUMNS)}) "
            f'VALUES ({", ".join(values)}) ON CONFLICT ("traceId", "spanId") DO UPDATE SET '
            f"{updates}"
        )
        self._child_error = (
            f'EXISTS (SELECT 1 FROM {table} c WHERE c."traceId" = s."traceId" '
            "AND c.error IS NOT NULL)"
        )

    async def upsert_spans(self, spans: list[Span]) -> None:
        """One upsert, or one transaction of upserts for a batch (keeps ``createdAt``)."""
        rows = [span_params(s) for s in spans]
        if len(rows) == 1:
            await self._db.execute("createSpan", self._upsert_sql, *rows[0])
            return
        async with self._db.transaction("batchCreateSpans") as tx:
            await tx.executemany(self._upsert_sql, rows)

    async def get_span(self, trace_id: str, span_id: str) -> Span | None:
        """The span with this key, or ``None``."""
        row = await self._db.fetchrow(
            "getSpan",
            f'SELECT {self._columns} FROM {self._table} s WHERE s."traceId" = $1 '
            'AND s."spanId" = $2',
            trace_id,
            span_id,
        )
        return None if row is None else span_from_row(row)

    async def get_root_span(self, trace_id: str) -> Span | None:
        """The trace's root span (the earliest created, if several), or ``None``."""
        row = await self._db.fetchrow(
            "getRootSpan",
            f'SELECT {self._columns} FROM {self._table} s WHERE s."traceId" = $1 '
            'AND s."parentSpanId" IS NULL ORDER BY s."createdAt" ASC, s."spanId" ASC LIMIT 1',
            trace_id,
        )
        return None if row is None else span_from_row(row)

    async def get_trace_spans(self, trace_id: str) -> list[Span]:
        """Every span of the trace by ``startedAt``, ties by span id."""
        rows = await self._db.fetch(
            "getTrace",
            f'SELECT {self._columns} FROM {self._table} s WHERE s."traceId" = $1 '
            'ORDER BY s."startedAt" ASC, s."spanId" ASC',
            trace_id,
        )
        return [span_from_row(r) for r in rows]

    async def update_spans(self, updates: list[SpanUpdate], now: datetime) -> None:
        """One ``UPDATE`` per span, in one transaction for a batch."""
        statements: list[tuple[str, list[Any]]] = []
        for update in updates:
            p = Params()
            sets = []
            for name, value in update.changes.items():
                column = _COLUMN_OF[name]
                encoded = _encode(name, value)
                if name in _DATETIMES:
                    sets.append(f"{q(column)} = {p.add(encoded[0], '::timestamp')}")
                    sets.append(f"{q(column + 'Z')} = {p.add(encoded[1], '::timestamptz')}")
                elif column in _JSON:
                    sets.append(f"{q(column)} = {p.add(encoded[0], '::jsonb')}")
                else:
                    sets.append(f"{q(column)} = {p.add(encoded[0])}")
            now_params = _encode("updated_at", now)
            sets.append(f'"updatedAt" = {p.add(now_params[0], "::timestamp")}')
            sets.append(f'"updatedAtZ" = {p.add(now_params[1], "::timestamptz")}')
            where = f'"traceId" = {p.add(update.trace_id)} AND "spanId" = {p.add(update.span_id)}'
            statements.append(
                (f"UPDATE {self._table} SET {', '.join(sets)} WHERE {where}", p.values)
            )
        if len(statements) == 1:
            await self._db.execute("updateSpan", statements[0][0], *statements[0][1])
            return
        async with self._db.transaction("batchUpdateSpans") as tx:
            for sql, params in statements:
                await tx.execute(sql, *params)

    async def delete_traces(self, trace_ids: list[str]) -> None:
        """One ``DELETE`` of every span of these traces."""
        await self._db.execute(
            "batchDeleteTraces",
            f'DELETE FROM {self._table} WHERE "traceId" = ANY($1::text[])',
            trace_ids,
        )

    async def query_traces(self, query: TraceQuery) -> tuple[list[Span], int]:
        """One statement: the keyset/offset page of root spans (up to ``limit + 1``) and,
        when ``query.count``, the filtered total."""
        f = query.filter
        p = Params()
        where = ['s."parentSpanId" IS NULL']
        for name in TRACE_EQUALITY_FILTERS:
            value = getattr(f, name)
            if value is not None:
                where.append(f"s.{q(_COLUMN_OF[name])} = {p.add(value)}")
        where.extend(date_range_conditions('s."startedAt"', query.started_range, p))
        if query.ended_range is not None:
            where.append('s."endedAt" IS NOT NULL')
            where.extend(date_range_conditions('s."endedAt"', query.ended_range, p))
        if f.status is not None:
            where.append(TRACE_STATUS_SQL[f.status])
        if f.has_child_error is not None:
            where.append(self._child_error if f.has_child_error else f"NOT {self._child_error}")
        for column, wanted in (
            ("scope", f.scope),
            ("metadata", f.metadata),
            ("tags", None if f.tags is None else list(f.tags)),
        ):
            if wanted is not None:
                where.append(f"s.{q(column)} @> {p.add(json_param(wanted), '::jsonb')}")
        d = query.direction
        column = '"startedAt"' if query.order_field == "started_at" else '"endedAt"'
        after = None
        if query.after is not None:
            time_sql = (
                's."startedAt"'
                if query.order_field == "started_at"
                else "COALESCE(s.\"endedAt\", 'infinity'::timestamp)"
            )
            after = keyset_after(
                time_sql,
                's."traceId"',
                query.after,
                p,
                descending=d == "DESC",
                null_key=NULL_TIME_KEY,
            )
        rows, total = await self.fetch_page(
            "listTraces",
            p,
            select=self._columns,
            source=f"{self._table} s",
            where=where,
            after=after,
            order_sql=f' ORDER BY s.{column} {d}, s."traceId" {d}',
            limit=query.limit,
            offset=query.offset,
            count=query.count,
        )
        return [span_from_row(r[1:]) for r in rows], total


__all__ = ["PgObservabilityBackend"]
