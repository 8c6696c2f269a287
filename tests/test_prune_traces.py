"""Composite prune of traces with the default batch size (larger than one trace page)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from mastra_storage import connect
from mastra_storage.domains.observability import MAX_TRACES_PER_PAGE
from mastra_storage.prune import DEFAULT_PRUNE_BATCH_SIZE
from mastra_storage.records import Span

pytestmark = pytest.mark.anyio

T0 = datetime(2025, 1, 1, tzinfo=timezone.utc)


async def test_default_batch_prunes_more_traces_than_one_page() -> None:
    """A batch larger than ``list_traces``' page limit is read as several pages: every old
    trace goes in one run and the newer one stays (it used to raise ValidationError)."""
    assert DEFAULT_PRUNE_BATCH_SIZE > MAX_TRACES_PER_PAGE
    old = MAX_TRACES_PER_PAGE + 20
    async with connect("memory://") as storage:
        traces = await storage.require_store("observability")
        spans = [
            Span(
                trace_id=f"t{i:03d}",
                span_id="root",
                name="run",
                span_type="agent_run",
                started_at=T0 + timedelta(seconds=i),
            )
            for i in range(old)
        ]
        spans.append(
            Span(
                trace_id="new",
                span_id="root",
                name="run",
                span_type="agent_run",
                started_at=T0 + timedelta(days=30),
            )
        )
        await traces.batch_create_spans(spans)
        results = await storage.prune({"traces": {"before": T0 + timedelta(days=1)}})
        assert [(r.deleted, r.done) for r in results] == [(old, True)]
        left = await traces.list_traces(per_page=MAX_TRACES_PER_PAGE)
        assert [s.trace_id for s in left.items] == ["new"]
