"""Keyset paging of runs, scores and traces in SQL agrees with the core's reference executors.

Walks every order (including ``ended_at`` with running traces, whose cursor key is
``NULL_TIME_KEY``) page by page through ``after`` cursors and checks the pages, the
``limit + 1`` rule and ``count`` against ``Query.execute`` over the same rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest

from mastra_storage.backend import ScoreQuery, TraceQuery, WorkflowRunQuery
from mastra_storage.backend.observability import TraceFilter
from mastra_storage.domains import ObservabilityStore, ScoresStore, WorkflowsStore
from mastra_storage.pagination import Cursor
from mastra_storage.records import Score, Span, WorkflowRun
from mastra_storage_libsql import LibSQLStore
from mastra_storage_libsql.observability import LibSQLObservabilityBackend
from mastra_storage_libsql.scores import LibSQLScoresBackend
from mastra_storage_libsql.workflows import LibSQLWorkflowsBackend

pytestmark = pytest.mark.anyio

T = TypeVar("T")
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
# Few distinct timestamps for many rows: most pages end inside a run of equal keys.
STAMPS = [T0 + timedelta(milliseconds=ms) for ms in (0, 1, 1, 5, 5, 5, 9)]


@pytest.fixture
async def store() -> AsyncIterator[LibSQLStore]:
    store = LibSQLStore(":memory:")
    await store.init()
    try:
        yield store
    finally:
        await store.close()


def cursor(key: tuple[int, Any]) -> Cursor:
    return Cursor(key[0], key[1], "DESC", "test")


async def walk(
    run: Callable[[Cursor | None, int], Any],
    key: Callable[[T], tuple[int, Any]],
    expected: Sequence[T],
    ident: Callable[[T], Any],
    page_size: int,
) -> None:
    """Page through ``run(after, limit)`` and compare with ``expected`` (the reference order)."""
    seen: list[Any] = []
    after: Cursor | None = None
    while True:
        rows, total = await run(after, page_size)
        assert total == 0  # count=False: no count
        assert len(rows) <= page_size + 1
        page = rows[:page_size]
        seen.extend(ident(r) for r in page)
        if len(rows) <= page_size:
            break
        after = cursor(key(page[-1]))
    assert seen == [ident(r) for r in expected]


def run_id_of(run: WorkflowRun) -> tuple[str, str]:
    return (run.workflow_name, run.run_id)


async def test_run_pages_follow_the_reference(store: LibSQLStore) -> None:
    domain = store.stores["workflows"]
    assert isinstance(domain, WorkflowsStore)
    backend = domain.backend
    assert isinstance(backend, LibSQLWorkflowsBackend)
    runs = [
        WorkflowRun(
            workflow_name=f"w{i % 2}",
            run_id=f"r{i % 5}",
            snapshot={"status": "running" if i % 3 else "success"},
            created_at=STAMPS[i % len(STAMPS)],
            updated_at=STAMPS[i % len(STAMPS)],
        )
        for i in range(20)
    ]
    for item in runs:
        await backend.upsert_run(item)
    stored = await backend.query_runs(
        WorkflowRunQuery(
            workflow_name=None,
            resource_id=None,
            status=None,
            from_date=None,
            to_date=None,
            offset=0,
            limit=None,
        )
    )
    assert stored[1] == 10
    for status in (None, "running"):
        base: dict[str, Any] = {
            "workflow_name": None,
            "resource_id": None,
            "status": status,
            "from_date": None,
            "to_date": None,
            "offset": 0,
        }
        expected, total = WorkflowRunQuery(**base, limit=None).execute(stored[0])
        assert (await backend.query_runs(WorkflowRunQuery(**base, limit=0)))[1] == total
        for size in (1, 2, 3):

            async def run(after: Cursor | None, limit: int) -> Any:
                return await backend.query_runs(
                    WorkflowRunQuery(**base, limit=limit, after=after, count=False)  # noqa: B023
                )

            await walk(
                run, WorkflowRunQuery.key, expected, lambda r: (r.workflow_name, r.run_id), size
            )


async def test_score_pages_follow_the_reference(store: LibSQLStore) -> None:
    domain = store.stores["scores"]
    assert isinstance(domain, ScoresStore)
    backend = domain.backend
    assert isinstance(backend, LibSQLScoresBackend)
    scores = [
        Score(
            id=f"s{i:02d}",
            scorer_id=f"sc{i % 2}",
            entity_id="e",
            run_id="r",
            score=float(i),
            scorer={},
            output={},
            source="LIVE",
            created_at=STAMPS[i % len(STAMPS)],
        )
        for i in range(15)
    ]
    for score in reversed(scores):
        await backend.insert_score(score)
    for scorer_id in (None, "sc1"):
        expected, total = ScoreQuery(scorer_id=scorer_id).execute(scores)
        assert (await backend.query_scores(ScoreQuery(scorer_id=scorer_id, limit=0)))[1] == total
        for size in (1, 2, 4):

            async def run(after: Cursor | None, limit: int) -> Any:
                query = ScoreQuery(scorer_id=scorer_id, limit=limit, after=after, count=False)  # noqa: B023
                return await backend.query_scores(query)

            await walk(run, ScoreQuery.key, expected, lambda s: s.id, size)


async def test_trace_pages_follow_the_reference(store: LibSQLStore) -> None:
    domain = store.stores["observability"]
    assert isinstance(domain, ObservabilityStore)
    backend = domain.backend
    assert isinstance(backend, LibSQLObservabilityBackend)
    roots = [
        Span(
            trace_id=f"t{i:02d}",
            span_id="root",
            name="agent",
            span_type="agent_run",
            started_at=STAMPS[i % len(STAMPS)],
            created_at=T0,
            ended_at=None if i % 4 == 0 else STAMPS[(i + 3) % len(STAMPS)],
        )
        for i in range(18)
    ]
    await backend.upsert_spans(roots)
    for field in ("started_at", "ended_at"):
        for direction in ("DESC", "ASC"):
            base: dict[str, Any] = {
                "filter": TraceFilter(),
                "started_range": None,
                "ended_range": None,
                "order_field": field,
                "direction": direction,
                "offset": 0,
            }
            probe = TraceQuery(**base, limit=len(roots))
            expected, total = probe.execute(roots, set())
            assert total == len(roots)
            rows, counted = await backend.query_traces(TraceQuery(**base, limit=len(roots)))
            assert counted == total
            assert [s.trace_id for s in rows] == [s.trace_id for s in expected]
            for size in (1, 3, 5):

                async def run(after: Cursor | None, limit: int) -> Any:
                    query = TraceQuery(**base, limit=limit, after=after, count=False)  # noqa: B023
                    return await backend.query_traces(query)

                await walk(run, probe.key, expected, lambda s: s.trace_id, size)
