"""Observability domain: AI-tracing spans and traces (spec 12.10 and 8)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

import pytest

from ...composite import MastraStorage
from ...domains.observability import ObservabilityStore, SpanUpdate, TraceFilter
from ...errors import ValidationError
from ...pagination import DateRange
from ...records import Span
from ...timeutil import UTC
from ..data import BASE_TIME, at, sample_span, uid
from ._base import ConformanceBase

_STORAGE_SET = ("createdAt", "updatedAt")


def _without_storage_fields(span: Span) -> dict[str, Any]:
    return {k: v for k, v in span.to_dict().items() if k not in _STORAGE_SET}


def _trace_ids(spans: Any) -> list[str]:
    return [s.trace_id for s in spans]


def _full_span(**overrides: Any) -> Span:
    """A span with every field set (to check nothing is lost or altered)."""
    trace_id = overrides.pop("trace_id", uid("trace"))
    fields: dict[str, Any] = {
        "trace_id": trace_id,
        "span_id": uid("span"),
        "name": "full span \u00e9 \U0001f389",
        "span_type": "model_generation",
        "is_event": False,
        "started_at": datetime(2024, 2, 2, 10, 0, 0, 123000, tzinfo=UTC),
        "ended_at": datetime(2024, 2, 2, 10, 0, 1, 456000, tzinfo=UTC),
        "parent_span_id": None,
        "entity_type": "agent",
        "entity_id": "agent-full",
        "entity_name": "Full Agent",
        "parent_entity_type": "workflow_run",
        "parent_entity_id": "wf-1",
        "parent_entity_name": "Workflow",
        "root_entity_type": "workflow_run",
        "root_entity_id": "wf-root",
        "root_entity_name": "Root",
        "user_id": "user-x",
        "organization_id": "org-x",
        "resource_id": "res-x",
        "run_id": "run-x",
        "session_id": "session-x",
        "thread_id": "thread-x",
        "request_id": "req-x",
        "environment": "production",
        "source": "cloud",
        "service_name": "svc",
        "experiment_id": "exp-1",
        "scope": {"core": "1.0.0"},
        "metadata": {"k": "v", "n": 1, "nested": {"ok": True}},
        "tags": ["t1", "t2"],
        "attributes": {"model": "gpt", "tokens": {"in": 10, "out": 20}},
        "links": [{"traceId": "other", "spanId": "s"}],
        "input": {"messages": [{"role": "user", "content": "hi"}]},
        "output": {"text": "hello"},
        "error": None,
        "request_context": {"tenant": "acme"},
    }
    fields.update(overrides)
    return Span(**fields)


async def _list_traces_fixture(obs: ObservabilityStore) -> dict[str, Span]:
    """Four traces (roots below) plus child spans; t1 has a failing child."""
    roots = {
        "t1": sample_span(
            trace_id=uid("trace-1"),
            started_at=BASE_TIME,
            ended_at=at(BASE_TIME, seconds=1),
            entity_name="Agent One",
            environment="production",
            user_id="user-1",
            run_id="run-1",
            session_id="session-1",
            thread_id="thread-1",
            request_id="req-1",
            source="cloud",
            service_name="svc-a",
            organization_id="org-1",
            resource_id="res-1",
            tags=["prod", "important"],
            metadata={"team": "a", "nested": {"x": 1, "y": 2}},
            scope={"core": "1.0.0", "extra": True},
        ),
        "t2": sample_span(
            trace_id=uid("trace-2"),
            span_type="workflow_run",
            entity_type="workflow_run",
            entity_id="wf-1",
            entity_name="Workflow Two",
            started_at=at(BASE_TIME, seconds=2),
            ended_at=at(BASE_TIME, seconds=3),
            environment="staging",
            run_id="run-2",
            session_id="session-1",
            source="local",
            service_name="svc-a",
            organization_id="org-1",
            error={"message": "boom"},
            tags=["prod"],
        ),
        "t3": sample_span(
            trace_id=uid("trace-3"),
            started_at=at(BASE_TIME, seconds=4),
            ended_at=None,
            entity_name="Agent Three",
            environment="production",
            user_id="user-1",
            session_id="session-2",
            service_name="svc-b",
            organization_id="org-2",
        ),
        "t4": sample_span(
            trace_id=uid("trace-4"),
            span_type="tool_call",
            entity_type="tool",
            entity_id="tool-1",
            entity_name="Tool Four",
            started_at=at(BASE_TIME, seconds=6),
            ended_at=at(BASE_TIME, seconds=7),
            environment="production",
        ),
    }
    children = [
        sample_span(
            trace_id=roots["t1"].trace_id,
            parent_span_id=roots["t1"].span_id,
            span_type="tool_call",
            started_at=at(BASE_TIME, ms=100),
            ended_at=at(BASE_TIME, ms=200),
            error={"message": "child failed"},
        ),
        sample_span(
            trace_id=roots["t2"].trace_id,
            parent_span_id=roots["t2"].span_id,
            span_type="workflow_step",
            started_at=at(BASE_TIME, seconds=2, ms=1),
        ),
        sample_span(
            trace_id=roots["t4"].trace_id,
            parent_span_id=roots["t4"].span_id,
            span_type="model_generation",
            started_at=at(BASE_TIME, seconds=6, ms=1),
        ),
    ]
    await obs.batch_create_spans([*roots.values(), *children])
    return roots


class ObservabilityTests(ConformanceBase):
    """Spans: create/batch/get/root/update/batch-update/delete and ``list_traces``."""

    # ---- create ------------------------------------------------------------------------------

    async def test_create_span_and_retrieve_it(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        span = sample_span()
        await obs.create_span(span)
        fetched = await obs.get_span(span.trace_id, span.span_id)
        assert fetched is not None
        assert _without_storage_fields(fetched) == _without_storage_fields(span)

    async def test_create_span_sets_timestamps(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        before = datetime.now(UTC) - timedelta(seconds=5)
        span = sample_span(created_at=at(BASE_TIME, days=-100), updated_at=None)
        await obs.create_span(span)
        fetched = await obs.get_span(span.trace_id, span.span_id)
        assert fetched is not None
        assert fetched.created_at is not None and fetched.updated_at is not None
        assert fetched.created_at > before
        assert fetched.created_at <= datetime.now(UTC) + timedelta(seconds=5)
        assert fetched.updated_at >= fetched.created_at

    async def test_create_span_preserves_every_property(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        span = _full_span()
        await obs.create_span(span)
        fetched = await obs.get_span(span.trace_id, span.span_id)
        assert fetched is not None
        assert _without_storage_fields(fetched) == _without_storage_fields(span)

    async def test_parent_child_hierarchy(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        root = sample_span()
        child = sample_span(
            trace_id=root.trace_id,
            parent_span_id=root.span_id,
            span_type="tool_call",
            started_at=at(BASE_TIME, ms=10),
        )
        await obs.create_span(root)
        await obs.create_span(child)
        fetched_root = await obs.get_span(root.trace_id, root.span_id)
        fetched_child = await obs.get_span(child.trace_id, child.span_id)
        assert fetched_root is not None and fetched_child is not None
        assert fetched_root.parent_span_id is None
        assert "parentSpanId" in fetched_root.to_dict()
        assert fetched_root.to_dict()["parentSpanId"] is None
        assert fetched_child.parent_span_id == root.span_id

    async def test_primitive_json_values_round_trip(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        span = sample_span(
            input="plain input string", output='{"looks": "like json"}', attributes={"n": 1}
        )
        numbers = sample_span(input=42, output=[1, "two", None], error="string error")
        await obs.batch_create_spans([span, numbers])
        fetched = await obs.get_span(span.trace_id, span.span_id)
        assert fetched is not None
        assert fetched.input == "plain input string"
        assert fetched.output == '{"looks": "like json"}'
        other = await obs.get_span(numbers.trace_id, numbers.span_id)
        assert other is not None
        assert (other.input, other.output, other.error) == (42, [1, "two", None], "string error")
        assert other.status == "error"

    async def test_create_same_span_twice_replaces_it(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        span = sample_span(ended_at=None)
        await obs.create_span(span)
        first = await obs.get_span(span.trace_id, span.span_id)
        await obs.create_span(span.replace(name="renamed", ended_at=at(BASE_TIME, seconds=9)))
        second = await obs.get_span(span.trace_id, span.span_id)
        assert first is not None and second is not None
        assert second.name == "renamed"
        assert second.ended_at == at(BASE_TIME, seconds=9)
        assert second.created_at == first.created_at
        trace = await obs.get_trace(span.trace_id)
        assert trace is not None and len(trace.spans) == 1

    async def test_create_span_rejects_invalid_input(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        good = sample_span()
        for bad in (
            sample_span(trace_id=good.trace_id, span_id=""),
            sample_span(trace_id=good.trace_id, name=" "),
            sample_span(trace_id=good.trace_id, metadata={"bad": object()}),
        ):
            with pytest.raises(ValidationError):
                await obs.create_span(bad)
            with pytest.raises(ValidationError):
                await obs.batch_create_spans([good, bad])
        with pytest.raises(ValidationError):
            sample_span(started_at=datetime(2024, 1, 1))  # naive on purpose
        assert await obs.get_trace(good.trace_id) is None

    # ---- batch create ------------------------------------------------------------------------

    async def test_batch_create_spans(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        root = sample_span()
        children = [
            sample_span(
                trace_id=root.trace_id,
                parent_span_id=root.span_id,
                started_at=at(BASE_TIME, ms=i + 1),
                name=f"child-{i}",
            )
            for i in range(3)
        ]
        await obs.batch_create_spans([root, *children])
        for span in (root, *children):
            fetched = await obs.get_span(span.trace_id, span.span_id)
            assert fetched is not None
            assert _without_storage_fields(fetched) == _without_storage_fields(span)

    async def test_batch_create_spans_across_traces(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        spans = [sample_span(started_at=at(BASE_TIME, seconds=i)) for i in range(3)]
        await obs.batch_create_spans(spans)
        for span in spans:
            trace = await obs.get_trace(span.trace_id)
            assert trace is not None
            assert [s.span_id for s in trace.spans] == [span.span_id]
        page = await obs.list_traces()
        assert page.total == 3

    async def test_batch_create_empty(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        await obs.batch_create_spans([])
        page = await obs.list_traces()
        assert (page.items, page.total) == ([], 0)

    # ---- get_trace / get_span / get_root_span --------------------------------------------------

    async def test_get_missing_trace(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        await obs.create_span(sample_span())
        assert await obs.get_trace("no-such-trace") is None

    async def test_get_trace_returns_all_spans_by_start_time(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        root = sample_span()
        late = sample_span(
            trace_id=root.trace_id, parent_span_id=root.span_id, started_at=at(BASE_TIME, seconds=3)
        )
        early = sample_span(
            trace_id=root.trace_id, parent_span_id=root.span_id, started_at=at(BASE_TIME, seconds=1)
        )
        grandchild = sample_span(
            trace_id=root.trace_id,
            parent_span_id=early.span_id,
            started_at=at(BASE_TIME, seconds=2),
        )
        await obs.batch_create_spans([late, grandchild, root, early])
        await obs.create_span(sample_span())
        trace = await obs.get_trace(root.trace_id)
        assert trace is not None
        assert trace.trace_id == root.trace_id
        assert [s.span_id for s in trace.spans] == [
            root.span_id,
            early.span_id,
            grandchild.span_id,
            late.span_id,
        ]

    async def test_get_span(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        root = sample_span()
        child = sample_span(trace_id=root.trace_id, parent_span_id=root.span_id, name="child")
        await obs.batch_create_spans([root, child])
        assert await obs.get_span("no-such-trace", root.span_id) is None
        assert await obs.get_span(root.trace_id, "no-such-span") is None
        fetched = await obs.get_span(root.trace_id, child.span_id)
        assert fetched is not None
        assert (fetched.span_id, fetched.name) == (child.span_id, "child")

    async def test_get_span_preserves_every_property(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        root = sample_span()
        full = _full_span(trace_id=root.trace_id, parent_span_id=root.span_id)
        await obs.batch_create_spans([root, full])
        fetched = await obs.get_span(full.trace_id, full.span_id)
        assert fetched is not None
        assert _without_storage_fields(fetched) == _without_storage_fields(full)

    async def test_get_root_span(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        assert await obs.get_root_span("no-such-trace") is None
        root = _full_span(started_at=at(BASE_TIME, seconds=5))
        children = [
            sample_span(
                trace_id=root.trace_id,
                parent_span_id=root.span_id,
                started_at=at(BASE_TIME, seconds=i),
            )
            for i in range(3)
        ]
        await obs.batch_create_spans([*children, root])
        fetched = await obs.get_root_span(root.trace_id)
        assert fetched is not None
        assert fetched.span_id == root.span_id
        assert fetched.parent_span_id is None
        assert _without_storage_fields(fetched) == _without_storage_fields(root)

    # ---- update ------------------------------------------------------------------------------

    async def test_update_span_fields(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        span = sample_span(ended_at=None)
        await obs.create_span(span)
        before = await obs.get_span(span.trace_id, span.span_id)
        assert before is not None and before.status == "running"
        ended = datetime(2024, 1, 1, 0, 0, 2, 345000, tzinfo=UTC)
        await obs.update_span(span.trace_id, span.span_id, ended_at=ended, output={"result": "ok"})
        after = await obs.get_span(span.trace_id, span.span_id)
        assert after is not None
        assert after.ended_at == ended
        assert after.output == {"result": "ok"}
        assert after.status == "success"
        assert after.created_at == before.created_at
        assert before.updated_at is not None and after.updated_at is not None
        assert after.updated_at > before.updated_at

    async def test_update_span_name(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        span = sample_span()
        await obs.create_span(span)
        await obs.update_span(span.trace_id, span.span_id, name="new name")
        after = await obs.get_span(span.trace_id, span.span_id)
        assert after is not None and after.name == "new name"

    async def test_update_span_preserves_other_properties(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        span = _full_span()
        await obs.create_span(span)
        await obs.update_span(
            span.trace_id,
            span.span_id,
            metadata={"replaced": True},
            error={"message": "late failure"},
        )
        after = await obs.get_span(span.trace_id, span.span_id)
        assert after is not None
        expected = _without_storage_fields(
            span.replace(metadata={"replaced": True}, error={"message": "late failure"})
        )
        assert _without_storage_fields(after) == expected
        assert after.status == "error"

    async def test_update_missing_span_is_ignored(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        span = sample_span()
        await obs.create_span(span)
        await obs.update_span(span.trace_id, "no-such-span", name="ghost")
        await obs.update_span("no-such-trace", span.span_id, name="ghost")
        assert await obs.get_span(span.trace_id, "no-such-span") is None
        assert await obs.get_trace("no-such-trace") is None
        fetched = await obs.get_span(span.trace_id, span.span_id)
        assert fetched is not None and fetched.name == span.name

    async def test_update_span_rejects_invalid_changes(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        span = sample_span()
        await obs.create_span(span)
        before = await obs.get_span(span.trace_id, span.span_id)
        for changes in (
            {"trace_id": "moved"},
            {"span_id": "renamed"},
            {"created_at": datetime.now(UTC)},
            {"no_such_field": 1},
            {"ended_at": datetime(2024, 1, 1)},  # naive on purpose
            {"metadata": {"bad": object()}},
        ):
            if not {"trace_id", "span_id"} & set(changes):
                with pytest.raises(ValidationError):
                    await obs.update_span(span.trace_id, span.span_id, **changes)
            with pytest.raises(ValidationError):
                await obs.batch_update_spans(
                    [
                        SpanUpdate(
                            trace_id=span.trace_id, span_id=span.span_id, changes={"name": "valid"}
                        ),
                        SpanUpdate(trace_id=span.trace_id, span_id=span.span_id, changes=changes),
                    ]
                )
        assert await obs.get_span(span.trace_id, span.span_id) == before

    async def test_batch_update_spans(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        root = sample_span(ended_at=None)
        child = sample_span(trace_id=root.trace_id, parent_span_id=root.span_id, ended_at=None)
        other = sample_span(ended_at=None)
        await obs.batch_create_spans([root, child, other])
        end = at(BASE_TIME, seconds=30)
        await obs.batch_update_spans(
            [
                SpanUpdate(
                    trace_id=root.trace_id,
                    span_id=root.span_id,
                    changes={"ended_at": end, "name": "root done"},
                ),
                SpanUpdate(
                    trace_id=child.trace_id,
                    span_id=child.span_id,
                    changes={"error": {"message": "x"}},
                ),
                SpanUpdate(
                    trace_id=other.trace_id,
                    span_id=other.span_id,
                    changes={"ended_at": end, "tags": ["finished"]},
                ),
            ]
        )
        got_root = await obs.get_span(root.trace_id, root.span_id)
        got_child = await obs.get_span(child.trace_id, child.span_id)
        got_other = await obs.get_span(other.trace_id, other.span_id)
        assert got_root is not None and got_child is not None and got_other is not None
        assert (got_root.ended_at, got_root.name) == (end, "root done")
        assert got_child.error == {"message": "x"} and got_child.ended_at is None
        assert (got_other.ended_at, got_other.tags) == (end, ["finished"])
        await obs.batch_update_spans([])

    # ---- delete ------------------------------------------------------------------------------

    async def test_batch_delete_traces(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        doomed = [sample_span() for _ in range(2)]
        doomed_child = sample_span(trace_id=doomed[0].trace_id, parent_span_id=doomed[0].span_id)
        keep = sample_span()
        await obs.batch_create_spans([*doomed, doomed_child, keep])
        await obs.batch_delete_traces([doomed[0].trace_id, doomed[1].trace_id])
        for span in (*doomed, doomed_child):
            assert await obs.get_span(span.trace_id, span.span_id) is None
            assert await obs.get_trace(span.trace_id) is None
        assert await obs.get_root_span(keep.trace_id) is not None
        assert _trace_ids((await obs.list_traces()).items) == [keep.trace_id]

    async def test_batch_delete_missing_traces(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        keep = sample_span()
        await obs.create_span(keep)
        await obs.batch_delete_traces(["no-such-trace", "another-missing"])
        await obs.batch_delete_traces([])
        assert await obs.get_trace(keep.trace_id) is not None

    # ---- list_traces: pagination --------------------------------------------------------------

    async def test_list_traces_empty(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        page = await obs.list_traces()
        assert (page.items, page.total, page.page, page.per_page, page.has_more) == (
            [],
            0,
            0,
            10,
            False,
        )

    async def test_list_traces_returns_root_spans(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        roots = await _list_traces_fixture(obs)
        page = await obs.list_traces()
        assert page.total == 4
        assert len(page.items) == 4
        assert all(span.parent_span_id is None for span in page.items)
        assert {s.span_id for s in page.items} == {r.span_id for r in roots.values()}

    async def test_list_traces_per_page_and_navigation(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        roots = await _list_traces_fixture(obs)
        first = await obs.list_traces(per_page=3)
        assert len(first.items) == 3
        assert (first.total, first.page, first.per_page, first.has_more) == (4, 0, 3, True)
        second = await obs.list_traces(page=1, per_page=3)
        assert len(second.items) == 1
        assert (second.total, second.page, second.has_more) == (4, 1, False)
        assert _trace_ids(first.items) + _trace_ids(second.items) == [
            roots[k].trace_id for k in ("t4", "t3", "t2", "t1")
        ]

    async def test_list_traces_rejects_invalid_arguments(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        await _list_traces_fixture(obs)
        for kwargs in (
            {"per_page": 0},
            {"per_page": 101},
            {"page": -1},
            {"order_field": "name"},
            {"direction": "UP"},
        ):
            with pytest.raises(ValidationError):
                await obs.list_traces(**cast(Any, kwargs))
        assert (await obs.list_traces(per_page=100)).total == 4

    # ---- list_traces: filters -----------------------------------------------------------------

    async def _filtered(self, obs: ObservabilityStore, **filters: Any) -> list[str]:
        page = await obs.list_traces(filter=TraceFilter(**filters), per_page=100)
        assert page.total == len(page.items)
        return sorted(_trace_ids(page.items))

    async def test_list_traces_equality_filters(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        t1, t2, t3, t4 = (r[k].trace_id for k in ("t1", "t2", "t3", "t4"))
        cases: list[tuple[dict[str, Any], list[str]]] = [
            ({"span_type": "workflow_run"}, [t2]),
            ({"entity_type": "agent"}, [t1, t3]),
            ({"entity_id": "wf-1"}, [t2]),
            ({"entity_name": "Agent Three"}, [t3]),
            ({"user_id": "user-1"}, [t1, t3]),
            ({"environment": "production"}, [t1, t3, t4]),
            ({"environment": "nowhere"}, []),
            ({"span_type": "tool_call"}, [t4]),
        ]
        for filters, expected in cases:
            assert await self._filtered(obs, **filters) == sorted(expected), filters

    async def test_list_traces_correlation_filters(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        t1, t2 = r["t1"].trace_id, r["t2"].trace_id
        assert await self._filtered(obs, run_id="run-1") == [t1]
        assert await self._filtered(obs, session_id="session-1") == sorted([t1, t2])
        assert await self._filtered(obs, thread_id="thread-1") == [t1]
        assert await self._filtered(obs, request_id="req-1") == [t1]

    async def test_list_traces_deployment_and_identity_filters(
        self, storage: MastraStorage
    ) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        t1, t2, t3, t4 = (r[k].trace_id for k in ("t1", "t2", "t3", "t4"))
        assert await self._filtered(obs, source="cloud") == [t1]
        assert await self._filtered(obs, source="local") == sorted([t2, t3, t4])
        assert await self._filtered(obs, service_name="svc-a") == sorted([t1, t2])
        assert await self._filtered(obs, organization_id="org-1") == sorted([t1, t2])
        assert await self._filtered(obs, resource_id="res-1") == [t1]

    async def test_list_traces_filters_apply_to_root_spans_only(
        self, storage: MastraStorage
    ) -> None:
        obs = await self.observability(storage)
        await _list_traces_fixture(obs)
        assert await self._filtered(obs, span_type="workflow_step") == []
        assert await self._filtered(obs, span_type="model_generation") == []

    async def test_list_traces_status_filters(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        success = await obs.list_traces(filter=TraceFilter(status="success"))
        assert sorted(_trace_ids(success.items)) == sorted([r["t1"].trace_id, r["t4"].trace_id])
        assert all(s.error is None and s.ended_at is not None for s in success.items)
        assert await self._filtered(obs, status="error") == [r["t2"].trace_id]
        assert await self._filtered(obs, status="running") == [r["t3"].trace_id]

    async def test_list_traces_status_field(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        page = await obs.list_traces()
        status = {s.trace_id: s.status for s in page.items}
        assert status == {
            r["t1"].trace_id: "success",
            r["t2"].trace_id: "error",
            r["t3"].trace_id: "running",
            r["t4"].trace_id: "success",
        }
        for span in page.items:
            if span.status == "error":
                assert span.error is not None
            elif span.status == "running":
                assert span.ended_at is None and span.error is None
            else:
                assert span.ended_at is not None and span.error is None

    async def test_list_traces_has_child_error(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        assert await self._filtered(obs, has_child_error=True) == sorted(
            [r["t1"].trace_id, r["t2"].trace_id]
        )
        assert await self._filtered(obs, has_child_error=False) == sorted(
            [r["t3"].trace_id, r["t4"].trace_id]
        )

    async def test_list_traces_started_at_range(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        assert await self._filtered(
            obs, started_at=DateRange(start=at(BASE_TIME, seconds=1), end=at(BASE_TIME, seconds=3))
        ) == [r["t2"].trace_id]
        assert await self._filtered(obs, started_at=DateRange(start=at(BASE_TIME, seconds=4))) == (
            sorted([r["t3"].trace_id, r["t4"].trace_id])
        )
        inclusive = await self._filtered(
            obs, started_at=DateRange(start=at(BASE_TIME, seconds=2), end=at(BASE_TIME, seconds=4))
        )
        assert inclusive == sorted([r["t2"].trace_id, r["t3"].trace_id])
        iso = await self._filtered(obs, started_at=DateRange(end="2024-01-01T00:00:00.000Z"))
        assert iso == [r["t1"].trace_id]

    async def test_list_traces_ended_at_range(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        ended = await self._filtered(obs, ended_at=DateRange(start=at(BASE_TIME, seconds=3)))
        assert ended == sorted([r["t2"].trace_id, r["t4"].trace_id])

    async def test_list_traces_tag_metadata_and_scope_filters(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        t1, t2 = r["t1"].trace_id, r["t2"].trace_id
        assert await self._filtered(obs, tags=["prod"]) == sorted([t1, t2])
        assert await self._filtered(obs, tags=["prod", "important"]) == [t1]
        assert await self._filtered(obs, tags=["important", "missing"]) == []
        assert await self._filtered(obs, metadata={"team": "a"}) == [t1]
        assert await self._filtered(obs, metadata={"nested": {"x": 1}}) == [t1]
        assert await self._filtered(obs, metadata={"team": "b"}) == []
        assert await self._filtered(obs, scope={"core": "1.0.0"}) == [t1]

    async def test_list_traces_combined_filters(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        assert await self._filtered(
            obs, entity_type="agent", environment="production", status="success"
        ) == [r["t1"].trace_id]
        assert await self._filtered(obs, entity_type="agent", environment="staging") == []

    # ---- list_traces: ordering ----------------------------------------------------------------

    async def test_list_traces_order_by_started_at(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        newest_first = [r[k].trace_id for k in ("t4", "t3", "t2", "t1")]
        assert _trace_ids((await obs.list_traces()).items) == newest_first
        desc = await obs.list_traces(order_field="started_at", direction="DESC")
        assert _trace_ids(desc.items) == newest_first
        asc = await obs.list_traces(order_field="started_at", direction="ASC")
        assert _trace_ids(asc.items) == list(reversed(newest_first))

    async def test_list_traces_order_by_ended_at_with_nulls(self, storage: MastraStorage) -> None:
        obs = await self.observability(storage)
        r = await _list_traces_fixture(obs)
        desc = await obs.list_traces(order_field="ended_at", direction="DESC")
        assert _trace_ids(desc.items) == [r[k].trace_id for k in ("t3", "t4", "t2", "t1")]
        asc = await obs.list_traces(order_field="ended_at", direction="ASC")
        assert _trace_ids(asc.items) == [r[k].trace_id for k in ("t1", "t2", "t4", "t3")]
        paged = [
            *_trace_ids(
                (await obs.list_traces(order_field="ended_at", direction="ASC", per_page=3)).items
            ),
            *_trace_ids(
                (
                    await obs.list_traces(
                        order_field="ended_at", direction="ASC", per_page=3, page=1
                    )
                ).items
            ),
        ]
        assert paged == _trace_ids(asc.items)

    async def test_dangerously_clear_all_empties_observability(
        self, storage: MastraStorage
    ) -> None:
        obs = await self.observability(storage)
        span = sample_span()
        await obs.create_span(span)
        await obs.dangerously_clear_all()
        assert await obs.get_trace(span.trace_id) is None
        assert (await obs.list_traces()).total == 0


__all__ = ["ObservabilityTests"]
