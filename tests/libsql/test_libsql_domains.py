"""One smoke test per domain, plus the SQL-specific semantics (ordering, filters, cursors)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from mastra_storage import (
    ConflictError,
    DateRange,
    IncludeSpec,
    Message,
    MessageContent,
    MessageUpdate,
    NotFoundError,
    OrderBy,
    Resource,
    ScorePayload,
    Span,
    Thread,
    TraceFilter,
)
from mastra_storage.domains import (
    MemoryStore,
    ObservabilityStore,
    ScoresStore,
    WorkflowsStore,
)
from mastra_storage_libsql import LibSQLStore

pytestmark = pytest.mark.anyio

UTC = timezone.utc
T0 = datetime(2024, 5, 1, 10, 0, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def thread(thread_id: str, resource_id: str = "r1", **kw: Any) -> Thread:
    kw.setdefault("created_at", T0)
    kw.setdefault("updated_at", kw["created_at"])
    return Thread(id=thread_id, resource_id=resource_id, title=f"title {thread_id}", **kw)


def message(
    message_id: str, thread_id: str = "t1", created: float = 0, resource_id: str = "r1", **kw: Any
) -> Message:
    kw.setdefault("role", "user")
    return Message(
        id=message_id,
        thread_id=thread_id,
        resource_id=resource_id,
        created_at=at(created),
        content=MessageContent.text(f"text of {message_id}"),
        **kw,
    )


def mem(store: LibSQLStore) -> MemoryStore:
    domain = store.stores["memory"]
    assert isinstance(domain, MemoryStore)
    return domain


# --------------------------------------------------------------------------- memory


async def test_memory_smoke(store: LibSQLStore) -> None:
    memory = mem(store)
    saved = await memory.save_thread(thread("t1", metadata={"k": "v"}))
    assert await memory.get_thread_by_id("t1") == saved
    msgs = [message(f"m{i}", created=i) for i in range(3)]
    msgs.append(message("m3", created=3, role="assistant", type="v3"))
    await memory.save_messages(msgs)
    page = await memory.list_messages(thread_id="t1")
    assert [m.id for m in page.items] == ["m0", "m1", "m2", "m3"]
    assert page.items == msgs  # exact round trip, type preserved, 'v2' default read as None
    assert page.total == 4 and not page.has_more
    bumped = await memory.get_thread_by_id("t1")
    assert bumped is not None and bumped.updated_at > T0

    updated = await memory.update_thread("t1", title="new", metadata={"x": 1})
    assert updated.title == "new" and updated.metadata == {"k": "v", "x": 1}
    assert await memory.get_thread_by_id("t1") == updated

    resource = await memory.update_resource("r1", working_memory="# wm", metadata={"a": 1})
    assert await memory.get_resource_by_id("r1") == resource
    again = await memory.update_resource("r1", metadata={"b": 2})
    assert again.working_memory == "# wm" and again.metadata == {"a": 1, "b": 2}
    await memory.save_resource(Resource(id="r2", created_at=T0, updated_at=T0))
    assert (await memory.get_resource_by_id("r2")) == Resource(
        id="r2", created_at=T0, updated_at=T0
    )

    await memory.delete_thread("t1")
    assert await memory.get_thread_by_id("t1") is None
    assert await memory.list_messages_by_id(["m0", "m1"]) == []
    await memory.dangerously_clear_all()
    assert await memory.get_resource_by_id("r1") is None


async def test_save_messages_is_all_or_nothing_and_bumps_every_thread(store: LibSQLStore) -> None:
    memory = mem(store)
    await memory.save_thread(thread("t1"))
    await memory.save_thread(thread("t2"))
    with pytest.raises(NotFoundError):
        await memory.save_messages([message("a", "t1"), message("b", "missing")])
    assert await memory.list_messages_by_id(["a", "b"]) == []
    await memory.save_messages([message("a", "t1"), message("b", "t2")])
    for thread_id in ("t1", "t2"):
        t = await memory.get_thread_by_id(thread_id)
        assert t is not None and t.updated_at > T0


async def test_upsert_keeps_created_at_and_position(store: LibSQLStore) -> None:
    memory = mem(store)
    await memory.save_thread(thread("t1"))
    await memory.save_messages([message("a", created=5), message("b", created=5)])
    await memory.save_messages([message("c", created=5)])
    # re-save "a" with a later timestamp and new text: keeps its createdAt and its place
    changed = message("a", created=99).replace(content=MessageContent.text("edited"))
    await memory.save_messages([changed])
    page = await memory.list_messages(thread_id="t1")
    assert [m.id for m in page.items] == ["a", "b", "c"]
    assert page.items[0].created_at == at(5) and page.items[0].text == "edited"


async def test_messages_order_paging_cursor_and_includes(store: LibSQLStore) -> None:
    memory = mem(store)
    await memory.save_thread(thread("t1"))
    await memory.save_thread(thread("t2"))
    # equal timestamps: insertion order breaks the tie
    await memory.save_messages([message(f"m{i}", created=i // 3) for i in range(9)])
    await memory.save_messages([message(f"o{i}", "t2", created=i) for i in range(5)])

    desc = await memory.list_messages(thread_id="t1", order_by=OrderBy(direction="DESC"))
    assert [m.id for m in desc.items] == [f"m{i}" for i in reversed(range(9))]

    seen: list[str] = []
    page = await memory.list_messages(thread_id="t1", per_page=4)
    assert page.total == 9 and page.has_more
    seen.extend(m.id for m in page.items)
    # a message inserted before the cursor position does not shift the next page
    await memory.save_messages([message("early", created=-10)])
    while page.next_cursor:
        page = await memory.list_messages(thread_id="t1", per_page=4, cursor=page.next_cursor)
        seen.extend(m.id for m in page.items)
    assert seen == [f"m{i}" for i in range(9)]

    offset_page = await memory.list_messages(thread_id="t1", page=1, per_page=4)
    assert [m.id for m in offset_page.items] == ["m3", "m4", "m5", "m6"]  # "early" is first

    ranged = await memory.list_messages(
        thread_id="t1", date_range=DateRange(start=at(1), end=at(2), end_exclusive=True)
    )
    assert [m.id for m in ranged.items] == ["m3", "m4", "m5"]

    only = await memory.list_messages(
        thread_id="t1",
        per_page=0,
        include=[
            IncludeSpec(id="o2", with_previous_messages=1, with_next_messages=1),
            IncludeSpec(id="m0", with_next_messages=2),
            IncludeSpec(id="nope"),
        ],
    )
    assert [m.id for m in only.items] == ["m0", "m1", "m2", "o1", "o2", "o3"]
    assert only.total == 0

    both = await memory.list_messages(
        thread_id=["t1", "t2"], per_page=3, order_by=OrderBy(direction="DESC")
    )
    # o2 and m8 share a timestamp; o2 was inserted later, so it comes first in DESC
    assert [m.id for m in both.items] == ["o4", "o3", "o2"] and both.total == 15

    by_resource = await memory.list_messages_by_resource_id(resource_id="r1", per_page=None)
    assert len(by_resource.items) == 15
    assert [m.id for m in await memory.list_messages_by_id(["m4", "o0", "x"])] == ["o0", "m4"]


async def test_update_and_delete_messages_bump_old_and_new_threads(store: LibSQLStore) -> None:
    memory = mem(store)
    await memory.save_thread(thread("t1"))
    await memory.save_thread(thread("t2"))
    await memory.save_messages([message("a", created=1), message("b", created=2)])
    t1 = await memory.get_thread_by_id("t1")
    assert t1 is not None
    with pytest.raises(NotFoundError):
        await memory.update_messages([MessageUpdate(id="a", thread_id="missing")])
    out = await memory.update_messages(
        [
            MessageUpdate(id="b", content={"metadata": {"x": 1}}),
            MessageUpdate(id="a", thread_id="t2"),
            MessageUpdate(id="zzz", role="assistant"),
        ]
    )
    assert [m.id for m in out] == ["b", "a"]
    assert out[1].thread_id == "t2" and out[1].created_at == at(1)
    assert out[0].content.metadata == {"x": 1} and out[0].text == "text of b"
    moved = await memory.list_messages(thread_id="t2")
    assert [m.id for m in moved.items] == ["a"]
    t1_after = await memory.get_thread_by_id("t1")
    t2_after = await memory.get_thread_by_id("t2")
    assert t1_after is not None and t2_after is not None
    assert t1_after.updated_at > t1.updated_at and t2_after.updated_at > T0

    await memory.delete_messages(["a", "unknown"])
    t2_final = await memory.get_thread_by_id("t2")
    assert t2_final is not None and t2_final.updated_at > t2_after.updated_at
    assert [m.id for m in (await memory.list_messages(thread_id=["t1", "t2"])).items] == ["b"]


async def test_thread_listing_metadata_typing_and_cursor(store: LibSQLStore) -> None:
    memory = mem(store)
    values: list[Any] = [True, 1, 1.0, "1", None, {"a": 1, "b": [1, 2]}, [1, "x"]]
    for i, value in enumerate(values):
        await memory.save_thread(thread(f"t{i}", created_at=at(i), metadata={"v": value}))
    await memory.save_thread(thread("nometa", created_at=at(50)))
    await memory.save_thread(thread("other", "r2", created_at=at(60), metadata={"v": True}))

    async def ids(**kw: Any) -> list[str]:
        return [t.id for t in (await memory.list_threads(per_page=None, **kw)).items]

    assert await ids(metadata={"v": True}, resource_id="r1") == ["t0"]
    assert await ids(metadata={"v": True}) == ["other", "t0"]
    assert await ids(metadata={"v": 1}) == ["t2", "t1"]  # 1 == 1.0, but not True
    assert await ids(metadata={"v": "1"}) == ["t3"]
    assert await ids(metadata={"v": None}) == ["t4"]  # only a present null
    assert await ids(metadata={"v": {"b": [1, 2.0], "a": 1}}) == ["t5"]  # key order ignored
    assert await ids(metadata={"v": [1, "x"]}) == ["t6"]
    assert await ids(metadata={"v": [1]}) == []
    assert await ids(metadata={"missing": None}) == []
    asc = await ids(order_by=OrderBy(field="created_at", direction="ASC"))
    assert asc[:3] == ["t0", "t1", "t2"] and asc[-1] == "other"

    seen: list[str] = []
    page = await memory.list_threads(resource_id="r1", per_page=3)
    assert page.total == 8
    seen.extend(t.id for t in page.items)
    while page.next_cursor:
        page = await memory.list_threads(resource_id="r1", per_page=3, cursor=page.next_cursor)
        seen.extend(t.id for t in page.items)
    assert seen == ["nometa", "t6", "t5", "t4", "t3", "t2", "t1", "t0"]
    paged = await memory.list_threads(metadata={"v": {"a": 1, "b": [1, 2]}}, per_page=1)
    assert paged.total == 1 and [t.id for t in paged.items] == ["t5"]


async def test_clone_thread(store: LibSQLStore) -> None:
    memory = mem(store)
    await memory.save_thread(thread("src"))
    await memory.save_messages([message(f"m{i}", "src", created=i // 2) for i in range(6)])
    result = await memory.clone_thread("src", new_thread_id="dst", message_limit=4)
    assert result.thread.id == "dst"
    assert list(result.message_id_map) == ["m2", "m3", "m4", "m5"]
    listed = await memory.list_messages(thread_id="dst")
    assert [m.id for m in listed.items] == [result.message_id_map[f"m{i}"] for i in range(2, 6)]
    with pytest.raises(ConflictError):
        await memory.clone_thread("src", new_thread_id="dst")
    with pytest.raises(NotFoundError):
        await memory.clone_thread("nope")


# --------------------------------------------------------------------------- workflows


async def test_workflows_smoke(store: LibSQLStore) -> None:
    wf = store.stores["workflows"]
    assert isinstance(wf, WorkflowsStore)
    await wf.persist_workflow_snapshot(
        workflow_name="w",
        run_id="r1",
        snapshot={"status": "running", "context": {}},
        resource_id="res",
        created_at=at(1),
        updated_at=at(1),
    )
    await wf.persist_workflow_snapshot(
        workflow_name="w",
        run_id="r1",
        snapshot={"status": "success", "context": {"a": 1}},
        resource_id="res",
        created_at=at(50),
        updated_at=at(50),
    )
    run = await wf.get_workflow_run_by_id("r1")
    assert run is not None and run.created_at == at(1) and run.updated_at == at(50)
    assert await wf.load_workflow_snapshot(workflow_name="w", run_id="r1") == {
        "status": "success",
        "context": {"a": 1},
    }
    await wf.persist_workflow_snapshot(workflow_name="w2", run_id="r2", snapshot="just text")
    assert await wf.load_workflow_snapshot(workflow_name="w2", run_id="r2") == "just text"

    import asyncio

    await asyncio.gather(
        *(
            wf.update_workflow_results(
                workflow_name="w",
                run_id="r1",
                step_id=f"s{i}",
                result={"i": i},
                request_context={f"k{i}": i},
            )
            for i in range(10)
        )
    )
    snapshot = await wf.load_workflow_snapshot(workflow_name="w", run_id="r1")
    assert isinstance(snapshot, dict)
    assert set(snapshot["context"]) == {"a", *(f"s{i}" for i in range(10))}
    assert snapshot["requestContext"] == {f"k{i}": i for i in range(10)}
    state = await wf.update_workflow_state(
        workflow_name="w", run_id="r1", status="suspended", waiting_paths={"p": [1]}
    )
    assert state is not None and state["status"] == "suspended"
    assert await wf.update_workflow_state(workflow_name="w", run_id="nope", status="failed") is None

    runs = await wf.list_workflow_runs(status="suspended")
    assert [r.run_id for r in runs.items] == ["r1"] and runs.total == 1
    assert (await wf.list_workflow_runs(from_date=at(0), to_date=at(2))).total == 1
    assert (await wf.list_workflow_runs(resource_id="res")).total == 1
    paged = await wf.list_workflow_runs(page=0, per_page=1)
    assert paged.total == 2 and paged.has_more and len(paged.items) == 1
    await wf.delete_workflow_run_by_id("r1", workflow_name="w")
    assert await wf.get_workflow_run_by_id("r1", workflow_name="w") is None
    await wf.dangerously_clear_all()
    assert (await wf.list_workflow_runs()).total == 0


# --------------------------------------------------------------------------- scores


async def test_scores_smoke(store: LibSQLStore) -> None:
    scores = store.stores["scores"]
    assert isinstance(scores, ScoresStore)
    payload = ScorePayload(
        scorer_id="sc",
        entity_id="agent",
        entity_type="AGENT",
        run_id="run",
        score=1,
        scorer={"id": "sc", "name": "n"},
        output="plain string",
        input=[{"a": 1}],
        source="LIVE",
        structured_output=False,
        trace_id="tr",
        span_id="sp",
        metadata={"m": True},
        reason="because",
        additional_context={"c": [1, None]},
    )
    saved = await scores.save_score(payload)
    assert await scores.get_score_by_id(saved.id) == saved
    assert saved.score == 1.0
    for i in range(4):
        await scores.save_score(payload.replace(run_id=f"run{i}", source="TEST"))
    by_scorer = await scores.list_scores_by_scorer_id("sc", per_page=2)
    assert by_scorer.total == 5 and len(by_scorer.items) == 2 and by_scorer.has_more
    assert by_scorer.items[0].created_at >= by_scorer.items[1].created_at
    assert (await scores.list_scores_by_scorer_id("sc", source="LIVE")).total == 1
    assert (await scores.list_scores_by_run_id("run2")).total == 1
    assert (await scores.list_scores_by_entity_id("agent", entity_type="AGENT")).total == 5
    assert (await scores.list_scores_by_entity_id("agent", entity_type="WORKFLOW")).total == 0
    assert (await scores.list_scores_by_span(trace_id="tr", span_id="sp")).total == 5
    everything = await scores.list_scores_by_scorer_id("sc", per_page=None)
    assert len(everything.items) == 5 and not everything.has_more
    await scores.dangerously_clear_all()
    assert await scores.get_score_by_id(saved.id) is None


# --------------------------------------------------------------------------- observability


def span(trace_id: str, span_id: str, parent: str | None = None, **kw: Any) -> Span:
    kw.setdefault("started_at", T0)
    return Span(
        trace_id=trace_id,
        span_id=span_id,
        parent_span_id=parent,
        name=f"{trace_id}/{span_id}",
        span_type=kw.pop("span_type", "agent_run"),
        **kw,
    )


async def test_observability_smoke(store: LibSQLStore) -> None:
    obs = store.stores["observability"]
    assert isinstance(obs, ObservabilityStore)
    root = span("t1", "root", input="hello", tags=["a"], is_event=True, attributes={"x": [1]})
    await obs.create_span(root)
    got = await obs.get_span("t1", "root")
    assert got is not None and got.input == "hello" and got.is_event is True
    assert got.created_at is not None and got.attributes == {"x": [1]}
    created = got.created_at
    await obs.create_span(root.replace(name="renamed"))  # replace, keep createdAt
    again = await obs.get_span("t1", "root")
    assert again is not None and again.name == "renamed" and again.created_at == created

    await obs.batch_create_spans(
        [span("t1", "child", "root", started_at=at(1)), span("t2", "root", started_at=at(5))]
    )
    trace = await obs.get_trace("t1")
    assert trace is not None and [s.span_id for s in trace.spans] == ["root", "child"]
    root_span = await obs.get_root_span("t1")
    assert root_span is not None and root_span.span_id == "root"

    await obs.update_span("t1", "child", error={"message": "boom"}, ended_at=at(2))
    child = await obs.get_span("t1", "child")
    assert child is not None and child.error == {"message": "boom"} and child.ended_at == at(2)
    assert child.updated_at is not None and child.status == "error"
    await obs.update_span("t1", "nope", name="x")  # missing span: ignored

    listed = await obs.list_traces()
    assert [s.trace_id for s in listed.items] == ["t2", "t1"] and listed.total == 2
    assert (await obs.list_traces(filter=TraceFilter(has_child_error=True))).total == 1
    await obs.batch_delete_traces(["t1", "zzz"])
    assert await obs.get_trace("t1") is None
    await obs.dangerously_clear_all()
    assert (await obs.list_traces()).total == 0


async def test_list_traces_filters_and_ordering(store: LibSQLStore) -> None:
    obs = store.stores["observability"]
    assert isinstance(obs, ObservabilityStore)
    await obs.batch_create_spans(
        [
            span(
                "a",
                "r",
                started_at=at(1),
                ended_at=at(10),
                tags=["x", "y"],
                metadata={"env": "prod", "n": 1, "deep": {"list": [1, {"k": True}]}},
                scope={"core": "1.0"},
                user_id="u1",
            ),
            span("a", "c", "r", started_at=at(2), error={"m": "child failed"}),
            span("b", "r", started_at=at(2), tags=["x"], metadata={"env": "dev", "n": True}),
            span(
                "c",
                "r",
                started_at=at(3),
                ended_at=at(4),
                error={"m": "root failed"},
                metadata={'we"ird': 1},
            ),
            span("d", "r", started_at=at(4), ended_at=at(20)),
        ]
    )

    async def traces(**kw: Any) -> list[str]:
        filter_ = TraceFilter(**kw.pop("filter", {}))
        page = await obs.list_traces(filter=filter_, **kw)
        return [s.trace_id for s in page.items]

    assert await traces() == ["d", "c", "b", "a"]
    assert await traces(direction="ASC") == ["a", "b", "c", "d"]
    assert await traces(order_field="ended_at") == ["b", "d", "a", "c"]  # running first
    assert await traces(order_field="ended_at", direction="ASC") == ["c", "a", "d", "b"]
    assert await traces(filter={"status": "running"}) == ["b"]
    assert await traces(filter={"status": "error"}) == ["c"]
    assert await traces(filter={"status": "success"}) == ["d", "a"]
    assert await traces(filter={"has_child_error": True}) == ["c", "a"]
    assert await traces(filter={"has_child_error": False}) == ["d", "b"]
    assert await traces(filter={"tags": ["x"]}) == ["b", "a"]
    assert await traces(filter={"tags": ["x", "y"]}) == ["a"]
    assert await traces(filter={"metadata": {"n": 1}}) == ["a"]  # True is not 1
    assert await traces(filter={"metadata": {"n": True}}) == ["b"]
    assert await traces(filter={"metadata": {"deep": {"list": [{"k": True}]}}}) == ["a"]
    assert await traces(filter={"metadata": {"deep": {"list": [{"k": 1}]}}}) == []
    assert await traces(filter={"metadata": {'we"ird': 1}}) == ["c"]  # Python fallback
    assert await traces(filter={"scope": {"core": "1.0"}, "user_id": "u1"}) == ["a"]
    assert await traces(filter={"started_at": DateRange(start=at(2), end=at(3))}) == ["c", "b"]
    assert await traces(filter={"ended_at": DateRange(start=at(5))}) == ["d", "a"]
    page = await obs.list_traces(page=1, per_page=3)
    assert [s.trace_id for s in page.items] == ["a"] and page.total == 4 and not page.has_more
