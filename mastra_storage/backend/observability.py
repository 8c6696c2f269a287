"""The observability backend contract: AI-tracing spans grouped into traces."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Container, Iterable
from datetime import datetime
from typing import Any, Literal

import msgspec

from ..pagination import Cursor, DateRange, Direction, ResolvedDateRange
from ..records import SPAN_CONTEXT_FIELDS, Span, SpanStatus
from ..timeutil import to_epoch_ms
from .paging import PageKey, run_page

TraceOrderField = Literal["started_at", "ended_at"]

#: Exact-match filter keys of ``list_traces`` (applied to the root span).
TRACE_EQUALITY_FILTERS: tuple[str, ...] = ("span_type", *SPAN_CONTEXT_FIELDS)

#: The cursor key of a null ``ended_at``: larger than any time (JavaScript's largest safe
#: integer, so a cursor stays exact in a Mastra app too).
NULL_TIME_KEY = 2**53 - 1


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
    ties by ``trace_id`` in the same direction; then the paging fields of
    :mod:`mastra_storage.backend.paging` (``after``, ``offset``, ``limit + 1`` rows,
    ``count``). A null ``ended_at`` sorts as the largest value (its cursor key is
    :data:`NULL_TIME_KEY`).
    """

    filter: TraceFilter
    started_range: ResolvedDateRange | None
    ended_range: ResolvedDateRange | None
    order_field: TraceOrderField
    direction: Direction
    offset: int
    limit: int
    after: Cursor | None = None
    count: bool = True

    def key(self, span: Span) -> PageKey:
        """A root span's position in this order: ``(order field ms, trace_id)``; a null
        ``ended_at`` is :data:`NULL_TIME_KEY`."""
        value = span.started_at if self.order_field == "started_at" else span.ended_at
        return (NULL_TIME_KEY if value is None else to_epoch_ms(value), span.trace_id)

    def execute(self, roots: Iterable[Span], errored: Container[str]) -> tuple[list[Span], int]:
        """The reference executor over root spans in Python: filter (``errored`` holds the
        ids of traces with an error span), sort, count, cut after the cursor, slice
        ``limit + 1``."""
        return run_page(
            (s for s in roots if trace_matches(s, self, s.trace_id in errored)),
            key=self.key,
            descending=self.direction == "DESC",
            after=self.after,
            offset=self.offset,
            limit=self.limit,
            count=self.count,
        )


class SpanUpdate(msgspec.Struct, kw_only=True, frozen=True):
    """Changes to one span: ``changes`` maps :class:`Span` attribute names to new values."""

    trace_id: str
    span_id: str
    changes: dict[str, Any]


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


class ObservabilityBackend(ABC):
    """What a backend implements for the observability domain. Every method is one atomic
    unit of I/O; arguments arrive validated."""

    async def init(self) -> None:
        """Create or upgrade what this domain needs. Idempotent; the default does nothing."""

    @abstractmethod
    async def dangerously_clear_all(self) -> None:
        """Delete every span (meant for tests)."""

    @abstractmethod
    async def upsert_spans(self, spans: list[Span]) -> None:
        """Atomically insert spans; on ``(trace_id, span_id)`` conflict replace every field
        but keep the stored ``created_at``."""

    @abstractmethod
    async def get_span(self, trace_id: str, span_id: str) -> Span | None:
        """The span with this key, or ``None``."""

    @abstractmethod
    async def get_root_span(self, trace_id: str) -> Span | None:
        """The trace's root span (``parent_span_id`` is null), or ``None``."""

    @abstractmethod
    async def get_trace_spans(self, trace_id: str) -> list[Span]:
        """Every span of a trace ordered by ``started_at`` ascending (ties by span id)."""

    @abstractmethod
    async def update_spans(self, updates: list[SpanUpdate], now: datetime) -> None:
        """Atomically apply ``changes`` to existing spans (missing ones are skipped) and set
        their ``updated_at = now``."""

    @abstractmethod
    async def delete_traces(self, trace_ids: list[str]) -> None:
        """Atomically delete every span of these traces; unknown ids are ignored."""

    @abstractmethod
    async def query_traces(self, query: TraceQuery) -> tuple[list[Span], int]:
        """Execute a :class:`TraceQuery`: up to ``limit + 1`` root spans and the total (0
        when ``query.count`` is false). :meth:`TraceQuery.execute` is the reference."""


__all__ = [
    "NULL_TIME_KEY",
    "TRACE_EQUALITY_FILTERS",
    "ObservabilityBackend",
    "SpanUpdate",
    "TraceFilter",
    "TraceOrderField",
    "TraceQuery",
    "trace_matches",
    "trace_sort_key",
]
