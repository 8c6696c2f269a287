"""Observability domain on MongoDB: ``mastra_ai_spans``, one camelCase document per span.

``startedAt``/``endedAt``/``createdAt``/``updatedAt`` are BSON dates, as
``@mastra/mongodb`` 1.19.0 writes them (older releases wrote ISO strings, which are still
read). Simple trace listings (equality filters, date ranges, status, ordered by
``startedAt``) run entirely on the server; JSON-containment filters (scope, metadata,
tags), ``has_child_error`` and ordering by ``endedAt`` (nulls as the largest value) finish
in Python over the matching root spans.
"""

from __future__ import annotations

from datetime import datetime

from pymongo import UpdateOne

from mastra_storage.backend.observability import (
    TRACE_EQUALITY_FILTERS,
    ObservabilityBackend,
    SpanUpdate,
    TraceQuery,
)
from mastra_storage.layout import SPAN_FIELD_COLUMNS, SPANS, TABLE_SPANS
from mastra_storage.records import Span

from .connection import Document, Session
from .documents import (
    and_filters,
    date_range_filter,
    eq,
    plain,
    read_optional_date,
)
from .domain import MongoDomain
from .schema import SPAN_INDEXES

_FIELD_NAMES: dict[str, str] = dict(SPAN_FIELD_COLUMNS)
_DATE_FIELDS = SPANS.timestamp_columns
_STATUS_FILTERS: dict[str, Document] = {
    "error": {"error": {"$ne": None}},
    "running": {"error": None, "endedAt": None},
    "success": {"error": None, "endedAt": {"$ne": None}},
}


def span_doc(span: Span) -> Document:
    doc = span.to_dict()
    for attr in ("started_at", "ended_at", "created_at", "updated_at"):
        doc[_FIELD_NAMES[attr]] = getattr(span, attr)
    return doc


def span_from_doc(doc: Document) -> Span:
    data = {k: v if k in _DATE_FIELDS else plain(v) for k, v in doc.items() if k != "_id"}
    for name in _DATE_FIELDS:
        data[name] = read_optional_date(data.get(name), field=name)
    return Span.from_dict(data)


class MongoObservabilityBackend(MongoDomain, ObservabilityBackend):
    """AI-tracing spans, grouped by ``traceId``, one document per span (unique
    ``(spanId, traceId)`` index). Batch writes are one ordered ``bulk_write`` in a
    transaction when the deployment has them; driver errors arrive typed
    (:mod:`.errors`)."""

    collections = (TABLE_SPANS,)
    indexes = SPAN_INDEXES

    async def upsert_spans(self, spans: list[Span]) -> None:
        ops = []
        for span in spans:
            doc = span_doc(span)
            self._conn.check_size(doc, "batchCreateSpans")
            created = doc.pop("createdAt")
            ops.append(
                UpdateOne(
                    {"traceId": span.trace_id, "spanId": span.span_id},
                    {"$set": doc, "$setOnInsert": {"createdAt": created}},
                    upsert=True,
                )
            )
        coll = self._conn.collection(TABLE_SPANS)

        async def work(session: Session) -> None:
            await coll.bulk_write(ops, ordered=True, session=session)

        await self._conn.atomic("batchCreateSpans", work)

    async def get_span(self, trace_id: str, span_id: str) -> Span | None:
        doc = await self._conn.guard(
            "getSpan",
            self._conn.collection(TABLE_SPANS).find_one({"traceId": trace_id, "spanId": span_id}),
        )
        return None if doc is None else span_from_doc(doc)

    async def get_root_span(self, trace_id: str) -> Span | None:
        doc = await self._conn.guard(
            "getRootSpan",
            self._conn.collection(TABLE_SPANS).find_one(
                {"traceId": trace_id, "parentSpanId": None}
            ),
        )
        return None if doc is None else span_from_doc(doc)

    async def get_trace_spans(self, trace_id: str) -> list[Span]:
        docs = await self._conn.guard(
            "getTrace",
            self._conn.collection(TABLE_SPANS)
            .find({"traceId": trace_id})
            .sort([("startedAt", 1), ("_id", 1)])
            .to_list(),
        )
        return [span_from_doc(d) for d in docs]

    async def update_spans(self, updates: list[SpanUpdate], now: datetime) -> None:
        ops = []
        for update in updates:
            fields: Document = {}
            for attr, value in update.changes.items():
                fields[_FIELD_NAMES[attr]] = value  # dates stay datetimes: BSON dates
            fields["updatedAt"] = now
            self._conn.check_size(fields, "batchUpdateSpans")
            ops.append(
                UpdateOne({"traceId": update.trace_id, "spanId": update.span_id}, {"$set": fields})
            )
        coll = self._conn.collection(TABLE_SPANS)

        async def work(session: Session) -> None:
            await coll.bulk_write(ops, ordered=True, session=session)

        await self._conn.atomic("batchUpdateSpans", work)

    async def delete_traces(self, trace_ids: list[str]) -> None:
        await self._conn.guard(
            "batchDeleteTraces",
            self._conn.collection(TABLE_SPANS).delete_many({"traceId": {"$in": trace_ids}}),
        )

    async def query_traces(self, query: TraceQuery) -> tuple[list[Span], int]:
        f = query.filter
        match: Document = {"parentSpanId": None}
        for name in TRACE_EQUALITY_FILTERS:
            value = getattr(f, name)
            if value is not None:
                match[_FIELD_NAMES[name]] = eq(value)
        conditions = [
            match,
            date_range_filter("startedAt", query.started_range, iso_strings_too=True),
            date_range_filter("endedAt", query.ended_range, iso_strings_too=True),
        ]
        if f.status is not None:
            conditions.append(dict(_STATUS_FILTERS[f.status]))
        server_filter = and_filters(*conditions)
        coll = self._conn.collection(TABLE_SPANS)
        in_python = (
            f.scope is not None
            or f.metadata is not None
            or f.tags is not None
            or f.has_child_error is not None
            or query.order_field != "started_at"
        )
        if not in_python:
            direction = -1 if query.direction == "DESC" else 1
            docs, total = await self.find_page(
                "listTraces",
                TABLE_SPANS,
                server_filter,
                query,
                sort=[("startedAt", direction), ("traceId", direction)],
                keyset=("startedAt", "traceId"),
                ascending=direction == 1,
            )
            return [span_from_doc(d) for d in docs], total
        roots = [
            span_from_doc(d)
            for d in await self._conn.guard("listTraces", coll.find(server_filter).to_list())
        ]
        errored: set[str] = set()
        if f.has_child_error is not None and roots:
            errored = {
                str(t)
                for t in await self._conn.guard(
                    "listTraces",
                    coll.distinct(
                        "traceId",
                        {"traceId": {"$in": [r.trace_id for r in roots]}, "error": {"$ne": None}},
                    ),
                )
            }
        return query.execute(roots, errored)


__all__ = ["MongoObservabilityBackend"]
