"""Keyset paging of workflow runs, scores and traces on MongoDB matches the reference
executors (``WorkflowRunQuery.execute``, ``ScoreQuery.execute``, ``TraceQuery.execute``)
from every cursor position, with ties on the timestamp, and ``count=False`` counts nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

import msgspec
import pytest

from mastra_storage.backend import ScoreQuery, TraceQuery, WorkflowRunQuery
from mastra_storage.backend.observability import TraceFilter
from mastra_storage.pagination import Cursor
from mastra_storage.records import Score, WorkflowRun
from mastra_storage.testing.data import BASE_TIME, sample_score, sample_span, uid
from mastra_storage_mongodb import MongoDBStore

pytestmark = pytest.mark.anyio

Q = TypeVar("Q", WorkflowRunQuery, ScoreQuery, TraceQuery)


async def check_every_position(
    query: Q,
    run: Callable[[Q], Awaitable[tuple[list[Any], int]]],
    reference: Callable[[Q], tuple[list[Any], int]],
    key: Callable[[Any], tuple[int, Any]],
    ident: Callable[[Any], Any],
) -> None:
    ordered, total = reference(msgspec.structs.replace(query, limit=None))
    assert total == len(ordered) > 3
    got_all, got_total = await run(msgspec.structs.replace(query, limit=None))
    assert [ident(r) for r in got_all] == [ident(r) for r in ordered]
    assert got_total == total
    for index in range(-1, len(ordered)):
        after = None
        if index >= 0:
            ms, tie = key(ordered[index])
            after = Cursor(ms, tie, "DESC", "scope")
        page = msgspec.structs.replace(query, after=after, limit=2, count=False)
        rows, counted = await run(page)
        expected, _ = reference(page)
        assert [ident(r) for r in rows] == [ident(r) for r in expected], index
        assert counted == 0
    zero = msgspec.structs.replace(query, limit=0)
    assert [ident(r) for r in (await run(zero))[0]] == [ident(r) for r in reference(zero)[0]]


async def test_runs_page_by_created_at_then_run_id(store: MongoDBStore) -> None:
    backend = store.stores["workflows"].backend  # type: ignore[attr-defined]
    name = uid("wf")
    runs = [
        WorkflowRun(
            workflow_name=name,
            run_id=f"run-{i % 4}-{i}",
            snapshot={"status": "success"},
            created_at=BASE_TIME + timedelta(seconds=i // 3),
            updated_at=BASE_TIME,
        )
        for i in range(8)
    ]
    for r in runs:
        await backend.upsert_run(r)
    query = WorkflowRunQuery(
        workflow_name=name,
        resource_id=None,
        status=None,
        from_date=None,
        to_date=None,
        offset=0,
        limit=None,
    )
    await check_every_position(
        query, backend.query_runs, lambda q: q.execute(runs), query.key, lambda r: r.run_id
    )


async def test_scores_page_by_created_at_desc_then_id_asc(store: MongoDBStore) -> None:
    domain = store.stores["scores"]
    backend = domain.backend  # type: ignore[attr-defined]
    scorer = uid("scorer")
    scores: list[Score] = []
    for i in range(8):
        saved = await domain.save_score(sample_score(scorer_id=scorer))  # type: ignore[attr-defined]
        tied = msgspec.structs.replace(saved, created_at=BASE_TIME + timedelta(seconds=i // 3))
        await backend.upsert_score(tied)
        scores.append(tied)
    query = ScoreQuery(scorer_id=scorer)
    await check_every_position(
        query, backend.query_scores, lambda q: q.execute(scores), query.key, lambda s: s.id
    )


@pytest.mark.parametrize("order_field", ["started_at", "ended_at"])
@pytest.mark.parametrize("direction", ["DESC", "ASC"])
async def test_traces_page_in_either_direction(
    store: MongoDBStore, order_field: str, direction: str
) -> None:
    backend = store.stores["observability"].backend  # type: ignore[attr-defined]
    service = uid("svc")
    roots = []
    for i in range(8):
        started = BASE_TIME + timedelta(seconds=i // 3)
        ended = None if i % 4 == 0 else started + timedelta(seconds=i % 2)
        roots.append(sample_span(service_name=service, started_at=started, ended_at=ended))
    await store.stores["observability"].batch_create_spans(roots)  # type: ignore[attr-defined]
    stored: Sequence[Any] = [await backend.get_root_span(r.trace_id) for r in roots]
    query = TraceQuery(
        filter=TraceFilter(service_name=service),
        started_range=None,
        ended_range=None,
        order_field=order_field,  # type: ignore[arg-type]
        direction=direction,  # type: ignore[arg-type]
        offset=0,
        limit=8,
    )
    await check_every_position(
        query,
        backend.query_traces,
        lambda q: q.execute(stored, set()),
        query.key,
        lambda s: s.trace_id,
    )
