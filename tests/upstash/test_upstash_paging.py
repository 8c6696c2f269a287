"""Keyset paging of the time indexes against the core's reference executors.

Scores order ``created_at`` DESC, ``id`` ASC, while an index read backwards gives ties by id
*descending*: the adapter reorders a millisecond inside a page and reads a millisecond cut
by a page edge whole. Many scores share a millisecond here, so every page edge lands inside
one at some offset or cursor.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

import pytest

from mastra_storage.backend.paging import PageKey
from mastra_storage.backend.scores import ScoreQuery
from mastra_storage.backend.workflows import WorkflowRunQuery
from mastra_storage.pagination import Cursor
from mastra_storage.records import Score, WorkflowRun
from mastra_storage_upstash import UpstashStore

pytestmark = pytest.mark.anyio

_BASE = datetime(2024, 1, 1, tzinfo=timezone.utc)


def _score(i: int, ms: int, rnd: random.Random) -> Score:
    at = _BASE + timedelta(milliseconds=ms)
    return Score(
        id=f"s{rnd.randrange(1000):03d}-{i}",
        scorer_id="sc",
        run_id="r",
        scorer={"id": "sc"},
        score=0.5,
        input={},
        output={},
        source="LIVE",
        entity_id="e",
        entity_type="AGENT",
        created_at=at,
        updated_at=at,
    )


def _cursor(key: PageKey) -> Cursor:
    return Cursor(key[0], key[1], "DESC", "test")


async def test_score_pages_match_the_reference_with_tied_milliseconds(
    store: UpstashStore,
) -> None:
    backend = store.stores["scores"].backend
    rnd = random.Random(3)
    scores = [_score(i, rnd.choice([0, 0, 0, 1, 2, 2, 5, 5, 5, 5, 7]), rnd) for i in range(40)]
    for score in scores:
        await backend.insert_score(score)
    for limit in (1, 2, 3, 7, None):
        for offset in range(42):
            query = ScoreQuery(scorer_id="sc", offset=offset, limit=limit)
            got, total = await backend.query_scores(query)
            want, want_total = query.execute(scores)
            assert ([s.id for s in got], total) == ([s.id for s in want], want_total)
        if limit is None:
            continue
        after, walked = None, []
        while True:
            query = ScoreQuery(scorer_id="sc", limit=limit, after=after, count=False)
            got, total = await backend.query_scores(query)
            assert [s.id for s in got] == [s.id for s in query.execute(scores)[0]]
            assert total == 0
            walked += got[:limit]
            if len(got) <= limit:
                break
            after = _cursor(ScoreQuery.key(walked[-1]))
        assert sorted(s.id for s in walked) == sorted(s.id for s in scores)


async def test_run_cursor_pages_match_the_reference(store: UpstashStore) -> None:
    backend = store.stores["workflows"].backend
    rnd = random.Random(5)
    runs = []
    for i in range(30):
        at = _BASE + timedelta(milliseconds=rnd.choice([0, 0, 1, 2, 2, 3]))
        run = WorkflowRun(
            workflow_name="w",
            run_id=f"run{i:02d}",
            resource_id=None,
            snapshot={"status": "running"},
            created_at=at,
            updated_at=at,
        )
        runs.append(run)
        await backend.upsert_run(run)
    for limit in (1, 2, 4):
        after, walked = None, []
        while True:
            query = WorkflowRunQuery(
                workflow_name="w",
                resource_id=None,
                status=None,
                from_date=None,
                to_date=None,
                offset=0,
                limit=limit,
                after=after,
                count=False,
            )
            got, _ = await backend.query_runs(query)
            assert [r.run_id for r in got] == [r.run_id for r in query.execute(runs)[0]]
            walked += got[:limit]
            if len(got) <= limit:
                break
            after = _cursor(WorkflowRunQuery.key(walked[-1]))
        assert sorted(r.run_id for r in walked) == sorted(r.run_id for r in runs)
