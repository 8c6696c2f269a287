"""The paging contract's reference (``mastra_storage.backend.paging``) and every query
type's ``execute``, checked against a naive filter-then-sort written independently here."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from hypothesis import given, settings
from hypothesis import strategies as st

from mastra_storage.backend.memory import MessageQuery, StoredMessage, ThreadQuery
from mastra_storage.backend.observability import NULL_TIME_KEY, TraceFilter, TraceQuery
from mastra_storage.backend.paging import cut_page, is_after, run_page, sort_rows
from mastra_storage.backend.scores import ScoreQuery
from mastra_storage.backend.workflows import WorkflowRunQuery
from mastra_storage.pagination import Cursor, ResolvedDateRange, ResolvedOrder
from mastra_storage.records import Message, MessageContent, Score, Span, Thread, WorkflowRun
from mastra_storage.timeutil import UTC, to_epoch_ms

T = TypeVar("T")
Key = tuple[int, Any]

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _cursor(key: Key) -> Cursor:
    return Cursor(key[0], key[1], "DESC", "")


# --------------------------------------------------------------------------- unit tests


def test_is_after_without_a_cursor_is_every_row() -> None:
    assert is_after((5, "a"), None, descending=True)


def test_is_after_follows_the_primary_key_then_the_tie() -> None:
    cursor = _cursor((10, "m"))
    # descending primary and tie
    assert is_after((9, "z"), cursor, descending=True)
    assert not is_after((11, "a"), cursor, descending=True)
    assert is_after((10, "a"), cursor, descending=True)
    assert not is_after((10, "z"), cursor, descending=True)
    assert not is_after((10, "m"), cursor, descending=True)  # the cursor row itself
    # ascending primary and tie
    assert is_after((11, "a"), cursor, descending=False)
    assert is_after((10, "z"), cursor, descending=False)
    assert not is_after((10, "a"), cursor, descending=False)
    # descending primary, ascending tie (the score order)
    assert is_after((10, "z"), cursor, descending=True, tie_descending=False)
    assert not is_after((10, "a"), cursor, descending=True, tie_descending=False)
    assert is_after((9, "a"), cursor, descending=True, tie_descending=False)
    # integer ties (message seq)
    assert is_after((10, 3), _cursor((10, 2)), descending=False)
    assert not is_after((10, 1), _cursor((10, 2)), descending=False)


def test_sort_rows_orders_by_primary_then_tie() -> None:
    rows = [(2, "b"), (1, "a"), (2, "a"), (1, "b"), (3, "a")]
    key: Callable[[Key], Key] = lambda row: row  # noqa: E731
    assert sort_rows(rows, key, descending=True) == [
        (3, "a"),
        (2, "b"),
        (2, "a"),
        (1, "b"),
        (1, "a"),
    ]
    assert sort_rows(rows, key, descending=False) == [
        (1, "a"),
        (1, "b"),
        (2, "a"),
        (2, "b"),
        (3, "a"),
    ]
    assert sort_rows(rows, key, descending=True, tie_descending=False) == [
        (3, "a"),
        (2, "a"),
        (2, "b"),
        (1, "a"),
        (1, "b"),
    ]
    assert sort_rows(rows, key, descending=False, tie_descending=True) == [
        (1, "b"),
        (1, "a"),
        (2, "b"),
        (2, "a"),
        (3, "a"),
    ]


def _page(rows: list[Key], **kwargs: Any) -> tuple[list[Key], int]:
    args: dict[str, Any] = {
        "key": lambda row: row,
        "descending": False,
        "after": None,
        "offset": 0,
        "limit": None,
        "count": True,
    }
    args.update(kwargs)
    return run_page(rows, **args)


def test_run_page_returns_limit_plus_one_rows_and_the_total() -> None:
    rows = [(i, f"r{i}") for i in range(10)]
    assert _page(rows, limit=3) == (rows[:4], 10)
    assert _page(rows, limit=3, offset=8) == (rows[8:], 10)
    assert _page(rows, limit=None) == (rows, 10)
    assert _page(rows, limit=0) == (rows[:1], 10)  # only the has-more probe row
    assert _page(rows, limit=3, count=False) == (rows[:4], 0)


def test_run_page_cuts_after_the_cursor_and_counts_the_whole_set() -> None:
    rows = [(i // 2, f"r{i}") for i in range(10)]
    after = Cursor(2, "r4", "ASC", "")
    page, total = _page(list(reversed(rows)), after=after, limit=2)
    assert (page, total) == ([(2, "r5"), (3, "r6"), (3, "r7")], 10)
    page, _ = _page(rows, after=after, descending=True, limit=None)
    assert page == [(1, "r3"), (1, "r2"), (0, "r1"), (0, "r0")]


def test_cut_page_splits_the_extra_row() -> None:
    assert cut_page([1, 2, 3], 2) == ([1, 2], True)
    assert cut_page([1, 2], 2) == ([1, 2], False)
    assert cut_page([1, 2], None) == ([1, 2], False)
    assert cut_page([], 0) == ([], False)


# --------------------------------------------------------------------------- the naive model


def naive(
    rows: Sequence[T],
    keep: Callable[[T], bool],
    key: Callable[[T], Key],
    *,
    descending: bool,
    tie_descending: bool,
    after: Cursor | None,
    offset: int,
    limit: int | None,
    count: bool,
) -> tuple[list[T], int]:
    """Filter, sort with an explicit comparison, count, cut, slice ``limit + 1``."""

    def compare(a: Key, b: Key) -> int:
        if a[0] != b[0]:
            sign = -1 if a[0] < b[0] else 1
            return -sign if descending else sign
        if a[1] != b[1]:
            sign = -1 if a[1] < b[1] else 1
            return -sign if tie_descending else sign
        return 0

    kept = [row for row in rows if keep(row)]
    ordered = sorted(kept, key=functools.cmp_to_key(lambda a, b: compare(key(a), key(b))))
    total = len(ordered) if count else 0
    if after is not None:
        ordered = [row for row in ordered if compare(key(row), (after.key, after.tie)) > 0]
    stop = None if limit is None else offset + limit + 1
    return ordered[offset:stop], total


MILLIS = st.integers(min_value=0, max_value=4)  # few instants: ties all the time
NAMES = st.sampled_from(["a", "b", "c"])
LIMITS = st.one_of(st.none(), st.integers(min_value=0, max_value=5))
OFFSETS = st.integers(min_value=0, max_value=4)


def _at(ms: int) -> datetime:
    return T0 + timedelta(milliseconds=ms)


@st.composite
def cursors(draw: st.DrawFn, ties: st.SearchStrategy[Any]) -> Cursor | None:
    if draw(st.booleans()):
        return None
    return Cursor(to_epoch_ms(_at(draw(MILLIS))), draw(ties), "DESC", "")


def _ids(rows: Sequence[Any], name: str) -> list[Any]:
    return [getattr(row, name) for row in rows]


# --------------------------------------------------------------------------- property tests


@st.composite
def workflow_runs(draw: st.DrawFn) -> list[WorkflowRun]:
    runs = {}
    for _ in range(draw(st.integers(min_value=0, max_value=12))):
        name, run_id = draw(NAMES), draw(st.sampled_from([f"r{i}" for i in range(6)]))
        runs[(name, run_id)] = WorkflowRun(
            workflow_name=name,
            run_id=run_id,
            snapshot={"status": draw(st.sampled_from(["success", "failed"]))},
            resource_id=draw(st.one_of(st.none(), NAMES)),
            created_at=_at(draw(MILLIS)),
            updated_at=T0,
        )
    return list(runs.values())


@settings(max_examples=200, deadline=None)
@given(
    runs=workflow_runs(),
    name=st.one_of(st.none(), NAMES),
    resource=st.one_of(st.none(), NAMES),
    status=st.one_of(st.none(), st.sampled_from(["success", "failed"])),
    start=st.one_of(st.none(), MILLIS),
    end=st.one_of(st.none(), MILLIS),
    after=cursors(st.sampled_from([f"r{i}" for i in range(6)])),
    offset=OFFSETS,
    limit=LIMITS,
    count=st.booleans(),
)
def test_workflow_run_query_agrees_with_the_naive_model(
    runs: list[WorkflowRun],
    name: str | None,
    resource: str | None,
    status: str | None,
    start: int | None,
    end: int | None,
    after: Cursor | None,
    offset: int,
    limit: int | None,
    count: bool,
) -> None:
    query = WorkflowRunQuery(
        workflow_name=name,
        resource_id=resource,
        status=status,
        from_date=None if start is None else _at(start),
        to_date=None if end is None else _at(end),
        offset=offset,
        limit=limit,
        after=after,
        count=count,
    )

    def keep(run: WorkflowRun) -> bool:
        ms = to_epoch_ms(run.created_at)
        return (
            (name is None or run.workflow_name == name)
            and (resource is None or run.resource_id == resource)
            and (status is None or run.snapshot["status"] == status)  # type: ignore[index]
            and (start is None or ms >= start + to_epoch_ms(T0))
            and (end is None or ms <= end + to_epoch_ms(T0))
        )

    got, total = query.execute(runs)
    want, want_total = naive(
        runs,
        keep,
        lambda r: (to_epoch_ms(r.created_at), r.run_id),
        descending=True,
        tie_descending=True,
        after=after,
        offset=offset,
        limit=limit,
        count=count,
    )
    assert [(r.workflow_name, r.run_id) for r in got] == [(r.workflow_name, r.run_id) for r in want]
    assert total == want_total


def _score(score_id: str, ms: int, run_id: str, scorer_id: str) -> Score:
    return Score(
        id=score_id,
        scorer_id=scorer_id,
        entity_id="e",
        entity_type="AGENT",
        run_id=run_id,
        score=0.5,
        scorer={},
        output=None,
        source="LIVE",
        created_at=_at(ms),
    )


@st.composite
def score_sets(draw: st.DrawFn) -> list[Score]:
    return [
        _score(f"s{i}", draw(MILLIS), draw(NAMES), draw(NAMES))
        for i in range(draw(st.integers(min_value=0, max_value=12)))
    ]


@settings(max_examples=200, deadline=None)
@given(
    scores=score_sets(),
    run=st.one_of(st.none(), NAMES),
    scorer=st.one_of(st.none(), NAMES),
    after=cursors(st.sampled_from([f"s{i}" for i in range(12)])),
    offset=OFFSETS,
    limit=LIMITS,
    count=st.booleans(),
)
def test_score_query_agrees_with_the_naive_model(
    scores: list[Score],
    run: str | None,
    scorer: str | None,
    after: Cursor | None,
    offset: int,
    limit: int | None,
    count: bool,
) -> None:
    query = ScoreQuery(
        run_id=run, scorer_id=scorer, offset=offset, limit=limit, after=after, count=count
    )
    got, total = query.execute(scores)
    want, want_total = naive(
        scores,
        lambda s: (run is None or s.run_id == run) and (scorer is None or s.scorer_id == scorer),
        lambda s: (to_epoch_ms(s.created_at), s.id),
        descending=True,
        tie_descending=False,
        after=after,
        offset=offset,
        limit=limit,
        count=count,
    )
    assert _ids(got, "id") == _ids(want, "id")
    assert total == want_total


@st.composite
def root_spans(draw: st.DrawFn) -> list[Span]:
    spans = []
    for i in range(draw(st.integers(min_value=0, max_value=10))):
        started = draw(MILLIS)
        ended = draw(st.one_of(st.none(), MILLIS))
        spans.append(
            Span(
                trace_id=f"t{i}",
                span_id=f"s{i}",
                name="run",
                span_type="agent_run",
                started_at=_at(started),
                ended_at=None if ended is None else _at(started + ended),
                entity_id=draw(NAMES),
            )
        )
    return spans


@settings(max_examples=200, deadline=None)
@given(
    roots=root_spans(),
    entity=st.one_of(st.none(), NAMES),
    child_error=st.one_of(st.none(), st.booleans()),
    errored=st.sets(st.sampled_from([f"t{i}" for i in range(10)])),
    start=st.one_of(st.none(), MILLIS),
    field=st.sampled_from(["started_at", "ended_at"]),
    direction=st.sampled_from(["ASC", "DESC"]),
    after=st.one_of(
        st.none(),
        st.builds(
            lambda ms, null, tie: Cursor(
                NULL_TIME_KEY if null else to_epoch_ms(_at(ms)), tie, "DESC", ""
            ),
            st.integers(min_value=0, max_value=8),
            st.booleans(),
            st.sampled_from([f"t{i}" for i in range(10)]),
        ),
    ),
    offset=OFFSETS,
    limit=st.integers(min_value=1, max_value=5),
    count=st.booleans(),
)
def test_trace_query_agrees_with_the_naive_model(
    roots: list[Span],
    entity: str | None,
    child_error: bool | None,
    errored: set[str],
    start: int | None,
    field: Any,
    direction: Any,
    after: Cursor | None,
    offset: int,
    limit: int,
    count: bool,
) -> None:
    window = None if start is None else ResolvedDateRange(start=_at(start), end=None)
    query = TraceQuery(
        filter=TraceFilter(entity_id=entity, has_child_error=child_error),
        started_range=window,
        ended_range=None,
        order_field=field,
        direction=direction,
        offset=offset,
        limit=limit,
        after=after,
        count=count,
    )

    def keep(span: Span) -> bool:
        return (
            (entity is None or span.entity_id == entity)
            and (child_error is None or (span.trace_id in errored) == child_error)
            and (start is None or span.started_at >= _at(start))
        )

    def key(span: Span) -> Key:
        value = getattr(span, field)
        return (NULL_TIME_KEY if value is None else to_epoch_ms(value), span.trace_id)

    got, total = query.execute(roots, errored)
    want, want_total = naive(
        roots,
        keep,
        key,
        descending=direction == "DESC",
        tie_descending=direction == "DESC",
        after=after,
        offset=offset,
        limit=limit,
        count=count,
    )
    assert _ids(got, "trace_id") == _ids(want, "trace_id")
    assert total == want_total


@st.composite
def thread_sets(draw: st.DrawFn) -> list[Thread]:
    return [
        Thread(
            id=f"th{i}",
            resource_id=draw(NAMES),
            created_at=_at(draw(MILLIS)),
            updated_at=_at(draw(MILLIS)),
            metadata=draw(st.one_of(st.none(), st.fixed_dictionaries({"k": NAMES}))),
        )
        for i in range(draw(st.integers(min_value=0, max_value=10)))
    ]


@settings(max_examples=200, deadline=None)
@given(
    threads=thread_sets(),
    resource=st.one_of(st.none(), NAMES),
    wanted=st.one_of(st.none(), NAMES),
    field=st.sampled_from(["created_at", "updated_at"]),
    direction=st.sampled_from(["ASC", "DESC"]),
    after=cursors(st.sampled_from([f"th{i}" for i in range(10)])),
    offset=OFFSETS,
    limit=LIMITS,
    count=st.booleans(),
)
def test_thread_query_agrees_with_the_naive_model(
    threads: list[Thread],
    resource: str | None,
    wanted: str | None,
    field: Any,
    direction: Any,
    after: Cursor | None,
    offset: int,
    limit: int | None,
    count: bool,
) -> None:
    query = ThreadQuery(
        resource_id=resource,
        metadata=None if wanted is None else {"k": wanted},
        order=ResolvedOrder(field, direction),
        offset=offset,
        limit=limit,
        after=after,
        count=count,
    )
    got, total = query.execute(threads)
    want, want_total = naive(
        threads,
        lambda t: (
            (resource is None or t.resource_id == resource)
            and (wanted is None or (t.metadata or {}).get("k") == wanted)
        ),
        lambda t: (to_epoch_ms(getattr(t, field)), t.id),
        descending=direction == "DESC",
        tie_descending=direction == "DESC",
        after=after,
        offset=offset,
        limit=limit,
        count=count,
    )
    assert _ids(got, "id") == _ids(want, "id")
    assert total == want_total


@st.composite
def stored_messages(draw: st.DrawFn) -> list[StoredMessage]:
    content = MessageContent.from_dict({"format": 2, "parts": []})
    return [
        StoredMessage(
            Message(
                id=f"m{i}",
                role="user",
                created_at=_at(draw(MILLIS)),
                thread_id=draw(NAMES),
                resource_id=draw(NAMES),
                content=content,
            ),
            i,
        )
        for i in range(draw(st.integers(min_value=0, max_value=12)))
    ]


@settings(max_examples=200, deadline=None)
@given(
    rows=stored_messages(),
    thread_ids=st.one_of(st.none(), st.lists(NAMES, min_size=1, max_size=2, unique=True)),
    resource=st.one_of(st.none(), NAMES),
    start=st.one_of(st.none(), MILLIS),
    descending=st.booleans(),
    after=cursors(st.integers(min_value=0, max_value=12)),
    offset=OFFSETS,
    limit=LIMITS,
    count=st.booleans(),
)
def test_message_query_agrees_with_the_naive_model(
    rows: list[StoredMessage],
    thread_ids: list[str] | None,
    resource: str | None,
    start: int | None,
    descending: bool,
    after: Cursor | None,
    offset: int,
    limit: int | None,
    count: bool,
) -> None:
    query = MessageQuery(
        thread_ids=thread_ids,
        resource_id=resource,
        date_range=None if start is None else ResolvedDateRange(start=_at(start), end=None),
        descending=descending,
        offset=offset,
        limit=limit,
        after=after,
        count=count,
        include=[],
    )
    got, total = query.execute_page(rows)
    if limit == 0:  # a message query's limit 0 skips the main set (include windows only)
        assert (got, total) == ([], 0)
        return
    want, want_total = naive(
        rows,
        lambda r: (
            (thread_ids is None or r.message.thread_id in thread_ids)
            and (resource is None or r.message.resource_id == resource)
            and (start is None or r.message.created_at >= _at(start))
        ),
        lambda r: (to_epoch_ms(r.message.created_at), r.seq),
        descending=descending,
        tie_descending=descending,
        after=after,
        offset=offset,
        limit=limit,
        count=count,
    )
    assert [r.message.id for r in got] == [r.message.id for r in want]
    assert total == want_total
