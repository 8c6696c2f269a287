"""The observability domain: AI-tracing spans grouped into traces."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, Protocol, runtime_checkable

import msgspec

from ..errors import ValidationError
from ..pagination import (
    DateRange,
    Direction,
    Page,
    ResolvedDateRange,
    has_more,
    page_window,
    validate_page_args,
)
from ..records import SPAN_CONTEXT_FIELDS, Span, SpanStatus, Trace
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

DEFAULT_TRACES_PER_PAGE = 10
MAX_TRACES_PER_PAGE = 100
TraceOrderField = Literal["started_at", "ended_at"]

#: Exact-match filter keys of ``list_traces`` (applied to the root span).
TRACE_EQUALITY_FILTERS: tuple[str, ...] = ("span_type", *SPAN_CONTEXT_FIELDS)

_UPDATABLE = frozenset(
    f.name
    for f in msgspec.structs.fields(Span)
    if f.name not in ("trace_id", "span_id", "created_at", "updated_at")
)


class TraceFilter(msgspec.Struct, kw_only=True, frozen=True):
    """``list_traces`` filters; all apply to the trace's root span except ``has_child_error``."""

    started_at: DateRange | None = None
    ended_at: DateRange | None = None
    span_type: str | None = None
    entity_type: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None
    parent_entity_type: str | None = None
    parent_entity_id: str | None = None
    parent_entity_name: str | None = None
    root_entity_type: str | None = None
    root_entity_id: str | None = None
    root_entity_name: str | None = None
    user_id: str | None = None
    organization_id: str | None = None
    resource_id: str | None = None
    run_id: str | None = None
    session_id: str | None = None
    thread_id: str | None = None
    request_id: str | None = None
    environment: str | None = None
    source: str | None = None
    service_name: str | None = None
    experiment_id: str | None = None
    scope: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None
    status: SpanStatus | None = None
    has_child_error: bool | None = None


class TraceQuery(msgspec.Struct, kw_only=True, frozen=True):
    """A validated ``list_traces`` request.

    Root spans only (``parent_span_id`` is null) matching ``filter``; ``scope``/``metadata``
    match by JSON containment, ``tags`` when all listed tags are present. Ordered by
    ``order_field`` in ``direction`` (for ``ended_at``: nulls first when DESC, last when ASC),
    ties by ``trace_id``; then ``offset``/``limit``. Returns the page and the match count.
    """

    filter: TraceFilter
    started_range: ResolvedDateRange | None
    ended_range: ResolvedDateRange | None
    order_field: TraceOrderField
    direction: Direction
    offset: int
    limit: int


class SpanUpdate(msgspec.Struct, kw_only=True, frozen=True):
    """Changes to one span: ``changes`` maps :class:`Span` attribute names to new values."""

    trace_id: str
    span_id: str
    changes: dict[str, Any]


@runtime_checkable
class ObservabilityStore(Protocol):
    async def init(self) -> None: ...
    async def dangerously_clear_all(self) -> None: ...
    async def create_span(self, span: Span) -> None: ...
    async def batch_create_spans(self, spans: Sequence[Span]) -> None: ...
    async def get_span(self, trace_id: str, span_id: str) -> Span | None: ...
    async def get_root_span(self, trace_id: str) -> Span | None: ...
    async def get_trace(self, trace_id: str) -> Trace | None: ...
    async def update_span(self, trace_id: str, span_id: str, **changes: Any) -> None: ...
    async def batch_update_spans(self, updates: Sequence[SpanUpdate]) -> None: ...
    async def batch_delete_traces(self, trace_ids: Sequence[str]) -> None: ...
    async def list_traces(
        self,
        *,
        filter: TraceFilter | None = None,
        page: int = 0,
        per_page: int = DEFAULT_TRACES_PER_PAGE,
        order_field: TraceOrderField = "started_at",
        direction: Direction = "DESC",
    ) -> Page[Span]: ...


def _contains(container: Any, wanted: Any) -> bool:
    """JSON containment (PostgreSQL ``@>``): objects by key, arrays by element."""
    if isinstance(wanted, dict):
        return isinstance(container, dict) and all(
            k in container and _contains(container[k], v) for k, v in wanted.items()
        )
    if isinstance(wanted, list):
        return isinstance(container, list) and all(
            any(_contains(c, w) for c in container) for w in wanted
        )
    if isinstance(wanted, bool) or isinstance(container, bool):
        return isinstance(wanted, bool) and isinstance(container, bool) and wanted == container
    return bool(container == wanted)


