"""Keyset pages of workflow runs, scores and traces (the one paging contract).

``list_workflow_runs``, ``list_scores_by_*`` and ``list_traces`` continue after a previous
page with ``cursor=page.next_cursor``: a walk returns every row exactly once and in the
query's order, even when rows are inserted between pages (a row landing before the cursor
is not returned, one landing after it is). ``has_more`` comes from the backend's extra
row (``limit + 1``), so it is the same with ``include_total=False`` (``total`` is then
``None``). A cursor only continues the query that issued it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

import pytest

from ...composite import MastraStorage
from ...domains.observability import TraceFilter
from ...errors import ValidationError
from ...pagination import Direction, Page
from ...records import Score, Span, WorkflowRun
from ...timeutil import to_epoch_ms
from ..data import BASE_TIME, at, sample_score, sample_span, uid
from ._base import ConformanceBase

T = TypeVar("T")
#: ``fetch(cursor, include_total)``: one page of the query under test.
Fetch = Callable[["str | None", bool], Awaitable[Page[T]]]

NULL_LAST = 2**53 - 1  # a null ended_at sorts as the largest time


async def walk(fetch: Fetch[T], between: Callable[[int], Awaitable[None]] | None = None) -> list[T]:
    """Every row of a query, page by page through ``next_cursor``; ``between(n)`` runs
    after the ``n``-th page (to write between pages). Checks each page's ``has_more``
    against its ``next_cursor`` and a page without the count against the counted one."""
    rows: list[T] = []
    cursor: str | None = None
    for number in range(1, 1000):
        page = await fetch(cursor, True)
        bare = await fetch(cursor, False)
        assert bare.total is None and page.total is not None
        assert (bare.items, bare.has_more, bare.next_cursor) == (
            page.items,
            page.has_more,
            page.next_cursor,
        ), "include_total=False changed the page"
        assert page.has_more == (page.next_cursor is not None)
        rows.extend(page.items)
        if between is not None:
            await between(number)
        if not page.has_more:
            return rows
        assert page.items, "a page that has more is not empty"
        cursor = page.next_cursor
    raise AssertionError("the cursor walk does not end")


def _run_key(run: WorkflowRun) -> tuple[int, str]:
    return (to_epoch_ms(run.created_at), run.run_id)


def _run_ids(runs: list[WorkflowRun]) -> list[str]:
    return [run.run_id for run in runs]


def _score_ids(scores: list[Score]) -> list[str]:
    return [score.id for score in scores]


def _trace_ids(spans: list[Span]) -> list[str]:
    return [span.trace_id for span in spans]


class KeysetPagingTests(ConformanceBase):
    """Cursor walks of runs, scores and traces; ``include_total``; foreign cursors."""

    # ---- workflow runs ------------------------------------------------------------------

    async def _runs(
        self, storage: MastraStorage, name: str, minutes: list[int]
    ) -> list[WorkflowRun]:
        workflows = await self.workflows(storage)
        for i, minute in enumerate(minutes):
            await workflows.persist_workflow_snapshot(
                workflow_name=name,
                run_id=f"run-{i:02d}",
                snapshot={"status": "success", "i": i},
                created_at=at(BASE_TIME, seconds=60 * minute),
            )
        page = await workflows.list_workflow_runs(workflow_name=name)
        return page.items

    async def test_workflow_runs_cursor_walk_returns_each_run_once_in_order(
        self, storage: MastraStorage
    ) -> None:
        workflows = await self.workflows(storage)
        name = uid("wf")
        # equal created_at milliseconds: the run_id tie-break (descending) decides
        stored = await self._runs(storage, name, [1, 2, 2, 3, 4, 4, 4, 5])
        expected = sorted(stored, key=_run_key, reverse=True)
        assert _run_ids(stored) == _run_ids(expected)

        async def fetch(cursor: str | None, include_total: bool) -> Page[WorkflowRun]:
            return await workflows.list_workflow_runs(
                workflow_name=name, page=0, per_page=3, cursor=cursor, include_total=include_total
            )

        async def between(number: int) -> None:
            if number == 1:  # one run lands before the cursor, one after it
                for run_id, minute in (("run-newest", 60), ("run-oldest", 0)):
                    await workflows.persist_workflow_snapshot(
                        workflow_name=name,
                        run_id=run_id,
                        snapshot={"status": "success"},
                        created_at=at(BASE_TIME, seconds=60 * minute),
                    )

        walked = await walk(fetch, between)
        assert _run_ids(walked) == [*_run_ids(expected), "run-oldest"]

    async def test_workflow_runs_has_more_comes_from_the_extra_row(
        self, storage: MastraStorage
    ) -> None:
        workflows = await self.workflows(storage)
        name = uid("wf")
        await self._runs(storage, name, [1, 2, 3])
        for per_page, more in ((3, False), (2, True), (4, False)):
            for include_total in (True, False):
                page = await workflows.list_workflow_runs(
                    workflow_name=name, page=0, per_page=per_page, include_total=include_total
                )
                assert page.has_more is more, (per_page, include_total)
                assert (page.next_cursor is not None) is more
                assert page.total == (3 if include_total else None)

    async def test_workflow_runs_refuse_a_cursor_of_another_query(
        self, storage: MastraStorage
    ) -> None:
        workflows = await self.workflows(storage)
        name = uid("wf")
        await self._runs(storage, name, [1, 2, 3])
        page = await workflows.list_workflow_runs(workflow_name=name, page=0, per_page=1)
        assert page.next_cursor is not None
        with pytest.raises(ValidationError):
            await workflows.list_workflow_runs(
                workflow_name=uid("other"), page=0, per_page=1, cursor=page.next_cursor
            )
        with pytest.raises(ValidationError):
            await workflows.list_workflow_runs(
                workflow_name=name, page=0, per_page=2, cursor=page.next_cursor
            )
        scores = await self.scores(storage)
        with pytest.raises(ValidationError):
            await scores.list_scores_by_run_id("run-00", cursor=page.next_cursor)
        with pytest.raises(ValidationError):
            await workflows.list_workflow_runs(
                workflow_name=name, page=0, per_page=1, cursor="not-a-cursor"
            )

    # ---- scores -------------------------------------------------------------------------

    async def test_scores_cursor_walk_returns_each_score_once_in_order(
        self, storage: MastraStorage
    ) -> None:
        scores = await self.scores(storage)
        scorer, run, entity = uid("scorer"), uid("run"), uid("entity")
        trace, span = uid("trace"), uid("span")
        for _ in range(7):
            await scores.save_score(
                sample_score(
                    scorer_id=scorer,
                    run_id=run,
                    entity_id=entity,
                    entity_type="AGENT",
                    trace_id=trace,
                    span_id=span,
                )
            )
        await scores.save_score(sample_score())  # matches none of the queries
        queries: dict[str, Callable[..., Awaitable[Page[Score]]]] = {
            "scorer": lambda **kw: scores.list_scores_by_scorer_id(scorer, **kw),
            "run": lambda **kw: scores.list_scores_by_run_id(run, **kw),
            "entity": lambda **kw: scores.list_scores_by_entity_id(
                entity, entity_type="AGENT", **kw
            ),
            "span": lambda **kw: scores.list_scores_by_span(trace_id=trace, span_id=span, **kw),
        }
        for earlier, (label, query) in enumerate(queries.items()):
            stored = (await query(per_page=None)).items
            assert len(stored) == 7 + earlier, label  # one more inserted per earlier walk
            # newest first, ties by id ascending
            expected = sorted(stored, key=lambda s: s.id)
            expected.sort(key=lambda s: to_epoch_ms(s.created_at), reverse=True)
            assert _score_ids(stored) == _score_ids(expected), label

            async def fetch(
                cursor: str | None,
                include_total: bool,
                query: Callable[..., Awaitable[Page[Score]]] = query,
            ) -> Page[Score]:
                return await query(per_page=2, cursor=cursor, include_total=include_total)

            async def between(number: int, label: str = label) -> None:
                if number == 1:  # a new score is the newest: before the cursor
                    await scores.save_score(
                        sample_score(
                            scorer_id=scorer,
                            run_id=run,
                            entity_id=entity,
                            entity_type="AGENT",
                            trace_id=trace,
                            span_id=span,
                            metadata={"inserted": label},
                        )
                    )

            walked = await walk(fetch, between)
            assert _score_ids(walked) == _score_ids(expected), label

    async def test_scores_has_more_and_foreign_cursors(self, storage: MastraStorage) -> None:
        scores = await self.scores(storage)
        run = uid("run")
        for _ in range(3):
            await scores.save_score(sample_score(run_id=run))
        for per_page, more in ((3, False), (2, True), (4, False)):
            for include_total in (True, False):
                page = await scores.list_scores_by_run_id(
                    run, per_page=per_page, include_total=include_total
                )
                assert page.has_more is more, (per_page, include_total)
                assert page.total == (3 if include_total else None)
        page = await scores.list_scores_by_run_id(run, per_page=1)
        assert page.next_cursor is not None
        with pytest.raises(ValidationError):
            await scores.list_scores_by_run_id(uid("run"), per_page=1, cursor=page.next_cursor)
        with pytest.raises(ValidationError):
            await scores.list_scores_by_scorer_id(run, per_page=1, cursor=page.next_cursor)
        workflows = await self.workflows(storage)
        with pytest.raises(ValidationError):
            await workflows.list_workflow_runs(page=0, per_page=1, cursor=page.next_cursor)

    # ---- traces -------------------------------------------------------------------------

    async def _roots(self, storage: MastraStorage, entity: str) -> list[Span]:
        observability = await self.observability(storage)
        # equal started_at / ended_at milliseconds (the trace_id tie-break) and one
        # trace still running (a null ended_at sorts as the largest time)
        plan: list[tuple[int, int | None]] = [
            (1, 5),
            (2, 3),
            (2, 3),
            (3, None),
            (4, 9),
            (4, 6),
            (5, 6),
        ]
        spans = []
        for i, (start, end) in enumerate(plan):
            started = at(BASE_TIME, seconds=start)
            spans.append(
                sample_span(
                    trace_id=f"trace-{i:02d}-{entity}",
                    entity_id=entity,
                    started_at=started,
                    ended_at=None if end is None else at(BASE_TIME, seconds=end),
                )
            )
        await observability.batch_create_spans(spans)
        return spans

    @staticmethod
    def _trace_order(spans: list[Span], field: str, direction: Direction) -> list[Span]:
        def key(span: Span) -> tuple[int, str]:
            value: datetime | None = getattr(span, field)
            return (NULL_LAST if value is None else to_epoch_ms(value), span.trace_id)

        return sorted(spans, key=key, reverse=direction == "DESC")

    @pytest.mark.parametrize(
        ("field", "direction"),
        [("started_at", "DESC"), ("started_at", "ASC"), ("ended_at", "DESC"), ("ended_at", "ASC")],
    )
    async def test_traces_cursor_walk_returns_each_trace_once_in_order(
        self, storage: MastraStorage, field: Any, direction: Direction
    ) -> None:
        observability = await self.observability(storage)
        entity = uid("entity")
        spans = await self._roots(storage, entity)
        expected = self._trace_order(spans, field, direction)
        listed = await observability.list_traces(
            filter=TraceFilter(entity_id=entity),
            per_page=100,
            order_field=field,
            direction=direction,
        )
        assert _trace_ids(listed.items) == _trace_ids(expected)

        async def fetch(cursor: str | None, include_total: bool) -> Page[Span]:
            return await observability.list_traces(
                filter=TraceFilter(entity_id=entity),
                per_page=2,
                order_field=field,
                direction=direction,
                cursor=cursor,
                include_total=include_total,
            )

        late, early = f"trace-late-{entity}", f"trace-early-{entity}"

        async def between(number: int) -> None:
            if number == 1:  # one trace at each end: the one past the cursor is returned
                await observability.batch_create_spans(
                    [
                        sample_span(
                            trace_id=trace_id,
                            entity_id=entity,
                            started_at=at(BASE_TIME, seconds=seconds),
                            ended_at=at(BASE_TIME, seconds=seconds + 1),
                        )
                        for trace_id, seconds in ((late, 3600), (early, -3600))
                    ]
                )

        walked = await walk(fetch, between)
        want = _trace_ids(expected)
        if direction == "DESC":
            want = [*want, early]
        elif field == "started_at":
            want = [*want, late]
        else:  # ascending ended_at: the running trace (null) stays last
            want = [*want[:-1], late, want[-1]]
        assert _trace_ids(walked) == want

    async def test_traces_has_more_and_foreign_cursors(self, storage: MastraStorage) -> None:
        observability = await self.observability(storage)
        entity = uid("entity")
        await self._roots(storage, entity)
        by_entity = TraceFilter(entity_id=entity)
        for per_page, more in ((7, False), (6, True), (8, False)):
            for include_total in (True, False):
                page = await observability.list_traces(
                    filter=by_entity, per_page=per_page, include_total=include_total
                )
                assert page.has_more is more, (per_page, include_total)
                assert page.total == (7 if include_total else None)
        page = await observability.list_traces(filter=by_entity, per_page=2)
        assert page.next_cursor is not None
        others: list[dict[str, Any]] = [
            {"filter": TraceFilter(entity_id=uid("entity")), "per_page": 2},
            {"filter": by_entity, "per_page": 2, "direction": "ASC"},
            {"filter": by_entity, "per_page": 2, "order_field": "ended_at"},
            {"filter": by_entity, "per_page": 3},
        ]
        for other in others:
            with pytest.raises(ValidationError):
                await observability.list_traces(cursor=page.next_cursor, **other)
        workflows = await self.workflows(storage)
        with pytest.raises(ValidationError):
            await workflows.list_workflow_runs(page=0, per_page=2, cursor=page.next_cursor)


__all__ = ["KeysetPagingTests", "walk"]
