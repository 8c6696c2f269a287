"""The observability domain: AI-tracing spans grouped into traces."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import msgspec

from ..backend.observability import (
    TRACE_EQUALITY_FILTERS,
    ObservabilityBackend,
    SpanUpdate,
    TraceFilter,
    TraceOrderField,
    TraceQuery,
    trace_matches,
    trace_sort_key,
)
from ..errors import ValidationError
from ..pagination import Cursor, Direction, Page, validate_page_args
from ..records import SPAN_CONTEXT_FIELDS, Span, Trace
from ..timeutil import normalize_datetime, utc_now
from ..validation import (
    check_field_value,
    check_json,
    check_json_object,
    check_optional_instance,
    check_record_fields,
    check_text,
    dumps_record,
    optional_id,
    require_non_empty,
    unique_strings,
)
from .base import DomainStore
from .paging import cursor_scope, fetch_page

DEFAULT_TRACES_PER_PAGE = 10
MAX_TRACES_PER_PAGE = 100
_UPDATABLE = frozenset(
    f.name
    for f in msgspec.structs.fields(Span)
    if f.name not in ("trace_id", "span_id", "created_at", "updated_at")
)


class ObservabilityStore(DomainStore[ObservabilityBackend]):
    """AI-tracing spans grouped into traces, composed over an
    :class:`~mastra_storage.backend.ObservabilityBackend`.

    Validates spans and changes before any I/O
    (:class:`~mastra_storage.errors.ValidationError`, nothing written) and pages the
    backend's trace queries. Each batch write is one atomic unit.

    Errors every method may raise, besides those its own docstring names:
    :class:`~mastra_storage.errors.UnavailableError` (the backend cannot be reached, or
    did not answer within ``operation_timeout``; a write that fails this way was either
    applied whole or not at all), :class:`~mastra_storage.errors.StoreClosedError` (the
    store was closed), :class:`~mastra_storage.errors.EventLoopMismatchError` (called
    from another event loop than the store's) and
    :class:`~mastra_storage.errors.BackendError` (an unexpected backend failure).
    """

    def _prepare(self, span: Span, now: datetime) -> Span:
        if not isinstance(span, Span):
            raise ValidationError(
                f"expected a Span, got {type(span).__name__}",
                id="MASTRA_STORAGE_CREATE_SPAN_INVALID_ARGS",
            )
        require_non_empty(span.trace_id, field="trace_id", operation="CREATE_SPAN")
        require_non_empty(span.span_id, field="span_id", operation="CREATE_SPAN")
        require_non_empty(span.name, field="name", operation="CREATE_SPAN")
        check_record_fields(span, operation="CREATE_SPAN")
        for name in ("parent_span_id", *SPAN_CONTEXT_FIELDS):
            optional_id(getattr(span, name), field=name, operation="CREATE_SPAN")
        for name in ("started_at", "ended_at"):
            value = getattr(span, name)
            if value is not None:
                normalize_datetime(value, field=name)
        dumps_record(span, operation="CREATE_SPAN")  # JSON, depth and int64, before any I/O
        return span.replace(created_at=now, updated_at=now)

    async def create_span(self, span: Span) -> None:
        """Insert a span (or replace it, keeping ``created_at``); storage sets the timestamps."""
        await self.backend.upsert_spans([self._prepare(span, utc_now())])

    async def batch_create_spans(self, spans: Sequence[Span]) -> None:
        """Insert many spans (any traces) atomically; an empty list is a no-op."""
        if isinstance(spans, Span) or not isinstance(spans, (list, tuple)):
            raise ValidationError(
                f"spans must be a list of Span, got {type(spans).__name__}",
                id="MASTRA_STORAGE_CREATE_SPAN_INVALID_ARGS",
            )
        now = utc_now()
        prepared = [self._prepare(s, now) for s in spans]
        if prepared:
            await self.backend.upsert_spans(prepared)

    async def get_span(self, trace_id: str, span_id: str) -> Span | None:
        """One span, or ``None`` when the trace has no such span. One read.

        :raises ValidationError: an empty or non-string ``trace_id``/``span_id``, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(trace_id, field="trace_id", operation="GET_SPAN")
        require_non_empty(span_id, field="span_id", operation="GET_SPAN")
        return await self.backend.get_span(trace_id, span_id)

    async def get_root_span(self, trace_id: str) -> Span | None:
        """The trace's root span (the one without a parent), or ``None``. One read.

        :raises ValidationError: an empty or non-string ``trace_id``, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(trace_id, field="trace_id", operation="GET_ROOT_SPAN")
        return await self.backend.get_root_span(trace_id)

    async def get_trace(self, trace_id: str) -> Trace | None:
        """Every span of a trace as a :class:`~mastra_storage.records.Trace`, or ``None``
        when no span has this trace id. One read (a consistent snapshot where the backend has one).

        :raises ValidationError: an empty or non-string ``trace_id``, before any I/O.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        require_non_empty(trace_id, field="trace_id", operation="GET_TRACE")
        spans = await self.backend.get_trace_spans(trace_id)
        return Trace(trace_id=trace_id, spans=spans) if spans else None

    @staticmethod
    def _check_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(changes) - _UPDATABLE
        if unknown:
            raise ValidationError(
                f"cannot update span fields {sorted(unknown)}",
                id="MASTRA_STORAGE_UPDATE_SPAN_INVALID_ARGS",
            )
        out = dict(changes)
        for name, value in out.items():
            check_field_value(Span, name, value, operation="UPDATE_SPAN")
            if name in SPAN_CONTEXT_FIELDS or name == "parent_span_id":
                optional_id(value, field=name, operation="UPDATE_SPAN")
        for name in ("started_at", "ended_at"):
            if out.get(name) is not None:
                out[name] = normalize_datetime(out[name], field=name)
        # The changed fields sit one level below the span record.
        check_json(
            {k: v for k, v in out.items() if not isinstance(v, datetime)},
            operation="UPDATE_SPAN",
        )
        return out

    async def update_span(self, trace_id: str, span_id: str, **changes: Any) -> None:
        """Change some fields of a span; the others are kept. A missing span is ignored."""
        await self.batch_update_spans(
            [SpanUpdate(trace_id=trace_id, span_id=span_id, changes=changes)]
        )

    async def batch_update_spans(self, updates: Sequence[SpanUpdate]) -> None:
        """Apply several :class:`SpanUpdate` at once, atomically: every change is written, or
        none is. Each update replaces only the fields it names; spans that do not exist are
        ignored. ``updated_at`` is set by storage.

        :raises ValidationError: not a list of ``SpanUpdate``, an empty id, a field that cannot be
            updated or a value of the wrong type; raised before any write, nothing is changed.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        if isinstance(updates, SpanUpdate) or not isinstance(updates, (list, tuple)):
            raise ValidationError(
                f"updates must be a list of SpanUpdate, got {type(updates).__name__}",
                id="MASTRA_STORAGE_UPDATE_SPAN_INVALID_ARGS",
            )
        checked = []
        for update in updates:
            if not isinstance(update, SpanUpdate) or not isinstance(update.changes, Mapping):
                raise ValidationError(
                    f"expected a SpanUpdate with a changes mapping, got {type(update).__name__}",
                    id="MASTRA_STORAGE_UPDATE_SPAN_INVALID_ARGS",
                )
            require_non_empty(update.trace_id, field="trace_id", operation="UPDATE_SPAN")
            require_non_empty(update.span_id, field="span_id", operation="UPDATE_SPAN")
            checked.append(
                SpanUpdate(
                    trace_id=update.trace_id,
                    span_id=update.span_id,
                    changes=self._check_changes(update.changes),
                )
            )
        if checked:
            await self.backend.update_spans(checked, utc_now())

    async def batch_delete_traces(self, trace_ids: Sequence[str]) -> None:
        """Delete every span of the given traces, atomically; unknown ids are ignored and an
        empty list is a no-op. Duplicate ids count once.

        :raises ValidationError: not a sequence of non-empty strings, before any write.
        :raises UnavailableError: the backend cannot be reached or did not answer in time.
        """
        ids = unique_strings(trace_ids, field="trace_ids", operation="BATCH_DELETE_TRACES")
        if ids:
            await self.backend.delete_traces(ids)

    async def list_traces(
        self,
        *,
        filter: TraceFilter | None = None,
        page: int = 0,
        per_page: int = DEFAULT_TRACES_PER_PAGE,
        order_field: TraceOrderField = "started_at",
        direction: Direction = "DESC",
        cursor: str | None = None,
        include_total: bool = True,
    ) -> Page[Span]:
        """Root spans (one per trace) matching ``filter``, each with its computed ``status``.

        ``cursor`` (a previous page's ``next_cursor``) continues after that page by key;
        ``include_total=False`` skips the count (``total`` is then ``None``)."""
        validate_page_args(page, per_page, operation="LIST_TRACES")
        if per_page is None or not 1 <= per_page <= MAX_TRACES_PER_PAGE:
            raise ValidationError(
                f"per_page must be between 1 and {MAX_TRACES_PER_PAGE}",
                id="MASTRA_STORAGE_LIST_TRACES_INVALID_PAGE",
            )
        if order_field not in ("started_at", "ended_at") or direction not in ("ASC", "DESC"):
            raise ValidationError(
                "order must be started_at/ended_at and ASC/DESC",
                id="MASTRA_STORAGE_LIST_TRACES_INVALID_ORDER",
            )
        check_optional_instance(filter, TraceFilter, field="filter", operation="LIST_TRACES")
        f = filter or TraceFilter()
        check_record_fields(f, operation="LIST_TRACES", prefix="filter.")
        for name in TRACE_EQUALITY_FILTERS:
            optional_id(getattr(f, name), field=f"filter.{name}", operation="LIST_TRACES")
        for name in ("scope", "metadata"):
            if getattr(f, name) is not None:
                check_json_object(getattr(f, name), field=f"filter.{name}", operation="LIST_TRACES")
        if f.tags is not None:
            for tag in f.tags:
                check_text(tag, field="filter.tags", operation="LIST_TRACES")
        base = TraceQuery(
            filter=f,
            started_range=f.started_at.resolved() if f.started_at else None,
            ended_range=f.ended_at.resolved() if f.ended_at else None,
            order_field=order_field,
            direction=direction,
            offset=0,
            limit=per_page,
        )

        async def run(
            offset: int, limit: int | None, after: Cursor | None, count: bool
        ) -> tuple[list[Span], int]:
            assert limit is not None  # per_page is 1..MAX_TRACES_PER_PAGE
            return await self.backend.query_traces(
                msgspec.structs.replace(base, offset=offset, limit=limit, after=after, count=count)
            )

        return await fetch_page(
            run,
            page=page,
            per_page=per_page,
            cursor=cursor,
            include_total=include_total,
            scope=cursor_scope("traces", msgspec.to_builtins(f), order_field, direction, per_page),
            key=base.key,
            direction=direction,
            operation="LIST_TRACES",
        )


__all__ = [
    "DEFAULT_TRACES_PER_PAGE",
    "TRACE_EQUALITY_FILTERS",
    "ObservabilityBackend",
    "ObservabilityStore",
    "SpanUpdate",
    "TraceFilter",
    "TraceOrderField",
    "TraceQuery",
    "trace_matches",
    "trace_sort_key",
]