def trace_matches(root: Span, query: TraceQuery, child_error: bool) -> bool:
    """The ``list_traces`` filter on a root span, for adapters that filter in Python.

    ``child_error`` tells whether any span of the trace has an error.
    """
    f = query.filter
    for name in TRACE_EQUALITY_FILTERS:
        wanted = getattr(f, name)
        if wanted is not None and getattr(root, name) != wanted:
            return False
    if query.started_range and not query.started_range.contains(root.started_at):
        return False
    if query.ended_range:
        if root.ended_at is None or not query.ended_range.contains(root.ended_at):
            return False
    if f.scope is not None and not _contains(root.scope, f.scope):
        return False
    if f.metadata is not None and not _contains(root.metadata, f.metadata):
        return False
    if f.tags is not None and not _contains(root.tags, list(f.tags)):
        return False
    if f.status is not None and root.status != f.status:
        return False
    return f.has_child_error is None or f.has_child_error == child_error


def trace_sort_key(query: TraceQuery) -> Any:
    """Sort key for root spans (use with ``reverse=query.direction == 'DESC'``)."""

    def key(span: Span) -> tuple[int, datetime, str]:
        value = span.started_at if query.order_field == "started_at" else span.ended_at
        if value is None:
            # nulls first for DESC, last for ASC: i.e. nulls always sort as "largest"
            return (1, datetime.max.replace(tzinfo=span.started_at.tzinfo), span.trace_id)
        return (0, value, span.trace_id)

    return key


class BaseObservabilityStore(ABC):
    """Implements :class:`ObservabilityStore` on top of backend primitives."""

    async def init(self) -> None:
        """Create tables/indexes; adapters override. Must be idempotent."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None: ...

    @abstractmethod
    async def _upsert_spans(self, spans: list[Span]) -> None:
        """Atomically insert spans; on ``(trace_id, span_id)`` conflict replace every field
        but keep the stored ``created_at``."""

    @abstractmethod
    async def _get_span(self, trace_id: str, span_id: str) -> Span | None: ...

    @abstractmethod
    async def _get_root_span(self, trace_id: str) -> Span | None: ...

    @abstractmethod
    async def _get_trace_spans(self, trace_id: str) -> list[Span]:
        """Every span of a trace ordered by ``started_at`` ascending."""

    @abstractmethod
    async def _update_spans(self, updates: list[SpanUpdate], now: datetime) -> None:
        """Atomically apply ``changes`` to existing spans (missing ones are skipped) and set
        their ``updated_at = now``."""

    @abstractmethod
    async def _delete_traces(self, trace_ids: list[str]) -> None: ...

    @abstractmethod
    async def _query_traces(self, query: TraceQuery) -> tuple[list[Span], int]: ...

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
        await self._upsert_spans([self._prepare(span, utc_now())])

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
            await self._upsert_spans(prepared)

    async def get_span(self, trace_id: str, span_id: str) -> Span | None:
        require_non_empty(trace_id, field="trace_id", operation="GET_SPAN")
        require_non_empty(span_id, field="span_id", operation="GET_SPAN")
        return await self._get_span(trace_id, span_id)

    async def get_root_span(self, trace_id: str) -> Span | None:
        require_non_empty(trace_id, field="trace_id", operation="GET_ROOT_SPAN")
        return await self._get_root_span(trace_id)

    async def get_trace(self, trace_id: str) -> Trace | None:
        require_non_empty(trace_id, field="trace_id", operation="GET_TRACE")
        spans = await self._get_trace_spans(trace_id)
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
            await self._update_spans(checked, utc_now())

    async def batch_delete_traces(self, trace_ids: Sequence[str]) -> None:
        ids = unique_strings(trace_ids, field="trace_ids", operation="BATCH_DELETE_TRACES")
        if ids:
            await self._delete_traces(ids)

    async def list_traces(
        self,
        *,
        filter: TraceFilter | None = None,
        page: int = 0,
        per_page: int = DEFAULT_TRACES_PER_PAGE,
        order_field: TraceOrderField = "started_at",
        direction: Direction = "DESC",
    ) -> Page[Span]:
        """Root spans (one per trace) matching ``filter``, each with its computed ``status``."""
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
        window = page_window(page, per_page)
        assert window.limit is not None
        query = TraceQuery(
            filter=f,
            started_range=f.started_at.resolved() if f.started_at else None,
            ended_range=f.ended_at.resolved() if f.ended_at else None,
            order_field=order_field,
            direction=direction,
            offset=window.offset,
            limit=window.limit,
        )
        spans, total = await self._query_traces(query)
        return Page(
            items=spans,
            total=total,
            page=page,
            per_page=per_page,
            has_more=has_more(page, per_page, total),
        )


__all__ = [
    "DEFAULT_TRACES_PER_PAGE",
    "TRACE_EQUALITY_FILTERS",
    "BaseObservabilityStore",
    "ObservabilityStore",
    "SpanUpdate",
    "TraceFilter",
    "TraceOrderField",
    "TraceQuery",
    "trace_matches",
    "trace_sort_key",
]
