"""Traces on DynamoDB: every list_traces access path against the in-memory reference, and
requests per index-read filter constant in the number of traces stored."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from mastra_storage.backend.observability import TraceFilter
from mastra_storage.inmemory import InMemoryStore
from mastra_storage.pagination import DateRange
from mastra_storage.records import Span
from mastra_storage.testing.data import BASE_TIME
from mastra_storage_dynamodb import DynamoDBStore

pytestmark = pytest.mark.anyio


def _spans(n: int, offset: int = 0) -> list[Span]:
    out: list[Span] = []
    for i in range(offset, offset + n):
        start = BASE_TIME + timedelta(seconds=i % 17, milliseconds=i)
        trace = f"T{i:04d}"
        out.append(
            Span(
                trace_id=trace,
                span_id="root",
                name="run",
                span_type="agent_run" if i % 3 else "workflow_run",
                started_at=start,
                ended_at=None if i % 5 == 0 else start + timedelta(seconds=1 + i % 4),
                entity_type="agent",
                entity_id=f"a{i % 4}",
                error={"message": "x"} if i % 7 == 0 else None,
                metadata={"k": i % 2},
                environment="prod" if i % 2 else "dev",
            )
        )
        out.append(
            Span(
                trace_id=trace,
                span_id="child",
                parent_span_id="root",
                name="tool",
                span_type="tool_call",
                started_at=start,
                error={"message": "y"} if i % 11 == 0 else None,
            )
        )
    return out


#: (kind, label, list_traces keyword arguments): "index" paths cost the same for any size;
#: "filtered" ones read index pages until enough rows pass; "scan" ones read the whole range.
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("index", "no filter", {}),
    ("index", "ended_at order", {"order_field": "ended_at", "direction": "ASC"}),
    (
        "index",
        "started range",
        {
            "filter": TraceFilter(
                started_at=DateRange(
                    start=BASE_TIME + timedelta(seconds=3), end=BASE_TIME + timedelta(seconds=9)
                )
            )
        },
    ),
    ("index", "entity", {"filter": TraceFilter(entity_type="agent", entity_id="a1")}),
    ("index", "status", {"filter": TraceFilter(status="error")}),
    ("index", "status, ASC", {"filter": TraceFilter(status="success"), "direction": "ASC"}),
    ("filtered", "equality in filter", {"filter": TraceFilter(environment="prod")}),
    (
        "scan",
        "entity + ended order",
        {"filter": TraceFilter(entity_type="agent", entity_id="a2"), "order_field": "ended_at"},
    ),
    ("scan", "has_child_error", {"filter": TraceFilter(has_child_error=True)}),
    ("scan", "metadata", {"filter": TraceFilter(metadata={"k": 1})}),
    (
        "scan",
        "ended range",
        {
            "filter": TraceFilter(ended_at=DateRange(start=BASE_TIME + timedelta(seconds=5))),
            "direction": "ASC",
        },
    ),
]


async def _walk(domain: Any, kwargs: dict[str, Any]) -> tuple[list[str], int | None]:
    """Every page (size 7) through cursors: trace ids in order and the first total."""
    ids: list[str] = []
    cursor = None
    total = None
    while True:
        page = await domain.list_traces(per_page=7, cursor=cursor, **kwargs)
        total = page.total if total is None else total
        ids.extend(s.trace_id for s in page.items)
        if not page.has_more:
            return ids, total
        cursor = page.next_cursor


async def test_every_access_path_matches_the_reference_and_index_reads_are_constant(
    store: DynamoDBStore, new_store: Callable[[], DynamoDBStore]
) -> None:
    domain = await store.require_store("observability")
    reference = InMemoryStore()
    ref = await reference.require_store("observability")
    spans = _spans(24)
    await domain.batch_create_spans(spans)
    await ref.batch_create_spans(spans)
    for _, label, kwargs in CASES:
        assert await _walk(domain, kwargs) == await _walk(ref, kwargs), label
        offset_page = await domain.list_traces(page=1, per_page=5, **kwargs)
        expected = await ref.list_traces(page=1, per_page=5, **kwargs)
        assert [s.trace_id for s in offset_page.items] == [s.trace_id for s in expected.items], (
            label
        )

    async def requests(kwargs: dict[str, Any]) -> int:
        before = store.capacity.requests
        await domain.list_traces(per_page=5, **kwargs)
        return store.capacity.requests - before

    small = {label: await requests(kwargs) for _, label, kwargs in CASES}
    more = _spans(72, offset=24)
    for start in range(0, len(more), 24):  # moto copies the table per transaction action
        await domain.batch_create_spans(more[start : start + 24])
    large = {label: await requests(kwargs) for _, label, kwargs in CASES}
    for kind, label, _ in CASES:
        if kind == "index":
            assert small[label] == large[label] <= 2, (label, small[label], large[label])
    # A trace by id: a key read.
    before = store.capacity.requests
    assert (await domain.get_trace("T0003")) is not None
    assert (await domain.get_root_span("T0003")) is not None
    assert (await domain.get_span("T0003", "child")) is not None
    assert store.capacity.requests - before == 3
