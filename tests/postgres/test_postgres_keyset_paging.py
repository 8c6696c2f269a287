"""The SQL keyset pages of runs, scores and traces against the core's reference executors.

Rows share timestamps on purpose (ties decided by the tie column), traces include running
ones (null ``ended_at``, which sorts as the largest value), and every row's key is tried as
the cursor, with and without a count, so each ``WHERE`` the backends build is compared
with ``WorkflowRunQuery.execute`` / ``ScoreQuery.execute`` / ``TraceQuery.execute``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, TypeVar

import msgspec
import pytest

from mastra_storage.backend.observability import TraceFilter, TraceQuery
from mastra_storage.backend.scores import ScoreQuery
from mastra_storage.backend.workflows import WorkflowRunQuery
from mastra_storage.pagination import Cursor
from mastra_storage.records import Score, Span, WorkflowRun
from mastra_storage_postgres import PostgresStore
from mastra_storage_postgres.observability import PgObservabilityBackend
from mastra_storage_postgres.scores import PgScoresBackend
from mastra_storage_postgres.workflows import PgWorkflowsBackend

pytestmark = pytest.mark.anyio
T0 = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
# Three rows per instant, so every page boundary falls inside a tie somewhere.
TIMES = [T0 + timedelta(milliseconds=7 * (i // 3)) for i in range(10)]
LIMITS = (None, 0, 1, 2, 4)


@pytest.fixture
async def store(schemas: Any) -> AsyncIterator[PostgresStore]:
    name = schemas.new()
    s = PostgresStore(schemas.url, schema_name=name, max_size=2)
    await s.init()
    try:
        yield s
    finally:
        await s.close()
        await schemas.drop(name)


B = TypeVar("B")


def backend_of(store: PostgresStore, domain: str, kind: type[B]) -> B:
    backend = getattr(store.stores[domain], "backend", None)
    assert isinstance(backend, kind)
    return backend


def cursor(key: tuple[int, Any]) -> Cursor:
    return Cursor(key[0], key[1], "DESC", "scope")


def variants(query: Any, keys: list[tuple[int, Any]]) -> list[Any]:
    afters = [None, *(cursor(k) for k in keys)]
    return [
        msgspec.structs.replace(query, after=after, limit=limit, count=count)
        for after in afters
        for limit in LIMITS
        for count in (True, False)
    ]


async def test_runs_pages_match_the_reference(store: PostgresStore) -> None:
    backend = backend_of(store, "workflows", PgWorkflowsBackend)
    runs = [
        WorkflowRun(
            workflow_name="w",
            run_id=f"r{i % 4}-{i}",
            snapshot={"status": "success"},
            created_at=at,
            updated_at=at,
        )
        for i, at in enumerate(TIMES)
    ]
    for run in runs:
        await backend.upsert_run(run)
    base = WorkflowRunQuery(
        workflow_name="w", resource_id=None, status=None, from_date=None, to_date=None,
        offset=0, limit=None,
    )  # fmt: skip
    for query in variants(base, [base.key(r) for r in runs]):
        assert await backend.query_runs(query) == query.execute(runs), query


async def test_scores_pages_match_the_reference(store: PostgresStore) -> None:
    backend = backend_of(store, "scores", PgScoresBackend)
    scores = [
        Score(
            id=f"s{(i * 7) % 10}",
            scorer_id="sc",
            entity_id="e",
            run_id="r",
            score=0.5,
            scorer={},
            output=None,
            source="LIVE",
            created_at=at,
            updated_at=at,
        )
        for i, at in enumerate(TIMES)
    ]
    for score in scores:
        await backend.insert_score(score)
    base = ScoreQuery(scorer_id="sc")
    for query in variants(base, [base.key(s) for s in scores]):
        assert await backend.query_scores(query) == query.execute(scores), query


@pytest.mark.parametrize("field", ["started_at", "ended_at"])
@pytest.mark.parametrize("direction", ["DESC", "ASC"])
async def test_trace_pages_match_the_reference(
    store: PostgresStore,
    field: Literal["started_at", "ended_at"],
    direction: Literal["ASC", "DESC"],
) -> None:
    backend = backend_of(store, "observability", PgObservabilityBackend)
    roots = [
        Span(
            trace_id=f"t{(i * 3) % 10}",
            span_id="root",
            name="n",
            span_type="agent_run",
            is_event=False,
            started_at=at,
            ended_at=None if i % 4 == 1 else at + timedelta(milliseconds=7 * (i % 2)),
            created_at=at,
        )
        for i, at in enumerate(TIMES)
    ]
    await backend.upsert_spans(roots)
    stored = [s for s in [await backend.get_span(r.trace_id, "root") for r in roots] if s]
    base = TraceQuery(
        filter=TraceFilter(), started_range=None, ended_range=None, order_field=field,
        direction=direction, offset=0, limit=100,
    )  # fmt: skip
    for query in variants(base, [base.key(s) for s in stored]):
        if query.limit is None:
            continue  # a trace query always has a limit
        assert await backend.query_traces(query) == query.execute(stored, ()), query
